/**
 * How the win32 addons (audify.js, whisper.js) reach Node-API, and the build's check of it.
 *
 * linkage(dir): instead of an import library, a table generated from node-api-headers' def/node_api.def (every
 * Node-API function, js_native_api's included): for each function a slot `__imp_<name>` (what code compiled with
 * node_api.h's `__declspec(dllimport)` calls through) and a stub `<name>` that jumps through it. A slot first points at
 * a thunk that enters node-api-trampoline.S, which resolves the function from the running executable
 * (node-api-resolver.c) and keeps every argument register, xmm0-xmm5 included. So the addon loads in a host not named
 * node.exe (Code.exe), as the delay-load hook did, and no `dlltool -y` trampoline is in the call path: dlltool 2.40's
 * loses floating-point arguments (node-api-trampoline.S says why). The addon's own initializer is compiled under
 * another name (ADDON_DEFINES) so that the resolver's napi_register_module_v1 makes the first Node-API call, a double.
 *
 * trampolineProblems(file): the build-time check, run on every .node/.dll a part ships: in an addon (it exports
 * napi_register_module_v1), every `__tailMerge_*` trampoline (dlltool's and ours share the name) must save xmm0-xmm3
 * before its call and restore them after, and there must be one to check (a stripped or plainly imported addon fails).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const mingw = require('./mingw.js');

/** The addon's sources are compiled with these: its NAPI_MODULE_INIT defines the renamed initializer (the macro's pasted name is rescanned). */
const ADDON_DEFINES = ['-Dnapi_register_module_v1=earshot_addon_register_module_v1'];
const REGISTERS_KEPT = [0, 1, 2, 3];

/** The function names a .def file exports (lines after EXPORTS; comments and ordinals left out). */
function defSymbols(text) {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/;.*/, '').trim()).filter(Boolean);
  const start = lines.findIndex((l) => /^EXPORTS$/i.test(l));
  if (start < 0) throw new Error('no EXPORTS in the .def file');
  return lines.slice(start + 1).map((l) => l.split(/\s+/)[0]).filter((n) => /^[A-Za-z_]\w*$/.test(n));
}

/** The GNU assembler source of the import table for `symbols` (see the header). */
function importTableAsm(symbols) {
  const out = ['\t.data', '\t.p2align 3', '\t.globl earshot_napi_slots', 'earshot_napi_slots:'];
  symbols.forEach((s, i) => out.push(`\t.globl __imp_${s}`, `__imp_${s}:`, `\t.quad .Lload_${i}`));
  out.push('\t.section .rdata,"dr"', '\t.p2align 3', '\t.globl earshot_napi_count', 'earshot_napi_count:', `\t.quad ${symbols.length}`,
    '\t.globl earshot_napi_names', 'earshot_napi_names:', ...symbols.map((_, i) => `\t.quad .Lname_${i}`),
    ...symbols.map((s, i) => `.Lname_${i}:\t.asciz "${s}"`), '\t.text');
  symbols.forEach((s, i) => out.push(`\t.globl ${s}`, `\t.def ${s}; .scl 2; .type 32; .endef`, `${s}:`, `\tjmp *__imp_${s}(%rip)`,
    `.Lload_${i}:`, `\tleaq __imp_${s}(%rip), %rax`, '\tjmp __tailMerge_NODE_EXE'));
  return out.join('\n') + '\n';
}

/** Builds the table, trampoline and resolver objects into `dir`. Returns the objects to link and Node-API's headers. */
function linkage(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const headers = require(require.resolve('node-api-headers', { paths: [mingw.REPO] }));
  const table = path.join(dir, 'node-api-table.s');
  fs.writeFileSync(table, importTableAsm(defSymbols(fs.readFileSync(headers.def_paths.node_api_def, 'utf8'))));
  const objects = [
    [table, []],
    [path.join(__dirname, 'node-api-trampoline.S'), []],
    [path.join(__dirname, 'node-api-resolver.c'), ['-O2', '-DBUILDING_NODE_EXTENSION', `-I${headers.include_dir}`]],
  ].map(([src, flags]) => {
    const obj = path.join(dir, `${path.basename(src).replace(/\.\w+$/, '')}.o`);
    mingw.run(mingw.CC, [...flags, '-c', src, '-o', obj]);
    return obj;
  });
  return { objects, include: headers.include_dir, sources: [headers.def_paths.node_api_def, path.join(__dirname, 'node-api-trampoline.S'), path.join(__dirname, 'node-api-resolver.c'), __filename] };
}

/** The `__tailMerge_*` functions of an `objdump -d` listing: { name, lines }. */
function trampolines(disassembly) {
  const found = [];
  let current = null;
  for (const line of disassembly.split('\n')) {
    const head = /^[0-9a-f]+ <([^>]+)>:$/.exec(line);
    if (head) {
      current = /^__tailMerge_/.test(head[1]) ? { name: head[1], lines: [] } : null;
      if (current) found.push(current);
    } else if (current && /^\s+[0-9a-f]+:\t/.test(line)) {
      // "  7:\t48 89 8c 24 90 00 00 \tmov    %rcx,0x90(%rsp)"; a long instruction's last bytes come on a line of their own.
      const text = line.split('\t').slice(2).join(' ').trim();
      if (text) current.lines.push(text.replace(/\s+/g, ' '));
    }
  }
  return found;
}

/** What a trampoline's instructions (objdump's AT&T text) fail to keep of xmm0-xmm3 across its call: a list of problems. */
function trampolineProblems({ name, lines }) {
  const call = lines.findIndex((l) => /^call/.test(l));
  if (call < 0) return [`${name}: no call in it`];
  const saved = new Set(lines.slice(0, call).map((l) => /^v?mov\w*\s+%xmm(\d+),.*\(%rsp\)$/.exec(l)?.[1]).filter(Boolean).map(Number));
  const restored = new Set(lines.slice(call + 1).map((l) => /^v?mov\w*\s+.*\(%rsp\),%xmm(\d+)$/.exec(l)?.[1]).filter(Boolean).map(Number));
  const lost = REGISTERS_KEPT.filter((r) => !saved.has(r) || !restored.has(r));
  return lost.length ? [`${name} does not keep ${lost.map((r) => `xmm${r}`).join(', ')} across its call (a double argument of the first Node-API call would be lost: binutils PR 29189)`] : [];
}

/**
 * The check for one built file: [] when it is no addon or its every trampoline keeps xmm0-xmm3. `tools` are the
 * objdump runs (for tests): { exports(file), disassemble(file) }.
 */
function addonProblems(file, tools = { exports: (f) => mingw.run(`${mingw.TRIPLE}-objdump`, ['-p', f]), disassemble: (f) => mingw.run(`${mingw.TRIPLE}-objdump`, ['-d', f]) }) {
  if (!/\bnapi_register_module_v1\b/.test(tools.exports(file))) return [];
  const found = trampolines(tools.disassemble(file));
  if (!found.length) return [`${path.basename(file)}: an addon with no __tailMerge_ trampoline to check (stripped, or Node-API imported another way)`];
  return found.flatMap((t) => trampolineProblems(t).map((p) => `${path.basename(file)}: ${p}`));
}

/** Throws when any of `files` fails addonProblems (the parts call it before shipping). */
function checkAddons(files) {
  const problems = files.flatMap((f) => addonProblems(f));
  if (problems.length) throw new Error(`Node-API linkage: ${problems.join('; ')}`);
}

module.exports = { ADDON_DEFINES, defSymbols, importTableAsm, linkage, trampolines, trampolineProblems, addonProblems, checkAddons };
