import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Io, main } from '../../daemon/cli';
import { parseTranscript, summaryMarkdown } from '../../daemon/cli/notes';
import { NO_SUMMARY, noSummary } from '../../daemon/documents/summarySection';
import { extract } from '../../daemon/understanding/extract';
import { extractTranscriptWithModel, withLineIds } from '../../daemon/understanding/modelTranscript';
import { Chat, RefineFailure } from '../../daemon/understanding/providers';
import { CONTROL_OR_BIDI } from '../../protocol/plainText';
import { fixture, REPO_ROOT } from '../setup';
import { chatServer, userMessage } from '../support/chat-server';

interface Captured { code: number; out: string[]; err: string[] }

async function cli(...argv: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(argv, io);
  return { code, out, err };
}

const EXPECTED = {
  actionItems: [
    { text: 'Sam, can you update the docs?', owner: 'Sam', due: null, t0: 0.5 },
    { text: "I'll fix the login timeout by Friday.", owner: 'Bob', due: '2025-03-07', t0: 6.544 },
  ],
  decisions: [{ text: 'We decided to ship version two on Monday.', kind: 'decision', standing: 'decided', t0: 14.053 }],
  meetingDate: { date: '2025-03-05', from: 'option', known: true },
};

describe('CLI (main)', () => {
  let dir: string;
  let jsonl: string;
  let plain: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-cli-'));
    jsonl = path.join(dir, 'transcript.jsonl');
    fs.writeFileSync(jsonl, [
      { t0: 0.5, t1: 5.744, speaker: 'Alice', text: 'Morning everyone. Sam, can you update the docs?' },
      { t0: 6.544, t1: 13.353, speaker: 'Bob', text: "Um, so, yeah. I found the problem with the session token. I'll fix the login timeout by Friday." },
      { t0: 14.053, t1: 19.024, speaker: 'Carol', text: 'Great, thanks. We decided to ship version two on Monday.' },
      { t0: 20.024, t1: 23.836, speaker: 'Alice', text: 'Okay, sounds good. Is anything blocking anyone?' },
    ].map((o) => JSON.stringify(o)).join('\n') + '\n');
    plain = path.join(dir, 'transcript.txt');
    fs.writeFileSync(plain, [
      'Alice: Morning everyone. Sam, can you update the docs?',
      '',
      "Bob: Um, so, yeah. I found the problem with the session token. I'll fix the login timeout by Friday.",
      'Carol: Great, thanks. We decided to ship version two on Monday.',
      'Alice: Okay, sounds good. Is anything blocking anyone?',
    ].join('\r\n'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('notes', () => {
    /** A transcript of `said`, Ana and Ben in turn, 30 s apart. */
    const writeSaid = (name: string, said: readonly string[]) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, said.map((text, k) => JSON.stringify({ t0: k * 30, t1: k * 30 + 20, speaker: k % 2 ? 'Ben' : 'Ana', text })).join('\n') + '\n');
      return file;
    };
    /** `earshot notes FILE --json ARGS… --llm-endpoint ENDPOINT` succeeds: its printed JSON. */
    const notesJson = async <T>(file: string, args: readonly string[], endpoint: string): Promise<T> => {
      const out: string[] = [], err: string[] = [];
      const code = await main(['notes', file, '--json', '--date', '2030-01-07', ...args, '--llm-endpoint', endpoint], { out: (l) => out.push(l), err: (l) => err.push(l), tty: false });
      assert.equal(code, 0, err.join('\n'));
      return JSON.parse(out.join('\n')) as T;
    };
    /** `earshot notes FILE ARGS…` refuses the arguments (exit 2) and says `says`. */
    const assertRefused = async (file: string, args: readonly string[], says: RegExp) => {
      const usage: string[] = [];
      assert.equal(await main(['notes', file, ...args], { out: () => undefined, err: (l) => usage.push(l), tty: false }), 2);
      assert.match(usage.join('\n'), says);
    };
    /**
     * A server answering the rolling summary with no point, a check at stop (its system prompt starting `check.system`)
     * with `check.answer`, its prompts kept in `asked`, and every part of the meeting with `part`.
     */
    const checkServer = async (check: { system: string; answer: object }, part: object) => {
      const asked: string[] = [];
      const server = await chatServer((body) => {
        const { messages } = JSON.parse(body) as { messages: { content: string }[] };
        const [system, user] = [messages[0].content, messages[messages.length - 1].content];
        if (/"points"/.test(system)) return JSON.stringify({ points: [] });
        if (!system.startsWith(check.system)) return JSON.stringify(part);
        asked.push(user);
        return JSON.stringify(check.answer);
      });
      return { server, asked };
    };

    it('prints exactly the action items and decisions of a JSON-lines transcript', async () => {
      const r = await cli('notes', jsonl, '--date', '2025-03-05');
      assert.equal(r.code, 0, r.err.join('\n'));
      assert.deepEqual(r.err, []);
      assert.equal(r.out.length, 1, 'one line of JSON');
      assert.equal(r.out[0], JSON.stringify(EXPECTED));
      const parsed = JSON.parse(r.out[0]);
      assert.deepEqual(Object.keys(parsed), ['actionItems', 'decisions', 'meetingDate']);
      for (const i of parsed.actionItems) assert.deepEqual(Object.keys(i), ['text', 'owner', 'due', 't0']);
      for (const d of parsed.decisions) assert.deepEqual(Object.keys(d), ['text', 'kind', 'standing', 't0']);
    });

    it('prints the same from a "Speaker: text" transcript, with null times', async () => {
      const r = await cli('notes', plain, '--json', '--date', '2025-03-05');
      assert.equal(r.code, 0, r.err.join('\n'));
      assert.equal(r.out.length, 1);
      assert.equal(r.out[0], JSON.stringify({
        actionItems: EXPECTED.actionItems.map((i) => ({ ...i, t0: null })),
        decisions: EXPECTED.decisions.map((d) => ({ ...d, t0: null })),
        meetingDate: EXPECTED.meetingDate,
      }));
    });

    it('prints Markdown with --md', async () => {
      const r = await cli('notes', jsonl, '--md', '--date', '2025-03-05');
      assert.equal(r.code, 0);
      const text = r.out.join('\n');
      assert.match(text, /## Decisions\n\n### Decided\n\n- We decided to ship version two on Monday\.\n\n## Action items/);
      assert.ok(text.includes("- [ ] I'll fix the login timeout by Friday. — @Bob, due 2025-03-07"));
      assert.ok(text.includes('- [ ] Sam, can you update the docs? — @Sam'));
    });

    describe('a hostile model\'s text (review 2, S5: model_inject.js)', () => {
      const ESC = '\u001b';
      const OSC_TITLE = `${ESC}]0;PWNED${ESC}\\${ESC}[2K${ESC}[1A`;
      /** Answers the summary with a point, and the extraction with an item, a decision and a dismissal, all carrying escapes and Markdown. */
      const hostile = (body: string): string => {
        const { messages } = JSON.parse(body) as { messages: { content: string }[] };
        const [system, user] = [messages[0].content, messages[messages.length - 1].content];
        const lines = [...user.matchAll(/^\[(l-\d+)\]/gm)].map((m) => m[1]);
        if (/"points"/.test(system)) return JSON.stringify({ points: [{ text: `Overview ${ESC}[31mred${ESC}[0m ![x](https://attacker.example/s.png)`, cites: lines.slice(0, 1) }] });
        // The checks at stop: ids that name nothing shown (refused), text that is never printed.
        if (!/^Already extracted by rules/m.test(user)) return JSON.stringify({ notDecisions: [`D1${ESC}[31m`, '<img src=z>'], owners: [] });
        const rules = JSON.parse(/^Already extracted by rules \(JSON\):\n(.*)$/m.exec(user)![1]) as { id: string }[];
        return JSON.stringify({
          actionItems: [{ text: `Send the budget ${ESC}]52;c;ZWNobyBwd25lZA==${ESC}\\ <script>alert(1)</script>`, owner: `Ben${ESC}[8m`, due: null, segments: lines.slice(1, 2) }],
          decisions: [{ text: `Ship on Monday ${OSC_TITLE} ![logo](https://attacker.example/p.png) <img src=x>\u202e`, standing: 'decided', segments: lines.slice(0, 1) }],
          dismiss: rules.slice(0, 1).map((r) => ({ id: r.id, reason: `not real ${ESC}c<img src=y>` })), rewrite: [],
        });
      };
      let transcript: string;
      before(() => {
        transcript = path.join(dir, 'hostile.jsonl');
        fs.writeFileSync(transcript, ['We agreed to ship the release on Monday.', 'Ben will send the budget figures to finance by Friday.', 'Ana will book the room tomorrow.', 'No, thanks everyone.']
          .map((text, k) => JSON.stringify({ t0: k * 5, t1: k * 5 + 4, speaker: k % 2 ? 'Ben' : 'Ana', text })).join('\n') + '\n');
      });

      for (const tty of [false, true]) {
        it(`--md ${tty ? 'on a terminal' : 'to a file'}: no control or bidi character, and Markdown that cannot show an image or HTML`, async () => {
          const server = await chatServer(hostile);
          try {
            const out: string[] = [], err: string[] = [];
            const code = await main(['notes', transcript, '--md', '--date', '2030-01-07', '--llm-endpoint', server.endpoint], { out: (l) => out.push(l), err: (l) => err.push(l), tty });
            assert.equal(code, 0, err.join('\n'));
            const text = out.join('\n');
            for (const line of text.split('\n')) assert.doesNotMatch(line, CONTROL_OR_BIDI, JSON.stringify(line));
            assert.doesNotMatch(text, /!\[|(?<!\\)<(img|script|\/script)/, text);
            for (const words of ['- Overview ', '- Ship on Monday ', '- [ ] Send the budget ', '— @Ben', '## Dismissed by the language model', '— not real']) {
              assert.ok(text.includes(words), `${words} in\n${text}`);
            }
          } finally {
            server.close();
          }
        });
      }
    });

    it('--carry-notes (prompt v7, issue 56): a later part settles what an earlier one left open, and --md shows when', async () => {
      // Long enough for two parts (6000 characters each): the DVD question is put off in the first, settled in the second.
      const said = Array.from({ length: 100 }, (_, k) => (k === 0 ? 'DVD, hmm, no idea yet, nobody knows.'
        : k === 80 ? 'Right, DVD goes in, and we build the menu round it.' : `Line ${k} about the remote's case, its colours and its buttons, said at some length.`));
      const file = path.join(dir, 'carried.jsonl');
      fs.writeFileSync(file, said.map((text, k) => JSON.stringify({ t0: k * 30, t1: k * 30 + 20, speaker: k % 2 ? 'Ben' : 'Ana', text })).join('\n') + '\n');
      const users: string[] = [];
      const server = await chatServer((body) => {
        const { messages } = JSON.parse(body) as { messages: { content: string }[] };
        const [system, user] = [messages[0].content, messages[messages.length - 1].content];
        if (/"points"/.test(system)) return JSON.stringify({ points: [] });
        if (!/Part \d+ of \d+\./.test(user)) return JSON.stringify({ notDecisions: [], owners: [] }); // the checks at stop
        users.push(user);
        const settles = /^\[(l-\d+)\] .*DVD goes in/m.exec(user)?.[1];
        if (settles) return JSON.stringify({ noted: [{ id: 'D1', segments: [settles], standing: 'decided' }] });
        return JSON.stringify({ decisions: /^\[l-1\] /m.test(user) ? [{ text: 'DVD support', standing: 'open', kind: 'decision', segments: ['l-1'] }] : [] });
      });
      try {
        const out: string[] = [], err: string[] = [];
        const code = await main(['notes', file, '--md', '--date', '2030-01-07', '--carry-notes', '--llm-endpoint', server.endpoint], { out: (l) => out.push(l), err: (l) => err.push(l), tty: false });
        assert.equal(code, 0, err.join('\n'));
        assert.ok(users.length >= 2 && users.every((u, k) => u.includes(`Part ${k + 1} of ${users.length}.`)), users.map((u) => u.split("\n").slice(0, 3).join(" / ")).join("\n"));
        assert.match(users[1], /"id":"D1","kind":"decision","standing":"open","text":"DVD support"/);
        assert.match(out.join('\n'), /### Decided\n\n- DVD support — left open at 00:00, decided at 40:00/);
        await assertRefused(file, ['--carry-notes'], /--carry-notes and --no-carry-notes go with --local or --llm-endpoint/);
      } finally {
        server.close();
      }
    });

    it('with a model, the notes taken on each part come with the summary: in --json by their first and last line, in --md folded under it as the notes file folds them', async () => {
      // Long enough for two parts (6000 characters each); each part's notes cite its first line, the settle the meeting's first.
      const file = writeSaid('parts.jsonl', Array.from({ length: 100 }, (_, k) => `Line ${k} about the remote's case, its colours and its buttons, said at some length.`));
      const server = await chatServer((body) => {
        const { messages } = JSON.parse(body) as { messages: { content: string }[] };
        const [system, user] = [messages[0].content, messages[messages.length - 1].content];
        if (/^You take notes on one part of a meeting/.test(system)) {
          const first = /^\[(l-\d+)\] /m.exec(user)![1];
          return JSON.stringify({ points: [{ text: `From ${first}: the <case> *colours*`, cites: [first] }] });
        }
        if (/^You keep the summary/.test(system)) return JSON.stringify({ points: /^The meeting has ended/m.test(user) ? [{ text: 'The case was discussed.', cites: ['l-1'] }] : [] });
        if (/^You check the settled summary/.test(system)) return JSON.stringify({ fixes: [] });
        return JSON.stringify({ actionItems: [], decisions: [], dismiss: [], notDecisions: [], owners: [], same: [] });
      });
      try {
        const json = await notesJson<{ summary: unknown[]; summaryParts: { from: string; to: string; points: { text: string; cites: string[] }[] }[] }>(file, [], server.endpoint);
        assert.deepEqual(json.summary, [{ text: 'The case was discussed.', cites: ['l-1'] }]);
        assert.ok(json.summaryParts.length >= 2, JSON.stringify(json.summaryParts));
        json.summaryParts.forEach((p, k) => {
          assert.deepEqual(p.points, [{ text: `From ${p.from}: the <case> *colours*`, cites: [p.from] }]);
          assert.ok(Number(p.to.slice(2)) > Number(p.from.slice(2)), `${p.from}–${p.to}`);
          if (k) assert.ok(Number(p.from.slice(2)) <= Number(json.summaryParts[k - 1].to.slice(2)) + 1, 'the parts follow one another (overlapping by a few lines)');
        });
        assert.equal(json.summaryParts[0].from, 'l-1');
        assert.equal(json.summaryParts.at(-1)!.to, 'l-100');
        const out: string[] = [], err: string[] = [];
        assert.equal(await main(['notes', file, '--md', '--date', '2030-01-07', '--llm-endpoint', server.endpoint], { out: (l) => out.push(l), err: (l) => err.push(l), tty: false }), 0, err.join('\n'));
        const md = out.join('\n');
        const at = (id: string) => { const k = Number(id.slice(2)) - 1; return `${String(Math.floor(k * 30 / 60)).padStart(2, '0')}:${String(k * 30 % 60).padStart(2, '0')}`; };
        const fold = md.slice(md.indexOf('<details>'), md.indexOf('</details>') + '</details>'.length);
        assert.equal(fold, [`<details><summary>Part by part: the notes test took on each of the meeting's ${json.summaryParts.length} parts as it read them</summary>`,
          ...json.summaryParts.flatMap((p) => ['', `**${at(p.from)}–${at(p.to)}**`, '', `- From ${p.from}: the \\<case\\> \\*colours\\* _(${at(p.from)})_`]), '', '</details>'].join('\n'));
        assert.ok(md.indexOf('- The case was discussed.') < md.indexOf('<details>') && md.indexOf('</details>') < md.indexOf('## Decisions'), 'under the summary, before the decisions');
      } finally {
        server.close();
      }
    });

    it('the restatement check at stop (issue 56, on by default): one more call reads the final lists and what it folds is printed once; --no-check-restatements asks none', async () => {
      const file = writeSaid('restated.jsonl', ['The remote will be universal.', 'Fine by me.', 'So it works with every TV brand.', 'Yes.']);
      const { server, asked: checks } = await checkServer(
        { system: 'You check the final notes', answer: { same: [{ keep: 'D1', fold: ['D2'], text: 'The remote will be universal: it works with every TV brand' }] } },
        { decisions: [
          { text: 'The remote will be universal', standing: 'decided', kind: 'decision', segments: ['l-1'] },
          { text: 'It works with every TV brand', standing: 'decided', kind: 'decision', segments: ['l-3'] },
        ] });
      try {
        for (const off of [false, true]) {
          checks.length = 0;
          const printed = await notesJson<{ decisions: { text: string }[] }>(file, off ? ['--no-check-restatements'] : [], server.endpoint);
          assert.equal(checks.length, off ? 0 : 1);
          if (!off) assert.match(checks[0], /"id":"D2","standing":"decided","text":"It works with every TV brand"/);
          assert.deepEqual(printed.decisions.map((d) => d.text), off ? ['The remote will be universal', 'It works with every TV brand'] : ['The remote will be universal: it works with every TV brand']);
        }
        for (const [args, says] of [[['--check-restatements'], /--check-restatements and --no-check-restatements go with --local or --llm-endpoint/],
          [['--check-restatements', '--no-check-restatements', '--llm-endpoint', server.endpoint], /choose one of --check-restatements and --no-check-restatements/],
          [['--check-restatements', '--no-carry-notes', '--llm-endpoint', server.endpoint], /--check-restatements needs carried notes/]] as const) {
          await assertRefused(file, args, says);
        }
      } finally {
        server.close();
      }
    });

    it('the owner check at stop (issue 56, on by default): one more call names the owner an item was left without; --no-check-owners asks none', async () => {
      // Nothing the rules find: the model notes the item, without its owner.
      const file = writeSaid('owners.jsonl', ['For next time, the components concept is yours.', 'Sure, no problem.', 'Great.']);
      const { server, asked: checks } = await checkServer(
        { system: 'You read the action items of a meeting that were noted without an owner', answer: { owners: [{ id: 'A1', owner: 'Ben' }] } },
        { actionItems: [{ text: 'Work out the components concept', owner: null, due: null, segments: ['l-1', 'l-2'] }], decisions: [] });
      try {
        for (const off of [false, true]) {
          checks.length = 0;
          const printed = await notesJson<{ actionItems: { text: string; owner: string | null }[] }>(file, off ? ['--no-check-owners'] : [], server.endpoint);
          assert.equal(checks.length, off ? 0 : 1);
          if (!off) assert.match(checks[0], /^> \[l-2\] Ben: Sure, no problem\.$/m);
          assert.deepEqual(printed.actionItems.map((i) => [i.text, i.owner]), [['Work out the components concept', off ? null : 'Ben']]);
        }
        for (const [args, says] of [[['--check-owners'], /--check-owners and --no-check-owners go with --local or --llm-endpoint/],
          [['--check-owners', '--no-check-owners', '--llm-endpoint', server.endpoint], /choose one of --check-owners and --no-check-owners/],
          [['--check-owners', '--no-carry-notes', '--llm-endpoint', server.endpoint], /--check-owners needs carried notes/]] as const) {
          await assertRefused(file, args, says);
        }
      } finally {
        server.close();
      }
    });

    it('the decision check at stop (issue 56, on by default): drops a decision the lines show the group did not reach; --no-check-procedure keeps it', async () => {
      const file = writeSaid('procedure.jsonl', ['We go into private session now.', 'Amendment 2E is not agreed.', 'Thank you.']);
      const { server, asked: checks } = await checkServer(
        { system: 'You check the decisions noted in a meeting', answer: { notDecisions: ['D1'] } },
        { actionItems: [], decisions: [
          { text: 'The committee goes into private session', kind: 'decision', standing: 'decided', segments: ['l-1'] },
          { text: 'Amendment 2E is not agreed', kind: 'decision', standing: 'decided', segments: ['l-2'] },
        ] });
      try {
        for (const on of [false, true]) {
          checks.length = 0;
          const printed = await notesJson<{ decisions: { text: string }[] }>(file, on ? [] : ['--no-check-procedure'], server.endpoint);
          assert.equal(checks.length, on ? 1 : 0);
          if (on) assert.match(checks[0], /Decision D1 \(decided\): "The committee goes into private session"[^\n]*\n> \[l-1\] /);
          assert.deepEqual(printed.decisions.map((d) => d.text), [...(on ? [] : ['The committee goes into private session']), 'Amendment 2E is not agreed']);
        }
        // Decisions past its bounds (40 decisions, 28,000 characters with their lines) stand unchecked, and stderr says how many.
        const many = await checkServer({ system: 'You check the decisions noted in a meeting', answer: { notDecisions: [] } },
          { actionItems: [], decisions: Array.from({ length: 50 }, (_, k) => ({ text: `Motion ${k + 1} is agreed: ${'the committee backs the amendment as tabled '.repeat(6)}`, kind: 'decision', standing: 'decided', segments: ['l-2'] })) });
        try {
          const err: string[] = [];
          assert.equal(await main(['notes', file, '--json', '--date', '2030-01-07', '--check-procedure', '--llm-endpoint', many.server.endpoint], { out: () => undefined, err: (l) => err.push(l), tty: false }), 0);
          const unasked = /earshot: language model: (\d+) decision\(s\) did not fit the decision check's bounds and were not checked/.exec(err.join('\n'));
          assert.ok(unasked && Number(unasked[1]) > 0, err.join('\n'));
          // Each step after the chunks is said as it starts (stderr, fixed words), after the chunks' count.
          const said = err.filter((l) => /^earshot: language model: (\d+ chunks? done|checking|settling|finding|revising)/.test(l));
          // (50 decisions are past the restatement check's bounds: it asks nothing and is not said; no summary came back:
          // no settle is said.)
          assert.deepEqual(said, ['earshot: language model: 1 chunk done', 'earshot: language model: revising the summary part by part',
            'earshot: language model: checking each decision against its lines', 'earshot: language model: 1 chunk done'], err.join('\n'));
        } finally {
          many.server.close();
        }
        for (const [args, says] of [[['--check-procedure'], /--check-procedure and --no-check-procedure go with --local or --llm-endpoint/],
          [['--check-procedure', '--no-check-procedure', '--llm-endpoint', server.endpoint], /choose one of --check-procedure and --no-check-procedure/],
          [['--check-procedure', '--no-carry-notes', '--llm-endpoint', server.endpoint], /--check-procedure needs carried notes/]] as const) {
          await assertRefused(file, args, says);
        }
      } finally {
        server.close();
      }
    });

    it('prints empty lists for a transcript with nothing to do', async () => {
      const file = path.join(dir, 'chat.txt');
      fs.writeFileSync(file, 'Bob: Nope, I think we are fine.\nCarol: Same here. Thanks, everyone.\n');
      fs.utimesSync(file, new Date('2024-01-15T10:00:00'), new Date('2024-01-15T10:00:00'));
      const r = await cli('notes', file);
      assert.equal(r.code, 0);
      assert.deepEqual(r.out, ['{"actionItems":[],"decisions":[],"meetingDate":{"date":"2024-01-15","from":"file time","known":false}}']);
    });

    it('exits 1 with a clear message for a missing file', async () => {
      const missing = path.join(dir, 'nope.jsonl');
      const r = await cli('notes', missing);
      assert.equal(r.code, 1);
      assert.deepEqual(r.out, []);
      assert.equal(r.err.length, 1);
      assert.equal(r.err[0], `earshot: cannot read ${missing}: no such file`);
    });

    it('exits 1 naming the line of a broken JSON-lines transcript', async () => {
      const file = path.join(dir, 'broken.jsonl');
      fs.writeFileSync(file, '{"text":"fine","t0":1}\n{"text": broken\n');
      const r = await cli('notes', file);
      assert.equal(r.code, 1);
      assert.match(r.err.join('\n'), /broken\.jsonl line 2 is not valid JSON/);
      fs.writeFileSync(file, '{"t0":1}\n');
      const r2 = await cli('notes', file);
      assert.equal(r2.code, 1);
      assert.match(r2.err.join('\n'), /line 1 has no "text" string/);
    });

    it('--chunk-chars N: the model reads the transcript in parts of at most N characters; a size out of range, or without a model, is refused', async () => {
      const file = writeSaid('sized.jsonl', Array.from({ length: 60 }, (_, k) => `Line ${k} about the remote's case, its colours and its buttons, said at some length.`));
      const parts: string[] = [];
      const server = await chatServer((body) => {
        const { messages } = JSON.parse(body) as { messages: { content: string }[] };
        const [system, user] = [messages[0].content, messages[messages.length - 1].content];
        if (/^You take notes on one part of a meeting/.test(system)) parts.push(user);
        if (/"points"/.test(system)) return JSON.stringify({ points: [] });
        return JSON.stringify({ actionItems: [], decisions: [], dismiss: [], notDecisions: [], owners: [], same: [], fixes: [] });
      });
      try {
        const partLines = (user: string) => user.split('\n').filter((l) => /^\[l-\d+\] /.test(l));
        await notesJson(file, [], server.endpoint);
        const byDefault = parts.splice(0);
        await notesJson(file, ['--chunk-chars', '1500'], server.endpoint);
        assert.ok(parts.length > byDefault.length && parts.length >= 3, `${byDefault.length} parts by default, ${parts.length} at 1500`);
        for (const user of parts) assert.ok(partLines(user).join('\n').length <= 1500, `a part of at most 1500 characters: ${partLines(user).length} lines`);
        assert.ok(byDefault.some((user) => partLines(user).join('\n').length > 1500), 'the default reads more at once');
      } finally {
        server.close();
      }
      await assertRefused(file, ['--chunk-chars', '999', '--llm-endpoint', 'http://127.0.0.1:9'], /--chunk-chars must be a whole number of characters from 1000 to 100000/);
      await assertRefused(file, ['--chunk-chars', 'big', '--llm-endpoint', 'http://127.0.0.1:9'], /--chunk-chars must be a whole number/);
      await assertRefused(file, ['--chunk-chars', '2000'], /--chunk-chars goes with --local or --llm-endpoint/);
    });

    it('--md without a model says plainly there is no summary, as the notes file does', async () => {
      const r = await cli('notes', jsonl, '--md', '--date', '2025-03-05');
      assert.equal(r.code, 0);
      const text = r.out.join('\n');
      assert.ok(text.startsWith(`## Summary\n\n${noSummary('`--local` or `--llm-endpoint URL`')}\n\n## Decisions`), text);
      assert.match(NO_SUMMARY, /^_No summary: Earshot writes one with a language model you choose \(setting/);
    });

    it('with a model: the summary rolled over every chunk, citing line ids; Markdown cites times, else line numbers', async () => {
      const lines = withLineIds(parseTranscript(fs.readFileSync(plain, 'utf8'), plain));
      const asked: string[] = [];
      const failures: string[] = [];
      const said: Record<string, string> = { 'l-1': 'Sam updates the docs.', 'l-2': 'The login timeout gets fixed by Friday.', 'l-3': 'Version two ships Monday.' };
      // The summary so far kept, and a point for each new line that says something (with a cite of no line, dropped).
      const chat: Chat = async (system, user) => {
        if (!system.startsWith('You keep the summary')) return { text: '{"actionItems":[],"decisions":[],"dismiss":[]}', model: 'scripted:1b' };
        asked.push(user);
        const sofar = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(user)![1]) as { points: { text: string; cites: string[] }[] }).points;
        const cited = new Set(sofar.flatMap((p) => p.cites));
        const added = [...user.matchAll(/^\[(l-\d+)\]/gm)].map((m) => m[1]).filter((id) => said[id] && !cited.has(id)).map((id) => ({ text: said[id], cites: [id, 'l-99'] }));
        return { text: JSON.stringify({ points: [...sofar, ...added] }), model: 'scripted:1b' };
      };
      const settings = { provider: 'openai-compatible' as const, endpoint: 'http://127.0.0.1:9', chunkChars: 150 };
      const found = extract(lines, new Date('2025-03-05T09:00:00'));
      const result = await extractTranscriptWithModel(lines, found, new Date('2025-03-05T09:00:00'), settings, () => undefined, undefined, chat, { report: (r) => failures.push(`${'settle' in r ? 'settle' : 'chunk' in r ? r.chunk : 'restatements'} ${r.outcome} ${r.reason}`) });
      // One call per chunk, then the settle over the summary and the final lists (it keeps the points: all are cited).
      const settle = asked.pop()!;
      assert.match(settle, /^The meeting has ended/m);
      assert.ok(asked.length >= 2, `one summary call per chunk: ${asked.length}`);
      assert.deepEqual(result.summary, ['l-1', 'l-2', 'l-3'].map((id) => ({ text: said[id], segmentIds: [id] })));
      assert.equal(result.summaryBy, 'scripted:1b');
      assert.deepEqual(result.summarySettle, { settled: true });
      assert.deepEqual(failures, [...asked.map((_, k) => `${k + 1} applied undefined`), 'settle applied undefined']);
      const points = result.summary.map((p) => ({ text: p.text, cites: p.segmentIds }));
      assert.deepEqual(summaryMarkdown(points, result.summaryBy, lines), [
        '_Written by scripted:1b (opt-in language model) from the transcript, settled at the end against the decisions and action items; each point ends with the lines it comes from._', '',
        '- Sam updates the docs. _(line 1)_', '- The login timeout gets fixed by Friday. _(line 2)_', '- Version two ships Monday. _(line 3)_',
      ]);
      const timed = lines.map((l, k) => ({ ...l, t0: 60 + k * 15 }));
      assert.equal(summaryMarkdown(points, 'scripted:1b', timed)[4], '- Version two ships Monday. _(01:30)_');
      assert.match(summaryMarkdown([], 'scripted:1b', lines)[0], /^_No summary: the language model wrote none/);

      // A summary call that fails is reported by chunk and reason (the CLI says it on stderr); a declined run asks for none.
      const failed: string[] = [];
      const failing = await extractTranscriptWithModel(lines, found, new Date(), settings, () => undefined, undefined,
        async (system) => { if (system.startsWith('You keep')) throw new Error('Bob: I will fix the login'); return { text: '{}', model: 'm' }; }, { report: (r) => failed.push(`${'settle' in r ? 'settle' : 'chunk' in r ? r.chunk : 'restatements'} ${r.reason}`) });
      assert.deepEqual(failing.summary, []);
      assert.equal(failing.summaryBy, undefined);
      assert.deepEqual(failed, asked.map((_, k) => `${k + 1} error`));
      // A settle that fails leaves the last rolling summary, and the Markdown says it was not settled and why.
      const settleFails: Chat = async (system, user, signal, constraint) => {
        if (/^The meeting has ended/m.test(user)) throw new Error('Bob: I will fix the login');
        return chat(system, user, signal, constraint);
      };
      const unsettled = await extractTranscriptWithModel(lines, found, new Date(), settings, () => undefined, undefined, settleFails, { report: () => undefined });
      assert.deepEqual(unsettled.summary, result.summary);
      assert.deepEqual(unsettled.summarySettle, { settled: false, unsettled: 'error' });
      assert.match(summaryMarkdown(points, 'scripted:1b', lines, 'error')[0],
        /^_Written by scripted:1b \(opt-in language model\) as the meeting ran, and not settled at the end against the final decisions and action items \(error\): where it differs from them, they stand;/);
      asked.length = 0;
      const declined = await extractTranscriptWithModel(lines, found, new Date(), settings, () => undefined, undefined,
        async () => { throw new RefineFailure('the client declined'); }, { report: () => assert.fail('no summary call') });
      assert.deepEqual([declined.summary, asked], [[], []]);
      // Not asked for (the evals replay recorded extraction answers only): no summary call.
      const without = await extractTranscriptWithModel(lines, found, new Date(), settings, () => undefined, undefined, chat);
      assert.deepEqual([without.summary, asked], [[], []]);
    });

    for (const [label, argv] of [
      ['no transcript', ['notes']],
      ['two transcripts', ['notes', 'a.txt', 'b.txt']],
      ['both --json and --md', ['notes', 'a.txt', '--json', '--md']],
      ['an unknown option', ['notes', 'a.txt', '--bogus']],
      ['a bad date', ['notes', 'a.txt', '--date', 'yesterday']],
      ['a missing option value', ['notes', 'a.txt', '--date']],
    ] as const) {
      it(`exits 2 with usage for ${label}`, async () => {
        const r = await cli(...argv);
        assert.equal(r.code, 2);
        assert.deepEqual(r.out, []);
        const err = r.err.join('\n');
        assert.match(err, /^earshot: /);
        assert.match(err, /Usage:/);
      });
    }
  });

  describe('notes: the meeting date of a transcript that says none', () => {
    const changed = new Date('2024-01-15T10:00:00');
    const undated = () => {
      const file = path.join(dir, 'undated.txt');
      fs.writeFileSync(file, 'Bob: I will send the budget figures tomorrow.\nCarol: We decided to ship on Monday.\n');
      fs.utimesSync(file, changed, changed);
      return file;
    };

    it('takes the date the format carries (an Earshot JSON export), else the one in an Earshot file name, else the file\'s time, marked unknown', async () => {
      const exported = path.join(dir, 'export.json');
      fs.writeFileSync(exported, JSON.stringify({ session: { id: 'x', title: 'T', startedAt: '2023-05-02T14:30:00.000Z' }, segments: [
        { segmentId: 's-1', t0: 1, t1: 2, source: 'mic', speaker: 'Bob', text: 'I will send the budget figures tomorrow.' },
      ] }, null, 2));
      fs.utimesSync(exported, changed, changed);
      const fromExport = JSON.parse((await cli('notes', exported, '--json')).out[0]);
      assert.deepEqual(fromExport.meetingDate, { date: '2023-05-02', from: 'transcript', known: true });
      assert.equal(fromExport.actionItems[0].due, '2023-05-03', '"tomorrow" from the meeting\'s own date');
      assert.equal(fromExport.actionItems[0].t0, 1);

      const named = path.join(dir, '2023-07-04-0930-standup.txt');
      fs.copyFileSync(undated(), named);
      fs.utimesSync(named, changed, changed);
      const fromName = await cli('notes', named, '--json');
      assert.deepEqual(JSON.parse(fromName.out[0]).meetingDate, { date: '2023-07-04', from: 'file name', known: true });
      assert.deepEqual(fromName.err, [], 'a date that is known says nothing');

      const fromTime = await cli('notes', undated(), '--json');
      const parsed = JSON.parse(fromTime.out[0]);
      assert.deepEqual(parsed.meetingDate, { date: '2024-01-15', from: 'file time', known: false });
      assert.equal(parsed.actionItems[0].due, '2024-01-16', 'the rules read "tomorrow" from the day the file was last changed, not today');
      assert.match(fromTime.err.join('\n'), /says no meeting date: relative due dates are read from the day the file was last changed, 2024-01-15 \(give --date YYYY-MM-DD\)/);
    });

    it('tells the language model the date is not known and which day relative dates are read from, never the time of the run; --date is told as it is', async () => {
      const server = await chatServer('{"actionItems":[],"decisions":[],"dismiss":[],"rewrite":[]}');
      try {
        const r = await cli('notes', undated(), '--json', '--llm-endpoint', server.endpoint);
        assert.equal(r.code, 0, r.err.join('\n'));
        assert.match(r.err.join('\n'), /and the language model is told that the date is not known/);
        // The decision check at stop reads decisions and their lines, no date (it dates nothing).
        const asked = server.bodies.map(userMessage).filter((user) => !user.startsWith('The decisions noted in the meeting:'));
        assert.ok(asked.length >= 2, 'the extraction and the summary');
        for (const user of asked) {
          assert.match(user, /^Date: not known; the transcript file was last changed on 2024-01-15 \(read relative dates from that day\)$/m);
          assert.doesNotMatch(user, new RegExp(`${new Date().getFullYear()}-\\d\\d-\\d\\dT`), 'never the time of the run');
        }
        server.bodies.length = 0;
        const dated = await cli('notes', undated(), '--json', '--date', '2025-03-05', '--llm-endpoint', server.endpoint);
        assert.equal(dated.code, 0);
        assert.deepEqual(dated.err.filter((l) => /meeting date/.test(l)), []);
        assert.match(userMessage(server.bodies.find((b) => userMessage(b).startsWith('Meeting:'))!), new RegExp(`^Date: ${new Date('2025-03-05T09:00:00').toISOString()}$`, 'm'));
      } finally {
        server.close();
      }
    });
  });

  describe('usage', () => {
    it('exits 2 for an unknown command or none, 0 for --help', async () => {
      const unknown = await cli('transcrib');
      assert.equal(unknown.code, 2);
      assert.match(unknown.err.join('\n'), /unknown command "transcrib"/);
      const none = await cli();
      assert.equal(none.code, 2);
      assert.match(none.out.join('\n'), /Usage:/);
      const help = await cli('--help');
      assert.equal(help.code, 0);
      assert.match(help.out.join('\n'), /earshot notes <transcript>/);
    });

    it('prints the package version', async () => {
      const r = await cli('--version');
      assert.equal(r.code, 0);
      assert.deepEqual(r.out, [JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version]);
    });

    for (const [label, argv] of [
      ['two audio files', ['transcribe', 'a.wav', 'b.wav']],
      ['a bad thread count', ['transcribe', 'a.wav', '--threads', '0']],
      ['a non-numeric thread count', ['transcribe', 'a.wav', '--threads', 'many']],
      ['a bad language', ['transcribe', 'a.wav', '--language', 'english']],
      ['an unknown option', ['transcribe', '--fast']],
    ] as const) {
      it(`transcribe exits 2 for ${label}, before touching any file`, async () => {
        const r = await cli(...argv);
        assert.equal(r.code, 2, r.err.join('\n'));
        assert.match(r.err.join('\n'), /Usage:/);
        assert.deepEqual(r.out, []);
      });
    }
  });

  describe('transcribe failures (no audio decoded, no model loaded)', () => {
    let storage: string | undefined;
    beforeEach(() => {
      storage = process.env.EARSHOT_STORAGE;
      process.env.EARSHOT_STORAGE = path.join(dir, 'storage');
    });
    afterEach(() => {
      if (storage === undefined) delete process.env.EARSHOT_STORAGE;
      else process.env.EARSHOT_STORAGE = storage;
    });

    it('exits 1 with the reason for an unreadable audio file (not a crash)', async () => {
      const audio = path.join(dir, 'not-audio.wav');
      fs.writeFileSync(audio, 'just text');
      const r = await cli('transcribe', audio, '--model', path.join(dir, 'model.bin'), '--notes-dir', path.join(dir, 'notes'));
      assert.equal(r.code, 1);
      assert.deepEqual(r.out, []);
      assert.deepEqual(r.err, [`earshot: Cannot read audio file ${audio}: not a WAV file (no RIFF/WAVE header)`]);
      assert.ok(!fs.existsSync(path.join(dir, 'notes')));
    });

    it('exits 1 naming the model path when the model is missing', async () => {
      const model = path.join(dir, 'models', 'missing.bin');
      const r = await cli('transcribe', fixture('list-chunk-odd.wav'), '--model', model, '--notes-dir', path.join(dir, 'notes'));
      assert.equal(r.code, 1);
      assert.deepEqual(r.err, [`earshot: Whisper model ${model}: file not found`]);
      assert.ok(!fs.existsSync(path.join(dir, 'storage', 'sessions')), 'no journal was started');
    });
  });

  describe('parseTranscript', () => {
    it('detects the format and keeps speakers and times', () => {
      assert.deepEqual(parseTranscript('{"speaker":"A","text":"hi","t0":1.5}\n{"text":"yo","t0":"x"}', 't'), [
        { speaker: 'A', text: 'hi', t0: 1.5 }, { speaker: null, text: 'yo', t0: null },
      ]);
      assert.deepEqual(parseTranscript('Ann: hello: there\nno speaker here\n', 't'), [
        { speaker: 'Ann', text: 'hello: there', t0: null }, { speaker: null, text: 'no speaker here', t0: null },
      ]);
    });
    it('reads a long label with a role in parentheses as the speaker (a parliamentary record\'s, 94 characters)', () => {
      // test/fixtures/real-meetings/committee/covid_2.txt's chair; until 2026-11-29 the bound was 60 and the whole line was text.
      const chair = 'The Chair (Hon. Anthony Rota (NipissingTimiskaming, Lib.))';
      const minister = 'Hon. Mlanie Joly (Minister of Economic Development and Official Languages)';
      assert.deepEqual(parseTranscript(`${chair}: I call the meeting to order.\n${minister}: Mr. Chair, thank you.`, 't').map((l) => l.speaker), [chair, minister]);
      assert.equal(parseTranscript(`${'x'.repeat(121)}: text`, 't')[0].speaker, null);
    });
  });
});
