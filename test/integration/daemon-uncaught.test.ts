/**
 * The real daemon process when something in it fails with nothing to catch it (test/support/raise-on-signal.ts, on
 * SIGUSR2), or when finalizing hangs (issue 54, "Nothing sticks"; security review 2, S4): rejected promises are counted
 * in every health report and logged (the error's name and where, never its message; 50 lines at most) while the
 * recording goes on; an exception thrown from a callback ends the process, and finalizing that runs out of time ends it
 * too. Either way the session's lock goes with the process and a new daemon finalizes the session from its journal,
 * losing nothing journaled.
 */
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import { PROTOCOL_VERSION, SessionInterrupted, SessionStart, SessionStop } from '../../protocol/protocol';
import { readJournal, segmentsOf } from '../../daemon/journal/journal';
import { lockPathOf } from '../../daemon/journal/lock';
import { EXIT_FINALIZE_TIMED_OUT } from '../../daemon/rpc/server';
import { EXIT_UNCAUGHT } from '../../daemon/rpc/uncaught';
import { MEETING_SENTENCE_TOKENS, SAMPLE_WAV, sayingModel } from '../setup';
import { RAISED_WORDS } from '../support/raise-on-signal';
import { connectDaemon, miniDaemon, RpcClient } from './daemon-process';

const preload = `--require ${JSON.stringify(path.join(__dirname, '..', 'support', 'raise-on-signal.js'))}`;
const withPreload = (env: NodeJS.ProcessEnv) => ({ NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${preload}`.trim(), ...env });

describe('an error nothing caught in the daemon (real daemon, real whisper)', function () {
  this.timeout(120_000);

  it('rejections: each counted in the health reports, 50 logged without their words, and the recording goes on', async () => {
    const daemon = await miniDaemon('earshot-uncaught-', withPreload({ RAISE_ON_SIGNAL: 'rejections', RAISE_REJECTIONS: '60' }));
    const { client } = daemon;
    try {
      const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
      await client.waitFor('a first transcript', () => client.transcripts.length > 0);
      process.kill(client.daemon.child.pid!, 'SIGUSR2');
      await client.waitFor('a health report counting all 60', () => client.health.some((h) => h.uncaughtErrors === 60));
      const heard = client.transcripts.length;
      await client.waitFor('more of the recording transcribed', () => client.transcripts.length > heard);
      await client.connection.sendRequest(SessionStop, { sessionId });
      assert.equal((await client.sessionDone(sessionId)).error, undefined);
      const journal = await readJournal(path.join(daemon.dir, 'storage', 'sessions', `${sessionId}.jsonl`));
      assert.ok(journal.records.some((r) => r.type === 'segment') && journal.records.some((r) => r.type === 'end'));
      const reported = client.logs.filter((l) => /"event":"unhandled_rejection"/.test(l));
      assert.equal(reported.length, 50, 'at most 50 lines');
      assert.equal(client.logs.filter((l) => /"event":"uncaught_no_longer_logged"/.test(l)).length, 1);
      assert.match(reported[0], /"name":"TypeError".*"at":"[^"]*raise-on-signal\.js:\d+:\d+\)?"/);
      const lines = client.logs.join('\n');
      assert.ok(!lines.includes('swordfish') && !client.daemon.stderr().includes(RAISED_WORDS), lines);
    } finally {
      await daemon.close(); // exits 0
    }
  });

  describe('the daemon exits, and a new one finalizes the session from its journal', () => {
    let dir: string;
    const clients: RpcClient[] = [];
    let server: http.Server | undefined;
    const init = (extra: Record<string, unknown> = {}) => ({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'),
      modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS), threads: 1, ...extra,
    });
    const connect = (env: NodeJS.ProcessEnv = {}) => {
      const client = connectDaemon(env);
      clients.push(client);
      return client;
    };
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-stuck-')); });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.dispose().catch(() => undefined)));
      server?.closeAllConnections();
      server?.close();
      server = undefined;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** A new daemon lists the session as interrupted (its lock's pid is gone), finalizes it, and keeps every final. */
    async function recovered(sessionId: string, journaledFinals: number): Promise<void> {
      const journalPath = path.join(dir, 'storage', 'sessions', `${sessionId}.jsonl`);
      const lock = JSON.parse(fs.readFileSync(lockPathOf(journalPath), 'utf8')) as { pid: number };
      assert.throws(() => process.kill(lock.pid, 0), 'the lock names a pid that is gone');
      const next = connect();
      await next.initialize(init());
      const listed = await next.connection.sendRequest(SessionInterrupted, {});
      assert.deepEqual(listed.sessions.map((s) => s.sessionId), [sessionId]);
      const result = await next.connection.sendRequest(SessionStop, { sessionId });
      assert.equal(result.segments.length, journaledFinals, 'every final journaled before the exit is in its notes');
      const journal = await readJournal(journalPath);
      assert.equal(journal.records.at(-1)?.type, 'end');
      assert.ok(!fs.existsSync(lockPathOf(journalPath)), 'its lock is gone');
    }

    it('an exception thrown from a callback: the daemon exits (70) at once, its meeting never left "stopping" with the lock held', async () => {
      const client = connect(withPreload({ RAISE_ON_SIGNAL: 'exception' }));
      await client.initialize(init());
      const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
      await client.waitFor('a first final', () => client.transcripts.some((t) => t.final && t.text));
      const exited = once(client.daemon.child, 'exit');
      process.kill(client.daemon.child.pid!, 'SIGUSR2');
      const [code] = await exited;
      assert.equal(code, EXIT_UNCAUGHT);
      const said = client.daemon.stderr() + client.logs.join('\n');
      assert.match(said, /"event":"uncaught_exception".*"name":"RangeError"/);
      assert.match(said, /"event":"exiting".*"code":70/);
      assert.ok(!said.includes('swordfish'));
      assert.ok(!client.states.some((s) => s.sessionId === sessionId && s.state !== 'streaming'), 'never stopping, finalizing or done here');
      const journaled = segmentsOf((await readJournal(path.join(dir, 'storage', 'sessions', `${sessionId}.jsonl`))).records).length;
      assert.ok(journaled >= 1);
      await recovered(sessionId, journaled);
    });

    it('a finalize that hangs (the model never answers at stop): the daemon exits (75) within the limit, and a new one finalizes it', async () => {
      // A chat-completions endpoint that takes every request and never answers.
      server = http.createServer(() => undefined);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const client = connect({ EARSHOT_FINALIZE_LIMIT_SEC: '3' });
      await client.initialize(init({ enhancement: { provider: 'openai-compatible', endpoint, model: 'never:1b', timeoutSec: 300, maxConcurrency: 1 } }));
      const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', identifySpeakers: false });
      // The file ends the session by itself: it finalizes, and waits for the model's answer for the last chunks.
      await client.waitFor('the session finalizing', () => client.states.some((s) => s.sessionId === sessionId && s.state === 'finalizing'), 60_000);
      const journaled = segmentsOf((await readJournal(path.join(dir, 'storage', 'sessions', `${sessionId}.jsonl`))).records).length;
      assert.ok(journaled >= 1);
      const exited = once(client.daemon.child, 'exit');
      const left = Date.now();
      client.daemon.child.stdin.end(); // the client leaves: finalize, then exit
      const [code] = await exited;
      assert.equal(code, EXIT_FINALIZE_TIMED_OUT);
      assert.ok(Date.now() - left < 20_000, `exited ${Date.now() - left} ms after the client left (limit 3 s)`);
      assert.match(client.daemon.stderr(), /"event":"finalize_timed_out".*"limitSec":3/);
      assert.ok(!client.states.some((s) => s.sessionId === sessionId && s.state === 'done'));
      await recovered(sessionId, journaled);
    });
  });
});
