#!/usr/bin/env node
/**
 * Checks a packed VSIX (run by scripts/package-vsix.js after every `npm run package`, and by the
 * editor smoke test in CI): every native binary in it is for its target platform, what the extension
 * needs at run time is there (the compiled extension and daemon, the panel's webview script with every
 * module it imports, the whisper, onnxruntime and node-llama-cpp addons, the Silero VAD model with its
 * checksum, the sample), one variant only of node-llama-cpp's prebuilt binaries (the CPU build; Metal on
 * Apple Silicon), macOS packages carry Earshot's capture app (its recorder and audiotee, both usage descriptions) and the others
 * do not, README's relative images are in the package (VS Code's extension page shows them from it), and nothing of the development tree
 * came along (tests, TypeScript sources, source maps, generated test models, whisper.cpp's sources).
 *
 * Usage: node scripts/vsix-contents.js <file.vsix> [--target <platform-arch>]   (exit 1 on a problem)
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const JSZip = require('jszip');
const { nativeKind, TARGETS, RUNTIME_VARIANTS, BUILD_ONLY } = require('./vsix-targets.js');
const { VAD_MODELS } = require('./fetch-vad-model.js');
const captureApp = require('./mac-capture-app.js');

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The Silero model Earshot runs (v6); v5 is only fetched on request, to compare, and must not ship. */
const VAD_MODEL = 'media/vad/silero_vad_v6.onnx';
const VAD_MODEL_SHA256 = VAD_MODELS.v6.sha256;

/** Files the installed extension cannot run without (paths inside the package's extension/ folder). */
const REQUIRED = [
  'package.json',
  'out/extension/extension.js',
  'bin/earshot.js',
  'out/daemon/cli.js',
  'out/webview/media/panel.js',
  'media/sample/standup.wav',
  // Meeting memory's ranking (daemon/memory/memoryIndex.ts requires it; the daemon cannot answer memory requests without it).
  'node_modules/minisearch/package.json',
  'node_modules/minisearch/dist/cjs/index.cjs',
  VAD_MODEL,
  // The speaker stage's segmentation model (daemon/speakers/segmentation.ts loads it; without it speakers are not told apart).
  'media/speakers/pyannote-segmentation-3.0.int8.onnx',
  // The shipped notes templates (daemon/templates/folder.ts lists them from the install folder).
  'media/templates/design-review.md',
  'media/templates/standup.md',
];
/** The panel's webview script: the modules it imports (and theirs, media/panel/*) load beside it, so they must ship too. */
const WEBVIEW_ENTRY = 'out/webview/media/panel.js';
/** Native addons that must be there for the target: a path pattern each. */
const REQUIRED_NATIVE = [
  { what: 'the whisper addon', pattern: /^node_modules\/smart-whisper\/build\/Release\/smart-whisper\.node$/ },
  { what: "onnxruntime-node's binding", pattern: /^node_modules\/onnxruntime-node\/bin\/.*\/onnxruntime_binding\.node$/ },
];
/**
 * ggml's CPU backend module every CPU of the target runs (the variant below every other: x86-64's SSE2 floor, Armv8.0,
 * Apple's M1): with it the package runs on every CPU of its platform, with the better variants beside it. A package
 * whose whisper addon was built for one CPU class (x86-64-v3, the SIGILL on CPUs without AVX2) has none.
 */
function cpuFloorModule(target) {
  const release = 'node_modules\\/smart-whisper\\/build\\/Release\\/';
  const floor = { 'linux-x64': 'libggml-cpu-x64.so', 'darwin-x64': 'libggml-cpu-x64.so', 'win32-x64': 'ggml-cpu-x64.dll',
    'linux-arm64': 'libggml-cpu-armv8.0_1.so', 'darwin-arm64': 'libggml-cpu-apple_m1.so', 'win32-arm64': 'ggml-cpu.dll' }[target];
  return floor && { what: `the CPU backend every ${target} CPU runs (${floor})`, pattern: new RegExp(`^${release}${floor.replace(/\./g, '\\.')}$`) };
}
/**
 * The local notes model's runtime: node-llama-cpp's addon from each variant package the target ships (the CPU build,
 * with Vulkan on x64 Linux and Windows; Metal on Apple Silicon); none where there is no variant for the target.
 */
function localModelRuntime(target) {
  return (RUNTIME_VARIANTS[0].keep[target] ?? []).map((variant) => (
    { what: `node-llama-cpp's addon (@node-llama-cpp/${variant})`, pattern: new RegExp(`^node_modules\\/@node-llama-cpp\\/${variant}\\/bins\\/[^/]+\\/llama-addon\\.node$`) }));
}
/** Other variants of a runtime (CUDA, Vulkan, other platforms), and files only a build from source reads, must not ship. */
function foreignVariants(target, names) {
  const problems = [];
  for (const { scope, keep } of RUNTIME_VARIANTS) {
    const shipped = new Set([...names].filter((n) => n.startsWith(`${scope}/`)).map((n) => n.slice(scope.length + 1).split('/')[0]));
    for (const variant of shipped) if (!(keep[target] ?? []).includes(variant)) problems.push(`another variant of a runtime: ${scope}/${variant}`);
  }
  for (const file of BUILD_ONLY) if (names.has(file)) problems.push(`a file only a build from source reads: ${file}`);
  return problems;
}
/** GPU modules a target's package must carry: Metal on Apple Silicon (the others: REQUIRED_WHEN_INSTALLED). */
const REQUIRED_GPU = { 'darwin-arm64': { what: 'the Metal backend module', pattern: /^node_modules\/smart-whisper\/build\/Release\/gpu\/libggml-metal\.so$/ } };
/** Files that must keep their executable bit (VS Code's installer restores a file's mode from the VSIX). */
const EXECUTABLE = [
  { what: "audiotee's binary", pattern: /^node_modules\/audiotee\/bin\/audiotee$/ },
  { what: 'the capture app\'s executable', pattern: new RegExp(`^${escapeRegExp(captureApp.APP_PATH)}/Contents/MacOS/${captureApp.EXECUTABLE}$`) },
  { what: 'the capture app\'s audiotee', pattern: new RegExp(`^${escapeRegExp(captureApp.APP_PATH)}/Contents/MacOS/${captureApp.AUDIOTEE}$`) },
  { what: 'call detection\'s process list', pattern: new RegExp(`^${escapeRegExp(captureApp.PROCESSES_PATH)}$`) },
];

/**
 * macOS packages: Earshot's capture app (scripts/mac-capture-app.js): its recorder (the bundle's executable) and
 * audiotee beside it, and an Info.plist that names the recorder and carries both usage descriptions macOS shows
 * (without one macOS never asks for that resource), and whose versions are the recorder's, not Earshot's (a bundle
 * that changes with every release loses the user's grant, review 3 P1); and beside the bundle, outside its signature,
 * earshot-audio-processes, call detection's list of Core Audio's processes. Other packages: none of it.
 */
async function captureAppProblems(zip, names, target) {
  const inApp = [...names].filter((n) => n.startsWith(`${captureApp.APP_DIR}/`));
  if (TARGETS[target].os !== 'darwin') return inApp.length ? [`the macOS capture app in a ${target} package: ${inApp[0]}`] : [];
  const plistName = `${captureApp.APP_PATH}/Contents/Info.plist`;
  const problems = [];
  if (!names.has(captureApp.PROCESSES_PATH)) problems.push(`missing ${captureApp.PROCESSES_PATH} (call detection's list of Core Audio's processes)`);
  for (const [exe, what] of [[captureApp.EXECUTABLE, 'the capture app macOS asks the user about'], [captureApp.AUDIOTEE, 'the system-audio tap the capture app runs']]) {
    const file = `${captureApp.APP_PATH}/Contents/MacOS/${exe}`;
    if (!names.has(file)) problems.push(`missing ${file} (${what})`);
  }
  const plist = await zip.file(`extension/${plistName}`)?.async('string');
  if (plist === undefined) return [...problems, `missing ${plistName}`];
  const key = (k) => new RegExp(`<key>${k}</key>\\s*<string>([^<]+)</string>`).exec(plist)?.[1];
  if (!key('NSAudioCaptureUsageDescription')) problems.push(`${plistName} has no NSAudioCaptureUsageDescription: macOS would never ask for system audio`);
  if (!key('NSMicrophoneUsageDescription')) problems.push(`${plistName} has no NSMicrophoneUsageDescription: macOS would never ask for the microphone`);
  if (key('CFBundleExecutable') !== captureApp.EXECUTABLE) problems.push(`${plistName} names ${key('CFBundleExecutable')} as its executable, not ${captureApp.EXECUTABLE}`);
  if (key('CFBundleIdentifier') !== captureApp.BUNDLE_ID) problems.push(`${plistName} has the identifier ${key('CFBundleIdentifier')}, not ${captureApp.BUNDLE_ID}`);
  for (const k of ['CFBundleShortVersionString', 'CFBundleVersion']) {
    if (key(k) !== key('EarshotRecorderVersion')) problems.push(`${plistName} has ${k} ${key(k)}, not the recorder's version ${key('EarshotRecorderVersion')}: the bundle must not change with Earshot's version`);
  }
  return problems;
}

/**
 * Optional native parts that must be there when this checkout has them (they are optional dependencies: a machine
 * where they did not build packages without them, and capture falls back to the recorder programs).
 */
const REQUIRED_WHEN_INSTALLED = [
  { what: "audify's binding (in-process capture)", local: 'node_modules/audify/build/Release/audify.node', pattern: /^node_modules\/audify\/build\/Release\/audify\.node$/, os: ['linux', 'darwin', 'win32'] },
  { what: 'audiotee (macOS system audio)', local: 'node_modules/audiotee/bin/audiotee', pattern: /^node_modules\/audiotee\/bin\/audiotee$/, os: ['darwin'] },
  // The GPU without a build: where the checkout's install built the Vulkan module (its SDK was there), the package has it.
  { what: 'the Vulkan backend module', local: 'node_modules/smart-whisper/build/Release/gpu/libggml-vulkan.so', pattern: /^node_modules\/smart-whisper\/build\/Release\/gpu\/libggml-vulkan\.so$/, os: ['linux'] },
  { what: 'the Vulkan backend module', local: 'node_modules/smart-whisper/build/Release/gpu/ggml-vulkan.dll', pattern: /^node_modules\/smart-whisper\/build\/Release\/gpu\/ggml-vulkan\.dll$/, os: ['win32'] },
];
/** What must never ship: the development tree. */
const FORBIDDEN = [
  { what: 'TypeScript source', pattern: /\.(ts|tsx|mts|cts)$/ },
  { what: 'source map', pattern: /\.map$/ },
  { what: 'test', pattern: /^(test|out\/test)\// },
  { what: 'generated test model or fixture', pattern: /^(\.test-models|test-results|\.bench|\.e2e|\.earshot)\/|(^|\/)(ggml-|mini-)[^/]*\.bin$/ },
  { what: 'the TypeScript compiler', pattern: /^node_modules\/typescript\// },
  { what: 'build or CI tooling', pattern: /^(\.ci\/|scripts\/(?!build-whisper\.js$|whisper-core\/build-core\.js$))|(^|\/)tsconfig\.json$|\.vsix$/ },
  { what: "whisper.cpp's sources or objects", pattern: /^node_modules\/smart-whisper\/(whisper\.cpp|src)\/|\/obj\.target\/.*\.(o|node)$/ },
  // node-gyp's MSBuild leftovers on Windows: objects, import libraries, export files, debug symbols, solution, projects.
  { what: "the whisper addon's build leftovers", pattern: /^node_modules\/smart-whisper\/build\/(.*\.(obj|lib|exp|pdb|ilk|iobj|ipdb|tlog)$|[^/]*\.(sln|vcxproj|vcxproj\.filters)$|Release\/obj\/)/ },
  { what: "audify's sources or CMake tree", pattern: /^node_modules\/audify\/(vendor|src)\/|^node_modules\/audify\/build\/(?!Release\/)/ },
];

/** Relative link targets in Markdown, outside code blocks and code spans (`images`: only the pictures it shows). */
function relativeLinks(markdown, { images = false } = {}) {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  const links = images
    ? [...prose.matchAll(/!\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)|<img\s[^>]*?\bsrc\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1] ?? m[2])
    : [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
  return links.filter((link) => !/^[a-z][\w+.-]*:/i.test(link) && !link.startsWith('#'))
    .map((link) => decodeURI(link.replace(/#.*$/, '')));
}

const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

/** The relative ES module imports of a script (`import … from './x.js'`, `import './x.js'`, `export … from './x.js'`). */
function relativeImports(source) {
  return [...source.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]);
}

/** Modules that `entry` (a path in the package) imports, directly or through another, and the package lacks. */
async function missingImports(zip, names, entry) {
  const missing = [];
  const seen = new Set([entry]);
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift();
    const source = await zip.file(`extension/${file}`)?.async('string');
    if (source === undefined) continue; // a missing entry is REQUIRED's to report
    for (const spec of relativeImports(source)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      if (seen.has(target)) continue;
      seen.add(target);
      if (names.has(target)) queue.push(target);
      else missing.push(`missing ${target} (imported by ${file})`);
    }
  }
  return missing;
}

/**
 * Reads the VSIX and returns { target, entries, bytes, unpackedBytes, native, summary }, or throws
 * an Error naming every problem found. `checkout`: the folder the package was built from; the optional native
 * parts it has installed (REQUIRED_WHEN_INSTALLED) must then be in the package.
 */
async function checkVsix(file, target, { checkout } = {}) {
  const zip = await JSZip.loadAsync(fs.readFileSync(file));
  const problems = [];
  const manifest = await zip.file('extension.vsixmanifest')?.async('string');
  const packedTarget = manifest?.match(/TargetPlatform="([^"]+)"/)?.[1];
  if (!packedTarget) problems.push('extension.vsixmanifest names no target platform: not a platform-specific package');
  target ??= packedTarget;
  if (target && packedTarget && target !== packedTarget) problems.push(`packed for ${packedTarget}, expected ${target}`);
  const want = TARGETS[target];
  if (!want) throw new Error(`${file}: unknown target ${target}`);

  const files = Object.values(zip.files).filter((e) => !e.dir && e.name.startsWith('extension/'));
  const names = new Set(files.map((e) => e.name.slice('extension/'.length)));
  let unpackedBytes = 0;
  const native = [];
  for (const entry of files) {
    const name = entry.name.slice('extension/'.length);
    const data = await entry.async('nodebuffer');
    unpackedBytes += data.length;
    for (const { what, pattern } of FORBIDDEN) if (pattern.test(name)) problems.push(`${what}: ${name}`);
    const kind = nativeKind(data.subarray(0, 4096));
    if (!kind) continue;
    native.push({ name, bytes: data.length, ...kind });
    if (kind.os !== want.os || !kind.archs.includes(want.arch)) {
      problems.push(`a ${kind.os} ${kind.archs.join('+')} binary in a ${target} package: ${name}`);
    }
  }
  for (const need of REQUIRED) if (!names.has(need)) problems.push(`missing ${need}`);
  problems.push(...await missingImports(zip, names, WEBVIEW_ENTRY));
  problems.push(...foreignVariants(target, names));
  problems.push(...await captureAppProblems(zip, names, target));
  for (const { what, pattern } of [...REQUIRED_NATIVE, cpuFloorModule(target), REQUIRED_GPU[target], ...localModelRuntime(target)].filter(Boolean)) {
    if (!native.some((n) => pattern.test(n.name))) problems.push(`missing ${what} for ${target}`);
  }
  for (const { what, pattern } of EXECUTABLE) {
    const entry = files.find((e) => pattern.test(e.name.slice('extension/'.length)));
    // A package zipped on Windows records no modes at all (unixPermissions null): that is a problem too.
    if (entry && ((entry.unixPermissions ?? 0) & 0o111) === 0) problems.push(`${what} is not executable in the package: ${entry.name.slice('extension/'.length)}`);
  }
  for (const { what, local, pattern, os } of REQUIRED_WHEN_INSTALLED) {
    // Only a package built from this checkout for this machine's OS can be held to what this checkout installed.
    if (!checkout || !os.includes(want.os) || want.os !== process.platform || !fs.existsSync(path.join(checkout, local))) continue;
    if (![...names].some((n) => pattern.test(n))) problems.push(`missing ${what} for ${target} (it is built in this checkout)`);
  }
  const vad = zip.file(`extension/${VAD_MODEL}`);
  if (vad) {
    const sum = crypto.createHash('sha256').update(await vad.async('nodebuffer')).digest('hex');
    if (sum !== VAD_MODEL_SHA256) problems.push(`${VAD_MODEL} has sha256 ${sum}, expected ${VAD_MODEL_SHA256}`);
  }
  if (names.has('media/vad/silero_vad_v5.onnx')) problems.push('media/vad/silero_vad_v5.onnx ships (only fetched to compare)');
  const readme = await zip.file('extension/readme.md')?.async('string') ?? await zip.file('extension/README.md')?.async('string');
  if (readme === undefined) problems.push('missing README.md');
  // Its pictures must ship: VS Code's extension page shows them from the installed package. Its links to the
  // repository's documentation (docs/, CONTRIBUTING.md, BENCHMARKS.md) stay out of the package: that page opens only
  // http(s) links, and test/unit/docs-links.test.ts checks they resolve in the repository.
  for (const image of relativeLinks(readme ?? '', { images: true })) {
    if (!names.has(path.posix.normalize(image))) problems.push(`README shows ${image}, which is not in the package`);
  }
  if (problems.length) throw new Error(`${file} (${target}):\n  ${problems.join('\n  ')}`);
  const bytes = fs.statSync(file).size;
  const nativeBytes = native.reduce((s, n) => s + n.bytes, 0);
  return {
    target, entries: files.length, bytes, unpackedBytes, native,
    summary: `${target}, ${mb(bytes)} (${mb(unpackedBytes)} unpacked, ${files.length} files; ` +
      `${native.length} native binaries, ${mb(nativeBytes)}, all ${target})`,
  };
}

module.exports = { checkVsix, relativeLinks, relativeImports, FORBIDDEN, localModelRuntime, foreignVariants };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--target');
  const file = argv.find((a, k) => !a.startsWith('--') && (i < 0 || k !== i + 1));
  if (!file) {
    console.error('usage: node scripts/vsix-contents.js <file.vsix> [--target <platform-arch>]');
    process.exit(2);
  }
  checkVsix(file, i >= 0 ? argv[i + 1] : undefined, { checkout: path.join(__dirname, '..') }).then((r) => {
    console.log(`${file}: ${r.summary}`);
    for (const n of r.native) console.log(`  ${n.name} (${mb(n.bytes)})`);
  }, (e) => {
    console.error(e.message);
    process.exitCode = 1;
  });
}
