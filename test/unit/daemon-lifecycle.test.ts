/**
 * The daemon's lifecycle in the window (extension/client/daemonLifecycle.ts), with a fake LanguageClient that behaves
 * as vscode-languageclient 10.1.2 does (node_modules/vscode-languageclient/lib/common/client.js):
 * - start() while a start is under way or done returns the same promise (client.js:925 `if (this._onStart !== undefined) return this._onStart`);
 * - stop() while starting throws "Client is not running and can't be stopped" (client.js:1236), and on a client never
 *   started or already stopped does nothing (client.js:1220).
 * The editor suite checks the same on the real LanguageClient and daemon (transcript.test.ts, "overlapping restarts").
 */
import * as assert from 'node:assert/strict';
import { ClientPhase, DaemonLifecycle } from '../../extension/client/daemonLifecycle';

class FakeClient {
  private static next = 1;
  readonly id = FakeClient.next++;
  phase: ClientPhase | 'stopping' = 'stopped';
  /** A daemon process exists from start() until stop() finishes. */
  alive = false;
  private onStart: Promise<void> | undefined;
  private finishStart: (() => void) | undefined;
  private failStart: ((e: Error) => void) | undefined;

  start(): Promise<void> {
    if (this.phase === 'stopping') return Promise.reject(new Error('Client is currently stopping. Can only restart a full stopped client'));
    if (this.onStart) return this.onStart;
    this.phase = 'starting';
    this.alive = true;
    this.onStart = new Promise<void>((resolve, reject) => {
      this.finishStart = () => { this.phase = 'running'; resolve(); };
      this.failStart = (e) => { this.phase = 'stopped'; this.alive = false; this.onStart = undefined; reject(e); };
    });
    return this.onStart;
  }

  /** The daemon answers initialize. */
  answer(): void { this.finishStart?.(); }
  fail(message: string): void { this.failStart?.(new Error(message)); }

  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    if (this.phase !== 'running') throw new Error(`Client is not running and can't be stopped. It's current state is: ${this.phase}`);
    this.phase = 'stopping';
    await new Promise((r) => setImmediate(r));
    this.phase = 'stopped';
    this.alive = false;
    this.onStart = undefined;
  }
}

/** Lets queued promise work run (several turns: the lifecycle chains a few). */
const settle = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };

function lifecycle(autoAnswer = true) {
  const made: FakeClient[] = [];
  const life = new DaemonLifecycle<FakeClient>({
    create: () => { const c = new FakeClient(); made.push(c); return c; },
    start: (c) => { const started = c.start(); if (autoAnswer) setImmediate(() => c.answer()); return started; },
    stop: (c) => c.stop(),
    phase: (c) => (c.phase === 'stopping' ? 'stopped' : c.phase),
  });
  const alive = () => made.filter((c) => c.alive);
  return { life, made, alive };
}

describe('daemon lifecycle: one daemon per window', () => {
  it('starts one daemon for requests that arrive together, and reuses the running one', async () => {
    const { life, made, alive } = lifecycle();
    const [a, b] = await Promise.all([life.started(), life.started()]);
    assert.equal(a, b);
    assert.equal(await life.started(), a);
    assert.equal(made.length, 1);
    assert.deepEqual(alive(), [a]);
  });

  it('restarts asked together are one restart; one asked after it began is another; one daemon runs at the end', async () => {
    const { life, made, alive } = lifecycle();
    const first = await life.started();
    const together = [life.restart(), life.restart(), life.restart()];
    await settle(); // the first has begun: the next one must read the settings again
    const later = life.restart();
    await Promise.all([...together, later]);
    assert.equal(made.length, 3, 'the first daemon, the restart asked three times at once, the one asked after');
    assert.equal(first.alive, false);
    assert.deepEqual(alive(), [made[2]]);
    assert.ok(life.isCurrent(made[2]));
    assert.ok(!life.isCurrent(made[1]) && !life.isCurrent(first), 'events of the replaced daemons are not the window\'s');
  });

  it('a restart while the daemon is still starting lets it finish, then stops it: none is left running unowned', async () => {
    const { life, made, alive } = lifecycle(false);
    const starting = life.started();
    await settle();
    assert.equal(made[0].phase, 'starting');
    const restarted = life.restart();
    await settle();
    assert.equal(made.length, 1, 'nothing new before the starting one is dealt with');
    made[0].answer();
    await starting;
    await settle();
    assert.equal(made[0].alive, false, 'the one that was starting is stopped');
    made[1].answer();
    await restarted;
    assert.deepEqual(alive(), [made[1]]);
  });

  it('the same with LanguageClient itself restarting a crashed daemon when the restart is asked', async () => {
    const { life, made, alive } = lifecycle(false);
    const first = life.started();
    await settle();
    made[0].answer();
    await first;
    // The crash handler returned Restart: LanguageClient starts the same client again (client.js, handleConnectionClosed).
    made[0].phase = 'stopped';
    (made[0] as unknown as { onStart: undefined }).onStart = undefined;
    void made[0].start();
    const restarted = life.restart();
    await settle();
    made[0].answer();
    await settle();
    made[1].answer();
    await restarted;
    assert.deepEqual(alive(), [made[1]]);
  });

  it('a request during a restart waits for the new daemon, never the one being stopped', async () => {
    const { life, made } = lifecycle();
    const first = await life.started();
    const restarted = life.restart();
    const during = life.started();
    await restarted;
    const got = await during;
    assert.notEqual(got, first);
    assert.equal(got, made[1]);
    assert.equal(got.phase, 'running');
  });

  it('a daemon that fails to start is replaced by a new one on the next request', async () => {
    const { life, made } = lifecycle(false);
    const first = life.started();
    await settle();
    made[0].fail('Earshot daemon speaks protocol version 1, this extension speaks 2.');
    await assert.rejects(first, /protocol version/);
    const second = life.started();
    await settle();
    made[1].answer();
    assert.equal(await second, made[1]);
  });

  it('after dispose the daemon is stopped and nothing starts another', async () => {
    const { life, made, alive } = lifecycle();
    await life.started();
    await life.dispose();
    assert.deepEqual(alive(), []);
    await assert.rejects(life.started(), /shutting down/);
    await assert.rejects(life.restart(), /shutting down/);
    assert.equal(made.length, 1);
  });

  describe('reads during a restart', () => {
    /** What vscode-jsonrpc does to requests still owed when the old daemon's connection is disposed (connection.js:1228). */
    const disposedError = () => new Error('Pending response rejected since connection got disposed');

    it('a read in flight when a restart stops its daemon is sent again to the new one, and answered from it', async () => {
      const { life, made } = lifecycle();
      const first = await life.started();
      const askedOf: number[] = [];
      let rejectOld!: (e: Error) => void;
      const reading = life.read((c) => {
        askedOf.push(c.id);
        return c === first ? new Promise<string>((_, reject) => (rejectOld = reject)) : Promise.resolve(`items from ${c.id}`);
      });
      await settle();
      const restarting = life.restart();
      await settle();
      rejectOld(disposedError());
      await restarting;
      assert.equal(await reading, `items from ${made[1].id}`);
      assert.deepEqual(askedOf, [first.id, made[1].id]);
    });

    it('a read that fails on the daemon still running is not sent again: its error is the answer', async () => {
      const { life } = lifecycle();
      let sent = 0;
      await assert.rejects(life.read(async () => { sent++; throw new Error('Invalid params'); }), /Invalid params/);
      assert.equal(sent, 1);
    });

    it('after dispose a read that lost its daemon is not sent again', async () => {
      const { life } = lifecycle();
      await life.started();
      let rejectOld!: (e: Error) => void;
      let sent = 0;
      const reading = life.read(() => { sent++; return new Promise<void>((_, reject) => (rejectOld = reject)); });
      await settle();
      const disposing = life.dispose();
      await settle();
      rejectOld(disposedError());
      await disposing;
      await assert.rejects(reading, /connection got disposed/);
      assert.equal(sent, 1);
    });
  });
});
