/**
 * The @earshot chat participant (extension/memory/chatParticipant.ts, prompt.ts, query.ts) over a fake daemon client
 * and a fake chat model: the prompt numbers the retrieved lines with meeting, date, time and speaker; citations in a
 * streamed answer become links to the notes line (or the transcript command); with no model the lines themselves are
 * shown, linked; a question naming its meetings is searched in them alone, one answered from several offers follow-ups
 * to ask in each alone; /todo lists yours first; /decisions reads ranges and topics; /recap picks the meeting and cites it.
 * What reaches the model is bounded (lines and characters, cut around the hits) and said before it is sent; a pasted
 * paragraph is searched condensed; the model's text renders no link or image; /recap splits the notes once.
 */
import * as assert from 'node:assert/strict';
import { vscodeStub } from './vscode-stub';
import { ADR_BUTTONS_MAX, MemoryChat, MemoryChatMetadata } from '../../extension/memory/chatParticipant';
import { notesLineFinder } from '../../extension/memory/links';
import { AnswerEscaper, ASK_BOUND, buildAnswerPrompt, CitationSplitter, numberPassages, RECAP_BOUND } from '../../extension/memory/prompt';
import { inMeetingQuestion, mayNameMeeting, MAX_SEARCH_QUERY, parseDecisionsQuery, pickMeeting, questionScope, searchQuery } from '../../extension/memory/query';
import { followupsOf, narrowing } from '../../extension/memory/chatParticipant';
import type { FinalSegment, MemoryMeeting } from '../../protocol/protocol';
import { FakeMemoryClient, fakeModel, line, meeting, noCancel, passage, RecordingStream, todoItem } from './memory-fakes';

const TODAY = new Date(2026, 10, 25, 12, 0, 0); // 2026-11-25, local time

function chat(client: FakeMemoryClient, notes: Record<string, string> = {}, openDocument?: string, liveMeeting?: MemoryMeeting): MemoryChat {
  const warnings: string[] = [];
  return new MemoryChat({
    client, myNames: () => ['You', 'Alice'], readText: async (p) => notes[p], log: { warn: (m: string) => warnings.push(m) } as never, now: () => TODAY,
    openDocument: () => (openDocument ? vscodeStub.Uri.file(openDocument) as never : undefined), liveMeeting: () => liveMeeting,
  });
}

async function ask(c: MemoryChat, prompt: string, model: unknown, command?: string, stream = new RecordingStream(), references: unknown[] = []): Promise<{ stream: RecordingStream; metadata: MemoryChatMetadata }> {
  const result = await c.handle({ prompt, command, model, references } as never, { history: [] } as never, stream as never, noCancel as never);
  return { stream, metadata: (result as { metadata: MemoryChatMetadata }).metadata };
}

/** What the model's answer showed: the stream after the line saying what was sent. */
function answerText(stream: RecordingStream): string {
  const at = stream.parts.findIndex((p) => p.kind === 'markdown' && p.value.startsWith('*Sending '));
  assert.ok(at >= 0, 'the chat said what it sends');
  return stream.parts.slice(at + 1).map((p) => (p.kind === 'markdown' ? p.value : p.kind === 'anchor' ? p.title ?? '' : '')).join('');
}

/** The numbered meeting lines of a prompt. */
function promptLines(prompt: string): string[] {
  return prompt.split('\n').filter((l) => /^\[\d+\] /.test(l));
}

/** Characters the numbered lines take in a prompt (each with its newline), what a bound counts. */
function promptChars(prompt: string): number {
  return promptLines(prompt).reduce((sum, l) => sum + l.length + 1, 0);
}

/** Two meetings' passages: the login timeout decided in one, questioned in the other; one line without a notes line. */
function loginPassages(client: FakeMemoryClient): void {
  const planning = meeting(1, { title: 'Sprint planning' }), review = meeting(2, { title: 'Design review', notesPath: '' });
  client.passages = [
    passage(planning, [line(4, 'What about the login timeout?', { speaker: 'Bob', notesLine: 40 }), line(5, 'We keep the login timeout at 30 minutes.', { hit: true, notesLine: 41 })]),
    passage(review, [line(7, 'Thirty minutes is too short for the login timeout.', { speaker: 'Carol', hit: true })]),
    // The same line retrieved twice is numbered once.
    passage(planning, [line(5, 'We keep the login timeout at 30 minutes.', { hit: true, notesLine: 41 })]),
  ];
}

describe('@earshot: prompt and citations', () => {
  before(() => { vscodeStub.commands.executeCommand = async () => undefined; });

  it('numbers each retrieved line once, with meeting, date, time and speaker, under instructions to cite them', () => {
    const client = new FakeMemoryClient();
    loginPassages(client);
    const lines = numberPassages(client.passages);
    assert.deepEqual(lines.map((c) => c.n), [1, 2, 3]);
    const prompt = buildAnswerPrompt('What did we decide about the login timeout?', lines);
    assert.match(prompt, /^\[1\] Sprint planning \(2026-11-01\) 4:00 Bob: What about the login timeout\?$/m);
    assert.match(prompt, /^\[2\] Sprint planning \(2026-11-01\) 5:00 Alice: We keep the login timeout at 30 minutes\.$/m);
    assert.match(prompt, /^\[3\] Design review \(2026-11-02\) 7:00 Carol: Thirty minutes/m);
    assert.match(prompt, /Answer only from these lines/);
    assert.match(prompt, /\[2\]/);
    assert.match(prompt, /Question: What did we decide about the login timeout\?$/);
  });

  it('holds back a citation split between chunks until it is whole', () => {
    const s = new CitationSplitter();
    assert.deepEqual(s.push('It stays [1'), [{ text: 'It stays ' }]);
    assert.deepEqual(s.push('2] and [3, 4] then [x'), [{ cite: [12] }, { text: ' and ' }, { cite: [3, 4] }, { text: ' then [x' }]);
    assert.deepEqual(s.push(' [5'), [{ text: ' ' }]);
    assert.deepEqual(s.flush(), [{ text: '[5' }]);
  });

  it('sends the lines to the request\'s model and streams its answer with each [n] linked to its line', async () => {
    const client = new FakeMemoryClient();
    loginPassages(client);
    const { prompts, justifications, model } = fakeModel('It stays at 30 minutes [2], though Carol found it short [3]. See also [9].', { chunk: 4 });
    const { stream, metadata } = await ask(chat(client), 'What did we decide about the login timeout?', model);
    // What is sent, said first (in the chat and in the request's justification).
    const sent = '3 lines from 2 meetings (Sprint planning, 2026-11-01; Design review, 2026-11-02)';
    assert.deepEqual(stream.parts[1], { kind: 'markdown', value: `*Sending ${sent} to Fake Model.*\n\n` });
    assert.deepEqual(justifications, [`Earshot sends ${sent} to answer your question.`]);
    assert.deepEqual(client.calls[0], { method: 'search', params: { query: 'What did we decide about the login timeout?', limit: 8 } });
    assert.equal(prompts.length, 1);
    assert.match(prompts[0], /\[2\] Sprint planning \(2026-11-01\) 5:00 Alice: We keep the login timeout at 30 minutes\./);
    // [2]: the notes file at its line (0-based in a Location).
    assert.ok(stream.parts.some((p) => p.kind === 'anchor' && p.uri === 'file:/notes/meeting-1.md' && p.line === 40 && p.title === '[2]'));
    assert.ok(stream.parts.some((p) => p.kind === 'reference' && p.uri === 'file:/notes/meeting-1.md' && p.line === 40));
    // [3]: no notes file, so the transcript command, trusted for that command only.
    const transcriptLink = stream.parts.find((p) => p.kind === 'markdown' && p.value.includes('command:earshot.openSessionTranscript'));
    assert.ok(transcriptLink && transcriptLink.kind === 'markdown');
    assert.match(transcriptLink.value, /^\[\[3\]\]\(command:earshot\.openSessionTranscript\?/);
    assert.deepEqual(JSON.parse(decodeURIComponent(transcriptLink.value.split('?')[1].slice(0, -1))), ['s2', 7]);
    assert.deepEqual(transcriptLink.trusted, { enabledCommands: ['earshot.openSessionTranscript'] });
    // A number the prompt never had is shown as written, not linked.
    assert.match(stream.text, /See also \\\[9\\\]\./);
    assert.equal(answerText(stream).replace(/\[\[3\]\]\([^)]*\)/, '[3]').replace(/\\(.)/g, '$1'), 'It stays at 30 minutes [2], though Carol found it short [3]. See also [9].');
    assert.equal(metadata.answeredBy, 'model');
    assert.deepEqual(metadata.cited, [2, 3]);
  });

  for (const [what, model] of [
    ['none', undefined],
    ['a model that refuses', fakeModel('', { error: new Error('The user did not consent') }).model],
    ['a model that answers nothing', fakeModel('').model],
  ] as const) {
    it(`with ${what}: answers with the retrieved lines, quoted and linked`, async () => {
      const client = new FakeMemoryClient();
      loginPassages(client);
      const { stream, metadata } = await ask(chat(client), 'login timeout?', model);
      assert.equal(metadata.answeredBy, 'retrieval');
      assert.match(stream.text, /No language model answered/);
      assert.match(stream.text, /> \*\*5:00 Alice: We keep the login timeout at 30 minutes\.\*\* \[2\]/, 'the hit in bold, with its link');
      assert.match(stream.text, /> 4:00 Bob: What about the login timeout\? \[1\]/);
      assert.ok(stream.parts.some((p) => p.kind === 'anchor' && p.line === 41 - 1 && p.title === '[2]'));
      assert.ok(stream.parts.some((p) => p.kind === 'markdown' && p.value.startsWith('[[3]](command:earshot.openSessionTranscript')));
      assert.ok(stream.text.indexOf('Sprint planning') < stream.text.indexOf('Design review'));
    });
  }

  it('says so when nothing matches, and sends nothing to the model', async () => {
    const client = new FakeMemoryClient();
    const { prompts, model } = fakeModel('should not be asked');
    const { stream } = await ask(chat(client), 'budget for Q3?', model);
    assert.match(stream.text, /Nothing in your 3 meetings matches/);
    assert.equal(prompts.length, 0);
  });
});

describe('@earshot: a question that names its meetings is searched in them alone', () => {
  const meetings = [
    meeting(9, { title: 'Design review', startedAt: '2026-11-24T15:00:00' }),
    meeting(8, { title: 'Sprint planning', startedAt: '2026-11-24T10:00:00' }),
    meeting(7, { title: 'Design review', startedAt: '2026-11-17T15:00:00' }),
    meeting(6, { title: 'Hardware sync', startedAt: '2026-11-10T09:00:00' }),
  ];
  const ids = (q: string) => questionScope(q, meetings, TODAY)?.meetings.map((m) => m.sessionId);

  it('questionScope: a quoted title (and date), the last meeting, dates, title words before a meeting noun, or both', () => {
    assert.deepEqual(ids('in “Design review” of 2026-11-17: what did we decide about the login timeout?'), ['s7']);
    assert.deepEqual(questionScope('in “Design review” of 2026-11-17: what did we decide?', meetings, TODAY)?.searchText, 'what did we decide?');
    assert.deepEqual(ids('in "design review": who owns the logo?'), ['s9', 's7']);
    assert.deepEqual(ids('what did we decide in our last meeting?'), ['s9']);
    assert.deepEqual(ids('what did Bob say yesterday about the budget?'), ['s9', 's8']);
    assert.deepEqual(questionScope('what did Bob say yesterday about the budget?', meetings, TODAY)?.named, 'on 2026-11-24');
    assert.deepEqual(ids('what was decided on 2026-11-10?'), ['s6']);
    assert.deepEqual(ids('what came up in the last 10 days?'), ['s9', 's8', 's7']);
    assert.deepEqual(ids('who took the API task in the sprint planning?'), ['s8']);
    assert.deepEqual(ids('what did Carol think of the colours in the design review meeting?'), ['s9', 's7']);
    assert.deepEqual(ids('what did Carol say in yesterday\'s design review?'), ['s9']);
    assert.deepEqual(ids('at the hardware sync, what broke?'), ['s6']);
    // Named, but nothing matches: the chat says so and searches everything.
    assert.deepEqual(ids('what was decided on 2026-10-01?'), []);
    assert.deepEqual(ids('in “Budget call”: anything?'), []);
  });

  it('questionScope: a question that names no meeting, or words no title has, is not scoped', () => {
    for (const q of ['what did we decide about the login timeout?', 'what did we say in the meeting about hiring?', 'what did Ana say about the code review process?', 'summarize the discussion of the planning tool']) {
      assert.equal(questionScope(q, meetings, TODAY), undefined, q);
    }
    assert.equal(mayNameMeeting('what did we decide about the login timeout?'), false);
    assert.equal(mayNameMeeting('what did we decide yesterday?'), true);
  });

  it('asks the daemon for the named meetings only, and says which', async () => {
    const client = new FakeMemoryClient();
    client.meetings = meetings;
    loginPassages(client);
    const { stream, metadata } = await ask(chat(client), 'what did we decide in the sprint planning about the login timeout?', undefined);
    assert.deepEqual(client.calls.map((c) => c.method), ['meetings', 'search']);
    assert.deepEqual((client.calls[1].params as { sessionIds?: string[] }).sessionIds, ['s8']);
    assert.match(stream.text, /Searching “Sprint planning” \(2026-11-24\) only/);
    assert.deepEqual(metadata.scope, { named: '“sprint planning”', sessionIds: ['s8'] });
    assert.equal(metadata.narrow, undefined, 'a scoped question offers no narrowing');
    const day = new FakeMemoryClient();
    day.meetings = meetings;
    loginPassages(day);
    const yesterday = await ask(chat(day), 'what did we decide yesterday?', undefined);
    assert.deepEqual((day.calls[1].params as { sessionIds?: string[] }).sessionIds, ['s9', 's8']);
    assert.match(yesterday.stream.text, /Searching the 2 meetings on 2026-11-24 only/);
  });

  it('named meetings that do not exist: says so and searches all of them', async () => {
    const client = new FakeMemoryClient();
    client.meetings = meetings;
    loginPassages(client);
    const { stream } = await ask(chat(client), 'what was decided on 2026-10-01?', undefined);
    assert.match(stream.text, /No meeting on 2026-10-01: searching all your meetings/);
    assert.equal((client.calls[1].params as { sessionIds?: string[] }).sessionIds, undefined);
  });

  it('a question answered from several meetings offers to ask it in each alone, and the follow-up is scoped', async () => {
    const client = new FakeMemoryClient();
    client.meetings = [meeting(2, { title: 'Design review', notesPath: '' }), meeting(1, { title: 'Sprint planning' })];
    loginPassages(client);
    const { metadata } = await ask(chat(client), 'what about the login timeout?', undefined);
    assert.deepEqual(client.calls.map((c) => c.method), ['search'], 'no meeting named: the list is not fetched');
    const followups = followupsOf({ metadata });
    assert.deepEqual(followups.map((f) => f.label), ['Only in “Sprint planning” (2026-11-01)', 'Only in “Design review” (2026-11-02)']);
    const again = new FakeMemoryClient();
    again.meetings = client.meetings;
    loginPassages(again);
    await ask(chat(again), followups[1].prompt, undefined);
    assert.deepEqual(again.calls[1].params, { query: 'what about the login timeout?', limit: 8, sessionIds: ['s2'] });
  });

  it('a meeting whose notes are the active editor is searched first, and the chat says so; another file changes nothing', async () => {
    const planning = meeting(1, { title: 'Sprint planning' }), review = meeting(2, { title: 'Design review' });
    const withOpen = async (file: string | undefined, question = 'what about the login timeout?') => {
      const client = new FakeMemoryClient();
      client.meetings = [review, planning];
      loginPassages(client);
      return { client, ...(await ask(chat(client, {}, file), question, undefined)) };
    };
    const open = await withOpen('/notes/meeting-2.md');
    assert.deepEqual(open.client.calls.map((c) => c.method), ['meetings', 'search']);
    assert.deepEqual(open.client.calls[1].params, { query: 'what about the login timeout?', limit: 8, viewing: 's2' });
    assert.match(open.stream.text, /Searching all your meetings, “Design review” \(2026-11-02\) first: its notes are open/);
    assert.equal(open.metadata.viewing, 's2');
    assert.ok(open.metadata.narrow?.length, 'the follow-ups to each meeting are still offered');
    // A source file: the meetings are not even listed; a Markdown file that is no meeting's notes: listed, not used.
    const source = await withOpen('/src/auth.ts');
    assert.deepEqual(source.client.calls.map((c) => c.method), ['search']);
    assert.equal(source.metadata.viewing, undefined);
    const readme = await withOpen('/work/README.md');
    assert.deepEqual(readme.client.calls[1].params, { query: 'what about the login timeout?', limit: 8 });
    assert.doesNotMatch(readme.stream.text, /first: its notes are open/);
    // A question that names its meeting is searched there alone, whatever is open.
    const named = await withOpen('/notes/meeting-2.md', 'what did we decide in the sprint planning about the login timeout?');
    assert.deepEqual(named.client.calls[1].params, { query: 'what did we decide in the sprint planning about the login timeout?', limit: 8, sessionIds: ['s1'] });
    assert.equal(named.metadata.viewing, undefined);
  });

  it('with no meeting\'s notes open, the meeting under way is searched first; open notes come before it, a named meeting before both', async () => {
    const planning = meeting(1, { title: 'Sprint planning' }), live = meeting(3, { title: 'Incident review' });
    const run = async (file: string | undefined, question = 'what about the login timeout?') => {
      const client = new FakeMemoryClient();
      client.meetings = [live, planning];
      loginPassages(client);
      return { client, ...(await ask(chat(client, {}, file, live), question, undefined)) };
    };
    const during = await run(undefined);
    assert.deepEqual(during.client.calls.map((c) => c.method), ['search'], 'the live meeting is known without the list');
    assert.deepEqual(during.client.calls[0].params, { query: 'what about the login timeout?', limit: 8, viewing: 's3' });
    assert.match(during.stream.text, /Searching all your meetings, “Incident review” \(2026-11-03\) first: it is under way/);
    assert.equal((await run('/notes/meeting-1.md')).metadata.viewing, 's1');
    assert.equal((await run(undefined, 'what did we decide in the sprint planning about it?')).metadata.viewing, undefined);
  });

  it('notes attached to the question (#file) scope it to their meetings; the reference is not searched for', async () => {
    const planning = meeting(1, { title: 'Sprint planning' }), review = meeting(2, { title: 'Design review' });
    const client = new FakeMemoryClient();
    client.meetings = [review, planning];
    loginPassages(client);
    const prompt = 'what about #file:meeting-1.md the login timeout?';
    const at = prompt.indexOf('#file');
    const ref = { id: 'vscode.file', range: [at, at + '#file:meeting-1.md'.length], value: vscodeStub.Uri.file('/notes/meeting-1.md') };
    const other = { id: 'vscode.file', value: new vscodeStub.Location(vscodeStub.Uri.file('/src/auth.ts'), { line: 0, character: 0 }) };
    const { prompts, model } = fakeModel(['It stays [1].']);
    const { stream, metadata } = await ask(chat(client, {}, '/notes/meeting-2.md'), prompt, model, undefined, new RecordingStream(), [ref, other]);
    assert.deepEqual(client.calls[1].params, { query: 'what about the login timeout?', limit: 8, sessionIds: ['s1'] });
    assert.match(prompts[0], /Question: what about the login timeout\?$/);
    assert.match(stream.text, /Searching “Sprint planning” \(2026-11-01\) only/);
    assert.deepEqual(metadata.scope, { named: 'in the attached notes', sessionIds: ['s1'] });
    assert.equal(metadata.viewing, undefined);
    // Attachments that are no meeting's notes scope nothing.
    const plain = new FakeMemoryClient();
    plain.meetings = client.meetings;
    loginPassages(plain);
    await ask(chat(plain), 'what about the login timeout?', undefined, undefined, new RecordingStream(), [other]);
    assert.deepEqual(plain.calls[1].params, { query: 'what about the login timeout?', limit: 8 });
  });

  it('the meeting search model: offered once a window while not downloaded; once there, how far it has read is said', async () => {
    const entry = { id: 'bge-small-en-v1.5', name: 'BGE small', file: 'bge.gguf', bytes: 36_685_152, sha256: 'a'.repeat(64), licence: 'MIT', note: '', state: 'missing' as const };
    const client = new FakeMemoryClient();
    loginPassages(client);
    client.memoryModel = entry;
    const c = chat(client);
    const first = await ask(c, 'what about the login timeout?', undefined);
    assert.deepEqual(first.stream.parts.filter((p) => p.kind === 'button').map((p) => p.kind === 'button' && p.command), ['earshot.downloadMemoryModel']);
    assert.equal(first.metadata.meaning, 'offered');
    const second = await ask(c, 'what about the login timeout?', undefined);
    assert.ok(!second.stream.parts.some((p) => p.kind === 'button'), 'offered once a window');
    assert.equal(client.modelLists, 1);
    // Downloaded, or a daemon that offers none: no button.
    for (const model of [{ ...entry, state: 'ready' as const }, undefined]) {
      const other = new FakeMemoryClient();
      loginPassages(other);
      other.memoryModel = model;
      const shown = await ask(chat(other), 'what about the login timeout?', undefined);
      assert.ok(!shown.stream.parts.some((p) => p.kind === 'button'));
      assert.equal(shown.metadata.meaning, undefined);
    }
    // The daemon used it: still reading, or it failed; all read says nothing more.
    const reading = new FakeMemoryClient();
    loginPassages(reading);
    const search = reading.memorySearch.bind(reading);
    let meaning: { model: string; blocks: number; embedded: number; error?: string } = { model: 'bge-small-en-v1.5', blocks: 40, embedded: 12 };
    reading.memorySearch = async (params) => ({ ...(await search(params)), meaning });
    const partly = await ask(chat(reading), 'what about the login timeout?', undefined);
    assert.match(partly.stream.text, /The meeting search model has read 12 of 40 parts of your meetings so far: the others were searched by their words alone/);
    assert.deepEqual(partly.metadata.meaning, meaning);
    meaning = { model: 'bge-small-en-v1.5', blocks: 0, embedded: 0, error: 'the meaning model bge-small-en-v1.5 did not load: bad file' };
    assert.match((await ask(chat(reading), 'what about the login timeout?', undefined)).stream.text, /Searched by words alone: the meaning model bge-small-en-v1\.5 did not load: bad file/);
    meaning = { model: 'bge-small-en-v1.5', blocks: 40, embedded: 40 };
    assert.doesNotMatch((await ask(chat(reading), 'what about the login timeout?', undefined)).stream.text, /meeting search model|words alone/);
    assert.equal(reading.modelLists, 0, 'with the model there, the catalog is not asked');
  });

  it('narrowing: none from one meeting; at most three, best first; a title with quotes is not offered', () => {
    const a = meeting(1, { title: 'Planning' }), b = meeting(2, { title: 'The "big" review' }), c = meeting(3), d = meeting(4), e = meeting(5);
    assert.equal(narrowing('q', [a, a]), undefined);
    assert.deepEqual(narrowing('q', [c, a, c, d, e])?.map((n) => n.label), ['Only in “Meeting 3” (2026-11-03)', 'Only in “Planning” (2026-11-01)', 'Only in “Meeting 4” (2026-11-04)']);
    assert.deepEqual(narrowing('q', [b, a])?.map((n) => n.prompt), ['in “Planning” of 2026-11-01: q']);
    assert.equal(inMeetingQuestion('q', b), undefined);
    assert.deepEqual(followupsOf({}), []);
  });
});

describe('@earshot /todo, /decisions, /recap', () => {
  it('/todo asks with the user\'s names and lists theirs first, grouped by meeting, linked, with a button to the view', async () => {
    const client = new FakeMemoryClient();
    const m1 = meeting(1, { title: 'Sprint planning' }), m2 = meeting(2, { title: 'Design review' });
    client.todo = [
      todoItem(m2, 'a', 'Send the design doc', 'Bob', false, 12),
      todoItem(m2, 'b', 'Fix auth.ts', 'Alice', true, 13),
      todoItem(m1, 'c', 'Book the room', null, false),
      todoItem(m1, 'd', 'Update the timeout', 'You', true, 20),
    ];
    const { stream } = await ask(chat(client), '', undefined, 'todo');
    assert.deepEqual(client.calls[0], { method: 'todo', params: { owners: ['You', 'Alice'] } });
    const text = stream.text;
    const order = ['### Yours', 'Design review', 'Fix auth.ts', 'Sprint planning', 'Update the timeout', '### Everyone else', 'Send the design doc', 'Book the room'].map((s) => text.indexOf(s));
    assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1])), `order ${order} in\n${text}`);
    assert.ok(stream.parts.some((p) => p.kind === 'anchor' && p.uri === 'file:/notes/meeting-2.md' && p.line === 12));
    assert.deepEqual(stream.parts.filter((p) => p.kind === 'button'), [{ kind: 'button', command: 'earshot.actionItems.focus' }]);
  });

  it('/decisions reads ranges and topics', () => {
    assert.deepEqual(parseDecisionsQuery('last week', TODAY), { since: '2026-11-18' });
    assert.deepEqual(parseDecisionsQuery('since 2026-11-01 login timeout', TODAY), { since: '2026-11-01', topic: 'login timeout' });
    assert.deepEqual(parseDecisionsQuery('from 2026-11-01 to 2026-11-10 about auth', TODAY), { since: '2026-11-01', until: '2026-11-10', topic: 'auth' });
    assert.deepEqual(parseDecisionsQuery('on 2026-11-03', TODAY), { since: '2026-11-03', until: '2026-11-03' });
    assert.deepEqual(parseDecisionsQuery('yesterday', TODAY), { since: '2026-11-24', until: '2026-11-24' });
    assert.deepEqual(parseDecisionsQuery('the release in the last 3 days', TODAY), { since: '2026-11-22', topic: 'the release' });
    assert.deepEqual(parseDecisionsQuery('this week', TODAY), { since: '2026-11-23' }); // a Wednesday: since Monday
    assert.deepEqual(parseDecisionsQuery('login timeout', TODAY), { topic: 'login timeout' });
    assert.deepEqual(parseDecisionsQuery('', TODAY), {});
  });

  it('/decisions sends the parsed range and says when there are none', async () => {
    const client = new FakeMemoryClient();
    const { stream } = await ask(chat(client), 'last week login', undefined, 'decisions');
    assert.deepEqual(client.calls[0], { method: 'decisions', params: { since: '2026-11-18', topic: 'login' } });
    assert.match(stream.text, /No decisions since 2026-11-18, about “login”/);
  });

  it('/decisions gives each decision a "Write as ADR" button (the first ten; then one that picks)', async () => {
    const client = new FakeMemoryClient();
    const m = meeting(2);
    client.decisions = Array.from({ length: 12 }, (_, k) => ({
      meeting: m, decision: { sessionId: 's2', id: `d${k}`, revision: 1, text: `Decision ${k}`, kind: 'decision' as const, segmentId: `x${k}`, t0: k }, notesLine: 10 + k,
    }));
    const { stream } = await ask(chat(client), '', undefined, 'decisions');
    const buttons = stream.parts.filter((p) => p.kind === 'button' && p.command === 'earshot.writeDecisionRecord') as { args?: unknown[] }[];
    assert.equal(buttons.length, ADR_BUTTONS_MAX + 1);
    assert.deepEqual(buttons[0].args, [{ sessionId: 's2', decisionId: 'd0' }]);
    assert.deepEqual(buttons[ADR_BUTTONS_MAX - 1].args, [{ sessionId: 's2', decisionId: `d${ADR_BUTTONS_MAX - 1}` }]);
    assert.equal(buttons[ADR_BUTTONS_MAX].args, undefined, 'the last one asks which');
    // Each button follows its own decision's line.
    const firstButton = stream.parts.findIndex((p) => p.kind === 'button');
    assert.match(stream.parts.slice(0, firstButton).map((p) => (p.kind === 'markdown' ? p.value : '')).join(''), /Decision 0/);
    assert.doesNotMatch(stream.parts.slice(0, firstButton).map((p) => (p.kind === 'markdown' ? p.value : '')).join(''), /Decision 1/);
  });

  it('/recap picks the meeting by date or title words', () => {
    const meetings = [meeting(3, { title: 'Design review' }), meeting(2, { title: 'Sprint planning' }), meeting(1, { title: 'Sprint retro' })];
    assert.equal(pickMeeting(meetings, '', TODAY)?.sessionId, 's3');
    assert.equal(pickMeeting(meetings, 'last', TODAY)?.sessionId, 's3');
    assert.equal(pickMeeting(meetings, '2026-11-02', TODAY)?.sessionId, 's2');
    assert.equal(pickMeeting(meetings, 'the sprint planning', TODAY)?.sessionId, 's2');
    assert.equal(pickMeeting(meetings, 'retro', TODAY)?.sessionId, 's1');
    assert.equal(pickMeeting(meetings, 'budget', TODAY), undefined);
    assert.equal(pickMeeting(meetings, '2026-10-01', TODAY), undefined);
  });

  function recapClient(): FakeMemoryClient {
    const client = new FakeMemoryClient();
    const m = meeting(2, { title: 'Sprint planning' });
    client.meetings = [meeting(3, { title: 'Design review' }), m];
    client.transcripts.set('s2', {
      session: {} as never, sources: ['file'], interrupted: false, resumes: [],
      segments: [
        { segmentId: 'x1', source: 'file', speaker: 'Alice', t0: 1, t1: 3, text: 'Let us plan the sprint.' },
        { segmentId: 'x2', source: 'file', speaker: 'Bob', t0: 4, t1: 6, text: 'We ship the login fix on Friday.' },
      ],
      actionItems: [{ sessionId: 's2', id: 'i1', revision: 1, text: 'Bob ships the login fix', owner: 'Bob', due: null, duePhrase: null, segmentId: 'x2', t0: 4 }],
      decisions: [{ sessionId: 's2', id: 'd1', revision: 1, text: 'The login fix ships Friday', kind: 'decision', segmentId: 'x2', t0: 4 }],
      summary: { sessionId: 's2', final: true, bullets: ['Sprint planned'], openQuestions: [] },
    });
    return client;
  }

  it('/recap sends the meeting\'s transcript to the model and links its citations to the notes lines', async () => {
    const client = recapClient();
    const notes = { '/notes/meeting-2.md': '# Sprint planning\n\n## Transcript\n\n**[0:01] Alice:** Let us plan the sprint.\n**[0:04] Bob:** We ship the login fix on Friday.\n' };
    const { prompts, model } = fakeModel('The team planned the sprint [1]; the login fix ships Friday [2].');
    const { stream, metadata } = await ask(chat(client, notes), 'sprint planning', model, 'recap');
    assert.deepEqual(client.calls.map((c) => c.method), ['meetings', 'transcript']);
    assert.match(prompts[0], /recap of the meeting "Sprint planning" \(2026-11-02\)/);
    assert.match(prompts[0], /^\[2\] Sprint planning \(2026-11-02\) 0:04 Bob: We ship the login fix on Friday\.$/m);
    assert.ok(stream.parts.some((p) => p.kind === 'anchor' && p.uri === 'file:/notes/meeting-2.md' && p.line === 4 && p.title === '[1]'), 'line 5 of the notes, 0-based');
    assert.ok(stream.parts.some((p) => p.kind === 'anchor' && p.line === 5 && p.title === '[2]'));
    assert.equal(metadata.answeredBy, 'model');
  });

  it('/recap with no model: the meeting\'s summary, decisions and items', async () => {
    const { stream, metadata } = await ask(chat(recapClient()), '2026-11-02', undefined, 'recap');
    assert.equal(metadata.answeredBy, 'retrieval');
    assert.match(stream.text, /Summary:\n- Sprint planned/);
    assert.match(stream.text, /Decisions:\n- The login fix ships Friday/);
    assert.match(stream.text, /Action items:\n- \[ \] Bob ships the login fix — Bob/);
  });
});

describe('@earshot: what reaches the model is bounded and said before it is sent', () => {
  /**
   * Eight meetings that are each one turn of 1,000 lines (mic-only: every line "You"), as an unbounded daemon
   * returns them: the whole meeting for one hit, the hit at a different place in each.
   */
  function wholeMeetings(client: FakeMemoryClient, text: (k: number, i: number) => string = (k, i) => `Call ${k} line ${i} about the roadmap.`): number[] {
    const hitAt = Array.from({ length: 8 }, (_, k) => 100 * k + 50);
    client.passages = hitAt.map((at, k) => passage(meeting(k + 1, { title: `Call ${k + 1}` }),
      Array.from({ length: 1000 }, (_, i) => line(i + 1, i === at ? `The password is swordfish ${k}.` : text(k, i), { speaker: 'You', hit: i === at }))));
    return hitAt;
  }

  it('a question sends at most 120 lines, cut around each hit, and says which before sending', async () => {
    const client = new FakeMemoryClient();
    const hitAt = wholeMeetings(client);
    const stream = new RecordingStream();
    let shownBeforeSend = '';
    const { prompts, justifications, model } = fakeModel('Swordfish [1].', { onSend: () => { shownBeforeSend = stream.text; } });
    await ask(chat(client), 'what is the password?', model, undefined, stream);
    const lines = promptLines(prompts[0]);
    assert.equal(lines.length, ASK_BOUND.lines);
    assert.ok(promptChars(prompts[0]) <= ASK_BOUND.chars);
    // Every hit, with the same context either side (120 lines / 8 passages: the hit and 7 each side).
    hitAt.forEach((at, k) => {
      assert.ok(lines.some((l) => l.endsWith(`You: The password is swordfish ${k}.`)), `hit ${k}`);
      for (const d of [1, 7]) for (const i of [at - d, at + d]) assert.ok(lines.some((l) => l.endsWith(`Call ${k} line ${i} about the roadmap.`)), `line ${i} of call ${k}`);
      for (const i of [at - 8, at + 8]) assert.ok(!lines.some((l) => l.endsWith(`Call ${k} line ${i} about the roadmap.`)), `line ${i} of call ${k} is left out`);
    });
    const sent = '120 lines from 8 meetings (Call 1, 2026-11-01; Call 2, 2026-11-02; Call 3, 2026-11-03; Call 4, 2026-11-04; Call 5, 2026-11-05; Call 6, 2026-11-06; Call 7, 2026-11-07; Call 8, 2026-11-08)';
    assert.equal(shownBeforeSend, `*Sending ${sent} to Fake Model.*\n\n`, 'said in the chat before the request');
    assert.deepEqual(justifications, [`Earshot sends ${sent} to answer your question.`]);
  });

  it('a question sends at most 24,000 characters: long lines leave less context, never a hit', async () => {
    const client = new FakeMemoryClient();
    const hitAt = wholeMeetings(client, (k, i) => `Call ${k} line ${i} ${'and then we talked about it at length '.repeat(25)}`);
    // One line longer than a line may be is cut.
    client.passages[0].lines[hitAt[0] + 1].text = 'x'.repeat(50_000);
    const { prompts, model } = fakeModel('Swordfish [1].');
    const { stream } = await ask(chat(client), 'what is the password?', model);
    const lines = promptLines(prompts[0]);
    assert.ok(promptChars(prompts[0]) <= ASK_BOUND.chars, `${promptChars(prompts[0])} characters`);
    assert.ok(lines.length < 40 && lines.every((l) => l.length < 1_100), `${lines.length} lines`);
    hitAt.forEach((_, k) => assert.ok(lines.some((l) => l.endsWith(`You: The password is swordfish ${k}.`)), `hit ${k}`));
    assert.match(stream.text, new RegExp(`^\\*Sending ${lines.length} lines from 8 meetings \\(Call 1, `));
  });

  it('with no model, the lines shown are the same bounded lines', async () => {
    const client = new FakeMemoryClient();
    wholeMeetings(client);
    const { stream } = await ask(chat(client), 'what is the password?', undefined);
    assert.equal(stream.parts.filter((p) => p.kind === 'markdown' && p.value.startsWith('> ')).length, ASK_BOUND.lines);
  });

  it('a recap sends at most 600 lines and 80,000 characters from the meeting\'s start, and says so', async () => {
    const client = new FakeMemoryClient();
    const m = meeting(2, { title: 'Long planning', notesPath: '' });
    client.meetings = [m];
    const segment = (i: number, text: string): FinalSegment => ({ segmentId: `x${i}`, source: 'mic', speaker: 'You', t0: i, t1: i + 1, text });
    const transcript = (segments: FinalSegment[]) => ({ session: {} as never, sources: ['mic'], interrupted: false, resumes: [], segments, actionItems: [], decisions: [], summary: null } as never);
    // Short lines: the line bound.
    client.transcripts.set('s2', transcript(Array.from({ length: 2000 }, (_, i) => segment(i, `Short line ${i}.`))));
    const short = fakeModel('Planned [1].');
    const first = await ask(chat(client), 'last', short.model, 'recap');
    assert.equal(promptLines(short.prompts[0]).length, RECAP_BOUND.lines);
    assert.match(short.prompts[0], /\(The transcript has 2000 lines; the first 600 are below\.\)/);
    assert.match(first.stream.text, /\*Sending 600 lines from 1 meeting \(Long planning, 2026-11-02\) to Fake Model\.\*/);
    assert.deepEqual(short.justifications, ['Earshot sends 600 lines from 1 meeting (Long planning, 2026-11-02) for a recap of the meeting.']);
    // Long lines: the character bound.
    client.transcripts.set('s2', transcript(Array.from({ length: 2000 }, (_, i) => segment(i, `Line ${i} ${'we went over the plan again '.repeat(8)}`))));
    const long = fakeModel('Planned [1].');
    await ask(chat(client), 'last', long.model, 'recap');
    const lines = promptLines(long.prompts[0]);
    assert.ok(promptChars(long.prompts[0]) <= RECAP_BOUND.chars && lines.length < RECAP_BOUND.lines && lines.length > 100, `${lines.length} lines`);
    assert.ok(lines[0].includes('Line 0 ') && lines.every((l, i) => l.includes(`Line ${i} `)), 'from the start, in order');
  });

  it('a pasted paragraph longer than the daemon takes is searched by its distinct words, and answered', async () => {
    const client = new FakeMemoryClient();
    loginPassages(client);
    const paragraph = 'We keep the login timeout at 30 minutes, as agreed; the login timeout stays.\n\n'.repeat(70);
    assert.ok(paragraph.length > 5000);
    const { prompts, model } = fakeModel('It stays at 30 minutes [2].');
    const { stream, metadata } = await ask(chat(client), paragraph, model);
    const { query } = client.calls[0].params as { query: string };
    assert.equal(query, 'We keep the login timeout at 30 minutes, as agreed; stays.');
    assert.equal(metadata.answeredBy, 'model', stream.text);
    assert.ok(prompts[0].endsWith(`Question: ${paragraph.trim()}`), 'the model gets the whole question');
  });

  it('searchQuery: a question as typed (whitespace collapsed); a long one condensed to at most 500 characters of whole words', () => {
    assert.equal(searchQuery('  who  fixes\nauth.ts? '), 'who fixes auth.ts?');
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`);
    const q = searchQuery(words.join(' '));
    assert.ok(q.length <= MAX_SEARCH_QUERY && q.length > MAX_SEARCH_QUERY - 10, `${q.length}`);
    assert.ok(words.join(' ').startsWith(q + ' '), 'whole words, in order');
    assert.equal(searchQuery('y'.repeat(3000)), 'y'.repeat(MAX_SEARCH_QUERY));
  });

  it('numberPassages: CJK lines count about a token a character against the bound, and a clipped line keeps whole characters (review 2, S10)', () => {
    const m = meeting(1);
    const cjk = passage(m, Array.from({ length: 200 }, (_, i) => line(i + 1, '我们决定下周发布新版本并由产品团队负责'.repeat(7))));
    const han = numberPassages([cjk]).reduce((n, c) => n + [...c.line.text].length, 0);
    assert.ok(han <= ASK_BOUND.chars / 4, `${han} Chinese characters for a bound of ~${ASK_BOUND.chars / 4} tokens`);
    for (const pad of ['', 'a']) {
      const [clipped] = numberPassages([passage(m, [line(1, `${pad}${'👋'.repeat(2000)}`)])]);
      assert.ok(clipped.line.text.endsWith('…') && !/[\ud800-\udbff]…$/.test(clipped.line.text), `${pad}: ${JSON.stringify(clipped.line.text.slice(-3))}`);
    }
  });

  it('numberPassages: a passage without a hit line is cut around the line the hit names', () => {
    const m = meeting(1);
    const p = passage(m, Array.from({ length: 300 }, (_, i) => line(i + 1, `Line ${i + 1}.`)));
    p.hit = { kind: 'segment', id: 'seg200', text: 'Line 200.' };
    const lines = numberPassages([p], { lines: 5, chars: 10_000 });
    assert.deepEqual(lines.map((c) => c.line.index), [198, 199, 200, 201, 202]);
  });
});

describe('@earshot: the model\'s answer is inert as Markdown (L13)', () => {
  /** Constructs that would render as a link or an image: an unescaped [, < or !, or a bare URL. */
  function linkSyntax(md: string): string[] {
    const found: string[] = [];
    for (let i = 0; i < md.length; i++) {
      if (md[i] === '\\') i++;
      else if ('[<!'.includes(md[i])) found.push(`${md[i]} at ${i}: ${md.slice(i, i + 20)}`);
    }
    for (const m of md.matchAll(/[a-z]+:\/\/|www\.|[\w.+-]+@[\w-]+\.\w/gi)) found.push(m[0]);
    return found;
  }

  const ANSWER = 'Per the notes [2], the **budget** is set.\n- see ![x](https://evil.example/?q=secret) and [click](http://evil.example/p)\n'
    + '- <https://evil.example/a> <img src="https://evil.example/i.png"> www.evil.example, bob@evil.example and `code` [3]\n'
    + '[r]: https://evil.example/ref\n![y][r] \\[z](https://evil.example/z) Done!';

  it('streamed in parts, no image or link of the model\'s renders; formatting stays; citations still link', async () => {
    const client = new FakeMemoryClient();
    loginPassages(client);
    // Cut everywhere a construct could be split: inside "[2]", "](", "https://", "www.", "<img".
    const parts = ['Per the notes [', '2], the **budget** is set.\n- see !', '[x](https:/', '/evil.example/?q=sec', 'ret) and [click](ht', 'tp://evil.example/p)\n- <', 'https://evil.example/a> <i',
      'mg src="https://evil.example/i.png"> ww', 'w.evil.example, bob@evil.example and `code` [', '3]\n[r]: https://evil.example/ref\n![y][r] \\', '[z](https://evil.example/z) Done!'];
    assert.equal(parts.join(''), ANSWER);
    const { model } = fakeModel(parts);
    const { stream, metadata } = await ask(chat(client), 'budget?', model);
    assert.equal(metadata.answeredBy, 'model');
    const fromModel = stream.parts.slice(2).filter((p) => p.kind === 'markdown' && p.trusted === undefined).map((p) => (p.kind === 'markdown' ? p.value : '')).join('');
    assert.deepEqual(linkSyntax(fromModel), []);
    // What reads is what the model wrote (its citations aside); the formatting is kept.
    const shown = answerText(stream).replace(/\[\[3\]\]\([^)]*\)/, '[3]').replace(/\\(.)/g, '$1');
    assert.equal(shown, ANSWER);
    assert.match(fromModel, /the \*\*budget\*\* is set\.\n- see /);
    assert.match(fromModel, /\n- .* and `code` /);
    // [2] opens the notes line, [3] the transcript (the only trusted link).
    assert.ok(stream.parts.some((p) => p.kind === 'anchor' && p.title === '[2]' && p.line === 40));
    assert.deepEqual(stream.parts.filter((p) => p.kind === 'markdown' && p.trusted !== undefined).map((p) => p.kind === 'markdown' && p.value.slice(0, 45)), ['[[3]](command:earshot.openSessionTranscript?%']);
  });

  it('AnswerEscaper gives the same Markdown however the answer is cut', () => {
    const whole = new AnswerEscaper().push(ANSWER);
    for (let at = 0; at <= ANSWER.length; at++) {
      const e = new AnswerEscaper();
      assert.equal(e.push(ANSWER.slice(0, at)) + e.push(ANSWER.slice(at)), whole, `cut at ${at}`);
    }
  });
});

describe('@earshot /recap: notes lines (L11)', () => {
  /** findNotesLine as it was before the lookup: the whole file split for each segment. */
  function findNotesLineBefore(notes: string, text: string): number | undefined {
    const needle = text.replace(/\s+/g, ' ').trim();
    if (needle.length < 3) return undefined;
    const index = notes.split('\n').findIndex((l) => l.replace(/\s+/g, ' ').includes(needle));
    return index >= 0 ? index + 1 : undefined;
  }

  /** A long generated meeting and its notes: summary lines quoting some segments, transcript lines with odd whitespace. */
  function longMeeting(n: number): { segments: FinalSegment[]; notes: string } {
    const words = ['login', 'timeout', 'budget', 'ship', 'Friday', 'auth.ts', 'review', 'the', 'we', 'ok'];
    const segments: FinalSegment[] = Array.from({ length: n }, (_, i) => {
      const text = i % 97 === 0 ? 'ok' : i % 89 === 0 ? 'We keep the login timeout.' : Array.from({ length: 3 + (i % 7) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(j2(i));
      return { segmentId: `x${i}`, source: 'mic', speaker: i % 3 ? 'Alice' : 'Bob', t0: i * 4, t1: i * 4 + 3, text };
    });
    const summary = segments.filter((_, i) => i % 50 === 7).map((s) => `- ${s.text.replace(/\s+/g, ' ')} and more`);
    const transcript = segments.filter((_, i) => i % 13 !== 5).map((s, i) => `**[${i}:00] ${s.speaker}:** ${s.text.replace(/ /g, i % 5 === 0 ? '  ' : i % 11 === 0 ? '\t' : ' ')}${i % 4 === 0 ? '\r' : ''}`);
    return { segments, notes: ['# Long meeting', '', '## Summary', ...summary, '', '## Transcript', '', ...transcript, ''].join('\n') };
  }
  function j2(i: number): string {
    return i % 17 === 0 ? '  ' : ' ';
  }

  it('finds the same lines as before for every segment of a long meeting', () => {
    const { segments, notes } = longMeeting(3000);
    const find = notesLineFinder(notes);
    const texts = [...segments.map((s) => s.text), 'not in the notes at all', 'ship  Friday', '## Transcript', 'more\n**[0:00]', '', 'we'];
    let found = 0;
    for (const text of texts) {
      const expected = findNotesLineBefore(notes, text);
      assert.equal(find(text), expected, JSON.stringify(text));
      if (expected) found++;
    }
    assert.ok(found > 2000 && found < texts.length, `${found} found`);
  });

  it('/recap of a long meeting splits its notes once', async () => {
    const { segments, notes } = longMeeting(1200);
    const client = new FakeMemoryClient();
    const m = meeting(2, { title: 'Long planning' });
    client.meetings = [m];
    client.transcripts.set('s2', { session: {} as never, sources: ['mic'], interrupted: false, resumes: [], segments, actionItems: [], decisions: [], summary: null } as never);
    const split = String.prototype.split;
    let splits = 0;
    String.prototype.split = function (this: string, ...args: unknown[]) {
      if (String(this) === notes) splits++;
      return (split as (...a: unknown[]) => string[]).apply(this, args);
    } as typeof split;
    let result;
    try {
      result = await ask(chat(client, { [m.notesPath]: notes }), 'last', fakeModel('Planned [2].').model, 'recap');
    } finally {
      String.prototype.split = split;
    }
    assert.equal(splits, 1);
    assert.ok(result.stream.parts.some((p) => p.kind === 'anchor' && p.title === '[2]'), 'the citation links its notes line');
  });
});
