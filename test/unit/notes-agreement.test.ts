/**
 * The labeller-agreement measurement (test/eval/notes-agreement.ts): a second labeller's file is scored against the
 * first exactly as the extractor is, the finds both and either labeller made are built right, and every second
 * labeller's file belongs to a meeting of the real set (its own consistency checks are in notes-eval.test.ts).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { agreedAndEither, agreement, f1, loadDoublyLabelled, SECOND_LABELLER_DIR } from '../eval/notes-agreement';
import { labelsAsPredictions, match, MeetingLabels, REAL_MEETINGS_DIR } from '../eval/notes-eval';

const labels = (actionItems: [number, string, number[]?][], decisions: [number, string][]): MeetingLabels => ({
  meetingDate: '2024-01-15',
  actionItems: actionItems.map(([turn, text, mentions]) => ({ turn, text, owner: 'PhD A', due: null, how: 'commitment', ...(mentions ? { mentions } : {}) })),
  decisions: decisions.map(([turn, text]) => ({ turn, text, kind: 'decision' as const })),
});

describe('labeller agreement (notes-agreement)', () => {
  const first = labels(
    [[10, 'Send the noise files to Hynek'], [50, 'Run the Aurora baseline again'], [90, 'Check the alignment of the transcripts', [60]]],
    [[20, 'Use the same features for all the languages'], [70, 'Leave the colour for the next meeting']],
  );
  const second = labels(
    [[11, 'Send noise files to Hynek'], [120, 'Write up the results for the report'], [63, 'Check transcript alignment', [91]]],
    [[20, 'Same features for every language'], [100, 'Drop the LCD']],
  );

  it('reads a labels file as finds: anchors as turns, mentions kept, kinds kept', () => {
    const p = labelsAsPredictions(first);
    assert.deepEqual(p.actionItems.map((i) => [i.turn, i.owner, i.mentions]), [[10, 'PhD A', []], [50, 'PhD A', []], [90, 'PhD A', [60]]]);
    assert.deepEqual(p.decisions.map((d) => [d.turn, d.kind]), [[20, 'decision'], [70, 'decision']]);
  });

  it("matches a find anchored elsewhere through the find's own mentions, and not without them", () => {
    const withMention = match(first.actionItems, labelsAsPredictions(second).actionItems);
    assert.equal(withMention.get(2), 2, 'the alignment item: second anchors at 63 but mentions 91, next to the first anchor 90');
    const noMentions = labelsAsPredictions(second).actionItems.map((i) => ({ ...i, mentions: [] }));
    noMentions[2].turn = 75; // neither 90 nor its mention 60 within one turn
    assert.equal(match(first.actionItems, noMentions).has(2), false);
  });

  it('builds the finds both labellers made and the finds either made', () => {
    const { agreed, either } = agreedAndEither(first, second);
    assert.deepEqual(agreed.actionItems.map((i) => i.text), ['Send the noise files to Hynek', 'Check the alignment of the transcripts']);
    assert.deepEqual(agreed.actionItems[0].mentions, [11], "the second labeller's anchor joins the mentions");
    assert.deepEqual(new Set(agreed.actionItems[1].mentions), new Set([60, 63, 91]));
    assert.deepEqual(agreed.decisions.map((d) => d.turn), [20]);
    assert.deepEqual(either.actionItems.map((i) => i.turn), [10, 50, 90, 120]);
    assert.deepEqual(either.decisions.map((d) => d.turn), [20, 70, 100]);
  });

  it('F1 is the harmonic mean, 0 when nothing matched, absent when a side is', () => {
    assert.equal(f1(0.5, 0.5), 0.5);
    assert.ok(Math.abs(f1(1, 0.5)! - 2 / 3) < 1e-12);
    assert.equal(f1(0, 0), 0);
    assert.equal(f1(null, 0.5), null);
  });

  it('a labeller agrees fully with a copy of its own labels, and the extractor scores the same against both', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-agreement-'));
    try {
      for (const name of ['ES2002a', 'Bro008']) fs.copyFileSync(path.join(REAL_MEETINGS_DIR, `${name}.labels.json`), path.join(dir, `${name}.labels.json`));
      const a = await agreement(loadDoublyLabelled(dir));
      assert.deepEqual(a.meetings, ['Bro008', 'ES2002a']);
      const o = a.secondVsFirst.overall;
      assert.ok(o.actionItems.labelled > 0 && o.decisions.labelled > 0);
      assert.deepEqual([o.actionItems.precision, o.actionItems.recall, o.actionItems.ownerAccuracy, o.decisions.precision, o.decisions.recall], [1, 1, 1, 1, 1]);
      for (const e of [a.rulesVsSecond, a.rulesVsAgreed, a.rulesVsEither]) assert.deepEqual(e.overall, a.rulesVsFirst.overall);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a second labeller's file for a meeting the real set does not have", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-agreement-'));
    try {
      fs.writeFileSync(path.join(dir, 'Xyz001.labels.json'), JSON.stringify(labels([], [])));
      assert.throws(() => loadDoublyLabelled(dir), /the real set has no meeting Xyz001/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the real set has second labels for AMI and ICSI meetings, labelled independently (different files)', () => {
    const pairs = loadDoublyLabelled(SECOND_LABELLER_DIR);
    assert.ok(pairs.length >= 8, `${pairs.length} doubly labelled meetings`);
    assert.ok(pairs.some((p) => /\bAMI\b/.test(p.meeting.labels.source ?? '')) && pairs.some((p) => /\bICSI\b/.test(p.meeting.labels.source ?? '')));
    const finds = (l: MeetingLabels) => ({ actionItems: l.actionItems, decisions: l.decisions });
    for (const p of pairs) assert.notDeepEqual(finds(p.second), finds(p.meeting.labels), `${p.meeting.name}: a copy is no second labelling`);
  });
});
