import * as assert from 'node:assert/strict';
import { DEFAULT_RANKING, MeetingRecord, MemoryIndex, SemanticQuery } from '../../daemon/memory/memoryIndex';
import { BlockVectors, Embedder, llamaEmbedder, unit } from '../../daemon/memory/embeddings';
import { memoryCatalog } from '../../daemon/models/memoryModel';
import { namedSpeakers, speakerNameKeys } from '../../daemon/memory/speakerNames';
import { topicBlockStarts } from '../../daemon/memory/topicBlocks';
import { notesModel } from '../setup';

/** A meeting of `lines` ([speaker, text]), with optional notes entries. */
function record(sessionId: string, lines: [string, string][], extra: Partial<MeetingRecord> = {}): MeetingRecord {
  return {
    meeting: { sessionId, title: sessionId, startedAt: '2026-01-01T09:00:00Z', notesPath: '', durationSec: null },
    segments: lines.map(([speaker, text], i) => ({ segmentId: `${sessionId}-${i + 1}`, speaker, t0: i * 5, t1: i * 5 + 4, text })),
    actionItems: [], decisions: [], ...extra,
  };
}

// Two topics, each told in many short lines with its own words: the garden (lines 0-19), then the server (20-39).
const GARDEN = ['tomatoes', 'roses', 'compost', 'watering', 'seedlings', 'greenhouse', 'soil', 'mulch', 'hedges', 'tulips'];
const SERVER = ['database', 'backup', 'kernel', 'firewall', 'cluster', 'latency', 'deploy', 'container', 'logs', 'patch'];
const topic = (w: string[], speakers: string[]) => Array.from({ length: 20 }, (_, i): [string, string] =>
  [speakers[i % speakers.length], `The ${w[i % 10]} and the ${w[(i + 3) % 10]} need ${w[(i + 7) % 10]} work, ${w[(i + 5) % 10]} too.`]);
// The garden's last line says something no other line does: a passage around it must stop at the topic's end.
const TWO_TOPICS: [string, string][] = [...topic(GARDEN, ['Ann', 'Ben']).slice(0, 19), ['Ben', 'Last, the scarecrow by the tomatoes, roses and compost needs mulch, a hat too.'],
  ...topic(SERVER, ['Ann', 'Ben'])];

describe('meeting memory: topical blocks', () => {
  it('cuts a meeting where its words change', () => {
    const terms = TWO_TOPICS.map(([, t]) => t.toLowerCase().match(/[a-z]+/g)!.filter((w) => !['the', 'and', 'need', 'work', 'too'].includes(w)));
    assert.deepEqual(topicBlockStarts(terms, { window: 40, minTerms: 30, depthSd: 0 }), [0, 20]);
    // Too short for two blocks: one.
    assert.deepEqual(topicBlockStarts(terms.slice(0, 5)), [0]);
  });

  it('hands back the lines of the hit\'s block around it, not three lines, and none of the next topic', () => {
    const index = new MemoryIndex();
    index.put(record('m', TWO_TOPICS));
    const [p] = index.search({ query: 'what about the scarecrow?' });
    assert.equal(p.lines.find((l) => l.hit)?.index, 20);
    assert.ok(p.lines.length > 3, `${p.lines.length} lines`);
    assert.ok(p.lines.length <= 12);
    assert.ok(p.lines.every((l) => l.index <= 20), `lines ${p.lines.map((l) => l.index)}`);
    assert.equal(p.lines.filter((l) => l.hit).length, 1);
    // neighbours given: the fixed window of old (the hit's turn and that many each side), whatever the topics.
    const [fixed] = index.search({ query: 'what about the scarecrow?', neighbours: 1 });
    assert.deepEqual(fixed.lines.map((l) => l.index), [19, 20, 21]);
  });
});

describe('meeting memory: a question about a person', () => {
  it('reads speakers\' names as questions say them', () => {
    const keys = speakerNameKeys(['Professor B', 'PhD A', 'PhD C', 'Kirsty Williams AM', 'The Chair (Hon. Anthony Rota (Nipissing, Lib.))', 'Marketing']);
    const named = (q: string) => [...namedSpeakers(q, keys).labels].sort();
    assert.deepEqual(named('What did the professor think about the back-end?'), ['Professor B']);
    assert.deepEqual(named('What did PhD C think about noise?'), ['PhD C']);
    assert.deepEqual(named('What did the PhD students think?'), []); // "PhD" alone is two people
    assert.deepEqual(named('What did Williams suggest?'), ['Kirsty Williams AM']);
    assert.deepEqual(named('What did Anthony Rota say?'), ['The Chair (Hon. Anthony Rota (Nipissing, Lib.))']);
    assert.deepEqual(named('What did the chair rule?'), ['The Chair (Hon. Anthony Rota (Nipissing, Lib.))']);
    assert.deepEqual(named('What did Marketing propose?'), ['Marketing']);
  });

  it('weighs the turns of the speaker the question names, and does not look for the name in what was said', () => {
    // Dana's line says "marketing" and "budget"; the question asks what Marketing (a speaker) said about the budget.
    const meetings = [
      record('a', [['Dana', 'The marketing budget is approved.'], ['Omar', 'Lunch is at noon.']]),
      record('b', [['Marketing', 'The budget is approved, as far as I can tell today.'], ['Omar', 'Coffee is at four.']]),
    ];
    const first = (i: MemoryIndex) => i.search({ query: 'What did Marketing say about the budget?' })[0].lines.find((l) => l.hit)!.speaker;
    const index = new MemoryIndex();
    for (const m of meetings) index.put(m);
    assert.equal(first(index), 'Marketing');
    const unweighted = new MemoryIndex({ ...DEFAULT_RANKING, speakerBoost: 0 });
    for (const m of meetings) unweighted.put(m);
    assert.equal(first(unweighted), 'Dana');
  });
});

describe('meeting memory: notes entries lead to their lines', () => {
  it('a summary point that matches the question ranks the passage of the line it cites', () => {
    const lines: [string, string][] = [['Ann', 'Morning everyone.'], ['Ben', 'We went through the numbers for next year.'], ['Ann', 'Fine, thanks.']];
    const index = new MemoryIndex();
    index.put(record('m', lines, { summary: [{ text: 'The hiring freeze stays until March.', segmentIds: ['m-2'] }] }));
    const [p] = index.search({ query: 'hiring freeze' });
    assert.deepEqual(p.hit, { kind: 'summary', id: 'summary-0', text: 'The hiring freeze stays until March.' });
    assert.equal(p.lines.find((l) => l.hit)?.text, lines[1][1]);
  });
});

describe('meeting memory: pseudo-relevance feedback and meeting-first evidence (off by default)', () => {
  // "scarecrow" is said once, in the garden talk of meeting a; meeting b talks of the garden but never says it.
  const meetings = () => [
    record('a', [['Ann', 'The scarecrow stands by the tomatoes and the roses.'], ['Ben', 'The compost and the mulch go on the roses.']]),
    record('b', [['Cy', 'The tomatoes, the roses and the compost need mulch.'], ['Dee', 'Lunch is at noon.']]),
    record('c', [['Eve', 'The invoices are late again.']]),
  ];
  const indexOf = (ranking: Partial<typeof DEFAULT_RANKING>) => {
    const index = new MemoryIndex({ ...DEFAULT_RANKING, ...ranking });
    for (const m of meetings()) index.put(m);
    return index;
  };
  const found = (index: MemoryIndex, query = 'the scarecrow') => index.search({ query }).map((p) => p.meeting.sessionId);
  const feedback = { feedbackBlocks: 1, feedbackTerms: 5, feedbackWeight: 0.5 };

  it("adds the best block's words to the question (RM3), so the garden talk that never names it is found too", () => {
    assert.deepEqual(found(indexOf({})), ['a']);
    assert.deepEqual(found(indexOf({ ...feedback, feedbackMaxDf: 1 })), ['a', 'b']);
    // Words in more than that share of all blocks are not added: here every garden word is in 2 of 3.
    assert.deepEqual(found(indexOf({ ...feedback, feedbackMaxDf: 0.5 })), ['a']);
  });

  it('keeps the words\' block counts when a meeting is put again or removed', () => {
    // The garden words are in 2 of 3 blocks: under 0.7 of them, so added.
    const index = indexOf({ ...feedback, feedbackMaxDf: 0.7 });
    assert.deepEqual(found(index), ['a', 'b']);
    // Meeting b put again: its counts replace, not add to, the old ones (3 of 3 would leave the words out).
    index.put(meetings()[1]);
    assert.deepEqual(found(index), ['a', 'b']);
    // Meeting c removed: the garden words are now in 2 of 2 blocks, over 0.7: left out.
    index.remove('c');
    assert.deepEqual(found(index), ['a']);
  });

  it('puts a meeting\'s weight behind its blocks (meeting-first evidence)', () => {
    // "roses mulch": b's first line has both; a has them over two lines. The evidence a meeting gives is its best
    // blocks' sum, so with it the blocks of the meeting that fits best lead further; ordering stays a then b or b then a,
    // but the gap between the two meetings' top scores grows toward the one with the more evidence.
    const gap = (index: MemoryIndex) => {
      const [first, second] = index.search({ query: 'roses mulch' });
      return { order: [first.meeting.sessionId, second.meeting.sessionId], gap: first.score - second.score };
    };
    const without = gap(indexOf({ meetingWeight: 0 }));
    const withEvidence = gap(indexOf({ meetingWeight: 0, meetingEvidence: 1, meetingEvidenceBlocks: 3 }));
    assert.deepEqual(withEvidence.order, without.order);
    assert.ok(withEvidence.gap > without.gap, `${withEvidence.gap} > ${without.gap}`);
  });
});

/** An embedder that knows synonyms: each text's vector counts its words' concepts. */
function conceptEmbedder(calls: string[] = []): Embedder {
  const concepts: Record<string, number> = { car: 0, automobile: 0, vehicle: 0, garden: 1, roses: 1, flowers: 1, money: 2, budget: 2 };
  return {
    async embed(text) {
      calls.push(text);
      const v = [0, 0, 0, 0.01];
      for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) if (w in concepts) v[concepts[w]] += 1;
      return unit(v);
    },
    async dispose() {},
  };
}

describe('meeting memory: an embedding model fused in', () => {
  it('finds the block that means the question without its words, and ranks by both', async () => {
    const index = new MemoryIndex();
    index.put(record('cars', [['Ann', 'The automobile needs new tyres before winter.']]));
    index.put(record('garden', [['Ben', 'The roses need water.']]));
    index.put(record('money', [['Cy', 'The budget needs a car line.']]));
    const calls: string[] = [];
    const vectors = new BlockVectors(conceptEmbedder(calls));
    await vectors.update(index);
    assert.equal(calls.length, 3);
    await vectors.update(index);
    assert.equal(calls.length, 3, 'an unchanged block is not embedded again');
    // "vehicle" is in no meeting: the words find nothing, the model finds the automobile.
    assert.deepEqual(index.search({ query: 'vehicle' }), []);
    const semantic = await vectors.query('vehicle');
    assert.equal(index.search({ query: 'vehicle' }, semantic)[0].meeting.sessionId, 'cars');
    // "car": the words find only the budget line (it says "car"); the model ranks the automobile first and the budget
    // line second. Fused: the budget line (in both rankings), the automobile, then the garden (the model's last).
    assert.deepEqual(index.search({ query: 'car' }, await vectors.query('car')).map((p) => p.meeting.sessionId), ['money', 'cars', 'garden']);
  });

  it('makes a meeting\'s blocks and their keys once per version of the meeting, not at every search', () => {
    const index = new MemoryIndex();
    index.put(record('m', TWO_TOPICS));
    const first = index.topicBlocks('m');
    assert.equal(first.length, 2);
    assert.equal(index.topicBlocks('m'), first, 'the same blocks at the second ask');
    assert.notEqual(first[0].key, first[1].key);
    assert.match(first[0].key, /^[A-Za-z0-9+/]{43}=$/, 'a SHA-256 in base64');
    // The meeting put again, its last line changed: new blocks; the first block's key stays, the changed one's does not.
    const changed = TWO_TOPICS.map(([s, t], i): [string, string] => [s, i === TWO_TOPICS.length - 1 ? `${t} And the kernel again.` : t]);
    index.put(record('m', changed));
    const second = index.topicBlocks('m');
    assert.notEqual(second, first);
    assert.equal(second[0].key, first[0].key);
    assert.notEqual(second[1].key, first[1].key);
    index.remove('m');
    assert.deepEqual(index.topicBlocks('m'), []);
  });

  it('weighs the model\'s ranking as asked', async () => {
    const index = new MemoryIndex();
    index.put(record('cars', [['Ann', 'The automobile needs new tyres before winter.']]));
    index.put(record('money', [['Cy', 'The budget needs a car line.']]));
    const embedder = conceptEmbedder();
    const v = await embedder.embed('car', 'query');
    const block = (id: string) => index.topicBlocks(id)[0];
    // Only the automobile's block has a vector: the words rank the budget line, the model the automobile.
    const vectors = new Map([['cars', await embedder.embed(block('cars').text, 'passage')]]);
    const semantic = (weight: number): SemanticQuery => ({ vector: v, weight, blockVector: (id) => vectors.get(id) });
    assert.equal(index.search({ query: 'car' }, semantic(2))[0].meeting.sessionId, 'cars');
    assert.equal(index.search({ query: 'car' }, semantic(0.5))[0].meeting.sessionId, 'money');
  });

  it('embeds with node-llama-cpp (a generated GGUF) and searches with it', async function () {
    this.timeout(120_000);
    const embedder = await llamaEmbedder(notesModel('random'), { queryPrefix: 'q: ', contextTokens: 128, threads: 1 });
    try {
      const a = await embedder.embed('The roses need water.', 'passage');
      assert.equal(a.length, 64);
      assert.ok(Math.abs(a.reduce((s, x) => s + x * x, 0) - 1) < 1e-4, 'unit length');
      assert.deepEqual(await embedder.embed('The roses need water.', 'passage'), a);
      // A text longer than the context is cut, not refused.
      assert.equal((await embedder.embed('word '.repeat(1000), 'passage')).length, 64);
      // Another thread count makes the context again: the same text, the same direction.
      const cosine = (x: Float32Array, y: Float32Array) => x.reduce((s, v, k) => s + v * y[k], 0);
      const two = await embedder.embed('The roses need water.', 'passage', 2);
      assert.ok(cosine(a, two) > 0.9999, `cosine ${cosine(a, two)} with 2 threads`);
      assert.ok(cosine(a, await embedder.embed('The roses need water.', 'passage', 1)) > 0.9999);
      const index = new MemoryIndex();
      index.put(record('m', TWO_TOPICS));
      const vectors = new BlockVectors(embedder);
      await vectors.update(index);
      const passages = index.search({ query: 'greenhouse compost' }, await vectors.query('greenhouse compost'));
      assert.ok(passages.length >= 1 && passages.every((p) => p.lines.length >= 1 && p.lines.length <= 12));
    } finally {
      await embedder.dispose();
    }
  });

  it('offers one pinned embedding model, downloaded only when asked', () => {
    for (const m of memoryCatalog({})) {
      assert.match(m.url, /^https:\/\/huggingface\.co\/.+\/resolve\/[0-9a-f]{40}\//);
      assert.match(m.sha256, /^[0-9a-f]{64}$/);
      assert.ok(m.bytes > 1_000_000 && m.url.endsWith(m.file));
    }
  });
});
