/**
 * The extension's crash decisions: restart with backoff, give up on a crash loop, and what becomes of the session a
 * dead daemon ran or an earlier window left interrupted.
 */
import * as assert from 'node:assert/strict';
import { DEFAULT_RESTART_POLICY, OFFER_RESUME_MAX_AGE_MS, planInterrupted, RestartPolicy, sessionAfterCrash } from '../../extension/client/crashPolicy';
import { InterruptedSession, SessionStateParams } from '../../protocol/protocol';

const state = (over: Partial<SessionStateParams>): SessionStateParams => ({
  sessionId: 's1', state: 'streaming', title: 'Standup', startedAt: '2025-03-05T09:00:00.000Z', notesPath: '/n.md', mode: 'meeting', paused: [], ...over,
});
const found = (sessionId: string, lastWriteAt: number, mode: 'meeting' | 'dictation' = 'meeting'): InterruptedSession => ({
  sessionId, title: sessionId, startedAt: new Date(lastWriteAt - 60_000).toISOString(), mode, sources: ['mic'], finalSegments: 3,
  notesPath: mode === 'meeting' ? `/${sessionId}.md` : '', lastWriteAt: new Date(lastWriteAt).toISOString(), tornTail: false,
});

describe('crash policy', () => {
  describe('RestartPolicy', () => {
    it('restarts at once, then with a growing wait, and gives up on the sixth crash within a minute', () => {
      const policy = new RestartPolicy();
      const decisions = [0, 1000, 2000, 3000, 4000, 5000].map((t) => policy.crashed(t));
      assert.deepEqual(decisions.slice(0, 5).map((d) => d.restart && d.delayMs), [...DEFAULT_RESTART_POLICY.delaysMs]);
      const last = decisions[5];
      assert.ok(!last.restart);
      assert.match(last.message, /6 times within 60 seconds/);
    });

    it('forgets crashes older than the window, and starts over when the user restarts', () => {
      const policy = new RestartPolicy();
      for (let i = 0; i < 5; i++) policy.crashed(i * 1000);
      const later = policy.crashed(70_000);
      assert.ok(later.restart, 'crashes a minute apart are not a loop');
      for (let i = 1; i < 5; i++) policy.crashed(70_000 + i);
      assert.equal(policy.crashed(70_010).restart, false);
      policy.reset();
      const fresh = policy.crashed(70_020);
      assert.ok(fresh.restart && fresh.attempt === 1 && fresh.delayMs === 0);
    });
  });

  describe('sessionAfterCrash', () => {
    it('resumes a recording meeting or file, finishes a dictation or a session being stopped, ignores no session', () => {
      assert.equal(sessionAfterCrash(state({})), 'resume');
      assert.equal(sessionAfterCrash(state({ paused: ['mic'] })), 'resume');
      assert.equal(sessionAfterCrash(state({ mode: 'dictation' })), 'finalize');
      assert.equal(sessionAfterCrash(state({ state: 'stopping' })), 'finalize');
      assert.equal(sessionAfterCrash(state({ state: 'finalizing' })), 'finalize');
      assert.equal(sessionAfterCrash(state({ state: 'done' })), 'none');
      assert.equal(sessionAfterCrash(undefined), 'none');
    });
  });

  describe('planInterrupted', () => {
    it('offers the newest recent meeting and finishes the rest', () => {
      const now = Date.parse('2025-03-05T12:00:00.000Z');
      const plan = planInterrupted([
        found('old', now - OFFER_RESUME_MAX_AGE_MS - 1), found('recent', now - 60_000), found('newer-dictation', now - 1000, 'dictation'), found('older', now - 120_000),
      ], now);
      assert.equal(plan.offer?.sessionId, 'recent');
      assert.deepEqual(plan.finish.map((s) => s.sessionId), ['newer-dictation', 'older', 'old']);
    });

    it('offers nothing when only old meetings or dictations were interrupted', () => {
      const now = Date.now();
      const plan = planInterrupted([found('d', now, 'dictation'), found('old', now - OFFER_RESUME_MAX_AGE_MS - 5)], now);
      assert.equal(plan.offer, undefined);
      assert.equal(plan.finish.length, 2);
      assert.deepEqual(planInterrupted([], now), { finish: [] });
    });
  });
});
