/**
 * The disk under a CI run (scripts/ci-disk.sh, called by .ci/run): the free space said first with a warning under what a
 * run takes, its lowest point watched through the run, and a failed run that met a nearly full disk says so. CI's run of
 * 2026-11-30 failed on a full disk with nothing saying why. A fake `df` first on PATH reports the free space the test
 * sets (the columns of coreutils' `df -P -m`: Filesystem, 1M-blocks, Used, Available, Capacity, Mounted on).
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'ci-disk.sh');

interface Disk { dir: string; state: string; env: NodeJS.ProcessEnv; setFree(mib: number): void }

function fakeDisk(freeMib: number): Disk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-ci-disk-'));
  const freeFile = path.join(dir, 'free');
  fs.mkdirSync(path.join(dir, 'bin'));
  // One line per folder asked, as df -P prints them; the second folder reports 1,000 MiB more (the least counts).
  fs.writeFileSync(path.join(dir, 'bin', 'df'), [
    '#!/bin/sh',
    'echo "Filesystem     1M-blocks  Used Available Capacity Mounted on"',
    `free=$(cat '${freeFile}')`,
    'echo "/dev/vda          258048 20000 $free 10% /"',
    'echo "/dev/vdb          258048 20000 $((free + 1000)) 10% /tmp"',
    '',
  ].join('\n'), { mode: 0o755 });
  const disk: Disk = {
    dir,
    state: path.join(dir, 'state'),
    env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, EARSHOT_DISK_WATCH_SECONDS: '0.05' },
    setFree: (mib) => fs.writeFileSync(freeFile, `${mib}\n`),
  };
  disk.setFree(freeMib);
  return disk;
}

function run(disk: Disk, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', [SCRIPT, ...args], { env: disk.env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Waits, polling, for a condition the watcher makes true; a bound of 20 s so that a broken watcher fails, never hangs. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`within 20 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the disk under a CI run (scripts/ci-disk.sh)', () => {
  const disks: Disk[] = [];
  const disk = (free: number): Disk => {
    const d = fakeDisk(free);
    disks.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of disks.splice(0)) {
      const watcher = Number(fs.existsSync(path.join(d.state, 'watcher')) ? fs.readFileSync(path.join(d.state, 'watcher'), 'utf8') : 0);
      if (watcher > 0 && alive(watcher)) process.kill(watcher);
      fs.rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('says the free space first (the least of the folders it writes to) and nothing more when a run fits', () => {
    const d = disk(50_000);
    const start = run(d, 'start', d.state);
    assert.equal(start.status, 0, start.stderr);
    assert.match(start.stdout, /^disk: 50000 MiB free where this run writes .*; a run takes about 9700 MiB\n$/);
    const end = run(d, 'end', d.state, '0');
    assert.equal(end.status, 0, end.stderr);
    assert.equal(end.stdout, 'disk: lowest free during the run 50000 MiB (50000 MiB at the start, 50000 MiB now)\n');
    assert.ok(!fs.existsSync(d.state), 'its state folder is removed at the end');
  });

  it('warns at the start when less is free than a run takes', () => {
    const d = disk(3_000);
    const start = run(d, 'start', d.state);
    assert.match(start.stdout, /^disk: 3000 MiB free .*\ndisk: WARNING: less free than a run takes: tests may fail with 'No space left on device'\n$/);
    run(d, 'end', d.state, '0');
  });

  it('a failed run that met a nearly full disk says so, with the lowest free space the watcher saw', async () => {
    const d = disk(20_000);
    run(d, 'start', d.state);
    d.setFree(200);
    await until('the watcher notes 200 MiB', () => fs.readFileSync(path.join(d.state, 'lowest'), 'utf8').trim() === '200');
    d.setFree(15_000); // space back (the run's temporary files gone) before the end: the lowest still counts
    const end = run(d, 'end', d.state, '1');
    assert.equal(end.stdout, [
      'disk: lowest free during the run 200 MiB (20000 MiB at the start, 15000 MiB now)',
      "tests: the disk was nearly full during the run (200 MiB free at the lowest): failures saying 'No space left on device' are the machine's, not the code's",
      '',
    ].join('\n'));
  });

  it('a passed run is not blamed on the disk, nor a failed one that had space', async () => {
    const low = disk(20_000);
    run(low, 'start', low.state);
    low.setFree(100);
    await until('the watcher notes 100 MiB', () => fs.readFileSync(path.join(low.state, 'lowest'), 'utf8').trim() === '100');
    assert.doesNotMatch(run(low, 'end', low.state, '0').stdout, /nearly full/);
    const roomy = disk(20_000);
    run(roomy, 'start', roomy.state);
    assert.doesNotMatch(run(roomy, 'end', roomy.state, '1').stdout, /nearly full/);
  });

  it('the space at the end counts where the watcher had not looked yet', () => {
    const d = disk(20_000);
    d.env = { ...d.env, EARSHOT_DISK_WATCH_SECONDS: '3600' };
    run(d, 'start', d.state);
    d.setFree(300);
    assert.match(run(d, 'end', d.state, '1').stdout, /^disk: lowest free during the run 300 MiB .*\ntests: the disk was nearly full/);
  });

  it('the watcher watches while its run goes on, leaves when the run is gone, and is stopped by end', async () => {
    const d = disk(20_000);
    // The run: a bash that starts the watcher as .ci/run does, then waits on its stdin until the test closes it.
    const ci = spawn('bash', ['-c', `bash '${SCRIPT}' start '${d.state}' > /dev/null && read -r _`], { env: d.env, stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = new Promise<void>((resolve) => ci.on('exit', () => resolve()));
    await until('the watcher is started', () => fs.existsSync(path.join(d.state, 'watcher')));
    const watcher = Number(fs.readFileSync(path.join(d.state, 'watcher'), 'utf8'));
    d.setFree(4_000);
    await until('the watcher, its run going on, notes 4000 MiB', () => fs.readFileSync(path.join(d.state, 'lowest'), 'utf8').trim() === '4000');
    assert.ok(alive(watcher));
    ci.stdin.end();
    await exited;
    await until('the watcher leaves once its run is gone', () => !alive(watcher));

    const ended = disk(20_000);
    run(ended, 'start', ended.state); // its parent is this test's process, which goes on: only end stops it
    const stopped = Number(fs.readFileSync(path.join(ended.state, 'watcher'), 'utf8'));
    assert.ok(alive(stopped));
    run(ended, 'end', ended.state, '0');
    await until('the watcher is stopped by end', () => !alive(stopped));
  });

  it('refuses an unknown command and a missing folder with a usage line', () => {
    const d = disk(20_000);
    const unknown = run(d, 'begin', d.state);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command 'begin' \(start, end\)/);
    const missing = run(d, 'start');
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /usage: ci-disk.sh start STATE/);
  });
});
