import * as assert from 'node:assert/strict';
import { extract } from '../../daemon/understanding/extract';
import { analyzeQuestions, openQuestions, QuestionLine } from '../../daemon/understanding/questions';
import { summarize } from '../../daemon/understanding/summary';

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

describe('Summary', () => {
  const meeting = talk(
    ['Sofia', 'Okay, I think everyone is here. Thanks for joining.'],
    ['Sofia', 'So the proposal is a token bucket per API key, stored in Redis, with the refill computed lazily on read.'],
    ['Marcus', 'Yeah.'],
    ['Hana', 'Um, so, yeah, I mean, like, okay.'],
    ['Ravi', 'What happens when Redis is down?'],
    ['Sofia', 'We fail open when Redis is unavailable, and the limiter logs every fail-open event.'],
    ['Marcus', 'The token bucket in Redis doubles the calls unless both buckets run in one Lua script.'],
    ['Hana', 'I prototyped the Lua script for the token bucket last week, it is on my branch.'],
    ['Sofia', "We'll go with the IETF draft rate limit headers, not the old X-RateLimit headers."],
    ['Ravi', 'The SDK team parses the rate limit headers, so they need a heads-up before we switch.'],
    ['Sofia', 'Great, thanks everyone.'],
  );
  const found = { actionItems: [{}, {}], decisions: [{ segmentId: 's5' }, { segmentId: 's8' }], openQuestions: [{}] };

  it('is deterministic, bounded, and ends with the counts', () => {
    const a = summarize(meeting, found);
    const b = summarize(meeting.map((l) => ({ ...l })), found);
    assert.deepEqual(a, b);
    assert.ok(a.bullets.length >= 3 && a.bullets.length <= 6, JSON.stringify(a.bullets));
    assert.equal(a.bullets[a.bullets.length - 1], '2 decisions, 2 action items, 1 open question.');
    assert.deepEqual(a.counts, { decisions: 2, actionItems: 2, openQuestions: 1 });
    const many = talk(...Array.from({ length: 600 }, (_, i): [string, string] => [`P${i % 4}`, `Topic ${i % 37} covers the ${['billing', 'search', 'ingest', 'auth', 'cache'][i % 5]} service and its ${['latency', 'errors', 'costs'][i % 3]} budget for quarter ${i % 7}.`]));
    const long = summarize(many, { actionItems: [], decisions: [] });
    assert.ok(long.sentences.length <= 5 && long.bullets.length <= 6);
    assert.equal(summarize(many, { actionItems: [], decisions: [] }, { maxSentences: 2 }).sentences.length, 2);
  });

  it('picks content sentences in spoken order, never fillers, agreement, questions or logistics', () => {
    const s = summarize(meeting, found);
    const texts = s.sentences.map((x) => x.text);
    for (const t of texts) {
      assert.ok(!/everyone is here|thanks|^yeah|I mean, like|\?$/i.test(t), t);
      assert.ok(t.split(/\s+/).length >= 6, t);
    }
    assert.ok(texts.some((t) => /token bucket|fail open|IETF/.test(t)), JSON.stringify(texts));
    const order = s.sentences.map((x) => x.t0 ?? 0);
    assert.deepEqual(order, [...order].sort((x, y) => x - y));
    assert.ok(!s.sentences.some((x, i) => s.sentences.findIndex((y) => y.text === x.text) !== i), 'no repeats');
  });

  it('cuts very long sentences and says so', () => {
    const s = summarize(talk(['Ann', `The ingest pipeline ${'rewrites partitions and compacts segments '.repeat(20)}nightly.`]), { actionItems: [], decisions: [] }, { maxWords: 12 });
    assert.equal(s.sentences.length, 1);
    assert.ok(s.sentences[0].text.endsWith('…') && s.sentences[0].text.split(/\s+/).length === 12, s.sentences[0].text);
  });

  it('has only the counts for an empty or content-free meeting', () => {
    assert.deepEqual(summarize([], { actionItems: [], decisions: [] }).bullets, ['0 decisions, 0 action items, 0 open questions.']);
    assert.deepEqual(summarize(talk(['A', 'Yeah.'], ['B', 'Okay, sure.']), { actionItems: [], decisions: [] }).sentences, []);
  });
});
