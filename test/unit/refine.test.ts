import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ANSWER_RESERVE_TOKENS, answerTokensFor, chatCompletionsUrl, localhostLookup, openAiCompatibleChat, RefineFailure, SUMMARY_POINT_TOKENS, timeLimitFor } from '../../daemon/understanding/providers';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';
import { renderNotes } from '../../daemon/documents/markdown';
import { displayModel } from '../../daemon/documents/notesText';
import { parsePreviousNotes } from '../../daemon/documents/previousNotes';
import { cutArrayElements, extractJsonObject } from '../../protocol/modelJson';
import { fakeResolver } from '../support/resolver';
import { InvalidParamsError, isLoopbackAddress, isLoopbackHost, validateEnhancement, validateInitializationOptions } from '../../protocol/validate';

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

    it('counts localhost and *.localhost as this machine (the daemon connects to them on loopback itself), and only real loopback addresses', () => {
      for (const local of ['http://localhost:11434', 'http://ollama.localhost:11434', 'http://LOCALHOST.:1', 'http://[0:0:0:0:0:0:0:1]:1']) {
        assert.equal(validateEnhancement({ provider: 'openai-compatible', endpoint: local }).endpoint, local);
      }
      rejects(() => validateEnhancement({ provider: 'openai-compatible', endpoint: 'http://ollama.example:11434' }), /not on this machine/);
      for (const yes of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1']) assert.equal(isLoopbackAddress(yes), true, yes);
      for (const no of ['127.0.0.999', '127.1', '127.0.0.1.nip.io', 'localhost', '::2', '0.0.0.0', '128.0.0.1', '']) assert.equal(isLoopbackAddress(no), false, no);
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

    it('takes the complete elements of an array an answer cut short was listing, none after the cut', () => {
      const whole = { points: [{ text: 'One } with a brace', cites: ['m-1'] }, { text: 'Two', cites: ['m-2', 'm-3'] }, { text: 'Three, cut', cites: ['m-4'] }] };
      const text = JSON.stringify(whole);
      const cutAt = text.indexOf('Three') + 3;
      assert.deepEqual(cutArrayElements(text.slice(0, cutAt), 'points'), whole.points.slice(0, 2));
      assert.deepEqual(cutArrayElements(`Here: ${text}`, 'points'), whole.points, 'a whole answer: every element');
      assert.deepEqual(cutArrayElements('{"points": [{"text": "Half', 'points'), [], 'cut in its first element: none');
      assert.equal(cutArrayElements('{"summary": ["a"]}', 'points'), undefined, 'no such array');
      assert.deepEqual(cutArrayElements('{"points": [], "more": [{"a": 1}]}', 'points'), [], 'the array closed: nothing after it is taken');
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
    /** A server on 127.0.0.1 answering each request with `handler`; its sockets are closed with it. */
    async function serve(handler: http.RequestListener): Promise<{ port: number; close(): Promise<void> }> {
      const server = http.createServer(handler);
      const sockets = new Set<Socket>();
      server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return {
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      };
    }

    it('posts to /v1/chat/completions whether or not the endpoint ends with /v1', () => {
      assert.equal(chatCompletionsUrl('http://127.0.0.1:11434'), 'http://127.0.0.1:11434/v1/chat/completions');
      assert.equal(chatCompletionsUrl('http://127.0.0.1:11434/v1/'), 'http://127.0.0.1:11434/v1/chat/completions');
      assert.equal(chatCompletionsUrl('http://127.0.0.1:8080/llm'), 'http://127.0.0.1:8080/llm/v1/chat/completions');
    });

    it('reaches a *.localhost endpoint on loopback without asking any resolver, the Host header kept', async () => {
      const seen: { host?: string; url?: string; body?: string } = {};
      const server = await serve((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (c: string) => { body += c; });
        req.on('end', () => {
          Object.assign(seen, { host: req.headers.host, url: req.url, body });
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ model: 'm', choices: [{ message: { content: 'ok' } }] }));
        });
      });
      const resolver = fakeResolver('ENOTFOUND');
      try {
        const chat = openAiCompatibleChat({ provider: 'openai-compatible', endpoint: `http://foo.localhost:${server.port}/v1` }, { json: false });
        assert.deepEqual(await chat('system', 'user', new AbortController().signal), { text: 'ok', model: 'm' });
        assert.equal(seen.host, `foo.localhost:${server.port}`);
        assert.equal(seen.url, '/v1/chat/completions');
        assert.equal((JSON.parse(seen.body!) as { messages: { content: string }[] }).messages[1].content, 'user');
        assert.deepEqual(resolver.asked, [], 'dns.lookup was not called');
        // Any other name is still the resolver's.
        const elsewhere = openAiCompatibleChat({ provider: 'openai-compatible', endpoint: 'http://models.example:1', allowRemote: true });
        await assert.rejects(elsewhere('s', 'u', new AbortController().signal), (e: unknown) => e instanceof RefineFailure && e.message === 'network ENOTFOUND' && e.retry);
        assert.deepEqual(resolver.asked, ['models.example']);
      } finally {
        resolver.restore();
        await server.close();
      }
      const answers = (name: string, options: { all?: boolean; family?: number }) => new Promise<unknown>((resolve, reject) => {
        localhostLookup(name, options, (e, address, family) => (e ? reject(e) : resolve(options.all ? address : [address, family])));
      });
      assert.deepEqual(await answers('Ollama.LOCALHOST.', { all: true }), [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
      assert.deepEqual(await answers('localhost', { family: 6 }), ['::1', 6]);
    });

    it("caps each answer as its call does (max_tokens: answerTokensFor): a chunk's at 1,000 tokens, a summary's by the points it may hold", async () => {
      const asked: number[] = [];
      const server = await serve((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (c: string) => { body += c; });
        req.on('end', () => {
          asked.push((JSON.parse(body) as { max_tokens: number }).max_tokens);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ model: 'm', choices: [{ message: { content: '{}' } }] }));
        });
      });
      try {
        const chat = openAiCompatibleChat({ provider: 'openai-compatible', endpoint: `http://127.0.0.1:${server.port}` });
        const signal = new AbortController().signal;
        await chat('s', 'u', signal);
        await chat('s', 'u', signal, { segmentIds: ['m-1'], itemIds: [], actionItemIds: [], speakers: ['Ann'] });
        await chat('s', 'u', signal, { summary: { segmentIds: ['m-1'], maxPoints: 5 } });
        await chat('s', 'u', signal, { summary: { segmentIds: ['m-1'], maxPoints: 20 } });
        assert.deepEqual(asked, [ANSWER_RESERVE_TOKENS, ANSWER_RESERVE_TOKENS, 40 + 5 * SUMMARY_POINT_TOKENS, 40 + 20 * SUMMARY_POINT_TOKENS]);
        assert.equal(answerTokensFor({ summary: { segmentIds: [], maxPoints: 20 } }), 2840, "the longest settle's cap");
        // And its time limit: a chunk's, grown by what the call may write beyond a chunk's cap.
        assert.deepEqual([undefined, { owners: { itemIds: [], speakers: [] } }, { summary: { segmentIds: [], maxPoints: 5 } }, { summary: { segmentIds: [], maxPoints: 20 } }]
          .map((c) => timeLimitFor(20_000, c)), [20_000, 20_000, 20_000, 56_800]);
      } finally {
        await server.close();
      }
    });

    it('drops an answer once it passes 1 MiB, as it streams: the call fails and the connection is closed before the server is done', async () => {
      /** The server streams up to 64 MiB, honouring backpressure, and says whether it got to the end. */
      const TOTAL = 64 << 20;
      let finished: (outcome: { sent: number; complete: boolean }) => void;
      const outcome = new Promise<{ sent: number; complete: boolean }>((r) => { finished = r; });
      const server = await serve((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' });
        const piece = Buffer.alloc(64 << 10, 'a');
        let sent = 0;
        res.on('close', () => finished({ sent, complete: sent >= TOTAL }));
        const pump = () => {
          while (sent < TOTAL && !res.destroyed) {
            sent += piece.length;
            if (!res.write(piece)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
      });
      try {
        const chat = openAiCompatibleChat({ provider: 'openai-compatible', endpoint: `http://127.0.0.1:${server.port}` });
        await assert.rejects(chat('s', 'u', new AbortController().signal), (e: unknown) => e instanceof RefineFailure && e.message === 'response too large');
        const { sent, complete } = await outcome;
        assert.equal(complete, false, `the server sent all ${sent} bytes: the answer was read to its end`);
      } finally {
        await server.close();
      }
    });

    it('a network failure is a retryable failure naming its code; a redirect is not followed', async () => {
      const server = await serve((req, res) => {
        req.resume();
        res.writeHead(302, { location: 'http://192.0.2.1/v1/chat/completions' }).end();
      });
      const port = server.port;
      try {
        const redirected = openAiCompatibleChat({ provider: 'openai-compatible', endpoint: `http://127.0.0.1:${port}` });
        await assert.rejects(redirected('s', 'u', new AbortController().signal), (e: unknown) => e instanceof RefineFailure && e.message === 'http-302' && !e.retry);
      } finally {
        await server.close();
      }
      const refused = openAiCompatibleChat({ provider: 'openai-compatible', endpoint: `http://127.0.0.1:${port}` });
      await assert.rejects(refused('s', 'u', new AbortController().signal), (e: unknown) => e instanceof RefineFailure && e.message === 'network ECONNREFUSED' && e.retry);
    });
  });
});
