import * as assert from 'node:assert/strict';
import {
  InvalidParamsError, validateInitializationOptions, validateSessionStart, validateSessionStatus, validateSessionStop, validateSourceRetry,
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

    it('rejects a missing or non-integer protocol version', () => {
      for (const protocolVersion of [undefined, '1', 1.5, null, NaN]) {
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
      for (const bad of [undefined, null, [1], 1]) rejects(() => validateInitializationOptions(bad), /initializationOptions must be an object/);
    });
  });
});
