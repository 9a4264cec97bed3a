/**
 * The opt-in language-model extraction at stop, end to end: the real daemon process over real JSON-RPC, provider
 * 'openai-compatible' against a SCRIPTED chat-completions server on 127.0.0.1 (scripted-extraction.ts: a real HTTP
 * server that answers per chunk), the session an interrupted one in storage that `earshot/session/stop` finalizes (so
 * the transcript and the rule-based items are exactly known). Covers: chunks and their overlap, an invalid answer
 * retried, a 429 then success, an answer slower than the timeout, concurrency never above the bound, the token budget,
 * a false rule-based item dismissed (journaled `removed` with its reason, struck through in the notes) and restored,
 * and cancel aborting in-flight requests (v6, each part read alone: v7 sends one part at a time, in order:
 * model-extraction-standing.test.ts). The CLI and the vscode-lm client: model-extraction-clients.test.ts; a live
 * session: model-extraction-live.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { JournalRecord, readJournal } from '../../daemon/journal/journal';
import { ExtractionCancel, ItemRestore, SessionStop, SessionTranscript } from '../../protocol/protocol';
import { empty, LINES, reply, scriptedExtraction, SESSION } from './scripted-extraction';

describe('language-model extraction over the whole meeting (real daemon, scripted endpoint)', function () {
  this.timeout(120_000);
  const fx = scriptedExtraction();
  const { interruptedSession, scriptedServer, daemon } = fx;

  it('maps every chunk (overlapping, at most 2 at once), survives invalid JSON, 429 and a slow answer, dismisses a false item, and restores it', async () => {
    const { journalPath, notesPath } = await interruptedSession();
    const scripted = await scriptedServer((r, res) => {
      const later = (ms: number, f: () => void) => setTimeout(f, ms);
      if (r.chunk === 1 && r.attempt === 1) return later(50, () => reply(res, 'Sorry, I cannot help with that {not json'));
      if (r.chunk === 1) {
        return later(50, () => reply(res, JSON.stringify({
          actionItems: [{ text: 'Ana shares the slide deck with the team', owner: 'Ana', due: '2030-01-03', segments: ['f-4', 'f-999'] }],
          decisions: [], dismiss: [{ id: 'a1', reason: 'Presenting in the room now, not work after the meeting.' }, { id: 'a2', reason: 'not shown in this chunk' }],
        })));
      }
      if (r.chunk === 2 && r.attempt === 1) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        return res.end('{"error":"rate limited"}');
      }
      if (r.chunk === 3 && r.attempt === 1) return later(2500, () => { if (!res.destroyed) reply(res, empty); }); // beyond the 1 s timeout
      if (r.chunk === 3) {
        return later(50, () => reply(res, JSON.stringify({
          actionItems: [{ text: 'Maria sends the budget figures to finance', owner: 'Maria', due: '2030-01-04', segments: ['f-21'] }],
          decisions: [{ text: 'Ship the release on Monday', kind: 'decision', segments: ['f-22'] }], dismiss: [],
          // Maria is no one in the room: Ben (any case) owns it; a made-up name is not taken.
          owners: [{ id: 'a2', owner: 'ben' }, { id: 'a1', owner: 'Someone Else' }],
        })));
      }
      later(150, () => reply(res, empty));
    });
    const { client, progress } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, model: 'scripted:1b', timeoutSec: 1, maxConcurrency: 2, chunkChars: 1000, carryNotes: false });
    await client.connection.sendRequest(SessionStop, { sessionId: SESSION });

    // Chunks: in order, overlapping by 4 lines, covering every line.
    const firsts = [...new Map(scripted.requests.map((r) => [r.chunk, r.ids])).entries()].sort((a, b) => a[0] - b[0]).map(([, ids]) => ids);
    assert.ok(firsts.length >= 4, `${firsts.length} chunks`);
    for (let k = 1; k < firsts.length; k++) assert.deepEqual(firsts[k].slice(0, 4), firsts[k - 1].slice(-4), `chunk ${k + 1} starts with the last 4 lines of chunk ${k}`);
    assert.deepEqual([...new Set(firsts.flat())].sort(), LINES.map((_, k) => `f-${k + 1}`).sort());
    assert.ok(scripted.requests.every((r) => r.url === '/v1/chat/completions'));
    assert.ok(scripted.maxInFlight() <= 2, `at most 2 requests at once, saw ${scripted.maxInFlight()}`);
    assert.equal(scripted.maxInFlight(), 2, 'and the bound is used');
    assert.deepEqual(scripted.requests.filter((r) => r.chunk <= 3).map((r) => [r.chunk, r.attempt]).sort(), [[1, 1], [1, 2], [2, 1], [2, 2], [3, 1], [3, 2]]);

    // Progress: chunk by chunk, then done.
    const last = progress[progress.length - 1];
    assert.equal(last.state, 'done');
    assert.equal(last.finished, firsts.length);
    assert.equal(last.failed, 0);
    assert.ok(progress.some((p) => p.state === 'running' && p.finished > 0 && p.finished < p.chunks));

    // Journal: the added item and decision, the dismissal with its reason, the run record; a2 confirmed, not dismissed.
    const records = (await readJournal(journalPath)).records;
    const run = records.find((x): x is Extract<JournalRecord, { type: 'refinement' }> => x.type === 'refinement')!;
    assert.equal(run.provider, 'openai-compatible');
    assert.equal(run.model, 'scripted:1b');
    assert.deepEqual(run.dismissedIds, ['a1']);
    assert.equal(run.state, 'done');
    assert.equal(run.chunks, firsts.length);
    const dismissal = records.filter((x) => x.type === 'actionItem' && x.id === 'a1').pop() as Extract<JournalRecord, { type: 'actionItem' }>;
    assert.equal(dismissal.removed, true);
    assert.deepEqual(dismissal.dismissed, { by: 'scripted:1b', reason: 'Presenting in the room now, not work after the meeting.' });
    const a2 = records.filter((x) => x.type === 'actionItem' && x.id === 'a2').pop() as Extract<JournalRecord, { type: 'actionItem' }>;
    assert.equal(a2.removed, undefined);
    assert.equal(a2.due, '2030-01-04', 'the model completed the due date the rules lacked');
    assert.equal(a2.owner, 'Ben', "the model corrected the owner, to the speaker's label");
    assert.equal(a2.refinedBy, 'scripted:1b');
    const added = records.find((x) => x.type === 'actionItem' && x.id === 'am1') as Extract<JournalRecord, { type: 'actionItem' }>;
    assert.equal(added.segmentId, 'f-4', 'anchored on the line it cites (the unknown f-999 dropped)');
    assert.equal(records.filter((x) => x.type === 'actionItem' && /^am/.test(x.id)).length, 1, 'the confirmation of a2 is not added twice');
    assert.ok(records.some((x) => x.type === 'decision' && x.id === 'dm1' && x.segmentId === 'f-22'));
    assert.equal(records[records.length - 1].type, 'end');

    // Notes: the dismissed item struck through with its reason, no longer a task; the model's item marked.
    let notes = fs.readFileSync(notesPath, 'utf8');
    assert.match(notes, /_Dismissed by scripted:1b \(opt-in language model\)/);
    assert.match(notes, /- ~~I'll go first with the slides~~ — Presenting in the room now, not work after the meeting\. _\(dismissed, 00:10\)_/);
    assert.doesNotMatch(notes, /- \[ \] I'll go first/);
    assert.match(notes, /- \[ \] Ana shares the slide deck with the team — @Ana, due 2030-01-03 _\(found by scripted:1b, 00:15\)_ <!-- earshot:am1 -->/);
    assert.match(notes, /- \[ \] Maria will send the budget figures to finance — @Ben, due 2030-01-04 /);

    // A panel that reloads the session gets the dismissed item too (to show it struck through, with Restore).
    const reloaded = await client.connection.sendRequest(SessionTranscript, { sessionId: SESSION });
    const shown = reloaded.actionItems.find((i) => i.id === 'a1');
    assert.equal(shown?.removed, true);
    assert.equal(shown?.dismissed?.reason, 'Presenting in the room now, not work after the meeting.');

    // Restore: back as a task, the dismissal kept in the journal's history.
    const restored = await client.connection.sendRequest(ItemRestore, { sessionId: SESSION, kind: 'actionItem', id: 'a1' });
    assert.equal(restored.removed, undefined);
    assert.equal((restored as { restored?: boolean }).restored, true);
    notes = fs.readFileSync(notesPath, 'utf8');
    assert.match(notes, /- \[ \] I'll go first with the slides — @Ana _\(00:10\)_ <!-- earshot:a1 -->/);
    assert.doesNotMatch(notes, /~~I'll go first/);
    const after = (await readJournal(journalPath)).records.filter((x) => x.type === 'actionItem' && x.id === 'a1');
    assert.deepEqual(after.map((x) => { const i = x as Extract<JournalRecord, { type: 'actionItem' }>; return [i.revision, i.removed ?? false]; }), [[1, false], [2, true], [3, false]]);

    // The log says how each call went, never what was said.
    const logs = client.logs.filter((l) => l.includes('"event":"refinement"'));
    assert.ok(logs.some((l) => /"outcome":"failed".*"reason":"http-429"/.test(l)));
    assert.ok(logs.some((l) => /"outcome":"timeout"/.test(l)));
    assert.ok(logs.some((l) => /"reason":"invalid answer"/.test(l)));
    assert.doesNotMatch(client.logs.join('\n'), /budget figures|go first|slide deck/);
  });

  it('stops sending chunks when the token budget is spent, and says so', async () => {
    await interruptedSession();
    const scripted = await scriptedServer((_r, res) => reply(res, empty));
    // Room for about two chunks' prompts (system message and 1,000 characters of lines) and one answer's reserve.
    const budget = 3000;
    const { client, progress } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, maxConcurrency: 1, chunkChars: 1000, tokenBudget: budget });
    await client.connection.sendRequest(SessionStop, { sessionId: SESSION });
    const last = progress[progress.length - 1];
    assert.equal(last.state, 'budget');
    assert.match(last.message, new RegExp(`token budget \\(${budget}\\) spent after \\d+ of \\d+ chunks`));
    assert.ok(scripted.requests.length >= 1 && scripted.requests.length < last.chunks, `${scripted.requests.length} of ${last.chunks} chunks sent`);
    const sentTokens = scripted.requests.reduce((n, r) => n + Math.ceil(r.chars / 4), 0);
    assert.ok(sentTokens <= budget, `prompts sent: about ${sentTokens} tokens`);
    assert.ok(last.tokens <= budget);
    assert.deepEqual([...fx.maxTokens], [1000], 'answers are capped at the tokens reserved for them');
  });

  it('cancel aborts the requests in flight and keeps the rule-based notes', async () => {
    const { notesPath } = await interruptedSession();
    const scripted = await scriptedServer(() => undefined); // never answers
    const { client, progress } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, maxConcurrency: 2, chunkChars: 1000, timeoutSec: 60, carryNotes: false });
    const stopping = client.connection.sendRequest(SessionStop, { sessionId: SESSION });
    await client.waitFor('two requests in flight', () => scripted.requests.length >= 2, 20_000);
    assert.deepEqual(await client.connection.sendRequest(ExtractionCancel, { sessionId: SESSION }), { cancelled: true });
    await stopping;
    await client.waitFor('requests aborted', () => scripted.aborted() >= 2, 10_000);
    assert.equal(scripted.requests.length, 2, 'no chunk is sent after the cancel');
    assert.equal(progress[progress.length - 1].state, 'cancelled');
    const notes = fs.readFileSync(notesPath, 'utf8');
    assert.match(notes, /- \[ \] I'll go first with the slides/);
    assert.deepEqual(await client.connection.sendRequest(ExtractionCancel, { sessionId: SESSION }), { cancelled: false });
  });
});
