/**
 * The release workflow (.github/workflows/release.yml), which only GitHub can run: it lints clean (actionlint and
 * ShellCheck, scripts/lint-workflows.js), the linter fails a broken workflow, and every target the workflow builds is
 * planned here from this checkout's node_modules (which holds every platform's onnxruntime) exactly as its Package
 * step's script plans it (scripts/package-vsix.js --plan), the targets read from the workflow itself. Also the check
 * each runner runs on the unpacked package (scripts/check-package.js) compares paths in one form on Windows.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';
import { vsceIgnores } from '../support/vsce-ignore';

interface Finding { file: string; line?: number; kind: string; message: string }
interface Plan { target: string; foreign: string[]; duplicates: string[]; kept: string[]; missing: string[]; variants: string[]; buildOnly: string[]; overlay?: { root: string; folders: string[]; added: string[] } | null }
interface Job { 'runs-on'?: string; env?: Record<string, string>; strategy?: { matrix?: { include?: Record<string, string>[] } } }
/* eslint-disable @typescript-eslint/no-require-imports */
const lint = require(path.join(REPO_ROOT, 'scripts', 'lint-workflows.js')) as {
  lintWorkflow(file: string, options?: { text?: string; shellcheck?: boolean | 'auto' }): Promise<Finding[]>;
  workflowFiles(): string[];
  hasShellcheck(): boolean;
  format(f: Finding): string;
};
const packager = require(path.join(REPO_ROOT, 'scripts', 'package-vsix.js')) as {
  ignoreFileText(plan: Plan): string;
  fileSource(plan: Plan, rel: string): string;
  nativeKind(head: Buffer): { os: string; archs: string[] } | null;
  hostTarget(): string;
  RUNTIME_VARIANTS: { scope: string; keep: Record<string, string[]> }[];
};
const check = require(path.join(REPO_ROOT, 'scripts', 'check-package.js')) as {
  inside(dir: string, file: string, platform?: string): boolean;
  buildInfoProblems(info: object, pkg: string, options?: { gpu?: string; platform?: string }): string[];
  devicesProblems(list: object, platform?: string): string[];
  firstDoubleProblems(results: Record<string, unknown>): string[];
};
const yaml = require('js-yaml') as { load(text: string): { jobs: Record<string, Job> } };
/* eslint-enable @typescript-eslint/no-require-imports */

const RELEASE = path.join(REPO_ROOT, '.github', 'workflows', 'release.yml');
// scripts/test-deps.sh installs ShellCheck on Linux; elsewhere (the release's macOS unit tests) it may be missing.
const shellcheck = process.platform === 'linux' ? true : 'auto';

describe('release workflow: lint', function () {
  this.timeout(60_000); // actionlint's WebAssembly module loads once, in about a second

  it('actionlint and ShellCheck find nothing in the workflows', async () => {
    for (const file of lint.workflowFiles()) {
      const findings = await lint.lintWorkflow(file, { shellcheck });
      assert.deepEqual(findings.map(lint.format), [], file);
    }
  });

  it('fails a broken workflow: unknown needs, an undefined matrix key, a retired runner, a shell mistake', async function () {
    if (shellcheck === 'auto' && !lint.hasShellcheck()) this.skip(); // the shell part needs ShellCheck (test-deps.sh)
    const broken = [
      'name: broken',
      'on: push',
      'jobs:',
      '  build:',
      '    strategy:',
      '      matrix:',
      '        include:',
      '          - { target: darwin-x64, runner: macos-13 }',
      '    runs-on: ${{ matrix.runner }}',
      '    steps:',
      '      - run: echo "${{ matrix.gpu }}"',
      '      - name: Unpack',
      '        run: cd unpacked && unzip $VSIX',
      '  publish:',
      '    needs: [build, pakage]',
      '    runs-on: ubuntu-24.04',
      '    steps:',
      '      - run: echo published',
    ].join('\n');
    const findings = await lint.lintWorkflow(path.join(REPO_ROOT, '.github', 'workflows', 'broken.yml'), { text: broken, shellcheck: true });
    const text = findings.map(lint.format).join('\n');
    assert.match(text, /broken\.yml:14:\d+: .*"pakage".* \[job-needs\]/);
    assert.match(text, /broken\.yml:11:\d+: .*"gpu".* \[expression\]/);
    assert.match(text, /broken\.yml:8:\d+: runner "macos-13" retired .* \[retired-runner\]/);
    assert.match(text, /job build, step "Unpack", script line 1:\d+: SC2086 .* \[shellcheck\]/);
    // The CLI exits 1 on it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-lint-'));
    try {
      fs.writeFileSync(path.join(dir, 'broken.yml'), broken);
      const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'lint-workflows.js'), path.join(dir, 'broken.yml')], { encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /finding\(s\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The targets release.yml builds: each job's matrix `target`s and job-level `env.TARGET`; and what `publish` expects. */
function releaseTargets(): { built: string[]; published: string[] } {
  const doc = yaml.load(fs.readFileSync(RELEASE, 'utf8'));
  const built = Object.values(doc.jobs).flatMap((job) => [
    ...(job.strategy?.matrix?.include ?? []).map((e) => e.target).filter(Boolean),
    ...(job.env?.TARGET ? [job.env.TARGET] : []),
  ]);
  return { built, published: (doc.jobs.publish.env?.TARGETS ?? '').split(/\s+/).filter(Boolean) };
}

describe('release workflow: every target it builds, planned here', function () {
  this.timeout(60_000);
  const { built, published } = releaseTargets();
  const base = fs.readFileSync(path.join(REPO_ROOT, '.vscodeignore'), 'utf8');
  const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };

  it('publishes exactly the packages its jobs build, each once', () => {
    assert.ok(built.length >= 4, `targets read from release.yml: ${built}`);
    assert.equal(new Set(built).size, built.length, `a target built twice: ${built}`);
    assert.deepEqual([...published].sort(), [...built].sort());
  });

  it('builds every CPU variant of each package it ships: nothing in it narrows them (EARSHOT_WIN32_CPU_VARIANTS is npm test\'s, EARSHOT_WHISPER_CPU_VARIANTS CI\'s)', () => {
    const text = fs.readFileSync(RELEASE, 'utf8');
    assert.match(text, /node scripts\/build-win32\.js/);
    assert.doesNotMatch(text, /EARSHOT_WIN32_CPU_VARIANTS/);
    assert.doesNotMatch(text, /EARSHOT_WHISPER_CPU_VARIANTS/);
  });

  for (const target of releaseTargets().built) {
    it(`${target}: only its whisper addon, built on its own machine, is missing here; no foreign binary ships`, () => {
      // As the Package step runs it, with --plan: what the package keeps and leaves out, without packing.
      const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package-vsix.js'), '--target', target, '--plan'], { cwd: REPO_ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as Plan;
      // Any other package with native code but none for the target fails the Package step on the target's runner
      // (onnxruntime-node 1.24+ for darwin-x64: no macOS x64 binding).
      // (Unless a cross-build's overlay has the whisper addon: win32-x64 after scripts/build-win32.js.)
      const crossBuilt = plan.overlay?.folders.some((f) => f.startsWith('node_modules/smart-whisper/')) ?? false;
      assert.deepEqual(plan.missing, target === packager.hostTarget() || crossBuilt ? [] : ['node_modules/smart-whisper'], `${target} cannot be packaged: ${plan.missing}`);
      const [osName, arch] = target.split('-');
      assert.ok(plan.kept.some((f) => f === `node_modules/onnxruntime-node/bin/napi-v6/${osName}/${arch}/onnxruntime_binding.node`), `${target}: onnxruntime's binding`);
      for (const file of plan.kept) {
        // A cross-built target's files are read where its overlay has them (.win32-x64/ once scripts/build-win32.js ran).
        const kind = packager.nativeKind(fs.readFileSync(packager.fileSource(plan, file)).subarray(0, 4096));
        assert.ok(kind && kind.os === osName && kind.archs.includes(arch), `${file} is ${JSON.stringify(kind)}`);
      }
      // npm installs node-llama-cpp's variants for the machine it runs on only: the lockfile must name each one the
      // target's package keeps, so that npm ci on the target's runner brings it.
      for (const variant of packager.RUNTIME_VARIANTS[0].keep[target] ?? []) {
        assert.ok(lock.packages[`node_modules/@node-llama-cpp/${variant}`], `${target}: @node-llama-cpp/${variant} is in the lockfile`);
      }
      // vsce, reading the ignore file the Package step writes, leaves out every foreign binary, and keeps every kept
      // one that .vscodeignore itself lets through (it leaves out build trees, e.g. CMake's probe binaries).
      const ignore = packager.ignoreFileText(plan);
      for (const f of [...plan.foreign, ...plan.duplicates]) assert.ok(vsceIgnores(ignore, f), `${target}: ${f} left out`);
      // (A cross-build's overlay files are left out of vsce's run whole and added to the zip after it: addOverlay.)
      const overlaid = (f: string) => plan.overlay?.folders.some((o) => f === o || f.startsWith(`${o}/`)) ?? false;
      for (const f of plan.kept.filter((k) => !vsceIgnores(base, k) && !overlaid(k))) assert.ok(!vsceIgnores(ignore, f), `${target}: ${f} ships`);
      if (plan.overlay) assert.ok(plan.overlay.added.length > 0 && plan.overlay.added.every(overlaid), `${target}: the overlay's files go in after vsce`);
    });
  }
});

describe('release workflow: the package check compares paths in one form', () => {
  const pkg = 'D:\\a\\earshot\\earshot\\unpacked\\extension';
  const module = `${pkg}\\node_modules\\smart-whisper\\build\\Release\\ggml-cpu-haswell.dll`;

  it('on Windows: backslashes, forward slashes and drive-letter case are one path; a sibling folder is not inside', () => {
    assert.ok(check.inside(pkg, module, 'win32'));
    assert.ok(check.inside('D:/a/earshot/earshot/unpacked/extension', module, 'win32'), 'PKG with forward slashes');
    assert.ok(check.inside('d:\\a\\earshot\\earshot\\unpacked\\extension\\', module, 'win32'), 'lower-case drive, trailing separator');
    assert.ok(!check.inside(pkg, 'D:\\a\\earshot\\earshot\\unpacked\\extension-old\\ggml-cpu-x64.dll', 'win32'));
    assert.ok(!check.inside(pkg, 'C:\\Windows\\System32\\ggml-cpu-x64.dll', 'win32'));
    assert.ok(!module.startsWith('D:/a/earshot/earshot/unpacked/extension'), 'what the old check compared');
  });

  it('on Linux and macOS: case counts, and the module must be under the package', () => {
    assert.ok(check.inside('/tmp/u/extension', '/tmp/u/extension/node_modules/x.so', 'linux'));
    assert.ok(!check.inside('/tmp/u/extension', '/tmp/u/Extension/node_modules/x.so', 'linux'));
    assert.ok(!check.inside('/tmp/u/extension', '/work/node_modules/x.so', 'darwin'));
  });

  it("names what build-info says is wrong: the checkout's module, no CPU module, a missing GPU module, Metal without a device", () => {
    const good = { cpuVariant: 'haswell', cpuBackend: module, gpuBackends: ['vulkan'], gpuDevices: [] };
    assert.deepEqual(check.buildInfoProblems(good, pkg, { gpu: 'vulkan', platform: 'win32' }), []);
    const problems = check.buildInfoProblems({ cpuVariant: 'built in', cpuBackend: 'C:\\src\\earshot\\node_modules\\ggml-cpu-x64.dll', gpuBackends: [], gpuDevices: [] },
      pkg, { gpu: 'metal', platform: 'win32' });
    assert.equal(problems.length, 4, problems.join('\n'));
  });
});

describe('release workflow: the package check fails a package whose audio backend or first double is wrong (issue 54 P5)', () => {
  // `earshot devices --json` as daemon/capture/devices.ts captureBackends() and backendNotes() write it.
  const AUDIFY_FAILED = "in-process capture unavailable: audify's native addon does not load (The specified module could not be found.); using sox/arecord/parec/ffmpeg";
  const devices = (microphone: string, notes: string[] = []) => ({ microphones: [], systemSources: [], notes, backends: { microphone, systemAudio: microphone } });

  it('on Windows the microphone must be recorded by audify: "recorder programs" fails, naming why audify did not load', () => {
    assert.deepEqual(check.devicesProblems(devices('audify (in-process RtAudio)'), 'win32'), []);
    const fallback = devices('recorder programs', ['capture backend: microphone recorder programs; system audio recorder programs', AUDIFY_FAILED]);
    assert.deepEqual(check.devicesProblems(fallback, 'win32'), [`the in-process audio backend did not load (microphone backend: recorder programs): ${AUDIFY_FAILED}`]);
    assert.equal(check.devicesProblems({}, 'win32').length, 1, 'an answer without backends fails too');
    assert.deepEqual(check.devicesProblems(fallback, 'linux'), [], 'Linux runners may record with the programs');
  });

  it('on macOS the capture app records the microphone, with audify loaded as its fallback and audiotee for system audio', () => {
    const app = 'earshot-capture (Earshot Audio Capture.app: macOS asks for Earshot)';
    const mac = (microphone: string, systemAudio: string, notes: string[] = []) => ({ microphones: [], systemSources: [], notes, backends: { microphone, systemAudio } });
    assert.deepEqual(check.devicesProblems(mac(app, 'audiotee (Core Audio tap)'), 'darwin'), []);
    const noApp = "microphone recorded inside the editor's process (macOS asks the editor, and may refuse it without asking): Earshot Audio Capture.app is missing";
    assert.deepEqual(check.devicesProblems(mac('audify (in-process RtAudio)', 'audiotee (Core Audio tap)', [noApp]), 'darwin'),
      [`the capture app does not record the microphone (microphone backend: audify (in-process RtAudio)): ${noApp}`]);
    assert.deepEqual(check.devicesProblems(mac(app, 'recorder programs', [AUDIFY_FAILED]), 'darwin'), [
      `the in-process audio backend did not load (microphone backend: ${app}): ${AUDIFY_FAILED}`,
      'audiotee does not record system audio (system audio backend: recorder programs)',
    ]);
  });

  it("each addon's first double must come back as 1.5: a trashed register (0), a missing self-test (null) or a load error fails", () => {
    assert.deepEqual(check.firstDoubleProblems({ 'audify.node': 1.5, 'smart-whisper.node': 1.5 }), []);
    assert.deepEqual(check.firstDoubleProblems({ 'audify.node': 0, 'smart-whisper.node': null, 'x.node': { error: 'An Application Control policy has blocked this file.' } }), [
      'audify.node: its first Node-API call (napi_create_double(1.5)) gave 0',
      'smart-whisper.node: its first Node-API call (napi_create_double(1.5)) gave null',
      'x.node: its first Node-API call (napi_create_double(1.5)) gave {"error":"An Application Control policy has blocked this file."}',
    ]);
  });
});
