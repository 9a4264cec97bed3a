/**
 * Call detection's macOS path, end to end with a real binary: earshot-audio-processes
 * (scripts/mac-capture/earshot-audio-processes.cpp) built here by scripts/mac-capture-app.js, in its Linux mode (the
 * same JSON line from a real, private PulseAudio server's recording streams), run by the daemon's CallDetector as on
 * macOS (backend coreaudio: bounded child, its line parsed by daemon/calls/mac.ts). A fake call app (parec recording as
 * client "us.zoom.xos") is listed with its pid while it records and gone after; a name with quotes, a backslash, a tab
 * and non-ASCII letters comes through the program's JSON exactly; Earshot's own recorders are left out by their parent
 * chains (a child of the daemon; a child of a process running the capture app's executable, as the app's audiotee is);
 * a server that does not answer is killed at the bound and reported; no server is the program's own fault line. On macOS the same source is compiled with Core Audio
 * by the release workflow, which runs it on its runner.
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallDetector } from '../../daemon/calls/detector';
import { CallsListResult } from '../../protocol/protocol';
import { REPO_ROOT } from '../setup';
import { PulseServer, startPulse } from '../support/pulse';

/* eslint-disable @typescript-eslint/no-require-imports */
const captureApp = require(path.join(REPO_ROOT, 'scripts', 'mac-capture-app.js')) as { compileProcesses(root: string, out: string): string };
/* eslint-enable @typescript-eslint/no-require-imports */

describe('call detection\'s macOS path with earshot-audio-processes built for real (its PulseAudio mode)', function () {
  this.timeout(120_000);
  let pulse: PulseServer;
  let dir: string;
  let program: string;
  /** The daemon as the detector sees it: a process of its own, so that the test's own children are not its. */
  let daemon: ChildProcess;
  const apps = new Set<ChildProcess>();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mac-processes-'));
    program = captureApp.compileProcesses(REPO_ROOT, path.join(dir, 'earshot-audio-processes'));
    // No keep-alive readers on the monitors: the only recording streams are the fake call apps'.
    pulse = await startPulse({ keepAlive: false });
    daemon = spawn('sleep', ['600'], { stdio: 'ignore' });
  });

  afterEach(async () => {
    for (const app of [...apps]) {
      apps.delete(app);
      if (app.exitCode !== null || app.signalCode !== null) continue;
      const exited = once(app, 'exit');
      process.kill(-app.pid!, 'SIGTERM'); // its group: a shell's recorder too
      await exited;
    }
  });

  after(async () => {
    daemon?.kill();
    await pulse?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fake call app: records the default source (the virtual microphone) as client `name` (its application.name). */
  function startCallApp(name: string): ChildProcess {
    return track(spawn('parec', ['--client-name', name, '--raw'], { env: pulse.env, stdio: ['ignore', 'pipe', 'ignore'], detached: true }));
  }

  /** `shell` running a recorder as its child (`parec … &`, then waits): a parent chain like the capture app's audiotee's. */
  function startParentOfRecorder(shell: string, name: string): ChildProcess {
    return track(spawn(shell, ['-c', `parec --client-name '${name}' --raw > /dev/null & wait`], { env: pulse.env, stdio: ['ignore', 'pipe', 'ignore'], detached: true }));
  }

  function track(child: ChildProcess): ChildProcess {
    child.stdout!.resume();
    apps.add(child);
    return child;
  }

  const detector = (env = pulse.env, limitMs?: number, own: { ownPid?: number; ownExecutable?: string } = {}) =>
    new CallDetector({ platform: 'darwin', env, limitMs, ownPid: daemon.pid, ownExecutable: path.join(dir, 'no-capture-app'), ...own, commands: { processes: program } });

  /** Asks until `check` holds (a new stream takes a moment to reach the server). */
  async function until(d: CallDetector, what: string, check: (r: CallsListResult) => boolean): Promise<CallsListResult> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await d.detect();
      if (check(r)) return r;
      if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(r)}`);
      await sleep(100);
    }
  }

  it('lists the call app by its name and pid while it records, and not after; one JSON line, exit 0', async () => {
    const d = detector();
    assert.deepEqual(await d.detect(), { apps: [], backend: 'coreaudio' });
    const app = startCallApp('us.zoom.xos');
    const seen = await until(d, 'us.zoom.xos listed', (r) => r.apps.length > 0);
    assert.equal(seen.fault, undefined);
    assert.deepEqual(seen.apps.map((a) => [a.app, a.pid, a.sinceFrom]), [['us.zoom.xos', app.pid, 'detector']]);
    const run = spawnSync(program, ['--own-pid', String(daemon.pid)], { env: pulse.env, encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^\{"processes":\[.*\]\}\n$/);
    assert.deepEqual(JSON.parse(run.stdout), { processes: [{ pid: app.pid, bundleId: 'us.zoom.xos', runningInput: true }] });
    process.kill(-app.pid!, 'SIGTERM');
    await until(d, 'us.zoom.xos gone', (r) => r.apps.length === 0 && r.fault === undefined);
  });

  it('a name with quotes, a backslash, a tab and non-ASCII letters comes through its JSON exactly', async () => {
    const name = 'Café "Call" \\ \tRäum 通話';
    const app = startCallApp(name);
    const seen = await until(detector(), 'the app listed', (r) => r.apps.length > 0);
    assert.deepEqual(seen.apps.map((a) => [a.app, a.pid]), [[name, app.pid]]);
  });

  it('leaves out Earshot\'s own recorders: the daemon\'s children, and those of a process running the capture app\'s executable', async () => {
    const call = startCallApp('us.zoom.xos');
    // A daemon with a recorder of its own (audify's stream, a direct audiotee): the recorder is its child.
    const fakeDaemon = startParentOfRecorder('/bin/sh', 'daemon-recorder');
    // The capture app (launchd's child, not the daemon's) with the audiotee it runs: the app's executable is known.
    const appExecutable = path.join(dir, 'earshot-capture');
    fs.copyFileSync('/bin/sh', appExecutable);
    fs.chmodSync(appExecutable, 0o755);
    startParentOfRecorder(appExecutable, 'app-audiotee');
    const everyone = await until(detector(), 'all three listed', (r) => r.apps.length === 3);
    assert.deepEqual(everyone.apps.map((a) => a.app).sort(), ['app-audiotee', 'daemon-recorder', 'us.zoom.xos']);
    const r = await detector(pulse.env, undefined, { ownPid: fakeDaemon.pid, ownExecutable: appExecutable }).detect();
    assert.deepEqual(r.apps.map((a) => [a.app, a.pid]), [['us.zoom.xos', call.pid]]);
  });

  it('a server that never answers: the program is killed at the bound and that is the fault', async () => {
    // A socket that accepts and says nothing: libpulse waits for the server's reply to its authentication.
    const socket = path.join(dir, 'silent.sock');
    const held: net.Socket[] = [];
    const silent = net.createServer((c) => held.push(c));
    await new Promise<void>((resolve) => silent.listen(socket, resolve));
    try {
      const started = Date.now();
      const r = await detector({ ...pulse.env, PULSE_SERVER: `unix:${socket}` }, 700).detect();
      assert.deepEqual(r.apps, []);
      assert.equal(r.fault, 'earshot-audio-processes did not answer within 700 ms (killed)');
      assert.ok(Date.now() - started < 5000, `bounded: ${Date.now() - started} ms`);
    } finally {
      for (const c of held) c.destroy();
      silent.close();
    }
  });

  it('no sound server: the program\'s own fault line (exit 3), nothing on stdout', async () => {
    const r = await detector({ ...pulse.env, PULSE_SERVER: `unix:${path.join(dir, 'nothing-here')}` }).detect();
    assert.deepEqual(r.apps, []);
    assert.match(r.fault ?? '', /^earshot-audio-processes failed \(3\): no sound server: /);
  });
});
