import * as assert from 'node:assert/strict';
import { extract } from '../../daemon/understanding/extract';
import { analyzeQuestions, openQuestions, QuestionLine } from '../../daemon/understanding/questions';

/** Wednesday 5 March 2025, 09:00 local time. */
const MEETING = new Date(2025, 2, 5, 9, 0, 0);
const talk = (...turns: [string, string][]): QuestionLine[] => turns.map(([speaker, text], i) => ({ speaker, text, t0: i * 10, segmentId: `s${i}` }));
const statusOf = (lines: QuestionLine[], turn: number) => analyzeQuestions(lines).filter((q) => q.turn === turn).map((q) => q.status);

describe('Open questions', () => {
  it('keeps a question nobody answers before the talk moves on', () => {
    const lines = talk(
      ['Ana', 'Do we know if the vendor supports SSO?'],
      ['Ben', 'Anyway, next topic: the budget review.'],
      ['Ana', 'The budget review is on Thursday.'],
    );
    assert.deepEqual(openQuestions(lines), [{ text: 'Do we know if the vendor supports SSO?', t0: 0, segmentId: 's0', speaker: 'Ana' }]);
  });

  it('keeps a question the reply leaves open ("no idea", "let\'s find out")', () => {
    for (const reply of ["No idea. Let's find out.", "Good question, I'll check with their sales team.", "Not sure, let's take it offline."]) {
      const lines = talk(['Ana', 'Does the vendor support SSO for the admin console?'], ['Ben', reply], ['Ana', 'Okay.']);
      assert.equal(openQuestions(lines).length, 1, reply);
      assert.deepEqual(statusOf(lines, 0), ['left-open'], reply);
    }
  });

  it('keeps a question asked at the very end (nobody answered)', () => {
    const lines = talk(['Ana', 'We shipped the importer.'], ['Ben', 'Which region does the failover cluster run in?']);
    assert.deepEqual(openQuestions(lines).map((q) => [q.text, q.speaker, q.t0]), [['Which region does the failover cluster run in?', 'Ben', 10]]);
  });

  it('drops a question answered in the next turns, also after a clarifying question', () => {
    assert.deepEqual(openQuestions(talk(['Ana', 'Does the vendor support SSO?'], ['Ben', 'Yes, SAML and OIDC both.'])), []);
    assert.deepEqual(openQuestions(talk(['Ana', 'Is the staging cluster on the new kernel?'], ['Ben', 'Yeah.'])), []);
    const lines = talk(
      ['Tom', 'We need to figure out whether we backfill the old rows or not.'],
      ['Maya', "What's the volume?"],
      ['Tom', 'About forty million rows.'],
      ['Priya', "I'd rather not, the compatibility view covers them."],
    );
    assert.deepEqual(openQuestions(lines), []);
    assert.deepEqual(statusOf(lines, 0), ['answered'], 'an indirect question ("we need to figure out whether") is still a question');
  });

  it('does not take requests, offers, proposals, rhetorical or meeting-running questions for open questions', () => {
    const cases: [string, string][] = [
      ['Sam, can you take that?', 'request'],
      ['Can you clean it up and open a PR?', 'request'],
      ['Marcus, you are in their channel, could you give them a heads-up?', 'request'],
      ['Omar, do you want it?', 'request'],
      ['Can I take the review?', 'request'],
      ['What if we cache the tokens in memory?', 'proposal'],
      ['How about we ship it on Monday?', 'proposal'],
      ['The migration is the risky part, right?', 'rhetorical'],
      ['Who knows what the partners will do?', 'rhetorical'],
      ['What could possibly go wrong?', 'rhetorical'],
      ['Any blockers?', 'procedural'],
      ['Anything else?', 'procedural'],
      ['Lena?', 'procedural'],
      ['Who wants to start with what went well?', 'procedural'],
    ];
    for (const [text, status] of cases) {
      const lines = talk(['Ana', text], ['Ben', 'Moving on, the release checklist.']);
      assert.deepEqual(statusOf(lines, 0), [status], text);
      assert.deepEqual(openQuestions(lines), [], text);
    }
  });

  it('does not keep a question the speaker answers right away', () => {
    const lines = talk(['Ana', 'Why does the cache matter? Because every request hits Redis twice.'], ['Ben', 'Moving on.']);
    assert.deepEqual(statusOf(lines, 0), ['self-answered']);
  });

  it('joins consecutive questions of one turn into one', () => {
    const lines = talk(['Ravi', 'What happens when Redis is down? Do we fail open or fail closed?'], ['Sofia', 'Next topic.']);
    assert.deepEqual(openQuestions(lines).map((q) => q.text), ['What happens when Redis is down? Do we fail open or fail closed?']);
  });

  it('is part of what extract() returns, next to items and decisions', () => {
    const found = extract([
      { speaker: 'Ana', text: 'Do we know if the vendor supports SSO?', t0: 1, segmentId: 's0' },
      { speaker: 'Ben', text: "No idea. I'll ask their sales team by Friday.", t0: 5, segmentId: 's1' },
      { speaker: 'Ana', text: 'Sam, can you take the release notes?', t0: 9, segmentId: 's2' },
      { speaker: 'Sam', text: 'Sure.', t0: 12, segmentId: 's3' },
    ], MEETING);
    assert.deepEqual(found.openQuestions, [{ text: 'Do we know if the vendor supports SSO?', t0: 1, segmentId: 's0', speaker: 'Ana' }]);
    assert.deepEqual(found.actionItems.map((i) => i.owner), ['Ben', 'Sam']);
  });
});
