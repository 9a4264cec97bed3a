/**
 * What a platform VSIX is made for, shared by the packager (package-vsix.js) and the check of what it packed
 * (vsix-contents.js): vsce's targets, the runtimes shipped as one package per variant and which variants each target
 * keeps, the files only a build from source reads, and what native code a file's first bytes say it is.
 */
'use strict';

/** vsce's targets as { os, arch } of the native code they run (alpine: musl Linux). */
const TARGETS = {
  'win32-x64': { os: 'win32', arch: 'x64' }, 'win32-arm64': { os: 'win32', arch: 'arm64' },
  'linux-x64': { os: 'linux', arch: 'x64' }, 'linux-arm64': { os: 'linux', arch: 'arm64' },
  'linux-armhf': { os: 'linux', arch: 'arm' }, 'alpine-x64': { os: 'linux', arch: 'x64' },
  'alpine-arm64': { os: 'linux', arch: 'arm64' }, 'darwin-x64': { os: 'darwin', arch: 'x64' },
  'darwin-arm64': { os: 'darwin', arch: 'arm64' },
};
/**
 * Runtimes shipped as one package per variant: `scope` holds them all; `keep` names, per target, those that go in
 * (none: the runtime is not offered there, e.g. musl Linux, which node-llama-cpp has no prebuilt binary for). On x64
 * Linux and Windows the Vulkan build goes in beside the CPU one (27.5 MB packed): node-llama-cpp's gpu 'auto' loads it
 * where a Vulkan driver is (NVIDIA, AMD and Intel GPUs alike) and falls back to the CPU build elsewhere. CUDA's builds
 * (143 MB packed, 180-360 MB unpacked) stay out: Vulkan serves NVIDIA GPUs too.
 */
const RUNTIME_VARIANTS = [{
  scope: 'node_modules/@node-llama-cpp',
  keep: {
    'linux-x64': ['linux-x64', 'linux-x64-vulkan'], 'linux-arm64': ['linux-arm64'], 'linux-armhf': ['linux-armv7l'],
    'darwin-arm64': ['mac-arm64-metal'], 'darwin-x64': ['mac-x64'], 'win32-x64': ['win-x64', 'win-x64-vulkan'], 'win32-arm64': ['win-arm64'],
  },
}];
/** Files of production packages that no run reads: only building from source does (node-llama-cpp's is 35 MB). */
const BUILD_ONLY = ['node_modules/node-llama-cpp/llama/gitRelease.bundle'];

const ELF_MACHINES = { 0x03: 'ia32', 0x28: 'arm', 0x3e: 'x64', 0xb7: 'arm64' };
const MACHO_CPUS = { 0x07: 'ia32', 0x01000007: 'x64', 0x0c: 'arm', 0x0100000c: 'arm64' };
const PE_MACHINES = { 0x14c: 'ia32', 0x8664: 'x64', 0xaa64: 'arm64', 0x1c4: 'arm' };

/**
 * What native code a file's first bytes (4 KB is plenty) say it is: { os, archs } or null for anything
 * else. Relocatable objects and static archives are not loaded at run time and count as not native.
 */
function nativeKind(head) {
  if (head.length < 64) return null;
  if (head.readUInt32BE(0) === 0x7f454c46) { // ELF
    const little = head[5] === 1;
    const type = little ? head.readUInt16LE(16) : head.readUInt16BE(16);
    if (type !== 2 && type !== 3) return null; // executables and shared objects only
    const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
    return { os: 'linux', archs: [ELF_MACHINES[machine] ?? `elf-${machine}`] };
  }
  const magicLE = head.readUInt32LE(0);
  if (magicLE === 0xfeedface || magicLE === 0xfeedfacf) { // thin Mach-O (little-endian CPUs)
    return { os: 'darwin', archs: [MACHO_CPUS[head.readUInt32LE(4)] ?? `macho-${head.readUInt32LE(4)}`] };
  }
  if (head.readUInt32BE(0) === 0xcafebabe) { // universal Mach-O (also Java's class magic: few arches here)
    const count = head.readUInt32BE(4);
    if (count === 0 || count > 16) return null;
    const archs = [];
    for (let i = 0; i < count; i++) archs.push(MACHO_CPUS[head.readUInt32BE(8 + i * 20)] ?? 'unknown');
    return { os: 'darwin', archs };
  }
  if (head[0] === 0x4d && head[1] === 0x5a) { // MZ: a PE image if the header it points at says so
    const pe = head.readUInt32LE(0x3c);
    if (pe + 6 > head.length || head.readUInt32BE(pe) !== 0x50450000) return null;
    const machine = head.readUInt16LE(pe + 4);
    return { os: 'win32', archs: [PE_MACHINES[machine] ?? `pe-${machine}`] };
  }
  return null;
}

module.exports = { nativeKind, TARGETS, RUNTIME_VARIANTS, BUILD_ONLY };
