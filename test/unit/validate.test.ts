import * as assert from 'node:assert/strict';
import { MAX_INDEX_FILES, MAX_INDEX_SYMBOLS, PROTOCOL_VERSION } from '../../protocol/protocol';
import {
  InvalidParamsError, validateInitializationOptions, validateSessionStart, validateSessionStatus, validateSessionStop, validateSourceRetry,
  isWorkspacePath, MAX_INDEX_PATH, validateActionItemSetDone, validateModelDownload, validateDeviceTest, validateEditorActivity, validateSessionPause, validateWorkspaceIndex,
} from '../../protocol/validate';

/** Asserts that `fn` throws InvalidParamsError whose message matches every pattern. */
function rejects(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidParamsError, `expected InvalidParamsError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

describe('protocol validation', () => {
  describe('validateSessionStart', () => {
    it('accepts a complete file session and returns only known fields', () => {
      const v = validateSessionStart({
        sources: ['file'], audioFile: '/tmp/a.wav', pace: 'fast', language: 'en', title: 'Standup', extra: 'ignored',
      });
      assert.deepEqual(v, { sources: ['file'], audioFile: '/tmp/a.wav', pace: 'fast', language: 'en', title: 'Standup' });
    });

    it('accepts live sources without audioFile, and null for optional fields', () => {
      assert.deepEqual(validateSessionStart({ sources: ['mic', 'system'], title: null, pace: null }),
        { sources: ['mic', 'system'], title: undefined, language: undefined, audioFile: undefined, pace: undefined });
      assert.equal(validateSessionStart({ sources: ['file'], audioFile: '/a.wav', pace: 'realtime' }).pace, 'realtime');
      assert.equal(validateSessionStart({ sources: ['mic'], language: 'yue' }).language, 'yue');
    });

    it('rejects params that are not an object', () => {
      for (const bad of [null, undefined, [], ['file'], 'file', 42, true]) {
        rejects(() => validateSessionStart(bad), /session\/start params must be an object/);
      }
    });

    it('rejects missing, empty or non-array sources', () => {
      for (const sources of [undefined, [], 'file', { 0: 'file' }, null]) {
        rejects(() => validateSessionStart({ sources }), /\.sources must be a non-empty array/);
      }
    });

    it('rejects an unknown source and names it', () => {
      rejects(() => validateSessionStart({ sources: ['mic', 'webcam'] }), /\.sources/, /unknown source "webcam"/);
      rejects(() => validateSessionStart({ sources: [1] }), /\.sources/, /unknown source 1/);
      rejects(() => validateSessionStart({ sources: [null] }), /\.sources/, /unknown source null/);
    });

    it('rejects duplicate sources', () => {
      rejects(() => validateSessionStart({ sources: ['mic', 'mic'] }), /\.sources lists a source twice/);
    });

    it('requires audioFile for a file source, and refuses it without one', () => {
      rejects(() => validateSessionStart({ sources: ['file'] }), /\.audioFile is required/);
      rejects(() => validateSessionStart({ sources: ['file'], audioFile: '' }), /\.audioFile is required/);
      rejects(() => validateSessionStart({ sources: ['mic'], audioFile: '/a.wav' }), /\.audioFile given but sources does not include 'file'/);
    });

    it('rejects wrong types and names the field and the type', () => {
      rejects(() => validateSessionStart({ sources: ['file'], audioFile: 42 }), /\.audioFile must be a string, got number/);
      rejects(() => validateSessionStart({ sources: ['mic'], title: ['a'] }), /\.title must be a string, got array/);
      rejects(() => validateSessionStart({ sources: ['mic'], title: { a: 1 } }), /\.title must be a string, got object/);
      rejects(() => validateSessionStart({ sources: ['mic'], language: 7 }), /\.language must be a string, got number/);
      rejects(() => validateSessionStart({ sources: ['file'], audioFile: '/a.wav', pace: true }), /\.pace must be a string, got boolean/);
    });

    it('rejects a bad pace', () => {
      for (const pace of ['slow', 'FAST', '']) {
        rejects(() => validateSessionStart({ sources: ['file'], audioFile: '/a.wav', pace }), /\.pace must be "realtime" or "fast"/);
      }
    });

    it('rejects a bad language code', () => {
      for (const language of ['english', 'EN', 'en-US', 'e', '', 'auto']) {
        rejects(() => validateSessionStart({ sources: ['mic'], language }), /\.language must be a language code/);
      }
    });

    it('rejects overlong strings and names the field', () => {
      const long = 'x'.repeat(4097);
      rejects(() => validateSessionStart({ sources: ['mic'], title: long }), /\.title is too long \(4097 > 4096/);
      rejects(() => validateSessionStart({ sources: ['file'], audioFile: '/' + long }), /\.audioFile is too long/);
      assert.equal(validateSessionStart({ sources: ['mic'], title: 'x'.repeat(4096) }).title?.length, 4096);
    });
  });

  describe('validateSessionStart: devices and speaker labels of live sources', () => {
    it('keeps per-source device ids and labels, trimmed, and drops empty ones', () => {
      const v = validateSessionStart({ sources: ['mic', 'system'], devices: { mic: ' virtmic ', system: '' }, speakers: { mic: 'Ana', system: 'Team' } });
      assert.deepEqual(v.devices, { mic: 'virtmic' });
      assert.deepEqual(v.speakers, { mic: 'Ana', system: 'Team' });
      assert.equal(validateSessionStart({ sources: ['mic'], devices: null }).devices, undefined);
    });

    it('rejects unknown sources, non-objects, non-strings and overlong values, naming the field', () => {
      rejects(() => validateSessionStart({ sources: ['mic'], devices: { file: 'x' } }), /devices/, /"file"/);
      rejects(() => validateSessionStart({ sources: ['mic'], devices: ['virtmic'] }), /devices must be an object/);
      rejects(() => validateSessionStart({ sources: ['mic'], speakers: { mic: 42 } }), /speakers\.mic must be a string/);
      rejects(() => validateSessionStart({ sources: ['mic'], speakers: { mic: 'x'.repeat(300) } }), /speakers\.mic is too long/);
    });
  });

  describe('validateSourceRetry', () => {
    it('accepts a session id and a live source', () => {
      assert.deepEqual(validateSourceRetry({ sessionId: 's1', source: 'system' }), { sessionId: 's1', source: 'system' });
    });

    it('rejects the file source, unknown sources and a missing session id', () => {
      rejects(() => validateSourceRetry({ sessionId: 's1', source: 'file' }), /source must be "mic" or "system"/);
      rejects(() => validateSourceRetry({ sessionId: 's1' }), /source is required/);
      rejects(() => validateSourceRetry({ source: 'mic' }), /sessionId is required/);
      rejects(() => validateSourceRetry('mic'), /must be an object/);
    });
  });

  describe('validateSessionStop', () => {
    it('accepts a session id', () => {
      assert.deepEqual(validateSessionStop({ sessionId: 'abc' }), { sessionId: 'abc' });
    });

    it('rejects a missing, empty, null or mistyped session id, naming the field', () => {
      rejects(() => validateSessionStop({}), /session\/stop params\.sessionId is required/);
      rejects(() => validateSessionStop({ sessionId: '' }), /\.sessionId is required/);
      rejects(() => validateSessionStop({ sessionId: null }), /\.sessionId is required/);
      rejects(() => validateSessionStop({ sessionId: 5 }), /\.sessionId must be a string, got number/);
      rejects(() => validateSessionStop({ sessionId: 'x'.repeat(5000) }), /\.sessionId is too long/);
    });

    it('rejects non-objects', () => {
      for (const bad of [null, undefined, ['abc'], 'abc']) rejects(() => validateSessionStop(bad), /session\/stop params must be an object/);
    });
  });

  describe('validateSessionStatus', () => {
    it('accepts no params, an empty object and a session id', () => {
      assert.deepEqual(validateSessionStatus(undefined), {});
      assert.deepEqual(validateSessionStatus(null), {});
      assert.deepEqual(validateSessionStatus({}), { sessionId: undefined });
      assert.deepEqual(validateSessionStatus({ sessionId: 's1' }), { sessionId: 's1' });
    });

    it('rejects arrays, scalars and a mistyped id', () => {
      rejects(() => validateSessionStatus([]), /session\/status params must be an object/);
      rejects(() => validateSessionStatus('s1'), /session\/status params must be an object/);
      rejects(() => validateSessionStatus({ sessionId: 1 }), /session\/status params\.sessionId must be a string, got number/);
    });
  });

  describe('validateModelDownload', () => {
    it('takes the catalog: absent is whisper (older clients), notes or whisper named, anything else refused', () => {
      assert.deepEqual(validateModelDownload({ modelId: 'base.en' }), { modelId: 'base.en' });
      assert.deepEqual(validateModelDownload({ modelId: 'qwen3-4b', kind: 'notes', repair: true }), { modelId: 'qwen3-4b', repair: true, kind: 'notes' });
      assert.deepEqual(validateModelDownload({ modelId: 'tiny', kind: 'whisper' }), { modelId: 'tiny', kind: 'whisper' });
      assert.deepEqual(validateModelDownload({ modelId: 'bge-small-en-v1.5', kind: 'memory' }), { modelId: 'bge-small-en-v1.5', kind: 'memory' });
      rejects(() => validateModelDownload({ modelId: 'qwen3-4b', kind: 'llm' }), /model\/download params\.kind must be one of whisper, notes, speaker, memory, got "llm"/);
    });
  });

  describe('validateInitializationOptions', () => {
    it('accepts a full set of options', () => {
      const options = {
        protocolVersion: 1, storageDir: '/s', notesDir: '/n', modelPath: '/m.bin', modelId: 'base', modelCacheDir: '/c', language: 'de', threads: 4,
        vad: { profile: 'sensitive' as const, onThreshold: 0.4, offThreshold: 0.3, hangoverMs: 300 }, modelIdleUnloadSec: 30, gpu: false, modelMirror: 'https://models.example.org/whisper/',
      };
      assert.deepEqual(validateInitializationOptions(options), options);
    });

    it('rejects VAD settings out of range, naming the field', () => {
      for (const [vad, field] of [
        [{ profile: 'loud' }, 'vad.profile'],
        [{ onThreshold: 1.5 }, 'vad.onThreshold'],
        [{ offThreshold: 'low' }, 'vad.offThreshold'],
        [{ hangoverMs: -1 }, 'vad.hangoverMs'],
        [{ onThreshold: 0.3, offThreshold: 0.6 }, 'vad.offThreshold'],
        ['loud', 'vad'],
      ] as const) {
        assert.throws(() => validateInitializationOptions({ protocolVersion: 1, vad }), (e: Error) => e.message.includes(field), JSON.stringify(vad));
      }
    });

    it('accepts the minimum (a protocol version) with the rest left undefined', () => {
      const v = validateInitializationOptions({ protocolVersion: 7 });
      assert.equal(v.protocolVersion, 7);
      assert.equal(v.modelPath, undefined);
      assert.equal(v.threads, undefined);
    });

    it('takes the initialize of a plain LSP client (no options, or no protocol version) as the current version with defaults', () => {
      for (const options of [undefined, null, {}, { modelPath: '/m.bin' }]) {
        const v = validateInitializationOptions(options);
        assert.equal(v.protocolVersion, PROTOCOL_VERSION);
        assert.equal(v.threads, undefined);
        assert.equal(v.storageDir, undefined);
      }
    });

    it('rejects a non-integer protocol version', () => {
      for (const protocolVersion of ['1', 1.5, null, NaN]) {
        rejects(() => validateInitializationOptions({ protocolVersion }), /initializationOptions\.protocolVersion must be an integer/);
      }
    });

    it('rejects bad thread counts', () => {
      for (const threads of [0, -1, 65, 2.5, '4', null]) {
        rejects(() => validateInitializationOptions({ protocolVersion: 1, threads }), /initializationOptions\.threads must be an integer from 1 to 64/);
      }
    });

    it('rejects mistyped paths, bad languages and overlong strings, naming the field', () => {
      rejects(() => validateInitializationOptions({ protocolVersion: 1, modelPath: 3 }), /initializationOptions\.modelPath must be a string, got number/);
      rejects(() => validateInitializationOptions({ protocolVersion: 1, storageDir: [] }), /initializationOptions\.storageDir must be a string, got array/);
      rejects(() => validateInitializationOptions({ protocolVersion: 1, notesDir: 'n'.repeat(4097) }), /initializationOptions\.notesDir is too long/);
      rejects(() => validateInitializationOptions({ protocolVersion: 1, language: 'English' }), /initializationOptions\.language must be a language code/);
    });

    it('rejects options that are not an object', () => {
      for (const bad of [[1], 1, 'x']) rejects(() => validateInitializationOptions(bad), /initializationOptions must be an object/);
    });

    it('takes the notes model path (earshot.notes.model.path) only as an absolute path; blank is none', () => {
      assert.equal(validateInitializationOptions({ protocolVersion: 1, notesModelPath: '/models/mine.gguf' }).notesModelPath, '/models/mine.gguf');
      assert.ok(!('notesModelPath' in validateInitializationOptions({ protocolVersion: 1, notesModelPath: '  ' })));
      rejects(() => validateInitializationOptions({ protocolVersion: 1, notesModelPath: 'mine.gguf' }), /initializationOptions\.notesModelPath must be an absolute path to a GGUF file/);
      rejects(() => validateInitializationOptions({ protocolVersion: 1, notesModelPath: 7 }), /initializationOptions\.notesModelPath must be a string/);
    });
  });
  describe('validateSessionStart: mode', () => {
    it('accepts meeting and dictation (dictation with the microphone alone); absent stays absent', () => {
      assert.equal(validateSessionStart({ sources: ['mic'], mode: 'dictation' }).mode, 'dictation');
      assert.equal(validateSessionStart({ sources: ['mic', 'system'], mode: 'meeting' }).mode, 'meeting');
      assert.equal('mode' in validateSessionStart({ sources: ['mic'] }), false);
      assert.equal('mode' in validateSessionStart({ sources: ['mic'], mode: null }), false);
    });

    it('rejects an unknown mode, and dictation with any sources but ["mic"]', () => {
      rejects(() => validateSessionStart({ sources: ['mic'], mode: 'lecture' }), /\.mode must be "meeting" or "dictation", got "lecture"/);
      rejects(() => validateSessionStart({ sources: ['mic'], mode: 3 }), /\.mode must be a string, got number/);
      rejects(() => validateSessionStart({ sources: ['mic', 'system'], mode: 'dictation' }), /\.sources must be exactly \["mic"\] for a dictation session/);
      rejects(() => validateSessionStart({ sources: ['system'], mode: 'dictation' }), /exactly \["mic"\]/);
      rejects(() => validateSessionStart({ sources: ['file'], audioFile: '/a.wav', mode: 'dictation' }), /exactly \["mic"\]/);
    });
  });

  describe('validateInitializationOptions: retentionDays', () => {
    it('accepts 0 to 3650 days (fractions too); absent or null is keep forever', () => {
      for (const days of [0, 1, 0.5, 30, 3650]) assert.equal(validateInitializationOptions({ protocolVersion: 1, retentionDays: days }).retentionDays, days);
      assert.equal('retentionDays' in validateInitializationOptions({ protocolVersion: 1 }), false);
      assert.equal('retentionDays' in validateInitializationOptions({ protocolVersion: 1, retentionDays: null }), false);
    });

    it('rejects negative, too large, non-finite and mistyped values', () => {
      for (const retentionDays of [-1, 3651, Infinity, NaN, '30', true]) {
        rejects(() => validateInitializationOptions({ protocolVersion: 1, retentionDays }), /initializationOptions\.retentionDays must be a number of days from 0 to 3650/);
      }
    });
  });

  describe('validateSessionPause', () => {
    it('accepts pause and resume, for one live source or all', () => {
      assert.deepEqual(validateSessionPause({ sessionId: 's1', paused: true }), { sessionId: 's1', paused: true });
      assert.deepEqual(validateSessionPause({ sessionId: 's1', paused: false, source: 'system' }), { sessionId: 's1', paused: false, source: 'system' });
      assert.deepEqual(validateSessionPause({ sessionId: 's1', paused: true, source: null }), { sessionId: 's1', paused: true });
    });

    it('rejects a missing or mistyped paused, the file source, unknown sources and a missing session id', () => {
      rejects(() => validateSessionPause({ sessionId: 's1' }), /session\/pause params\.paused must be true \(pause\) or false \(resume\), got undefined/);
      rejects(() => validateSessionPause({ sessionId: 's1', paused: 'yes' }), /\.paused must be true.*got string/);
      rejects(() => validateSessionPause({ sessionId: 's1', paused: true, source: 'file' }), /\.source must be "mic" or "system", got "file"/);
      rejects(() => validateSessionPause({ sessionId: 's1', paused: true, source: 7 }), /\.source must be "mic" or "system", got 7/);
      rejects(() => validateSessionPause({ paused: true }), /\.sessionId is required/);
      rejects(() => validateSessionPause([]), /session\/pause params must be an object/);
    });
  });

  describe('validateActionItemSetDone', () => {
    it('accepts a session id, an item id and done', () => {
      assert.deepEqual(validateActionItemSetDone({ sessionId: '20260121T093000-a1b2c3', id: 'a3', done: true, extra: 1 }),
        { sessionId: '20260121T093000-a1b2c3', id: 'a3', done: true });
    });

    it('rejects ids that could name another file, a missing or mistyped done', () => {
      rejects(() => validateActionItemSetDone({ sessionId: '../../etc/passwd', id: 'a1', done: true }), /\.sessionId is not a session id/);
      rejects(() => validateActionItemSetDone({ sessionId: 's1', id: 'a 1', done: true }), /\.id is not an action item id/);
      rejects(() => validateActionItemSetDone({ sessionId: 's1', id: 'x'.repeat(65), done: true }), /\.id is not an action item id/);
      rejects(() => validateActionItemSetDone({ sessionId: 's1', id: 'a1' }), /\.done must be a boolean, got undefined/);
      rejects(() => validateActionItemSetDone({ sessionId: 's1', id: 'a1', done: 1 }), /\.done must be a boolean, got number/);
      rejects(() => validateActionItemSetDone({ sessionId: 's1', done: true }), /\.id is required/);
    });
  });

  describe('validateDeviceTest', () => {
    it('fills the default of 5 seconds, keeps a device id, drops an empty one', () => {
      assert.deepEqual(validateDeviceTest({ source: 'mic' }), { source: 'mic', seconds: 5 });
      assert.deepEqual(validateDeviceTest({ source: 'system', device: ' speaker.monitor ', seconds: 0.5 }), { source: 'system', device: 'speaker.monitor', seconds: 0.5 });
      assert.deepEqual(validateDeviceTest({ source: 'mic', device: '', seconds: 30 }), { source: 'mic', seconds: 30 });
    });

    it('rejects seconds outside 0.5–30, bad sources and overlong devices', () => {
      for (const seconds of [0, 0.4, 31, -1, NaN, '5', Infinity]) {
        rejects(() => validateDeviceTest({ source: 'mic', seconds }), /devices\/test params\.seconds must be a number from 0\.5 to 30/);
      }
      rejects(() => validateDeviceTest({}), /\.source must be "mic" or "system", got nothing/);
      rejects(() => validateDeviceTest({ source: 'file' }), /\.source must be "mic" or "system"/);
      rejects(() => validateDeviceTest({ source: 'mic', device: 'd'.repeat(201) }), /\.device is too long/);
      rejects(() => validateDeviceTest({ source: 'mic', device: 5 }), /\.device must be a string/);
    });
  });

  describe('validateWorkspaceIndex', () => {
    const symbol = (name: string, line = 1) => ({ name, kind: 'Function', path: 'src/a.ts', line });

    it('keeps workspace-relative files and symbols (kinds in lower case), each file once', () => {
      const v = validateWorkspaceIndex({ root: '/w', files: ['src/a.ts', 'README.md', 'src/a.ts'], symbols: [symbol('parseConfig', 12)], extra: true });
      assert.deepEqual(v, { root: '/w', files: ['src/a.ts', 'README.md'], symbols: [{ name: 'parseConfig', kind: 'function', path: 'src/a.ts', line: 12 }] });
    });

    it('leaves out paths outside the workspace and overlong entries', () => {
      const v = validateWorkspaceIndex({
        root: '/w',
        files: ['/etc/passwd', '../secret', 'a/../../b', 'C:/x', 'a\\b', 'x'.repeat(MAX_INDEX_PATH + 1), 'ok.ts', ''],
        symbols: [symbol('n'.repeat(201)), { ...symbol('far'), path: '../x.ts' }, { ...symbol('k'), kind: 'k'.repeat(41) }, symbol('  '), symbol('good')],
      });
      assert.deepEqual(v.files, ['ok.ts']);
      assert.deepEqual(v.symbols.map((s) => s.name), ['good']);
      assert.ok(isWorkspacePath('a/b..c/d.ts') && isWorkspacePath('.github/x.yml'));
    });

    it(`cuts the lists at ${MAX_INDEX_FILES} files and ${MAX_INDEX_SYMBOLS} symbols`, () => {
      const files = Array.from({ length: MAX_INDEX_FILES + 10 }, (_, i) => `f${i}.ts`);
      const symbols = Array.from({ length: MAX_INDEX_SYMBOLS + 10 }, (_, i) => symbol(`s${i}`, i + 1));
      const v = validateWorkspaceIndex({ root: '/w', files, symbols });
      assert.equal(v.files.length, MAX_INDEX_FILES);
      assert.equal(v.symbols.length, MAX_INDEX_SYMBOLS);
      assert.equal(v.files[0], 'f0.ts');
    });

    it('rejects a broken shape, naming the field', () => {
      rejects(() => validateWorkspaceIndex({ files: [], symbols: [] }), /workspaceIndex params\.root is required/);
      rejects(() => validateWorkspaceIndex({ root: '/w', files: 'a.ts', symbols: [] }), /\.files must be an array of workspace-relative paths, got string/);
      rejects(() => validateWorkspaceIndex({ root: '/w', files: [], symbols: null }), /\.symbols must be an array of symbols, got null/);
      rejects(() => validateWorkspaceIndex({ root: '/w', files: [3], symbols: [] }), /\.files must contain only strings, got number/);
      rejects(() => validateWorkspaceIndex({ root: '/w', files: [], symbols: ['x'] }), /\.symbols\[0\] must be an object/);
      rejects(() => validateWorkspaceIndex({ root: '/w', files: [], symbols: [{ ...symbol('a'), name: 1 }] }), /\.symbols\[0\]\.name must be a string, got number/);
      rejects(() => validateWorkspaceIndex({ root: '/w', files: [], symbols: [symbol('a', 0)] }), /\.symbols\[0\]\.line must be a line number \(1 or more\), got 0/);
      rejects(() => validateWorkspaceIndex({ root: '/w', files: [], symbols: [symbol('a', 1.5)] }), /\.line must be a line number/);
    });
  });

  describe('validateEditorActivity', () => {
    it('accepts a location or null, with a time', () => {
      assert.deepEqual(validateEditorActivity({ location: { path: 'src/a.ts', startLine: 3, endLine: 3 }, at: 1_700_000_000_000 }),
        { location: { path: 'src/a.ts', startLine: 3, endLine: 3 }, at: 1_700_000_000_000 });
      assert.deepEqual(validateEditorActivity({ location: null, at: 5 }), { location: null, at: 5 });
    });

    it('rejects bad lines, a path outside the workspace, a missing location and a bad time', () => {
      const at = 1_700_000_000_000;
      rejects(() => validateEditorActivity({ location: { path: 'a.ts', startLine: 0, endLine: 1 }, at }), /location\.startLine must be a line number \(1 or more\), got 0/);
      rejects(() => validateEditorActivity({ location: { path: 'a.ts', startLine: 5, endLine: 4 }, at }), /location\.endLine \(4\) is before startLine \(5\)/);
      rejects(() => validateEditorActivity({ location: { path: 'a.ts', startLine: 1 }, at }), /location\.endLine must be a line number/);
      rejects(() => validateEditorActivity({ location: { path: '/etc/passwd', startLine: 1, endLine: 1 }, at }), /location\.path must be workspace-relative/);
      rejects(() => validateEditorActivity({ location: { path: '../x.ts', startLine: 1, endLine: 1 }, at }), /location\.path must be workspace-relative/);
      rejects(() => validateEditorActivity({ location: { startLine: 1, endLine: 1 }, at }), /location\.path is required/);
      rejects(() => validateEditorActivity({ location: 'a.ts', at }), /location must be an object/);
      rejects(() => validateEditorActivity({ at }), /\.location is required \(null when no workspace file is active\)/);
      for (const bad of [undefined, NaN, Infinity, -1, '1700000000000']) {
        rejects(() => validateEditorActivity({ location: null, at: bad }), /editorActivity params\.at must be a time in ms since the epoch/);
      }
    });
  });
});
