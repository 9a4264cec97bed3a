/**
 * The rolling summary outside a live session: an interrupted session finalized later (service/modelExtractions.ts's
 * extractorFor through service/finalizeStored.ts) rolls it on from its last journaled summary over the chunks not yet
 * summarized, journaling each revision; nothing is asked when the run was declined, cancelled or out of budget; and a
 * failed summary call is logged (provider, chunk, reason) with no transcript or answer text. The runner is the
 * service's real one (ModelExtractions, provider 'vscode-lm') with a fake client answering the chat.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXTRACTION_STEP_WORDS, ExtractionProgressParams, LanguageModelChatParams } from '../../protocol/protocol';
import { Journal, JournalContents, JournalRecord, readJournal, SummaryRecord } from '../../daemon/journal/journal';
import { Logger, LogLevel } from '../../daemon/log';
import { finalizeInterrupted } from '../../daemon/service/finalizeStored';
import { ModelExtractions } from '../../daemon/service/modelExtractions';
import { ServiceConfig, ServiceEvents } from '../../daemon/service/serviceConfig';
import { DEFAULT_CHUNK_OPTIONS, modelChunks } from '../../daemon/understanding/modelExtract';
import { logRefinement } from '../../daemon/understanding/providers';
import { isPartsPrompt } from '../../daemon/understanding/summaryFromParts';

const HEADER = {
  type: 'session' as const, version: 1, sessionId: 's1', title: 'Plan', startedAt: '2030-01-01T09:00:00.000Z', sources: ['mic' as const], language: 'en', notesPath: '',
};
const said = (k: number) => `Line ${k} of the discussion about the release plan.`;
const segment = (k: number): JournalRecord => ({ type: 'segment', segmentId: `m-${k}`, source: 'mic', speaker: k % 2 ? 'Ana' : 'Ben', t0: k * 5, t1: k * 5 + 4, text: said(k) });
const SEGMENTS = Array.from({ length: 20 }, (_, k) => segment(k + 1));
const kept: SummaryRecord = { type: 'summary', at: 'x', provider: 'vscode-lm', by: 'fake-lm', chunks: 1, points: [{ text: 'Kept point', segmentIds: ['m-1'] }] };
const ids = (user: string) => [...user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);

type Reply = (params: LanguageModelChatParams, signal: AbortSignal) => Promise<unknown> | unknown;

/** The service's extractions for provider 'vscode-lm': `chunk` answers the extraction's calls, `summary` the summary's. */
function service(replies: { chunk?: Reply; summary?: Reply; settle?: Reply }, settings: Record<string, unknown> = {}) {
  const summaryAsked: { ids: string[]; user: string }[] = [];
  /** The settle's calls at stop (answered apart: each point restated, its cites kept). */
  const settleAsked: string[] = [];
  const chunkAsked: string[][] = [];
  const sectionAsked: string[] = [];
  /** The notes on each part (the settle of v11, the default): one call per chunk, one point citing its last line. */
  const partsAsked: string[][] = [];
  const progress: ExtractionProgressParams[] = [];
  const logged: { level: LogLevel; line: string }[] = [];
  const log = new Logger((level, line) => logged.push({ level, line }), 'info');
  const config = {
    enhancement: { provider: 'vscode-lm', chunkChars: 500, maxConcurrency: 2, ...settings },
    askClient: async (params: LanguageModelChatParams, signal: AbortSignal) => {
      // A notes template's 'model' section (understanding/templateSections.ts): one point citing a line the summary cites.
      if (params.system.startsWith('You write one section')) {
        sectionAsked.push(params.user);
        return { text: JSON.stringify({ points: [{ text: 'Section point', cites: [/"cites":\["([\w-]+)"/.exec(params.user)?.[1]] }] }), model: 'fake-lm' };
      }
      if (isPartsPrompt(params.system)) {
        partsAsked.push(ids(params.user));
        const last = ids(params.user).pop();
        return { text: JSON.stringify({ points: [{ text: `Part ending ${last}`, cites: [last] }] }), model: 'fake-lm' };
      }
      if (params.system.startsWith('You keep the summary') && params.user.includes('The meeting has ended')) {
        settleAsked.push(params.user);
        if (replies.settle) return replies.settle(params, signal);
        const sofar = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(params.user)![1]) as { points: { text: string; cites: string[] }[] }).points;
        return { text: JSON.stringify({ points: sofar.map((p) => ({ text: `Settled: ${p.text}`, cites: p.cites })) }), model: 'fake-lm' };
      }
      if (params.system.startsWith('You keep the summary')) {
        summaryAsked.push({ ids: ids(params.user), user: params.user });
        if (replies.summary) return replies.summary(params, signal);
        const last = ids(params.user).pop();
        return { text: JSON.stringify({ points: [{ text: `Point after ${last}`, cites: [last] }] }), model: 'fake-lm' };
      }
      chunkAsked.push(ids(params.user));
      if (replies.chunk) return replies.chunk(params, signal);
      return { text: JSON.stringify({ actionItems: [], decisions: [], dismiss: [] }), model: 'fake-lm' };
    },
  } as unknown as ServiceConfig;
  const events = { extractionProgress: (p: ExtractionProgressParams) => progress.push(p), refinement: (r: Parameters<typeof logRefinement>[1]) => logRefinement(log, r) } as unknown as ServiceEvents;
  const extractions = new ModelExtractions(config, events);
  return { extractions, summaryAsked, settleAsked, chunkAsked, sectionAsked, partsAsked, progress, logged };
}

const journalOf = (extra: JournalRecord[] = []): JournalContents => ({ header: HEADER, records: [HEADER, ...SEGMENTS, ...extra], tornTail: false });
/** The meeting's chunks as the service cuts them (chunkChars 500). */
const chunksOf = (journal: JournalContents) => modelChunks(journal, { ...DEFAULT_CHUNK_OPTIONS, chunkChars: 500 });

describe('the rolling summary of an interrupted session finalized later', () => {
  it('rolls on from the last journaled summary over the chunks it had not read, one call each, journaling each revision', async () => {
    const { extractions, summaryAsked, settleAsked, chunkAsked, partsAsked, progress } = service({});
    const journal = journalOf([kept]);
    const chunks = chunksOf(journal);
    assert.ok(chunks.length >= 4, `${chunks.length} chunks`);
    const appended: JournalRecord[] = [];
    const records = await extractions.extractorFor('s1')!(journal, async (r) => { appended.push(r); });
    assert.equal(chunkAsked.length, chunks.length, 'the extraction reads the whole meeting');
    assert.deepEqual(summaryAsked.map((a) => a.ids), chunks.slice(1).map((c) => c.lines.map((l) => l.segmentId)), 'only the chunks not summarized, in order');
    assert.ok(summaryAsked[0].user.includes('"Kept point"'), 'from the journaled summary so far');
    assert.ok(summaryAsked[1].user.includes(`"Point after ${chunks[1].lines[chunks[1].lines.length - 1].segmentId}"`), 'then from the revision before');
    // The revisions, each part's notes (v11's settle reads them), then the summary settled against the final lists (one
    // call, after them all).
    const summaries = appended.filter((r): r is SummaryRecord => r.type === 'summary').slice(0, -1);
    assert.deepEqual(partsAsked, chunks.map((c) => c.lines.map((l) => l.segmentId)), 'every part noted once, in order');
    assert.deepEqual(appended.flatMap((r) => (r.type === 'partNotes' ? [r.chunk] : [])), chunks.map((_, k) => k), 'each part journaled before the settle');
    assert.deepEqual(appended.map((r) => r.type), [...summaries.map(() => 'summary'), ...chunks.map(() => 'partNotes'), 'summary']);
    assert.deepEqual(summaries.map((r) => [r.type, r.chunks, r.provider, r.by, r.settled]), chunks.slice(1).map((_, k) => ['summary', k + 2, 'vscode-lm', 'fake-lm', undefined]));
    const lastId = chunks[chunks.length - 1].lines[chunks[chunks.length - 1].lines.length - 1].segmentId;
    assert.deepEqual(summaries[summaries.length - 1].points, [{ text: `Point after ${lastId}`, segmentIds: [lastId] }]);
    assert.equal(settleAsked.length, 1);
    assert.ok(settleAsked[0].includes(`"Point after ${lastId}"`), 'settled from the last revision');
    assert.ok(settleAsked[0].includes(`Part ${chunks.length} (`) && settleAsked[0].includes(`"Part ending ${lastId}"`), 'and the parts\' notes beside it');
    assert.deepEqual(appended[appended.length - 1], { ...appended[appended.length - 1], type: 'summary', chunks: chunks.length, settled: true, points: [{ text: `Settled: Point after ${lastId}`, segmentIds: [lastId] }] });
    // The run's record comes after (the caller appends it), its tokens counting the summary calls as a live run's do.
    const refinement = records.find((r): r is Extract<JournalRecord, { type: 'refinement' }> => r.type === 'refinement')!;
    // The chunks' run held its end back (said as still running) for the steps after it, each said as it starts; the
    // end comes last, once the summary settled, its tokens the run's record's (the summary calls' counted).
    const chunksDone = progress.findIndex((p) => p.message === `${chunks.length} chunks done`);
    assert.equal(progress[chunksDone].state, 'running', 'the chunks\' end held back');
    assert.deepEqual(progress.slice(chunksDone + 1).map((p) => p.step ?? p.state), ['summary', 'settle', 'done'], 'no check has an entry to read: none is said');
    const end = progress[progress.length - 1];
    assert.deepEqual([end.state, end.message, end.tokens], ['done', `${chunks.length} chunks done`, refinement.tokens]);
    assert.ok(refinement.tokens! > progress[chunksDone].tokens, `${refinement.tokens} tokens with the summary's, ${progress[chunksDone].tokens} without`);
  });

  it('a session never summarized is summarized from its first chunk; a summary that read every chunk asks nothing', async () => {
    const first = service({});
    const chunks = chunksOf(journalOf());
    const appended: JournalRecord[] = [];
    await first.extractions.extractorFor('s1')!(journalOf(), async (r) => { appended.push(r); });
    assert.equal(first.summaryAsked.length, chunks.length);
    const summaryRecords = (records: JournalRecord[]) => records.filter((r): r is SummaryRecord => r.type === 'summary');
    assert.deepEqual(summaryRecords(appended).map((r) => [r.chunks, r.settled]), [...chunks.map((_, k) => [k + 1, undefined]), [chunks.length, true]]);
    assert.equal(first.partsAsked.length, chunks.length);
    // Every chunk read but not settled (its daemon died at stop): settled only; settled already, nothing is asked.
    const read = service({});
    const settled: JournalRecord[] = [];
    await read.extractions.extractorFor('s1')!(journalOf([{ ...kept, chunks: chunks.length }]), async (r) => { settled.push(r); });
    assert.deepEqual([read.summaryAsked.length, read.settleAsked.length, read.partsAsked.length], [0, 1, chunks.length], 'the parts not journaled are noted first');
    assert.deepEqual(summaryRecords(settled).map((r) => [r.settled, r.points]), [[true, [{ text: 'Settled: Kept point', segmentIds: ['m-1'] }]]]);
    const done = service({});
    await done.extractions.extractorFor('s1')!(journalOf([{ ...kept, chunks: chunks.length, settled: true }]), async () => assert.fail('nothing to journal'));
    assert.deepEqual([done.summaryAsked.length, done.settleAsked.length, done.partsAsked.length], [0, 0, 0]);
  });

  it('with a notes template, writes its model sections after the settle (once: not again when they are journaled)', async () => {
    const template = { id: 'retro', name: 'Retro', source: 'workspace' as const, instructions: 'Be brief.', chosenBy: 'user' as const,
      sections: [{ heading: 'Went well', fill: 'model' as const, instructions: 'What went well.' }, { heading: 'Decisions', fill: 'decisions' as const, instructions: '' }] };
    const journal: JournalContents = { header: { ...HEADER, template }, records: [{ ...HEADER, template }, ...SEGMENTS], tornTail: false };
    const run = service({});
    const appended: JournalRecord[] = [];
    await run.extractions.extractorFor('s1')!(journal, async (r) => { appended.push(r); });
    assert.equal(run.sectionAsked.length, 1);
    assert.match(run.sectionAsked[0], /"section":"Went well","sectionInstructions":"What went well\."/);
    assert.ok(run.summaryAsked.every((a) => a.user.includes('{"template":"Retro","notes":"Be brief."}')), 'the summary prompts quote the template');
    const written = appended.filter((r) => r.type === 'templateSections');
    assert.equal(written.length, 1);
    assert.equal(appended[appended.length - 1], written[0], 'after the settle');
    const again = service({});
    await again.extractions.extractorFor('s1')!({ ...journal, records: [...journal.records, written[0]] }, async () => undefined);
    assert.equal(again.sectionAsked.length, 0);
  });

  it('says each step after the chunks as it starts, and the run\'s end once, after the last (stopProgress.ts)', async () => {
    // Each chunk notes one decision and one item without an owner: every check has something to read.
    const noting: Reply = (params) => {
      const id = ids(params.user)[0];
      return { text: JSON.stringify({ actionItems: [{ text: `Someone checks line ${id}`, owner: null, due: null, segments: [id] }], decisions: [{ text: `We keep line ${id}`, kind: 'decision', standing: 'decided', segments: [id] }], dismiss: [] }), model: 'fake-lm' };
    };
    const run = service({ chunk: noting });
    const chunks = chunksOf(journalOf());
    await run.extractions.extractorFor('s1')!(journalOf(), async () => undefined);
    const held = run.progress.findIndex((p) => p.message === `${chunks.length} chunks done`);
    assert.equal(run.progress[held].state, 'running', 'the chunks\' end held back');
    const after = run.progress.slice(held + 1);
    assert.deepEqual(after.map((p) => p.step ?? p.state), ['summary', 'restatements', 'decisions', 'owners', 'settle', 'standings', 'done']);
    for (const p of after.slice(0, -1)) assert.deepEqual([p.state, p.message], ['running', EXTRACTION_STEP_WORDS[p.step!]]);
    assert.ok(after.every((p, k) => k === 0 || p.tokens >= after[k - 1].tokens), 'the tokens only grow');
    assert.equal(after[after.length - 1].message, `${chunks.length} chunks done`);
    assert.equal(run.progress.filter((p) => p.state !== 'running').length, 1, 'one end');
  });

  it('a cancel during a step at stop ends the run as cancelled while that step, once; a run without steps says its end as before', async () => {
    let cancel = () => undefined as unknown;
    const cancelled = service({ settle: (_p, signal) => new Promise((_resolve, reject) => { signal.addEventListener('abort', () => reject(new Error('aborted'))); cancel(); }) });
    cancel = () => cancelled.extractions.cancel('s1');
    await cancelled.extractions.extractorFor('s1')!(journalOf(), async () => undefined);
    const ends = cancelled.progress.filter((p) => p.state !== 'running');
    assert.deepEqual(ends.map((p) => [p.state, p.message]), [['cancelled', `cancelled while ${EXTRACTION_STEP_WORDS.settle}: the notes keep what was read`]]);
    assert.equal(cancelled.progress[cancelled.progress.length - 1], ends[0], 'nothing said after the end');
    // Out of budget in the chunks: the chunks' run says its end at once, and no step follows.
    const budget = service({}, { tokenBudget: 1500, maxConcurrency: 1 });
    await budget.extractions.extractorFor('s1')!(journalOf(), async () => undefined);
    assert.deepEqual(budget.progress.filter((p) => p.step || p.state !== 'running').map((p) => p.step ?? p.state), ['budget']);
  });

  it('asks nothing when the client declined, the run was cancelled or its budget spent', async () => {
    const declined = service({ chunk: () => null });
    assert.deepEqual(await declined.extractions.extractorFor('s1')!(journalOf(), async () => assert.fail('nothing journaled')), []);
    assert.equal(declined.summaryAsked.length, 0, 'declined');

    let cancel = () => undefined as unknown;
    const cancelled = service({ chunk: (_p, signal) => new Promise((_resolve, reject) => { signal.addEventListener('abort', () => reject(new Error('aborted'))); cancel(); }) });
    cancel = () => cancelled.extractions.cancel('s1');
    await cancelled.extractions.extractorFor('s1')!(journalOf(), async () => assert.fail('nothing journaled'));
    assert.ok(cancelled.chunkAsked.length >= 1);
    assert.equal(cancelled.summaryAsked.length, 0, 'cancelled');

    const budget = service({}, { tokenBudget: 1500, maxConcurrency: 1 });
    await budget.extractions.extractorFor('s1')!(journalOf(), async () => assert.fail('nothing journaled'));
    assert.equal(budget.progress[budget.progress.length - 1].state, 'budget');
    assert.equal(budget.summaryAsked.length, 0, 'out of budget');
  });

  it('finalizing journals the revisions before the run and the end, and the notes show the summary', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-sumfin-'));
    try {
      const journalPath = path.join(dir, 'sessions', 's1.jsonl');
      const notesPath = path.join(dir, 'notes', 'plan.md');
      const { type: _type, version: _version, ...meta } = HEADER;
      const journal = await Journal.create(journalPath, { ...meta, notesPath });
      for (const r of [...SEGMENTS, kept]) await journal.append(r);
      await journal.close();
      const { extractions, summaryAsked } = service({});
      await finalizeInterrupted(journalPath, extractions.extractorFor('s1'));
      const records = (await readJournal(journalPath)).records;
      const types = records.map((r) => r.type);
      const chunks = chunksOf(journalOf());
      assert.equal(summaryAsked.length, chunks.length - 1);
      const summaries = records.filter((r): r is SummaryRecord => r.type === 'summary');
      // Each revision, then the settled summary: all before the run's record and the end.
      assert.deepEqual(summaries.map((r) => [r.chunks, r.settled]), [...chunks.map((_, k) => [k + 1, undefined]), [chunks.length, true]]);
      assert.ok(types.lastIndexOf('summary') < types.indexOf('refinement') && types.indexOf('refinement') < types.indexOf('end'), types.join());
      const notes = fs.readFileSync(notesPath, 'utf8');
      const section = notes.slice(notes.indexOf('## Summary'), notes.indexOf('## Decisions'));
      const lastId = chunks[chunks.length - 1].lines[chunks[chunks.length - 1].lines.length - 1].segmentId;
      assert.match(section, /_Written by fake-lm \(opt-in language model\) from the transcript, settled at the end against the decisions and action items;/);
      assert.match(section, new RegExp(`^- Settled: Point after ${lastId} _\\(\\[\\d\\d:\\d\\d\\]\\(#line-${lastId}\\), (Ana|Ben)\\)_$`, 'm'), section);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the settle of an interrupted session finalized later', () => {
  it('a failed settle keeps the last revision, journaled as not settled with why, before the run\'s record; logged as call "settle" without text', async () => {
    const failing = service({ settle: () => { throw new Error(`model crashed reading "${said(4)}"`); } });
    const appended: JournalRecord[] = [];
    const records = await failing.extractions.extractorFor('s1')!(journalOf([kept]), async (r) => { appended.push(r); });
    const last = appended[appended.length - 1] as SummaryRecord;
    const revision = appended.filter((r): r is SummaryRecord => r.type === 'summary').at(-2)!;
    assert.deepEqual([last.settled, last.unsettled, last.points, last.by, revision.settled], [false, 'error', revision.points, 'fake-lm', undefined]);
    // v11's settle failed for a reason its prompt's size does not explain: v9's is not asked after it.
    assert.equal(failing.settleAsked.length, 1);
    assert.ok(failing.settleAsked[0].includes('Notes on each part'));
    assert.equal(records[records.length - 1].type, 'refinement', 'the run\'s record after it (the caller journals it)');
    const logged = failing.logged.filter((l) => l.line.includes('"call":"settle"'));
    assert.deepEqual(logged.map((l) => [l.level, (JSON.parse(l.line) as { outcome: string; reason: string }).outcome]), [['warn', 'failed']]);
    assert.doesNotMatch(failing.logged.map((l) => l.line).join('\n'), /model crashed|Line 4 of/);
  });

  it('a run out of budget asks no settle, and journals why the summary stands as it is', async () => {
    // Enough budget for the extraction to stop part way, after the kept summary: nothing more is asked.
    const budget = service({}, { tokenBudget: 1500, maxConcurrency: 1 });
    const appended: JournalRecord[] = [];
    await budget.extractions.extractorFor('s1')!(journalOf([kept]), async (r) => { appended.push(r); });
    assert.equal(budget.settleAsked.length, 0);
    assert.deepEqual(appended.map((r) => [(r as SummaryRecord).settled, (r as SummaryRecord).unsettled, (r as SummaryRecord).points]), [[false, 'token budget spent', kept.points]]);
  });
});

describe('a failed summary call is logged', () => {
  const transcript = SEGMENTS.map((r) => (r as { text: string }).text);
  const noText = (lines: string[], also: string[]) => {
    for (const line of lines) for (const t of [...transcript, ...also]) assert.ok(!line.includes(t), `log line carries "${t}": ${line}`);
  };
  const summaryLines = (logged: { level: LogLevel; line: string }[]) => logged.filter((l) => l.line.includes('"call":"summary"'));

  it('at the default level, with provider, chunk and reason, and no transcript or answer text (provider error, unparseable answer)', async () => {
    const answer = `{"points": "Ana said: ${said(3)}"}`;
    const failing = service({ summary: () => { throw new Error(`model crashed while reading "${said(2)}"`); } });
    const chunks = chunksOf(journalOf());
    await failing.extractions.extractorFor('s1')!(journalOf(), async () => undefined);
    const lines = summaryLines(failing.logged);
    assert.equal(lines.length, chunks.length, 'one line per failed call');
    lines.forEach((l, k) => {
      assert.equal(l.level, 'warn');
      const entry = JSON.parse(l.line) as Record<string, unknown>;
      assert.deepEqual([entry.event, entry.provider, entry.chunk, entry.outcome, entry.reason, entry.sessionId], ['refinement', 'vscode-lm', k + 1, 'failed', 'error', 's1']);
    });
    noText(failing.logged.map((l) => l.line), ['model crashed']);

    // The live runner's summary calls log the same way (session/liveExtraction.ts asks through it).
    const invalid = service({ summary: () => ({ text: answer, model: 'fake-lm' }) });
    const runner = invalid.extractions.chunkRunnerFor('s1', { title: 'Plan', date: HEADER.startedAt })!;
    const rolled = await runner.summarize([], chunks[2]);
    runner.close();
    assert.equal(rolled.points, null);
    const entries = summaryLines(invalid.logged).map((l) => JSON.parse(l.line) as Record<string, unknown>);
    assert.deepEqual(entries.map((e) => [e.chunk, e.attempt, e.outcome, e.reason]), [[3, 1, 'failed', 'invalid answer'], [3, 2, 'failed', 'invalid answer']]);
    noText(invalid.logged.map((l) => l.line), [answer, 'Ana said']);
  });

  it('a call past its time limit is logged as a timeout', async () => {
    const slow = service({ summary: (_p, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))) }, { timeoutSec: 0.05 });
    const runner = slow.extractions.chunkRunnerFor('s1', { title: 'Plan', date: HEADER.startedAt })!;
    const rolled = await runner.summarize([], chunksOf(journalOf())[0]);
    runner.close();
    assert.equal(rolled.points, null);
    const [entry, ...more] = summaryLines(slow.logged);
    assert.equal(more.length, 0, 'a failed call is not asked again');
    assert.equal(entry.level, 'warn');
    assert.deepEqual((({ chunk, outcome, reason, provider }) => ({ chunk, outcome, reason, provider }))(JSON.parse(entry.line)), { chunk: 1, outcome: 'timeout', reason: 'no answer within 0.079 s', provider: 'vscode-lm' }, 'the provider\'s 0.05 s, grown by the revision\'s answer cap');
  });
});
