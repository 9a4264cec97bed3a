/**
 * The local notes model's host (daemon/understanding/local/host.ts) with a stand-in model process: a small script
 * forked over real IPC that answers as the request's user text says (echo, hang, crash, fail). Covers the queue (one
 * request at a time, in order), cancel (the process killed, a preload's read as a chat's, the next request on a fresh
 * one; a request cancelled while waiting settles at once, never sent), a crash failing the request in flight with a clear retryable error, close and the idle close,
 * lower priority, the thread bounds, and pause/resume (told over the channel: the stand-in's work holds and goes on,
 * idle time and cancel while paused). The real runtime: test/integration/local-model.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalModelHost, localModelThreads, modelPriority, sharesWhisperCores } from '../../daemon/understanding/local/host';
import { localChat } from '../../daemon/understanding/local/localChat';
import { busyMs, contextSizeFor, sequencesFor, threadsFor } from '../../daemon/understanding/local/worker';
import { RefineFailure, SUMMARY_POINT_TOKENS } from '../../daemon/understanding/providers';

/**
 * The stand-in: records each message it got (in a file), answers per the user text. 'slow' works in 15 steps of 10 ms,
 * as the real worker works in batches, each step waiting while the host says hold.
 */
const FAKE_WORKER = `
const fs = require('node:fs');
const log = process.env.FAKE_LOG;
let held = false;
process.on('message', (m) => {
  fs.appendFileSync(log, JSON.stringify({ type: m.type, pid: process.pid, id: m.id, kind: m.kind, user: m.user, threads: m.threads, gpu: m.gpu, schema: !!m.schema, hold: m.hold, maxTokens: m.maxTokens }) + '\\n');
  if (m.type === 'threads') return;
  if (m.type === 'yield') return void (held = m.hold);
  if (m.user === 'hang') return;
  if (m.user === 'crash') process.exit(7);
  if (m.user === 'slow') {
    let steps = 0;
    const step = () => {
      if (!held) steps++;
      if (steps === 15) return process.send({ type: 'answer', id: m.id, text: 'slow done', model: 'fake', promptTokens: 3, answerTokens: 2, ms: 1 });
      setTimeout(step, 10);
    };
    return step();
  }
  if (m.type === 'preload') {
    if (m.user === 'fail') return process.send({ type: 'failed', id: m.id, reason: 'preloading failed: no room', retry: true });
    return setTimeout(() => process.send({ type: 'preloaded', id: m.id, model: 'fake', promptTokens: 3, readTokens: 2, ms: 1 }), 20);
  }
  if (m.user === 'on gpu') return process.send({ type: 'answer', id: m.id, text: 'ok', model: 'fake', promptTokens: 3, answerTokens: 2, ms: 1, loadMs: 5, device: 'vulkan (Fake GPU)' });
  if (m.user === 'fail') return process.send({ type: 'failed', id: m.id, reason: 'the model does not load: bad file', retry: false });
  setTimeout(() => process.send({ type: 'answer', id: m.id, text: 'echo ' + m.user, model: 'fake', promptTokens: 3, answerTokens: 2, ms: 1 }), 20);
});
process.on('disconnect', () => process.exit(0));
`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Waits for `check`, bounded: 30 s, room for a stand-in process to start on a loaded machine (the test's own limit is 120 s). */
async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('local model host (stand-in model process)', () => {
  let dir: string;
  let log: string;
  let host: LocalModelHost | undefined;
  const saved = process.env.FAKE_LOG;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-local-host-'));
    fs.writeFileSync(path.join(dir, 'worker.js'), FAKE_WORKER);
    log = path.join(dir, 'requests.jsonl');
    fs.writeFileSync(log, '');
    process.env.FAKE_LOG = log; // the fork inherits the environment
  });
  afterEach(() => {
    host?.close();
    host = undefined;
    if (saved === undefined) delete process.env.FAKE_LOG;
    else process.env.FAKE_LOG = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const make = (options: { idleMs?: number; threads?: number; gpu?: boolean; whisperThreads?: number } = {}) =>
    (host = new LocalModelHost({ modelPath: '/models/m.gguf', workerPath: path.join(dir, 'worker.js'), ...options }));
  const messages = () => fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; pid: number; id: number; kind?: string; user: string; threads: number; gpu: boolean; schema: boolean; hold?: boolean; maxTokens?: number });
  const requests = () => messages().filter((m) => m.type === 'chat').map(({ type: _t, hold: _h, kind: _k, maxTokens: _m, ...m }) => m);
  const yields = () => messages().filter((m) => m.type === 'yield').map((m) => m.hold);
  const ask = (h: LocalModelHost, user: string, signal = new AbortController().signal) => h.chat({ system: 's', user, maxTokens: 10, schema: { type: 'object' } }, signal);

  it('starts the process on the first request and answers requests one at a time, in order', async () => {
    const h = make({ threads: 1, gpu: false });
    assert.equal(h.pid, undefined, 'no process before a request');
    const answers = await Promise.all(['one', 'two', 'three'].map((u) => ask(h, u)));
    assert.deepEqual(answers.map((a) => a.text), ['echo one', 'echo two', 'echo three']);
    assert.equal(answers[0].model, 'fake');
    const seen = requests();
    assert.deepEqual(seen.map((r) => r.user), ['one', 'two', 'three']);
    assert.equal(new Set(seen.map((r) => r.pid)).size, 1, 'one process for all');
    assert.ok(seen.every((r) => r.threads === 1 && r.gpu === false && r.schema));
    assert.equal(h.started, 1);
  });

  it('runs the process at a lower priority than the daemon', async function () {
    if (process.platform === 'win32') this.skip(); // getPriority reports classes there
    const h = make();
    await ask(h, 'one');
    assert.equal(os.getPriority(h.pid!), modelPriority(os.getPriority()), `model process ${os.getPriority(h.pid!)}, daemon ${os.getPriority()}`);
    assert.ok(os.getPriority(h.pid!) > os.getPriority() || os.getPriority() === 19);
  });

  it('the model\'s priority is ten below the daemon\'s, at most the lowest', () => {
    assert.equal(modelPriority(0), os.constants.priority.PRIORITY_BELOW_NORMAL);
    assert.equal(modelPriority(-10), 0);
    assert.equal(modelPriority(15), 19);
  });

  it('cancel kills the process mid-request; the next request starts a fresh one', async () => {
    const h = make();
    const abort = new AbortController();
    const hanging = ask(h, 'hang', abort.signal);
    await until('the request reached the process', () => requests().length === 1);
    const first = h.pid!;
    abort.abort();
    await assert.rejects(hanging, (e: Error) => e instanceof RefineFailure && e.message === 'cancelled');
    await until('the process is gone', () => !alive(first));
    const next = await ask(h, 'after');
    assert.equal(next.text, 'echo after');
    assert.notEqual(h.pid, first);
    assert.equal(h.started, 2);
  });

  it('a request cancelled while it waits in the queue never reaches the process', async () => {
    const h = make();
    const abort = new AbortController();
    const first = ask(h, 'one');
    const second = ask(h, 'two', abort.signal);
    const third = ask(h, 'three');
    abort.abort();
    await assert.rejects(second, /cancelled/);
    assert.deepEqual([(await first).text, (await third).text], ['echo one', 'echo three']);
    assert.deepEqual(requests().map((r) => r.user), ['one', 'three']);
    assert.equal(h.started, 1, 'the waiting request was dropped without killing anything');
  });

  /** Whether `p` has settled, and how (the bounded waits below poll it rather than hang on it). */
  const watch = <T>(p: Promise<T>) => {
    const state: { settled: boolean; error?: unknown; value?: T } = { settled: false };
    p.then((value) => Object.assign(state, { settled: true, value }), (error: unknown) => Object.assign(state, { settled: true, error }));
    return state;
  };
  /** A preload the stand-in reads until it is killed, under `signal`; resolves once it reached the process. */
  async function preloadInFlight(h: LocalModelHost, signal: AbortSignal) {
    const reading = h.preload({ kind: 'extract', system: 's', user: 'hang', maxTokens: 10 }, signal);
    await until('the preload reached the process', () => messages().some((m) => m.type === 'preload'));
    return { reading, first: h.pid! };
  }

  it('cancel kills the process while it reads a preload (the session\'s signal); the next request starts a fresh one', async () => {
    const h = make();
    const abort = new AbortController();
    const { reading, first } = await preloadInFlight(h, abort.signal);
    abort.abort();
    await until('the process is gone', () => !alive(first));
    assert.equal(await reading, undefined, 'a cancelled preload resolves undefined, as a failed one');
    assert.equal((await ask(h, 'after')).text, 'echo after');
    assert.notEqual(h.pid, first);
    assert.equal(h.started, 2);
  });

  it('a chat queued behind a preload, both cancelled: the chat settles as cancelled without waiting for the preload, and the model process is gone', async () => {
    const h = make();
    const abort = new AbortController();
    const { reading, first } = await preloadInFlight(h, abort.signal);
    const chat = watch(ask(h, 'queued', abort.signal));
    abort.abort();
    await until('the queued chat settled', () => chat.settled);
    assert.ok(chat.error instanceof RefineFailure && chat.error.message === 'cancelled', String(chat.error));
    await until('the process is gone', () => !alive(first));
    assert.equal(await reading, undefined);
    assert.deepEqual(requests(), [], 'the cancelled chat was never sent');
    assert.equal((await ask(h, 'next')).text, 'echo next', 'a fresh process answers');
    assert.equal(h.started, 2);
  });

  it('a request cancelled while another session\'s request is in flight settles at once; the one in flight goes on', async () => {
    const h = make();
    const other = new AbortController();
    const running = watch(ask(h, 'hang', other.signal));
    await until('the request reached the process', () => requests().length === 1);
    const pid = h.pid!;
    const abort = new AbortController();
    const queued = watch(ask(h, 'queued', abort.signal));
    abort.abort();
    await until('the queued chat settled', () => queued.settled);
    assert.ok(queued.error instanceof RefineFailure && queued.error.message === 'cancelled', String(queued.error));
    assert.equal(running.settled, false, 'the request in flight goes on');
    assert.ok(h.pid === pid && alive(pid), 'in the same process');
    other.abort();
    await until('the one in flight cancelled too', () => running.settled);
    assert.deepEqual(requests().map((r) => r.user), ['hang'], 'the cancelled one was never sent');
  });

  it('a process that crashes fails the request in flight with a clear, retryable error; the next request works', async () => {
    const h = make();
    const failure = await ask(h, 'crash').then(() => assert.fail('answered'), (e: unknown) => e);
    assert.ok(failure instanceof RefineFailure);
    assert.equal(failure.message, 'the local model process ended (exit code 7)');
    assert.equal(failure.retry, true);
    assert.equal((await ask(h, 'again')).text, 'echo again');
  });

  it('a process killed from outside fails the request in flight (SIGKILL named), the host survives', async () => {
    const h = make();
    const hanging = ask(h, 'hang');
    await until('the request reached the process', () => requests().length === 1);
    process.kill(h.pid!, 'SIGKILL');
    await assert.rejects(hanging, (e: Error) => e instanceof RefineFailure && /^the local model process ended \((SIGKILL|exit code \d+)\)$/.test(e.message));
    assert.equal((await ask(h, 'again')).text, 'echo again');
  });

  it("the process's own failure is passed on with its reason and retry flag, and the process stays", async () => {
    const h = make();
    const failure = await ask(h, 'fail').then(() => assert.fail('answered'), (e: unknown) => e as RefineFailure);
    assert.equal(failure.message, 'local model: the model does not load: bad file');
    assert.equal(failure.retry, false);
    const pid = h.pid;
    await ask(h, 'next');
    assert.equal(h.pid, pid);
  });

  it('close() ends the process at once; the idle time ends it too', async () => {
    const h = make({ idleMs: 100 });
    await ask(h, 'one');
    const first = h.pid!;
    h.close();
    assert.equal(h.pid, undefined);
    await until('closed process gone', () => !alive(first));
    await ask(h, 'two');
    const second = h.pid!;
    await until('idle process gone', () => !alive(second), 3000);
    assert.equal(h.pid, undefined);
  });

  describe('pause and resume (told over the channel, every platform)', () => {
    const settledWithin = async (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

    it('a paused process holds its work until resumed, then answers as it would have, in the same process', async () => {
      const h = make();
      await ask(h, 'warm');
      const pid = h.pid!;
      const slow = ask(h, 'slow'); // 15 steps of 10 ms
      await until('the request reached the process', () => requests().length === 2);
      h.pause();
      h.pause(); // told once
      assert.equal(h.paused, true);
      await until('told to hold', () => yields().length === 1);
      assert.equal(await settledWithin(slow, 500), false, 'no answer while paused');
      const paused = h.pausedMs();
      assert.ok(paused >= 450, `paused ${paused} ms`);
      h.resume();
      // Read right after resume(), then again after the rest of the work (150 ms and more): equal, whatever the
      // machine's load (a bound on the difference would count the time this process waited between two lines).
      const atResume = h.pausedMs();
      assert.ok(atResume >= paused);
      assert.equal((await slow).text, 'slow done');
      assert.deepEqual(yields(), [true, false]);
      assert.equal(h.pid, pid, 'the same process went on');
      assert.equal(h.pausedMs(), atResume, 'pausedMs stops growing on resume');
    });

    it('a model on a GPU is never held (whisper keeps its cores): pause() does nothing once the process says where it loaded', async () => {
      const h = make();
      assert.equal(h.yieldsToWhisper, true, 'on the CPU until known');
      await ask(h, 'on gpu');
      assert.equal(h.yieldsToWhisper, false);
      h.pause();
      assert.equal(h.paused, false);
      assert.equal(h.pausedMs(), 0, 'no time taken off the call\'s limit');
      assert.equal((await ask(h, 'slow')).text, 'slow done');
      assert.deepEqual(yields(), [], 'never told to hold');
    });

    it('a model on cores whisper leaves it is never held: pause() does nothing; one that would share whisper\'s cores is', async () => {
      const cores = os.availableParallelism();
      const own = make({ whisperThreads: cores - 1 });
      assert.equal(own.threads, 1, 'the core whisper leaves');
      assert.equal(own.yieldsToWhisper, false);
      own.pause();
      assert.equal(own.paused, false);
      assert.equal((await ask(own, 'slow')).text, 'slow done');
      assert.deepEqual(yields(), [], 'never told to hold');
      own.close();
      const sharing = make({ whisperThreads: cores });
      assert.equal(sharing.yieldsToWhisper, true, 'whisper takes every core: the model shares one');
      sharing.useAllCores(true);
      assert.equal(sharing.yieldsToWhisper, false, 'whisper done: nothing to hold for');
      assert.equal(make().yieldsToWhisper, true, 'whisper\'s threads not known: held');
    });

    it('a process started while paused is told to hold before its first request', async () => {
      const h = make();
      h.pause();
      const slow = ask(h, 'slow');
      await until('the request reached the process', () => requests().length === 1);
      assert.deepEqual(messages().map((m) => m.type), ['yield', 'chat'], 'hold first, then the request');
      assert.equal(await settledWithin(slow, 400), false);
      h.resume();
      assert.equal((await slow).text, 'slow done');
    });

    it('paused time is not idle time: the idle close waits for resume', async () => {
      const h = make({ idleMs: 150 });
      await ask(h, 'one');
      const pid = h.pid!;
      h.pause();
      await new Promise((r) => setTimeout(r, 400));
      assert.ok(alive(pid) && h.pid === pid, 'not closed while paused');
      h.resume();
      await until('idle process gone after resume', () => !alive(pid), 3000);
      assert.equal(h.pid, undefined);
    });

    it('cancel and close end a paused process; the next request runs (close lifts the pause)', async () => {
      const h = make();
      const abort = new AbortController();
      const hanging = ask(h, 'hang', abort.signal);
      await until('the request reached the process', () => requests().length === 1);
      const first = h.pid!;
      h.pause();
      abort.abort();
      await assert.rejects(hanging, (e: Error) => e instanceof RefineFailure && e.message === 'cancelled');
      await until('the cancelled paused process is gone', () => !alive(first));
      // Still paused: the fresh process is told to hold, and close() kills it all the same.
      const waiting = ask(h, 'slow');
      await until('a fresh process', () => h.pid !== undefined && h.pid !== first);
      const second = h.pid!;
      h.close();
      await assert.rejects(waiting, /closed/);
      await until('the closed paused process is gone', () => !alive(second));
      assert.equal(h.paused, false, 'close lifts the pause');
      assert.equal((await ask(h, 'three')).text, 'echo three');
    });
  });

  it("each request names its kind (the model's sequence): 'extract' by default and for a chunk, 'summary' for the rolling summary", async () => {
    const h = make();
    await ask(h, 'plain');
    const chat = localChat(h);
    await chat('s', 'chunk', new AbortController().signal, { segmentIds: ['s-1'], itemIds: [], actionItemIds: [], speakers: ['Ann'] });
    await chat('s', 'summary', new AbortController().signal, { summary: { segmentIds: ['s-1'], maxPoints: 10 } });
    assert.deepEqual(messages().filter((m) => m.type === 'chat').map((m) => [m.user, m.kind]), [['plain', 'extract'], ['chunk', 'extract'], ['summary', 'summary']]);
  });

  it("each request caps its answer as its call does (answerTokensFor): a chunk's and a check's at 1,000 tokens, a summary's by the points it may hold", async () => {
    const h = make();
    const chat = localChat(h);
    const signal = new AbortController().signal;
    await chat('s', 'chunk', signal, { segmentIds: ['s-1'], itemIds: [], actionItemIds: [], speakers: ['Ann'] });
    await chat('s', 'rolling', signal, { summary: { segmentIds: ['s-1'], maxPoints: 11 } });
    await chat('s', 'settle', signal, { summary: { segmentIds: ['s-1'], maxPoints: 20 } });
    await chat('s', 'owners', signal, { owners: { itemIds: ['a1'], speakers: ['Ann'] } });
    assert.deepEqual(messages().filter((m) => m.type === 'chat').map((m) => [m.user, m.maxTokens]),
      [['chunk', 1000], ['rolling', 40 + 11 * SUMMARY_POINT_TOKENS], ['settle', 40 + 20 * SUMMARY_POINT_TOKENS], ['owners', 1000]]);
  });

  it('preload: read ahead in the queue with its kind; a newer one of a kind replaces one waiting; a chat drops those waiting; a failure or a crash resolves undefined', async () => {
    const h = make();
    const preload = (user: string, kind: 'extract' | 'summary' = 'extract') => h.preload({ kind, system: 's', user, maxTokens: 10 });
    const first = ask(h, 'slow'); // in flight: the preloads wait behind it
    const replaced = preload('p1');
    const newest = preload('p2');
    const summary = preload('s1', 'summary');
    assert.equal(await newest, undefined, 'the newer preload is read in the turn already queued');
    assert.deepEqual(await replaced, { promptTokens: 3, readTokens: 2, ms: 1 }, 'that turn read the newest');
    assert.deepEqual(await summary, { promptTokens: 3, readTokens: 2, ms: 1 });
    assert.equal((await first).text, 'slow done');
    const sent = () => messages().filter((m) => m.type === 'preload' || m.type === 'chat').map((m) => [m.type, m.user, m.kind]);
    assert.deepEqual(sent(), [['chat', 'slow', 'extract'], ['preload', 'p2', 'extract'], ['preload', 's1', 'summary']]);
    // A chat asked while a preload waits comes first: the preload is dropped (the chat reads what it needs itself).
    const busy = ask(h, 'slow');
    const dropped = preload('p3');
    const chat = ask(h, 'after');
    assert.equal(await dropped, undefined);
    assert.equal((await chat).text, 'echo after');
    await busy;
    assert.equal(sent().some(([, user]) => user === 'p3'), false, 'never sent');
    // Failures never reject: the chat that follows reads the whole prompt, as without a preload.
    assert.equal(await preload('fail'), undefined);
    const pid = h.pid;
    assert.equal(await preload('crash'), undefined);
    assert.equal((await ask(h, 'fine')).text, 'echo fine', 'a fresh process answers');
    assert.notEqual(h.pid, pid);
  });

  it('useAllCores: the live process is told every core (once), later requests carry it; false goes back to the cores less one', async () => {
    const cores = os.availableParallelism();
    const h = make();
    assert.equal(h.threads, Math.max(1, cores - 1));
    h.useAllCores(true); // no process yet: nothing to tell, the first request carries it
    assert.equal(h.threads, cores);
    await ask(h, 'one');
    h.useAllCores(false);
    h.useAllCores(false);
    await ask(h, 'two');
    h.useAllCores(true);
    await ask(h, 'three');
    const seen = messages().filter((m) => m.type !== 'yield').map((m) => [m.type, m.user ?? null, m.threads]);
    assert.deepEqual(seen, [['chat', 'one', cores], ['threads', null, Math.max(1, cores - 1)], ['chat', 'two', Math.max(1, cores - 1)], ['threads', null, cores], ['chat', 'three', cores]]);
    h.close();
    // A number of threads given stays the most, whisper done or not.
    const one = make({ threads: 1 });
    one.useAllCores(true);
    assert.equal(one.threads, 1);
  });

  it('threads: what was asked, within 1 and the cores whisper leaves, by default the cores less one (all the cores once whisper is done)', () => {
    assert.equal(localModelThreads(undefined, 8, false, 4), 4);
    assert.equal(localModelThreads(undefined, 8, false, 8), 1, 'at least one');
    assert.equal(localModelThreads(undefined, 8, true, 4), 8, 'whisper done');
    assert.equal(localModelThreads(6, 8, false, 4), 4);
    assert.equal(localModelThreads(undefined, 8, true), 8);
    assert.equal(localModelThreads(undefined, 2, true), 2);
    assert.equal(localModelThreads(undefined, 1, true), 1);
    assert.equal(localModelThreads(4, 8, true), 4);
    assert.equal(localModelThreads(16, 8, true), 8);
    assert.equal(localModelThreads(undefined, 8), 7);
    assert.equal(localModelThreads(undefined, 2), 1);
    assert.equal(localModelThreads(undefined, 1), 1);
    assert.equal(localModelThreads(4, 8), 4);
    assert.equal(localModelThreads(16, 8), 7);
    assert.equal(localModelThreads(0, 8), 7);
  });

  it('shares whisper\'s cores: when the two threads\' counts are more than the cores, or whisper\'s are not known', () => {
    assert.equal(sharesWhisperCores(1, 1, 2), false, '2 cores, the daemon\'s defaults (whisper: the cores less one)');
    assert.equal(sharesWhisperCores(1, 7, 8), false);
    assert.equal(sharesWhisperCores(1, 2, 2), true, 'whisper on both cores of two');
    assert.equal(sharesWhisperCores(4, 7, 8), true);
    assert.equal(sharesWhisperCores(1, undefined, 8), true);
  });

  it("the model's context per sequence: what a request needs, in steps of 1,024, at least 4,096, at most 12,288 or the model's own", () => {
    assert.equal(contextSizeFor(100, 32768), 4096);
    assert.equal(contextSizeFor(3200, 32768), 4096, 'a default chunk (~2,100 prompt + 1,000 answer tokens)');
    assert.equal(contextSizeFor(4097, 32768), 5120);
    assert.equal(contextSizeFor(8193, 32768), 9216);
    // The longest recorded settle of v11 (9,027 prompt tokens of Qwen2's tokenizer) with a 20-point answer's cap.
    assert.equal(contextSizeFor(9027 + 40 + 20 * SUMMARY_POINT_TOKENS + 64, 32768), 12288);
    assert.equal(contextSizeFor(12288, 32768), 12288);
    assert.equal(contextSizeFor(12289, 32768), undefined, 'too long: the request fails with a clear reason');
    assert.equal(contextSizeFor(9000, 8192), undefined, 'a model trained on 8,192: its own bound');
    // Past 8,192 the kinds share one sequence: never more KV cells than two sequences of 8,192.
    assert.deepEqual([4096, 8192, 9216, 12288].map((size) => [size, sequencesFor(size), size * sequencesFor(size) <= 2 * 8192]),
      [[4096, 2, true], [8192, 2, true], [9216, 1, true], [12288, 1, true]]);
    assert.equal(contextSizeFor(1000, 2048), 2048, "a model trained on less: its own");
    assert.equal(contextSizeFor(3000, 2048), undefined);
  });

  it("the machine's busy time from os.cpus() per platform, as libuv fills it (Windows' interrupt time is in its kernel time)", () => {
    const times = (t: Partial<os.CpuInfo['times']>) => ({ times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0, ...t } });
    // Linux (libuv src/unix/linux.c): user, nice, sys, idle, irq are /proc/stat's own columns: all but idle are busy.
    assert.equal(busyMs([times({ user: 100, nice: 5, sys: 20, idle: 900, irq: 3 }), times({ user: 50, idle: 950 })], 'linux'), 178);
    // macOS (src/unix/darwin.c uv_cpu_info): user, nice, sys, idle from host_processor_info's ticks; irq = 0.
    assert.equal(busyMs([times({ user: 100, nice: 5, sys: 20, idle: 900 })], 'darwin'), 125);
    // Windows (src/win/util.c uv_cpu_info): sys = (KernelTime - IdleTime) / 10000, irq = InterruptTime / 10000, nice = 0:
    // the interrupts are kernel time, already in sys.
    assert.equal(busyMs([times({ user: 100, sys: 30, idle: 900, irq: 10 })], 'win32'), 130);
  });

  it('the threads the model runs with: those allowed, less a core for each other processes keep busy (from a quarter core on)', () => {
    assert.equal(threadsFor(2, 2, 0), 2, 'an idle 2-core machine at stop: both');
    assert.equal(threadsFor(2, 2, 0.2), 2, 'a little noise: both');
    assert.equal(threadsFor(2, 2, 0.5), 1, 'another process on a core: one (ggml threads wait for each other)');
    assert.equal(threadsFor(2, 2, 1.9), 1, 'never fewer than one');
    assert.equal(threadsFor(1, 2, 0), 1, 'a meeting: the cores less one, whatever is idle');
    assert.equal(threadsFor(8, 8, 1.1), 7);
    assert.equal(threadsFor(8, 8, 1.3), 6);
    assert.equal(threadsFor(4, 8, 1.1), 4, 'idle cores enough for those allowed');
  });
});
