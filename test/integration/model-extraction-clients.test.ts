/**
 * The same opt-in language-model extraction reached two other ways, end to end: `earshot notes --llm-endpoint` over a
 * transcript file against the SCRIPTED chat-completions server (scripted-extraction.ts), and the provider 'vscode-lm',
 * where the real daemon asks its client chunk by chunk (earshot/languageModel/chat) at a normal stop of a session
 * recorded from the sample. In a real VS Code: test/editor/suite/language-model.test.ts (a chat model registered
 * through VS Code's Language Model API in code-server); the prompts alone: test/unit/model-extract.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJournal } from '../../daemon/journal/journal';
import { miniModel, SAMPLE_WAV } from '../setup';
import {
  ActionItem, ActionItemNotification, ExtractionProgressNotification, ExtractionProgressParams, LanguageModelChat, LanguageModelChatParams, PROTOCOL_VERSION, SessionStart,
} from '../../protocol/protocol';
import { connectDaemon, runEarshot } from './daemon-process';
import { reply, scriptedExtraction } from './scripted-extraction';

describe('language-model extraction over the whole meeting (real daemon, scripted endpoint)', function () {
  this.timeout(120_000);
  const fx = scriptedExtraction();
  const { scriptedServer } = fx;

  it('earshot notes --llm-endpoint: the same extraction over a transcript file, dismissal included; a remote endpoint is refused', async () => {
    const transcript = path.join(fx.dir, 'meeting.txt');
    fs.writeFileSync(transcript, ["Ana: Okay, I'll go first with the slides.", 'Ben: Sounds good.', 'Ana: Maria will send the budget figures to finance by Friday.', 'Ben: We agreed to ship on Monday.'].join('\n'));
    let shown: string[] = [];
    const scripted = await scriptedServer((r, res, _req) => {
      shown = [...r.user.matchAll(/"id":"(a\d+)","kind":"actionItem","text":"([^"]*)"/g)].map((m) => `${m[1]}:${m[2]}`);
      reply(res, JSON.stringify({
        actionItems: [{ text: 'Ben updates the release checklist', owner: 'Ben', due: null, segments: [r.ids[1]] }],
        decisions: [],
        // Whatever the rules found first (the commitment on line 3): the model dismisses it, the CLI shows it dismissed.
        dismiss: shown.length ? [{ id: shown[0].split(':')[0], reason: 'Scripted dismissal.' }] : [],
      }));
    });
    const run = await runEarshot(['notes', transcript, '--date', '2030-01-01', '--json', '--llm-endpoint', scripted.endpoint, '--llm-model', 'scripted:1b']);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { actionItems: { text: string; by?: string }[]; dismissed: { text: string; reason: string; by: string }[] };
    assert.equal(scripted.requests.length, 1);
    assert.deepEqual(scripted.requests[0].ids, ['l-1', 'l-2', 'l-3', 'l-4']);
    assert.ok(shown.length >= 1, 'the rules found the commitment on line 3 and the model was shown it');
    const dismissedText = shown[0].slice(shown[0].indexOf(':') + 1);
    assert.deepEqual(out.dismissed, [{ kind: 'actionItem', text: dismissedText, reason: 'Scripted dismissal.', by: 'scripted:1b' }]);
    assert.ok(!out.actionItems.some((i) => i.text === dismissedText), 'the dismissed item is not among the action items');
    assert.ok(out.actionItems.some((i) => i.text === 'Ben updates the release checklist' && i.by === 'scripted:1b'));
    assert.match(run.stderr, /language model: 1 chunk done/);
    const remote = await runEarshot(['notes', transcript, '--llm-endpoint', 'https://api.example.com']);
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /not on this machine.*--llm-allow-remote/s);
  });

  it('vscode-lm at a normal stop: the daemon asks the client chunk by chunk (earshot/languageModel/chat) and announces what it added', async () => {
    const client = connectDaemon();
    fx.clients.push(client);
    const asked: LanguageModelChatParams[] = [];
    const items: ActionItem[] = [];
    const progress: ExtractionProgressParams[] = [];
    client.connection.onNotification(ActionItemNotification, (i) => { items.push(i); });
    client.connection.onNotification(ExtractionProgressNotification, (p) => { progress.push(p); });
    // The part the extension plays (extension/models/languageModel.ts relays this to vscode.lm; code-server has no model).
    client.connection.onRequest(LanguageModelChat, (params) => {
      asked.push(params);
      const first = /^\[([\w-]+)\]/m.exec(params.user)![1];
      return { text: JSON.stringify({ actionItems: [{ text: 'Send the standup recording to the team', owner: 'Speaker', due: null, segments: [first] }], decisions: [], dismiss: [] }), model: 'test-lm/fake-1' };
    });
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(fx.dir, 'storage'), notesDir: path.join(fx.dir, 'notes'), modelPath: miniModel(), threads: 1,
      enhancement: { provider: 'vscode-lm' },
    });
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'Standup' });
    const done = await client.sessionDone(started.sessionId);
    assert.equal(done.error, undefined);
    assert.ok(asked.length >= 1);
    assert.ok(asked.every((a) => a.sessionId === started.sessionId && /Answer with one JSON object/.test(a.system)));
    const added = items.filter((i) => i.id === 'am1');
    assert.equal(added.length, 1, 'announced once');
    assert.equal(added[0].refinedBy, 'test-lm/fake-1');
    assert.equal(progress[progress.length - 1].state, 'done');
    const notes = fs.readFileSync(started.notesPath, 'utf8');
    assert.match(notes, /- \[ \] Send the standup recording to the team — @Speaker _\(found by test-lm\/fake-1, 00:\d\d\)_ <!-- earshot:am1 -->/);
    const records = (await readJournal(path.join(fx.dir, 'storage', 'sessions', `${started.sessionId}.jsonl`))).records;
    assert.deepEqual(records.slice(-2).map((r) => r.type), ['refinement', 'end']);
  });
});
