/**
 * The win32 addons' Node-API linkage (scripts/win32/node-api.js, issue 54 P3): the build-time check that fails an
 * addon whose first-call trampoline loses xmm0-xmm3 (a double argument), on objdump's text of binutils 2.40's
 * `dlltool -y` trampoline (Debian 12's, which saves only rcx/rdx/r8/r9) and of ours, and, where MinGW-w64 is installed
 * (scripts/wine-setup.sh), on the real objects: a delay-import library dlltool makes now and node-api-trampoline.S
 * assembled. Also the import table generated from node-api-headers' def file. That a double survives the first call
 * for real is test/wine/package.test.ts's. The unit suite runs before MinGW-w64 is installed, so the Wine suite runs
 * this file again after scripts/wine-setup.sh (package.json test:wine): there the real objects are checked.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

interface Trampoline { name: string; lines: string[] }
/* eslint-disable @typescript-eslint/no-require-imports */
const nodeApi = require(path.join(REPO_ROOT, 'scripts', 'win32', 'node-api.js')) as {
  defSymbols(text: string): string[];
  importTableAsm(symbols: string[]): string;
  trampolines(disassembly: string): Trampoline[];
  trampolineProblems(t: Trampoline): string[];
  addonProblems(file: string, tools: { exports(f: string): string; disassemble(f: string): string }): string[];
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** `x86_64-w64-mingw32-objdump -d` of the head object `dlltool -d node_api.def -y lib.a` (binutils 2.40) makes. */
const DLLTOOL_240 = `
0000000000000000 <__tailMerge_lib_a>:
   0:\t48 83 ec 48          \tsub    $0x48,%rsp
   4:\t48 89 4c 24 40       \tmov    %rcx,0x40(%rsp)
   9:\t48 89 54 24 38       \tmov    %rdx,0x38(%rsp)
   e:\t4c 89 44 24 30       \tmov    %r8,0x30(%rsp)
  13:\t4c 89 4c 24 28       \tmov    %r9,0x28(%rsp)
  18:\t48 89 c2             \tmov    %rax,%rdx
  1b:\t48 8d 0d 00 00 00 00 \tlea    0x0(%rip),%rcx        # 22 <__tailMerge_lib_a+0x22>
  22:\te8 00 00 00 00       \tcall   27 <__tailMerge_lib_a+0x27>
  27:\t4c 8b 4c 24 28       \tmov    0x28(%rsp),%r9
  2c:\t4c 8b 44 24 30       \tmov    0x30(%rsp),%r8
  31:\t48 8b 54 24 38       \tmov    0x38(%rsp),%rdx
  36:\t48 8b 4c 24 40       \tmov    0x40(%rsp),%rcx
  3b:\t48 83 c4 48          \tadd    $0x48,%rsp
  3f:\tff e0                \tjmp    *%rax
`;

/** The same listing of scripts/win32/node-api-trampoline.S (a long instruction's last byte on a line of its own). */
const OURS = `
0000000000000000 <__tailMerge_NODE_EXE>:
   0:\t48 81 ec 88 00 00 00 \tsub    $0x88,%rsp
   7:\t48 89 8c 24 90 00 00 \tmov    %rcx,0x90(%rsp)
   e:\t00 
  27:\t0f 29 44 24 20       \tmovaps %xmm0,0x20(%rsp)
  2c:\t0f 29 4c 24 30       \tmovaps %xmm1,0x30(%rsp)
  31:\t0f 29 54 24 40       \tmovaps %xmm2,0x40(%rsp)
  36:\t0f 29 5c 24 50       \tmovaps %xmm3,0x50(%rsp)
  45:\t48 89 c1             \tmov    %rax,%rcx
  48:\te8 00 00 00 00       \tcall   4d <__tailMerge_NODE_EXE+0x4d>
  6d:\t0f 28 44 24 20       \tmovaps 0x20(%rsp),%xmm0
  72:\t0f 28 4c 24 30       \tmovaps 0x30(%rsp),%xmm1
  77:\t0f 28 54 24 40       \tmovaps 0x40(%rsp),%xmm2
  7c:\t0f 28 5c 24 50       \tmovaps 0x50(%rsp),%xmm3
  8b:\t48 81 c4 88 00 00 00 \tadd    $0x88,%rsp
  92:\tff e0                \tjmp    *%rax

0000000000000094 <napi_create_double>:
  94:\tff 25 00 00 00 00    \tjmp    *0x0(%rip)
`;

const ADDON_EXPORTS = '[Ordinal/Name Pointer] Table\n\t[   0] napi_register_module_v1\n';
const MINGW = '/usr/bin/x86_64-w64-mingw32';
const hasMingw = () => fs.existsSync(`${MINGW}-dlltool`) && fs.existsSync(`${MINGW}-gcc-posix`) && fs.existsSync(`${MINGW}-objdump`);

function run(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${tool} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('win32 addons: Node-API through a trampoline that keeps xmm0-xmm3 (scripts/win32/node-api.js)', () => {
  it("fails binutils 2.40 dlltool's trampoline, which saves only the integer argument registers", () => {
    const [t] = nodeApi.trampolines(DLLTOOL_240);
    assert.equal(t.name, '__tailMerge_lib_a');
    assert.deepEqual(nodeApi.trampolineProblems(t), ['__tailMerge_lib_a does not keep xmm0, xmm1, xmm2, xmm3 across its call (a double argument of the first Node-API call would be lost: binutils PR 29189)']);
  });

  it('passes ours, and fails it again when one register is not restored after the call', () => {
    const found = nodeApi.trampolines(OURS);
    assert.deepEqual(found.map((t) => t.name), ['__tailMerge_NODE_EXE'], 'only the trampoline, not the stubs after it');
    assert.deepEqual(nodeApi.trampolineProblems(found[0]), []);
    const [lost] = nodeApi.trampolines(OURS.replace(/.*movaps 0x30\(%rsp\),%xmm1\n/, ''));
    assert.deepEqual(nodeApi.trampolineProblems(lost), [/* xmm1 saved but never restored */
      '__tailMerge_NODE_EXE does not keep xmm1 across its call (a double argument of the first Node-API call would be lost: binutils PR 29189)']);
  });

  it('checks only addons, and fails an addon with no trampoline to check (stripped, or NODE.EXE imported plainly)', () => {
    const tools = (exportsText: string, disassembly: string) => ({ exports: () => exportsText, disassemble: () => disassembly });
    assert.deepEqual(nodeApi.addonProblems('ggml.dll', tools('[Ordinal/Name Pointer] Table\n\t[   0] ggml_init\n', '')), []);
    assert.deepEqual(nodeApi.addonProblems('x.node', tools(ADDON_EXPORTS, OURS)), []);
    assert.match(nodeApi.addonProblems('x.node', tools(ADDON_EXPORTS, DLLTOOL_240)).join(), /^x\.node: __tailMerge_lib_a does not keep xmm0/);
    assert.deepEqual(nodeApi.addonProblems('x.node', tools(ADDON_EXPORTS, '0000000000001000 <.text>:\n')),
      ['x.node: an addon with no __tailMerge_ trampoline to check (stripped, or Node-API imported another way)']);
  });

  it("generates a slot, a stub and a name for every function of node-api-headers' node_api.def", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const headers = require(require.resolve('node-api-headers', { paths: [REPO_ROOT] })) as { def_paths: { node_api_def: string } };
    const symbols = nodeApi.defSymbols(fs.readFileSync(headers.def_paths.node_api_def, 'utf8'));
    assert.ok(symbols.length > 150 && symbols.includes('napi_create_double') && symbols.includes('napi_module_register'), `${symbols.length} symbols`);
    assert.ok(!symbols.includes('NAME') && !symbols.includes('EXPORTS'));
    const asm = nodeApi.importTableAsm(['napi_a', 'napi_b']);
    assert.match(asm, /__imp_napi_b:\n\t\.quad \.Lload_1\n/);
    assert.match(asm, /napi_b:\n\tjmp \*__imp_napi_b\(%rip\)\n\.Lload_1:\n\tleaq __imp_napi_b\(%rip\), %rax\n\tjmp __tailMerge_NODE_EXE\n/);
    assert.match(asm, /earshot_napi_count:\n\t\.quad 2\n/);
  });

  it('on the real objects (MinGW-w64): dlltool -y of node_api.def fails, node-api-trampoline.S passes', function () {
    if (!hasMingw()) this.skip(); // scripts/wine-setup.sh installs MinGW-w64
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const headers = require(require.resolve('node-api-headers', { paths: [REPO_ROOT] })) as { def_paths: { node_api_def: string } };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-napi-'));
    try {
      const lib = path.join(dir, 'libnode_api_delay.a');
      run(`${MINGW}-dlltool`, ['-d', headers.def_paths.node_api_def, '-y', lib, '-m', 'i386:x86-64']);
      const version = run(`${MINGW}-dlltool`, ['--version']).split('\n')[0];
      const theirs = nodeApi.trampolines(run(`${MINGW}-objdump`, ['-d', lib]));
      assert.equal(theirs.length, 1, 'one trampoline in the delay-import library');
      // binutils 2.41 and later save xmm0-xmm5 (PR 29189): then this dlltool would pass, and this line says so.
      const fixed = /\b2\.(4[1-9]|[5-9]\d)\b/.test(version);
      assert.equal(nodeApi.trampolineProblems(theirs[0]).length, fixed ? 0 : 1, `${version}: ${nodeApi.trampolineProblems(theirs[0])}`);
      const ours = path.join(dir, 'trampoline.o');
      run(`${MINGW}-gcc-posix`, ['-c', path.join(REPO_ROOT, 'scripts', 'win32', 'node-api-trampoline.S'), '-o', ours]);
      const found = nodeApi.trampolines(run(`${MINGW}-objdump`, ['-d', ours]));
      assert.deepEqual(found.map((t) => t.name), ['__tailMerge_NODE_EXE']);
      assert.deepEqual(nodeApi.trampolineProblems(found[0]), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
