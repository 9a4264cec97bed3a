/**
 * A hostile (or prompt-injected) model's text end to end (security review 2, S5: model_inject.js, notes_escape.js):
 * the real daemon over real JSON-RPC stopping an interrupted session against the SCRIPTED chat-completions server
 * (scripted-extraction.ts), and `earshot notes --md --llm-endpoint` as a process. The model's item, owner, decision
 * and dismissal reason carry terminal escapes (OSC 52 clipboard, OSC 0 title, cursor-up, erase-line), bidi overrides
 * and Markdown images and HTML: none of it may reach the journal, the notes file or the terminal as such.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalRecord, readJournal } from '../../daemon/journal/journal';
import { CONTROL_OR_BIDI } from '../../protocol/plainText';
import { SessionStop } from '../../protocol/protocol';
import { runEarshot } from './daemon-process';
import { LINES, reply, Scripted, scriptedExtraction, SESSION } from './scripted-extraction';

const ESC = '\u001b';

/** The chunk's answer: every text it writes carries escapes, a bidi override and Markdown that would render. */
function hostile(r: Scripted): string {
  const rules = JSON.parse(r.user.split('\n')[r.user.split('\n').indexOf('Already extracted by rules (JSON):') + 1]) as { id: string; kind: string }[];
  const first = rules.find((x) => x.kind === 'actionItem');
  return JSON.stringify({
    actionItems: [{ text: `Send the budget ${ESC}]52;c;ZWNobyBwd25lZA==${ESC}\\ <script>alert(1)</script>`, owner: `Ben${ESC}[8m`, due: null, segments: [r.ids[20]] }],
    decisions: [{ text: `Ship on Monday ${ESC}]0;PWNED${ESC}\\${ESC}[2K${ESC}[1A ![logo](https://attacker.example/p.png) <img src=x>\u202eevil`, standing: 'decided', kind: 'decision', segments: [r.ids[21]] }],
    dismiss: first ? [{ id: first.id, reason: `not real ${ESC}c\u2066<img src=y>` }] : [],
    rewrite: [],
  });
}

/** A part's notes (the default settle reads them), as hostile as the chunk's answer. */
function hostilePart(r: Scripted): string {
  return JSON.stringify({ points: [{ text: `Part noted ${ESC}]52;c;cHduZWQ=${ESC}\\ ![x](https://attacker.example/q.png)\u202e<img src=z>`, cites: [r.ids[r.ids.length - 1]] }] });
}

/** The standing check's answer (on by default): point 1 written again, as hostile as the rest. */
function hostileStanding(): string {
  return JSON.stringify({ fixes: [{ point: 1, decision: 'D1', text: `Fixed ${ESC}]0;PWNED${ESC}\\ ![y](https://attacker.example/r.png) <img src=v>\u202e` }] });
}

/** Each line of `text` holds no control or bidi character (the line breaks between lines are the only ones). */
function plain(text: string, what: string): void {
  for (const line of text.split('\n')) assert.doesNotMatch(line, CONTROL_OR_BIDI, `${what}: ${JSON.stringify(line)}`);
}

describe('a hostile model\'s text (real daemon and CLI, scripted endpoint; review 2, S5)', function () {
  this.timeout(120_000);
  const fx = scriptedExtraction();
  const { interruptedSession, scriptedServer, daemon } = fx;

  it('at stop: the journal keeps the words without controls or bidi characters, and the notes file shows no image or HTML', async () => {
    const { journalPath, notesPath } = await interruptedSession();
    const scripted = await scriptedServer((r, res) => reply(res, hostile(r)), undefined, undefined, hostilePart, hostileStanding);
    const { client } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, model: 'scripted:1b', timeoutSec: 5 });
    await client.connection.sendRequest(SessionStop, { sessionId: SESSION });
    assert.equal(scripted.requests.length, 1, 'the 40 lines are one chunk');

    const records = (await readJournal(journalPath)).records;
    const byModel = records.filter((x): x is Extract<JournalRecord, { type: 'actionItem' | 'decision' }> => (x.type === 'actionItem' || x.type === 'decision') && (x.refinedBy === 'scripted:1b' || x.dismissed !== undefined));
    const texts = byModel.flatMap((x) => [x.text, ...(x.type === 'actionItem' && x.owner ? [x.owner] : []), ...(x.dismissed ? [x.dismissed.reason] : [])]);
    assert.ok(texts.some((t) => t.startsWith('Send the budget')) && texts.some((t) => t.startsWith('Ship on Monday')) && texts.some((t) => t.startsWith('not real')), JSON.stringify(texts));
    for (const t of texts) plain(t, 'journal');
    // The part's notes the settle reads are journaled plain too.
    const parts = records.filter((x): x is Extract<JournalRecord, { type: 'partNotes' }> => x.type === 'partNotes');
    assert.equal(parts.length, scripted.parts.length);
    assert.ok(parts.length >= 1 && parts.every((p) => p.points.every((pt) => pt.text.startsWith('Part noted'))), JSON.stringify(parts));
    for (const p of parts) for (const pt of p.points) plain(pt.text, 'journal (part notes)');
    // The settled summary's point the standing check wrote again is journaled plain.
    assert.equal(scripted.standingChecks.length, 1);
    const settled = records.filter((x): x is Extract<JournalRecord, { type: 'summary' }> => x.type === 'summary').pop()!;
    assert.ok(settled.settled && settled.points[0].text.startsWith('Fixed'), JSON.stringify(settled));
    for (const pt of settled.points) plain(pt.text, 'journal (settled summary)');

    const notes = fs.readFileSync(notesPath, 'utf8');
    plain(notes, 'notes file');
    assert.doesNotMatch(notes, /!\[|(?<!\\)<(img|script)/, 'no image or HTML renders');
    assert.match(notes, /Ship on Monday/);
  });

  it('earshot notes --md: stdout carries no control or bidi character, and its Markdown shows no image or HTML', async () => {
    const transcript = path.join(fx.dir, 'meeting.jsonl');
    fs.writeFileSync(transcript, LINES.map((text, k) => JSON.stringify({ t0: k * 5, t1: k * 5 + 4, speaker: k % 2 ? 'Ben' : 'Ana', text })).join('\n'));
    const scripted = await scriptedServer((r, res) => reply(res, hostile(r)));
    const md = await runEarshot(['notes', transcript, '--date', '2030-01-01', '--md', '--llm-endpoint', scripted.endpoint, '--llm-model', 'scripted:1b']);
    assert.equal(md.code, 0, md.stderr);
    plain(md.stdout, 'stdout');
    assert.doesNotMatch(md.stdout, /!\[|(?<!\\)<(img|script|\/script)/, md.stdout);
    for (const words of ['- Ship on Monday ', '- [ ] Send the budget ', '— @Ben', '— not real']) assert.ok(md.stdout.includes(words), `${words} in\n${md.stdout}`);
  });
});
