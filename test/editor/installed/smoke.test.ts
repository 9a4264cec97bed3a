/**
 * Smoke test of the packaged extension, installed from its VSIX into code-server (test/editor/vsix.ts):
 * the extension the editor loaded is the installed copy, it activates, its daemon runs from the
 * installed folder with the native addons the package carries, and it transcribes the sample the
 * package ships (a generated whisper model: earshot.model.path in the workspace settings) into the panel.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EarshotApi } from '../../../extension/extension';
import { available as hooksAvailable, screenshot, waitForState, webviewText } from '../suite/hooks';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** The shared objects mapped into the processes whose command line runs `script` (Linux's /proc). */
function librariesOfProcessesRunning(script: string): string[] {
  const libraries = new Set<string>();
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(script)) continue;
      for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        const file = line.split(/\s+/)[5];
        if (file?.startsWith('/')) libraries.add(file);
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return [...libraries];
}

describe('the installed VSIX in a real VS Code', () => {
  let extension: vscode.Extension<EarshotApi>;
  let api: EarshotApi;

  before(async () => {
    const found = vscode.extensions.getExtension<EarshotApi>('earshot.earshot');
    assert.ok(found, 'Earshot is installed in the extension host');
    extension = found;
    api = await extension.activate();
  });

  it('is the packaged copy, not the development tree', () => {
    const root = extension.extensionPath;
    assert.notEqual(path.resolve(root), REPO_ROOT, 'the extension runs from the repository: the VSIX was not what loaded');
    for (const absent of ['test', 'media/vad/silero_vad_v5.onnx', 'extension/extension.ts', 'tsconfig.json', 'out/test', 'node_modules/smart-whisper/whisper.cpp']) {
      assert.ok(!fs.existsSync(path.join(root, absent)), `${absent} is in the installed extension`);
    }
    for (const present of ['out/extension/extension.js', 'media/vad/silero_vad_v6.onnx', 'media/sample/standup.wav']) {
      assert.ok(fs.existsSync(path.join(root, present)), `${present} is missing from the installed extension`);
    }
    const onnxruntime = path.join(root, 'node_modules/onnxruntime-node/bin/napi-v6');
    assert.deepEqual(fs.readdirSync(onnxruntime), [process.platform], 'onnxruntime binaries of this platform only');
    assert.deepEqual(fs.readdirSync(path.join(onnxruntime, process.platform)), [process.arch], 'and this CPU only');
  });

  it('transcribes the sample it ships into the panel with its own daemon and native addons', async () => {
    const sample = path.join(extension.extensionPath, 'media', 'sample', 'standup.wav');
    await vscode.commands.executeCommand('earshot.showPanel');
    const done = waitForState(api, 'done');
    const result = await vscode.commands.executeCommand<{ sessionId: string } | undefined>('earshot.transcribeFile', vscode.Uri.file(sample));
    assert.ok(result?.sessionId, 'the command started a session (an error was shown instead: see the log above)');
    const finished = await done;
    assert.equal(finished.error, undefined, `session ended with an error: ${finished.error}`);

    const finals = api.panel.snapshot().segments.filter((s) => s.final);
    assert.ok(finals.length >= 4, `expected the sample's turns as final lines, got ${finals.length}`);
    for (const s of finals) assert.match(s.text, /^hello( hello)*$/, 'text from the generated model');

    // The daemon is the installed bin/earshot.js, and the whisper and onnxruntime libraries it has
    // loaded are the package's (Linux: /proc).
    if (process.platform === 'linux') {
      const libraries = librariesOfProcessesRunning(path.join(extension.extensionPath, 'bin', 'earshot.js'));
      assert.ok(libraries.length > 0, 'no daemon process runs the installed bin/earshot.js');
      const fromPackage = (name: string) => libraries.some((l) => l.startsWith(extension.extensionPath + path.sep) && l.endsWith(name));
      for (const name of ['smart-whisper.node', 'onnxruntime_binding.node', 'libonnxruntime.so.1']) {
        assert.ok(fromPackage(name), `the daemon has not loaded the package's ${name}; it has: ${libraries.filter((l) => l.includes('node_modules')).join(', ')}`);
      }
    }

    // What the panel's webview really shows (code-server runner).
    if (hooksAvailable) {
      // Speakers are told apart by default (issue 42): a line's label is 'Speaker N'. Waits for both: the
      // webview may show 'Done' an update before its last lines.
      const text = await webviewText('Done — standup', 20_000, /Speaker \d+\s*hello hello/);
      assert.match(text, /Speaker \d+\s*hello hello/, 'transcript lines with speaker and text');
      await screenshot('installed-vsix-panel', '.part.sidebar');
    }
  });
});
