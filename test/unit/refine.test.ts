import * as assert from 'node:assert/strict';
import { chatCompletionsUrl } from '../../daemon/enhance';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';
import { parsePreviousNotes, renderNotes } from '../../daemon/notes/markdown';
import { displayModel } from '../../daemon/notes/markdown';
import { refineInput, refinementRecords } from '../../daemon/notes/refine';
import { extractJsonObject, parseRefinementText, refineMessages } from '../../protocol/refine';
import { InvalidParamsError, isLoopbackHost, validateEnhancement, validateInitializationOptions, validateRefineResult } from '../../protocol/validate';

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

  describe('parsing a model answer', () => {
    const good = { summary: ['We chose a token bucket.', 'Login timeout gets fixed.'], actionItems: [{ id: 'a1', text: 'Fix the login timeout', owner: 'You', due: '2025-03-07' }], decisions: [{ text: 'No feature flag', kind: 'negative' }] };

    it('reads a bare JSON object', () => {
      assert.deepEqual(parseRefinementText(JSON.stringify(good), 'm'), { ...good, model: 'm' });
    });

    it('finds the JSON among the text around it, or in a fenced block', () => {
      const chatty = `Sure! Here are the refined notes {as requested}:\n${JSON.stringify(good, null, 2)}\nLet me know if you want changes.`;
      assert.deepEqual(parseRefinementText(chatty, 'm')?.summary, good.summary);
      const fenced = 'Here you go:\n```json\n' + JSON.stringify(good) + '\n```\nThanks';
      assert.deepEqual(parseRefinementText(fenced, 'm')?.actionItems, good.actionItems);
      const braceInString = `x {"summary": ["a } inside a string", "b"]} y`;
      assert.deepEqual(parseRefinementText(braceInString, 'm')?.summary, ['a } inside a string', 'b']);
    });

    it('gives null for malformed or empty answers', () => {
      for (const bad of ['', 'no json here', '{"summary": [', '[1, 2, 3]', '{"summary": []}', '{"summary": 5, "actionItems": "none"}', 'null']) {
        assert.equal(parseRefinementText(bad, 'm'), null, bad);
      }
      assert.equal(extractJsonObject('{{{{'), undefined);
    });

    it('drops entries of the wrong type one by one and repairs what it can', () => {
      const r = validateRefineResult({
        summary: ['ok', 7, null, '  spaced\n out  ', ''],
        actionItems: [
          { text: 'Keep me', owner: '@Ana', due: 'next Friday' },
          { text: 42 }, 'a string', null, { owner: 'Bo' },
          { id: '../etc', text: 'Bad id becomes new', owner: 7, due: '2025-02-30x' },
          { id: 3, text: 'Numeric id', owner: null, due: '2025-03-10' },
        ],
        decisions: [{ text: 'Kind unknown', kind: 'maybe' }, { text: 'Deferred', kind: 'deferral', id: 'd4' }, { kind: 'decision' }],
        model: 123,
      }, 'fallback');
      assert.ok(r);
      assert.deepEqual(r.summary, ['ok', 'spaced out']);
      assert.deepEqual(r.actionItems, [
        { text: 'Keep me', owner: 'Ana', due: null },
        { text: 'Bad id becomes new', owner: null, due: null },
        { id: '3', text: 'Numeric id', owner: null, due: '2025-03-10' },
      ]);
      assert.deepEqual(r.decisions, [{ text: 'Kind unknown', kind: 'decision' }, { id: 'd4', text: 'Deferred', kind: 'deferral' }]);
      assert.equal(r.model, 'fallback');
    });

    it('accepts a summary given as one string of bullets and bounds long texts', () => {
      const r = validateRefineResult({ summary: '- one\n- two\n\n* three', model: 'x' });
      assert.deepEqual(r?.summary, ['one', 'two', 'three']);
      const long = validateRefineResult({ summary: ['y'.repeat(2000)], model: 'x' });
      assert.equal(long?.summary?.[0].length, 500);
      assert.equal(validateRefineResult('text'), null);
      assert.equal(validateRefineResult(null), null);
    });

    it('names the model the caller used, not what the answer claims', () => {
      assert.equal(parseRefinementText('{"summary":["a"],"model":"gpt-99"}', 'ollama/llama3')?.model, 'ollama/llama3');
    });
  });

  describe('the request', () => {
    it('shows the summary, the live items and the end of the transcript within the budget', () => {
      const input = refineInput(journal());
      assert.equal(input.sessionId, 's1');
      assert.equal(input.title, 'Design review');
      assert.equal(input.date, header.startedAt);
      assert.equal(input.transcript.length, 4);
      assert.equal(input.omittedLines, 0);
      assert.deepEqual(input.transcript[1], { speaker: 'Ana', t0: 9, text: 'Can you look into the login timeout?' });
      assert.deepEqual(input.actionItems.map((i) => i.id), ['a2', 'a1'], 'live items only, in order of time');
      assert.deepEqual(input.decisions, [{ id: 'd4', text: "We're not adding a feature flag for this.", kind: 'negative' }]);
      assert.ok(input.summary.length >= 1);
      const bounded = refineInput(journal(), 120);
      assert.deepEqual(bounded.transcript.map((l) => l.speaker), ['You', 'Ana'], 'the last lines that fit');
      assert.equal(bounded.omittedLines, 2);
      assert.equal(refineInput(journal(), 100_000, 1).transcript.length, 1);
      const { system, user } = refineMessages(bounded);
      assert.match(system, /"actionItems"/);
      assert.match(user, /2 earlier lines left out/);
      assert.match(user, /\[00:20\] Ana: We're not adding/);
    });
  });

  describe('journal records and notes', () => {
    const refinement = {
      provider: 'vscode-lm' as const, model: 'copilot/gpt-4o',
      summary: ['Token bucket per API key, in Redis.', 'Login timeout fix by Friday.'],
      actionItems: [
        { id: 'a1', text: 'Fix the login timeout', owner: null, due: null },
        { id: 'a2', text: 'Update the runbook.', owner: null, due: null },
        { id: 'a3', text: 'Withdrawn thing, resurrected', owner: null, due: null },
        { text: 'Write the Redis migration', owner: 'Ana', due: '2025-03-12' },
        { text: 'update the RUNBOOK', owner: null, due: null },
      ],
      decisions: [{ id: 'd4', text: 'No feature flag for the limiter', kind: 'negative' as const }, { text: 'Use a token bucket', kind: 'decision' as const }],
    };

    it('revises rewritten items without clearing owner or due, adds new ones, never resurrects or duplicates', () => {
      const { records, items, decisions } = refinementRecords(journal(), refinement, new Date('2025-03-05T10:00:00Z'));
      assert.deepEqual(items, [
        { id: 'a1', revision: 3, text: 'Fix the login timeout', owner: 'You', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'm-3', t0: 14, refinedBy: 'copilot/gpt-4o' },
        { id: 'ar1', revision: 1, text: 'Write the Redis migration', owner: 'Ana', due: '2025-03-12', duePhrase: null, segmentId: '', t0: 22, refinedBy: 'copilot/gpt-4o' },
      ]);
      assert.deepEqual(decisions.map((d) => [d.id, d.revision, d.text]), [['d4', 2, 'No feature flag for the limiter'], ['dr1', 1, 'Use a token bucket']]);
      const last = records[records.length - 1];
      assert.deepEqual(last, {
        type: 'refinement', at: '2025-03-05T10:00:00.000Z', provider: 'vscode-lm', model: 'copilot/gpt-4o', summary: refinement.summary,
        actionItemIds: ['a1', 'ar1'], decisionIds: ['d4', 'dr1'],
      });
    });

    it('shows the refined summary labelled above the extractive one, and marks refined and added items', () => {
      const { records } = refinementRecords(journal(), refinement);
      const ended = journal([...records, { type: 'end', stoppedAt: '2025-03-05T09:30:00.000Z', capturedSec: 30 }]);
      const md = renderNotes(ended);
      const summary = md.slice(md.indexOf('## Summary'), md.indexOf('## Decisions'));
      assert.match(summary, /_Refined by copilot\/gpt-4o \(opt-in\)\. Written by a language model/);
      assert.ok(summary.indexOf('- Token bucket per API key, in Redis.') < summary.indexOf('_Extractive summary'), summary);
      assert.match(summary, /_Extractive summary: sentences from the transcript\._\n\n- .*_\(You, 00:03\)_/);
      assert.match(md, /- \[ \] Fix the login timeout — @You, due 2025-03-07 _\(refined, 00:14\)_ <!-- earshot:a1 -->/);
      assert.match(md, /- \[ \] Write the Redis migration — @Ana, due 2025-03-12 _\(added by refinement, 00:22\)_ <!-- earshot:ar1 -->/);
      assert.match(md, /- \[ \] Update the runbook\. _\(00:03\)_/, 'an item the refinement did not change stays as it was');
      assert.match(md, /\*\*Not doing:\*\* No feature flag for the limiter _\(refined, 00:20\)_/);
      assert.doesNotMatch(md, /resurrected/);
      // The label lines are Earshot's: a file whose markers were removed still finds the user's notes after them.
      assert.equal(parsePreviousNotes(md).myNotes, '\n');
    });

    it('shows no label while the meeting runs or without a refinement', () => {
      assert.doesNotMatch(renderNotes(journal([{ type: 'end', stoppedAt: 'x', capturedSec: 30 }])), /Refined by|Extractive summary/);
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
