#!/usr/bin/env node
/**
 * Builds the platform VSIX (`npm run package`): only the target's native binaries go in.
 *
 * npm installs every platform's prebuilt binaries (onnxruntime-node alone carries macOS, Linux and
 * Windows x64/arm64 with DirectML: 288 MB), and vsce packs whatever `npm list --production` names minus
 * .vscodeignore. So this script reads the first bytes of every file of the production dependencies,
 * recognizes native code by its format (ELF, Mach-O, PE) and the CPU it was built for, and writes a
 * per-target ignore file (.vscodeignore + one line per foreign binary) that it hands to vsce with
 * --ignoreFile. No package names or folder layouts are listed here: whatever a dependency ships
 * (onnxruntime-node, the smart-whisper addon, capture backends' prebuilds/) is pruned the same way.
 * Byte-identical copies of one library in one folder (npm does not keep the symlinks of macOS's
 * libfoo.1.dylib -> libfoo.1.2.3.dylib) keep only the name the other binaries load. The packed VSIX is
 * then checked (scripts/vsix-contents.js) before the script reports success.
 *
 * One exception names packages: a runtime that ships each of its variants as a package of its own (node-llama-cpp:
 * @node-llama-cpp/<platform>[-cuda|-cuda-ext|-vulkan]) has binaries for the target in all of them, so the byte check
 * would keep every variant (CUDA alone is 180-360 MB). Only the variants named per target go in (RUNTIME_VARIANTS in
 * vsix-targets.js: the CPU build, with Vulkan on x64 Linux and Windows; Metal on Apple Silicon); the others' folders
 * are left out whole, and so are files no run ever reads (BUILD_ONLY: the llama.cpp source bundle, for building from
 * source, which Earshot never does).
 *
 * macOS packages also carry Earshot Audio Capture.app (out/mac-capture/, scripts/mac-capture-app.js): built here when
 * it is not current (the release signs it before packaging, and a signed current bundle is kept), and beside it
 * earshot-audio-processes, call detection's process list, compiled when older than its source (the release signs it); the
 * other targets' ignore files leave that folder out.
 *
 * Why not stage a pruned copy of the tree and package that: vsce would run `npm list` in the copy,
 * which needs a full node_modules there (300 MB of copying per package); an ignore file leaves the
 * checkout untouched and costs nothing.
 *
 * A target whose binaries are cross-built here (win32-x64 on Linux: scripts/build-win32.js) has an overlay
 * (OVERLAYS): folders in the extension's layout whose files replace the same folders of the checkout (the Linux
 * smart-whisper addon and its libraries) or add folders npm never installs on Linux (@node-llama-cpp/win-x64). The
 * checkout's files in those folders go into the ignore file, vsce packs the rest as usual, and the overlay's files are
 * then added to the zip vsce wrote (with [Content_Types].xml naming their extensions, as vsce's own list does). Why
 * not a staged tree (above), a symlinked node_modules (vsce lists dependencies with `npm list`, which would name the
 * Linux packages and not the added ones) or vsce's file list (it takes only files under the project folder): adding
 * entries to a finished zip touches nothing vsce decides, and scripts/vsix-contents.js checks the result like any
 * other package (every binary the target's, the whisper addon and the CPU floor module there).
 *
 * Usage: node scripts/package-vsix.js [--target <platform-arch>] [--out <file.vsix>] [--plan]
 *   (--target win32-x64 on Linux: after `node scripts/build-win32.js`, whose .win32-x64/ is the overlay)
 *   --target  a vsce target (default: this machine's); native addons built here must match it
 *   --plan    print what would be left out, as JSON, and package nothing
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const captureApp = require('./mac-capture-app.js');
const { nativeKind, TARGETS, RUNTIME_VARIANTS, BUILD_ONLY } = require('./vsix-targets.js');

const REPO = path.join(__dirname, '..');
const VSCE = '@vscode/vsce@3.9.1'; // vsce 4 needs Node 22+
/**
 * Targets whose native parts are cross-built in this checkout: the folder where the build leaves overlay.json
 * ({ folders: [...] }, each relative to the extension root) and package/ (those folders' files). Used only when
 * packaging for that target on another platform, and only when the build has run.
 */
const OVERLAYS = { 'win32-x64': { dir: '.win32-x64', build: 'node scripts/build-win32.js' } };

/**
 * The target's overlay in this checkout, or null: { root: the folder its files are under, folders, files: every
 * file's path relative to the extension root ('/'-separated) }.
 */
function overlayOf(target, root = REPO) {
  const spec = OVERLAYS[target];
  if (!spec || target === hostTarget()) return null;
  const manifest = path.join(root, spec.dir, 'overlay.json');
  if (!fs.existsSync(manifest)) return null;
  const { folders } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  const base = path.join(root, spec.dir, 'package');
  const files = folders.flatMap((folder) => [...walkAll(path.join(base, folder))].map((f) => path.relative(base, f).split(path.sep).join('/')));
  return { root: base, folders, files };
}

/** Every regular file under dir, nested node_modules included (an overlay folder is shipped whole). */
function* walkAll(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walkAll(full);
    else if (entry.isFile()) yield full;
  }
}

const inFolder = (rel, folders) => folders.some((f) => rel === f || rel.startsWith(`${f}/`));

function readHead(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    return head.subarray(0, fs.readSync(fd, head, 0, head.length, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Every regular file of a package folder, not descending into its own node_modules, and every symlink to a file
 * (vsce packs the file it points to under the link's name: audify's librtaudio.so.8 -> librtaudio.so.8.0.0).
 * Symlinked folders are not followed.
 */
function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') yield* walk(full);
    else if (entry.isFile() || (entry.isSymbolicLink() && fs.statSync(full, { throwIfNoEntry: false })?.isFile())) yield full;
  }
}

/**
 * The installed folders of the packages vsce packs (what `npm list --production` names): the lockfile's
 * packages that are not development-only. Without a lockfile, every folder under node_modules.
 */
function productionPackages(root) {
  const lock = path.join(root, 'package-lock.json');
  const all = fs.existsSync(lock)
    ? Object.entries(JSON.parse(fs.readFileSync(lock, 'utf8')).packages ?? {})
      .filter(([key, meta]) => key.startsWith('node_modules/') && !meta.dev).map(([key]) => key)
    : fs.readdirSync(path.join(root, 'node_modules')).flatMap((name) => name.startsWith('@')
      ? fs.readdirSync(path.join(root, 'node_modules', name)).map((sub) => `node_modules/${name}/${sub}`)
      : [`node_modules/${name}`]);
  return all.filter((rel) => fs.existsSync(path.join(root, rel)));
}

/** The lockfile's optional packages (optionalDependencies and what only they need). */
function optionalPackages(root) {
  const lock = path.join(root, 'package-lock.json');
  if (!fs.existsSync(lock)) return new Set();
  return new Set(Object.entries(JSON.parse(fs.readFileSync(lock, 'utf8')).packages ?? {}).filter(([, meta]) => meta.optional).map(([key]) => key));
}

/** Whether a package's package.json `os` and `cpu` fields (npm's syntax, `!` negates) allow the target. */
function supports(dir, want) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const allows = (list, value) => !Array.isArray(list) || list.length === 0 ||
    (list.some((v) => !v.startsWith('!')) ? list.includes(value) : !list.includes(`!${value}`));
  return allows(manifest.os, want.os) && allows(manifest.cpu, want.arch);
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * What to leave out of a `target` VSIX: { foreign: native binaries for other platforms, duplicates:
 * byte-identical copies of a kept library, kept: the native binaries that stay, missing: packages
 * whose native code has nothing for the target }. Paths are relative to the repository, with '/'.
 */
function plan(target, root = REPO) {
  const want = TARGETS[target];
  if (!want) throw new Error(`unknown target ${target} (one of ${Object.keys(TARGETS).join(', ')})`);
  const foreign = [];
  const kept = [];
  const replaced = [];
  const packagesWithNative = new Map(); // package folder -> has a binary for the target
  const packages = productionPackages(root);
  const variants = packages.filter((pkg) => RUNTIME_VARIANTS.some((r) => path.posix.dirname(pkg) === r.scope && !(r.keep[target] ?? []).includes(path.posix.basename(pkg))));
  const buildOnly = BUILD_ONLY.filter((rel) => fs.existsSync(path.join(root, rel)));
  const overlay = overlayOf(target, root);
  const overlaid = new Set(overlay?.files ?? []);
  /** Where a packaged file's bytes come from: the overlay's copy or the checkout's. */
  const source = (rel) => path.join(overlaid.has(rel) ? overlay.root : root, rel);
  for (const pkg of packages.filter((p) => !variants.includes(p))) {
    for (const file of walk(path.join(root, pkg))) {
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (overlay && inFolder(rel, overlay.folders)) { replaced.push(rel); continue; }
      const kind = nativeKind(readHead(file));
      if (!kind) continue;
      const fits = kind.os === want.os && kind.archs.includes(want.arch);
      // A link to a library of the target stays as .vscodeignore has it (the loader's name for the file); one to a
      // foreign library goes with the rest of the foreign code.
      if (fits && fs.lstatSync(file).isSymbolicLink()) continue;
      (fits ? kept : foreign).push(rel);
      packagesWithNative.set(pkg, (packagesWithNative.get(pkg) ?? false) || fits);
    }
  }
  for (const rel of overlaid) {
    const kind = nativeKind(readHead(source(rel)));
    if (!kind) continue;
    if (kind.os !== want.os || !kind.archs.includes(want.arch)) throw new Error(`the ${target} overlay holds a ${kind.os} ${kind.archs.join('+')} binary: ${rel}`);
    kept.push(rel);
    // The package it belongs to has the target's code now (a package the checkout lacks, e.g. @node-llama-cpp/win-x64, is added whole).
    const pkg = packages.filter((p) => rel.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)[0];
    if (pkg) packagesWithNative.set(pkg, true);
  }
  const duplicates = [];
  const byFolder = new Map();
  for (const rel of kept) byFolder.set(path.posix.dirname(rel), [...(byFolder.get(path.posix.dirname(rel)) ?? []), rel]);
  for (const files of byFolder.values()) {
    const bySize = new Map();
    for (const rel of files) {
      const key = `${fs.statSync(source(rel)).size}:${sha256(source(rel))}`;
      bySize.set(key, [...(bySize.get(key) ?? []), rel]);
    }
    for (const same of bySize.values()) {
      if (same.length < 2) continue;
      // Keep the copy whose name the other binaries of the folder load (or the shortest name).
      const others = files.filter((f) => !same.includes(f)).map((f) => fs.readFileSync(source(f)));
      const loaded = same.filter((f) => others.some((b) => b.includes(path.posix.basename(f))));
      const keep = (loaded.length ? loaded : same).sort((a, b) => a.length - b.length)[0];
      duplicates.push(...same.filter((f) => f !== keep));
    }
  }
  // A package with native code but none for the target cannot work there, unless it says it is for other
  // platforms only (package.json `os` / `cpu`, e.g. a macOS-only capture backend).
  // Optional dependencies (audiotee: macOS only; audify where it did not build) may lack the target: Earshot
  // falls back to the recorder programs without them. Their foreign binaries are still left out.
  const optional = optionalPackages(root);
  const missing = [...packagesWithNative].filter(([pkg, fits]) => !fits && !optional.has(pkg) && supports(path.join(root, pkg), want)).map(([pkg]) => pkg);
  return {
    target, foreign: foreign.sort(), duplicates: duplicates.sort(), kept: kept.filter((f) => !duplicates.includes(f)).sort(), missing,
    variants: variants.sort(), buildOnly,
    // macOS packages carry audiotee inside Earshot's own app (scripts/mac-capture-app.js); the others leave it out.
    macCaptureApp: want.os === 'darwin' ? captureApp.APP_PATH : null,
    // and, beside the app (outside its signature), call detection's Core Audio process list.
    macProcesses: want.os === 'darwin' ? captureApp.PROCESSES_PATH : null,
    // The overlay: its folders replace the checkout's (whose files there are `replaced`); `added`, its files that go in.
    overlay: overlay && { root: overlay.root, folders: overlay.folders, added: overlay.files.filter((f) => !duplicates.includes(f)).sort() },
    replaced: replaced.sort(),
  };
}

/** .vscodeignore plus the plan's files, for vsce --ignoreFile. */
function ignoreFileText(p, root = REPO) {
  const base = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8');
  const escape = (f) => f.replace(/[\\*?[\]{}()!#]/g, (c) => `\\${c}`);
  return `${base.trimEnd()}\n# ${p.target}: native binaries for other platforms and duplicate copies (scripts/package-vsix.js)\n` +
    [...p.foreign, ...p.duplicates].map(escape).join('\n') + '\n' +
    `# ${p.target}: other variants of a runtime, and files only a build from source reads\n` +
    [...p.variants.map((pkg) => `${escape(pkg)}/**`), ...p.buildOnly.map(escape)].join('\n') + '\n' +
    (p.macCaptureApp ? '' : `# ${p.target}: the macOS capture app, left from packaging for macOS\n${captureApp.APP_DIR}/**\n`) +
    (p.overlay ? `# ${p.target}: folders the cross-built overlay replaces (added to the zip afterwards)\n${p.overlay.folders.map((f) => `${escape(f)}/**`).join('\n')}\n` : '');
}

/**
 * Adds the overlay's files to the VSIX vsce wrote (under extension/, as vsce names the package's files), and their
 * extensions to [Content_Types].xml the way vsce lists them (vsce package.js toContentTypes: one Default per
 * extension; mime's answer for .dll and .node is application/octet-stream).
 */
async function addOverlay(vsix, overlay) {
  const JSZip = require('jszip');
  const zip = await JSZip.loadAsync(fs.readFileSync(vsix));
  // An overlay folder replaces the checkout's whole: what .vscodeignore's `!` lines bring back into it (vsce lets them
  // win over the ignore file, e.g. the bundled build's record ggml.o.d under smart-whisper/build/Release) goes too.
  for (const name of Object.keys(zip.files)) {
    const rel = name.replace(/^extension\//, '');
    if (name !== rel && !zip.files[name].dir && inFolder(rel, overlay.folders)) zip.remove(name);
  }
  for (const rel of overlay.added) {
    zip.file(`extension/${rel}`, fs.readFileSync(path.join(overlay.root, rel)), { unixPermissions: 0o100644, date: new Date() });
  }
  const typesEntry = zip.file('[Content_Types].xml');
  let types = await typesEntry.async('string');
  const known = new Set([...types.matchAll(/Extension="([^"]+)"/g)].map((m) => m[1].toLowerCase()));
  const added = [...new Set(overlay.added.map((f) => path.posix.extname(f).toLowerCase()).filter((e) => e && !known.has(e)))];
  if (added.length) {
    const defaults = [...types.matchAll(/<Default [^>]*\/>/g)].map((m) => m[0]);
    const all = [...defaults, ...added.map((e) => `<Default Extension="${e}" ContentType="application/octet-stream"/>`)].sort();
    types = types.replace(/<Types ([^>]*)>[\s\S]*<\/Types>/, (_, attrs) => `<Types ${attrs}>${all.join('')}</Types>`);
    zip.file('[Content_Types].xml', types);
  }
  const out = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 }, platform: 'UNIX' });
  fs.writeFileSync(vsix, out);
}

function hostTarget() {
  return `${process.platform}-${process.arch === 'arm' ? 'armhf' : process.arch}`;
}

async function main(argv) {
  const option = (name) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const target = option('target') ?? hostTarget();
  const p = plan(target);
  if (argv.includes('--plan')) {
    console.log(JSON.stringify(p, null, 2));
    return 0;
  }
  if (p.missing.length) {
    const cross = OVERLAYS[target] && target !== hostTarget() ? ` or run \`${OVERLAYS[target].build}\` first (it cross-builds them)` : '';
    throw new Error(`no ${target} binaries in ${p.missing.join(', ')}: package on a ${target} machine (native addons are built at install)${cross}`);
  }
  // A bundle the release workflow signed is current and kept; otherwise it is built (unsigned) from audiotee.
  if (p.macCaptureApp) console.error(`earshot: ${path.relative(REPO, captureApp.ensure(REPO))}`);
  if (p.macProcesses) console.error(`earshot: ${path.relative(REPO, captureApp.ensureProcesses(REPO))}`);
  const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const out = path.resolve(option('out') ?? path.join(REPO, `earshot-${target}-${version}.vsix`));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-vsix-'));
  try {
    const ignoreFile = path.join(work, 'vscodeignore');
    fs.writeFileSync(ignoreFile, ignoreFileText(p));
    const started = Date.now();
    // No repository is published yet: README's relative links stay relative instead of being rewritten to a
    // repository URL. Its pictures (docs/images/) are in the package, where VS Code's extension page finds them
    // (vsix-contents.js checks); its links to docs/ need that URL, which the Marketplace resolves them against.
    const args = ['--yes', VSCE, 'package', '--target', target, '--out', out, '--ignoreFile', ignoreFile,
      '--allow-missing-repository', '--no-rewrite-relative-links'];
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    const result = spawnSync(npx, args, { cwd: REPO, stdio: 'inherit', shell: process.platform === 'win32' });
    if (result.status !== 0) throw new Error(`vsce package failed (exit ${result.status ?? result.signal})`);
    if (p.overlay) {
      await addOverlay(out, p.overlay);
      console.error(`earshot: ${p.overlay.added.length} cross-built files added from ${path.relative(REPO, p.overlay.root)} (${p.overlay.folders.join(', ')})`);
    }
    console.error(`earshot: packaged in ${((Date.now() - started) / 1000).toFixed(0)} s, ${p.foreign.length + p.duplicates.length} other-platform or duplicate binaries left out` +
      `${p.variants.length ? `, and ${p.variants.length} runtime variant packages (${p.variants.map((v) => path.posix.basename(v)).join(', ')})` : ''}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const { checkVsix } = require('./vsix-contents.js');
  const report = await checkVsix(out, target, { checkout: REPO });
  console.error(`earshot: ${path.relative(process.cwd(), out)}: ${report.summary}`);
  return 0;
}

/** Where a planned file's bytes are: the cross-built overlay's copy (a file in its folders) or the checkout's. */
function fileSource(p, rel, root = REPO) {
  return path.join(p.overlay && inFolder(rel, p.overlay.folders) ? p.overlay.root : root, rel);
}

module.exports = { nativeKind, plan, fileSource, ignoreFileText, hostTarget, supports, overlayOf, TARGETS, RUNTIME_VARIANTS, BUILD_ONLY, OVERLAYS };

if (require.main === module) {
  Promise.resolve().then(() => main(process.argv.slice(2))).then((code) => { process.exitCode = code; }, (e) => {
    console.error(`earshot: ${e.message}`);
    process.exitCode = 1;
  });
}
