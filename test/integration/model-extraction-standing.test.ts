/**
 * Decisions with their standing and a rule item rewritten by the model, end to end (issue 40): the real daemon (`node
 * bin/earshot.js daemon`) over real JSON-RPC, provider 'openai-compatible' against the SCRIPTED chat-completions server
 * (scripted-extraction.ts), stopping an interrupted session in storage; and `earshot notes --llm-endpoint` over the
 * same meeting as a transcript file. The scripted model answers what a capable one would: a requirement given to the
 * team, a choice left open, one decided; a rule item whose owner (someone not in the room) it rewrites; and two entries
 * the parser must refuse. Prompt v7 at stop (the settings' carryNotes): a choice left open by one part and settled by
 * the next is one decision with its history, the parts sent one at a time, each carrying the notes before it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalRecord, readJournal } from '../../daemon/journal/journal';
import { ItemRestore, SessionExport, SessionStop } from '../../protocol/protocol';
import { clock } from '../../protocol/markdownText';
import { runEarshot } from './daemon-process';
import { LINES, reply, Scripted, scriptedExtraction, SESSION } from './scripted-extraction';

/** The scripted model's answer for a chunk: it cites the chunk's own line ids and rewrites the rules' budget item. */
function answer(r: Scripted): string {
  const rules = JSON.parse(r.user.split('\n')[r.user.split('\n').indexOf('Already extracted by rules (JSON):') + 1]) as { id: string; kind: string; text: string }[];
  const budget = rules.find((x) => x.kind === 'actionItem' && /budget/.test(x.text));
  return JSON.stringify({
    actionItems: [],
    decisions: [
      { text: 'The release is for the EU market only', standing: 'given', kind: 'decision', segments: [r.ids[4]] },
      { text: 'Pricing is left for the next meeting', standing: 'open', kind: 'decision', segments: [r.ids[9]] },
      { text: 'Ship the release on Monday', standing: 'decided', kind: 'decision', segments: [r.ids[21]] },
      { text: 'A decision of an unknown standing', standing: 'settled', kind: 'decision', segments: [r.ids[30]] },
    ],
    dismiss: [],
    rewrite: [
      ...(budget ? [{ id: budget.id, text: 'Send the budget figures to finance', owner: 'ben', due: '2030-01-04' }] : []),
      { id: 'a99', text: 'Not an item that was shown' },
    ],
  });
}

describe('decisions with their standing, and rule items the model rewrites (real daemon and CLI, scripted endpoint)', function () {
  this.timeout(120_000);
  const fx = scriptedExtraction();
  const { interruptedSession, scriptedServer, daemon } = fx;

  it('at stop: the three standings and the rewrite reach the journal and the notes file; undo brings the words back', async () => {
    const { journalPath, notesPath } = await interruptedSession();
    const scripted = await scriptedServer((r, res) => reply(res, answer(r)));
    const { client } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, model: 'scripted:1b', timeoutSec: 5 });
    await client.connection.sendRequest(SessionStop, { sessionId: SESSION });
    assert.equal(scripted.requests.length, 1, 'the 40 lines are one chunk');

    // Journal: each decision with its standing (the unknown one refused); the rewrite a revision keeping the words before.
    const records = (await readJournal(journalPath)).records;
    const decisions = records.filter((x): x is Extract<JournalRecord, { type: 'decision' }> => x.type === 'decision');
    assert.deepEqual(decisions.map((d) => [d.id, d.text, d.standing, d.kind, d.segmentId, d.refinedBy]), [
      ['dm1', 'The release is for the EU market only', 'given', 'decision', 'f-5', 'scripted:1b'],
      ['dm2', 'Pricing is left for the next meeting', 'open', 'deferral', 'f-10', 'scripted:1b'],
      ['dm3', 'Ship the release on Monday', 'decided', 'decision', 'f-22', 'scripted:1b'],
    ]);
    const a2 = records.filter((x): x is Extract<JournalRecord, { type: 'actionItem' }> => x.type === 'actionItem' && x.id === 'a2');
    assert.deepEqual(a2.map((i) => [i.revision, i.text, i.owner, i.due, i.refinedBy]), [
      [1, 'Maria will send the budget figures to finance', 'Maria', null, undefined],
      [2, 'Send the budget figures to finance', 'Ben', '2030-01-04', 'scripted:1b'],
    ]);
    assert.deepEqual(a2[1].rewritten, { by: 'scripted:1b', was: { text: 'Maria will send the budget figures to finance', owner: 'Maria', due: null } });

    // Notes: decisions under their standing's heading; the rewritten item shown as revised.
    let notes = fs.readFileSync(notesPath, 'utf8');
    assert.equal(notes.slice(notes.indexOf('## Decisions'), notes.indexOf('## Action items')), [
      '## Decisions', '',
      '### Decided', '', '- Ship the release on Monday _(found by scripted:1b, 01:45)_', '',
      '### Left open', '', '- Pricing is left for the next meeting _(found by scripted:1b, 00:45)_', '',
      '### Given to the team', '', '- The release is for the EU market only _(found by scripted:1b, 00:20)_', '', '',
    ].join('\n'));
    assert.match(notes, /- \[ \] Send the budget figures to finance — @Ben, due 2030-01-04 _\(revised by scripted:1b, 01:40\)_ <!-- earshot:a2 -->/);

    // The export carries the standings and the rewrite.
    const exported = JSON.parse((await client.connection.sendRequest(SessionExport, { sessionId: SESSION, format: 'json' })).text) as
      { decisions: { id: string; standing: string }[]; actionItems: { id: string; rewritten?: unknown }[] };
    assert.deepEqual(exported.decisions.map((d) => [d.id, d.standing]), [['dm1', 'given'], ['dm2', 'open'], ['dm3', 'decided']]);
    assert.deepEqual(exported.actionItems.find((i) => i.id === 'a2')?.rewritten, a2[1].rewritten);

    // The refused entries are in the log by id and field, never their text.
    const refused = client.logs.filter((l) => l.includes('"outcome":"refused"'));
    assert.equal(refused.length, 1, client.logs.filter((l) => l.includes('refinement')).join('\n'));
    assert.match(refused[0], /decision 4: standing must be one of decided, open, given; rewrite: its id is not one of the rule-based action items or decisions shown with this part/);
    assert.doesNotMatch(client.logs.join('\n'), /unknown standing|Not an item that was shown|budget figures/);

    // Undo, as the panel's button does it: the words before come back as a new revision, and the notes follow.
    const undone = await client.connection.sendRequest(ItemRestore, { sessionId: SESSION, kind: 'actionItem', id: 'a2' });
    assert.deepEqual([undone.revision, undone.text, (undone as { owner: string }).owner, (undone as { rewritten?: unknown }).rewritten, (undone as { restored?: boolean }).restored],
      [3, 'Maria will send the budget figures to finance', 'Maria', undefined, true]);
    notes = fs.readFileSync(notesPath, 'utf8');
    assert.match(notes, /- \[ \] Maria will send the budget figures to finance — @Maria _\(01:40\)_ <!-- earshot:a2 -->/);
    assert.doesNotMatch(notes, /revised by/);
    const last = (await readJournal(journalPath)).records.filter((x) => x.type === 'actionItem' && x.id === 'a2').pop() as Extract<JournalRecord, { type: 'actionItem' }>;
    assert.deepEqual([last.revision, last.restored, last.refinedBy, last.rewritten], [3, true, undefined, undefined]);
  });

  it('the restatement check at stop (checkRestatements): the final lists read once more, a restatement folded and journaled before the summary settles', async () => {
    const { journalPath, notesPath } = await interruptedSession();
    // The part says "ship on Monday" twice, in words the near-duplicate net keeps apart; the check names the second.
    const scripted = await scriptedServer((r, res) => reply(res, JSON.stringify({
      actionItems: [], dismiss: [], rewrite: [], decisions: [
        { text: 'Ship the release on Monday', standing: 'decided', kind: 'decision', segments: [r.ids[21]] },
        { text: 'Monday is when it goes out', standing: 'decided', kind: 'decision', segments: [r.ids[30]] },
      ],
    })), undefined, (r) => {
      const second = /^\{"id":"(D\d+)","standing":"decided","text":"Monday is when it goes out"/m.exec(r.user)?.[1];
      const first = /^\{"id":"(D\d+)","standing":"decided","text":"Ship the release on Monday"/m.exec(r.user)?.[1];
      return JSON.stringify({ same: first && second ? [{ keep: first, fold: [second], text: '' }] : [] });
    });
    const { client } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, model: 'scripted:1b', timeoutSec: 5, checkRestatements: true });
    await client.connection.sendRequest(SessionStop, { sessionId: SESSION });
    assert.equal(scripted.checks.length, 1, 'one check at stop');
    const records = (await readJournal(journalPath)).records;
    const latest = new Map(records.filter((x): x is Extract<JournalRecord, { type: 'decision' }> => x.type === 'decision').map((d) => [d.id, d]));
    assert.deepEqual([...latest.values()].filter((d) => !d.removed).map((d) => d.text), ['Ship the release on Monday']);
    const notes = fs.readFileSync(notesPath, 'utf8');
    assert.match(notes, /- Ship the release on Monday _\(found by scripted:1b, 01:45\)_/);
    // The entry folded is not among the decisions: it is struck through among the dismissed, restorable from the panel.
    assert.doesNotMatch(notes, /^- Monday is when it goes out/m);
    assert.match(notes, /^- ~~Monday is when it goes out~~ — the same as "Ship the release on Monday" _\(dismissed, 02:30\)_$/m);
    // The summary settled against the folded lists.
    assert.equal(scripted.settles.length, 1);
    assert.doesNotMatch(scripted.settles[0].user, /Monday is when it goes out/);
    assert.match(scripted.settles[0].user, /Ship the release on Monday/);
  });

  it('earshot notes --llm-endpoint: --json carries each standing and the rewrite, --md groups the decisions and marks the rewrite', async () => {
    const transcript = path.join(fx.dir, 'meeting.jsonl');
    fs.writeFileSync(transcript, LINES.map((text, k) => JSON.stringify({ t0: k * 5, t1: k * 5 + 4, speaker: k % 2 ? 'Ben' : 'Ana', text })).join('\n'));
    const scripted = await scriptedServer((r, res) => reply(res, answer(r)));
    const json = await runEarshot(['notes', transcript, '--date', '2030-01-01', '--json', '--llm-endpoint', scripted.endpoint, '--llm-model', 'scripted:1b']);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as {
      decisions: { text: string; kind: string; standing: string }[];
      actionItems: { text: string; owner: string | null; due: string | null; rewritten?: { by: string; was: { text: string; owner: string | null } } }[];
    };
    assert.deepEqual(out.decisions.map((d) => [d.text, d.standing]), [
      ['The release is for the EU market only', 'given'], ['Pricing is left for the next meeting', 'open'], ['Ship the release on Monday', 'decided'],
    ]);
    const rewritten = out.actionItems.filter((i) => i.rewritten);
    assert.equal(rewritten.length, 1, JSON.stringify(out.actionItems));
    assert.deepEqual([rewritten[0].text, rewritten[0].owner, rewritten[0].due, rewritten[0].rewritten!.by], ['Send the budget figures to finance', 'Ben', '2030-01-04', 'scripted:1b']);
    assert.match(rewritten[0].rewritten!.was.text, /budget figures/);

    const md = await runEarshot(['notes', transcript, '--date', '2030-01-01', '--md', '--llm-endpoint', scripted.endpoint, '--llm-model', 'scripted:1b']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /## Decisions\n\n### Decided\n\n- Ship the release on Monday\n\n### Left open\n\n- Pricing is left for the next meeting\n\n### Given to the team\n\n- The release is for the EU market only\n\n## Action items/);
    assert.match(md.stdout, /- \[ \] Send the budget figures to finance — @Ben, due 2030-01-04 _\(revised by scripted:1b\)_/);
  });

  it('prompt v6: a rule decision shown with its kind and standing is rewritten by the model (text, standing, kind); --json carries the words before, --md marks it revised', async () => {
    const transcript = path.join(fx.dir, 'brief.jsonl');
    fs.writeFileSync(transcript, [
      'Okay, let us start with the remote.', 'So no, we are not doing DVD, we are not doing anything else.',
      'Right, the board wants it to be television only.', 'We decided to use rubber buttons.',
    ].map((text, k) => JSON.stringify({ t0: k * 5, t1: k * 5 + 4, speaker: k % 2 ? 'Ben' : 'Ana', text })).join('\n'));
    const shown: { id: string; kind: string; standing?: string; text: string }[][] = [];
    const scripted = await scriptedServer((r, res) => {
      const lines = r.user.split('\n');
      const rules = JSON.parse(lines[lines.indexOf('Already extracted by rules (JSON):') + 1]) as { id: string; kind: string; standing?: string; text: string }[];
      shown.push(rules);
      const dvd = rules.find((x) => /DVD/.test(x.text));
      reply(res, JSON.stringify({
        actionItems: [], decisions: [], dismiss: [],
        rewrite: dvd ? [{ id: dvd.id, text: 'Television only, not DVD', standing: 'given', kind: 'decision' }] : [],
      }));
    });
    const json = await runEarshot(['notes', transcript, '--date', '2030-01-01', '--json', '--llm-endpoint', scripted.endpoint, '--llm-model', 'scripted:1b']);
    assert.equal(json.code, 0, json.stderr);
    // The model is shown each rule decision as an answer's decisions are written: its kind and its standing.
    assert.deepEqual(shown[0].filter((x) => x.kind !== 'actionItem').map((x) => [x.kind, x.standing]), [['negative', 'decided'], ['decision', 'decided']]);
    const out = JSON.parse(json.stdout) as { decisions: { text: string; kind: string; standing: string; rewritten?: { by: string; was: { text: string; kind: string; standing: string } } }[] };
    assert.deepEqual(out.decisions.map((d) => [d.text, d.kind, d.standing]), [
      ['Television only, not DVD', 'decision', 'given'], ['We decided to use rubber buttons.', 'decision', 'decided'],
    ]);
    assert.deepEqual(out.decisions[0].rewritten, { by: 'scripted:1b', was: { text: 'So no, we are not doing DVD, we are not doing anything else.', kind: 'negative', standing: 'decided' } });
    const md = await runEarshot(['notes', transcript, '--date', '2030-01-01', '--md', '--llm-endpoint', scripted.endpoint, '--llm-model', 'scripted:1b']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /### Given to the team\n\n- Television only, not DVD _\(revised by scripted:1b\)_/);
  });
  for (const carryNotes of [true, false]) {
    it(carryNotes ? 'prompt v7 at stop (carryNotes): the parts one at a time, each carrying what the parts before it noted; a decision settled later journaled and shown with its history'
      : 'v6 at stop (carryNotes off): the parts two at a time, each read alone; the restatement a second decision', async () => {
      const { journalPath, notesPath } = await interruptedSession();
      const scripted = await scriptedServer((r, res) => {
        // Part 1 leaves pricing open; part 2 settles it citing its own last line, and says it again in other words.
        const answer = r.chunk === 1
          ? { decisions: [{ text: 'Pricing is left for the next meeting', standing: 'open', kind: 'decision', segments: [r.ids[1]] }] }
          : r.chunk === 2
            ? { noted: [{ id: 'D1', segments: [r.ids[r.ids.length - 1]], standing: 'decided' }], decisions: [{ text: 'Pricing is set for the next meeting', standing: 'decided', kind: 'decision', segments: [r.ids[r.ids.length - 2]] }] }
            : {};
        setTimeout(() => reply(res, JSON.stringify({ actionItems: [], decisions: [], dismiss: [], ...answer })), 50);
      });
      const { client } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, model: 'scripted:1b', timeoutSec: 5, maxConcurrency: 2, chunkChars: 1000, carryNotes });
      await client.connection.sendRequest(SessionStop, { sessionId: SESSION });
      const requests = scripted.requests;
      assert.ok(requests.length >= 4, `${requests.length} parts`);
      const records = (await readJournal(journalPath)).records;
      const decisions = records.filter((x): x is Extract<JournalRecord, { type: 'decision' }> => x.type === 'decision');
      const notes = fs.readFileSync(notesPath, 'utf8');
      if (!carryNotes) {
        assert.equal(scripted.maxInFlight(), 2);
        assert.ok(requests.every((r) => !r.user.includes('Noted in earlier parts')));
        assert.deepEqual(decisions.map((d) => [d.id, d.standing, d.standingHistory]), [['dm1', 'open', undefined], ['dm2', 'decided', undefined]]);
        return;
      }
      assert.equal(scripted.maxInFlight(), 1, 'one part at a time, whatever maxConcurrency says');
      assert.deepEqual(requests.map((r) => r.chunk), requests.map((_, k) => k + 1), 'in order');
      assert.match(requests[0].user, /Noted in earlier parts \(JSON, one per line; all of them\):\n\(nothing yet\)/);
      assert.match(requests[1].user, /^\{"id":"D1","kind":"decision","standing":"open","text":"Pricing is left for the next meeting","said":"00:05"\}$/m);
      for (const r of requests.slice(2)) assert.match(r.user, /"id":"D1","kind":"decision","standing":"decided"/);
      // One decision: added at stop as it stands at the end, with where it stood before.
      const settles = requests[1].ids[requests[1].ids.length - 1];
      const t0 = (Number(settles.slice(2)) - 1) * 5;
      assert.deepEqual(decisions.map((d) => [d.id, d.revision, d.standing, d.kind, d.standingHistory]), [
        ['dm1', 1, 'decided', 'decision', [{ standing: 'open', segmentId: 'f-2', t0: 5 }, { standing: 'decided', segmentId: settles, t0 }]],
      ]);
      assert.ok(notes.includes(`- Pricing is left for the next meeting — left open at 00:05, decided at ${clock(t0)} _(found by scripted:1b`), notes);
    });
  }
});
