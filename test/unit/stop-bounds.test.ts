/**
 * Nothing sticks (issue 54; security review 2, S4): a recorder that never closes once asked to end, a source whose
 * frames never end, are given up on within their bounds, told as faults, and the session still reaches DONE with its
 * lock released. The processes here are stand-ins that ignore every signal (as a process stuck in the kernel, or the
 * capture app's stand-in whose own end failed, would).
 */
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { SessionStateParams } from '../../protocol/protocol';
import { TIMED_OUT, within } from '../../protocol/bounded';
import { CaptureStatus } from '../../daemon/capture/captureStatus';
import { LiveSource } from '../../daemon/capture/live';
import { RecorderProcess, RunningRecorder } from '../../daemon/capture/runningRecorder';
import { AudioFrame, AudioSource } from '../../daemon/capture/source';
import { Session, SessionConfig } from '../../daemon/session/session';
import { EnergyDetector } from '../../daemon/vad/energy';
import { startCapture } from '../support/capture';
import { FakeDecoder } from './fakes';

/** A recorder process that takes every signal and never exits. */
class DeafProcess extends EventEmitter implements RecorderProcess {
  readonly pid = 424242;
  readonly exitCode = null;
  readonly signalCode = null;
  readonly stderr = new PassThrough();
  readonly signals: NodeJS.Signals[] = [];
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    return true;
  }
}

function deafRecorder(limitMs: number): { recorder: RunningRecorder; child: DeafProcess } {
  const child = new DeafProcess();
  const recorder = new RunningRecorder({ recorder: 'deaf', command: 'deaf', args: [], device: 'default' }, child, new PassThrough(), limitMs);
  return { recorder, child };
}

/** Fails instead of hanging: `work` must settle within `ms`. */
async function settles<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  const result = await within(work, ms);
  if (result === TIMED_OUT) assert.fail(`${what} did not settle within ${ms} ms`);
  return result;
}

describe('stop bounds: a recorder that never ends', function () {
  this.timeout(20_000);

  it("a launcher's pid is not the one to end: the capture app's own pid once found, else none (review of issue 54)", async () => {
    // CaptureAppProcess: `pid` is open's, which launchd's app outlives; `recordingPid` the app's, found with lsof.
    class LaunchedApp extends DeafProcess {
      constructor(readonly recordingPid: number | undefined) { super(); }
    }
    for (const [recordingPid, expected] of [[5200, /\(pid 5200\).*kill -9 5200`/], [undefined, /^The recorder "app" did not end.*with `kill`\.$/]] as const) {
      const recorder = new RunningRecorder({ recorder: 'app', command: 'open', args: [], device: 'default' }, new LaunchedApp(recordingPid), new PassThrough(), 300);
      const end = await settles(recorder.stop(), 8000, 'stop()');
      assert.match(end.fault!.message, expected);
      assert.doesNotMatch(end.fault!.message, /424242/, "open's pid is never named");
    }
  });

  it('RunningRecorder.stop() asks SIGTERM then SIGKILL, then gives up at its bound: `ended` carries the fault', async () => {
    const { recorder, child } = deafRecorder(1500);
    const end = await settles(recorder.stop(), 8000, 'stop()');
    assert.deepEqual(child.signals, ['SIGTERM', 'SIGKILL']);
    assert.equal(end.unended, true);
    assert.equal(end.requested, true);
    assert.equal(end.fault?.reason, 'recorder-exited');
    assert.match(end.fault!.message, /The recorder "deaf" \(pid 424242\) did not end within 1\.5 s of being stopped\. .*may still be running.*kill -9 424242/);
    assert.equal(recorder.running, false);
    assert.equal(await recorder.ended, end, 'stop() and ended agree');
  });

  it('kill() has the same bound (a recorder ended for a fault)', async () => {
    const { recorder } = deafRecorder(200);
    recorder.kill();
    const end = await settles(recorder.ended, 8000, 'ended');
    assert.equal(end.unended, true);
    assert.equal(end.requested, false);
  });

  it('one restarted for a stall that never ends: the fault says so (not just "restarted"), and the next one starts', async () => {
    let launches = 0;
    const run = startCapture(new LiveSource({
      kind: 'mic', platform: 'linux', firstDataMs: 100, stallMs: 100, stallRestartMs: 300, backoff: { initialMs: 10, maxMs: 10 },
      launcher: { recorder: 'deaf', launch: async () => { launches++; return deafRecorder(300).recorder; } },
    }));
    try {
      const failed = await run.waitForStatus('failed', 0, 10_000);
      assert.match(failed.message ?? '', /The recorder "deaf" \(pid 424242\) did not end within 0\.3 s of being stopped/);
      await run.waitFor(() => launches >= 2, 'the next recorder', 10_000);
    } finally {
      await settles(run.stop(), 10_000, 'the capture run');
    }
    assert.equal(run.errors.length, 1, 'the last one, stopped at the end, did not end either: frames() ends with it');
    assert.match(String(run.errors[0]), /did not end within 0\.3 s/);
  });

  it('a session whose recorder never ends stops within the bound, told as a fault, and its lock is released', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-stop-bounds-'));
    try {
      const statuses: CaptureStatus[] = [];
      const source = new LiveSource({
        kind: 'system', platform: 'linux',
        launcher: { recorder: 'deaf', launch: async () => deafRecorder(300).recorder },
      });
      source.onStatus((s) => statuses.push(s));
      const states: SessionStateParams[] = [];
      let unlocked = 0;
      const session = await Session.start(sessionConfig(dir, [source], { unlock: async () => { unlocked++; } }), {
        transcript: () => undefined, actionItem: () => undefined, decision: () => undefined, state: (s) => states.push(s),
      });
      const started = performance.now();
      await settles(session.stop(), 10_000, "the session's stop");
      const done = states.find((s) => s.state === 'done');
      assert.ok(done, 'DONE was announced');
      assert.match(done.error ?? '', /The recorder "deaf" \(pid 424242\) did not end within 0\.3 s of being stopped/);
      assert.equal(unlocked, 1, 'the lock is released');
      assert.equal(statuses.at(-1)?.state, 'failed', 'the source ends failed, with the fault');
      assert.match(statuses.at(-1)?.message ?? '', /did not end within 0\.3 s/);
      assert.ok(performance.now() - started < 10_000);
      await settles(session.done(), 1000, 'done()');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stop bounds: a source whose frames never end', function () {
  this.timeout(20_000);

  it('Stop gives up on it after stopLimitMs: DONE with the error, journal ended, lock released, done() settles', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-stop-bounds-'));
    try {
      /** Ignores the abort: its next frame never comes. */
      const stuck: AudioSource = {
        kind: 'mic', speaker: 'You',
        async *frames(): AsyncGenerator<AudioFrame> { await new Promise(() => undefined); },
      };
      const states: SessionStateParams[] = [];
      let unlocked = 0;
      const config = sessionConfig(dir, [stuck], { unlock: async () => { unlocked++; }, stopLimitMs: 400 });
      const session = await Session.start(config, {
        transcript: () => undefined, actionItem: () => undefined, decision: () => undefined, state: (s) => states.push(s),
      });
      await settles(session.stop(), 10_000, "the session's stop");
      await settles(session.done(), 1000, 'done()');
      const done = states.find((s) => s.state === 'done');
      assert.match(done?.error ?? '', /Capture or recognition did not end within 0\.4 s of Stop: the notes hold what was journaled until then\./);
      assert.equal(unlocked, 1);
      const records = fs.readFileSync(config.journalPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; error?: string });
      assert.equal(records.at(-1)?.type, 'end');
      assert.match(records.at(-1)?.error ?? '', /did not end within 0\.4 s/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function sessionConfig(dir: string, sources: AudioSource[], extra: Partial<SessionConfig>): SessionConfig {
  return {
    sessionId: 'stuck', title: 'Stuck', language: 'en', startedAt: new Date(), sources,
    journalPath: path.join(dir, 'sessions', 'stuck.jsonl'), notesPath: path.join(dir, 'notes', 'stuck.md'),
    decoder: new FakeDecoder(), createDetector: () => new EnergyDetector(), ...extra,
  };
}
