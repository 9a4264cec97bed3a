import * as assert from 'node:assert/strict';
import { chatCompletionsUrl } from '../../daemon/understanding/providers';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';
import { renderNotes } from '../../daemon/documents/markdown';
import { displayModel } from '../../daemon/documents/notesText';
import { parsePreviousNotes } from '../../daemon/documents/previousNotes';
import { extractJsonObject } from '../../protocol/modelJson';
import { InvalidParamsError, isLoopbackHost, validateEnhancement, validateInitializationOptions } from '../../protocol/validate';

function rejects(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidParamsError, `expected InvalidParamsError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

const header = {
  type: 'session' as const, version: 1, sessionId: 's1', title: 'Design review', startedAt: '2025-03-05T09:00:00.000Z',
  sources: ['mic' as const], language: 'en', notesPath: '/n.md',
};
const seg = (segmentId: string, t0: number, speaker: string, text: string): JournalRecord => ({ type: 'segment', segmentId, source: 'mic', speaker, t0, t1: t0 + 2, text });

function journal(extra: JournalRecord[] = []): JournalContents {
  return {
    header,
    records: [
      header,
      seg('m-1', 3, 'You', 'So the proposal is a token bucket per API key, stored in Redis, refilled lazily on read.'),
      seg('m-2', 9, 'Ana', 'Can you look into the login timeout?'),
      seg('m-3', 14, 'You', "Sure, I'll fix the login timeout by Friday."),
      seg('m-4', 20, 'Ana', "We're not adding a feature flag for this."),
      { type: 'actionItem', id: 'a1', revision: 2, text: "I'll fix the login timeout by Friday.", owner: 'You', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'm-3', t0: 14 },
      { type: 'actionItem', id: 'a2', revision: 1, text: 'Update the runbook.', owner: null, due: null, duePhrase: null, segmentId: 'm-1', t0: 3 },
      { type: 'actionItem', id: 'a3', revision: 2, text: 'Withdrawn thing.', owner: null, due: null, duePhrase: null, segmentId: 'm-2', t0: 9, removed: true },
      { type: 'decision', id: 'd4', revision: 1, kind: 'negative', text: "We're not adding a feature flag for this.", segmentId: 'm-4', t0: 20 },
      ...extra,
    ],
    tornTail: false,
  };
}

describe('opt-in refinement', () => {
  describe('validateEnhancement', () => {
    it('defaults to off and keeps only known fields', () => {
      assert.deepEqual(validateEnhancement({}), { provider: 'off' });
      assert.deepEqual(validateEnhancement({ provider: 'vscode-lm', model: ' gpt-4o ', extra: 1 }), { provider: 'vscode-lm', model: 'gpt-4o' });
      assert.deepEqual(validateEnhancement({ provider: 'openai-compatible', endpoint: 'http://127.0.0.1:11434', model: 'llama3.1:8b', timeoutSec: 5 }),
        { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:11434', model: 'llama3.1:8b', timeoutSec: 5 });
    });

    it('ignores an endpoint left in the settings while another provider is chosen', () => {
      assert.deepEqual(validateEnhancement({ provider: 'off', endpoint: 'not a url' }), { provider: 'off' });
      assert.deepEqual(validateEnhancement({ provider: 'vscode-lm', endpoint: 'https://example.com' }), { provider: 'vscode-lm' });
    });

    it('refuses unknown providers, bad timeouts and non-http endpoints', () => {
      rejects(() => validateEnhancement({ provider: 'cloud' }), /provider must be one of off, vscode-lm, openai-compatible/);
      rejects(() => validateEnhancement({ provider: 'off', timeoutSec: 0 }), /timeoutSec/);
      rejects(() => validateEnhancement({ provider: 'off', timeoutSec: '20' }), /timeoutSec/);
      rejects(() => validateEnhancement({ provider: 'openai-compatible' }), /endpoint is required/);
      rejects(() => validateEnhancement({ provider: 'openai-compatible', endpoint: 'localhost:11434' }), /http or https URL/);
      rejects(() => validateEnhancement({ provider: 'openai-compatible', endpoint: 'ftp://127.0.0.1/' }), /http or https URL/);
      rejects(() => validateEnhancement({ provider: 'openai-compatible', endpoint: 'nonsense' }), /must be an http\(s\) URL/);
      rejects(() => validateEnhancement({ provider: 'openai-compatible', endpoint: 'http://me:secret@127.0.0.1:1' }), /user name or password/);
      rejects(() => validateEnhancement({ provider: 'openai-compatible', endpoint: 'http://127.0.0.1', allowRemote: 'yes' }), /allowRemote must be a boolean/);
    });

    it('refuses an endpoint off this machine unless allowRemote is set', () => {
      rejects(() => validateEnhancement({ provider: 'openai-compatible', endpoint: 'https://api.example.com' }), /api\.example\.com is not on this machine/, /allowRemoteEndpoint/);
      rejects(() => validateEnhancement({ provider: 'openai-compatible', endpoint: 'http://10.0.0.5:11434' }), /not on this machine/);
      assert.equal(validateEnhancement({ provider: 'openai-compatible', endpoint: 'https://api.example.com', allowRemote: true }).allowRemote, true);
      for (const local of ['http://localhost:11434', 'http://127.0.0.1:8080/v1', 'http://[::1]:1234', 'http://127.1.2.3']) {
        assert.equal(validateEnhancement({ provider: 'openai-compatible', endpoint: local }).endpoint, local);
      }
      assert.equal(isLoopbackHost('localhost.evil.com'), false);
      assert.equal(isLoopbackHost('127.0.0.1.nip.io'), false);
    });

    it('is part of the initialization options, absent unless given', () => {
      assert.equal(validateInitializationOptions({ protocolVersion: 1 }).enhancement, undefined);
      assert.deepEqual(validateInitializationOptions({ protocolVersion: 1, enhancement: { provider: 'vscode-lm' } }).enhancement, { provider: 'vscode-lm' });
      rejects(() => validateInitializationOptions({ protocolVersion: 1, enhancement: 'on' }), /initializationOptions\.enhancement must be an object/);
    });
  });

  describe('finding the JSON in a model answer', () => {
    const good = { actionItems: [{ text: 'Fix the login timeout', owner: 'You', due: '2025-03-07', segments: ['m-3'] }], decisions: [], dismiss: [] };

    it('reads a bare JSON object', () => {
      assert.deepEqual(extractJsonObject(JSON.stringify(good)), good);
    });

    it('finds the JSON among the text around it, or in a fenced block', () => {
      const chatty = `Sure! Here are the notes {as requested}:\n${JSON.stringify(good, null, 2)}\nLet me know if you want changes.`;
      assert.deepEqual(extractJsonObject(chatty), good);
      const fenced = 'Here you go:\n```json\n' + JSON.stringify(good) + '\n```\nThanks';
      assert.deepEqual(extractJsonObject(fenced), good);
      const braceInString = `x {"summary": ["a } inside a string", "b"]} y`;
      assert.deepEqual(extractJsonObject(braceInString), { summary: ['a } inside a string', 'b'] });
    });

    it('gives undefined when there is no JSON object', () => {
      for (const bad of ['', 'no json here', '{"summary": [', '[1, 2, 3]', 'null', '{{{{']) assert.equal(extractJsonObject(bad), undefined, bad);
    });
  });

  describe('notes of a refinement journaled by earlier versions', () => {
    const model = 'copilot/gpt-4o';
    const refined: JournalRecord[] = [
      { type: 'actionItem', id: 'a1', revision: 3, text: 'Fix the login timeout', owner: 'You', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'm-3', t0: 14, refinedBy: model },
      { type: 'actionItem', id: 'ar1', revision: 1, text: 'Write the Redis migration', owner: 'Ana', due: '2025-03-12', duePhrase: null, segmentId: '', t0: 22, refinedBy: model },
      { type: 'decision', id: 'd4', revision: 2, kind: 'negative', text: 'No feature flag for the limiter', segmentId: 'm-4', t0: 20, refinedBy: model },
      {
        type: 'refinement', at: '2025-03-05T10:00:00.000Z', provider: 'vscode-lm', model, summary: ['Token bucket per API key, in Redis.', 'Login timeout fix by Friday.'],
        actionItemIds: ['a1', 'ar1'], decisionIds: ['d4'],
      },
    ];

    it('shows the refined summary labelled (and no extractive sentences), and marks refined and added items', () => {
      const ended = journal([...refined, { type: 'end', stoppedAt: '2025-03-05T09:30:00.000Z', capturedSec: 30 }]);
      const md = renderNotes(ended);
      const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Decisions'));
      assert.equal(summary, '## Summary\n\n_Refined by copilot/gpt-4o (opt-in). Written by a language model from the transcript: check it against the transcript below._\n\n'
        + '- Token bucket per API key, in Redis.\n- Login timeout fix by Friday.\n\n');
      assert.match(md, /- \[ \] Fix the login timeout — @You, due 2025-03-07 _\(refined, 00:14\)_ <!-- earshot:a1 -->/);
      assert.match(md, /- \[ \] Write the Redis migration — @Ana, due 2025-03-12 _\(added by refinement, 00:22\)_ <!-- earshot:ar1 -->/);
      assert.match(md, /- \[ \] Update the runbook\. _\(00:03\)_/, 'an item the refinement did not change stays as it was');
      assert.match(md, /\*\*Not doing:\*\* No feature flag for the limiter _\(refined, 00:20\)_/);
      // The label lines are Earshot's: a file whose markers were removed still finds the user's notes after them.
      assert.equal(parsePreviousNotes(md).myNotes, '\n');
    });

    it('shows no label while the meeting runs or without a refinement', () => {
      assert.doesNotMatch(renderNotes(journal([{ type: 'end', stoppedAt: 'x', capturedSec: 30 }])), /Refined by|Written by/);
    });

    it('prints model names without Markdown', () => {
      assert.equal(displayModel('evil_(model)*[x]'), 'evil-model-x-');
      assert.equal(displayModel('llama3.1:8b'), 'llama3.1:8b');
      assert.equal(displayModel('   '), 'a language model');
    });
  });

  describe('openai-compatible endpoint', () => {
    it('posts to /v1/chat/completions whether or not the endpoint ends with /v1', () => {
      assert.equal(chatCompletionsUrl('http://127.0.0.1:11434'), 'http://127.0.0.1:11434/v1/chat/completions');
      assert.equal(chatCompletionsUrl('http://127.0.0.1:11434/v1/'), 'http://127.0.0.1:11434/v1/chat/completions');
      assert.equal(chatCompletionsUrl('http://127.0.0.1:8080/llm'), 'http://127.0.0.1:8080/llm/v1/chat/completions');
    });
  });
});
