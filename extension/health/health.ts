// extension/health/: what the user is told when something goes wrong, and recovery. Earshot: Show Health and its ring
// of recent problems (health.ts), errors with what to do about them (errors.ts), a running session's problems
// (sessionProblems.ts, with the OS settings pages of settingsLinks.ts), and resuming a session after the daemon crashed
// (recovery.ts). Imports client/, panel/ and remote/.
/**
 * Earshot: Show Health — a read-only Markdown document (`earshot-health:` scheme) with the daemon's latest vital signs
 * (model state and timings, backlog, dropped audio, degrade level, memory, the sources and their states) and the
 * last problems the extension saw (session errors, capture faults, daemon exits, model failures, failed commands),
 * with times. Refreshed while it is open. It never holds transcript text: only states, numbers, ids and error
 * messages (which the daemon writes without transcript text).
 */
import * as vscode from 'vscode';
import type {
  EarshotServerCapabilities, HealthParams, LiveSourceKind, ModelProgressParams, SessionStateParams, SourceStatusParams,
} from '../../protocol/protocol';

export const HEALTH_SCHEME = 'earshot-health';
/** How many problems are kept (the oldest go first). */
export const MAX_RECENT_PROBLEMS = 50;
/** How often an open health document asks the daemon for fresh numbers. */
export const HEALTH_POLL_MS = 5000;
/** Changes to an open document come at most this often. */
const REFRESH_THROTTLE_MS = 1000;
/** A problem's message is cut to this many characters. */
const MAX_MESSAGE = 400;
/** What the user can do about errors nothing caught in the daemon (HealthParams.uncaughtErrors). */
const UNCAUGHT_ADVICE = 'a bug: the Earshot log names each; run Earshot: Restart Daemon if anything misbehaves, and please report it';

export type ProblemLevel = 'warning' | 'error';
export type ProblemArea = 'session' | 'capture' | 'daemon' | 'model' | 'recognition' | 'command';

export interface RecentProblem {
  /** ms since the epoch. */
  at: number;
  level: ProblemLevel;
  area: ProblemArea;
  message: string;
  sessionId?: string;
}

/** The last {@link MAX_RECENT_PROBLEMS} problems, newest first; a repeat of the newest one is counted, not added. */
export class ProblemRing {
  private items: (RecentProblem & { count: number })[] = [];

  constructor(readonly limit = MAX_RECENT_PROBLEMS) {}

  push(problem: RecentProblem): void {
    const message = problem.message.replace(/\s+/g, ' ').trim().slice(0, MAX_MESSAGE) || '(no message)';
    const last = this.items[0];
    if (last && last.message === message && last.area === problem.area && last.level === problem.level && last.sessionId === problem.sessionId) {
      last.count++;
      last.at = problem.at;
      return;
    }
    this.items.unshift({ ...problem, message, count: 1 });
    if (this.items.length > this.limit) this.items.length = this.limit;
  }

  /** Newest first. */
  get list(): readonly (RecentProblem & { count: number })[] {
    return this.items;
  }

  clear(): void {
    this.items = [];
  }
}

export interface HealthSnapshot {
  now: number;
  /** The daemon's latest vital signs, and when they came. */
  health?: HealthParams;
  healthAt?: number;
  /** The running daemon, undefined when it is not running. */
  daemon?: Pick<EarshotServerCapabilities, 'version' | 'pid'>;
  session?: Pick<SessionStateParams, 'sessionId' | 'state' | 'mode' | 'paused' | 'startedAt'>;
  problems: readonly (RecentProblem & { count?: number })[];
}

const SOURCE_NAMES: Record<LiveSourceKind, string> = { mic: 'Microphone', system: 'System audio' };

/** The health document's Markdown. Only states, numbers, ids and error messages: never transcript text. */
export function renderHealth(s: HealthSnapshot): string {
  const h = s.health;
  const lines: string[] = ['# Earshot Health', ''];
  lines.push(`_As of ${time(s.now)}. Read-only; refreshed while open. Holds no transcript text: paste it into a bug report as it is._`, '');

  lines.push('## Daemon', '');
  lines.push(s.daemon ? `- Running: version ${cell(s.daemon.version)}, pid ${s.daemon.pid}` : '- Not running (it starts with the next session)');
  if (h?.uncaughtErrors) lines.push(`- Errors nothing caught: ${h.uncaughtErrors} (${UNCAUGHT_ADVICE})`);
  if (s.session) {
    const paused = s.session.paused?.length ? `, paused: ${s.session.paused.map((p) => SOURCE_NAMES[p] ?? p).join(', ')}` : '';
    lines.push(`- Session ${cell(s.session.sessionId)}: ${s.session.state} (${s.session.mode}${paused}), started ${time(Date.parse(s.session.startedAt))}`);
  } else {
    lines.push('- No session yet');
  }
  lines.push('');

  if (!h) {
    lines.push('## Pipeline', '', '_No health report from the daemon yet: it reports while a session runs and when the model changes._', '');
  } else {
    lines.push(`## Model`, '', `_Reported ${s.healthAt ? time(s.healthAt) : 'now'}._`, '', '| | |', '|---|---|');
    lines.push(`| State | ${h.model.state} |`);
    lines.push(`| Model file | ${h.model.path ? `\`${cell(h.model.path)}\`` : '—'} |`);
    lines.push(`| Load time | ${ms(h.model.loadMs)} |`);
    lines.push(`| Runs on | ${h.model.gpuDevice ? `GPU: ${cell(h.model.gpuDevice)}` : h.model.state === 'ready' ? 'CPU' : '—'} |`);
    lines.push(`| Real-time factor | ${h.model.rtf === null ? '—' : `${h.model.rtf.toFixed(3)} (inference time / audio time; below 1 keeps up)`} |`);
    lines.push(`| Inference p50 / p95 | ${ms(h.model.p50Ms)} / ${ms(h.model.p95Ms)} |`);
    lines.push(`| Error | ${h.model.error ? cell(h.model.error) : '—'} |`, '');

    lines.push('## Pipeline', '', '| | |', '|---|---|');
    lines.push(`| Backlog | ${h.backlogSec.toFixed(1)} s of speech waiting for the recognizer |`);
    lines.push(`| Dropped frames | ${h.dropped} |`);
    lines.push(`| Degrade level | ${h.degradeLevel} (${cell(h.degradeName)}) |`);
    lines.push(`| Memory (RSS) | ${(h.rssBytes / 2 ** 20).toFixed(0)} MiB |`, '');

    lines.push('## Sources', '');
    if (h.sources.length === 0) lines.push('_No live source (no session records from a device)._');
    else {
      lines.push('| Source | State | Backend | Level | Dropped |', '|---|---|---|---|---|');
      for (const src of h.sources) {
        lines.push(`| ${SOURCE_NAMES[src.source] ?? cell(src.source)} | ${src.state} | ${src.recorder ? cell(src.recorder) : '—'} | ${src.rmsDbfs === null ? '—' : `${src.rmsDbfs.toFixed(0)} dBFS`} | ${src.droppedSec.toFixed(1)} s |`);
      }
    }
    lines.push('');
  }

  lines.push(`## Recent problems`, '');
  if (s.problems.length === 0) lines.push('_None since Earshot started._');
  else {
    lines.push(`_Newest first; the last ${MAX_RECENT_PROBLEMS} are kept._`, '', '| Time | Level | Where | What |', '|---|---|---|---|');
    for (const p of s.problems) {
      const repeat = p.count && p.count > 1 ? ` (×${p.count})` : '';
      const where = p.sessionId ? `${p.area} · ${cell(p.sessionId)}` : p.area;
      lines.push(`| ${time(p.at)} | ${p.level} | ${where} | ${cell(p.message)}${repeat} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

function time(at: number): string {
  return Number.isFinite(at) ? new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—';
}

function ms(value: number | null): string {
  return value === null ? '—' : `${Math.round(value)} ms`;
}

/** Text for one table cell: one line, no pipes or markup that would break the table. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/([|\\`*_[\]<>])/g, '\\$1');
}

/** What the health view listens to (the daemon client). */
export interface HealthClient {
  onHealth: vscode.Event<HealthParams>;
  onSessionState: vscode.Event<SessionStateParams>;
  onSourceStatus: vscode.Event<SourceStatusParams>;
  onModelProgress: vscode.Event<ModelProgressParams>;
  onDaemonExit: vscode.Event<void>;
  readonly daemonInfo: EarshotServerCapabilities | undefined;
  /** Fresh vital signs, or undefined when the daemon is not running. */
  health(): Promise<HealthParams | undefined>;
}

/** Keeps the latest health and the recent problems, and serves them as the `earshot-health:` document. */
export class HealthView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  readonly problems = new ProblemRing();
  private latest: { health: HealthParams; at: number } | undefined;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private poll: NodeJS.Timeout | undefined;
  private throttle: NodeJS.Timeout | undefined;
  private lastModelError: string | null = null;
  private lastDegrade = 0;
  /** The daemon's count of errors nothing caught at its last report (a new daemon starts from 0). */
  private lastUncaught = 0;

  constructor(private readonly client: HealthClient, private readonly session: () => SessionStateParams | undefined, private readonly now: () => number = Date.now) {
    this.subscriptions.push(
      client.onHealth((h) => this.onHealth(h)),
      client.onSessionState((s) => {
        if (s.error) this.note('error', 'session', s.error, s.sessionId);
        this.scheduleRefresh();
      }),
      client.onSourceStatus((st) => {
        if (st.state !== 'failed' && st.state !== 'stalled') return;
        const what = `${SOURCE_NAMES[st.source]}: ${st.state}${st.reason ? ` (${st.reason})` : ''}${st.message ? `: ${st.message}` : ''}`;
        this.note(st.state === 'failed' ? 'error' : 'warning', 'capture', what, st.sessionId);
      }),
      client.onModelProgress((p) => {
        if (p.phase === 'failed') this.note('error', 'model', `${p.model}: ${p.message ?? 'failed'}`);
      }),
      client.onDaemonExit(() => this.note('warning', 'daemon', 'The daemon process stopped (restarted by Earshot, or on the next command).')),
    );
  }

  /** The document's address: a Markdown file name, so it opens as Markdown. */
  static get uri(): vscode.Uri {
    return vscode.Uri.from({ scheme: HEALTH_SCHEME, path: '/Earshot Health.md' });
  }

  /** Records a problem (e.g. a command that failed); the open document shows it. */
  note(level: ProblemLevel, area: ProblemArea, message: string, sessionId?: string): void {
    this.problems.push({ at: this.now(), level, area, message, ...(sessionId ? { sessionId } : {}) });
    this.scheduleRefresh();
  }

  get latestHealth(): HealthParams | undefined {
    return this.latest?.health;
  }

  /** The document as it reads now. */
  render(): string {
    const s = this.session();
    const daemon = this.client.daemonInfo;
    return renderHealth({
      now: this.now(),
      ...(this.latest ? { health: this.latest.health, healthAt: this.latest.at } : {}),
      ...(daemon ? { daemon: { version: daemon.version, pid: daemon.pid } } : {}),
      ...(s ? { session: { sessionId: s.sessionId, state: s.state, mode: s.mode, paused: s.paused, startedAt: s.startedAt } } : {}),
      problems: this.problems.list,
    });
  }

  /** Asks the daemon for fresh numbers (if it runs); a failure becomes a problem, the last numbers stay. */
  async refresh(): Promise<void> {
    try {
      const health = await this.client.health();
      if (health) this.onHealth(health);
    } catch (e) {
      this.note('warning', 'daemon', `Health request failed: ${(e as Error).message}`);
    }
  }

  /**
   * Earshot: Show Health. Refreshes, opens the document (unless `show` is false) and returns its Markdown, so a test
   * can read it: `executeCommand('earshot.showHealth', { show: false })`.
   */
  async show(options: { show?: boolean } = {}): Promise<string> {
    await this.refresh();
    if (this.isOpen()) this.changed.fire(HealthView.uri); // already open: show the fresh numbers now
    if (options.show !== false) {
      const doc = await vscode.workspace.openTextDocument(HealthView.uri);
      if (doc.languageId !== 'markdown') await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
      await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Active });
    }
    return this.render();
  }

  provideTextDocumentContent(): string {
    this.startPolling();
    return this.render();
  }

  dispose(): void {
    clearInterval(this.poll);
    clearTimeout(this.throttle);
    this.subscriptions.forEach((d) => d.dispose());
    this.changed.dispose();
  }

  private onHealth(health: HealthParams): void {
    this.latest = { health, at: this.now() };
    if (health.model.error && health.model.error !== this.lastModelError) this.note('error', 'model', health.model.error);
    this.lastModelError = health.model.error;
    if (health.degradeLevel > this.lastDegrade) {
      this.note('warning', 'recognition', `Recognition fell behind: degrade level ${health.degradeLevel} (${health.degradeName}); finals are never dropped.`, this.session()?.sessionId);
    }
    this.lastDegrade = health.degradeLevel;
    const uncaught = health.uncaughtErrors ?? 0;
    if (uncaught > this.lastUncaught) {
      const first = this.lastUncaught === 0;
      const message = `The Earshot daemon hit ${uncaught} error${uncaught === 1 ? '' : 's'} nothing caught (${UNCAUGHT_ADVICE}).`;
      this.note('warning', 'daemon', message);
      // Said once per daemon: the count goes on in the health document.
      if (first) {
        void vscode.window.showWarningMessage?.(`Earshot: ${message}`, 'Show Health', 'Restart Daemon')?.then((picked) => {
          if (picked === 'Show Health') void vscode.commands.executeCommand('earshot.showHealth');
          if (picked === 'Restart Daemon') void vscode.commands.executeCommand('earshot.restartDaemon');
        });
      }
    }
    this.lastUncaught = uncaught;
    this.scheduleRefresh();
  }

  private isOpen(): boolean {
    return vscode.workspace.textDocuments?.some((d) => d.uri.scheme === HEALTH_SCHEME && !d.isClosed) ?? false;
  }

  /** While the document is open, the daemon is asked for fresh numbers now and then (it only reports by itself while a session runs). */
  private startPolling(): void {
    if (this.poll) return;
    this.poll = setInterval(() => {
      if (!this.isOpen()) {
        clearInterval(this.poll);
        this.poll = undefined;
        return;
      }
      void this.refresh().then(() => this.scheduleRefresh());
    }, HEALTH_POLL_MS);
    this.poll.unref?.();
  }

  private scheduleRefresh(): void {
    if (this.throttle || !this.isOpen()) return;
    this.throttle = setTimeout(() => {
      this.throttle = undefined;
      this.changed.fire(HealthView.uri);
    }, REFRESH_THROTTLE_MS);
  }
}
