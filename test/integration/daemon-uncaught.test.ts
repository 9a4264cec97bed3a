/**
 * The real daemon process when something in it fails with nothing to catch it (a library's promise rejected, an
 * exception thrown from a callback: test/support/raise-on-signal.ts does both on SIGUSR2): it logs each (the error's
 * name and where, never its message) and the session recording meanwhile goes on to its notes.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { SessionStart, SessionStop } from '../../protocol/protocol';
import { readJournal } from '../../daemon/journal/journal';
import { SAMPLE_WAV } from '../setup';
import { RAISED_WORDS } from '../support/raise-on-signal';
import { miniDaemon } from './daemon-process';

describe('an error nothing caught in the daemon (real daemon, real whisper)', function () {
  this.timeout(120_000);

  it('is logged without its words, and the recording goes on', async () => {
    const preload = path.join(__dirname, '..', 'support', 'raise-on-signal.js');
    const daemon = await miniDaemon('earshot-uncaught-', { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(preload)}`.trim() });
    const { client } = daemon;
    try {
      const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
      await client.waitFor('a first transcript', () => client.transcripts.length > 0);
      process.kill(client.daemon.child.pid!, 'SIGUSR2');
      const reported = () => client.logs.filter((l) => /"event":"(unhandled_rejection|uncaught_exception)"/.test(l));
      await client.waitFor('both errors logged', () => reported().length === 2);
      const heard = client.transcripts.length;
      await client.waitFor('more of the recording transcribed', () => client.transcripts.length > heard);
      await client.connection.sendRequest(SessionStop, { sessionId });
      assert.equal((await client.sessionDone(sessionId)).error, undefined);
      const journal = await readJournal(path.join(daemon.dir, 'storage', 'sessions', `${sessionId}.jsonl`));
      assert.ok(journal.records.some((r) => r.type === 'segment') && journal.records.some((r) => r.type === 'end'));
      const lines = reported().join('\n');
      assert.match(lines, /"name":"TypeError"/);
      assert.match(lines, /"name":"RangeError".*"at":"[^"]*raise-on-signal\.js:\d+:\d+\)?"/);
      assert.ok(!lines.includes('swordfish') && !client.daemon.stderr().includes(RAISED_WORDS), lines);
    } finally {
      await daemon.close(); // exits 0
    }
  });
});
