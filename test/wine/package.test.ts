/**
 * The win32-x64 package, run for real (issue 38): `npm run test:wine` packages the win32 VSIX on Linux
 * (scripts/package-vsix.js --target win32-x64, with the MinGW-w64 binaries of scripts/build-win32.js), unpacks it, and
 * runs its own CLI with Windows node.exe 22 under Wine 8.0 (test/wine/wine.ts): the whisper core and binding, Silero
 * through onnxruntime-node's win32 binaries, node-llama-cpp's win-x64 build. What each test compares with is this
 * machine's Linux build of the same sources (the checkout's own CLI), on the same model and WAV.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vectorFiles } from '../../daemon/memory/vectorFiles';
import type { PlatformReport } from '../../protocol/protocol';
import { DAEMON_BIN, notesModel, randomMiniModel, REPO_ROOT } from '../setup';
import { micOnly, writeJournal } from '../support/journals';
import { earshot, NODE_EXE, runWindows, USERS_DIR, win32Package, winPath, WinRun, withCodeExe } from './wine';

interface Run { code: number | null; stdout: string; stderr: string }

/** The checkout's own CLI on Linux (the Linux build of the same sources): what the Windows package must match. */
function linuxEarshot(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wine-linux-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DAEMON_BIN, ...args], {
      cwd, env: { ...process.env, EARSHOT_STORAGE: path.join(cwd, 'storage'), EARSHOT_OFFLINE: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      fs.rmSync(cwd, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(run: WinRun | Run, what: string): WinRun | Run {
  const timedOut = 'timedOut' in run && run.timedOut ? ' (timed out)' : '';
  assert.equal(run.code, 0, `${what}: exit ${run.code}${timedOut}: ${run.stderr.slice(-2000)}`);
  return run;
}

/** `transcribe --json`'s lines ({t0, t1, source, text}): the segment boundaries come from Silero, the text from whisper. */
function segments(run: WinRun | Run, what: string): { t0: number; t1: number; source: string; text: string }[] {
  ok(run, what);
  const lines = run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(lines.length >= 3 && lines.every((s) => s.text.trim().length > 0), `${what}: ${run.stdout}`);
  return lines;
}

interface BuildInfo { core: string; kind: string; whisperCpp: string; matches: boolean; cpuVariant: string | null; cpuBackend: string | null; addon: string }

describe('the win32-x64 package under Wine (Windows node.exe 22, Wine 8.0)', function () {
  this.timeout(20 * 60_000);
  let pkg = '';
  const sample = () => path.join(pkg, 'media', 'sample', 'standup.wav');
  /** Where the package has its whisper addon, as Windows names it. */
  const release = (dir: string) => winPath(path.join(dir, 'node_modules', 'smart-whisper', 'build', 'Release'));
  let linuxInfo: Promise<BuildInfo> | undefined;
  const linuxBuildInfo = () => (linuxInfo ??= linuxEarshot(['build-info', '--json']).then((r) => JSON.parse(ok(r, 'Linux build-info').stdout)));
  let linuxRun: Promise<Run> | undefined;
  const linuxTranscript = () => (linuxRun ??= linuxEarshot(['transcribe', sample(), '--model', randomMiniModel(), '--json', '--no-download']));

  before(async function () {
    for (const need of [NODE_EXE, path.join(REPO_ROOT, '.win32-x64', 'overlay.json')]) {
      assert.ok(fs.existsSync(need), `${need} missing: npm run test:wine runs scripts/wine-setup.sh and scripts/build-win32.js first`);
    }
    pkg = await win32Package();
  });

  it("build-info: the package's whisper core, its best CPU variant for this CPU loaded from the package's folder", async () => {
    const run = ok(await earshot(['build-info', '--json'], { env: { EARSHOT_OFFLINE: '1' } }), 'build-info');
    const info = JSON.parse(run.stdout) as BuildInfo;
    const linux = await linuxBuildInfo();
    assert.equal(info.core, 'new');
    assert.equal(info.kind, 'cpu');
    assert.equal(info.whisperCpp, linux.whisperCpp, 'the same whisper.cpp as the Linux build');
    assert.equal(info.matches, true, 'the installed core is the one wanted');
    // Paths in one form: Windows names, compared without regard to case (as Windows does).
    assert.equal(path.win32.dirname(info.cpuBackend ?? '').toLowerCase(), release(pkg).toLowerCase(), `the CPU module comes from the package: ${info.cpuBackend}`);
    assert.equal(path.win32.dirname(info.addon).toLowerCase(), release(pkg).toLowerCase());
    // Wine runs the same CPU: ggml scores the same variant best as on Linux.
    assert.equal(info.cpuVariant, linux.cpuVariant);
  });

  it("transcribes the sample with a random-weights model to the Linux build's segments (Silero through onnxruntime's win32 binaries, whisper)", async () => {
    const windows = segments(await earshot(['transcribe', winPath(sample()), '--model', winPath(randomMiniModel()), '--json', '--no-download'],
      { env: { EARSHOT_OFFLINE: '1' } }), 'Windows transcribe');
    assert.deepEqual(windows, segments(await linuxTranscript(), 'Linux transcribe'));
  });

  /**
   * The package installed in a user's profile (as VS Code installs an extension), its model, a WAV and Earshot's
   * default storage (%APPDATA%\Earshot) there: build-info and a transcription must match the Linux build's.
   */
  async function transcribeInProfile(user: string, folders: { docs: string; models: string; model: string; wav: string }): Promise<void> {
    const profile = path.join(USERS_DIR, user);
    // Where VS Code installs an extension for that user, and the user's own files.
    const installed = path.join(profile, '.vscode', 'extensions', 'earshot.earshot-0.1.0-win32-x64');
    fs.rmSync(installed, { recursive: true, force: true });
    // The unpacked VSIX copied (not unzipped again: 270 MB inflated in JS took a minute here).
    const pkgThere = path.join(installed, 'extension');
    fs.cpSync(pkg, pkgThere, { recursive: true });
    const docs = path.join(profile, 'Documents', folders.docs);
    fs.mkdirSync(docs, { recursive: true });
    const model = path.join(profile, 'AppData', 'Local', folders.models, folders.model);
    fs.mkdirSync(path.dirname(model), { recursive: true });
    fs.copyFileSync(randomMiniModel(), model);
    const wav = path.join(docs, folders.wav);
    fs.copyFileSync(sample(), wav);
    try {
      const info = JSON.parse(ok(await earshot(['build-info', '--json'], { user, packageDir: pkgThere, env: { EARSHOT_OFFLINE: '1' } }), 'build-info from the profile').stdout) as BuildInfo;
      assert.equal(path.win32.dirname(info.cpuBackend ?? '').toLowerCase(), release(pkgThere).toLowerCase(), `the CPU module from the profile's package: ${info.cpuBackend}`);
      // No EARSHOT_STORAGE: the daemon's own default, %APPDATA%\Earshot, under the profile.
      const run = await earshot(['transcribe', winPath(wav), '--model', winPath(model), '--json', '--no-download'], { user, packageDir: pkgThere, env: { EARSHOT_OFFLINE: '1' } });
      assert.deepEqual(segments(run, `transcribe in ${user}'s profile`), segments(await linuxTranscript(), 'Linux transcribe'));
    } finally {
      fs.rmSync(profile, { recursive: true, force: true });
    }
  }

  it('works from a user profile whose path has spaces and non-ASCII letters (C:\\users\\Zoë Ünal\\…): package, model, WAV and storage there', async () => {
    await transcribeInProfile('Zoë Ünal', { docs: 'Réunions d’équipe', models: 'Modèles Whisper', model: 'ggml-mini ö.bin', wav: 'Stand-up ü.wav' });
  });

  it('works from a profile named outside the ANSI code page (C:\\users\\Łukasz 张\\…): no path goes through an …A API or wcstombs', async () => {
    // The premise: Windows' ANSI code page here is a Western one, which has neither Ł nor 张 (code page 1252: Latin-1
    // plus typographic marks), so a path converted to it would come out as '?' and fail to open. UTF-8 (65001) as
    // the ANSI code page would hide such a conversion.
    const acp = await runWindows('reg', ['query', 'HKLM\\System\\CurrentControlSet\\Control\\Nls\\CodePage', '/v', 'ACP'], { timeoutMs: 60_000 });
    assert.match(acp.stdout, /ACP\s+REG_SZ\s+1252\b/, `the ANSI code page: ${acp.stdout}`);
    await transcribeInProfile('Łukasz 张', { docs: 'Spotkania 会议', models: 'Modele Whisper 模型', model: 'ggml-mini ż.bin', wav: 'Stand-up 张.wav' });
  });

  it("earshot report: each addon's first double, the host, and Smart App Control as Windows' reg.exe prints it (the value set in this prefix for the test)", async () => {
    // Microsoft's registry value for Smart App Control (1: On, enforcement; "Test your app's signature with Smart App
    // Control"), set in the prefix so that the report reads it through reg.exe's real output.
    const key = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\CI\\Policy';
    ok(await runWindows('reg', ['add', key, '/v', 'VerifiedAndReputablePolicyState', '/t', 'REG_DWORD', '/d', '1', '/f'], { timeoutMs: 60_000 }), 'reg add');
    try {
      const report = JSON.parse(ok(await earshot(['report', '--json'], { env: { EARSHOT_OFFLINE: '1' } }), 'report').stdout) as PlatformReport;
      const facts = (title: string) => Object.fromEntries(report.sections.find((s) => s.title === title)!.facts.map((f) => [f.name, f.value]));
      assert.match(facts('This machine')['host process'], /\\node\.exe$/i);
      const modules = facts('Native modules');
      assert.equal(modules["audify.node's first Node-API double (1.5 expected)"], 'loads: 1.5');
      assert.equal(modules["smart-whisper.node's first Node-API double (1.5 expected)"], 'loads: 1.5');
      assert.match(modules['whisper (smart-whisper.node)'], /^loads: CPU module ggml-cpu-/);
      const control = facts('Windows application control');
      assert.equal(control['Smart App Control'], 'on (enforcement): unsigned native files are blocked');
      // Wine has no Code Integrity log: either wevtutil is missing or it finds no such channel; never an event of ours.
      assert.ok(control['Code Integrity events'] !== undefined || control['Code Integrity events naming Earshot'] === 'none', JSON.stringify(control));
    } finally {
      await runWindows('reg', ['delete', key, '/v', 'VerifiedAndReputablePolicyState', '/f'], { timeoutMs: 60_000 });
    }
  });

  it('reports a model whisper.cpp refuses (a tensor renamed) and exits 1, instead of exiting 0 without a word', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wine-bad-model-'));
    try {
      // The file's header and size are a model's (the CLI's own check passes); whisper.cpp stops at the unknown tensor.
      const bytes = fs.readFileSync(randomMiniModel());
      const at = bytes.indexOf('encoder.conv1.weight');
      assert.ok(at > 0);
      bytes.write('XXXXXXX', at, 'latin1');
      const model = path.join(dir, 'refused.bin');
      fs.writeFileSync(model, bytes);
      const run = await earshot(['transcribe', winPath(sample()), '--model', winPath(model), '--json', '--no-download'], { env: { EARSHOT_OFFLINE: '1' } });
      assert.equal(run.code, 1, `exit ${run.code}: ${run.stderr}`);
      assert.match(run.stderr, /failed to load: Failed to initialize whisper context/);
      assert.equal(run.stdout, '');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads the addon in a host not named node.exe (VS Code runs the daemon in Code.exe with ELECTRON_RUN_AS_NODE)', async () => {
    await withCodeExe(async (code) => {
      const run = ok(await earshot(['build-info', '--json'], { node: code, env: { ELECTRON_RUN_AS_NODE: '1', EARSHOT_OFFLINE: '1' } }), 'build-info in Code.exe');
      const info = JSON.parse(run.stdout) as BuildInfo;
      assert.equal(path.win32.dirname(info.cpuBackend ?? '').toLowerCase(), release(pkg).toLowerCase(), 'the addon loaded and found its CPU modules');
      assert.equal(info.cpuVariant, (await linuxBuildInfo()).cpuVariant);
    });
  });

  it("passes a double through each addon's first Node-API call, with the resolver trashing xmm0-xmm5 as Windows DLLs may, in node.exe and in a Code.exe", async () => {
    // The addons' napi_register_module_v1 (scripts/win32/node-api-resolver.c) first calls napi_create_double(1.5) and
    // leaves the value as `earshotFirstDouble`: that call goes through the trampoline, whose resolver zeroes xmm0-xmm5
    // under EARSHOT_TEST_TRASH_XMM (Wine's GetProcAddress leaves them, real Windows' may not). A trampoline that does
    // not keep them (binutils 2.40's dlltool -y) gives 0 here.
    const addons = ['node_modules/audify/build/Release/audify.node', 'node_modules/smart-whisper/build/Release/smart-whisper.node'].map((a) => winPath(path.join(pkg, a)));
    const script = 'const r = {}; for (const a of process.argv.slice(1)) r[a.replace(/.*\\\\/, "")] = require(a).earshotFirstDouble; console.log(JSON.stringify(r));';
    await withCodeExe(async (code) => {
      for (const [host, env] of [[NODE_EXE, {}], [code, { ELECTRON_RUN_AS_NODE: '1' }]] as const) {
        for (const trash of ['1', '0']) {
          const run = ok(await runWindows(host, ['-e', script, ...addons], { env: { ...env, EARSHOT_TEST_TRASH_XMM: trash }, timeoutMs: 120_000 }), `${path.basename(host)} loading the addons`);
          assert.deepEqual(JSON.parse(run.stdout), { 'audify.node': 1.5, 'smart-whisper.node': 1.5 }, `${path.basename(host)}, EARSHOT_TEST_TRASH_XMM=${trash}`);
        }
      }
    });
  });

  it('passes the release\'s package check (scripts/check-package.js) inside a Code.exe: its CPU module, audify as the audio backend, the first doubles', async () => {
    const run = await withCodeExe((code) => runWindows(code, [winPath(path.join(REPO_ROOT, 'scripts', 'check-package.js')), winPath(pkg), '--gpu', 'none'],
      { env: { ELECTRON_RUN_AS_NODE: '1', EARSHOT_OFFLINE: '1' }, timeoutMs: 300_000 }));
    assert.equal(run.code, 0, `check-package: ${run.stdout.slice(-1500)} ${run.stderr.slice(-1500)}`);
    assert.match(run.stdout, /^check-package: run by .*\\Code\.exe/m);
    assert.match(run.stdout, /"microphone":"audify \(in-process RtAudio\)"/);
    assert.match(run.stdout, /^first doubles: \{.*audify\.node":1\.5,.*smart-whisper\.node":1\.5\}$/m);
  });

  it("writes notes with the local model on node-llama-cpp's win-x64 build (a generated GGUF, on the CPU)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wine-notes-'));
    try {
      const transcript = path.join(dir, 'meeting.txt');
      fs.writeFileSync(transcript, 'Ana: Maria will send the budget figures to finance by Friday.\nBen: We agreed to ship on Monday.\n');
      // No Vulkan device (ggml hides software ones unless named): the CPU build, as test/package does.
      // The bound is generous: on a quiet machine here the run takes 270-280 s (Wine starting its services, then the
      // chunk, the summary and its settle on one thread), and CI's machines are loaded (300 s once ran out).
      const run = ok(await earshot(['notes', winPath(transcript), '--json', '--local', '--model', winPath(notesModel()), '--threads', '1'],
        { env: { EARSHOT_STORAGE: winPath(path.join(dir, 'storage')), GGML_VK_VISIBLE_DEVICES: '' }, timeoutMs: 900_000 }), 'notes --local');
      assert.match(run.stderr, /language model: 1 chunk done/);
      assert.match(run.stderr, /local model: .*, on the CPU \(1 thread\)/);
      const out = JSON.parse(run.stdout) as { actionItems: { by?: string; segments?: string[] }[]; decisions: { by?: string; segments?: string[] }[] };
      const byModel = [...out.actionItems, ...out.decisions].filter((x) => x.by);
      assert.ok(byModel.length >= 1 && byModel.every((x) => x.segments!.every((s) => s === 'l-1' || s === 'l-2')), run.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replaces a file another program holds open for a moment (a notes file an antivirus or OneDrive is reading): the plain rename fails, renameOver waits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wine-rename-'));
    try {
      // In one Windows process: the notes file opened with no sharing (UV_FS_O_EXLOCK: share mode 0, libuv fs__open),
      // as a scanner holds it; a plain rename over it, then the package's renameOver, with the hold let go after 1 s.
      const script = `
        const fs = require('fs'), path = require('path');
        const { renameOver } = require(path.join(process.argv[1], 'out', 'protocol', 'renameOver.js'));
        const dir = process.argv[2], to = path.join(dir, 'notes.md'), a = path.join(dir, 'a.tmp'), b = path.join(dir, 'b.tmp');
        fs.writeFileSync(to, 'old'); fs.writeFileSync(a, 'plain'); fs.writeFileSync(b, 'new');
        const fd = fs.openSync(to, fs.constants.O_RDONLY | fs.constants.UV_FS_O_EXLOCK);
        let plain = 'renamed';
        try { fs.renameSync(a, to); } catch (e) { plain = e.code; }
        setTimeout(() => fs.closeSync(fd), 1000);
        const started = Date.now();
        renameOver(b, to).then(() => console.log(JSON.stringify({ plain, waitedMs: Date.now() - started, content: fs.readFileSync(to, 'utf8') })),
          (e) => console.log(JSON.stringify({ plain, error: e.code })));`;
      const run = ok(await runWindows(NODE_EXE, ['-e', script, winPath(pkg), winPath(dir)], { timeoutMs: 120_000 }), 'renameOver');
      const out = JSON.parse(run.stdout) as { plain: string; waitedMs?: number; content?: string; error?: string };
      // MoveFileEx over a file opened without FILE_SHARE_DELETE: ERROR_ACCESS_DENIED, which libuv reports as EPERM
      // (the "EPERM: operation not permitted, rename" Windows users of npm see when a scanner holds a file).
      assert.equal(out.plain, 'EPERM', `a plain rename over a held file: ${run.stdout}`);
      assert.equal(out.content, 'new', run.stdout);
      assert.ok(out.waitedMs! >= 900, `renameOver waited for the hold to go: ${run.stdout}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("searches by meaning on node-llama-cpp's win-x64 build: it embeds the meetings, keeps the vectors the Linux build keeps, and reads them back", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wine-meaning-'));
    try {
      // The meaning model as a download leaves it (models/memory/<file>), a generated GGUF in the catalog's place:
      // unmarked, so the first ask hashes it against the catalog and marks it, as after a copy by hand.
      const body = fs.readFileSync(notesModel('random'));
      const sha256 = createHash('sha256').update(body).digest('hex');
      const catalog = path.join(dir, 'catalog.json');
      fs.writeFileSync(catalog, JSON.stringify([{ id: 'bge-small-en-v1.5', file: 'meaning.gguf', bytes: body.length, sha256, url: 'https://127.0.0.1:9/meaning.gguf' }]));
      const sessionId = '20260110T090000-aaaaaa';
      const storageFor = (name: string) => {
        const storage = path.join(dir, name);
        fs.mkdirSync(path.join(storage, 'models', 'memory'), { recursive: true });
        fs.writeFileSync(path.join(storage, 'models', 'memory', 'meaning.gguf'), body);
        writeJournal(storage, sessionId, { title: 'Garden' }, micOnly(40, 12, 'The roses need water before the frost.'));
        return storage;
      };
      const question = ['ask', 'what about the roses?'];
      const linuxStorage = storageFor('linux');
      const linux = ok(await linuxEarshot(question, { EARSHOT_STORAGE: linuxStorage, EARSHOT_MEMORY_CATALOG: catalog }), 'Linux ask');
      const winStorage = storageFor('windows');
      const env = { EARSHOT_STORAGE: winPath(winStorage), EARSHOT_MEMORY_CATALOG: winPath(catalog) };
      const first = ok(await earshot(question, { env, timeoutMs: 300_000 }), 'ask');
      assert.match(first.stderr, /the meeting search model is reading \d+ parts of your meetings/);
      assert.match(first.stdout, /roses need water/);
      // The passages as Linux gives them; each meeting's heading names its journal, in either storage.
      const passages = (out: string) => out.replace(/\r\n/g, '\n').replace(/ — .*\.jsonl$/gm, '');
      assert.equal(passages(first.stdout), passages(linux.stdout), 'the Linux build\'s passages');
      // The vectors files: the same blocks (keys hash the blocks' text) and, to float rounding, the same vectors.
      const kept = async (storage: string) => vectorFiles(path.join(storage, 'sessions'), sha256).read(sessionId);
      const [onLinux, onWindows] = [await kept(linuxStorage), await kept(winStorage)];
      assert.ok(onLinux.size >= 1, 'the Linux build kept vectors');
      assert.deepEqual([...onWindows.keys()], [...onLinux.keys()]);
      for (const [key, v] of onWindows) {
        const w = onLinux.get(key)!;
        assert.equal(v.length, w.length);
        assert.ok(v.reduce((s, x, i) => s + x * w[i], 0) > 0.999, `block ${key}: the same direction as the Linux build's`);
      }
      const again = ok(await earshot(question, { env, timeoutMs: 300_000 }), 'ask again');
      assert.doesNotMatch(again.stderr, /meeting search model is reading/, 'the kept vectors read, not the meetings');
      assert.equal(again.stdout, first.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
