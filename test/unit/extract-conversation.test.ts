/**
 * Hard cases of the notes extractor across turns (issue 5): replies refine requests, needs get owners,
 * due dates follow the README conventions, decisions have kinds. Sentences are written for these tests.
 */
import * as assert from 'node:assert/strict';
import { dueDate, extract, SpokenLine } from '../../daemon/understanding/extract';
import { decisionKind } from '../../daemon/understanding/decisions';

/** Wednesday 5 March 2025, 09:00 local time. */
const MEETING = new Date(2025, 2, 5, 9, 0, 0);
const talk = (...turns: [string, string][]): SpokenLine[] => turns.map(([speaker, text], i) => ({ speaker, text, t0: i * 10, segmentId: `s${i}` }));
const items = (lines: SpokenLine[]) => extract(lines, MEETING).actionItems.map((a) => ({ at: a.segmentId, owner: a.owner, due: a.due }));

describe('extract across turns', () => {
  it('an accepting reply refines the request instead of adding an item, with the reply\'s due date', () => {
    const found = extract(talk(['Ann', 'Bo, could you renew the staging certificate?'], ['Bo', 'Sure, I\'ll take care of it on Monday.']), MEETING);
    assert.deepEqual(found.actionItems.map((a) => [a.segmentId, a.owner, a.due]), [['s0', 'Bo', '2025-03-10']]);
  });

  it('finds requests whose name is not first and question-form assignments', () => {
    assert.deepEqual(items(talk(['Ann', 'Right. Then Cleo, could you draft the upgrade notes?'], ['Cleo', 'Yep.'])), [{ at: 's0', owner: 'Cleo', due: null }]);
    assert.deepEqual(items(talk(['Ann', 'Okay. Dev, once the build is green, can you tag the release?'], ['Dev', 'Will do, tomorrow.'])), [{ at: 's0', owner: 'Dev', due: '2025-03-06' }]);
    assert.deepEqual(items(talk(['Ann', 'The billing export is in scope. Dev, you own it?'], ['Dev', 'Yes, done by March 21st.'])), [{ at: 's0', owner: 'Dev', due: '2025-03-21' }]);
  });

  it('drops a request the person turns down', () => {
    assert.deepEqual(items(talk(['Ann', 'Bo, can you cover the pager this weekend?'], ['Bo', 'No, sorry, I\'m away.'])), []);
  });

  it('gives an unowned need to whoever takes it, or to whoever is assigned it', () => {
    assert.deepEqual(items(talk(['Ann', 'Somebody has to clean up the stale feature branches.'], ['Bo', 'I can do it by Friday.'])), [{ at: 's0', owner: 'Bo', due: '2025-03-07' }]);
    assert.deepEqual(items(talk(['Ann', 'Someone needs to rewrite the onboarding checklist.'], ['Cleo', 'Bo, you want that one?'], ['Bo', 'Sure, end of next week.'])),
      [{ at: 's0', owner: 'Bo', due: '2025-03-14' }]);
    assert.deepEqual(items(talk(['Ann', 'Someone needs to book the offsite room by Thursday.'], ['Bo', 'Good point, let\'s see.'])), [{ at: 's0', owner: null, due: '2025-03-06' }]);
  });

  it('anchors an unnamed request at the reply that says what the work is', () => {
    assert.deepEqual(items(talk(['Ann', 'Can you look into that?'], ['Bo', 'Yeah, I\'ll profile the image resizer this week.'])), [{ at: 's1', owner: 'Bo', due: '2025-03-07' }]);
    assert.deepEqual(items(talk(['Ann', 'Can you share the query plan?'], ['Bo', 'Is that still needed?'])), []);
  });

  it('does not take conversational or withdrawn plans for items', () => {
    for (const text of ["I'll be honest, the dashboard confuses me.", "I'll say this once more.", "I'll just, uh, go through the agenda first.", 'Let me just pull up the doc.', 'Ha. I\'ll handle it.']) {
      assert.deepEqual(items(talk(['Ann', text])), [], text);
    }
    assert.deepEqual(items(talk(['Ann', "I'll update the wiki tonight."], ['Ann', 'Actually, never mind, it was already updated.'])), []);
  });

  it('does not take reported speech or a reported own commitment', () => {
    assert.deepEqual(items(talk(['Ann', 'Last sprint I said I\'ll migrate the cron jobs, and that is finished now.'])), []);
    assert.deepEqual(items(talk(['Ann', 'Ops told us they would patch the load balancer.'])), []);
  });

  it('merges two sentences about the same work in one turn', () => {
    assert.deepEqual(items(talk(['Bo', "I'll own the cache rework. I'll have a design sketch by next Tuesday."])), [{ at: 's0', owner: 'Bo', due: '2025-03-11' }]);
  });

  it('takes a due date confirmed after the item', () => {
    assert.deepEqual(items(talk(['Bo', "I'll write the migration script."], ['Ann', 'When by?'], ['Bo', 'Say Thursday.'])), [{ at: 's0', owner: 'Bo', due: '2025-03-06' }]);
  });

  it('resolves named events the meeting dates, and keeps unknown ones as phrases', () => {
    const found = extract(talk(['Ann', 'The customer demo is on the 19th.'], ['Bo', "I'll polish the charts before the customer demo."],
      ['Cleo', "I'll file the tickets before next month's planning."]), MEETING).actionItems;
    assert.deepEqual(found.map((a) => [a.due, a.duePhrase]), [['2025-03-19', 'before the customer demo'], [null, "before next month's planning"]]);
  });
});

describe('repeated requests', () => {
  it('the same request said again is one task, a different one is another', () => {
    const found = items(talk(['Ann', 'Bo, can you fix auth.ts by Friday?'], ['Cy', 'Bo, can you fix auth.ts by Friday?'],
      ['Ann', 'Bo, can you update the changelog?']));
    assert.deepEqual(found.map((f) => [f.at, f.owner]), [['s0', 'Bo'], ['s2', 'Bo']]);
  });
});

describe('due dates', () => {
  const on = (s: string) => dueDate(s, MEETING)?.date;
  it('follows the README conventions', () => {
    assert.equal(on("I'll do it this morning"), '2025-03-05');
    assert.equal(on("I'll have it right after this call"), '2025-03-05');
    assert.equal(on('by end of day'), '2025-03-05');
    assert.equal(on('by the 14th'), '2025-03-14');
    assert.equal(on('in two weeks'), '2025-03-19');
    assert.equal(on('give me three weeks'), '2025-03-26');
    assert.equal(on('on Monday'), '2025-03-10');
    assert.equal(on('by Wednesday'), '2025-03-12', 'the next such weekday after the meeting');
    assert.equal(on('next Friday'), '2025-03-14', 'Friday of the following week');
    assert.equal(on('by end of next week'), '2025-03-14', 'a Friday, not a Saturday');
    assert.equal(on('sometime this week'), '2025-03-07');
    assert.equal(on('by end of the month'), '2025-03-31');
    assert.equal(on('on Tuesday the 18th'), '2025-03-18');
    assert.equal(on('by April 4th'), '2025-04-04');
    assert.equal(on("I'll send it by March 9th — no, sorry, I'll send it today"), '2025-03-05', 'a self-correction wins');
    assert.equal(on("I'll spike it today and report back on Friday"), '2025-03-07', 'a deadline phrase wins');
    assert.equal(dueDate("before next week's sync", MEETING)?.date ?? null, null);
    assert.equal(on('keep it on for two weeks'), undefined);
  });
});

describe('decisions', () => {
  it('classifies decisions, deferrals and negative decisions', () => {
    const cases: [string, string | undefined][] = [
      ["Let's go with gRPC for the internal calls.", 'decision'],
      ['From now on every hotfix gets a changelog entry.', 'decision'],
      ['Okay, so the beta opens to partners first.', 'decision'],
      ["We'll revisit the pricing page after the launch.", 'deferral'],
      ['The SSO work waits until next sprint.', 'deferral'],
      ["Let's hold the schema change until the auditors reply.", 'deferral'],
      ["We're not adding a kill switch for this.", 'negative'],
      ['Dark launch is out for Q3.', 'negative'],
      ['Okay, no new endpoints this quarter.', 'negative'],
      ["Let's not rename the package.", 'negative'],
      ['Do we go with gRPC?', undefined],
      ["I'd rather keep the old pricing page.", undefined],
      ['Maybe we could drop the cache.', undefined],
      ["Okay, let's note that.", undefined],
      ["Let's go through the board.", undefined],
    ];
    for (const [s, kind] of cases) assert.equal(decisionKind(s), kind, s);
    const found = extract(talk(['Ann', 'Should we translate the error pages?'], ['Bo', "Nah. We'll skip it this time."]), MEETING).decisions;
    assert.deepEqual(found.map((d) => [d.segmentId, d.kind]), [['s1', 'negative']]);
    assert.match(found[0].text, /translate the error pages/, 'an anaphoric decision says what it is about');
  });
});
