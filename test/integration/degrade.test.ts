/**
 * The degrade ladder's last rung with real whisper: when recognition stays behind, the service switches decoding to a
 * smaller model that is already on disk, says so (the degrade event, health's degrade name), keeps producing finals,
 * and frees the smaller model when the session ends. Thresholds are set so that any backlog counts as behind: the
 * ladder then walks down within a second, deterministically.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TranscriptSegment } from '../../protocol/protocol';
import { DEGRADE_LADDER } from '../../daemon/asr/degrade';
import { EarshotService } from '../../daemon/service';
import { fixture, miniModel, TEST_WORD } from '../setup';

describe('degrade ladder: the smaller-model rung (real whisper, in-process service)', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-degrade-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('decodes with the smaller model on the last rung, reports it, and frees it after the session', async () => {
    const smaller = path.join(dir, 'smaller-model.bin');
    fs.copyFileSync(miniModel(), smaller);
    const degrades: { level: number; name: string }[] = [];
    const finals: TranscriptSegment[] = [];
    const service = new EarshotService({
      storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), language: 'en', threads: 1, gpu: false,
      degradeThresholds: { behindSec: -1, keepingUpSec: -2, degradeAfterSec: 0.1, recoverAfterSec: 3600 },
      smallerModels: async () => [smaller],
    }, {
      transcript: (s) => { if (s.final && s.text) finals.push(s); },
      actionItem: () => undefined, decision: () => undefined, state: () => undefined, modelState: () => undefined,
      degrade: (level, name) => degrades.push({ level, name }),
    });
    try {
      const { sessionId } = await service.startSession({ sources: ['file'], audioFile: fixture('pcm16-16k-mono.wav'), pace: 'realtime' });
      const deadline = Date.now() + 30_000;
      while (!degrades.some((d) => d.name.includes('smaller-model.bin'))) {
        assert.ok(Date.now() < deadline, `never switched: ${JSON.stringify(degrades)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(degrades.slice(0, DEGRADE_LADDER.length - 1).map((d) => d.level), [1, 2, 3, 4], 'one rung at a time');
      // Health names it once the smaller model is in use (its load follows the switch): waited for, within a bound.
      while (!/smaller model \(smaller-model\.bin\)/.test(service.health().degradeName)) {
        assert.ok(Date.now() < deadline + 60_000, `health never named the smaller model: ${service.health().degradeName}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await service.sessionDone(sessionId);
      assert.ok(finals.length >= 1, 'finals keep coming on the last rung');
      for (const f of finals) assert.match(f.text, new RegExp(`^${TEST_WORD}( ${TEST_WORD})*$`));
      // Ended: the smaller model is freed, health no longer names it.
      await new Promise((r) => setTimeout(r, 200));
      assert.doesNotMatch(service.health().degradeName, /smaller-model\.bin/);
    } finally {
      await service.shutdown();
    }
  });
});
