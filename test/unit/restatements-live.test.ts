/**
 * The restatement check at stop in the daemon (issue 56; the settings' checkRestatements, with carried notes): after
 * the last part is answered, one call reads the final lists alone (understanding/restatements.ts); what it folds is
 * journaled (the folded entry withdrawn, the kept one with its new words and every line both cited) before the summary
 * settles against the lists. Live (liveExtraction.ts) and over a stored meeting (modelExtractions.ts's extractorFor),
 * through the service's real runner with a fake client answering.
 */
import * as assert from 'node:assert/strict';
import { DecisionRecord, JournalRecord, latestById } from '../../daemon/journal/journal';
import { modelChunks } from '../../daemon/understanding/modelExtract';
import { Answer, finishedMeeting, HEADER, segment, serviceRunner } from './live-extraction-harness';

const LINES = Array.from({ length: 20 }, (_, k) => segment(k + 1));
const PARTS = modelChunks({ header: HEADER, records: [HEADER, ...LINES], tornTail: false }, { chunkChars: 500, overlapLines: 4 });
const partOf = (user: string) => Number(/Part (\d+) of/.exec(user)![1]);
const standing = (journal: JournalRecord[]) => [...latestById(journal.filter((r): r is DecisionRecord => r.type === 'decision')).values()].filter((d) => !d.removed);

/** Part 1 decides the remote is universal; part 3 says it again in words the near-duplicate net does not fold. */
const restating: Answer = ({ user }) => {
  const part = partOf(user);
  if (part === 1) return { decisions: [{ text: 'The remote will be universal', standing: 'decided', kind: 'decision', segments: ['m-3'] }] };
  if (part === 3) return { decisions: [{ text: 'It works with every brand of television', standing: 'decided', kind: 'decision', segments: [PARTS[2].lines[5].segmentId] }] };
  return {};
};
const FOLD = '{"same": [{"keep": "D1", "fold": ["D2"], "text": "The remote will be universal: it works with every brand of television"}]}';

describe('the restatement check at stop (issue 56)', () => {
  it('live: asked once after the last part, its fold journaled (the folded entry withdrawn, the kept one in its new words) before the summary settles', async () => {
    assert.ok(PARTS.length >= 3);
    const { runner, asked, restatementsAsked, settleAsked } = serviceRunner(restating, { carryNotes: true, restatements: () => FOLD });
    const h = await finishedMeeting(runner, LINES);
    assert.equal(restatementsAsked.length, 1);
    assert.ok(restatementsAsked[0].at >= Math.max(...asked.map((a) => a.answeredAt!)), 'after every part is answered');
    assert.match(restatementsAsked[0].user, /^\{"id":"D1","standing":"decided","text":"The remote will be universal","said":"00:15"\}$/m);
    assert.match(restatementsAsked[0].user, /^\{"id":"D2","standing":"decided","text":"It works with every brand of television",/m);
    const kept = standing(h.journal);
    assert.deepEqual(kept.map((d) => d.text), ['The remote will be universal: it works with every brand of television']);
    assert.ok(h.journal.some((r) => r.type === 'decision' && r.removed), 'the folded entry is withdrawn in the journal');
    // The settle reads the lists as the check left them.
    assert.equal(settleAsked.length, 1);
    assert.ok(settleAsked[0].at >= restatementsAsked[0].at);
    assert.match(settleAsked[0].user, /The remote will be universal: it works with every brand of television/);
    assert.equal(settleAsked[0].user.match(/it works with every brand of television/gi)?.length, 1, 'the folded entry is not listed on its own');
  });

  it('on by default (the settings say nothing): asked once; turned off: no call, both entries stand', async () => {
    const on = serviceRunner(restating, { carryNotes: true });
    assert.equal(typeof on.runner.restate, 'function');
    await finishedMeeting(on.runner, LINES);
    assert.equal(on.restatementsAsked.length, 1);
    const { runner, restatementsAsked } = serviceRunner(restating, { carryNotes: true, checkRestatements: false, restatements: () => FOLD });
    assert.equal(runner.restate, undefined);
    const h = await finishedMeeting(runner, LINES);
    assert.equal(restatementsAsked.length, 0);
    assert.equal(standing(h.journal).length, 2);
  });

  it('an answer that is no JSON leaves the lists as they are, and the summary still settles', async () => {
    const { runner, restatementsAsked, settleAsked } = serviceRunner(restating, { carryNotes: true, restatements: () => 'Nothing repeats, I think.' });
    const h = await finishedMeeting(runner, LINES);
    assert.equal(restatementsAsked.length, 2, 'asked once more on an invalid answer');
    assert.equal(standing(h.journal).length, 2);
    assert.equal(settleAsked.length, 1);
  });

  it('over a stored meeting: the same fold in the records the at-stop extraction answers', async () => {
    const { extractions, restatementsAsked } = serviceRunner(restating, { carryNotes: true, restatements: () => FOLD });
    const records = await extractions.extractorFor('s1')!({ header: HEADER, tornTail: false, records: [HEADER, ...LINES] }, async () => undefined);
    assert.equal(restatementsAsked.length, 1);
    const decisions = records.filter((r): r is DecisionRecord => r.type === 'decision');
    assert.deepEqual(decisions.filter((d) => !d.removed).map((d) => d.text), ['The remote will be universal: it works with every brand of television']);
    // The entry folded is withdrawn under its own id, dismissed as the same as the one kept: shown struck through, restorable.
    assert.deepEqual(decisions.filter((d) => d.removed).map((d) => [d.id, d.text, d.dismissed?.reason]),
      [['dm2', 'It works with every brand of television', 'the same as "The remote will be universal: it works with every brand of television"']]);
  });
});
