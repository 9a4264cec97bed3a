/**
 * Windows' code-integrity refusal of an unsigned native file (daemon/windowsBlocked.ts, issue 54 P4), said as Smart
 * App Control with what the user can do, where the addons load: whisper's (daemon/whisperAddon.ts), onnxruntime's
 * (daemon/vad/silero.ts) through loadNative, audify's as its unavailable reason (daemon/capture/audify.ts). The errors
 * are shaped as Node raises them: code ERR_DLOPEN_FAILED, Windows' message for error 4551 then the file
 * (CherryHQ/cherry-studio#13930: "Error: An Application Control policy has blocked this file.\\?\D:\…\x.node";
 * rolldown/rolldown#10801), and Code Integrity's wording of event 3077 (anthropics/claude-code#90969).
 */
import * as assert from 'node:assert/strict';
import { audifyLoadFailure } from '../../daemon/capture/audify';
import { blockedByWindowsPolicy, loadNative } from '../../daemon/windowsBlocked';

const ADDON = 'C:\\Users\\Ana\\.vscode\\extensions\\earshot.earshot-0.1.0-win32-x64\\node_modules\\smart-whisper\\build\\Release\\smart-whisper.node';
const dlopenError = (message: string) => Object.assign(new Error(message), { code: 'ERR_DLOPEN_FAILED' });
const SAC = dlopenError(`An Application Control policy has blocked this file.\r\n\\\\?\\${ADDON}`);

describe('a native file Windows refuses (Smart App Control, App Control policies)', () => {
  it('names Smart App Control, the file, and how to proceed, keeping the original error as the cause', () => {
    const thrown = (() => {
      try {
        loadNative(() => { throw SAC; }, 'speech recognition (whisper\'s addon)');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    assert.ok(thrown, 'loadNative threw');
    assert.equal(thrown.cause, SAC);
    assert.match(thrown.message, /^Windows blocked speech recognition \(whisper's addon\) \(C:\\Users\\Ana\\.*\\smart-whisper\.node\): Smart App Control/);
    assert.match(thrown.message, /turn Smart App Control off \(Windows Security → App & browser control → Smart App Control settings/);
    assert.match(thrown.message, /have your administrator allow/);
    assert.match(thrown.message, /CodeIntegrity → Operational.*event 3077/);
  });

  it("recognizes Code Integrity's wording too, and nothing else", () => {
    assert.ok(blockedByWindowsPolicy(dlopenError('Windows cannot load this file: it did not meet the Enterprise signing level requirements (Code Integrity).')));
    assert.ok(!blockedByWindowsPolicy(dlopenError('The specified module could not be found.\r\n\\\\?\\C:\\x\\audify.node')), 'a missing DLL is another fault');
    assert.ok(!blockedByWindowsPolicy(new Error('An Application Control policy has blocked this file.')), 'only a failed dlopen');
    const other = dlopenError('The specified procedure could not be found.');
    assert.throws(() => loadNative(() => { throw other; }, 'x'), (e) => e === other, 'other load failures are thrown as they were');
    assert.equal(loadNative(() => 42, 'x'), 42);
  });

  it("makes audify's unavailable reason say it, with the recorder fallback; other failures keep their reason", () => {
    const blocked = dlopenError(`An Application Control policy has blocked this file.\r\n\\\\?\\${ADDON.replace(/smart-whisper/g, 'audify')}`);
    assert.match(audifyLoadFailure(blocked), /^Windows blocked in-process audio capture \(audify's addon\) \(C:\\.*\\audify\.node\): Smart App Control.* Meanwhile Earshot records with ffmpeg where it is installed\.$/);
    assert.match(audifyLoadFailure(new Error("Cannot find module 'audify'")), /^audify is not installed/);
    assert.match(audifyLoadFailure(dlopenError('The specified module could not be found.')), /^audify's native addon does not load \(The specified module could not be found\.\)/);
  });
});
