/**
 * Call detection on a real (private, headless) PulseAudio server: a fake call app (parec recording the default source
 * as client "zoom", which sets its application.name) is listed by `earshot calls --json` with its pid and is gone once
 * it ends; the daemon's earshot/calls/watch sends earshot/calls/changed when it starts and stops, and nothing once the
 * watch is off, and follows the server's events (pactl subscribe) through a server crash and restart; no Earshot microphone recorder is ever listed (the daemon's own, audify's stream; another daemon's arecord or sox). The keep-alive readers on the monitors
 * (system audio) run throughout and must never be listed either. PipeWire is not installed on this machine (no
 * `pipewire`): pipewire-pulse answers pactl the same way, but that is not run here.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallsChangedNotification, CallsChangedParams, CallsList, CallsListResult, CallsWatch, PROTOCOL_VERSION, SessionStart, SessionStop } from '../../protocol/protocol';
import { miniModel } from '../setup';
import { FakeCallApps } from '../support/fake-call-app';
import { PulseServer, startPulse } from '../support/pulse';
import { connectDaemon, RpcClient, runEarshot } from './daemon-process';

describe('call detection on a real PulseAudio server', function () {
  this.timeout(120_000);
  let pulse: PulseServer;
  let dir: string;
  let apps: FakeCallApps;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-calls-'));
    pulse = await startPulse();
    apps = new FakeCallApps(pulse.env);
  });

  afterEach(async () => {
    await apps?.endAll();
  });

  after(async () => {
    await pulse?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function callsJson(): Promise<CallsListResult> {
    const run = await runEarshot(['calls', '--json'], pulse.env);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as CallsListResult;
  }

  /** Asks until `check` holds (a new stream takes a moment to reach the server). */
  async function until(what: string, check: (r: CallsListResult) => boolean): Promise<CallsListResult> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await callsJson();
      if (check(r)) return r;
      if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(r)}`);
      await sleep(200);
    }
  }

  it('`earshot calls --json` lists the app with its pid while it records, and not after', async () => {
    const idle = await callsJson();
    assert.deepEqual(idle, { apps: [], backend: 'pulse' }, 'the monitors\' keep-alive readers are system audio, not calls');
    const app = apps.start();
    const seen = await until('zoom listed', (r) => r.apps.length > 0);
    assert.equal(seen.apps.length, 1, JSON.stringify(seen));
    assert.equal(seen.apps[0].app, 'zoom');
    assert.equal(seen.apps[0].pid, app.pid);
    assert.equal(seen.apps[0].sinceFrom, 'detector');
    assert.ok(Math.abs(Date.parse(seen.apps[0].since) - Date.now()) < 10_000, seen.apps[0].since);
    const table = await runEarshot(['calls'], pulse.env);
    assert.match(table.stdout, new RegExp(`^APP +PID +SINCE\\nzoom +${app.pid} `));
    await apps.end(app);
    await until('zoom gone', (r) => r.apps.length === 0);
  });

  it('fails with a fault, exit 1, when there is no sound server', async () => {
    const run = await runEarshot(['calls', '--json'], { ...pulse.env, PULSE_SERVER: `unix:${path.join(dir, 'no-such-socket')}` });
    assert.equal(run.code, 1);
    const r = JSON.parse(run.stdout) as CallsListResult;
    assert.deepEqual(r.apps, []);
    assert.match(r.fault ?? '', /pactl failed/);
  });

  describe('the daemon (JSON-RPC)', () => {
    let client: RpcClient;
    const changes: CallsChangedParams[] = [];

    before(async () => {
      client = connectDaemon({ ...pulse.env, EARSHOT_MODEL: undefined });
      client.connection.onNotification(CallsChangedNotification, (c) => { changes.push(c); });
      await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 });
    });

    after(async () => {
      const code = await client?.dispose();
      assert.equal(code, 0, client?.daemon.stderr().slice(-1500));
    });

    it('earshot/calls/changed tells when the app starts and stops, while watched', async () => {
      const first = await client.connection.sendRequest(CallsWatch, { on: true, intervalMs: 1000 });
      assert.deepEqual(first, { apps: [], backend: 'pulse' });
      const app = apps.start();
      const started = await client.waitFor('calls/changed: started', () => changes.find((c) => c.started.length > 0), 15_000);
      assert.deepEqual(started.started.map((a) => [a.app, a.pid]), [['zoom', app.pid]]);
      assert.deepEqual(started.apps.map((a) => a.app), ['zoom']);
      const listed = await client.connection.sendRequest(CallsList, {});
      assert.deepEqual(listed.apps.map((a) => [a.app, a.pid]), [['zoom', app.pid]]);
      await apps.end(app);
      const stopped = await client.waitFor('calls/changed: stopped', () => changes.find((c) => c.stopped.length > 0), 15_000);
      assert.deepEqual(stopped.stopped.map((a) => [a.app, a.pid]), [['zoom', app.pid]]);
      assert.deepEqual(stopped.apps, []);

      await client.connection.sendRequest(CallsWatch, { on: false });
      const before = changes.length;
      const again = apps.start('teams');
      await until('teams listed', (r) => r.apps.some((a) => a.app === 'teams'));
      await sleep(2500);
      assert.equal(changes.length, before, 'no notification once the watch is off');
      await apps.end(again);
    });

    it("never lists the daemon's own microphone recorder", async () => {
      const session = await client.connection.sendRequest(SessionStart, { sources: ['mic'] });
      try {
        await client.waitFor('the session streaming', () => client.states.find((s) => s.sessionId === session.sessionId && s.state === 'streaming'), 30_000);
        // Its recorder's stream is on the server (a source-output of the virtual microphone besides the remap's)…
        await until('the recorder is on the server', () => pulse.pactl('list', 'short', 'source-outputs').trim().split('\n').length >= 4);
        // …and is not a call, to the daemon itself nor to another Earshot process (the CLI).
        assert.deepEqual((await client.connection.sendRequest(CallsList, {})).apps, []);
        assert.deepEqual((await callsJson()).apps, []);
      } finally {
        await client.connection.sendRequest(SessionStop, { sessionId: session.sessionId });
      }
    });

    it('follows the server\'s events (pactl subscribe); when the server dies it polls and tells the fault, and subscribes again once it is back', async () => {
      /** The daemon's `pactl subscribe` children (the events it follows). */
      const subscribers = () => spawnSync('pgrep', ['-P', String(client.daemon.child.pid), '-f', 'pactl subscribe'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
      const from = changes.length;
      await client.connection.sendRequest(CallsWatch, { on: true, intervalMs: 1000 });
      await client.waitFor('a subscriber', () => subscribers().length === 1, 10_000);
      const before = subscribers()[0];
      await pulse.kill();
      // The subscriber's connection is gone: it exits, and the polls (every 1 s) find no server.
      const fault = await client.waitFor('calls/changed with the fault', () => changes.slice(from).find((c) => c.fault !== undefined), 15_000);
      assert.match(fault.fault!, /pactl failed/);
      await pulse.restart();
      await client.waitFor('calls/changed: detection answers again', () => changes.slice(from).find((c, i, all) => c.fault === undefined && all.slice(0, i).some((d) => d.fault)), 15_000);
      // Started again after its backoff (1 s, 2 s, 4 s… while the server was away): a new subscriber process.
      await client.waitFor('a new subscriber', () => subscribers().length === 1 && subscribers()[0] !== before, 30_000);
      const app = apps.start();
      const started = await client.waitFor('calls/changed: zoom started', () => changes.slice(from).find((c) => c.started.some((a) => a.pid === app.pid)), 15_000);
      assert.equal(started.fault, undefined);
      await client.connection.sendRequest(CallsWatch, { on: false });
      await client.waitFor('no subscriber once the watch is off', () => subscribers().length === 0, 10_000);
    });

    it('never lists the microphone recorder program of another Earshot daemon (named Earshot through PULSE_PROP_OVERRIDE)', async () => {
      const other = connectDaemon({ ...pulse.env, EARSHOT_MODEL: undefined, EARSHOT_AUDIO_BACKEND: 'recorders' });
      try {
        await other.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage-2'), notesDir: path.join(dir, 'notes-2'), modelPath: miniModel(), threads: 1 });
        const session = await other.connection.sendRequest(SessionStart, { sources: ['mic'] });
        try {
          await other.waitFor('the session streaming', () => other.states.find((s) => s.sessionId === session.sessionId && s.state === 'streaming'), 30_000);
          const outputs = () => JSON.parse(pulse.pactl('-f', 'json', 'list', 'source-outputs')) as { properties: Record<string, string> }[];
          // Its recorder program (arecord or sox, whichever recorder.ts picks here) reaches the server through libpulse.
          const recorder = () => outputs().find((o) => ['aplay', 'sox', 'rec'].includes(o.properties['application.process.binary']));
          const stream = await other.waitFor('the recorder program on the server', recorder, 15_000);
          assert.equal(stream.properties['application.name'], 'Earshot', JSON.stringify(stream.properties));
          // Neither this test's daemon nor the CLI is its parent: only the name tells.
          assert.deepEqual((await client.connection.sendRequest(CallsList, {})).apps, []);
          assert.deepEqual((await callsJson()).apps, []);
        } finally {
          await other.connection.sendRequest(SessionStop, { sessionId: session.sessionId });
        }
      } finally {
        assert.equal(await other.dispose(), 0, other.daemon.stderr().slice(-1500));
      }
    });
  });
});
