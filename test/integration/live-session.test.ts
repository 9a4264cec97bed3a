/**
 * Live sessions end to end: the real daemon process over JSON-RPC records the microphone and system audio from a
 * real (private, headless) PulseAudio server while espeak-ng speech plays into the virtual microphone and speaker.
 * Segments come labelled per source and in capture-time order, level meters arrive, a sound server that dies
 * mid-session is reported within a second and capture resumes when it is back, with every finalized segment kept.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DeviceList, ErrorCodes, InputLevelNotification, InputLevelParams, PROTOCOL_VERSION, SessionStart, SessionStop, SourceRetry,
  SourceStatusNotification, SourceStatusParams,
} from '../../protocol/protocol';
import { readJournal, segmentsOf } from '../../daemon/journal/journal';
import { DAEMON_BIN, miniModel, REPO_ROOT } from '../setup';
import { PulseServer, startPulse } from '../support/pulse';
import { callFixtures } from '../support/speech';
import { pathWithoutRecorders } from '../support/no-recorders';
import { connectDaemon, RpcClient } from './daemon-process';
import { tokenFileOf } from './wire';

interface Observed { statuses: (SourceStatusParams & { receivedAt: number })[]; levels: InputLevelParams[] }

function observe(client: RpcClient): Observed {
  const seen: Observed = { statuses: [], levels: [] };
  client.connection.onNotification(SourceStatusNotification, (s) => { seen.statuses.push({ ...s, receivedAt: performance.now() }); });
  client.connection.onNotification(InputLevelNotification, (l) => { seen.levels.push(l); });
  return seen;
}

const finalsOf = (client: RpcClient, source: string) => client.transcripts.filter((t) => t.final && t.text && t.source === source);

describe('live session: microphone and system audio from a real PulseAudio server (real daemon)', function () {
  this.timeout(120_000);
  let pulse: PulseServer;
  let dir: string;
  let fixtures: { mic: string; speaker: string };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-live-'));
    fixtures = callFixtures(dir);
    pulse = await startPulse();
  });

  after(async () => {
    await pulse?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A daemon whose recorders talk to the test's PulseAudio server; one whisper thread (two shared cores). */
  async function daemon(): Promise<{ client: RpcClient; seen: Observed }> {
    const client = connectDaemon({ ...pulse.env, EARSHOT_MODEL: undefined });
    const seen = observe(client);
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1,
    });
    return { client, seen };
  }

  const capturing = (seen: Observed, source: string, after = 0) =>
    seen.statuses.find((s) => s.source === source && s.state === 'capturing' && s.receivedAt >= after);

  it('lists the virtual microphone and the speaker monitor, defaults marked', async () => {
    const { client } = await daemon();
    try {
      const list = await client.connection.sendRequest(DeviceList, {});
      assert.ok(list.microphones.some((d) => d.id === 'virtmic' && d.isDefault), JSON.stringify(list.microphones));
      assert.ok(list.systemSources.some((d) => d.id === 'speaker.monitor' && d.isDefault), JSON.stringify(list.systemSources));
      assert.equal(list.systemAudio.available, true, list.systemAudio.message);
    } finally {
      await client.dispose();
    }
  });

  it('labels segments "You" (mic) and "Others" (system), keeps capture-time order, and meters both inputs', async () => {
    const { client, seen } = await daemon();
    try {
      const started = await client.connection.sendRequest(SessionStart, { sources: ['mic', 'system'], title: 'Call' });
      assert.equal(started.unavailable, undefined, JSON.stringify(started.unavailable));
      await client.waitFor('both sources capturing', () => capturing(seen, 'mic') && capturing(seen, 'system'), 20_000);
      await pulse.playToMic(fixtures.mic);
      await new Promise((r) => setTimeout(r, 800));
      await pulse.playToSpeaker(fixtures.speaker);
      await client.waitFor('a final from each source', () => finalsOf(client, 'mic').length > 0 && finalsOf(client, 'system').length > 0, 60_000);
      const stopped = await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });

      const mic = finalsOf(client, 'mic'), system = finalsOf(client, 'system');
      assert.ok(mic.every((s) => s.speaker === 'You'), JSON.stringify(mic));
      assert.ok(system.every((s) => s.speaker === 'Others'), JSON.stringify(system));
      // The mic spoke first (its fixture is about 3.5 s long, then 0.8 s of quiet): on the shared capture clock its
      // speech starts well before the system's.
      assert.ok(mic[0].t0 + 3 < system[0].t0, `mic at ${mic[0].t0} s, system at ${system[0].t0} s`);
      // Each side heard only its own fixture: no mic segment inside the system speech and vice versa (no crosstalk).
      assert.ok(mic.every((m) => m.t1 < system[0].t0 + 0.3), `mic segments ${JSON.stringify(mic.map((m) => [m.t0, m.t1]))}`);
      assert.deepEqual(stopped.segments.map((s) => s.t0), [...stopped.segments.map((s) => s.t0)].sort((a, b) => a - b), 'the stop result is in capture-time order');
      assert.deepEqual(new Set(stopped.segments.map((s) => s.source)), new Set(['mic', 'system']));
      // Level meters: both sources, loud while their speech played, digital silence otherwise.
      for (const source of ['mic', 'system'] as const) {
        const levels = seen.levels.filter((l) => l.source === source);
        assert.ok(levels.length >= 10, `${levels.length} ${source} levels`);
        assert.ok(levels.some((l) => l.rmsDbfs > -40), `${source}: loudest ${Math.max(...levels.map((l) => l.rmsDbfs))} dBFS`);
        assert.ok(levels.some((l) => l.rmsDbfs < -80), `${source}: never silent`);
      }
    } finally {
      await client.dispose();
    }
  });

  it('a sound server that dies mid-session: failed within 1 s, capture resumes when it is back, nothing finalized is lost', async () => {
    const { client, seen } = await daemon();
    try {
      const started = await client.connection.sendRequest(SessionStart, { sources: ['mic'], title: 'Crash' });
      await client.waitFor('mic capturing', () => capturing(seen, 'mic'), 20_000);
      await pulse.playToMic(fixtures.mic);
      await client.waitFor('the first final', () => finalsOf(client, 'mic').length >= 1, 60_000);
      const before = finalsOf(client, 'mic').length;

      const killedAt = performance.now();
      await pulse.kill();
      const failed = await client.waitFor('a failed status', () => seen.statuses.find((s) => s.source === 'mic' && s.state === 'failed' && s.receivedAt >= killedAt), 10_000);
      assert.ok(failed.receivedAt - killedAt <= 1000, `failure reported after ${(failed.receivedAt - killedAt).toFixed(0)} ms`);
      assert.ok(failed.message && failed.message.length > 20, `a message for the user: ${failed.message}`);
      assert.ok(failed.retryInMs !== undefined, 'says when it retries');

      await pulse.restart();
      const restartedAt = performance.now();
      // The user's "Retry Now" skips the backoff wait.
      await client.connection.sendRequest(SourceRetry, { sessionId: started.sessionId, source: 'mic' });
      await client.waitFor('capturing again', () => capturing(seen, 'mic', restartedAt), 20_000);
      await pulse.playToMic(fixtures.mic);
      await client.waitFor('a final after the restart', () => finalsOf(client, 'mic').length > before, 60_000);
      const stopped = await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });

      const finals = finalsOf(client, 'mic');
      assert.deepEqual(stopped.segments.map((s) => s.segmentId), finals.map((f) => f.segmentId), 'every announced final is in the result');
      const journaled = segmentsOf((await readJournal(stopped.journalPath)).records);
      assert.deepEqual(journaled.map((s) => s.segmentId), finals.map((f) => f.segmentId), 'and in the journal');
      // The capture clock kept running through the outage: the second speech is stamped after the first by at
      // least the time the server was down.
      assert.ok(finals[finals.length - 1].t0 > finals[0].t1 + 1, JSON.stringify(finals.map((f) => [f.t0, f.t1])));
      const end = (await readJournal(stopped.journalPath)).records.find((r) => r.type === 'end');
      assert.ok(end && end.type === 'end' && !end.error, `the session ended cleanly: ${JSON.stringify(end)}`);
    } finally {
      await client.dispose();
    }
  });

  it('the mic hearing the speakers: its echo of the call is dropped, the user talking over the call is kept', async () => {
    const { execFileSync } = await import('node:child_process');
    // A laptop microphone's view of the speaker fixture: band-limited, reverberated, 14 dB down, 80 ms late.
    const echo = path.join(dir, 'echo.wav'), overEcho = path.join(dir, 'user-over-echo.wav');
    execFileSync('sox', ['-R', fixtures.speaker, echo, 'highpass', '300', 'lowpass', '4000', 'reverb', '50', 'vol', '0.2', 'pad', '0.08', '0']);
    execFileSync('sox', ['-R', '-m', fixtures.mic, echo, overEcho]);
    const { client, seen } = await daemon();
    try {
      const started = await client.connection.sendRequest(SessionStart, { sources: ['mic', 'system'], title: 'Echo' });
      await client.waitFor('both sources capturing', () => capturing(seen, 'mic') && capturing(seen, 'system'), 20_000);
      // 1. The call plays; the mic hears only its echo.
      await Promise.all([pulse.play('speaker', fixtures.speaker).done, pulse.play('mic_feed', echo).done]);
      await client.waitFor('the system final', () => finalsOf(client, 'system').length >= 1, 60_000);
      await new Promise((r) => setTimeout(r, 2500)); // time for a mic final, if one were coming
      assert.deepEqual(finalsOf(client, 'mic'), [], 'the echo was not transcribed as the user');
      // 2. The user talks while the call plays: the mic's segment stays.
      await Promise.all([pulse.play('speaker', fixtures.speaker).done, pulse.play('mic_feed', overEcho).done]);
      await client.waitFor('a mic final', () => finalsOf(client, 'mic').length >= 1, 60_000);
      await client.waitFor('the second system final', () => finalsOf(client, 'system').length >= 2, 60_000);
      await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
      assert.ok(client.logs.some((l) => l.includes('echo_suppressed')), 'the suppression is logged (without text)');
      assert.ok(!client.logs.some((l) => l.includes('echo_suppressed') && /hello/.test(l)), 'no transcript text in the log');
    } finally {
      await client.dispose();
    }
  });

  for (const connect of [false, true]) {
    it(connect
      ? '`earshot listen --connect` runs the same in a listening daemon (`earshot daemon --listen`) and prints the same'
      : '`earshot listen` records the real devices and prints final segments as `transcribe` does', async () => {
      const { spawn } = await import('node:child_process');
      const storage = path.join(dir, connect ? 'listen-storage' : 'cli-storage');
      const listening = connect ? spawn(process.execPath, [DAEMON_BIN, 'daemon', '--listen', '0'], { cwd: REPO_ROOT, env: { ...pulse.env, EARSHOT_STORAGE: storage }, stdio: 'ignore' }) : undefined;
      try {
        if (listening) await tokenFileOf(storage, listening);
        const { stdout, stderr } = await listenWhilePlaying({ ...pulse.env, EARSHOT_STORAGE: storage }, path.join(dir, 'cli-notes'), connect ? ['--connect'] : []);
        const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { t0: number; t1: number; source: string; text: string });
        assert.ok(lines.some((l) => l.source === 'mic') && lines.some((l) => l.source === 'system'), stdout);
        // Each line carries its speaker (issue 42); in a call the microphone stays "You", system audio's voices are told apart.
        for (const l of lines) assert.deepEqual(Object.keys(l), ['t0', 't1', 'source', 'speaker', 'text']);
        assert.match(stderr, /Notes: .*cli-notes/);
        if (listening) assert.equal(listening.exitCode, null, 'the listening daemon keeps running after the CLI is done');
      } finally {
        if (listening && listening.exitCode === null) {
          listening.kill('SIGTERM');
          await new Promise((resolve) => listening.once('exit', resolve));
        }
      }
    });
  }

  /** `earshot listen` on both sources for 12 s while the fixtures play into the virtual mic and speaker; exits 0. */
  async function listenWhilePlaying(env: NodeJS.ProcessEnv, notesDir: string, extra: string[] = []): Promise<{ stdout: string; stderr: string }> {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [DAEMON_BIN, 'listen', '--source', 'mic,system', '--seconds', '12', '--json', '--threads', '1',
      '--model', miniModel(), '--notes-dir', notesDir, ...extra], { cwd: REPO_ROOT, env });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 30_000;
    while (!/mic: recording/.test(stderr) || !/system: recording/.test(stderr)) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `listen did not start recording:\n${stderr.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await pulse.playToMic(fixtures.mic);
    await pulse.playToSpeaker(fixtures.speaker);
    const code = await exited;
    assert.equal(code, 0, stderr.slice(-1500));
    return { stdout, stderr };
  }

  it('with no recorder program on PATH (sox, rec, arecord, parec, ffmpeg hidden), `earshot listen` transcribes both sources through the in-process backend', async () => {
    const PATH = pathWithoutRecorders(path.join(dir, 'bin-without-recorders'));
    const storage = path.join(dir, 'no-recorders-storage');
    const { stdout, stderr } = await listenWhilePlaying({ ...pulse.env, PATH, EARSHOT_STORAGE: storage }, path.join(dir, 'no-recorders-notes'));
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { source: string; text: string });
    assert.ok(lines.some((l) => l.source === 'mic' && l.text) && lines.some((l) => l.source === 'system' && l.text), stdout);
    assert.match(stderr, /mic: recording \(audify/, 'the in-process backend recorded the microphone');
    assert.match(stderr, /system: recording \(audify, speaker\.monitor/, 'and system audio');
  });

  it('no way to record system audio: the session runs with the microphone and says how to enable it; alone, it is refused', async () => {
    // A daemon that finds none of parec, ffmpeg or sox for system audio (PATH without them) but may run arecord… is
    // hard to arrange portably; instead no sound server at all: system audio needs one on Linux.
    const client = connectDaemon({ ...pulse.env, PULSE_SERVER: `unix:${path.join(dir, 'no-such-server')}`, EARSHOT_MODEL: undefined });
    try {
      await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 });
      const alone = await client.connection.sendRequest(SessionStart, { sources: ['system'] }).then(() => undefined, (e: { code: number; message: string }) => e);
      assert.equal(alone?.code, ErrorCodes.SourceUnavailable);
      assert.match(alone!.message, /PulseAudio|PipeWire/);
      const both = await client.connection.sendRequest(SessionStart, { sources: ['mic', 'system'] });
      assert.deepEqual(both.unavailable?.map((u) => u.source), ['system']);
      assert.match(both.unavailable![0].message, /microphone keeps working/i);
      await client.connection.sendRequest(SessionStop, { sessionId: both.sessionId });
    } finally {
      await client.dispose();
    }
  });
});
