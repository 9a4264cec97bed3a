/**
 * One daemon per window: starting, restarting and stopping it happen one at a time, in the order asked.
 *
 * Restarts come from several places at once (each changed setting, the trust prompt, the Restart command, the crash
 * dialog). LanguageClient cannot stop a client that is still starting: its `shutdown` throws "Client is not running
 * and can't be stopped" while the state is Starting (vscode-languageclient 10.1.2, lib/common/client.js, shutdown()).
 * Two overlapping restarts therefore left the first new daemon running, unowned: its later exit was reported as a
 * crash and "resumed" a session over the daemon that held the next one (seen in CI). Here every change waits for the
 * one before, a client still starting is let finish before it is stopped, and restarts asked while one waits to begin
 * are that one restart (it reads the settings when it begins, so none of their changes is lost).
 */

/** Where a client is: answering requests, starting (its first start, or LanguageClient's own restart after a crash), or gone. */
export type ClientPhase = 'running' | 'starting' | 'stopped';

export interface LifecycleHooks<C> {
  /** A new client, not started: the current one from now on. */
  create(): C;
  /** Starts it and checks it speaks our protocol; rejects (having stopped it) when it cannot run. */
  start(client: C): Promise<void>;
  stop(client: C): Promise<void>;
  phase(client: C): ClientPhase;
}

export class DaemonLifecycle<C> {
  private current: C | undefined;
  /** The last change asked for: the next one starts after it settles. */
  private queue: Promise<unknown> = Promise.resolve();
  /** A restart asked for that has not begun: later asks join it. */
  private waitingRestart: Promise<void> | undefined;
  /** Changes asked for and not yet settled: while there are any, a request waits for them (for the new daemon). */
  private pending = 0;
  private stopping = false;

  constructor(private readonly hooks: LifecycleHooks<C>) {}

  /** The client events should be taken from; an earlier one (being stopped, or left over) is not it. */
  get client(): C | undefined {
    return this.current;
  }

  isCurrent(client: C): boolean {
    return client === this.current;
  }

  /** dispose() was called: nothing starts a daemon any more. */
  get disposed(): boolean {
    return this.stopping;
  }

  /** The running client, starting one (after whatever change is under way) when none runs. */
  started(): Promise<C> {
    const current = this.current;
    if (this.pending === 0 && current !== undefined && this.hooks.phase(current) === 'running') return Promise.resolve(current);
    return this.serially(() => this.ensure());
  }

  /**
   * Sends a request that only reads (safe to send twice) to the running daemon. When the daemon it went to was
   * stopped or replaced before it answered (a restart: LanguageClient rejects it "Pending response rejected since
   * connection got disposed"), it goes once more to the new daemon, so a view refreshing during a restart waits for
   * it instead of showing that error. A request that changes something is never sent twice: callers use started().
   */
  async read<T>(send: (client: C) => Promise<T>): Promise<T> {
    const client = await this.started();
    try {
      return await send(client);
    } catch (e) {
      const replaced = !this.isCurrent(client) || this.pending > 0 || this.hooks.phase(client) !== 'running';
      if (!replaced || this.stopping) throw e;
      return send(await this.started());
    }
  }

  /** Stops the daemon (it finalizes an open session first) and starts a fresh one with the settings of now. */
  restart(): Promise<void> {
    if (this.waitingRestart) return this.waitingRestart;
    const restart = this.serially(async () => {
      this.waitingRestart = undefined;
      await this.stopCurrent();
      await this.ensure();
    });
    this.waitingRestart = restart;
    return restart;
  }

  /** Stops the daemon for good: later asks to start one are refused. */
  dispose(): Promise<void> {
    this.stopping = true;
    return this.serially(() => this.stopCurrent());
  }

  private async ensure(): Promise<C> {
    if (this.stopping) throw new Error('Earshot is shutting down.');
    const current = this.current;
    const phase = current === undefined ? 'stopped' : this.hooks.phase(current);
    if (phase === 'running') return current!;
    if (phase === 'starting') {
      await this.hooks.start(current!); // joins a start under way (LanguageClient's own, after a crash)
      return current!;
    }
    const client = this.hooks.create();
    this.current = client;
    await this.hooks.start(client);
    return client;
  }

  private async stopCurrent(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    if (old === undefined) return;
    // A start under way is let finish: a starting client cannot be stopped, and would run on unowned.
    if (this.hooks.phase(old) === 'starting') await this.hooks.start(old).catch(() => undefined);
    await this.hooks.stop(old).catch(() => undefined);
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.queue.then(work).finally(() => { this.pending--; });
    this.queue = result.catch(() => undefined);
    return result;
  }
}
