/**
 * Earshot: Show Health (extension/health/health.ts) with the vscode stub: the Markdown holds the daemon's vital signs
 * and the recent problems with times, bounded to the last 50, and never transcript text; the view collects problems
 * from the client's events (session errors, capture faults, daemon exits, model failures, degrade).
 */
import * as assert from 'node:assert/strict';
import { vscodeStub } from './vscode-stub';
import type { HealthParams, ModelProgressParams, SessionStateParams, SourceStatusParams, TranscriptSegment } from '../../protocol/protocol';

/** What health.ts needs from `vscode` beyond the shared stub: an event emitter and Uri.from. */
class StubEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  readonly event = (listener: (e: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== listener); } };
  };
  fire(e: T): void { this.listeners.forEach((l) => l(e)); }
  dispose(): void { this.listeners = []; }
}
const stub = vscodeStub as unknown as Record<string, unknown> & { workspace: Record<string, unknown> };
stub.EventEmitter ??= StubEmitter;
stub.Uri ??= { from: (parts: { scheme: string; path: string }) => ({ ...parts, toString: () => `${parts.scheme}:${parts.path}` }) };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { HealthView, MAX_RECENT_PROBLEMS, ProblemRing, renderHealth } = require('../../extension/health/health') as typeof import('../../extension/health/health');

const NOW = Date.UTC(2026, 0, 21, 9, 30, 0);

function healthParams(overrides: Partial<HealthParams> = {}): HealthParams {
  return {
    model: { state: 'ready', path: '/models/ggml-base.en.bin', error: null, loadMs: 812.4, rtf: 0.1234, p50Ms: 140, p95Ms: 310.6 },
    backlogSec: 0.34, dropped: 2, degradeLevel: 1, degradeName: 'fewer partials', rssBytes: 300 * 2 ** 20,
    sources: [{ source: 'mic', state: 'capturing', rmsDbfs: -23.4, droppedSec: 0, recorder: 'audify' }, { source: 'system', state: 'retrying', rmsDbfs: null, droppedSec: 1.5 }],
    ...overrides,
  };
}

function fakeClient() {
  const e = {
    health: new StubEmitter<HealthParams>(), state: new StubEmitter<SessionStateParams>(), source: new StubEmitter<SourceStatusParams>(),
    progress: new StubEmitter<ModelProgressParams>(), exit: new StubEmitter<void>(), transcript: new StubEmitter<TranscriptSegment>(),
  };
  let fresh: HealthParams | undefined;
  const client = {
    onHealth: e.health.event, onSessionState: e.state.event, onSourceStatus: e.source.event, onModelProgress: e.progress.event, onDaemonExit: e.exit.event,
    daemonInfo: { protocolVersion: 1, version: '0.1.0', pid: 4242 } as { protocolVersion: number; version: string; pid: number } | undefined,
    health: async () => fresh,
    setFresh(h: HealthParams | undefined) { fresh = h; },
  };
  return { e, client };
}

const SESSION: SessionStateParams = {
  sessionId: '20260121T093000-a1b2c3', state: 'streaming', title: 'Alice and Bob discuss auth.ts', startedAt: '2026-01-21T09:30:00.000Z',
  notesPath: '/w/.earshot/notes/x.md', mode: 'meeting', paused: ['system'],
};

describe('Show Health (extension/health/health.ts)', () => {
  it('renders model, pipeline and sources from HealthParams, with units', () => {
    const md = renderHealth({ now: NOW, health: healthParams(), healthAt: NOW - 2000, daemon: { version: '0.1.0', pid: 4242 }, problems: [] });
    for (const expected of [
      '# Earshot Health', '- Running: version 0.1.0, pid 4242', '| State | ready |', '`/models/ggml-base.en.bin`', '| Load time | 812 ms |', '0.123 (inference time',
      '| Inference p50 / p95 | 140 ms / 311 ms |', '| Backlog | 0.3 s', '| Dropped frames | 2 |', '| Degrade level | 1 (fewer partials) |', '| Memory (RSS) | 300 MiB |',
      '| Microphone | capturing | audify | -23 dBFS | 0.0 s |', '| System audio | retrying | — | — | 1.5 s |', '_As of 2026-01-21 09:30:00 UTC.', 'Reported 2026-01-21 09:29:58 UTC',
      '_None since Earshot started._',
    ]) assert.ok(md.includes(expected), `missing ${JSON.stringify(expected)} in:\n${md}`);
  });

  it('says when there is no report yet and no daemon', () => {
    const md = renderHealth({ now: NOW, problems: [] });
    assert.match(md, /Not running/);
    assert.match(md, /No health report from the daemon yet/);
  });

  it('keeps the last 50 problems, newest first, counting repeats; messages are one line and cannot break the table', () => {
    const ring = new ProblemRing();
    for (let i = 0; i < 70; i++) ring.push({ at: NOW + i * 1000, level: 'error', area: 'capture', message: `fault ${i}` });
    assert.equal(ring.list.length, MAX_RECENT_PROBLEMS);
    assert.equal(ring.list[0].message, 'fault 69');
    assert.equal(ring.list[MAX_RECENT_PROBLEMS - 1].message, 'fault 20');
    ring.push({ at: NOW + 100_000, level: 'error', area: 'capture', message: 'fault 69' });
    assert.equal(ring.list.length, MAX_RECENT_PROBLEMS);
    assert.equal(ring.list[0].count, 2);
    ring.push({ at: NOW, level: 'warning', area: 'daemon', message: `a | b\nc ${'x'.repeat(1000)}` });
    assert.ok(ring.list[0].message.length <= 400 && !ring.list[0].message.includes('\n'));
    const md = renderHealth({ now: NOW, problems: ring.list });
    const row = md.split('\n').find((l) => l.includes('a \\| b c'));
    assert.ok(row, 'the pipe is escaped');
    assert.equal(row.split(' | ').length, 4, 'still four cells');
    assert.match(md, /fault 69 \(×2\)/);
  });

  it('collects problems from the client (session error, capture fault, model failure, daemon exit, degrade) and renders them with times; no transcript text', async () => {
    const { e, client } = fakeClient();
    let now = NOW;
    let session: SessionStateParams | undefined;
    const view = new HealthView(client, () => session, () => now);
    try {
      session = SESSION;
      e.state.fire(SESSION);
      e.transcript.fire({ ...SESSION, segmentId: 's1', source: 'mic', speaker: 'You', t0: 0, t1: 1, text: 'Alice, can you fix auth.ts by Friday?', final: true });
      now += 1000;
      e.source.fire({ sessionId: SESSION.sessionId, source: 'mic', state: 'failed', reason: 'device-busy', message: 'The microphone is in use by another program.', recorder: 'parec', droppedSec: 0, gapSec: 0 });
      e.source.fire({ sessionId: SESSION.sessionId, source: 'mic', state: 'capturing', recorder: 'parec', droppedSec: 0, gapSec: 0 });
      now += 1000;
      e.progress.fire({ model: 'base.en', phase: 'failed', fraction: null, message: 'sha256 mismatch' });
      e.health.fire(healthParams({ degradeLevel: 2, degradeName: 'no partials' }));
      now += 1000;
      e.exit.fire();
      e.state.fire({ ...SESSION, state: 'done', error: 'The Earshot daemon stopped unexpectedly.' });
      view.note('error', 'command', 'Cannot start: no model');

      const list = view.problems.list.map((p) => [p.level, p.area, p.message]);
      assert.deepEqual(list, [
        ['error', 'command', 'Cannot start: no model'],
        ['error', 'session', 'The Earshot daemon stopped unexpectedly.'],
        ['warning', 'daemon', 'The daemon process stopped (restarted by Earshot, or on the next command).'],
        ['warning', 'recognition', 'Recognition fell behind: degrade level 2 (no partials); finals are never dropped.'],
        ['error', 'model', 'base.en: sha256 mismatch'],
        ['error', 'capture', 'Microphone: failed (device-busy): The microphone is in use by another program.'],
      ]);

      client.setFresh(healthParams({ degradeLevel: 0, degradeName: 'normal' }));
      const md = await view.show({ show: false });
      assert.ok(md.includes('| Degrade level | 0 (normal) |'), 'show() asked the daemon for fresh numbers');
      assert.ok(md.includes('| 2026-01-21 09:30:01 UTC | error | capture · 20260121T093000-a1b2c3 | Microphone: failed (device-busy)'), md);
      assert.ok(md.includes('- Session 20260121T093000-a1b2c3: streaming (meeting, paused: System audio), started 2026-01-21 09:30:00 UTC'), md);
      for (const word of ['Alice', 'Friday', 'auth.ts', SESSION.title]) assert.ok(!md.includes(word), `the health document holds ${JSON.stringify(word)}`);
    } finally {
      view.dispose();
    }
  });

  it('errors nothing caught in the daemon: shown in the document, noted as they grow, and the user told once per daemon', async () => {
    const { e, client } = fakeClient();
    const told: string[] = [];
    const window = stub.window as Record<string, unknown>;
    const saved = window.showWarningMessage;
    window.showWarningMessage = (message: string) => { told.push(message); return Promise.resolve(undefined); };
    const view = new HealthView(client, () => undefined, () => NOW);
    try {
      const daemonProblems = () => view.problems.list.filter((p) => p.area === 'daemon');
      e.health.fire(healthParams({ uncaughtErrors: 0 }));
      assert.equal(daemonProblems().length, 0);
      e.health.fire(healthParams({ uncaughtErrors: 3 }));
      e.health.fire(healthParams({ uncaughtErrors: 3 }));
      e.health.fire(healthParams({ uncaughtErrors: 70 }));
      assert.deepEqual(daemonProblems().map((p) => [p.level, p.area, p.message.replace(/ \(a bug.*/, '')]), [
        ['warning', 'daemon', 'The Earshot daemon hit 70 errors nothing caught'],
        ['warning', 'daemon', 'The Earshot daemon hit 3 errors nothing caught'],
      ]);
      assert.equal(told.length, 1, 'the user is told once');
      assert.match(told[0], /^Earshot: The Earshot daemon hit 3 errors nothing caught \(a bug: the Earshot log names each; run Earshot: Restart Daemon if anything misbehaves/);
      e.health.fire(healthParams({ uncaughtErrors: 1 })); // a new daemon
      e.health.fire(healthParams({ uncaughtErrors: 2 }));
      assert.equal(told.length, 1, 'a new daemon that counts on is not told again until it starts from 0');
      client.setFresh(healthParams({ uncaughtErrors: 2 }));
      assert.match(await view.show({ show: false }), /- Errors nothing caught: 2 \(a bug/);
      client.setFresh(healthParams());
      assert.ok(!(await view.show({ show: false })).includes('Errors nothing caught'), 'not shown while there are none (or an older daemon)');
    } finally {
      window.showWarningMessage = saved;
      view.dispose();
    }
  });

  it('a failing health request becomes a problem; the last numbers stay', async () => {
    const { e, client } = fakeClient();
    const view = new HealthView({ ...client, health: async () => { throw new Error('connection closed'); } }, () => undefined, () => NOW);
    try {
      e.health.fire(healthParams());
      const md = await view.show({ show: false });
      assert.ok(md.includes('| State | ready |'));
      assert.ok(md.includes('Health request failed: connection closed'));
    } finally {
      view.dispose();
    }
  });
});
