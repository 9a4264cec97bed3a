/**
 * The session's side of pausing and dictation, with a scripted pausable source, the energy detector and a fake
 * decoder: a pause marker flushes the utterance in progress to a final (journaled and announced before whenFlushed
 * resolves) without ending the session, utterance ids stay unique across pauses, state notifications carry the mode
 * and the paused sources, and a dictation session journals and announces segments but writes no notes and extracts
 * nothing. LiveSource itself is in capture-pause.test.ts; the real daemon in integration/pause-dictation.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ActionItem, SessionStateParams, SourceKind, TranscriptSegment } from '../../protocol/protocol';
import { readJournal, segmentsOf } from '../../daemon/journal/journal';
import { AudioFrame, AudioSource, FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { Session, SessionConfig, SessionEvents } from '../../daemon/session/session';
import { EnergyDetector } from '../../daemon/vad/energy';
import { vadConfig } from '../../daemon/vad/config';
import { DEFAULT_SEGMENTER_OPTIONS, DICTATION_HANGOVER_MS, segmentUtterances, UtteranceEvent } from '../../daemon/vad/segmenter';
import { FakeDecoder } from './fakes';

/**
 * A microphone-like source that speaks (a loud tone) without end until paused, as a LiveSource would: pause() makes
 * the next frame a pause marker and holds the rest until resume(), whose frames continue `gapSec` later on the clock.
 */
class PausableSource implements AudioSource {
  readonly kind: SourceKind = 'mic';
  readonly speaker = 'You';
  private paused = false;
  private markerDue = false;
  private wake: (() => void) | undefined;
  framesDelivered = 0;

  constructor(private readonly gapSec = 5) {}

  pause(): void {
    this.paused = true;
    this.markerDue = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  async *frames(signal: AbortSignal): AsyncGenerator<AudioFrame> {
    let start = 0;
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
    while (!signal.aborted) {
      if (this.markerDue) {
        this.markerDue = false;
        yield { source: 'mic', samples: new Float32Array(0), startSample: start, pause: true };
        await new Promise<void>((resolve) => { this.wake = resolve; if (!this.paused || signal.aborted) resolve(); });
        start += this.gapSec * SAMPLE_RATE;
        continue;
      }
      const samples = new Float32Array(FRAME_SAMPLES);
      for (let i = 0; i < FRAME_SAMPLES; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * 220 * (start + i)) / SAMPLE_RATE);
      await yieldToLoop();
      if (signal.aborted) break;
      this.framesDelivered++;
      yield { source: 'mic', samples, startSample: start };
      start += FRAME_SAMPLES;
    }
  }
}

function recorder(): { transcripts: TranscriptSegment[]; states: SessionStateParams[]; items: ActionItem[]; handlers: SessionEvents } {
  const r = { transcripts: [] as TranscriptSegment[], states: [] as SessionStateParams[], items: [] as ActionItem[] };
  return {
    ...r,
    handlers: {
      transcript: (s) => r.transcripts.push(s), actionItem: (i) => r.items.push(i), decision: () => undefined, state: (s) => r.states.push(s),
    },
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Session: pause flush, paused sources, dictation', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-session-pause-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const config = (overrides: Partial<SessionConfig>): SessionConfig => ({
    sessionId: 'pause-test', title: 'Pause', language: 'en', startedAt: new Date(), sources: [],
    journalPath: path.join(dir, 'sessions', 'pause-test.jsonl'), notesPath: path.join(dir, 'notes', 'pause.md'),
    decoder: new FakeDecoder(), createDetector: () => new EnergyDetector(), ...overrides,
  });

  it('a pause finalizes the utterance in progress before whenFlushed resolves; after the resume ids go on; stop while paused', async () => {
    const source = new PausableSource(5);
    const rec = recorder();
    const session = await Session.start(config({ sources: [source] }), rec.handlers);
    await until('a partial of the speech', () => rec.transcripts.some((t) => !t.final && t.text));
    const flushed = session.whenFlushed('mic');
    source.pause();
    await flushed;
    const finals = rec.transcripts.filter((t) => t.final);
    assert.equal(finals.length, 1, 'the utterance in progress got its final');
    assert.equal(finals[0].segmentId, 'mic-1');
    assert.equal(finals[0].text, 'hello');
    assert.ok(segmentsOf((await readJournal(session.config.journalPath)).records).some((s) => s.segmentId === 'mic-1'), 'journaled');
    assert.equal(session.state, 'streaming', 'the session goes on');

    session.setPaused(['mic']);
    session.setPaused(['mic']); // no change: no second notification
    assert.deepEqual(rec.states.map((s) => [s.state, s.paused]), [['streaming', []], ['streaming', ['mic']]]);
    assert.ok(rec.states.every((s) => s.mode === 'meeting'));

    source.resume();
    session.setPaused([]);
    await until('speech after the resume', () => rec.transcripts.some((t) => t.segmentId === 'mic-2'));
    const resumed = rec.transcripts.find((t) => t.segmentId === 'mic-2')!;
    assert.ok(resumed.t0 >= finals[0].t1 + 5 - 0.1, `the clock jumped over the pause: ${finals[0].t1} → ${resumed.t0}`);

    const again = session.whenFlushed('mic');
    source.pause();
    await again;
    session.setPaused(['mic']);
    const result = await session.stop();
    assert.deepEqual(result.segments.map((s) => s.segmentId), ['mic-1', 'mic-2']);
    assert.deepEqual(rec.states.slice(-3).map((s) => [s.state, s.paused]), [['stopping', []], ['finalizing', []], ['done', []]]);
  });

  it('whenFlushed resolves when the source ends without a pause (nobody waits forever)', async () => {
    const source = new PausableSource();
    const session = await Session.start(config({ sources: [source] }), recorder().handlers);
    const flushed = session.whenFlushed('mic');
    await session.stop();
    await flushed;
  });

  it('dictation: segments journaled and announced, no notes file, no items, mode in every state', async () => {
    const source = new PausableSource();
    const rec = recorder();
    // Words that a meeting would turn into an action item.
    const decoder = new FakeDecoder(() => "I'll send the report to Dana by Friday.");
    const session = await Session.start(config({ sources: [source], mode: 'dictation', notesPath: '', decoder }), rec.handlers);
    await until('a partial', () => rec.transcripts.some((t) => !t.final && t.text));
    const flushed = session.whenFlushed('mic');
    source.pause();
    await flushed;
    const result = await session.stop();
    assert.equal(result.notesPath, '');
    assert.equal(result.segments.length, 1);
    assert.equal(result.segments[0].text, "I'll send the report to Dana by Friday.");
    assert.deepEqual(rec.items, [], 'nothing extracted');
    assert.ok(!fs.existsSync(path.join(dir, 'notes')), 'no notes folder');
    assert.deepEqual(fs.readdirSync(dir), ['sessions'], 'only the journal was written');
    const journal = await readJournal(session.config.journalPath);
    assert.equal(journal.header.notesPath, '');
    assert.deepEqual(journal.records.map((r) => r.type), ['session', 'segment', 'end']);
    assert.deepEqual(rec.states.map((s) => s.state), ['streaming', 'stopping', 'finalizing', 'done']);
    assert.ok(rec.states.every((s) => s.mode === 'dictation' && s.notesPath === ''));
    assert.equal(rec.states[rec.states.length - 1].error, undefined);
  });
});

describe('segmenter: pause markers', () => {
  const speech = (start: number): AudioFrame => {
    const samples = new Float32Array(FRAME_SAMPLES);
    for (let i = 0; i < FRAME_SAMPLES; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * 220 * (start + i)) / SAMPLE_RATE);
    return { source: 'mic', samples, startSample: start };
  };

  it('dictation ends utterances after DICTATION_HANGOVER_MS of silence, sooner than a meeting, unless the user asked for less', () => {
    assert.ok(DICTATION_HANGOVER_MS < DEFAULT_SEGMENTER_OPTIONS.hangoverMs);
    assert.equal(vadConfig({}, 'dictation').segmenter.hangoverMs, DICTATION_HANGOVER_MS);
    assert.equal(vadConfig({}).segmenter.hangoverMs, DEFAULT_SEGMENTER_OPTIONS.hangoverMs);
    assert.equal(vadConfig({ hangoverMs: 200 }, 'dictation').segmenter.hangoverMs, 200);
    assert.equal(vadConfig({ hangoverMs: 1000 }, 'dictation').segmenter.hangoverMs, DICTATION_HANGOVER_MS);
    assert.equal(vadConfig({ hangoverMs: 1000 }, 'meeting').segmenter.hangoverMs, 1000);
  });

  it('ends the utterance in progress at a marker and numbers the next one on, also across segmenters sharing a counter', async () => {
    async function* frames(): AsyncGenerator<AudioFrame> {
      let t = 0;
      for (let i = 0; i < 40; i++, t += FRAME_SAMPLES) yield speech(t);
      yield { source: 'mic', samples: new Float32Array(0), startSample: t, pause: true };
      t += 3 * SAMPLE_RATE;
      for (let i = 0; i < 40; i++, t += FRAME_SAMPLES) yield speech(t);
    }
    const counter = { count: 0 };
    const events: UtteranceEvent[] = [];
    for await (const e of segmentUtterances(frames(), new EnergyDetector(), DEFAULT_SEGMENTER_OPTIONS, counter)) events.push(e);
    const ends = events.filter((e) => e.type === 'end').map((e) => e.utterance);
    assert.deepEqual(ends.map((u) => u.id), ['mic-1', 'mic-2']);
    assert.equal(ends[0].startSample + ends[0].samples.length, 40 * FRAME_SAMPLES, 'the first ends at the marker');
    assert.ok(ends[1].startSample >= 40 * FRAME_SAMPLES + 3 * SAMPLE_RATE, 'no pre-roll from before the pause');
    const next: UtteranceEvent[] = [];
    for await (const e of segmentUtterances((async function* () { yield* [speech(0), ...Array.from({ length: 20 }, (_, i) => speech((i + 1) * FRAME_SAMPLES))]; })(),
      new EnergyDetector(), DEFAULT_SEGMENTER_OPTIONS, counter)) next.push(e);
    assert.equal(next[next.length - 1].utterance.id, 'mic-3');
  });
});
