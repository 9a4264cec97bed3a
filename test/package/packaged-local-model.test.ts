/**
 * The local notes model as users get it: `npm run test:vsix` unpacks this platform's VSIX into EARSHOT_PACKAGE_DIR and
 * this suite runs the unpacked extension's own CLI, `earshot notes FILE --local --model M.gguf`, with a generated GGUF
 * (test/setup.ts notesModel()). The model process loads node-llama-cpp from the package, which carries the target's
 * variants of its binaries (scripts/vsix-targets.js RUNTIME_VARIANTS: the CPU build, with Vulkan on x64 Linux and
 * Windows) and no llama.cpp source bundle: this proves that is enough, on the CPU and on a Vulkan device.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { notesModel } from '../setup';

const PACKAGE = process.env.EARSHOT_PACKAGE_DIR ?? '';

describe('the packaged local notes model', function () {
  this.timeout(240_000); // lavapipe runs a Vulkan device on the CPU: slow

  before(function () {
    if (!PACKAGE) throw new Error('EARSHOT_PACKAGE_DIR: the unpacked VSIX (npm run test:vsix sets it)');
    if (!fs.existsSync(path.join(PACKAGE, 'node_modules', '@node-llama-cpp'))) this.skip(); // a target without a variant (musl Linux)
  });

  /** `earshot notes --local` from the package; env on top of the test's. */
  function notesFromPackage(env: NodeJS.ProcessEnv = {}) {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-package-llm-'));
    try {
      const transcript = path.join(cwd, 'meeting.txt');
      fs.writeFileSync(transcript, 'Ana: Maria will send the budget figures to finance by Friday.\nBen: We agreed to ship on Monday.\n');
      const run = spawnSync(process.execPath, [path.join(PACKAGE, 'bin', 'earshot.js'), 'notes', transcript, '--json', '--local', '--model', notesModel(), '--threads', '1'],
        { cwd, encoding: 'utf8', env: { ...process.env, EARSHOT_STORAGE: path.join(cwd, 'storage'), ...env }, timeout: 200_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /language model: 1 chunk done/);
      const out = JSON.parse(run.stdout) as { actionItems: { by?: string; segments?: string[] }[]; decisions: { by?: string; segments?: string[] }[] };
      const byModel = [...out.actionItems, ...out.decisions].filter((x) => x.by);
      assert.ok(byModel.length >= 1 && byModel.every((x) => x.segments!.every((s) => s === 'l-1' || s === 'l-2')), run.stdout);
      return run.stderr;
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }

  it("answers a transcript's chunk with the package's own node-llama-cpp (the target's variants only, no source bundle)", () => {
    const shipped = fs.readdirSync(path.join(PACKAGE, 'node_modules', '@node-llama-cpp')).sort();
    const cpu = shipped[0];
    assert.deepEqual(shipped, process.arch === 'x64' && process.platform !== 'darwin' ? [cpu, `${cpu}-vulkan`] : [cpu], 'the CPU build (and Vulkan on x64 Linux and Windows)');
    assert.ok(!fs.existsSync(path.join(PACKAGE, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle')));
    // No Vulkan device visible (ggml hides software ones unless named): the CPU build.
    assert.match(notesFromPackage({ GGML_VK_VISIBLE_DEVICES: '' }), /local model: .*, on the CPU \(1 thread\)/);
  });

  it('runs the model on the packaged Vulkan build where a Vulkan device is (Mesa\'s lavapipe, named visible)', function () {
    const icd = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    assert.ok(fs.existsSync(icd), `${icd} missing: scripts/test-deps.sh installs mesa-vulkan-drivers`);
    assert.match(notesFromPackage({ GGML_VK_VISIBLE_DEVICES: '0', VK_ICD_FILENAMES: icd }), /local model: .*, on vulkan \(llvmpipe/);
  });
});
