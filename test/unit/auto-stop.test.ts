/**
 * Auto-stop's state machine (daemon/session/autoStop.ts) on a fake clock, with what detection sees and whether speech
 * is open given by hand; its wiring (daemon/service/autoStops.ts) with a real CallWatcher polling a fake detector; and
 * the validation of SessionStartParams.autoStop and AutoStopCancel. The real daemon on a real PulseAudio:
 * test/integration/calls-auto-stop.test.ts.
 */
import * as assert from 'node:assert/strict';
import { AutoStopStateParams, CallApp, CallsListResult } from '../../protocol/protocol';
import { validateAutoStopCancel, validateSessionStart } from '../../protocol/validate';
import { AUTO_STOP_REASONS, AutoStop, AutoStopChange, autoStopSettings, AutoStopTimers, isCallApp } from '../../daemon/session/autoStop';
import { autoStopOnResume, AutoStops } from '../../daemon/service/autoStops';
import { Session } from '../../daemon/session/session';
import { SessionHeader } from '../../daemon/journal/journal';

/** Timers that run only when the test moves the clock. */
class FakeClock implements AutoStopTimers {
  nowMs = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  set(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.nowMs + ms, fn, id });
    return id;
  }
  clear(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  wallNow(): number {
    return Date.parse('2026-01-01T10:00:00Z') + this.nowMs;
  }
  /** Moves the clock by `ms`, running each timer due on the way, in order. */
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.nowMs = next.at;
      next.fn();
    }
    this.nowMs = end;
  }
  get pending(): number {
    return this.timers.length;
  }
}

const zoom = (pid = 42): CallApp => ({ app: 'zoom', pid, since: '2026-01-01T10:00:00.000Z', sinceFrom: 'detector' });
const seen = (...apps: CallApp[]): CallsListResult => ({ apps, backend: 'pulse' });
const FAULT: CallsListResult = { apps: [], backend: 'pulse', fault: 'pactl did not answer within 2000 ms (killed)' };

function machine(params: { app: string; pid?: number; silenceSec?: number; countdownSec?: number } = { app: 'zoom', pid: 42, silenceSec: 30, countdownSec: 15 }) {
  const clock = new FakeClock();
  const changes: AutoStopChange[] = [];
  const state = { speaking: false, stops: 0 };
  const autoStop = new AutoStop(autoStopSettings(params), {
    speaking: () => state.speaking,
    stop: async () => { state.stops++; },
    changed: (c) => changes.push(c),
    timers: clock,
  });
  autoStop.begin(AUTO_STOP_REASONS.started);
  const states = () => changes.map((c) => c.state);
  return { clock, changes, state, autoStop, states };
}

describe('auto-stop', () => {
  describe('the state machine (fake clock)', () => {
    it('watching → silent when the app releases the microphone → countdown after silenceSec → stopped after countdownSec', () => {
      const { clock, changes, state, autoStop, states } = machine();
      autoStop.calls(seen(zoom()));
      assert.deepEqual(changes, [{ state: 'watching', reason: AUTO_STOP_REASONS.started }], 'the app is there: nothing changes');
      autoStop.calls(seen());
      assert.deepEqual(changes[1], { state: 'silent', reason: AUTO_STOP_REASONS.appReleased });
      clock.advance(29_999);
      assert.equal(autoStop.state, 'silent');
      clock.advance(1);
      assert.deepEqual(changes[2], { state: 'countdown', reason: AUTO_STOP_REASONS.silence, stopsAt: '2026-01-01T10:00:45.000Z' });
      clock.advance(14_999);
      assert.equal(state.stops, 0);
      clock.advance(1);
      assert.deepEqual(states(), ['watching', 'silent', 'countdown', 'stopped']);
      assert.equal(changes[3].reason, AUTO_STOP_REASONS.stopped);
      assert.equal(state.stops, 1);
      assert.equal(clock.pending, 0);
      autoStop.calls(seen(zoom()));
      assert.equal(changes.length, 4, 'nothing after stopped');
    });

    it('speech during the silence or the countdown goes back to watching; its end starts the silence over', () => {
      const { clock, changes, state, autoStop, states } = machine();
      autoStop.calls(seen(zoom()));
      autoStop.calls(seen());
      clock.advance(20_000);
      state.speaking = true;
      autoStop.speech();
      assert.deepEqual(changes.at(-1), { state: 'watching', reason: AUTO_STOP_REASONS.speech });
      clock.advance(60_000);
      assert.equal(autoStop.state, 'watching', 'no timer runs while speech goes on');
      state.speaking = false;
      autoStop.speech();
      assert.deepEqual(changes.at(-1), { state: 'silent', reason: AUTO_STOP_REASONS.speechEnded });
      clock.advance(30_000);
      assert.equal(autoStop.state, 'countdown');
      clock.advance(10_000);
      state.speaking = true;
      autoStop.speech();
      assert.equal(autoStop.state, 'watching');
      state.speaking = false;
      autoStop.speech();
      clock.advance(44_999);
      assert.equal(state.stops, 0, 'the silence and the countdown started over');
      clock.advance(1);
      assert.deepEqual(states(), ['watching', 'silent', 'watching', 'silent', 'countdown', 'watching', 'silent', 'countdown', 'stopped']);
      assert.equal(state.stops, 1);
    });

    it('the app coming back during the countdown goes back to watching', () => {
      const { clock, changes, state, autoStop } = machine();
      autoStop.calls(seen(zoom()));
      autoStop.calls(seen());
      clock.advance(35_000);
      assert.equal(autoStop.state, 'countdown');
      autoStop.calls(seen(zoom()));
      assert.deepEqual(changes.at(-1), { state: 'watching', reason: AUTO_STOP_REASONS.appBack });
      clock.advance(600_000);
      assert.equal(state.stops, 0);
    });

    it('another process of the app is not the call; without a pid any process of it is', () => {
      assert.equal(isCallApp(zoom(7), { app: 'zoom', pid: 42 }), false);
      assert.equal(isCallApp(zoom(7), { app: 'zoom' }), true);
      assert.equal(isCallApp({ ...zoom(42), app: 'teams' }, { app: 'zoom', pid: 42 }), false);
      const { autoStop } = machine();
      autoStop.calls(seen(zoom(7)));
      assert.equal(autoStop.state, 'silent', 'zoom with another pid: the call released the microphone');
    });

    it('a detection fault never stops the meeting: back to watching, saying so, until detection answers again', () => {
      const { clock, changes, state, autoStop } = machine();
      autoStop.calls(seen(zoom()));
      autoStop.calls(seen());
      clock.advance(31_000);
      assert.equal(autoStop.state, 'countdown');
      autoStop.calls(FAULT);
      assert.deepEqual(changes.at(-1), { state: 'watching', reason: AUTO_STOP_REASONS.fault });
      assert.doesNotMatch(changes.at(-1)!.reason, /pactl/, 'fixed words, not the fault\'s text');
      clock.advance(3_600_000);
      assert.equal(state.stops, 0);
      assert.equal(autoStop.state, 'watching');
      // Speech ending while detection fails changes nothing either.
      state.speaking = true;
      autoStop.speech();
      state.speaking = false;
      autoStop.speech();
      assert.equal(autoStop.state, 'watching');
      assert.equal(changes.at(-1)!.reason, AUTO_STOP_REASONS.fault);
      // Detection answers again: the app is still gone, the silence starts from now.
      autoStop.calls(seen());
      assert.deepEqual(changes.at(-1), { state: 'silent', reason: AUTO_STOP_REASONS.appReleased });
      clock.advance(45_000);
      assert.equal(state.stops, 1);
    });

    it('a fault while the app is there is told once, and its recovery too', () => {
      const { changes, autoStop } = machine();
      autoStop.calls(seen(zoom()));
      autoStop.calls(FAULT);
      autoStop.calls(FAULT);
      autoStop.calls(seen(zoom()));
      assert.deepEqual(changes.map((c) => c.reason), [AUTO_STOP_REASONS.started, AUTO_STOP_REASONS.fault, AUTO_STOP_REASONS.appUses]);
    });

    it('cancel: nothing more runs; a second cancel has nothing to cancel', () => {
      const { clock, changes, state, autoStop } = machine();
      autoStop.calls(seen());
      clock.advance(40_000);
      assert.equal(autoStop.cancel(), true);
      assert.deepEqual(changes.at(-1), { state: 'cancelled', reason: AUTO_STOP_REASONS.cancelled });
      assert.equal(clock.pending, 0);
      clock.advance(600_000);
      autoStop.calls(seen(zoom()));
      autoStop.calls(seen());
      assert.equal(state.stops, 0);
      assert.equal(autoStop.state, 'cancelled');
      assert.equal(autoStop.cancel(), false);
    });

    it('an app that is not using the microphone at the start counts as released', () => {
      const { changes, autoStop } = machine();
      autoStop.calls(seen());
      assert.deepEqual(changes.at(-1), { state: 'silent', reason: AUTO_STOP_REASONS.notUsing });
    });

    it('a closed one (the meeting ended by hand) tells nothing more', () => {
      const { clock, changes, state, autoStop } = machine();
      autoStop.calls(seen());
      autoStop.close();
      clock.advance(600_000);
      autoStop.calls(seen(zoom()));
      assert.equal(changes.length, 2);
      assert.equal(state.stops, 0);
    });

    it('fills the defaults', () => {
      assert.deepEqual(autoStopSettings({ app: 'zoom' }), { app: 'zoom', silenceSec: 30, countdownSec: 15 });
    });
  });

  describe('the wiring: a real CallWatcher polling a fake detector', () => {
    /** Enough of a Session for AutoStops: speech, stop, done, the cancel's journal record. */
    function fakeSession() {
      let end!: () => void;
      const done = new Promise<void>((r) => { end = r; });
      const listeners = new Set<() => void>();
      const s = {
        id: '20260101T100000-abcdef', speaking: false, stops: 0, journaled: 0,
        onSpeech: (l: () => void) => { listeners.add(l); return () => listeners.delete(l); },
        stop: async () => { s.stops++; end(); return {}; },
        done: () => done,
        autoStopCancelled: async () => { s.journaled++; },
        listeners,
      };
      return s;
    }

    it('polls while it watches, stops the session at the countdown\'s end, and polls no more', async () => {
      const answers: CallsListResult[] = [seen(zoom()), seen(zoom()), seen()];
      let polls = 0;
      const clock = new FakeClock();
      const told: AutoStopStateParams[] = [];
      const stops = new AutoStops((s) => told.push(s), { intervalMs: 5, timers: clock, detector: () => ({ detect: async () => { polls++; return answers[Math.min(polls - 1, answers.length - 1)]; } }) });
      const session = fakeSession();
      stops.start(session as unknown as Session, { app: 'zoom', pid: 42 });
      assert.equal(session.listeners.size, 1);
      while (told.at(-1)?.state !== 'silent') await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(told.map((t) => [t.sessionId, t.app, t.state]), [[session.id, 'zoom', 'watching'], [session.id, 'zoom', 'silent']]);
      clock.advance(45_000);
      assert.deepEqual(told.map((t) => t.state), ['watching', 'silent', 'countdown', 'stopped']);
      assert.equal(session.stops, 1);
      await session.done();
      await new Promise((r) => setTimeout(r, 20));
      const after = polls;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(polls, after, 'no poll once the session ended');
      assert.equal(session.listeners.size, 0);
    });

    it('cancel is journaled, ends the polls, and answers false for a session without auto-stop', async () => {
      let polls = 0;
      const told: AutoStopStateParams[] = [];
      const stops = new AutoStops((s) => told.push(s), { intervalMs: 5, timers: new FakeClock(), detector: () => ({ detect: async () => { polls++; return seen(zoom()); } }) });
      const session = fakeSession();
      stops.start(session as unknown as Session, { app: 'zoom', pid: 42 });
      while (polls < 2) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(await stops.cancel('20260101T100000-000000'), { cancelled: false });
      assert.deepEqual(await stops.cancel(session.id), { cancelled: true });
      assert.equal(session.journaled, 1);
      assert.deepEqual(told.map((t) => t.state), ['watching', 'cancelled']);
      assert.deepEqual(await stops.cancel(session.id), { cancelled: false });
      const after = polls;
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(polls <= after + 1, `polls went on after the cancel: ${after} → ${polls}`);
    });

    it('a resumed session watches again unless its journal holds the cancel', () => {
      const header = { type: 'session', autoStop: { app: 'zoom', pid: 42 } } as unknown as SessionHeader;
      assert.deepEqual(autoStopOnResume(header, []), { params: { app: 'zoom', pid: 42 }, cancelled: false });
      assert.deepEqual(autoStopOnResume(header, [{ type: 'autoStop', state: 'cancelled', at: '2026-01-01T10:00:00.000Z' }]), { params: { app: 'zoom', pid: 42 }, cancelled: true });
      assert.equal(autoStopOnResume({ ...header, autoStop: undefined }, []), undefined);
    });
  });

  describe('validation', () => {
    const start = (autoStop: unknown, rest: Record<string, unknown> = {}) => validateSessionStart({ sources: ['mic', 'system'], autoStop, ...rest });

    it('takes a call app with its pid and times', () => {
      assert.deepEqual(start({ app: 'zoom', pid: 42, silenceSec: 10, countdownSec: 5 }).autoStop, { app: 'zoom', pid: 42, silenceSec: 10, countdownSec: 5 });
      assert.deepEqual(start({ app: 'zoom' }).autoStop, { app: 'zoom' });
      assert.equal(start(undefined).autoStop, undefined);
    });

    it('refuses what is not one, with the field named', () => {
      assert.throws(() => start('zoom'), /autoStop must be an object|autoStop/);
      assert.throws(() => start({}), /autoStop\.app/);
      assert.throws(() => start({ app: ' ' }), /autoStop\.app/);
      assert.throws(() => start({ app: 'x'.repeat(1001) }), /autoStop\.app/);
      assert.throws(() => start({ app: 'zoom', pid: -1 }), /autoStop\.pid/);
      assert.throws(() => start({ app: 'zoom', pid: 1.5 }), /autoStop\.pid/);
      assert.throws(() => start({ app: 'zoom', silenceSec: 4 }), /autoStop\.silenceSec .* from 5 to 600/);
      assert.throws(() => start({ app: 'zoom', countdownSec: 121 }), /autoStop\.countdownSec .* from 3 to 120/);
      assert.throws(() => start({ app: 'zoom', countdownSec: 'soon' }), /autoStop\.countdownSec/);
    });

    it('refuses it with a file source or a dictation', () => {
      assert.throws(() => validateSessionStart({ sources: ['file'], audioFile: '/tmp/a.wav', autoStop: { app: 'zoom' } }), /autoStop is for live sources/);
      assert.throws(() => validateSessionStart({ sources: ['mic'], mode: 'dictation', autoStop: { app: 'zoom' } }), /autoStop is for meetings/);
    });

    it('AutoStopCancel takes a session id', () => {
      assert.deepEqual(validateAutoStopCancel({ sessionId: '20260101T100000-abcdef' }), { sessionId: '20260101T100000-abcdef' });
      assert.throws(() => validateAutoStopCancel({ sessionId: '../x' }), /sessionId/);
      assert.throws(() => validateAutoStopCancel({}), /sessionId/);
    });
  });
});
