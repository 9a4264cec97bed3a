/**
 * `earshot/devices/test` end to end: the real daemon process records the devices of a real (private, headless)
 * PulseAudio server with the recorders sessions use, while espeak-ng speech plays into the virtual microphone or
 * speaker; levels arrive as input levels of DEVICE_TEST_SESSION_ID, the answer says what was heard; faults come back
 * as SourceUnavailable with the messages sessions give.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEVICE_TEST_SESSION_ID, DeviceTest, ErrorCodes, InputLevelNotification, InputLevelParams, PlatformReport, PlatformReportRequest, PROTOCOL_VERSION, SessionStart, SessionStop,
} from '../../protocol/protocol';
import { miniModel } from '../setup';
import { PulseServer, startPulse } from '../support/pulse';
import { callFixtures } from '../support/speech';
import { connectDaemon, rejection, RpcClient, runEarshot } from './daemon-process';

describe('earshot/devices/test on a real PulseAudio server (real daemon)', function () {
  this.timeout(120_000);
  let pulse: PulseServer;
  let dir: string;
  let fixtures: { mic: string; speaker: string };
  let client: RpcClient;
  let levels: InputLevelParams[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-devtest-'));
    fixtures = callFixtures(dir);
    pulse = await startPulse();
    client = await daemon(pulse.env);
  });

  after(async () => {
    await client?.dispose();
    await pulse?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function daemon(env: NodeJS.ProcessEnv): Promise<RpcClient> {
    const c = connectDaemon({ ...env, EARSHOT_MODEL: undefined });
    levels = [];
    c.connection.onNotification(InputLevelNotification, (l) => { levels.push(l); });
    await c.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 });
    return c;
  }

  it('hears speech played into the virtual microphone: above -40 dBFS, levels about 10 a second', async () => {
    levels.length = 0;
    const test = client.connection.sendRequest(DeviceTest, { source: 'mic', seconds: 4 });
    await client.waitFor('the first level', () => levels.length > 0, 10_000);
    await pulse.playToMic(fixtures.mic);
    const result = await test;
    assert.equal(result.source, 'mic');
    assert.ok(result.recorder.length > 0);
    assert.ok(result.rmsDbfs > -40, `loudest ${result.rmsDbfs} dBFS`);
    assert.ok(result.peakDbfs >= result.rmsDbfs);
    assert.equal(result.heard, true);
    assert.ok(levels.every((l) => l.sessionId === DEVICE_TEST_SESSION_ID && l.source === 'mic'));
    assert.ok(levels.length >= 30 && levels.length <= 50, `${levels.length} levels in 4 s`);
    assert.ok(levels.some((l) => l.rmsDbfs > -40) && levels.some((l) => l.rmsDbfs < -80), 'loud while speech played, silent otherwise');
  });

  it('silence: heard false', async () => {
    const result = await client.connection.sendRequest(DeviceTest, { source: 'mic', seconds: 1 });
    assert.equal(result.heard, false);
    assert.ok(result.rmsDbfs < -50, `${result.rmsDbfs} dBFS`);
  });

  it('system audio: hears what the speaker plays', async () => {
    const test = client.connection.sendRequest(DeviceTest, { source: 'system', seconds: 3 });
    await client.waitFor('a system level', () => levels.some((l) => l.source === 'system'), 10_000);
    await pulse.playToSpeaker(fixtures.speaker);
    const result = await test;
    assert.equal(result.recorder, 'audify', 'the in-process backend is the default');
    assert.equal(result.heard, true);
    assert.ok(result.rmsDbfs > -40, `loudest ${result.rmsDbfs} dBFS`);
  });

  it('a second test while one runs is refused with a clear error; so is a test while a session records', async () => {
    const first = client.connection.sendRequest(DeviceTest, { source: 'mic', seconds: 1 });
    const second = await rejection(client.connection.sendRequest(DeviceTest, { source: 'mic', seconds: 1 }));
    assert.equal(second.code, ErrorCodes.RequestFailed);
    assert.match(second.message, /already running/);
    await first;

    const started = await client.connection.sendRequest(SessionStart, { sources: ['mic'] });
    const refused = await rejection(client.connection.sendRequest(DeviceTest, { source: 'mic' }));
    assert.equal(refused.code, ErrorCodes.SessionAlreadyRunning);
    assert.match(refused.message, new RegExp(started.sessionId));
    await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
  });

  it('bad params are InvalidParams naming the field', async () => {
    const error = await rejection(client.connection.sendRequest(DeviceTest, { source: 'mic', seconds: 60 }));
    assert.equal(error.code, ErrorCodes.InvalidParams);
    assert.match(error.message, /seconds must be a number from 0\.5 to 30/);
  });

  it('a device that does not exist: SourceUnavailable, "not found"', async () => {
    const error = await rejection(client.connection.sendRequest(DeviceTest, { source: 'mic', device: 'no-such-source', seconds: 2 }));
    assert.equal(error.code, ErrorCodes.SourceUnavailable);
    assert.match(error.message, /"no-such-source" was not found/);
    assert.deepEqual(error.data, { source: 'mic', reason: 'device-not-found' });
  });

  it('no sound server: SourceUnavailable saying so', async () => {
    const orphan = await daemon({ ...pulse.env, PULSE_SERVER: `unix:${path.join(dir, 'no-such-server')}` });
    try {
      const error = await rejection(orphan.connection.sendRequest(DeviceTest, { source: 'mic', seconds: 2 }));
      assert.equal(error.code, ErrorCodes.SourceUnavailable);
      assert.match(error.message, /sound server \(PulseAudio or PipeWire\) is not running/);
      const system = await rejection(orphan.connection.sendRequest(DeviceTest, { source: 'system', seconds: 2 }));
      assert.equal(system.code, ErrorCodes.SourceUnavailable);
      assert.match(system.message, /PulseAudio|PipeWire/);
    } finally {
      await orphan.dispose();
    }
  });

  it('earshot report: the same report from the CLI, with a recording on request; a bad --record is a usage error', async () => {
    const run = await runEarshot(['report', '--record', '1', '--json'], pulse.env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /recording 1 s from the microphone, then 1 s of system audio/);
    const report = JSON.parse(run.stdout) as PlatformReport;
    assert.deepEqual(report.sections.map((s) => s.title), ['This machine', 'Native modules', 'Capture', 'Recording test (1 s each)']);
    const recorded = report.sections[3].facts.map((f) => f.name + ': ' + f.value);
    assert.match(recorded[0], /^microphone: audify: /);
    assert.match(recorded[1], /^system audio: audify: /);
    const markdown = await runEarshot(['report'], pulse.env);
    assert.equal(markdown.code, 0, markdown.stderr);
    assert.match(markdown.stdout, /^# Earshot platform report\n/);
    const bad = await runEarshot(['report', '--record', '11']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--record takes seconds from 0 to 10/);
  });

  describe('earshot/platform/report (the same daemon, the same sound server)', () => {
    const facts = (report: PlatformReport, title: string) => Object.fromEntries(report.sections.find((s) => s.title.startsWith(title))!.facts.map((f) => [f.name, f.value]));

    it('says what loads and records here, and with recordSeconds what each source delivered: speech heard on the microphone, the speaker\'s sound as system audio', async () => {
      levels.length = 0;
      const asked = client.connection.sendRequest(PlatformReportRequest, { recordSeconds: 3 });
      await client.waitFor('the microphone recording', () => levels.some((l) => l.source === 'mic'), 30_000);
      await pulse.playToMic(fixtures.mic);
      await client.waitFor('the system audio recording', () => levels.some((l) => l.source === 'system'), 30_000);
      await pulse.playToSpeaker(fixtures.speaker);
      const report = await asked;
      assert.ok(Date.parse(report.generated) > 0);
      const modules = facts(report, 'Native modules');
      assert.match(modules['whisper (smart-whisper.node)'], /^loads: CPU module /);
      assert.equal(modules['audify (audify.node)'], 'loads: in-process capture');
      assert.match(modules['voice detection (onnxruntime-node)'], /^loads: onnxruntime-node \d/);
      const capture = facts(report, 'Capture');
      assert.equal(capture['microphone backend'], 'audify (in-process RtAudio)');
      assert.equal(capture['system audio'], 'available');
      const recorded = facts(report, 'Recording test (3 s each)');
      assert.match(recorded.microphone, /^audify: peak -?\d+(\.\d)? dBFS, .*; sound heard$/);
      assert.match(recorded['system audio'], /^audify: .*; sound heard$/);
      // No transcript and no home folder: the report is made to be pasted into an issue.
      assert.doesNotMatch(report.markdown, new RegExp(os.homedir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.match(report.markdown, /^## Recording test \(3 s each\)$/m);
    });

    it('refuses to record while a session records (a report without recording is still made), and bad params name the field', async () => {
      const started = await client.connection.sendRequest(SessionStart, { sources: ['mic'] });
      try {
        const refused = await rejection(client.connection.sendRequest(PlatformReportRequest, { recordSeconds: 2 }));
        assert.equal(refused.code, ErrorCodes.SessionAlreadyRunning);
        const report = await client.connection.sendRequest(PlatformReportRequest, {});
        assert.equal(report.sections.some((s) => s.title.startsWith('Recording')), false);
      } finally {
        await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
      }
      const bad = await rejection(client.connection.sendRequest(PlatformReportRequest, { recordSeconds: 11 }));
      assert.equal(bad.code, ErrorCodes.InvalidParams);
      assert.match(bad.message, /recordSeconds must be a number from 0 to 10/);
    });
  });
});
