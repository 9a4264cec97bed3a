/**
 * The platform VSIX (scripts/package-vsix.js, scripts/vsix-contents.js): native binaries are told apart
 * by their headers, each target keeps only its own (planned on this checkout's real node_modules), and
 * the contents check refuses what must not ship. The packed VSIX itself is built, checked, installed and
 * run in CI by the editor smoke test (test/editor/vsix.ts).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import JSZip from 'jszip';
import { REPO_ROOT } from '../setup';
import { vsceIgnores } from '../support/vsce-ignore';

interface NativeKind { os: string; archs: string[] }
interface Plan { target: string; foreign: string[]; duplicates: string[]; kept: string[]; missing: string[]; variants: string[]; buildOnly: string[]; overlay?: { root: string; folders: string[]; added: string[] } | null }
/* eslint-disable @typescript-eslint/no-require-imports */
const packager = require(path.join(REPO_ROOT, 'scripts', 'package-vsix.js')) as {
  nativeKind(head: Buffer): NativeKind | null;
  plan(target: string, root?: string): Plan;
  fileSource(plan: Plan, rel: string): string;
  ignoreFileText(plan: Plan): string;
  hostTarget(): string;
  RUNTIME_VARIANTS: { scope: string; keep: Record<string, string[]> }[];
};
const contents = require(path.join(REPO_ROOT, 'scripts', 'vsix-contents.js')) as {
  checkVsix(file: string, target?: string, options?: { checkout?: string }): Promise<{ summary: string; native: { name: string }[] }>;
  relativeLinks(markdown: string, options?: { images?: boolean }): string[];
  relativeImports(source: string): string[];
};
const captureApp = require(path.join(REPO_ROOT, 'scripts', 'mac-capture-app.js')) as { APP_PATH: string; infoPlist(v: { recorder: string; audiotee: string }): string };
/* eslint-enable @typescript-eslint/no-require-imports */
const CAPTURE_APP_EXE = `${captureApp.APP_PATH}/Contents/MacOS/earshot-capture`;
const CAPTURE_APP_AUDIOTEE = `${captureApp.APP_PATH}/Contents/MacOS/audiotee`;
const CAPTURE_APP_PLIST = `${captureApp.APP_PATH}/Contents/Info.plist`;
/** Call detection's process list, beside the app and outside its signature (scripts/mac-capture/earshot-audio-processes.cpp). */
const CAPTURE_PROCESSES = 'out/mac-capture/earshot-audio-processes';

/** The first bytes of an ELF file: 64-bit little-endian, of `type` (2 exec, 3 shared, 1 relocatable). */
function elf(machine: number, type = 3): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; b[5] = 1;
  b.writeUInt16LE(type, 16);
  b.writeUInt16LE(machine, 18);
  return b;
}
function macho(cpu: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(cpu, 4);
  return b;
}
function universal(cpus: number[]): Buffer {
  const b = Buffer.alloc(128);
  b.writeUInt32BE(0xcafebabe, 0);
  b.writeUInt32BE(cpus.length, 4);
  cpus.forEach((cpu, i) => b.writeUInt32BE(cpu, 8 + i * 20));
  return b;
}
function pe(machine: number): Buffer {
  const b = Buffer.alloc(256);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.writeUInt32BE(0x50450000, 0x80);
  b.writeUInt16LE(machine, 0x84);
  return b;
}

describe('VSIX: native binaries per platform', () => {
  it('tells the platform and CPU of ELF, Mach-O and PE files from their headers', () => {
    const kind = packager.nativeKind;
    assert.deepEqual(kind(elf(0x3e)), { os: 'linux', archs: ['x64'] });
    assert.deepEqual(kind(elf(0xb7, 2)), { os: 'linux', archs: ['arm64'] });
    assert.deepEqual(kind(macho(0x0100000c)), { os: 'darwin', archs: ['arm64'] });
    assert.deepEqual(kind(universal([0x01000007, 0x0100000c])), { os: 'darwin', archs: ['x64', 'arm64'] });
    assert.deepEqual(kind(pe(0x8664)), { os: 'win32', archs: ['x64'] });
    assert.deepEqual(kind(pe(0xaa64)), { os: 'win32', archs: ['arm64'] });
    // Not loaded at run time, or not native at all.
    assert.equal(kind(elf(0x3e, 1)), null, 'a relocatable object (.o)');
    const javaClass = Buffer.alloc(64);
    javaClass.writeUInt32BE(0xcafebabe, 0);
    javaClass.writeUInt32BE(0x00000034, 4); // class file version 52
    assert.equal(kind(javaClass), null);
    const mzText = Buffer.alloc(256, 0x20);
    mzText.write('MZ is not a PE image', 0, 'latin1');
    assert.equal(kind(mzText), null);
    assert.equal(kind(Buffer.from('#!/usr/bin/env node\n'.padEnd(80, ' '))), null);
  });

  for (const target of ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64']) {
    it(`plans a ${target} package with only ${target} binaries (this checkout's node_modules)`, () => {
      const plan = packager.plan(target);
      const [osName, arch] = target.split('-');
      for (const file of plan.kept) {
        // A cross-built target's files are read where its overlay has them (.win32-x64/ once scripts/build-win32.js ran).
        const kind = packager.nativeKind(fs.readFileSync(packager.fileSource(plan, file)).subarray(0, 4096));
        assert.ok(kind && kind.os === osName && kind.archs.includes(arch), `${file} is ${JSON.stringify(kind)}`);
      }
      const binding = plan.kept.filter((f) => /onnxruntime-node\/bin\/.*\/onnxruntime_binding\.node$/.test(f));
      assert.deepEqual(binding, [`node_modules/onnxruntime-node/bin/napi-v6/${osName}/${arch}/onnxruntime_binding.node`]);
      // Every other platform's onnxruntime goes, DirectML included (Windows only).
      const others = plan.foreign.filter((f) => f.includes('onnxruntime-node/bin/'));
      assert.ok(others.length >= 10, `${others.length} other-platform onnxruntime files left out`);
      assert.ok(others.every((f) => !f.includes(`/${osName}/${arch}/`)));
      const directML = [...plan.foreign, ...plan.kept].filter((f) => f.endsWith('/DirectML.dll'));
      assert.equal(directML.length, 2, 'onnxruntime-node ships DirectML for win32 x64 and arm64');
      for (const f of directML) assert.equal(plan.kept.includes(f), f.includes(`/${osName}/${arch}/`), f);
      // The whisper addon is built at install for this machine: other targets cannot be packaged here, unless a
      // cross-build's overlay has it (win32-x64 after scripts/build-win32.js).
      const crossBuilt = plan.overlay?.folders.some((f) => f.startsWith('node_modules/smart-whisper/')) ?? false;
      assert.equal(plan.missing.includes('node_modules/smart-whisper'), target !== packager.hostTarget() && !crossBuilt);
      const ignore = packager.ignoreFileText(plan);
      for (const file of plan.foreign) assert.ok(ignore.includes(`\n${file}\n`), `${file} in the ignore file`);
      // node-llama-cpp: the CPU build (with Vulkan on x64 Linux and Windows; Metal on Apple Silicon), whole folders of the
      // others left out (CUDA binaries are for the target too: the byte check alone would keep them), no source bundle.
      const keep = packager.RUNTIME_VARIANTS[0].keep[target];
      assert.deepEqual(keep, target.endsWith('-x64') && !target.startsWith('darwin') ? [keep[0], `${keep[0]}-vulkan`] : [keep[0]], `${target}: ${keep}`);
      const installed = fs.readdirSync(path.join(REPO_ROOT, 'node_modules/@node-llama-cpp')).map((v) => `node_modules/@node-llama-cpp/${v}`);
      assert.deepEqual(plan.variants, installed.filter((v) => !keep.some((k) => v.endsWith(`/${k}`))).sort());
      assert.ok(plan.variants.every((v) => !/-cuda/.test(v) || !keep.includes(path.basename(v))), 'no CUDA build ships');
      assert.ok(plan.kept.every((f) => !plan.variants.some((v) => f.startsWith(`${v}/`))));
      for (const v of plan.variants) assert.ok(ignore.includes(`\n${v}/**\n`), `${v} left out whole`);
      assert.deepEqual(plan.buildOnly, ['node_modules/node-llama-cpp/llama/gitRelease.bundle']);
      assert.ok(ignore.includes('\nnode_modules/node-llama-cpp/llama/gitRelease.bundle\n'));
      for (const k of keep.filter((k) => installed.includes(`node_modules/@node-llama-cpp/${k}`))) {
        assert.ok(plan.kept.some((f) => new RegExp(`^node_modules/@node-llama-cpp/${k}/bins/[^/]+/llama-addon\\.node$`).test(f)), `${k}'s addon kept`);
      }
    });
  }

  it('ships no node-llama-cpp variant where it has none for the target (musl Linux)', () => {
    const plan = packager.plan('alpine-x64');
    const installed = fs.readdirSync(path.join(REPO_ROOT, 'node_modules/@node-llama-cpp'));
    assert.equal(plan.variants.length, installed.length);
    assert.ok(plan.kept.every((f) => !f.startsWith('node_modules/@node-llama-cpp/')));
  });

  it('prunes any dependency the same way: capture backends\' prebuilds, platform-only packages, not dev tools', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-plan-'));
    try {
      const put = (file: string, data: Buffer | string) => {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.writeFileSync(path.join(root, file), data);
      };
      put('package-lock.json', JSON.stringify({ packages: {
        '': {}, 'node_modules/audify': {}, 'node_modules/audify/node_modules/helper': {}, 'node_modules/audiotee': {},
        'node_modules/mac-only-addon': {}, 'node_modules/dev-tool': { dev: true } } }));
      put('node_modules/audify/package.json', '{}');
      put('node_modules/audify/prebuilds/linux-x64/audify.node', elf(0x3e));
      put('node_modules/audify/prebuilds/win32-x64/audify.node', pe(0x8664));
      put('node_modules/audify/prebuilds/darwin-x64+arm64/audify.node', universal([0x01000007, 0x0100000c]));
      put('node_modules/audify/index.js', 'module.exports = {};');
      put('node_modules/audify/node_modules/helper/package.json', '{}');
      put('node_modules/audify/node_modules/helper/helper.node', elf(0xb7));
      put('node_modules/audiotee/package.json', JSON.stringify({ os: ['darwin'] }));
      put('node_modules/audiotee/bin/audiotee', macho(0x0100000c));
      put('node_modules/mac-only-addon/package.json', '{}');
      put('node_modules/mac-only-addon/addon.node', macho(0x0100000c));
      put('node_modules/dev-tool/package.json', '{}');
      put('node_modules/dev-tool/tool.exe', pe(0x8664));
      const plan = packager.plan('linux-x64', root);
      assert.deepEqual(plan.kept, ['node_modules/audify/prebuilds/linux-x64/audify.node']);
      assert.deepEqual(plan.foreign, [
        'node_modules/audify/node_modules/helper/helper.node',
        'node_modules/audify/prebuilds/darwin-x64+arm64/audify.node',
        'node_modules/audify/prebuilds/win32-x64/audify.node',
        'node_modules/audiotee/bin/audiotee',
        'node_modules/mac-only-addon/addon.node',
      ]);
      // audiotee says it is for macOS only; an addon that does not say so cannot run on Linux: refuse to pack.
      assert.deepEqual(plan.missing, ['node_modules/audify/node_modules/helper', 'node_modules/mac-only-addon']);
      assert.deepEqual(packager.plan('darwin-arm64', root).kept, [
        'node_modules/audify/prebuilds/darwin-x64+arm64/audify.node', 'node_modules/audiotee/bin/audiotee', 'node_modules/mac-only-addon/addon.node']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps one copy of a library npm unpacked twice: the name the binding loads', () => {
    const plan = packager.plan('darwin-arm64');
    const dir = 'node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64';
    assert.deepEqual(plan.duplicates, [`${dir}/libonnxruntime.1.30.0.dylib`]);
    // audiotee's universal binary (macOS system audio) stays in a macOS package, when the optional dependency is installed.
    assert.deepEqual(plan.kept.filter((f) => !f.startsWith('node_modules/audiotee/')), [`${dir}/libonnxruntime.1.dylib`, `${dir}/onnxruntime_binding.node`]);
  });
});

describe('VSIX: contents check', () => {
  let work: string;
  before(() => { work = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-vsix-test-')); });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  /** A minimal linux-x64 package with what the check requires, plus `extra` files. */
  async function pack(name: string, extra: Record<string, Buffer | string> = {}, drop: string[] = [], target = 'linux-x64', modes: Record<string, number> = {}): Promise<string> {
    const zip = new JSZip();
    zip.file('extension.vsixmanifest', `<PackageManifest><Metadata><Identity Id="earshot" TargetPlatform="${target}"/></Metadata></PackageManifest>`);
    const files: Record<string, Buffer | string> = {
      'package.json': '{}',
      'readme.md': '# Earshot\n![panel](docs/images/panel.png)\nSee [the grammar](extension/dictation/GRAMMAR.md), [docs](https://example.com), [privacy](docs/privacy.md) and `[x](../../src/a.ts)`.\n',
      'docs/images/panel.png': '',
      'extension/dictation/GRAMMAR.md': '# Grammar\n',
      'out/extension/extension.js': '',
      'out/daemon/cli.js': '',
      'out/webview/media/panel.js': '',
      'bin/earshot.js': '',
      'media/sample/standup.wav': 'RIFF',
      'node_modules/minisearch/package.json': '{}',
      'node_modules/minisearch/dist/cjs/index.cjs': '',
      'media/vad/silero_vad_v6.onnx': fs.readFileSync(path.join(REPO_ROOT, 'media', 'vad', 'silero_vad_v6.onnx')),
      'media/speakers/pyannote-segmentation-3.0.int8.onnx': 'onnx',
      'media/templates/design-review.md': '## Summary\n',
      'media/templates/standup.md': '## Yesterday\n',
      'node_modules/smart-whisper/build/Release/smart-whisper.node': elf(0x3e),
      'node_modules/smart-whisper/build/Release/libggml-cpu-x64.so': elf(0x3e),
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node': elf(0x3e),
      'node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node': elf(0x3e),
      'node_modules/@node-llama-cpp/linux-x64-vulkan/bins/linux-x64-vulkan/llama-addon.node': elf(0x3e),
      ...extra,
    };
    for (const [file, data] of Object.entries(files)) {
      if (!drop.includes(file)) zip.file(`extension/${file}`, data, { unixPermissions: modes[file] ?? ([CAPTURE_APP_EXE, CAPTURE_APP_AUDIOTEE, CAPTURE_PROCESSES].includes(file) ? 0o755 : 0o644) });
    }
    const out = path.join(work, `${name}.vsix`);
    fs.writeFileSync(out, await zip.generateAsync({ type: 'nodebuffer', platform: 'UNIX' }));
    return out;
  }

  it('passes a package with only its own platform\'s binaries and what the extension needs', async () => {
    const report = await contents.checkVsix(await pack('good'), 'linux-x64');
    assert.equal(report.native.length, 5);
    assert.match(report.summary, /^linux-x64, .* 5 native binaries/);
  });

  it("requires node-llama-cpp's addon from the target's variants (CPU and Vulkan); refuses CUDA, other platforms and the source bundle", async () => {
    const addon = 'node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node';
    await assert.rejects(contents.checkVsix(await pack('no-llama', {}, [addon]), 'linux-x64'), /missing node-llama-cpp's addon \(@node-llama-cpp\/linux-x64\) for linux-x64/);
    const vulkan = 'node_modules/@node-llama-cpp/linux-x64-vulkan/bins/linux-x64-vulkan/llama-addon.node';
    await assert.rejects(contents.checkVsix(await pack('no-vulkan', {}, [vulkan]), 'linux-x64'), /missing node-llama-cpp's addon \(@node-llama-cpp\/linux-x64-vulkan\) for linux-x64/);
    const gpu = await pack('llama-gpu', {
      'node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda/llama-addon.node': elf(0x3e),
      'node_modules/@node-llama-cpp/linux-arm64/package.json': '{}',
      'node_modules/node-llama-cpp/llama/gitRelease.bundle': 'bundle',
    });
    await assert.rejects(contents.checkVsix(gpu, 'linux-x64'), (e: Error) => {
      assert.match(e.message, /another variant of a runtime: node_modules\/@node-llama-cpp\/linux-x64-cuda/);
      assert.match(e.message, /another variant of a runtime: node_modules\/@node-llama-cpp\/linux-arm64/);
      assert.doesNotMatch(e.message, /linux-x64-vulkan/);
      assert.match(e.message, /a file only a build from source reads: node_modules\/node-llama-cpp\/llama\/gitRelease\.bundle/);
      return true;
    });
  });

  it('requires the CPU module every CPU of the target runs: an addon built for one CPU class is refused', async () => {
    const oneClass = await pack('x86-64-v3', {}, ['node_modules/smart-whisper/build/Release/libggml-cpu-x64.so']);
    await assert.rejects(contents.checkVsix(oneClass, 'linux-x64'), /missing the CPU backend every linux-x64 CPU runs \(libggml-cpu-x64\.so\)/);
  });

  /** What a darwin-arm64 package needs instead of pack()'s linux-x64 binaries (`pack(name, MAC, LINUX_ONLY, 'darwin-arm64')`). */
  const MAC: Record<string, Buffer | string> = {
    'node_modules/smart-whisper/build/Release/smart-whisper.node': macho(0x0100000c), 'node_modules/smart-whisper/build/Release/libggml-cpu-apple_m1.so': macho(0x0100000c),
    'node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64/onnxruntime_binding.node': macho(0x0100000c),
    'node_modules/@node-llama-cpp/mac-arm64-metal/bins/mac-arm64-metal/llama-addon.node': macho(0x0100000c),
    [CAPTURE_APP_EXE]: macho(0x0100000c), [CAPTURE_APP_AUDIOTEE]: universal([0x01000007, 0x0100000c]), [CAPTURE_PROCESSES]: macho(0x0100000c),
    [CAPTURE_APP_PLIST]: captureApp.infoPlist({ recorder: '1.0.0', audiotee: '0.0.7' }),
  };
  const LINUX_ONLY = ['node_modules/smart-whisper/build/Release/libggml-cpu-x64.so', 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
    'node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node', 'node_modules/@node-llama-cpp/linux-x64-vulkan/bins/linux-x64-vulkan/llama-addon.node'];
  const METAL = { 'node_modules/smart-whisper/build/Release/gpu/libggml-metal.so': macho(0x0100000c) };

  it('requires the Vulkan module when the checkout built it, Metal in a package for Apple Silicon', async () => {
    const checkout = path.join(work, 'checkout-vulkan');
    fs.mkdirSync(path.join(checkout, 'node_modules/smart-whisper/build/Release/gpu'), { recursive: true });
    fs.writeFileSync(path.join(checkout, 'node_modules/smart-whisper/build/Release/gpu/libggml-vulkan.so'), '');
    const without = await pack('no-whisper-vulkan');
    if (process.platform === 'linux') {
      await assert.rejects(contents.checkVsix(without, 'linux-x64', { checkout }), /missing the Vulkan backend module for linux-x64 \(it is built in this checkout\)/);
    }
    await contents.checkVsix(await pack('vulkan', { 'node_modules/smart-whisper/build/Release/gpu/libggml-vulkan.so': elf(0x3e) }), 'linux-x64', { checkout });
    await assert.rejects(contents.checkVsix(await pack('no-metal', MAC, LINUX_ONLY, 'darwin-arm64'), 'darwin-arm64'), /missing the Metal backend module for darwin-arm64/);
    await contents.checkVsix(await pack('metal', { ...MAC, ...METAL }, LINUX_ONLY, 'darwin-arm64'), 'darwin-arm64');
  });

  it("refuses audiotee's binary without its executable bit (macOS would not run it)", async () => {
    const mac = { ...MAC, ...METAL, 'node_modules/audiotee/bin/audiotee': macho(0x0100000c) };
    await assert.rejects(contents.checkVsix(await pack('audiotee-644', mac, LINUX_ONLY, 'darwin-arm64'), 'darwin-arm64'), /audiotee's binary is not executable in the package: node_modules\/audiotee\/bin\/audiotee/);
    await contents.checkVsix(await pack('audiotee-755', mac, LINUX_ONLY, 'darwin-arm64', { 'node_modules/audiotee/bin/audiotee': 0o755 }), 'darwin-arm64');
  });

  it("requires Earshot's capture app in a macOS package: its recorder and audiotee (executable), an Info.plist with both usage descriptions and the recorder's version", async () => {
    const mac: Record<string, Buffer | string> = { ...MAC, ...METAL };
    await contents.checkVsix(await pack('app', mac, LINUX_ONLY, 'darwin-arm64'), 'darwin-arm64');
    await assert.rejects(contents.checkVsix(await pack('no-app', mac, [...LINUX_ONLY, CAPTURE_APP_EXE, CAPTURE_APP_AUDIOTEE, CAPTURE_APP_PLIST], 'darwin-arm64'), 'darwin-arm64'), (e: Error) => {
      assert.match(e.message, /missing out\/mac-capture\/Earshot Audio Capture\.app\/Contents\/MacOS\/earshot-capture \(the capture app macOS asks the user about\)/);
      assert.match(e.message, /missing out\/mac-capture\/Earshot Audio Capture\.app\/Contents\/MacOS\/audiotee \(the system-audio tap the capture app runs\)/);
      assert.match(e.message, /missing out\/mac-capture\/Earshot Audio Capture\.app\/Contents\/Info\.plist/);
      return true;
    });
    await assert.rejects(contents.checkVsix(await pack('app-644', mac, LINUX_ONLY, 'darwin-arm64', { [CAPTURE_APP_EXE]: 0o644 }), 'darwin-arm64'),
      /the capture app's executable is not executable in the package: out\/mac-capture\/Earshot Audio Capture\.app\/Contents\/MacOS\/earshot-capture/);
    await assert.rejects(contents.checkVsix(await pack('app-audiotee-644', mac, LINUX_ONLY, 'darwin-arm64', { [CAPTURE_APP_AUDIOTEE]: 0o644 }), 'darwin-arm64'),
      /the capture app's audiotee is not executable in the package: out\/mac-capture\/Earshot Audio Capture\.app\/Contents\/MacOS\/audiotee/);
    await assert.rejects(contents.checkVsix(await pack('no-processes', mac, [...LINUX_ONLY, CAPTURE_PROCESSES], 'darwin-arm64'), 'darwin-arm64'),
      /missing out\/mac-capture\/earshot-audio-processes \(call detection's list of Core Audio's processes\)/);
    await assert.rejects(contents.checkVsix(await pack('processes-644', mac, LINUX_ONLY, 'darwin-arm64', { [CAPTURE_PROCESSES]: 0o644 }), 'darwin-arm64'),
      /call detection's process list is not executable in the package: out\/mac-capture\/earshot-audio-processes/);
    const without = (k: string) => String(mac[CAPTURE_APP_PLIST]).replace(new RegExp(`\\t<key>${k}</key>\\n\\t<string>[^<]*</string>\\n`), '');
    await assert.rejects(contents.checkVsix(await pack('app-unasked', { ...mac, [CAPTURE_APP_PLIST]: without('NSAudioCaptureUsageDescription') }, LINUX_ONLY, 'darwin-arm64'), 'darwin-arm64'),
      /Info\.plist has no NSAudioCaptureUsageDescription: macOS would never ask for system audio/);
    await assert.rejects(contents.checkVsix(await pack('app-no-mic', { ...mac, [CAPTURE_APP_PLIST]: without('NSMicrophoneUsageDescription') }, LINUX_ONLY, 'darwin-arm64'), 'darwin-arm64'),
      /Info\.plist has no NSMicrophoneUsageDescription: macOS would never ask for the microphone/);
    // The version Earshot's packages had before (package.json's), which changed the bundle's hash at every release.
    const releaseVersioned = String(mac[CAPTURE_APP_PLIST]).replace(/(<key>CFBundleVersion<\/key>\n\t<string>)[^<]*/, '$10.1.0');
    await assert.rejects(contents.checkVsix(await pack('app-release-version', { ...mac, [CAPTURE_APP_PLIST]: releaseVersioned }, LINUX_ONLY, 'darwin-arm64'), 'darwin-arm64'),
      /Info\.plist has CFBundleVersion 0\.1\.0, not the recorder's version 1\.0\.0: the bundle must not change with Earshot's version/);
    await assert.rejects(contents.checkVsix(await pack('linux-with-app', { [CAPTURE_APP_PLIST]: mac[CAPTURE_APP_PLIST] }), 'linux-x64'),
      /the macOS capture app in a linux-x64 package: out\/mac-capture\/Earshot Audio Capture\.app\/Contents\/Info\.plist/);
  });

  it('requires audify\'s binding when the checkout it was packed from built it, and never its sources or CMake tree', async () => {
    const checkout = path.join(work, 'checkout');
    fs.mkdirSync(path.join(checkout, 'node_modules/audify/build/Release'), { recursive: true });
    fs.writeFileSync(path.join(checkout, 'node_modules/audify/build/Release/audify.node'), '');
    const without = await pack('no-audify');
    if (process.platform === 'linux') {
      await assert.rejects(contents.checkVsix(without, 'linux-x64', { checkout }), /missing audify's binding \(in-process capture\) for linux-x64/);
    }
    await contents.checkVsix(without, 'linux-x64', { checkout: path.join(work, 'no-such-checkout') }); // not built there: optional
    const sources = await pack('audify-sources', { 'node_modules/audify/vendor/rtaudio/RtAudio.cpp': '//', 'node_modules/audify/build/CMakeCache.txt': '#' });
    await assert.rejects(contents.checkVsix(sources, 'linux-x64'), (e: Error) => {
      assert.match(e.message, /audify's sources or CMake tree: node_modules\/audify\/vendor\/rtaudio\/RtAudio\.cpp/);
      assert.match(e.message, /audify's sources or CMake tree: node_modules\/audify\/build\/CMakeCache\.txt/);
      return true;
    });
  });

  /** What node-gyp's MSBuild leaves in smart-whisper/build on Windows (review N14): none of it is a PE image. */
  const MSBUILD_LEFTOVERS = ['node_modules/smart-whisper/build/binding.sln', 'node_modules/smart-whisper/build/smart-whisper.vcxproj',
    'node_modules/smart-whisper/build/smart-whisper.vcxproj.filters', 'node_modules/smart-whisper/build/Release/obj/smart-whisper/whisper.obj',
    'node_modules/smart-whisper/build/Release/obj/smart-whisper/smart-whisper.tlog/CL.command.1.tlog',
    'node_modules/smart-whisper/build/Release/smart-whisper.pdb', 'node_modules/smart-whisper/build/Release/smart-whisper.lib',
    'node_modules/smart-whisper/build/Release/smart-whisper.exp', 'node_modules/smart-whisper/build/Release/smart-whisper.iobj',
    'node_modules/smart-whisper/build/Release/nothing.lib'];

  it("refuses the whisper addon's MSBuild leftovers (objects, import libraries, symbols, projects), and .vscodeignore leaves them out", async () => {
    const leftovers = await pack('msbuild', Object.fromEntries(MSBUILD_LEFTOVERS.map((f) => [f, 'x'])));
    await assert.rejects(contents.checkVsix(leftovers, 'linux-x64'), (e: Error) => {
      for (const f of MSBUILD_LEFTOVERS) assert.ok(e.message.includes(`the whisper addon's build leftovers: ${f}`), `${f} refused:\n${e.message}`);
      return true;
    });
    // .vscodeignore itself: the plan of win32-x64 made here also lists this checkout's own (Linux) addon as foreign.
    const ignore = fs.readFileSync(path.join(REPO_ROOT, '.vscodeignore'), 'utf8');
    for (const f of MSBUILD_LEFTOVERS) assert.ok(vsceIgnores(ignore, f), `${f} left out by the win32-x64 ignore file`);
    for (const f of ['smart-whisper.node', 'whisper.dll', 'ggml.dll', 'ggml-base.dll', 'ggml-cpu-x64.dll', 'ggml-cpu-haswell.dll', 'gpu/ggml-vulkan.dll', 'earshot-core.json']) {
      assert.ok(!vsceIgnores(ignore, `node_modules/smart-whisper/build/Release/${f}`), `${f} ships`);
    }
  });

  it('names every problem: foreign binaries, sources, tests, maps, test models, missing files, broken links', async () => {
    const file = await pack('bad', {
      'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/DirectML.dll': pe(0x8664),
      'node_modules/audify/prebuilds/darwin-arm64/audify.node': macho(0x0100000c),
      'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/libonnxruntime.so.1': elf(0xb7),
      'extension/extension.ts': 'export {}',
      'out/test/unit/vsix.test.js': '',
      'out/extension/extension.js.map': '{}',
      '.test-models/mini-hello.bin': 'ggml',
      'node_modules/typescript/lib/typescript.js': '',
      'readme.md': '# Earshot\n![missing](docs/images/NOPE.png) <img src="docs/images/gone.png">\n',
    }, ['media/sample/standup.wav', 'node_modules/smart-whisper/build/Release/smart-whisper.node']);
    await assert.rejects(contents.checkVsix(file, 'linux-x64'), (e: Error) => {
      for (const expected of [
        'a win32 x64 binary in a linux-x64 package: node_modules/onnxruntime-node/bin/napi-v6/win32/x64/DirectML.dll',
        'a darwin arm64 binary in a linux-x64 package: node_modules/audify/prebuilds/darwin-arm64/audify.node',
        'a linux arm64 binary in a linux-x64 package',
        'TypeScript source: extension/extension.ts',
        'test: out/test/unit/vsix.test.js',
        'source map: out/extension/extension.js.map',
        'generated test model or fixture: .test-models/mini-hello.bin',
        'the TypeScript compiler: node_modules/typescript/lib/typescript.js',
        'missing media/sample/standup.wav',
        'missing the whisper addon for linux-x64',
        'README shows docs/images/NOPE.png, which is not in the package',
        'README shows docs/images/gone.png, which is not in the package',
      ]) assert.ok(e.message.includes(expected), `expected "${expected}" in:\n${e.message}`);
      return true;
    });
  });

  it("requires meeting memory's ranking library, which this checkout's lockfile packs as a production dependency", async () => {
    await assert.rejects(contents.checkVsix(await pack('no-minisearch', {}, ['node_modules/minisearch/dist/cjs/index.cjs']), 'linux-x64'),
      /missing node_modules\/minisearch\/dist\/cjs\/index\.cjs/);
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; version?: string }> };
    assert.equal(lock.packages['node_modules/minisearch']?.dev, undefined, 'not development-only: vsce packs it');
    assert.equal(lock.packages['node_modules/minisearch']?.version, '7.2.0');
  });

  it('requires the speaker stage\'s segmentation model (issue 42: speakers are told apart in every session)', async () => {
    await assert.rejects(contents.checkVsix(await pack('no-segmentation', {}, ['media/speakers/pyannote-segmentation-3.0.int8.onnx']), 'linux-x64'),
      /missing media\/speakers\/pyannote-segmentation-3\.0\.int8\.onnx/);
  });

  it('requires the shipped notes templates (issue 58: the daemon lists them from the install folder)', async () => {
    await assert.rejects(contents.checkVsix(await pack('no-templates', {}, ['media/templates/standup.md']), 'linux-x64'), /missing media\/templates\/standup\.md/);
  });

  it('refuses a Silero model that is not the one the daemon was tested with', async () => {
    const file = await pack('vad', { 'media/vad/silero_vad_v6.onnx': 'not the model' });
    await assert.rejects(contents.checkVsix(file, 'linux-x64'), /silero_vad_v6\.onnx has sha256 /);
  });

  it("requires every module the panel's webview script imports, and the modules those import", async () => {
    const entry = "import { a } from './panel/a.js';\nimport './icons.js';\n";
    const modules = { 'out/webview/media/panel.js': entry, 'out/webview/media/icons.js': '', 'out/webview/media/panel/a.js': "export * from '../b.js';\n" };
    await contents.checkVsix(await pack('webview', { ...modules, 'out/webview/media/b.js': '' }), 'linux-x64');
    await assert.rejects(contents.checkVsix(await pack('webview-missing', modules), 'linux-x64'),
      /missing out\/webview\/media\/b\.js \(imported by out\/webview\/media\/panel\/a\.js\)/);
  });

  it('reads the relative imports of a script, not those in comments or strings', () => {
    assert.deepEqual(contents.relativeImports("import {\n  a,\n  b,\n} from '../x.js';\nimport './y.js';\nexport * from \"./z.js\";\n"
      + "import fs from 'node:fs';\n// import q from './no.js';\nconst s = \"import r from './no.js'\";\n"), ['../x.js', './y.js', './z.js']);
  });

  it('reads relative links outside code, without anchors, and the pictures alone', () => {
    assert.deepEqual(contents.relativeLinks('[a](x/A.md#part) [b](#top) [c](https://h/x) `[d](../../src/d.ts)`\n```\n[e](e.md)\n```\n![i](media/i%20j.png)'),
      ['x/A.md', 'media/i j.png']);
    assert.deepEqual(contents.relativeLinks('[a](x/A.md) ![i](media/i%20j.png) <img src="docs/images/p.png"> ![w](https://h/w.png)', { images: true }),
      ['media/i j.png', 'docs/images/p.png']);
  });
});
