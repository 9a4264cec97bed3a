/**
 * Auto-stop end to end (issue 58's Done-when): the real daemon over JSON-RPC on a real (private, headless) PulseAudio
 * server, real Silero VAD, real whisper on the generated mini model. A fake call app (parec recording the virtual
 * microphone as client "zoom") is offered through earshot/calls/changed; the client says yes (a meeting with autoStop
 * for that app and pid); espeak-ng speech plays into the microphone so the meeting has a transcript; the app ends, the
 * call audio is silent, and earshot/session/autoStop goes 'silent' → 'countdown' → 'stopped' and the notes are written
 * with the segments. Also: speech during the countdown sends it back to 'watching', AutoStopCancel cancels it, and a
 * detection fault (pactl failing, through a wrapper first on the daemon's PATH) never stops the meeting.
 *
 * PipeWire is not installed on this machine (no `pipewire`, no `pw-cli`): pipewire-pulse answers pactl the same way
 * (docs/calls.md), but that is not run here.
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AutoStopCancel, AutoStopNotification, AutoStopStateParams, CallsChangedNotification, CallsChangedParams, CallsWatch, PROTOCOL_VERSION, SessionResume, SessionStart, SessionStop,
  SourceStatusNotification, SourceStatusParams,
} from '../../protocol/protocol';
import { readJournal, segmentsOf } from '../../daemon/journal/journal';
import { AUTO_STOP_REASONS } from '../../daemon/session/autoStop';
import { within } from '../../protocol/bounded';
import { DAEMON_BIN, miniModel, REPO_ROOT } from '../setup';
import { FakeCallApps } from '../support/fake-call-app';
import { PulseServer, startPulse } from '../support/pulse';
import { speechWav } from '../support/speech';
import { connectDaemon, RpcClient, runEarshot } from './daemon-process';

describe('auto-stop of a meeting started for a call, on a real PulseAudio (real daemon)', function () {
  this.timeout(240_000);
  let pulse: PulseServer;
  let dir: string;
  let speech: string;
  let client: RpcClient;
  /** While this file exists, the daemon's `pactl … source-outputs` fails (the wrapper below). */
  let faultFlag: string;
  /** One line per source-outputs query the daemon made: its time in ms. */
  let queryLog: string;
  /** `<inFlight>.<pid>` exists while a sources query that found the fault flag unset runs. */
  let inFlight: string;
  let apps: FakeCallApps;
  const autoStops: AutoStopStateParams[] = [];
  const calls: CallsChangedParams[] = [];
  const statuses: SourceStatusParams[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-auto-stop-'));
    speech = speechWav(dir, 'speech', 'en-us+m3', 'Let us ship the release on Friday and write the notes.');
    pulse = await startPulse();
    apps = new FakeCallApps(pulse.env);
    const real = spawnSync('sh', ['-c', 'command -v pactl'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(real, 'pactl is not installed');
    faultFlag = path.join(dir, 'fail-pactl');
    queryLog = path.join(dir, 'pactl-queries');
    inFlight = path.join(dir, 'pactl-in-flight');
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'pactl'), [
      '#!/bin/sh',
      'case "$*" in *source-outputs*)',
      `  date +%s%3N >> '${queryLog}'`,
      // Marked in flight before the flag is read: a query that read it unset may still list the sources after the flag
      // is set (a loaded machine), so the test waits for these to end before it changes what pactl would list.
      `  touch '${inFlight}'.$$`,
      `  if [ -e '${faultFlag}' ]; then rm -f '${inFlight}'.$$; echo "Connection failure: Connection refused" >&2; exit 1; fi`,
      `  '${real}' "$@"; rc=$?; rm -f '${inFlight}'.$$; exit $rc;;`,
      'esac',
      `exec '${real}' "$@"`,
    ].join('\n'), { mode: 0o755 });
    client = connectDaemon({ ...pulse.env, PATH: `${bin}:${process.env.PATH}`, EARSHOT_MODEL: undefined });
    client.connection.onNotification(AutoStopNotification, (s) => { autoStops.push(s); });
    client.connection.onNotification(CallsChangedNotification, (c) => { calls.push(c); });
    client.connection.onNotification(SourceStatusNotification, (s) => { statuses.push(s); });
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 });
  });

  afterEach(async () => {
    fs.rmSync(faultFlag, { force: true });
    await apps?.endAll();
  });

  after(async () => {
    const code = await client?.dispose();
    await pulse?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
  });

  const statesOf = (sessionId: string) => autoStops.filter((s) => s.sessionId === sessionId);
  const lastOf = (sessionId: string) => statesOf(sessionId).at(-1);
  const waitState = (sessionId: string, state: AutoStopStateParams['state'], after = 0, timeoutMs = 30_000) =>
    client.waitFor(`auto-stop '${state}'`, () => statesOf(sessionId).slice(after).find((s) => s.state === state), timeoutMs);
  const finals = (sessionId: string) => client.transcripts.filter((t) => t.sessionId === sessionId && t.final && t.text);

  /** The offer (calls/changed naming the app), then the yes: a meeting with auto-stop for that app and pid. */
  async function meetingForCall(app: ChildProcess, silenceSec: number, countdownSec: number): Promise<string> {
    const offer = await client.waitFor('the offer: calls/changed naming zoom', () => calls.find((c) => c.started.some((a) => a.app === 'zoom' && a.pid === app.pid)), 15_000);
    const call = offer.started.find((a) => a.pid === app.pid)!;
    const { sessionId } = await client.connection.sendRequest(SessionStart, {
      sources: ['mic', 'system'], title: 'Call with zoom', autoStop: { app: call.app, pid: call.pid, silenceSec, countdownSec },
    });
    await client.waitFor('the mic capturing', () => statuses.some((s) => s.sessionId === sessionId && s.source === 'mic' && s.state === 'capturing'), 30_000);
    assert.deepEqual(statesOf(sessionId).map((s) => [s.app, s.state, s.reason]), [['zoom', 'watching', AUTO_STOP_REASONS.started]]);
    return sessionId;
  }

  async function speak(sessionId: string): Promise<void> {
    const before = finals(sessionId).length;
    await pulse.playToMic(speech);
    await client.waitFor('a final of the speech', () => finals(sessionId).length > before, 60_000);
  }

  it('the offer, the yes, speech, the app ends, silence: silent → countdown → stopped, and the notes hold the segments', async () => {
    await client.connection.sendRequest(CallsWatch, { on: true, intervalMs: 1000 });
    const app = apps.start();
    const sessionId = await meetingForCall(app, 5, 3);
    await speak(sessionId);
    assert.equal(lastOf(sessionId)?.state, 'watching', 'the app still records: no countdown');
    const endedAt = performance.now();
    await apps.end(app);
    const silent = await waitState(sessionId, 'silent');
    assert.equal(silent.reason, AUTO_STOP_REASONS.appReleased);
    const countdown = await waitState(sessionId, 'countdown');
    assert.ok(performance.now() - endedAt >= 5000, 'the countdown comes after silenceSec of silence');
    const stopsAt = Date.parse(countdown.stopsAt!);
    assert.ok(Math.abs(stopsAt - (Date.now() + 3000)) < 2000, countdown.stopsAt);
    const stopped = await waitState(sessionId, 'stopped');
    assert.equal(stopped.reason, AUTO_STOP_REASONS.stopped);
    assert.deepEqual(statesOf(sessionId).map((s) => s.state), ['watching', 'silent', 'countdown', 'stopped']);
    await client.sessionDone(sessionId, 60_000);

    // Stopped as earshot/session/stop stops: the journal ended, the notes written with every final it had.
    const journal = await readJournal(path.join(dir, 'storage', 'sessions', `${sessionId}.jsonl`));
    assert.deepEqual(journal.header.autoStop, { app: 'zoom', pid: app.pid, silenceSec: 5, countdownSec: 3 });
    assert.ok(journal.records.some((r) => r.type === 'end' && !r.error), 'the journal ends without an error');
    const segments = segmentsOf(journal.records);
    assert.ok(segments.length > 0);
    assert.deepEqual(segments.map((s) => s.segmentId), finals(sessionId).map((f) => f.segmentId));
    const notesPath = client.states.find((s) => s.sessionId === sessionId && s.state === 'done')!.notesPath;
    const notes = fs.readFileSync(notesPath, 'utf8');
    for (const s of segments) assert.ok(notes.includes(s.text), `the notes miss "${s.text}"`);
    // The stop result answers again, as for any stopped session.
    const again = await client.connection.sendRequest(SessionStop, { sessionId });
    assert.equal(again.segments.length, segments.length);
    await client.connection.sendRequest(CallsWatch, { on: false });
  });

  it('speech during the countdown sends it back to watching; AutoStopCancel cancels it and the meeting runs on', async () => {
    await client.connection.sendRequest(CallsWatch, { on: true, intervalMs: 1000 });
    const app = apps.start();
    const sessionId = await meetingForCall(app, 5, 60);
    await apps.end(app);
    await waitState(sessionId, 'countdown');
    const at = statesOf(sessionId).length;
    await pulse.playToMic(speech);
    const back = await waitState(sessionId, 'watching', at);
    assert.equal(back.reason, AUTO_STOP_REASONS.speech);
    // When the speech ends, the silence starts over.
    const silent = await waitState(sessionId, 'silent', at);
    assert.equal(silent.reason, AUTO_STOP_REASONS.speechEnded);

    assert.deepEqual(await client.connection.sendRequest(AutoStopCancel, { sessionId }), { cancelled: true });
    const cancelled = await waitState(sessionId, 'cancelled', at);
    assert.equal(cancelled.reason, AUTO_STOP_REASONS.cancelled);
    assert.deepEqual(await client.connection.sendRequest(AutoStopCancel, { sessionId }), { cancelled: false }, 'nothing left to cancel');
    // The meeting runs on past when silence and the countdown would have stopped it: more speech is transcribed.
    await speak(sessionId);
    assert.equal(lastOf(sessionId)?.state, 'cancelled');
    assert.equal(client.states.filter((s) => s.sessionId === sessionId).at(-1)?.state, 'streaming');
    const stopped = await client.connection.sendRequest(SessionStop, { sessionId });
    assert.ok(stopped.segments.length >= 2);
    assert.equal(lastOf(sessionId)?.state, 'cancelled', 'a stop by hand is not told as an auto-stop');
    const journal = await readJournal(path.join(dir, 'storage', 'sessions', `${sessionId}.jsonl`));
    assert.equal(journal.records.filter((r) => r.type === 'autoStop').length, 1, 'the cancel is journaled');
    await client.connection.sendRequest(CallsWatch, { on: false });
  });

  it('a fault in detection never stops the meeting; once detection answers again, the silence counts', async () => {
    await client.connection.sendRequest(CallsWatch, { on: true, intervalMs: 1000 });
    const app = apps.start();
    const sessionId = await meetingForCall(app, 5, 3);
    // From here only the meeting's auto-stop asks pactl.
    await client.connection.sendRequest(CallsWatch, { on: false });
    fs.writeFileSync(faultFlag, '');
    // A query that read the flag unset must not list the sources after the app's stream is gone.
    await client.waitFor('the queries begun before the fault ended', () => !fs.readdirSync(dir).some((f) => f.startsWith('pactl-in-flight.')), 30_000);
    // The app's stream goes: PulseAudio's event has the daemon look, and pactl fails.
    await apps.end(app);
    const endedAt = Date.now();
    const fault = await waitState(sessionId, 'watching', 1);
    assert.equal(fault.reason, AUTO_STOP_REASONS.fault);
    // While detection fails the daemon asks every 3 s: wait for a failed query later than silence and countdown
    // together after the app ended.
    const queries = () => fs.readFileSync(queryLog, 'utf8').trim().split('\n').map(Number);
    await client.waitFor('a failed query past silenceSec + countdownSec', () => queries().some((t) => t - endedAt > 8_000), 30_000);
    assert.deepEqual(statesOf(sessionId).map((s) => [s.state, s.reason]), [['watching', AUTO_STOP_REASONS.started], ['watching', AUTO_STOP_REASONS.fault]]);
    assert.equal(client.states.filter((s) => s.sessionId === sessionId).at(-1)?.state, 'streaming');

    fs.rmSync(faultFlag);
    const silent = await waitState(sessionId, 'silent');
    assert.equal(silent.reason, AUTO_STOP_REASONS.appReleased);
    await waitState(sessionId, 'stopped');
    await client.sessionDone(sessionId, 60_000);
  });

  it('a meeting resumed after its daemon died watches its call again; a cancelled one stays cancelled', async () => {
    const storageDir = path.join(dir, 'resume-storage');
    const daemon = async () => {
      const c = connectDaemon({ ...pulse.env, EARSHOT_MODEL: undefined });
      const told: AutoStopStateParams[] = [];
      c.connection.onNotification(AutoStopNotification, (s) => { told.push(s); });
      await c.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir, notesDir: path.join(dir, 'resume-notes'), modelPath: miniModel(), threads: 1 });
      return { c, told };
    };
    const crash = async (c: RpcClient) => {
      const exited = once(c.daemon.child, 'exit');
      c.daemon.child.kill('SIGKILL');
      await exited;
      c.connection.dispose();
    };
    const app = apps.start();
    await client.waitFor('zoom on the server', () => pulse.pactl('list', 'source-outputs').includes('"zoom"'), 15_000);

    // Watching when the daemon dies: the next daemon resumes it watching.
    const first = await daemon();
    const watched = await first.c.connection.sendRequest(SessionStart, { sources: ['mic'], autoStop: { app: 'zoom', pid: app.pid, silenceSec: 5, countdownSec: 3 } });
    await first.c.waitFor('watching', () => first.told.find((s) => s.state === 'watching'));
    await crash(first.c);
    const second = await daemon();
    await second.c.connection.sendRequest(SessionResume, { sessionId: watched.sessionId });
    const resumed = await second.c.waitFor('watching again', () => second.told.find((s) => s.sessionId === watched.sessionId));
    assert.deepEqual([resumed.state, resumed.reason, resumed.app], ['watching', AUTO_STOP_REASONS.resumed, 'zoom']);

    // Cancelled when the daemon dies: resumed cancelled, nothing watched.
    await second.c.connection.sendRequest(SessionStop, { sessionId: watched.sessionId });
    const cancelledOne = await second.c.connection.sendRequest(SessionStart, { sources: ['mic'], autoStop: { app: 'zoom', pid: app.pid, silenceSec: 5, countdownSec: 3 } });
    assert.deepEqual(await second.c.connection.sendRequest(AutoStopCancel, { sessionId: cancelledOne.sessionId }), { cancelled: true });
    await crash(second.c);
    const third = await daemon();
    try {
      await third.c.connection.sendRequest(SessionResume, { sessionId: cancelledOne.sessionId });
      const again = await third.c.waitFor('its state', () => third.told.find((s) => s.sessionId === cancelledOne.sessionId));
      assert.deepEqual([again.state, again.reason], ['cancelled', AUTO_STOP_REASONS.cancelled]);
      assert.deepEqual(await third.c.connection.sendRequest(AutoStopCancel, { sessionId: cancelledOne.sessionId }), { cancelled: false });
      // The call ends: a cancelled auto-stop does not count the silence (it would go 'silent' within a look).
      await apps.end(app);
      await third.c.waitFor('zoom gone from the server', () => !pulse.pactl('list', 'source-outputs').includes('"zoom"'), 15_000);
      await pulse.playToMic(speech);
      await third.c.waitFor('a final after the call ended', () => third.c.transcripts.some((t) => t.sessionId === cancelledOne.sessionId && t.final && t.text), 60_000);
      assert.deepEqual(third.told.filter((s) => s.sessionId === cancelledOne.sessionId).map((s) => s.state), ['cancelled']);
      await third.c.connection.sendRequest(SessionStop, { sessionId: cancelledOne.sessionId });
    } finally {
      assert.equal(await third.c.dispose(), 0, third.c.daemon.stderr().slice(-1500));
    }
  });

  describe('`earshot listen --stop-when-call-ends APP`', () => {
    const cliEnv = () => ({ ...pulse.env, EARSHOT_STORAGE: path.join(dir, 'cli-storage'), EARSHOT_OFFLINE: '1' });

    it('refuses an app that is not using the microphone, naming those that are', async () => {
      const app = apps.start('teams');
      await client.waitFor('teams on the server', () => pulse.pactl('list', 'source-outputs').includes('"teams"'), 15_000);
      const run = await runEarshot(['listen', '--source', 'mic', '--model', miniModel(), '--stop-when-call-ends', 'zoom'], cliEnv());
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /--stop-when-call-ends: zoom is not using the microphone now \(apps that are: teams;/);
      await apps.end(app);
    });

    it('stops once the call ended and its audio was silent (30 s, then the 15 s countdown), and writes the notes', async () => {
      const app = apps.start();
      await client.waitFor('zoom on the server', () => pulse.pactl('list', 'source-outputs').includes('"zoom"'), 15_000);
      const notesDir = path.join(dir, 'cli-notes');
      const cli = spawn(process.execPath, [DAEMON_BIN, 'listen', '--source', 'mic', '--model', miniModel(), '--threads', '1', '--notes-dir', notesDir, '--stop-when-call-ends', 'zoom'],
        { cwd: REPO_ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      cli.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
      cli.stdout!.resume();
      const exited = new Promise<number | null>((resolve) => cli.once('close', (code) => resolve(code)));
      try {
        await client.waitFor('the CLI listening', () => /listening until the call of zoom ends/.test(stderr) || cli.exitCode !== null, 60_000);
        await apps.end(app);
        const code = await within(exited, 120_000);
        assert.equal(code, 0, stderr);
      } finally {
        cli.kill('SIGKILL');
      }
      const lines = stderr.split('\n').filter((l) => l.startsWith('earshot: auto-stop: '));
      assert.deepEqual(lines.map((l) => l.split(':')[2].trim().replace(/ \(stops at .*/, '')), ['watching', 'silent', 'countdown', 'stopped'], stderr);
      assert.match(stderr, /Notes: /);
      assert.equal(fs.readdirSync(notesDir).filter((f) => f.endsWith('.md')).length, 1);
    });
  });
});
