/**
 * The parts the tests of the language-model extraction while the meeting runs share (live-extraction*.test.ts): the
 * service's real chunk runner (ModelExtractions) for provider 'vscode-lm' with a fake client answering the chat, or for
 * provider 'local' with the host's chat and preload stood in for; a LiveExtraction over an in-memory journal whose
 * whisper the test makes busy or idle. No tests here.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActionItem, Decision, ExtractionProgressParams, LanguageModelChatParams } from '../../protocol/protocol';
import { JournalRecord } from '../../daemon/journal/journal';
import { ModelExtractions } from '../../daemon/service/modelExtractions';
import { LocalModelHost } from '../../daemon/understanding/local/host';
import { ServiceConfig, ServiceEvents } from '../../daemon/service/serviceConfig';
import { Ledger } from '../../daemon/session/ledger';
import { LiveExtraction } from '../../daemon/session/liveExtraction';
import { ChunkRunner } from '../../daemon/session/config';
import { isPartsPrompt } from '../../daemon/understanding/summaryFromParts';
import { STANDING_CHECK_SYSTEM_START } from '../../daemon/understanding/standingCheck';

/** The settings' carryNotes when the test says (absent: the default, CARRY_NOTES_DEFAULT). */
const carryNotesOf = (more: { carryNotes?: boolean }) => (more.carryNotes !== undefined ? { carryNotes: more.carryNotes } : {});

export const HEADER = {
  type: 'session' as const, version: 1, sessionId: 's1', title: 'Plan', startedAt: '2030-01-01T09:00:00.000Z', sources: ['mic' as const], language: 'en', notesPath: '',
};
export const segment = (k: number, text = `Line ${k} of the discussion about the release plan.`): JournalRecord =>
  ({ type: 'segment', segmentId: `m-${k}`, source: 'mic', speaker: k % 2 ? 'Ana' : 'Ben', t0: k * 5, t1: k * 5 + 4, text });
export const ruleItem = (id: string, k: number, text: string): JournalRecord =>
  ({ type: 'actionItem', id, revision: 1, text, owner: null, due: null, duePhrase: null, segmentId: `m-${k}`, t0: k * 5 });

export type Answer = (chunk: { ids: string[]; user: string }) => object;

/** What the fake client is asked, and when; `answeredAt`: when its answer went back (a chunk's call). */
export interface Asked { ids: string[]; at: number; user: string; answeredAt?: number; system?: string }

/** The service's runner for provider 'vscode-lm', its client answering with `answer` (after `delayMs`), or failing. */
export function serviceRunner(answer: Answer | 'fail', more: {
  delayMs?: number; chunkChars?: number; onAsk?: (a: Asked) => void; carryNotes?: boolean;
  /** The rolling summary's point for the lines `ids` (default "Point after <last id>"), given once `summaryGate` resolves. */
  summaryPoint?: (ids: string[], user: string) => string; summaryGate?: () => Promise<void>;
  /**
   * The restatement check at stop (the daemon's default, with carried notes): this answers it (default: nothing is said
   * twice); `checkRestatements: false` turns it off as the settings do.
   */
  restatements?: (user: string) => string; checkRestatements?: boolean;
  /**
   * The owner check at stop (the daemon's default, with carried notes): this answers it (default: no owner named);
   * `checkOwners: false` turns it off as the settings do.
   */
  owners?: (user: string) => string; checkOwners?: boolean;
  /**
   * The decision check at stop (the daemon's default, with carried notes): this answers it (default: every decision
   * stands); `checkProcedure: false` turns it off as the settings do.
   */
  procedure?: (user: string) => string; checkProcedure?: boolean;
  /**
   * The standing check of the settled summary (the daemon's default): this answers it (default: every point agrees);
   * `checkStandings: false` turns it off as the settings do.
   */
  standings?: (user: string) => string; checkStandings?: boolean;
} = {}) {
  const asked: Asked[] = [];
  /** The rolling summary's calls (each chunk's lines after its extraction), answered apart from the chunks'. */
  const summaryAsked: Asked[] = [];
  /** The settle's call at stop (modelSummary.ts's settleSummary). */
  const settleAsked: Asked[] = [];
  /** The restatement check's call at stop (understanding/restatements.ts). */
  const restatementsAsked: Asked[] = [];
  /** The owner check's call at stop (understanding/ownerCheck.ts). */
  const ownersAsked: Asked[] = [];
  /** The procedure check's call at stop (understanding/procedureCheck.ts). */
  const procedureAsked: Asked[] = [];
  /** The notes on each part (the settle of v11, the default: summaryFromParts.ts's partNotes), one call per chunk. */
  const partsAsked: Asked[] = [];
  /** The standing check's call after the settle (understanding/standingCheck.ts). */
  const standingsAsked: Asked[] = [];
  const progress: ExtractionProgressParams[] = [];
  const config = {
    enhancement: { provider: 'vscode-lm', chunkChars: more.chunkChars ?? 500, maxConcurrency: 2, ...carryNotesOf(more), ...(more.checkRestatements === false ? { checkRestatements: false } : {}),
      ...(more.checkOwners !== undefined ? { checkOwners: more.checkOwners } : {}), ...(more.checkProcedure !== undefined ? { checkProcedure: more.checkProcedure } : {}),
      ...(more.checkStandings !== undefined ? { checkStandings: more.checkStandings } : {}) },
    askClient: async (params: LanguageModelChatParams, signal: AbortSignal) => {
      if (params.system.startsWith('You check the final notes')) {
        restatementsAsked.push({ ids: [], at: performance.now(), user: params.user, system: params.system });
        return { text: more.restatements?.(params.user) ?? '{"same": []}', model: 'fake-lm' };
      }
      if (params.system.startsWith('You check the decisions noted in a meeting')) {
        procedureAsked.push({ ids: [], at: performance.now(), user: params.user, system: params.system });
        return { text: more.procedure?.(params.user) ?? '{"notDecisions": []}', model: 'fake-lm' };
      }
      if (params.system.startsWith('You read the action items of a meeting that were noted without an owner')) {
        ownersAsked.push({ ids: [], at: performance.now(), user: params.user, system: params.system });
        return { text: more.owners?.(params.user) ?? '{"owners": []}', model: 'fake-lm' };
      }
      if (params.system.startsWith(STANDING_CHECK_SYSTEM_START)) {
        standingsAsked.push({ ids: [], at: performance.now(), user: params.user, system: params.system });
        return { text: more.standings?.(params.user) ?? '{"fixes": []}', model: 'fake-lm' };
      }
      if (isPartsPrompt(params.system)) {
        // A part's notes: one point citing its last line.
        const ids = [...params.user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);
        partsAsked.push({ ids, at: performance.now(), user: params.user, system: params.system });
        if (answer === 'fail') throw Object.assign(new Error('model crashed'), { code: -32603 });
        return { text: JSON.stringify({ points: [{ text: `Part ending ${ids[ids.length - 1]}`, cites: [ids[ids.length - 1]] }] }), model: 'fake-lm' };
      }
      if (params.system.startsWith('You keep the summary') && params.user.includes('The meeting has ended')) {
        // The settle at stop: each point of the summary so far restated, its cites kept.
        settleAsked.push({ ids: [], at: performance.now(), user: params.user, system: params.system });
        if (answer === 'fail') throw Object.assign(new Error('model crashed'), { code: -32603 });
        const sofar = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(params.user)![1]) as { points: { text: string; cites: string[] }[] }).points;
        return { text: JSON.stringify({ points: sofar.map((p) => ({ text: `Settled: ${p.text}`, cites: p.cites })) }), model: 'fake-lm' };
      }
      if (params.system.startsWith('You keep the summary')) {
        const ids = [...params.user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);
        summaryAsked.push({ ids, at: performance.now(), user: params.user });
        await more.summaryGate?.();
        if (answer === 'fail') throw Object.assign(new Error('model crashed'), { code: -32603 });
        const text = more.summaryPoint?.(ids, params.user) ?? `Point after ${ids[ids.length - 1]}`;
        return { text: JSON.stringify({ points: [{ text, cites: [ids[ids.length - 1]] }] }), model: 'fake-lm' };
      }
      const ids = [...params.user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);
      const a: Asked = { ids, at: performance.now(), user: params.user, system: params.system };
      asked.push(a);
      more.onAsk?.(a);
      if (more.delayMs) await sleep(more.delayMs, undefined, { signal });
      if (answer === 'fail') throw Object.assign(new Error('model crashed'), { code: -32603 });
      a.answeredAt = performance.now();
      return { text: JSON.stringify({ actionItems: [], decisions: [], dismiss: [], ...answer({ ids, user: params.user }) }), model: 'fake-lm' };
    },
  } as unknown as ServiceConfig;
  const events = { extractionProgress: (p: ExtractionProgressParams) => progress.push(p) } as unknown as ServiceEvents;
  const extractions = new ModelExtractions(config, events);
  const runner = extractions.chunkRunnerFor('s1', { title: 'Plan', date: HEADER.startedAt })!;
  return { runner, asked, summaryAsked, settleAsked, partsAsked, restatementsAsked, ownersAsked, procedureAsked, standingsAsked, progress, extractions };
}

/** A LiveExtraction over an in-memory journal, whisper's idleness set by the test. */
export function harness(runner: ChunkRunner, start: JournalRecord[] = [HEADER]) {
  const journal: JournalRecord[] = [...start];
  const announced: (ActionItem | Decision)[] = [];
  /** Whisper is busy, or idle since then (performance.now()); `speech`: an utterance open in the VAD gate. */
  const state = { busy: false, idleSince: -Infinity, speech: false };
  const ledger = new Ledger('s1', new Date(HEADER.startedAt));
  // eslint-disable-next-line prefer-const
  let live: LiveExtraction;
  const append = (record: JournalRecord) => {
    journal.push(record);
    live.journaled(record);
    return Promise.resolve();
  };
  live = new LiveExtraction({
    sessionId: 's1', runner, ledger, append,
    recognizerIdleMs: () => (state.busy ? undefined : performance.now() - state.idleSince),
    whisperHasWork: () => state.busy || state.speech,
    horizon: () => Infinity,
    announce: (items, decisions) => {
      // Whatever is announced is already journaled.
      for (const x of [...items, ...decisions]) assert.ok(journal.some((r) => (r.type === 'actionItem' || r.type === 'decision') && r.id === x.id && r.revision === x.revision), `${x.id} announced before it was journaled`);
      announced.push(...items, ...decisions);
    },
    notesChanged: () => undefined,
    failed: (e) => { throw e; },
  }, start);
  return { live, journal, announced, state, append, ledger };
}

/** A whole meeting through the harness: every line journaled as it comes, then its stop. */
export async function finishedMeeting(runner: ChunkRunner, lines: readonly JournalRecord[]) {
  const h = harness(runner);
  for (const line of lines) await h.append(line);
  await h.live.finish();
  return h;
}

export const until = async (what: string, ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
};

/** The service's real runner for provider 'local', its host's chat and preload recorded and answered here. */
export function localRunner(preloadMs = 5, more: { carryNotes?: boolean; answer?: (ids: string[], user: string) => object } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-preload-'));
  const gguf = path.join(dir, 'm.gguf');
  fs.writeFileSync(gguf, 'GGUF'); // never loaded: the host's chat and preload are stand-ins
  const calls: { type: 'chat' | 'preload'; kind: string; system: string; user: string; at: number }[] = [];
  const paused: boolean[] = [];
  const proto = LocalModelHost.prototype;
  const original = { chat: proto.chat, preload: proto.preload, pause: proto.pause, resume: proto.resume };
  let gate: Promise<void> = Promise.resolve();
  proto.preload = async function (request) {
    calls.push({ type: 'preload', kind: request.kind ?? 'extract', system: request.system, user: request.user, at: performance.now() });
    await gate;
    await sleep(preloadMs);
    return { promptTokens: 1, readTokens: 1, ms: preloadMs };
  };
  proto.chat = async function (request) {
    calls.push({ type: 'chat', kind: request.kind ?? 'extract', system: request.system, user: request.user, at: performance.now() });
    // The settle at stop has no line of its own here (no decision or item): it cites what the summary so far cites.
    const lines = [...request.user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);
    const ids = lines.length ? lines : [...request.user.matchAll(/"cites":\["([\w-]+)"/g)].map((m) => m[1]);
    const text = request.kind === 'summary' ? JSON.stringify({ points: [{ text: `Up to ${ids[ids.length - 1]}`, cites: [ids[ids.length - 1]] }] })
      : JSON.stringify({ actionItems: [], decisions: [], dismiss: [], owners: [], ...more.answer?.(ids, request.user) });
    return { text, model: 'fake-local', promptTokens: 1, answerTokens: 1, ms: 1 };
  };
  proto.pause = function () { paused.push(true); };
  proto.resume = function () { paused.push(false); };
  const config = { enhancement: { provider: 'local', model: gguf, chunkChars: 500, ...carryNotesOf(more) } } as unknown as ServiceConfig;
  const extractions = new ModelExtractions(config, {} as ServiceEvents);
  const runner = extractions.chunkRunnerFor('s1', { title: HEADER.title, date: HEADER.startedAt })!;
  return {
    runner, calls, paused, extractions, hold: () => { let go!: () => void; gate = new Promise((r) => (go = r)); return go; },
    restore: () => {
      Object.assign(proto, original);
      extractions.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
