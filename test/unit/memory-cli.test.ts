import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Io, main } from '../../daemon/cli';
import { Journal, JournalRecord } from '../../daemon/journal/journal';
import { fakeResolver } from '../support/resolver';
import { MEMORY_ASK_BOUND } from '../../protocol/protocol';
import { chatServer, userMessage } from '../support/chat-server';

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  return { code: await main(argv, io), out, err };
}

describe('earshot ask and todo', () => {
  let dir: string;
  let text: string;
  let storage: string | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-ask-'));
    text = path.join(dir, 'standup.txt');
    // Blank lines count: `line` is the file's own line number.
    fs.writeFileSync(text, [
      'Alice: Morning everyone, quick standup.', '', 'Bob: The login page times out after thirty seconds.',
      'Bob: I will raise the session timeout today.', '', '', 'Carol: The budget review moves to Thursday.', 'Alice: Thanks all.',
    ].join('\n'));
    const journal = await Journal.create(path.join(dir, 'storage', 'sessions', '20260110T090000-abcdef.jsonl'), {
      sessionId: '20260110T090000-abcdef', title: 'Planning', startedAt: '2026-01-10T09:00:00.000Z', sources: ['file'], language: 'en', notesPath: '', mode: 'meeting',
    });
    await journal.append({ type: 'segment', segmentId: 'file-1', source: 'file', speaker: 'Dana', t0: 1, t1: 3, text: 'Élodie will send the purchase order.' } as JournalRecord);
    await journal.append({ type: 'segment', segmentId: 'file-2', source: 'file', speaker: 'Élodie', t0: 4, t1: 6, text: 'Yes, and Dana compares the laptop offers.' } as JournalRecord);
    await journal.append({ type: 'actionItem', id: 'a1', revision: 1, text: 'Send the purchase order', owner: 'Élodie', due: null, duePhrase: null, segmentId: 'file-1', t0: 1 });
    await journal.append({ type: 'actionItem', id: 'a2', revision: 1, text: 'Compare the laptop offers', owner: 'Dana', due: null, duePhrase: null, segmentId: 'file-2', t0: 4 });
    await journal.append({ type: 'end', stoppedAt: '2026-01-10T09:10:00.000Z', capturedSec: 6 });
    await journal.close();
    storage = process.env.EARSHOT_STORAGE;
    process.env.EARSHOT_STORAGE = path.join(dir, 'storage');
  });
  after(() => {
    if (storage === undefined) delete process.env.EARSHOT_STORAGE;
    else process.env.EARSHOT_STORAGE = storage;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ask --over a text transcript --json: the cited lines with their 1-based line numbers in the file', async () => {
    const { code, out } = await cli('ask', 'when does the login time out?', '--over', text, '--json', '--limit', '1');
    assert.equal(code, 0);
    const result = JSON.parse(out.join('\n')) as { answer: string | null; cited: { file: string; line: number; t0: number | null; speaker: string; text: string }[] };
    assert.equal(result.answer, null);
    // The hit's topical block: this short transcript is one, so all its lines (Bob's turn, lines 3 and 4, among them).
    assert.deepEqual(result.cited.map((c) => [c.line, c.speaker]), [[1, 'Alice'], [3, 'Bob'], [4, 'Bob'], [7, 'Carol'], [8, 'Alice']]);
    const fileLines = fs.readFileSync(text, 'utf8').split('\n');
    for (const c of result.cited) assert.equal(fileLines[c.line - 1], `${c.speaker}: ${c.text}`);
    assert.ok(result.cited.every((c) => c.file === path.resolve(text)));
    assert.ok(result.cited.every((c) => c.t0 === null), 'a transcript without times has none');
  });

  it('ask over the stored meetings quotes meeting, speaker and the segment index; over a journal file too', async () => {
    const stored = await cli('ask', 'purchase order');
    assert.equal(stored.code, 0);
    assert.match(stored.out.join('\n'), /Planning \(2026-01-10\) — .*20260110T090000-abcdef\.jsonl/);
    assert.match(stored.out.join('\n'), /\[1\] line 1, 00:01 Dana: Élodie will send the purchase order\./);
    const overJournal = JSON.parse((await cli('ask', 'laptop offers', '--over', path.join(dir, 'storage', 'sessions', '20260110T090000-abcdef.jsonl'), '--json')).out.join(''));
    assert.deepEqual(overJournal.cited.map((c: { line: number }) => c.line), [1, 2]);
  });

  it('ask with --llm-endpoint sends the question and lines, prints the answer and the lines it cites', async () => {
    const server = await chatServer('Bob raises the session timeout today [3].');
    try {
      const { code, out } = await cli('ask', 'who fixes the timeout?', '--over', text, '--llm-endpoint', server.endpoint, '--json', '--limit', '1');
      assert.equal(code, 0);
      const sent = JSON.parse(server.bodies[0]) as { messages: { content: string }[]; response_format?: unknown };
      assert.equal(sent.response_format, undefined);
      assert.match(sent.messages[1].content, /Question: who fixes the timeout\?/);
      assert.match(sent.messages[1].content, /\[3\] \(standup\.txt\) Bob: I will raise the session timeout today\./);
      const result = JSON.parse(out.join(''));
      assert.equal(result.answer, 'Bob raises the session timeout today [3].');
      assert.deepEqual(result.cited.map((c: { line: number }) => c.line), [4]);
    } finally {
      server.close();
    }
  });

  it('ask over several transcripts takes one --over per file; two files after one --over is a usage error saying so', async () => {
    const other = path.join(dir, 'retro.txt');
    fs.writeFileSync(other, 'Dana: The login timeout fix shipped on Monday.\n');
    const both = await cli('ask', 'login', '--over', text, '--over', other, '--json');
    assert.equal(both.code, 0, both.err.join('\n'));
    const files = new Set((JSON.parse(both.out.join('')) as { cited: { file: string }[] }).cited.map((c) => c.file));
    assert.deepEqual([...files].sort(), [path.resolve(other), path.resolve(text)].sort());
    const one = await cli('ask', 'login', '--over', text, other);
    assert.equal(one.code, 2);
    assert.match(one.err[0], /ask takes one question \(in quotes\), and each transcript with its own --over FILE/);
  });

  it("ask --llm-endpoint prints the model's answer with its line breaks and its control sequences escaped", async () => {
    const server = await chatServer('Bob fixes it [3].\r\n\u001b]0;TITLE\u0007\u001b[2JDone\rfake \u202eline');
    try {
      const endpoint = server.endpoint;
      const { code, out } = await cli('ask', 'who fixes the timeout?', '--over', text, '--llm-endpoint', endpoint, '--limit', '1');
      assert.equal(code, 0);
      assert.equal(out[0], 'Bob fixes it [3].\n\\x1b]0;TITLE\\x07\\x1b[2JDone\\x0dfake \\u202eline\n');
    } finally {
      server.close();
    }
  });

  it('ask with --llm-endpoint sends the best lines that fit MEMORY_ASK_BOUND.chars, and reads citations against them', async () => {
    // 60 long matching lines (~1,900 characters each): 50 passages of them hold far more than a prompt may.
    const long = path.join(dir, 'long.txt');
    fs.writeFileSync(long, Array.from({ length: 120 }, (_, i) => `Speaker${i % 2}: ${i % 2 ? 'filler' : 'the password rotation'} ${'word '.repeat(380)}`).join('\n'));
    const server = await chatServer('See [1] and [99].');
    try {
      const { code, out, err } = await cli('ask', 'password rotation?', '--over', long, '--llm-endpoint', server.endpoint, '--json', '--limit', '50');
      assert.equal(code, 0);
      const user = userMessage(server.bodies[0]);
      const sent = user.split('\n').filter((l) => /^\[\d+\]/.test(l)).length;
      assert.ok(user.length <= MEMORY_ASK_BOUND.chars + 100 && sent < 99, `${user.length} characters, ${sent} lines`);
      assert.match(err.join('\n'), new RegExp(`with ${sent} lines`));
      // [99] was not in the prompt: not a citation.
      assert.equal(JSON.parse(out.join('')).cited.length, 1);
    } finally {
      server.close();
    }
  });

  it('ask --llm-endpoint http://<name>.localhost reaches the server on loopback without asking DNS; another name needs --llm-allow-remote', async () => {
    const server = await chatServer('Bob [3].');
    // A resolver that would send *.localhost elsewhere (as a DNS server may): it must not be asked.
    const resolver = fakeResolver({ address: '192.0.2.1', family: 4 });
    try {
      const port = new URL(server.endpoint).port;
      const { code, out, err } = await cli('ask', 'who fixes the timeout?', '--over', text, '--llm-endpoint', `http://ollama.localhost:${port}`, '--limit', '1');
      assert.equal(code, 0, err.join('\n'));
      assert.equal(out[0], 'Bob [3].\n');
      assert.deepEqual(server.hosts, [`ollama.localhost:${port}`], 'the Host header names the endpoint');
      assert.deepEqual(resolver.asked, [], 'no resolver was asked');
    } finally {
      resolver.restore();
      server.close();
    }
    const remote = await cli('ask', 'x', '--over', text, '--llm-endpoint', 'http://ollama.example:11434');
    assert.equal(remote.code, 2);
    assert.match(remote.err[0], /ollama\.example:11434 is not on this machine.*--llm-allow-remote/);
  });

  it('todo lists open items, --mine filters by owner (any case, accents)', async () => {
    const all = await cli('todo', '--json');
    assert.deepEqual(JSON.parse(all.out.join('')).items.map((i: { item: { id: string } }) => i.item.id), ['a1', 'a2']);
    const mine = JSON.parse((await cli('todo', '--mine', 'ELODIE', '--json')).out.join(''));
    assert.deepEqual(mine.items.map((i: { item: { id: string }; mine: boolean }) => [i.item.id, i.mine]), [['a1', true]]);
    const printed = await cli('todo', '--mine', 'dana');
    assert.match(printed.out.join('\n'), /Planning \(2026-01-10\)\n {2}- \[ \] Compare the laptop offers — @Dana \(00:04\)/);
  });

  it('ask --meeting, --since and --until search only the meetings they name; a --meeting that matches none is an error', async () => {
    const own = path.join(dir, 'storage-2');
    // Two meetings that say the same thing; start times in UTC that are the named days in any time zone (midday).
    for (const [id, title, startedAt, speaker] of [['20260110T120000-aaaaaa', 'Design review', '2026-01-10T12:00:00.000Z', 'Ana'], ['20260112T120000-bbbbbb', 'Sprint planning', '2026-01-12T12:00:00.000Z', 'Ben']]) {
      const journal = await Journal.create(path.join(own, 'sessions', `${id}.jsonl`), { sessionId: id, title, startedAt, sources: ['file'], language: 'en', notesPath: '', mode: 'meeting' });
      await journal.append({ type: 'segment', segmentId: 'file-1', source: 'file', speaker, t0: 1, t1: 3, text: 'The release moves to Friday.' } as JournalRecord);
      await journal.append({ type: 'end', stoppedAt: startedAt, capturedSec: 3 });
      await journal.close();
    }
    const before = process.env.EARSHOT_STORAGE;
    process.env.EARSHOT_STORAGE = own;
    try {
      const speakers = async (...flags: string[]) => {
        const r = await cli('ask', 'when is the release?', '--json', ...flags);
        assert.equal(r.code, 0, r.err.join('\n'));
        return (JSON.parse(r.out.join('')) as { cited: { speaker: string }[] }).cited.map((c) => c.speaker);
      };
      assert.deepEqual(await speakers(), ['Ben', 'Ana']);
      assert.deepEqual(await speakers('--meeting', 'design REVIEW'), ['Ana']);
      assert.deepEqual(await speakers('--meeting', '20260112T120000-bbbbbb'), ['Ben']);
      assert.deepEqual(await speakers('--meeting', 'review', '--meeting', 'planning'), ['Ben', 'Ana']);
      assert.deepEqual(await speakers('--since', '2026-01-11'), ['Ben']);
      assert.deepEqual(await speakers('--until', '2026-01-10'), ['Ana']);
      const none = await cli('ask', 'when is the release?', '--since', '2026-02-01');
      assert.deepEqual([none.code, none.out, none.err], [0, ['Nothing in the meetings matches the question.'], ['earshot: no meeting started since 2026-02-01']]);
      const unknown = await cli('ask', 'x', '--meeting', 'budget call');
      assert.equal(unknown.code, 2);
      assert.match(unknown.err[0], /no meeting matches --meeting "budget call"; the latest: "Sprint planning" \(2026-01-12\), "Design review" \(2026-01-10\)/);
      assert.match((await cli('ask', 'x', '--meeting', 'review', '--since', '2026-01-11')).err[0], /no meeting since 2026-01-11 matches --meeting "review"/);
      assert.match((await cli('ask', 'x', '--since', 'last week')).err[0], /--since takes a date as YYYY-MM-DD, not "last week"/);
      assert.match((await cli('ask', 'x', '--until', '2026-13-45')).err[0], /--until takes a date as YYYY-MM-DD/);
    } finally {
      process.env.EARSHOT_STORAGE = before;
    }
  });

  it('refuses bad input clearly', async () => {
    const empty = await cli('ask', '  ');
    assert.equal(empty.code, 2);
    assert.match(empty.err[0], /ask takes one question/);
    const missing = await cli('ask', 'x', '--over', path.join(dir, 'nope.txt'));
    assert.equal(missing.code, 1);
    assert.match(missing.err[0], /cannot read .*nope\.txt: no such file/);
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, '{"speaker":"A","text":"fine"}\n{not json\n');
    assert.match((await cli('ask', 'x', '--over', bad)).err[0], /bad\.jsonl line 2 is not valid JSON/);
    assert.match((await cli('ask', 'x', '--limit', '0')).err[0], /--limit must be a whole number/);
    assert.match((await cli('ask', 'x', '--over', dir)).err[0], /it is a folder/);
  });
});
