/**
 * The Wine harness of `npm run test:wine` (issue 38): runs the win32-x64 package's own CLI with Windows node.exe under
 * Wine 8.0, with what scripts/wine-setup.sh made ($EARSHOT_WINE_DIR, default <repo>/.wine: node/node.exe, prefix/).
 *
 * API (small on purpose; test/wine/*.test.ts share it):
 * - `win32Package()`            the unpacked win32-x64 VSIX's extension folder (Unix path), made once per process;
 *                                `win32Vsix()` the VSIX itself ($EARSHOT_WIN32_VSIX, or packaged from this checkout).
 * - `earshot(args, options)`    runs `node.exe <package>\bin\earshot.js args` and resolves when it exits.
 * - `startEarshot(args, opts)`  the same, left running (a daemon, a live session): wait on its output or its exit.
 * - `runWindows(exe, args, o)`  any Windows program (a copy of node.exe named Code.exe, cmd.exe …), to exit.
 * - `withCodeExe(use)`          a copy of node.exe named Code.exe (VS Code's executable, as the host is named there) for
 *                                the duration of `use`.
 * - `winPath(p)` / `unixPath(p)`  a Unix path as the Windows process names it (C:\… inside the prefix, Z:\… else) and back.
 * - `NODE_EXE`, `WINE_PREFIX`, `USERS_DIR`  where things are.
 * Options: `env` (added to the Windows process's environment), `user` (the Windows user: its profile is
 * C:\users\<user>, USERPROFILE/APPDATA/LOCALAPPDATA follow; Wine sets those itself and ignores them from Unix), `cwd`
 * (Unix path), `timeoutMs` (the process is killed after it and the result says so), `stdin` (a file's path).
 *
 * Why files for stdio: Windows node under Wine dies when its stdout or stdin is a Linux pipe ("Error: open EBADF" in
 * createWritableStdioStream, ../shared/windows-under-wine.md, caveat 1): libuv's pipe wrapping cannot open the Unix
 * pipe Wine hands it. Files work, so each run writes stdout/stderr to files of its own, read when it exits (or while it
 * runs, for startEarshot), and reads stdin from a file or the null device.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';
import { unpackVsix } from '../support/vsix';

export const WINE_DIR = process.env.EARSHOT_WINE_DIR ?? path.join(REPO_ROOT, '.wine');
export const WINE_PREFIX = path.join(WINE_DIR, 'prefix');
export const NODE_EXE = path.join(WINE_DIR, 'node', 'node.exe');
/** C:\users in the prefix: a user's profile folder is here. */
export const USERS_DIR = path.join(WINE_PREFIX, 'drive_c', 'users');

export interface WinOptions {
  env?: Record<string, string>;
  /** The Windows user name (Wine takes it from $USER): its profile C:\users\<user> is made on first use. */
  user?: string;
  cwd?: string;
  timeoutMs?: number;
  stdin?: string;
}

export interface WinRun {
  code: number | null;
  /** The signal the harness killed wine with (a timeout), or null. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

const DRIVE_C = path.join(WINE_PREFIX, 'drive_c');

/** The Windows name of a Unix path: C:\… inside the prefix's drive_c, Z:\… (Wine's root drive) for the rest. */
export function winPath(unix: string): string {
  const abs = path.resolve(unix);
  if (abs === DRIVE_C || abs.startsWith(DRIVE_C + path.sep)) return `C:${abs.slice(DRIVE_C.length).replace(/\//g, '\\') || '\\'}`;
  return `Z:${abs.replace(/\//g, '\\')}`;
}

/** The Unix path of a Windows one that winPath could have made (C:\ or Z:\); other drives throw. */
export function unixPath(win: string): string {
  const m = /^([a-zA-Z]):(.*)$/.exec(win);
  if (!m) throw new Error(`not a drive path: ${win}`);
  const rest = m[2].replace(/\\/g, '/');
  if (m[1].toUpperCase() === 'Z') return path.resolve('/', rest);
  if (m[1].toUpperCase() === 'C') return path.join(DRIVE_C, rest);
  throw new Error(`no Unix path for drive ${m[1]}: ${win}`);
}

/**
 * The Unix environment wine starts with: what Wine itself needs and `env` (Wine copies Unix variables into the Windows
 * process's environment, so these are what the Windows program sees), not the test's own (EARSHOT_*, NODE_OPTIONS).
 */
function wineEnv(options: WinOptions): NodeJS.ProcessEnv {
  const pass = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'XDG_RUNTIME_DIR', 'PULSE_SERVER'];
  const base: NodeJS.ProcessEnv = {};
  for (const k of pass) if (process.env[k] !== undefined) base[k] = process.env[k];
  const user = options.user ?? os.userInfo().username;
  // On a CPU with AMX, ggml's Windows build uses the tiles without asking, as Windows allows; Linux needs the process
  // to ask first (scripts/wine-amx-permission.c, which wine-setup.sh builds here).
  const amx = path.join(WINE_DIR, 'amx-permission.so');
  return {
    ...base, USER: user, LOGNAME: user, WINEPREFIX: WINE_PREFIX, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=',
    ...(fs.existsSync(amx) ? { LD_PRELOAD: amx } : {}), ...options.env,
  };
}

export interface WinProcess {
  /** What it has written so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the output once `test` holds for it (checked on each write), rejects at its exit or after timeoutMs. */
  waitFor(test: (out: { stdout: string; stderr: string }) => boolean, timeoutMs: number, what?: string): Promise<{ stdout: string; stderr: string }>;
  /** Resolves when the process has exited (its whole output read). */
  exited: Promise<WinRun>;
  /** Kills wine's process for it (SIGKILL; Wine ends the Windows process with it). */
  kill(): void;
}

let serverHeld = false;

/**
 * One wineserver for the whole run, kept up between programs (`wineserver -p`: persistent) and stopped when this
 * process exits. Wine's server otherwise exits 3 s after its last program, and a program started in that moment finds
 * the socket closed under it: "wine client error:0: recvmsg: Connection reset by peer", exit 1, between two tests of a
 * fresh clone's run (2026-11-29) that each passed alone. wineserver(1): -p with no delay stays until killed (-k); -p
 * cannot change a server already running, so one still in its last seconds is waited out first (-w).
 */
function holdWineServer(): void {
  if (serverHeld) return;
  serverHeld = true;
  const env = wineEnv({});
  spawnSync('wineserver', ['-w'], { env, stdio: 'ignore', timeout: 60_000 });
  spawnSync('wineserver', ['-p'], { env, stdio: 'ignore', timeout: 60_000 });
  process.on('exit', () => { spawnSync('wineserver', ['-k'], { env, stdio: 'ignore', timeout: 30_000 }); });
}

/** Starts a Windows program under Wine with file stdio (see the header), left running. */
export function startWindows(exe: string, args: readonly string[], options: WinOptions = {}): WinProcess {
  holdWineServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wine-run-'));
  const outFile = path.join(dir, 'stdout.txt');
  const errFile = path.join(dir, 'stderr.txt');
  const stdout = fs.openSync(outFile, 'w');
  const stderr = fs.openSync(errFile, 'w');
  const stdin = fs.openSync(options.stdin ?? '/dev/null', 'r');
  const started = Date.now();
  const child = spawn('wine', [exe, ...args], { cwd: options.cwd ?? dir, env: wineEnv(options), stdio: [stdin, stdout, stderr] });
  for (const fd of [stdin, stdout, stderr]) fs.closeSync(fd);
  const read = () => ({
    // Windows programs end lines with \r\n; tests compare lines.
    stdout: fs.readFileSync(outFile, 'utf8').replace(/\r\n/g, '\n'),
    stderr: fs.readFileSync(errFile, 'utf8').replace(/\r\n/g, '\n'),
  });
  let timedOut = false;
  const timer = options.timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, options.timeoutMs) : undefined;
  const exited = new Promise<WinRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const out = read();
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, timedOut, ...out, ms: Date.now() - started });
    });
  });
  const waitFor: WinProcess['waitFor'] = (test, timeoutMs, what = 'the expected output') => new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      watcher.close();
      clearTimeout(limit);
      if (error) reject(error);
      else resolve(read());
    };
    const check = () => {
      if (done) return;
      try {
        if (test(read())) finish();
      } catch { /* the files are gone: the process exited, handled below */ }
    };
    // Wine writes the files from another process: a change on them is what is waited for.
    const watcher = fs.watch(dir, check);
    const limit = setTimeout(() => {
      const out = fs.existsSync(outFile) ? read() : { stdout: '', stderr: '' };
      finish(new Error(`${what} not seen in ${timeoutMs} ms; stdout: ${out.stdout.slice(-1000)} stderr: ${out.stderr.slice(-1000)}`));
    }, timeoutMs);
    void exited.then((r) => {
      if (!done && test(r)) { done = true; watcher.close(); clearTimeout(limit); resolve(r); }
      finish(new Error(`exited (${r.code ?? r.signal}) before ${what}: ${r.stderr.slice(-1500)}`));
    });
    check();
  });
  return { output: read, waitFor, exited, kill: () => child.kill('SIGKILL') };
}

/** Runs a Windows program under Wine with file stdio and resolves when it exits. */
export function runWindows(exe: string, args: readonly string[], options: WinOptions = {}): Promise<WinRun> {
  return startWindows(exe, args, { timeoutMs: 600_000, ...options }).exited;
}

export interface EarshotOptions extends WinOptions {
  /** The unpacked extension folder (default: win32Package()). */
  packageDir?: string;
  /** The Windows executable that runs it (default: node.exe; e.g. a copy named Code.exe). */
  node?: string;
}

async function earshotCommand(args: readonly string[], options: EarshotOptions): Promise<[string, string[]]> {
  const dir = options.packageDir ?? await win32Package();
  return [options.node ?? NODE_EXE, [winPath(path.join(dir, 'bin', 'earshot.js')), ...args]];
}

/** `earshot ARGS` from the package, run by Windows node.exe under Wine, to its exit. */
export async function earshot(args: readonly string[], options: EarshotOptions = {}): Promise<WinRun> {
  const [exe, argv] = await earshotCommand(args, options);
  return runWindows(exe, argv, options);
}

/** `earshot ARGS` from the package, left running (e.g. `daemon --listen`, `listen`). */
export async function startEarshot(args: readonly string[], options: EarshotOptions = {}): Promise<WinProcess> {
  const [exe, argv] = await earshotCommand(args, options);
  return startWindows(exe, argv, options);
}

let packaged: Promise<string> | undefined;

/**
 * The win32-x64 VSIX for this run: $EARSHOT_WIN32_VSIX when set, else packaged once per process from this checkout
 * (`node scripts/package-vsix.js --target win32-x64`, which checks its contents; scripts/build-win32.js must have
 * built the Windows binaries), into a temporary folder removed at exit.
 */
export function win32Vsix(): Promise<string> {
  return (packaged ??= (async () => {
    if (process.env.EARSHOT_WIN32_VSIX) return path.resolve(process.env.EARSHOT_WIN32_VSIX);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-win32-vsix-'));
    process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
    const vsix = path.join(work, 'earshot-win32-x64.vsix');
    const started = Date.now();
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package-vsix.js'), '--target', 'win32-x64', '--out', vsix],
      { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
    if (run.status !== 0) throw new Error(`packaging the win32-x64 VSIX failed (exit ${run.status ?? run.signal}): ${`${run.stdout}\n${run.stderr}`.slice(-3000)}`);
    console.log(`      win32-x64 VSIX packaged and checked in ${((Date.now() - started) / 1000).toFixed(0)} s (${(fs.statSync(vsix).size / 1048576).toFixed(1)} MB)`);
    return vsix;
  })());
}

let unpacked: Promise<string> | undefined;

/** The win32 VSIX unpacked once per process (into a temporary folder outside the prefix: Z:\tmp\…): its extension folder. */
export function win32Package(): Promise<string> {
  return (unpacked ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-win32-pkg-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    await unpackVsix(await win32Vsix(), dir);
    return path.join(dir, 'extension');
  })());
}

/** Runs `use` with a copy of node.exe named Code.exe in a temporary folder (removed after): a host not named node.exe. */
export async function withCodeExe<T>(use: (code: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wine-code-'));
  try {
    const code = path.join(dir, 'Code.exe');
    fs.copyFileSync(NODE_EXE, code);
    return await use(code);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
