/**
 * The owner check at stop in the daemon (issue 56; the settings' checkOwners, on by default with carried notes): after
 * the last part is answered (and the restatement check, when asked for), one call reads the items still without an
 * owner with the lines they were noted from (understanding/ownerCheck.ts); the owners it names are journaled and
 * announced before the summary settles against the lists. Live (liveExtraction.ts) and over a stored meeting
 * (modelExtractions.ts's extractorFor), through the service's real runner with a fake client answering.
 */
import * as assert from 'node:assert/strict';
import { ActionItemRecord, JournalRecord, latestById } from '../../daemon/journal/journal';
import { ActionItem } from '../../protocol/protocol';
import { Answer, finishedMeeting, harness, HEADER, segment, serviceRunner } from './live-extraction-harness';

const LINES = Array.from({ length: 20 }, (_, k) => segment(k + 1));
const partOf = (user: string) => Number(/Part (\d+) of/.exec(user)![1]);
const items = (journal: JournalRecord[]) => [...latestById(journal.filter((r): r is ActionItemRecord => r.type === 'actionItem')).values()].filter((i) => !i.removed);

/** Part 1 notes an item for m-3 with no owner; part 2 one Ben owns. */
const noting: Answer = ({ user }) => {
  const part = partOf(user);
  if (part === 1) return { actionItems: [{ text: 'Draft the release notes', owner: null, due: null, segments: ['m-3'] }] };
  if (part === 2) return { actionItems: [{ text: 'Book the demo room', owner: 'Ben', due: null, segments: ['m-10'] }] };
  return {};
};
const OWNED = '{"owners": [{"id": "A1", "owner": "Ben"}]}';

describe('the owner check at stop (issue 56)', () => {
  it('live: asked once after the last part about the item without an owner alone, its owner journaled and announced before the summary settles', async () => {
    const { runner, asked, ownersAsked, settleAsked } = serviceRunner(noting, { carryNotes: true, owners: () => OWNED });
    const h = await finishedMeeting(runner, LINES);
    assert.equal(ownersAsked.length, 1);
    assert.ok(ownersAsked[0].at >= Math.max(...asked.map((a) => a.answeredAt!)), 'after every part is answered');
    assert.match(ownersAsked[0].user, /^Item A1: "Draft the release notes" \(said at 00:15\)$/m);
    assert.match(ownersAsked[0].user, /^> \[m-3\] Ana: Line 3 of the discussion/m);
    assert.match(ownersAsked[0].user, /^ {2}\[m-5\] Ana: /m);
    assert.ok(!ownersAsked[0].user.includes('Book the demo room'), 'an item with an owner is not asked about');
    assert.deepEqual(items(h.journal).map((i) => [i.text, i.owner]).sort(), [['Book the demo room', 'Ben'], ['Draft the release notes', 'Ben']]);
    const announced = h.announced.filter((x): x is ActionItem => 'owner' in x && x.text === 'Draft the release notes');
    assert.equal(announced[announced.length - 1].owner, 'Ben', 'the owner is announced (after it is journaled: the harness checks)');
    assert.equal(settleAsked.length, 1);
    assert.ok(settleAsked[0].at >= ownersAsked[0].at);
    assert.match(settleAsked[0].user, /Ben: Draft the release notes/);
  });

  it('a voice renamed while the check is asked: the owner it named is journaled under the new name', async () => {
    let h: ReturnType<typeof harness> | undefined;
    const { runner } = serviceRunner(noting, {
      carryNotes: true,
      owners: () => {
        h!.live.renamed({ from: 'Ben', to: 'Dana', mentions: false, shared: false });
        return OWNED;
      },
    });
    h = harness(runner);
    for (const line of LINES) await h.append(line);
    await h.live.finish();
    assert.deepEqual(items(h.journal).map((i) => [i.text, i.owner]).sort(), [['Book the demo room', 'Dana'], ['Draft the release notes', 'Dana']]);
  });

  it('off in the settings: no call, the item keeps no owner', async () => {
    const { runner, ownersAsked } = serviceRunner(noting, { carryNotes: true, checkOwners: false });
    assert.equal(runner.checkOwners, undefined);
    const h = await finishedMeeting(runner, LINES);
    assert.equal(ownersAsked.length, 0);
    assert.equal(items(h.journal).find((i) => i.text === 'Draft the release notes')?.owner, null);
  });

  it('an answer that is no JSON, or names nobody in the meeting, leaves the owners as they are, and the summary still settles', async () => {
    for (const answer of ['Ben does it, I think.', '{"owners": [{"id": "A1", "owner": "Carol"}]}']) {
      const { runner, ownersAsked, settleAsked } = serviceRunner(noting, { carryNotes: true, owners: () => answer });
      const h = await finishedMeeting(runner, LINES);
      assert.equal(ownersAsked.length, answer.startsWith('{') ? 1 : 2, 'asked once more on an invalid answer');
      assert.equal(items(h.journal).find((i) => i.text === 'Draft the release notes')?.owner, null);
      assert.equal(settleAsked.length, 1);
    }
  });

  it('after the restatement check: asks about the lists its folds left, by the ids they keep', async () => {
    const twice: Answer = ({ user }) => {
      const part = partOf(user);
      if (part === 1) return { actionItems: [{ text: 'Draft the release notes', owner: null, due: null, segments: ['m-3'] }] };
      if (part === 3) return { actionItems: [{ text: 'Write up what ships in the release', owner: null, due: null, segments: ['m-12'] }] };
      return {};
    };
    const { runner, ownersAsked } = serviceRunner(twice, {
      carryNotes: true, restatements: () => '{"same": [{"keep": "A1", "fold": ["A2"]}]}', owners: () => OWNED,
    });
    const h = await finishedMeeting(runner, LINES);
    assert.equal(ownersAsked.length, 1);
    assert.match(ownersAsked[0].user, /^Item A1: /m);
    assert.ok(!/^Item A2: /m.test(ownersAsked[0].user), 'the folded entry is not asked about');
    assert.match(ownersAsked[0].user, /\[m-12\]/, 'the kept entry shows the lines the folded one cited');
    assert.deepEqual(items(h.journal).map((i) => [i.text, i.owner]), [['Draft the release notes', 'Ben']]);
  });

  it('over a stored meeting: the same owner in the records the at-stop extraction answers', async () => {
    const { extractions, ownersAsked } = serviceRunner(noting, { carryNotes: true, owners: () => OWNED });
    const records = await extractions.extractorFor('s1')!({ header: HEADER, tornTail: false, records: [HEADER, ...LINES] }, async () => undefined);
    assert.equal(ownersAsked.length, 1);
    const drafted = records.filter((r): r is ActionItemRecord => r.type === 'actionItem' && r.text === 'Draft the release notes');
    assert.deepEqual(drafted.map((i) => i.owner), ['Ben']);
  });
});
