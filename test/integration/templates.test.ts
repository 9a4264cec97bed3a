/**
 * Notes templates over JSON-RPC with the real daemon process, real whisper (a generated model that says "Alice, can
 * you fix auth.ts by Friday?") and real Silero VAD on the committed sample: earshot/templates/list on a workspace
 * folder with good and bad files; a meeting started with a workspace template writes its notes in the template's
 * sections; one is picked by the title; an unknown id starts nothing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, LanguageModelChat, NotesRewrite, LanguageModelChatParams, PROTOCOL_VERSION, SessionStart, SessionStatus, TemplatesList } from '../../protocol/protocol';
import { readJournal } from '../../daemon/journal/journal';
import { MEETING_SENTENCE_TOKENS, SAMPLE_WAV, sayingModel } from '../setup';
import { connectDaemon, rejection, RpcClient } from './daemon-process';

const RETRO = [
  '---', 'name: Sprint retro', 'titleMatch: retro', '---', 'Keep it short.', '',
  '## Went well', 'What went well.', '', '## Follow-ups', '<!-- earshot: actionItems -->', '', '## Decisions', '', '## Transcript', '',
].join('\n');

describe('notes templates (real daemon over JSON-RPC)', function () {
  this.timeout(180_000);
  let base: string;
  let templatesDir: string;
  let client: RpcClient;

  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-templates-it-'));
    templatesDir = path.join(base, 'workspace', '.earshot', 'templates');
    fs.mkdirSync(templatesDir, { recursive: true });
    fs.writeFileSync(path.join(templatesDir, 'retro.md'), RETRO);
    fs.writeFileSync(path.join(templatesDir, 'broken.md'), '---\nname: Broken\nendpoint: https://evil.example\n---\n## A\n');
    fs.writeFileSync(path.join(templatesDir, 'empty.md'), 'Nothing here.');
    client = connectDaemon();
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(base, 'storage'), notesDir: path.join(base, 'notes'),
      modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS), threads: 1,
    });
  });
  after(async () => {
    await client?.dispose();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('earshot/templates/list answers the workspace\'s good templates and the shipped ones, and each bad file with why', async () => {
    const listed = await client.connection.sendRequest(TemplatesList, { templatesDir });
    assert.deepEqual(listed.templates.map((t) => `${t.source}:${t.id}`), ['workspace:retro', 'builtin:design-review', 'builtin:standup']);
    assert.equal(listed.templates[0].path, path.join(templatesDir, 'retro.md'));
    assert.deepEqual(listed.faults.map((f) => path.basename(f.path)), ['broken.md', 'empty.md']);
    assert.match(listed.faults[0].message, /unknown key "endpoint"/);
    assert.match(listed.faults[1].message, /no sections/);
    const refused = await rejection(client.connection.sendRequest(TemplatesList, { templatesDir: 'relative/templates' }));
    assert.equal(refused.code, ErrorCodes.InvalidParams);
  });

  it('an unknown template id starts nothing', async () => {
    const refused = await rejection(client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', template: 'nope', templatesDir }));
    assert.equal(refused.code, ErrorCodes.InvalidParams);
    assert.match(refused.message, /No notes template "nope"/);
    const status = await client.connection.sendRequest(SessionStatus, {});
    assert.notEqual(status.state, 'streaming');
  });

  it('a meeting started with a workspace template writes its notes in the template\'s sections', async () => {
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'Planning', template: 'retro', templatesDir });
    assert.deepEqual(started.template, { id: 'retro', name: 'Sprint retro', chosenBy: 'user' });
    await client.sessionDone(started.sessionId);
    const md = fs.readFileSync(started.notesPath, 'utf8');
    assert.deepEqual(md.split('\n').filter((l) => l.startsWith('## ')), ['## Went well', '## Follow-ups', '## Decisions', '## My notes', '## Transcript']);
    assert.match(md, /## Went well\n\n_Needs a language model: /);
    // The rules found the sentence's request: it is under the template's heading for action items.
    assert.match(md, /## Follow-ups\n\n- \[ \] .*fix auth\.ts by Friday/);
    // The journal keeps the template whole: the file changed or gone, the notes rewritten later still follow it.
    const file = path.join(templatesDir, 'retro.md');
    fs.renameSync(file, `${file}.away`);
    try {
      fs.writeFileSync(started.notesPath, md.replace('## Went well', '## Went well (edited)'));
      await client.connection.sendRequest(NotesRewrite, { sessionId: started.sessionId });
      assert.match(fs.readFileSync(started.notesPath, 'utf8'), /\n## Went well\n\n_Needs a language model/);
    } finally {
      fs.renameSync(`${file}.away`, file);
    }
  });

  it('a meeting whose title holds a template\'s titleMatch word uses it, and says the title chose it', async () => {
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'Q3 retro', templatesDir });
    assert.deepEqual(started.template, { id: 'retro', name: 'Sprint retro', chosenBy: 'title' });
    await client.sessionDone(started.sessionId);
    assert.match(fs.readFileSync(started.notesPath, 'utf8'), /\n## Went well\n/);
  });

  it('with a language model (vscode-lm, the client answering): the template\'s words reach the prompts quoted, and its model section is written at stop', async () => {
    const withModel = connectDaemon();
    try {
      const asked: LanguageModelChatParams[] = [];
      withModel.connection.onRequest(LanguageModelChat, (params) => {
        asked.push(params);
        const first = /^\[([\w-]+)\]/m.exec(params.user)?.[1] ?? 'none';
        if (params.system.startsWith('You write one section')) {
          return { text: JSON.stringify({ points: [{ text: 'Alice fixing auth.ts went <b>well</b>', cites: [first] }] }), model: 'test-lm/fake-1' };
        }
        if (params.system.startsWith('You keep the summary')) return { text: JSON.stringify({ points: [{ text: 'Alice asked for a fix.', cites: [first] }] }), model: 'test-lm/fake-1' };
        return { text: JSON.stringify({ actionItems: [], decisions: [], dismiss: [] }), model: 'test-lm/fake-1' };
      });
      await withModel.initialize({
        protocolVersion: PROTOCOL_VERSION, storageDir: path.join(base, 'storage-lm'), notesDir: path.join(base, 'notes-lm'),
        modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS), threads: 1, enhancement: { provider: 'vscode-lm' },
      });
      const started = await withModel.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'Retro', templatesDir });
      await withModel.sessionDone(started.sessionId);
      const sectionCalls = asked.filter((a) => a.system.startsWith('You write one section'));
      assert.equal(sectionCalls.length, 1, 'one call for the one model section');
      assert.match(sectionCalls[0].user, /"section":"Went well","sectionInstructions":"What went well\."/);
      assert.ok(asked.some((a) => a.system.startsWith('You keep the summary') && a.user.includes('{"template":"Sprint retro","notes":"Keep it short."}')), 'the summary prompts quote the template');
      const md = fs.readFileSync(started.notesPath, 'utf8');
      assert.match(md, /## Went well\n\n_Written by test-lm\/fake-1 \(opt-in language model\) at the end of the meeting/);
      assert.match(md, /- Alice fixing auth\.ts went \\<b\\>well\\</);
      const records = (await readJournal(path.join(base, 'storage-lm', 'sessions', `${started.sessionId}.jsonl`))).records;
      assert.ok(records.some((r) => r.type === 'templateSections'), 'journaled');
      assert.equal(records[0].type === 'session' && records[0].template?.id, 'retro', 'the header keeps the template');
    } finally {
      await withModel.dispose();
    }
  });
});
