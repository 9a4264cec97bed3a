// extension/calls/: calls on this computer. While earshot.calls.detect is on, the daemon watches which apps use the
// microphone (earshot/calls/watch) and this window offers meeting notes once per call (callOffers.ts: when; calls.ts:
// the window's part); a meeting started for a call stops when the call ends (the daemon's auto-stop: its countdown in
// the panel, Earshot: Cancel Auto-Stop). appNames.ts: an app's name as shown; offerClaims.ts: one window offers a call.
// Imports client/, panel/, settings/; imported by extension.ts and commands/ (a call's meeting's start).
/**
 * Call detection in the window: turns the daemon's watch on and off with earshot.calls.detect (off, nothing is polled),
 * sends it again to a restarted daemon, shows each offer as a notification (Start / Not now / Always for this app),
 * starts the meeting through earshot.startMeetingNotes with the call for its auto-stop, and relays the auto-stop's
 * state to the panel and the `earshot.autoStopActive` context key.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AutoStopStateParams, CallApp, CallsListResult, SessionStartResult } from '../../protocol/protocol';
import type { DaemonClient } from '../client/client';
import type { TranscriptPanel } from '../panel/panel';
import { EarshotSettings } from '../settings/settings';
import { callAppName } from './appNames';
import { CallOffers, OfferAnswer, OfferPrompt, PendingOffer } from './callOffers';
import { OfferClaims } from './offerClaims';

/** What a meeting for a call is started with (earshot.startMeetingNotes's argument). */
export interface StartForCall {
  call: Pick<CallApp, 'app' | 'pid'>;
  /** The app's name as shown (the meeting's title). */
  name: string;
}

/** Call detection as the extension's tests see it. */
export interface CallsApi {
  /** Offers waiting for an answer; `prompt.choose('start')` answers as the notification's button does. */
  pending(): PendingOffer[];
  /** Fired when an offer is shown. */
  onDidOffer: vscode.Event<PendingOffer>;
  /** Fired when meeting notes started for a call ('yes' or 'always'). */
  onDidStart: vscode.Event<{ name: string; how: 'yes' | 'always'; result: SessionStartResult | undefined }>;
  /** Whether the daemon's watch is on. */
  readonly watching: boolean;
}

const ANSWERS: Record<string, OfferAnswer> = { Start: 'start', 'Not now': 'notNow', 'Always for this app': 'always' };

export interface CallsDeps {
  context: vscode.ExtensionContext;
  client: DaemonClient;
  panel: TranscriptPanel;
  output: vscode.LogOutputChannel;
  /** A meeting or a dictation is recording or finishing. */
  busy(): boolean;
  showError(e: unknown): unknown;
  /** Registers a command as commands/registry.ts does (a failure is shown with what to do). */
  command: (id: string, run: (...args: never[]) => Promise<unknown>) => void;
}

export function wireCalls({ context, client, panel, output, busy, showError, command }: CallsDeps): { api: CallsApi; disposables: vscode.Disposable[] } {
  const offered = new vscode.EventEmitter<PendingOffer>();
  const startedFor = new vscode.EventEmitter<{ name: string; how: 'yes' | 'always'; result: SessionStartResult | undefined }>();
  const claims = new OfferClaims(path.join(context.globalStorageUri.fsPath, 'call-offers'));
  const offers: CallOffers = new CallOffers({
    lists: () => EarshotSettings.read().calls,
    busy,
    claim: (_call, key) => claims.claim(key).catch((e) => { output.warn(`calls: ${(e as Error).message}; offering here`); return true; }),
    release: (key) => claims.release(key),
    ask: (_call, name) => {
      const prompt = askInWindow(name);
      queueMicrotask(() => { const offer = offers.pending().find((o) => o.prompt === prompt); if (offer) offered.fire(offer); });
      return prompt;
    },
    start: async (call, name, how) => {
      try {
        const args: StartForCall = { call: { app: call.app, ...(call.pid !== undefined ? { pid: call.pid } : {}) }, name };
        const result = await vscode.commands.executeCommand<SessionStartResult | undefined>('earshot.startMeetingNotes', args);
        startedFor.fire({ name, how, result });
        if (how === 'always' && result) tellStartedAlways(call.app, name);
      } catch (e) {
        void showError(e);
      }
    },
    rememberAlways: async (app) => {
      const config = vscode.workspace.getConfiguration('earshot');
      const mine = config.inspect<string[]>('calls.alwaysStart')?.globalValue ?? [];
      if (!mine.some((n) => n.toLowerCase() === app.toLowerCase())) await config.update('calls.alwaysStart', [...mine, app], vscode.ConfigurationTarget.Global);
    },
    tooLate: (name) => void vscode.window.showInformationMessage(`Earshot: ${name}'s call ended before you answered: nothing was recorded.`),
    log: (line) => output.info(line),
  });

  let watching = false;
  let lastFault: string | undefined;
  /** Turns the watch on or off as the setting says; `again`: the daemon restarted, its watch is gone. */
  const apply = async (again = false): Promise<void> => {
    const on = EarshotSettings.read().calls.detect;
    if (on === watching && !again) return;
    watching = on;
    if (!on) {
      offers.clear();
      await client.watchCalls(false);
      output.info('calls: detection off (nothing is watched)');
      return;
    }
    const result = await client.watchCalls(true);
    if (result && watching) {
      noteFault(result);
      output.info(`calls: watching which apps use the microphone (${result.backend})`);
      await offers.seen(result);
    }
  };
  const applyLogged = (again = false) => void apply(again).catch((e) => output.warn(`calls: could not ${watching ? 'start' : 'stop'} watching: ${(e as Error).message}`));
  const noteFault = (result: CallsListResult) => {
    if (result.fault === lastFault) return;
    lastFault = result.fault;
    if (result.fault) output.warn(`calls: detection cannot look now: ${result.fault}`);
  };

  const disposables: vscode.Disposable[] = [
    offered, startedFor, { dispose: () => claims.dispose() },
    vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('earshot.calls.detect')) applyLogged(); }),
    client.onDaemonStart(() => { if (watching) applyLogged(true); }),
    client.onCallsChanged((change) => {
      if (!watching) return;
      noteFault(change);
      void offers.changed(change).catch((e) => output.warn(`calls: ${(e as Error).message}`));
    }),
    client.onAutoStop((state) => showAutoStop(state)),
    // A meeting stopped by hand: nothing left to cancel.
    client.onSessionState((s) => {
      if (s.sessionId !== autoStopped?.sessionId || s.state === 'streaming') return;
      autoStopped = undefined;
      void vscode.commands.executeCommand('setContext', 'earshot.autoStopActive', false);
    }),
  ];
  // The panel's Cancel runs this too.
  command('earshot.cancelAutoStop', async () => {
    const sessionId = autoStopped?.sessionId;
    if (!sessionId) {
      void vscode.window.showInformationMessage('Earshot: no meeting is set to stop by itself.');
      return undefined;
    }
    return client.cancelAutoStop(sessionId);
  });
  applyLogged();

  /** The auto-stop state of the meeting shown, while it may still stop it. */
  let autoStopped: AutoStopStateParams | undefined;
  function showAutoStop(state: AutoStopStateParams): void {
    const active = state.state === 'watching' || state.state === 'silent' || state.state === 'countdown';
    autoStopped = active ? state : undefined;
    void vscode.commands.executeCommand('setContext', 'earshot.autoStopActive', active);
    panel.showAutoStop(state, callAppName(state.app));
    output.info(`auto-stop: ${state.state} (${state.reason})`);
  }

  /** A call of an "always" app started: said, with Stop, and Ask Me Instead (the app leaves earshot.calls.alwaysStart). */
  function tellStartedAlways(app: string, name: string): void {
    void vscode.window.showInformationMessage(
      `Earshot started meeting notes for ${name}'s call (you chose "Always for this app"). They stop when the call ends, or with Stop.`,
      'Stop', 'Ask Me Instead',
    ).then(async (picked) => {
      if (picked === 'Stop') await vscode.commands.executeCommand('earshot.stop');
      if (picked !== 'Ask Me Instead') return;
      const config = vscode.workspace.getConfiguration('earshot');
      const mine = config.inspect<string[]>('calls.alwaysStart')?.globalValue ?? [];
      await config.update('calls.alwaysStart', mine.filter((n) => n.trim().toLowerCase() !== app.trim().toLowerCase()), vscode.ConfigurationTarget.Global);
      void vscode.window.showInformationMessage(`Earshot: it will ask before taking notes of ${name}'s next call.`);
    }).then(undefined, (e: Error) => output.warn(`calls: ${e.message}`));
  }

  const api: CallsApi = { pending: () => offers.pending(), onDidOffer: offered.event, onDidStart: startedFor.event, get watching() { return watching; } };
  return { api, disposables };
}

/** The offer as a VS Code notification. VS Code has no API to close a message, so a withdrawn one stays until closed, and a late Start says the call ended. */
function askInWindow(name: string): OfferPrompt {
  let choose!: (answer: OfferAnswer) => void;
  const chosen = new Promise<OfferAnswer>((resolve) => { choose = resolve; });
  const shown = vscode.window.showInformationMessage(`${name} is using the microphone: take notes?`, ...Object.keys(ANSWERS))
    .then((label) => (label ? ANSWERS[label] : undefined));
  return { answer: Promise.race([chosen, shown]), choose, withdraw: () => undefined };
}
