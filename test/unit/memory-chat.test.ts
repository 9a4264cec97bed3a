/**
 * The @earshot chat participant (extension/memory/chatParticipant.ts, prompt.ts, query.ts) over a fake daemon client
 * and a fake chat model: the prompt numbers the retrieved lines with meeting, date, time and speaker; citations in a
 * streamed answer become links to the notes line (or the transcript command); with no model the lines themselves are
 * shown, linked; /todo lists yours first; /decisions reads ranges and topics; /recap picks the meeting and cites it.
 */
import * as assert from 'node:assert/strict';
import { vscodeStub } from './vscode-stub';
import { MemoryChat, MemoryChatMetadata } from '../../extension/memory/chatParticipant';
import { buildAnswerPrompt, CitationSplitter, numberPassages } from '../../extension/memory/prompt';
import { parseDecisionsQuery, pickMeeting } from '../../extension/memory/query';
import { FakeMemoryClient, fakeModel, line, meeting, noCancel, passage, RecordingStream, todoItem } from './memory-fakes';

const TODAY = new Date(2026, 10, 25, 12, 0, 0); // 2026-11-25, local time

function chat(client: FakeMemoryClient, notes: Record<string, string> = {}): MemoryChat {
  const warnings: string[] = [];
  return new MemoryChat({ client, myNames: () => ['You', 'Alice'], readText: async (p) => notes[p], log: { warn: (m: string) => warnings.push(m) } as never, now: () => TODAY });
}

async function ask(c: MemoryChat, prompt: string, model: unknown, command?: string): Promise<{ stream: RecordingStream; metadata: MemoryChatMetadata }> {
  const stream = new RecordingStream();
  const result = await c.handle({ prompt, command, model, references: [] } as never, { history: [] } as never, stream as never, noCancel as never);
  return { stream, metadata: (result as { metadata: MemoryChatMetadata }).metadata };
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
    const { prompts, model } = fakeModel('It stays at 30 minutes [2], though Carol found it short [3]. See also [9].', { chunk: 4 });
    const { stream, metadata } = await ask(chat(client), 'What did we decide about the login timeout?', model);
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
    assert.match(stream.text, /See also \[9\]\./);
    assert.equal(stream.text.replace(/\[\[3\]\]\([^)]*\)/, '[3]'), 'It stays at 30 minutes [2], though Carol found it short [3]. See also [9].');
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
