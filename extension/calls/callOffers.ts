/**
 * When to offer meeting notes for a call, and what each answer does (the VS Code side is calls.ts). Pure: the window,
 * the settings, the other windows and the daemon are its deps, so test/unit/call-offers.test.ts runs it with fakes.
 *
 * A call is an app using the microphone, told apart by its process id (or, without one, by when it started): each is
 * offered once, never while a meeting or a dictation runs (one session at a time), never for an app in
 * earshot.calls.ignoreApps, and in one window only (claim). An app in earshot.calls.alwaysStart starts without asking.
 * When the app stops before the user answered, the offer is withdrawn: a late Start starts nothing.
 */
import type { CallApp, CallsListResult } from '../../protocol/protocol';
import { appListed, callAppName } from './appNames';

export type OfferAnswer = 'start' | 'notNow' | 'always';

/** An offer on screen: its answer (undefined: closed without one), and `choose`, which answers it as a button does. */
export interface OfferPrompt {
  readonly answer: Promise<OfferAnswer | undefined>;
  choose(answer: OfferAnswer): void;
  /** The call ended before an answer: the prompt says so where it can. */
  withdraw(): void;
}

export interface CallOfferDeps {
  lists(): { alwaysStart: readonly string[]; ignoreApps: readonly string[] };
  /** A meeting or a dictation is recording or finishing. */
  busy(): boolean;
  /** Claims the call for this window (false: another window offers it); `release` gives the claim up. */
  claim(call: CallApp, key: string): Promise<boolean>;
  release(key: string): void;
  /** Shows the offer, `name` being the app's name as shown (callAppName). */
  ask(call: CallApp, name: string): OfferPrompt;
  /** Starts meeting notes for the call; `always`: without asking (the window says it started and how to stop). */
  start(call: CallApp, name: string, how: 'yes' | 'always'): Promise<void>;
  /** Adds the app to earshot.calls.alwaysStart. */
  rememberAlways(app: string): Promise<void>;
  /** A Start or Always that came after the call ended: nothing started. */
  tooLate(name: string): void;
  log(line: string): void;
}

/** An offer waiting for the user's answer. */
export interface PendingOffer {
  key: string;
  call: CallApp;
  name: string;
  prompt: OfferPrompt;
}

interface Call {
  call: CallApp;
  claimed: boolean;
  offer?: PendingOffer;
  ended: boolean;
}

/** A call's identity: the app and its process, or, where the OS gives no process id, when it started. */
export function callKey(call: CallApp): string {
  return `${call.app}\n${call.pid ?? call.since}`;
}

export class CallOffers {
  /** The calls going on now, each offered at most once. */
  private readonly calls = new Map<string, Call>();

  constructor(private readonly deps: CallOfferDeps) {}

  /** What detection sees now (a watch's first answer, after a start or a daemon restart): new calls are offered, gone ones end. */
  async seen(result: CallsListResult): Promise<void> {
    const now = new Set(result.apps.map(callKey));
    for (const [key, c] of this.calls) if (!now.has(key)) this.ended(c.call);
    await Promise.all(result.apps.map((app) => this.started(app)));
  }

  /** A change the watch reported. */
  async changed(change: { started: CallApp[]; stopped: CallApp[] }): Promise<void> {
    for (const app of change.stopped) this.ended(app);
    await Promise.all(change.started.map((app) => this.started(app)));
  }

  /** Offers waiting for an answer, oldest first. */
  pending(): PendingOffer[] {
    return [...this.calls.values()].flatMap((c) => (c.offer ? [c.offer] : []));
  }

  /** Ends every call (the watch was turned off): offers are withdrawn, claims released. */
  clear(): void {
    for (const c of [...this.calls.values()]) this.ended(c.call);
  }

  private async started(app: CallApp): Promise<void> {
    const key = callKey(app);
    if (this.calls.has(key)) return;
    const call: Call = { call: app, claimed: false, ended: false };
    this.calls.set(key, call);
    const name = callAppName(app.app);
    const { alwaysStart, ignoreApps } = this.deps.lists();
    if (appListed(app.app, ignoreApps)) return this.deps.log(`calls: ${name} uses the microphone (in earshot.calls.ignoreApps: not offered)`);
    if (this.deps.busy()) return this.deps.log(`calls: ${name} uses the microphone while Earshot records: not offered`);
    call.claimed = await this.deps.claim(app, key);
    if (call.ended) return this.releaseOf(key, call);
    if (!call.claimed) return this.deps.log(`calls: ${name} uses the microphone; another window offers it`);
    if (appListed(app.app, alwaysStart)) return this.deps.start(app, name, 'always');

    const prompt = this.deps.ask(app, name);
    call.offer = { key, call: app, name, prompt };
    const answer = await prompt.answer;
    call.offer = undefined;
    if (answer === 'always') await this.deps.rememberAlways(app.app);
    if (answer !== 'start' && answer !== 'always') return;
    if (call.ended) return this.deps.tooLate(name);
    await this.deps.start(app, name, 'yes');
  }

  private ended(app: CallApp): void {
    const key = callKey(app);
    const call = this.calls.get(key);
    if (!call) return;
    this.calls.delete(key);
    call.ended = true;
    call.offer?.prompt.withdraw();
    this.releaseOf(key, call);
  }

  private releaseOf(key: string, call: Call): void {
    if (!call.claimed) return;
    call.claimed = false;
    this.deps.release(key);
  }
}
