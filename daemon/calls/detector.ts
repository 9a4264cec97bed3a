/**
 * Call detection: which apps use the microphone now (their name, pid where the OS gives one, since when), for
 * `earshot calls` and earshot/calls/list and /watch. One question to the OS per look, in a child process bounded in
 * time (killed at its bound, SIGKILL, and reported as a fault, never a hang): pactl on Linux (pulse.ts), Earshot's
 * earshot-audio-processes on macOS (mac.ts), reg.exe on Windows (windows.ts). Earshot's own recorders are left out: its own
 * process and its children, and streams named Earshot.
 *
 * Owns the first-seen times (the `since` of an app whose OS gives none). Imports nothing above capture/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CallApp, CallsListResult } from '../../protocol/protocol';
import { CAPTURE_APP_BUNDLE_ID, CAPTURE_APP_EXECUTABLE, captureAppPath } from '../capture/macCaptureApp';
import { runTool, ToolResult } from '../capture/tools';
import { macCallApps, macProcessesPath, MAC_PROCESSES, parseMacProcesses } from './mac';
import { CallEvents, PulseSubscription } from './pulseEvents';
import { parseSourceOutputsJson, parseSourceOutputsText, parseSourcesJson, parseSourcesText, pulseCallApps, PulseSource } from './pulse';
import { consentStoreApps, CONSENT_STORE_MICROPHONE, parseRegQuery } from './windows';

/** How long one question to the OS may take before its process is killed. */
export const CALLS_QUERY_LIMIT_MS = 2000;

export interface DetectorOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** The bound of each child process (default CALLS_QUERY_LIMIT_MS). */
  limitMs?: number;
  /** Earshot's process: it and its descendants are left out (default: this process). */
  ownPid?: number;
  /** macOS: the capture app's recorder, whose processes and their children are Earshot's (default: this installation's). */
  ownExecutable?: string;
  /** The commands run (tests point them at fakes or a build of their own): pactl, reg, earshot-audio-processes. */
  commands?: { pactl?: string; reg?: string; processes?: string };
  now?: () => number;
}

/** Whether `pid` is `ownPid` or one of its descendants (Linux: the parent chain in /proc; elsewhere: equality). */
export function isOwnProcess(pid: number, ownPid: number, proc = '/proc'): boolean {
  let at = pid;
  for (let depth = 0; depth < 64 && at > 1; depth++) {
    if (at === ownPid) return true;
    let stat: string;
    try {
      stat = fs.readFileSync(path.join(proc, String(at), 'stat'), 'utf8');
    } catch {
      return false;
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isSafeInteger(ppid) || ppid === at) return false;
    at = ppid;
  }
  return false;
}

/** Why a bounded child gave no answer, or undefined when it exited 0. */
function toolFault(what: string, r: ToolResult, limitMs: number): string | undefined {
  if (r.code === 0) return undefined;
  if (r.error?.code === 'ENOENT') return `${what} is not installed`;
  if ((r.error as { killed?: boolean } | undefined)?.killed) return `${what} did not answer within ${limitMs} ms (killed)`;
  return `${what} failed (${r.code ?? r.error?.message ?? 'no exit code'}): ${r.stderr.trim().split('\n')[0]?.slice(0, 200) ?? ''}`;
}

type Found = { apps: { app: string; pid?: number; since?: string }[]; fault?: undefined } | { apps?: undefined; fault: string };

export class CallDetector {
  readonly backend: CallsListResult['backend'];
  private readonly firstSeen = new Map<string, number>();
  /** pactl: whether it speaks JSON (undefined until the first answer). */
  private pactlJson: boolean | undefined;
  /** pactl: the sources by index (refreshed when a stream names one it does not know). */
  private sources = new Map<number, PulseSource>();
  private readonly platform: NodeJS.Platform;
  private readonly limitMs: number;
  private readonly ownPid: number;
  private readonly now: () => number;

  constructor(private readonly options: DetectorOptions = {}) {
    this.platform = options.platform ?? process.platform;
    this.limitMs = options.limitMs ?? CALLS_QUERY_LIMIT_MS;
    this.ownPid = options.ownPid ?? process.pid;
    this.now = options.now ?? Date.now;
    this.backend = this.platform === 'darwin' ? 'coreaudio' : this.platform === 'win32' ? 'consent-store' : this.platform === 'linux' ? 'pulse' : 'none';
  }

  /** What detection sees now. Never throws: a failure is the result's fault. */
  async detect(): Promise<CallsListResult> {
    let found: Found;
    try {
      found = this.backend === 'pulse' ? await this.pulse() : this.backend === 'coreaudio' ? await this.mac() : this.backend === 'consent-store' ? await this.windows()
        : { fault: `call detection does not support ${this.platform}` };
    } catch (e) {
      found = { fault: `could not read the ${this.backend} answer: ${(e as Error).message.slice(0, 200)}` };
    }
    if (found.fault !== undefined) return { apps: [], backend: this.backend, fault: found.fault };
    const seen = new Set<string>();
    const apps = found.apps.map((a): CallApp => {
      const key = `${a.app}\0${a.pid ?? ''}`;
      seen.add(key);
      if (!this.firstSeen.has(key)) this.firstSeen.set(key, this.now());
      return {
        app: a.app, ...(a.pid !== undefined ? { pid: a.pid } : {}),
        since: a.since ?? new Date(this.firstSeen.get(key)!).toISOString(), sinceFrom: a.since ? 'os' : 'detector',
      };
    });
    // An app that stopped and starts again is a new use: its first-seen time starts over.
    for (const key of [...this.firstSeen.keys()]) if (!seen.has(key)) this.firstSeen.delete(key);
    apps.sort((a, b) => a.app.localeCompare(b.app) || (a.pid ?? 0) - (b.pid ?? 0));
    return { apps, backend: this.backend };
  }

  /**
   * The events that say when to look again, where the OS has them: PulseAudio's (`pactl subscribe`, pulseEvents.ts).
   * Core Audio's property listeners and the registry's change notifications need a process of their own: macOS and
   * Windows poll.
   */
  events(): CallEvents | undefined {
    return this.backend === 'pulse' ? new PulseSubscription({ pactl: this.options.commands?.pactl, env: this.options.env }) : undefined;
  }

  private run(command: string, args: string[]): Promise<ToolResult> {
    return runTool(command, args, { env: this.options.env, timeoutMs: this.limitMs, killSignal: 'SIGKILL' });
  }

  private async pactl(what: 'source-outputs' | 'sources'): Promise<{ text: string; json: boolean } | { fault: string }> {
    const pactl = this.options.commands?.pactl ?? 'pactl';
    if (this.pactlJson !== false) {
      const r = await this.run(pactl, ['-f', 'json', 'list', what]);
      if (r.code === 0) {
        this.pactlJson = true;
        return { text: r.stdout, json: true };
      }
      // Not installed or hung: the text form would fare no better.
      if (r.error) return { fault: toolFault('pactl', r, this.limitMs)! };
      if (this.pactlJson === true) return { fault: toolFault('pactl', r, this.limitMs)! };
    }
    const r = await this.run(pactl, ['list', what]);
    if (r.code !== 0) return { fault: toolFault('pactl', r, this.limitMs)! };
    this.pactlJson = false;
    return { text: r.stdout, json: false };
  }

  private async pulse(): Promise<Found> {
    const outputs = await this.pactl('source-outputs');
    if ('fault' in outputs) return outputs;
    const streams = outputs.json ? parseSourceOutputsJson(outputs.text) : parseSourceOutputsText(outputs.text);
    // The sources are asked again only when a stream names one not known yet (an idle machine asks once).
    const recording = streams.filter((s) => s.client !== undefined && !s.corked);
    if (recording.some((s) => !this.sources.has(s.source))) {
      const listed = await this.pactl('sources');
      if ('fault' in listed) return listed;
      const sources = listed.json ? parseSourcesJson(listed.text) : parseSourcesText(listed.text);
      this.sources = new Map(sources.map((s) => [s.index, s]));
    }
    return { apps: pulseCallApps(recording, [...this.sources.values()], (pid) => isOwnProcess(pid, this.ownPid)) };
  }

  private async mac(): Promise<Found> {
    const executable = this.options.commands?.processes ?? macProcessesPath();
    if (!executable) return { fault: `${MAC_PROCESSES} is not installed (it comes with Earshot's macOS package)` };
    // Earshot's own recorders: the daemon and its children (audify, a direct audiotee), and the capture app with the
    // audiotee it runs (launchd's children, not the daemon's): the program walks their parent chains, which only the OS
    // has; the app's bundle id is left out here as well.
    const app = captureAppPath();
    const ownExecutable = this.options.ownExecutable ?? (app ? path.join(app, 'Contents', 'MacOS', CAPTURE_APP_EXECUTABLE) : undefined);
    const r = await this.run(executable, ['--own-pid', String(this.ownPid), ...(ownExecutable ? ['--own-executable', ownExecutable] : [])]);
    const fault = toolFault(MAC_PROCESSES, r, this.limitMs);
    if (fault) return { fault };
    const own = (pid: number) => pid === this.ownPid;
    return { apps: macCallApps(parseMacProcesses(r.stdout), own).filter((a) => a.app !== CAPTURE_APP_BUNDLE_ID) };
  }

  private async windows(): Promise<Found> {
    const r = await this.run(this.options.commands?.reg ?? 'reg', ['query', CONSENT_STORE_MICROPHONE, '/s']);
    // reg exits 1 when the key does not exist: no app has used the microphone yet.
    if (r.code === 1 && /unable to find|not find/i.test(r.stderr + r.stdout)) return { apps: [] };
    const fault = toolFault('reg query', r, this.limitMs);
    if (fault) return { fault };
    return { apps: consentStoreApps(parseRegQuery(r.stdout)) };
  }
}
