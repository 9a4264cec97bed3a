/**
 * The settle of v10 in a live session (session/liveExtraction.ts with a runner that notes parts,
 * understanding/summaryFromParts.ts): each chunk's part is noted after the summary's revision and journaled as a
 * `partNotes` record before anyone is told; the settle at stop gets every part's notes; a voice renamed is renamed in
 * them; a resumed session does not ask a journaled part again. The service's real runner (provider 'vscode-lm', a fake
 * client) with its part call stood in for.
 */
import * as assert from 'node:assert/strict';
import { JournalRecord, summarySoFarOf } from '../../daemon/journal/journal';
import { ChunkRunner } from '../../daemon/session/config';
import { SettleExtras } from '../../daemon/understanding/modelSummary';
import { modelChunks } from '../../daemon/understanding/modelExtract';
import { harness, HEADER, segment, serviceRunner, until } from './live-extraction-harness';

/** The service's runner, its parts noted here ("Ben said <last line>"), and the settle's extras recorded. */
function partsRunner() {
  const service = serviceRunner(() => ({}));
  const partAsked: number[] = [];
  const settled: SettleExtras[] = [];
  const runner: ChunkRunner = {
    ...service.runner,
    notePart: async (chunk) => {
      partAsked.push(chunk.index);
      const last = chunk.lines[chunk.lines.length - 1].segmentId;
      return { points: [{ text: `Ben said ${last}.`, segmentIds: [last] }], model: 'parts-lm', tokens: 2 };
    },
    settle: (previous, outcomes, extras) => {
      settled.push(extras!);
      return service.runner.settle(previous, outcomes, extras);
    },
  };
  return { runner, partAsked, settled, summaryAsked: service.summaryAsked };
}
const partRecords = (journal: JournalRecord[]) => journal.filter((r): r is Extract<JournalRecord, { type: 'partNotes' }> => r.type === 'partNotes');

describe('the summary from the parts\' notes in a live session', () => {
  it('notes each chunk\'s part once, after its summary revision, journaled; the settle at stop reads them all', async () => {
    const { runner, partAsked, settled } = partsRunner();
    const h = harness(runner);
    for (let k = 1; k <= 16; k++) {
      await h.append(segment(k));
      await until('the model idle', () => !(h.live as unknown as { running?: unknown }).running, 5000);
    }
    const whileRunning = partRecords(h.journal).length;
    assert.ok(whileRunning >= 1, 'parts are noted while the meeting runs');
    await h.live.finish();
    const chunks = modelChunks({ header: HEADER, records: h.journal, tornTail: false }, runner.chunkOptions);
    assert.deepEqual(partAsked, chunks.map((_, k) => k), 'each chunk once, in order');
    const parts = partRecords(h.journal);
    assert.deepEqual(parts.map((p) => [p.chunk, p.by, p.points[0].segmentIds[0]]), chunks.map((c, k) => [k, 'parts-lm', c.lines[c.lines.length - 1].segmentId]));
    assert.deepEqual(parts.map((p) => [p.t0, p.t1]), chunks.map((c) => [c.lines[0].t0, c.lines[c.lines.length - 1].t0]));
    // Each part after its chunk's revision of the summary: the live view first.
    for (const p of parts) {
      const revision = h.journal.findIndex((r) => r.type === 'summary' && r.chunks > p.chunk);
      assert.ok(revision >= 0 && revision < h.journal.indexOf(p), `part ${p.chunk} after its revision`);
    }
    assert.equal(settled.length, 1);
    assert.equal(settled[0].chunks, chunks.length);
    assert.deepEqual(settled[0].parts!.map((p) => p.chunk), chunks.map((_, k) => k));
  });

  it('a voice renamed is renamed in the parts\' notes the settle reads', async () => {
    const { runner, settled } = partsRunner();
    const h = harness(runner);
    for (let k = 1; k <= 12; k++) await h.append(segment(k));
    await until('a part noted', () => partRecords(h.journal).length > 0);
    const noted = partRecords(h.journal).length;
    // The session journals what renamed() gives back (session/speakers.ts): a revision of each part that names the voice.
    const revisions = h.live.renamed({ from: 'Ben', to: 'Dana', mentions: true });
    const partRevisions = revisions.filter((r): r is Extract<JournalRecord, { type: 'partNotes' }> => r.type === 'partNotes');
    assert.equal(partRevisions.length, noted, 'every journaled part names Ben');
    for (const r of revisions) await h.append(r);
    assert.ok(summarySoFarOf(h.journal).parts!.every((p) => p.points.every((pt) => !/\bBen\b/.test(pt.text))), 'a resumed session reads the new name');
    await h.live.finish();
    const texts = settled[0].parts!.flatMap((p) => p.points.map((pt) => pt.text));
    const renamedBefore = texts.filter((t) => t.startsWith('Dana said')).length;
    assert.ok(renamedBefore >= 1, texts.join(' | '));
    assert.ok(texts.every((t) => !/\bBen\b/.test(t) || !texts.includes(t.replace('Ben', 'Dana'))), texts.join(' | '));
    // The parts noted before the rename say the new name; a part asked after it is the model's answer as given.
    const first = partRecords(h.journal)[0];
    assert.ok(texts.includes(`Dana said ${first.points[0].segmentIds[0]}.`), texts.join(' | '));
  });

  it('a resumed session whose journal lacks a part in the middle asks it, and the settle reads the parts in meeting order', async () => {
    const { runner, partAsked, settled } = partsRunner();
    const before = [HEADER, ...Array.from({ length: 16 }, (_, k) => segment(k + 1))];
    const chunks = modelChunks({ header: HEADER, records: before, tornTail: false }, runner.chunkOptions);
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    // Part 1's call had failed before the daemon died: the journal has the others.
    const journaled: JournalRecord[] = chunks.flatMap((c, k) => (k === 1 ? [] : [{
      type: 'partNotes' as const, at: 'x', by: 'earlier-lm', chunk: k, t0: c.lines[0].t0, t1: c.lines[c.lines.length - 1].t0, points: [{ text: `Journaled ${k}.`, segmentIds: [c.lines[0].segmentId] }],
    }]));
    const h = harness(runner, [...before, ...journaled]);
    await h.live.finish();
    assert.deepEqual(partAsked, [1]);
    assert.deepEqual(settled[0].parts!.map((p) => p.chunk), chunks.map((_, k) => k));
  });

  it('a resumed session asks only the parts its journal lacks', async () => {
    const { runner, partAsked, settled } = partsRunner();
    const before = [HEADER, ...Array.from({ length: 12 }, (_, k) => segment(k + 1))];
    const chunks = modelChunks({ header: HEADER, records: before, tornTail: false }, runner.chunkOptions);
    const journaled: JournalRecord[] = chunks.slice(0, -1).map((c, k) => ({
      type: 'partNotes', at: 'x', by: 'earlier-lm', chunk: k, t0: c.lines[0].t0, t1: c.lines[c.lines.length - 1].t0, points: [{ text: `Journaled ${k}.`, segmentIds: [c.lines[0].segmentId] }],
    }));
    const h = harness(runner, [...before, ...journaled]);
    await h.live.finish();
    assert.deepEqual(partAsked, [chunks.length - 1]);
    assert.deepEqual(settled[0].parts!.map((p) => p.points[0].text), [...chunks.slice(0, -1).map((_, k) => `Journaled ${k}.`), `Ben said ${chunks[chunks.length - 1].lines[chunks[chunks.length - 1].lines.length - 1].segmentId}.`]);
  });
});
