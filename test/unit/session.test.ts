import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionItem, Decision, SessionStateParams, TranscriptSegment } from '../../protocol/protocol';
import { FileSource, SAMPLE_RATE } from '../../daemon/capture/source';
import { DEFAULT_STREAMING_OPTIONS } from '../../daemon/asr/streaming';
import { readJournal, JournalRecord } from '../../daemon/journal/journal';
import { Session, SessionConfig, SessionEvents } from '../../daemon/session/session';
import { EnergyDetector } from '../../daemon/vad/energy';
import { REPO_ROOT, SAMPLE_WAV } from '../setup';
import { deferred, FakeDecoder, FakeLiveSource } from './fakes';

interface Turn { start: number; end: number }
const TURNS: Turn[] = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'media', 'sample', 'standup.json'), 'utf8'));

type Event =
  | { kind: 'transcript'; value: TranscriptSegment }
  | { kind: 'actionItem'; value: ActionItem }
  | { kind: 'decision'; value: Decision }
  | { kind: 'state'; value: SessionStateParams };

/** Records every event; `check` runs inside each handler (to look at the journal at that moment). */
function recorder(check: (e: Event) => void = () => undefined): { events: Event[]; handlers: SessionEvents } {
  const events: Event[] = [];
  const push = (e: Event) => {
    check(e);
    events.push(e);
  };
  return {
    events,
    handlers: {
      transcript: (value) => push({ kind: 'transcript', value }),
      actionItem: (value) => push({ kind: 'actionItem', value }),
      decision: (value) => push({ kind: 'decision', value }),
      state: (value) => push({ kind: 'state', value }),
    },
  };
}

/** The journal's records right now, read synchronously (as an observer in an event handler would). */
function journalNow(file: string): JournalRecord[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
}

describe('Session', () => {
  let dir: string;
  let n = 0;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-session-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  function config(overrides: Partial<SessionConfig>, base = dir): SessionConfig {
    const id = `test-${++n}`;
    return {
      sessionId: id,
      title: 'Standup',
      language: 'en',
      startedAt: new Date(2025, 2, 5, 9, 0),
      sources: [],
      journalPath: path.join(base, 'sessions', `${id}.jsonl`),
      notesPath: path.join(base, 'notes', `${id}.md`),
      decoder: new FakeDecoder(),
      createDetector: () => new EnergyDetector(),
      ...overrides,
    };
  }

  describe('on the sample file (pace fast, fake decoder)', () => {
    let cfg: SessionConfig;
    let sampleDir: string;
    let events: Event[];
    let result: Awaited<ReturnType<Session['stop']>>;
    const journaledBeforeAnnounced: string[] = [];

    before(async () => {
      sampleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-session-'));
      let finals = 0;
      const decoder = new FakeDecoder((r) => {
        if (!r.final) return 'hello partial';
        finals++;
        if (finals === 2) return "I'll fix the login timeout by Friday.";
        if (finals === 3) return 'We decided to ship version two on Monday.';
        return `hello ${finals}`;
      });
      cfg = config({
        sources: [await FileSource.open(SAMPLE_WAV, { pace: 'fast', speaker: 'Speaker' })],
        // Finals only when an utterance ends, so that the n-th final decode is the n-th segment.
        decoder, audioFile: SAMPLE_WAV, streaming: { ...DEFAULT_STREAMING_OPTIONS, earlyFinal: false },
      }, sampleDir);
      const rec = recorder((e) => {
        // Inside the handler: whatever a final announces must already be in the journal.
        const records = journalNow(cfg.journalPath);
        if (e.kind === 'transcript' && e.value.final && e.value.text) {
          assert.ok(records.some((r) => r.type === 'segment' && r.segmentId === e.value.segmentId && r.text === e.value.text),
            `final ${e.value.segmentId} announced before it was journaled`);
          journaledBeforeAnnounced.push(e.value.segmentId);
        }
        if (e.kind === 'actionItem' || e.kind === 'decision') {
          assert.ok(records.some((r) => r.type === e.kind && r.id === e.value.id), `${e.kind} announced before it was journaled`);
        }
      });
      events = rec.events;
      const session = await Session.start(cfg, rec.handlers);
      assert.equal(session.state, 'streaming');
      result = await session.done();
      assert.equal(session.state, 'done');
    });
    after(() => fs.rmSync(sampleDir, { recursive: true, force: true }));

    it('goes streaming → stopping → finalizing → done, once each, in order', () => {
      const states = events.filter((e) => e.kind === 'state').map((e) => (e.value as SessionStateParams).state);
      assert.deepEqual(states, ['streaming', 'stopping', 'finalizing', 'done']);
      const done = events.find((e) => e.kind === 'state' && e.value.state === 'done')!.value as SessionStateParams;
      assert.equal(done.error, undefined);
      assert.equal(done.sessionId, cfg.sessionId);
      assert.equal(done.notesPath, cfg.notesPath);
    });

    it('announces nothing after done', () => {
      const doneAt = events.findIndex((e) => e.kind === 'state' && e.value.state === 'done');
      assert.equal(doneAt, events.length - 1);
    });

    it('journals every final before announcing it, and returns them all from stop', async () => {
      const finals = events.filter((e): e is Extract<Event, { kind: 'transcript' }> => e.kind === 'transcript' && e.value.final && e.value.text !== '');
      assert.equal(finals.length, TURNS.length);
      assert.deepEqual(journaledBeforeAnnounced, finals.map((f) => f.value.segmentId));
      assert.deepEqual(result.segments.map((s) => s.segmentId), finals.map((f) => f.value.segmentId));
      assert.deepEqual(result.segments.map((s) => s.text), finals.map((f) => f.value.text));
      const journal = await readJournal(result.journalPath);
      assert.equal(journal.header.sessionId, cfg.sessionId);
      assert.equal(journal.records.filter((r) => r.type === 'segment').length, finals.length);
      const end = journal.records[journal.records.length - 1];
      assert.equal(end.type, 'end');
      if (end.type === 'end') assert.ok(Math.abs(end.capturedSec - 30) < 0.05, `capturedSec ${end.capturedSec}`);
    });

    it('stamps segments on the capture clock, matching the speech turns', () => {
      const finals = result.segments;
      for (const [i, s] of finals.entries()) {
        const turn = TURNS[i];
        assert.ok(s.t0 < turn.end && turn.start < s.t1, `segment ${s.t0}–${s.t1} does not overlap turn ${turn.start}–${turn.end}`);
        assert.equal(s.source, 'file');
        assert.equal(s.speaker, 'Speaker');
      }
    });

    it('sends partials before the final of the same segment', () => {
      const transcripts = events.filter((e) => e.kind === 'transcript').map((e) => e.value as TranscriptSegment);
      const partials = transcripts.filter((t) => !t.final);
      assert.ok(partials.length >= 1, 'at least one partial');
      for (const p of partials) {
        const finalAt = transcripts.findIndex((t) => t.final && t.segmentId === p.segmentId);
        assert.ok(finalAt > transcripts.indexOf(p), `partial of ${p.segmentId} after its final`);
        assert.equal(p.sessionId, cfg.sessionId);
      }
    });

    it('finds the action item and the decision, after their transcript', () => {
      const items = events.filter((e) => e.kind === 'actionItem').map((e) => e.value as ActionItem);
      const decisions = events.filter((e) => e.kind === 'decision').map((e) => e.value as Decision);
      assert.equal(items.length, 1);
      assert.equal(decisions.length, 1);
      assert.deepEqual({ ...items[0], id: undefined }, {
        sessionId: cfg.sessionId, id: undefined, revision: 1, text: "I'll fix the login timeout by Friday.", owner: 'Speaker',
        due: '2025-03-07', duePhrase: 'by Friday', segmentId: result.segments[1].segmentId, t0: result.segments[1].t0,
      });
      assert.equal(decisions[0].segmentId, result.segments[2].segmentId);
      const itemAt = events.findIndex((e) => e.kind === 'actionItem');
      const transcriptAt = events.findIndex((e) => e.kind === 'transcript' && e.value.final && e.value.segmentId === items[0].segmentId);
      assert.ok(transcriptAt < itemAt);
    });

    it('writes the notes from the journal', () => {
      const notes = fs.readFileSync(result.notesPath, 'utf8');
      assert.match(notes, /^# Standup\n/);
      assert.ok(notes.includes('## Transcript'));
      for (const s of result.segments) assert.ok(notes.includes(s.text), `notes miss ${s.text}`);
      assert.ok(notes.includes("- [ ] I'll fix the login timeout by Friday. — @Speaker, due 2025-03-07"));
      assert.ok(notes.includes('- We decided to ship version two on Monday.'));
      assert.match(notes, /- \*\*Recording:\*\* standup\.wav/);
    });
  });

  it('refines announced items in place: a later line adds the due date (new revision, same id), a withdrawn one is removed', async () => {
    const lines = ['I will update the docs.', 'By Friday.', 'I will fix the build.', 'Actually, scratch that, I will not fix the build.'];
    let finals = 0;
    const decoder = new FakeDecoder((r) => (r.final ? lines[finals++] ?? 'hello' : 'partial'));
    const cfg = config({
      sources: [await FileSource.open(SAMPLE_WAV, { pace: 'fast', speaker: 'Speaker' })], decoder, audioFile: SAMPLE_WAV,
      streaming: { ...DEFAULT_STREAMING_OPTIONS, partials: false, earlyFinal: false },
    });
    const rec = recorder();
    const session = await Session.start(cfg, rec.handlers);
    await session.done();
    const items = rec.events.filter((e): e is Event & { kind: 'actionItem'; value: ActionItem } => e.kind === 'actionItem').map((e) => e.value);
    const docs = items.filter((i) => i.text.includes('docs'));
    assert.deepEqual(docs.map((i) => [i.id, i.revision, i.due, i.removed ?? false]), [[docs[0].id, 1, null, false], [docs[0].id, 2, '2025-03-07', false]]);
    const build = items.filter((i) => i.text.includes('build'));
    assert.deepEqual(build.map((i) => [i.revision, i.removed ?? false]), [[1, false], [2, true]], JSON.stringify(build));
    assert.equal(new Set(build.map((i) => i.id)).size, 1, 'the withdrawal is a revision of the same item');
    // The notes hold the latest revision of each item and nothing withdrawn.
    const notes = fs.readFileSync(cfg.notesPath, 'utf8');
    assert.ok(notes.includes('- [ ] I will update the docs. — @Speaker, due 2025-03-07'), notes);
    assert.ok(!notes.includes('fix the build. — @'), 'the withdrawn item is not in the notes');
    assert.equal((notes.match(/update the docs\. —/g) ?? []).length, 1, 'one line per item, not per revision');
  });

  it('stop() twice returns the same result, and done is announced once', async () => {
    const rec = recorder();
    const source = new FakeLiveSource('mic', 'You', [1.5, 1]);
    const session = await Session.start(config({ sources: [source] }), rec.handlers);
    // Let it capture a few seconds of "speech".
    while (source.framesDelivered * 512 < 4 * SAMPLE_RATE) await new Promise((r) => setImmediate(r));
    const [a, b] = await Promise.all([session.stop(), session.stop()]);
    const c = await session.stop();
    const d = await session.done();
    assert.equal(a, b);
    assert.equal(a, c);
    assert.equal(a, d, 'done() resolves to the very same result');
    assert.ok(source.closed, 'the source was closed');
    // Give any stray work a chance to announce something.
    await new Promise((r) => setTimeout(r, 50));
    const states = rec.events.filter((e) => e.kind === 'state').map((e) => (e.value as SessionStateParams).state);
    assert.deepEqual(states, ['streaming', 'stopping', 'finalizing', 'done']);
    assert.equal(rec.events[rec.events.length - 1].kind, 'state', 'nothing is announced after done');
    assert.ok(a.segments.length >= 1);
  });

  it('stop() in the middle of speech flushes the utterance in progress as a final', async () => {
    const rec = recorder();
    const source = new FakeLiveSource('mic', 'You', [1000, 0]); // never silent
    const partialSeen = deferred();
    const session = await Session.start(config({
      sources: [source],
      decoder: new FakeDecoder((r) => { if (!r.final) partialSeen.resolve(); return `hello ${r.final ? 'final' : 'partial'}`; }),
    }), rec.handlers);
    await partialSeen.promise;
    // More audio after the partial, so the final must be decoded afresh.
    const atPartial = source.framesDelivered;
    while (source.framesDelivered < atPartial + 5) await new Promise((r) => setImmediate(r));
    const result = await session.stop();
    assert.equal(result.segments.length, 1);
    assert.equal(result.segments[0].text, 'hello final');
    const captured = source.framesDelivered * 512 / SAMPLE_RATE;
    assert.ok(Math.abs(result.segments[0].t1 - captured) < 0.001, `t1 ${result.segments[0].t1} vs captured ${captured}`);
    const transcripts = rec.events.filter((e) => e.kind === 'transcript').map((e) => e.value as TranscriptSegment);
    assert.deepEqual(transcripts.map((t) => t.final), [...transcripts.slice(0, -1).map(() => false), true]);
  });

  it('a final that is still being decoded when stop() is called is journaled and announced before done', async () => {
    const decoding = deferred();
    const release = deferred();
    const rec = recorder();
    const source = new FakeLiveSource('mic', 'You', [1, 1]);
    const session = await Session.start(config({
      sources: [source],
      decoder: new FakeDecoder(async (r) => {
        if (r.final) {
          decoding.resolve();
          await release.promise;
        }
        return 'hello';
      }),
    }), rec.handlers);
    await decoding.promise;
    const stopped = session.stop();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(session.state, 'stopping', 'stop waits for the recognizer');
    release.resolve();
    const result = await stopped;
    assert.ok(result.segments.length >= 1);
    const finalAt = rec.events.findIndex((e) => e.kind === 'transcript' && e.value.final);
    const doneAt = rec.events.findIndex((e) => e.kind === 'state' && e.value.state === 'done');
    assert.ok(finalAt >= 0 && finalAt < doneAt);
  });

  it('survives a failing decoder: ends done, with the error reported and journaled', async () => {
    const rec = recorder();
    const session = await Session.start(config({
      sources: [new FakeLiveSource('mic', 'You', [1, 0.5], 5)],
      decoder: new FakeDecoder(() => { throw new Error('whisper exploded'); }),
    }), rec.handlers);
    const result = await session.done();
    const done = rec.events[rec.events.length - 1].value as SessionStateParams;
    assert.equal(done.state, 'done');
    assert.match(done.error ?? '', /whisper exploded/);
    const journal = await readJournal(result.journalPath);
    const end = journal.records[journal.records.length - 1];
    assert.ok(end.type === 'end' && /whisper exploded/.test(end.error ?? ''));
    assert.match(fs.readFileSync(result.notesPath, 'utf8'), /Stopped by an error:\*\* whisper exploded/);
  });

  it('refuses to start over an existing journal', async () => {
    const cfg = config({ sources: [new FakeLiveSource('mic', 'You', [1, 1], 1)] });
    fs.mkdirSync(path.dirname(cfg.journalPath), { recursive: true });
    fs.writeFileSync(cfg.journalPath, 'old');
    const rec = recorder();
    await assert.rejects(Session.start(cfg, rec.handlers), /EEXIST/);
    assert.equal(rec.events.length, 0);
    assert.equal(fs.readFileSync(cfg.journalPath, 'utf8'), 'old');
  });
});
