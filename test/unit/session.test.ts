import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionItem, Decision, SessionStateParams, TranscriptSegment } from '../../protocol/protocol';
import { FileSource, SAMPLE_RATE } from '../../daemon/capture/source';
import { DEFAULT_STREAMING_OPTIONS } from '../../daemon/asr/streaming';
import { readJournal, JournalRecord } from '../../daemon/journal/journal';
import { ActionItemDoneError } from '../../daemon/documents/done';
import { EditorTimeline } from '../../daemon/anchoring/editorTimeline';
import { buildIndex } from '../../daemon/anchoring/mentions';
import { annotateSegment } from '../../daemon/anchoring/segmentContext';
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

  describe('mentions, viewing and done', () => {
    const AUTH = { path: 'src/auth.ts', startLine: 40, endLine: 52 };
    const CONFIG = { path: 'src/config.ts', startLine: 3, endLine: 3 };
    const finalsOf = (records: JournalRecord[]) => records.filter((r): r is Extract<JournalRecord, { type: 'segment' }> => r.type === 'segment');

    it('stamps each final with its mentions and the place in effect at its start, journaled before it is announced', async () => {
      const root = path.join(dir, 'ws');
      const index = buildIndex(['src/auth.ts', 'src/config.ts'], [{ name: 'parseConfig', kind: 'function', path: 'src/config.ts', line: 3 }]);
      const startedAt = new Date(2025, 2, 5, 9, 0);
      const timeline = new EditorTimeline();
      // Opened a minute before the session started; another file from 2 s into it (in the pause after the first turn).
      timeline.note(AUTH, startedAt.getTime() - 60_000, startedAt.getTime());
      timeline.note(CONFIG, startedAt.getTime() + 2000, startedAt.getTime());
      const said = ['I will fix auth.ts by Friday.', 'Then parseConfig needs a look.', 'Nothing to link here.'];
      let finals = 0;
      const cfg = config({
        startedAt,
        sources: [new FakeLiveSource('mic', 'You', [1.5, 1], 7)],
        decoder: new FakeDecoder((r) => (r.final ? said[finals++] ?? 'hello' : 'partial')),
        notesPath: path.join(root, '.earshot', 'notes', 'standup.md'),
        // No partials: on a loaded machine a partial that ends up covering the whole utterance is rightly reused as
        // its final, and this fake gives partials other words than finals.
        streaming: { ...DEFAULT_STREAMING_OPTIONS, earlyFinal: false, partials: false },
        annotate: (segment) => annotateSegment(segment, startedAt, { root, index }, timeline),
      });
      const announced: TranscriptSegment[] = [];
      const rec = recorder((e) => {
        if (e.kind !== 'transcript' || !e.value.final) return;
        const journaled = finalsOf(journalNow(cfg.journalPath)).find((r) => r.segmentId === e.value.segmentId);
        assert.deepEqual(journaled && { mentions: journaled.mentions, viewing: journaled.viewing }, { mentions: e.value.mentions, viewing: e.value.viewing });
        announced.push(e.value);
      });
      const session = await Session.start(cfg, rec.handlers);
      const result = await session.done();
      assert.deepEqual(result.segments.map((s) => s.text), said);
      assert.deepEqual(result.segments.map((s) => s.viewing), [AUTH, CONFIG, CONFIG]);
      assert.deepEqual(result.segments.map((s) => s.mentions), [
        [{ start: 11, end: 18, target: { kind: 'file', path: 'src/auth.ts' } }],
        [{ start: 5, end: 16, target: { kind: 'symbol', path: 'src/config.ts', line: 3, name: 'parseConfig' } }],
        undefined,
      ]);
      assert.deepEqual(announced.map((s) => s.mentions?.length ?? 0), [1, 1, 0]);
      // The workspace folder is journaled once, before the first segment.
      const records = (await readJournal(cfg.journalPath)).records;
      assert.deepEqual(records.filter((r) => r.type === 'workspace'), [{ type: 'workspace', root }]);
      assert.ok(records.findIndex((r) => r.type === 'workspace') < records.findIndex((r) => r.type === 'segment'));
      const notes = fs.readFileSync(cfg.notesPath, 'utf8');
      assert.ok(notes.includes('- **[00:00] You:** I will fix [auth.ts](../../src/auth.ts) by Friday.'), notes);
      assert.ok(notes.includes('Then [parseConfig](../../src/config.ts#L3) needs a look.'), notes);
      assert.ok(notes.includes('*while viewing [src/auth.ts:40–52](../../src/auth.ts#L40-L52)*'), notes);
      assert.equal(notes.split('*while viewing').length - 1, 2, 'one line per change of place');
      assert.ok(notes.includes('- [ ] I will fix [auth.ts](../../src/auth.ts) by Friday. — @You, due 2025-03-07 _(00:00, while viewing [src/auth.ts:40–52](../../src/auth.ts#L40-L52))_'), notes);
    });

    it('a failing annotation costs the links, never the segment', async () => {
      const cfg = config({
        sources: [new FakeLiveSource('mic', 'You', [1.5, 1], 3)],
        annotate: () => { throw new Error('matcher bug'); },
      });
      const result = await (await Session.start(cfg, recorder().handlers)).done();
      assert.ok(result.segments.length >= 1);
      assert.ok(result.segments.every((s) => s.mentions === undefined && s.viewing === undefined));
    });

    it('marks an item done while streaming: journaled, announced, ticked in the notes, kept by later automatic revisions', async () => {
      const release = deferred();
      let finals = 0;
      const itemSeen = deferred<ActionItem>();
      const cfg = config({
        sources: [new FakeLiveSource('mic', 'You', [1, 1])],
        decoder: new FakeDecoder(async (r) => {
          if (!r.final) return 'partial';
          finals++;
          if (finals === 1) return 'I will update the docs.';
          if (finals === 2) await release.promise;
          return finals === 2 ? 'By Friday.' : `Line ${finals}.`;
        }),
        streaming: { ...DEFAULT_STREAMING_OPTIONS, earlyFinal: false, partials: false },
      });
      const rec = recorder((e) => {
        if (e.kind === 'actionItem') itemSeen.resolve(e.value);
        if (e.kind === 'actionItem' && e.value.done) {
          assert.ok(journalNow(cfg.journalPath).some((r) => r.type === 'actionItem' && r.id === e.value.id && r.revision === e.value.revision && r.done === true));
        }
      });
      const session = await Session.start(cfg, rec.handlers);
      const first = await itemSeen.promise;
      const marked = await session.setActionItemDone(first.id, true);
      assert.deepEqual(marked, { ...first, revision: first.revision + 1, done: true });
      assert.deepEqual(await session.setActionItemDone(first.id, true), marked, 'marking it again changes nothing');
      const live = fs.readFileSync(cfg.notesPath, 'utf8');
      assert.ok(live.includes(`- [x] I will update the docs. — @You _(00:00)_ <!-- earshot:${first.id} done -->`), live);
      await assert.rejects(session.setActionItemDone('nope', true), (e: unknown) => e instanceof ActionItemDoneError && e.reason === 'unknown');
      release.resolve();
      // "By Friday." refines the item (a due date): the automatic revision keeps the tick.
      const until = async (ok: () => boolean) => { for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25)); assert.ok(ok()); };
      const items = () => rec.events.filter((e): e is Extract<Event, { kind: 'actionItem' }> => e.kind === 'actionItem').map((e) => e.value);
      await until(() => items().some((i) => i.due !== null));
      const result = await session.stop();
      const revisions = items().filter((i) => i.id === first.id);
      assert.deepEqual(revisions.map((i) => [i.revision, i.done ?? false, i.due]), [[1, false, null], [2, true, null], [3, true, '2025-03-07']]);
      const notes = fs.readFileSync(result.notesPath, 'utf8');
      assert.ok(notes.includes('- [x] I will update the docs. — @You, due 2025-03-07'), notes);
      assert.equal(await session.setActionItemDone(first.id, false), undefined, 'a finished session is marked in its journal by the caller');
    });

    it('reads a box ticked by hand in the notes file back as done', async () => {
      const release = deferred();
      let finals = 0;
      const cfg = config({
        sources: [new FakeLiveSource('mic', 'You', [1, 1])],
        decoder: new FakeDecoder(async (r) => {
          if (!r.final) return 'partial';
          if (++finals === 2) await release.promise;
          return finals === 1 ? 'I will update the docs.' : `Line ${finals} about the cache.`;
        }),
        streaming: { ...DEFAULT_STREAMING_OPTIONS, earlyFinal: false, partials: false },
      });
      const rec = recorder();
      const session = await Session.start(cfg, rec.handlers);
      const until = async (ok: () => boolean) => { for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25)); assert.ok(ok()); };
      await until(() => fs.existsSync(cfg.notesPath) && fs.readFileSync(cfg.notesPath, 'utf8').includes('- [ ] I will update the docs.'));
      fs.writeFileSync(cfg.notesPath, fs.readFileSync(cfg.notesPath, 'utf8').replace('- [ ] I will update the docs.', '- [x] I will update the docs.'));
      release.resolve();
      const doneItem = () => rec.events.find((e) => e.kind === 'actionItem' && e.value.done === true);
      await until(() => doneItem() !== undefined);
      const result = await session.stop();
      const journaled = (await readJournal(result.journalPath)).records.filter((r) => r.type === 'actionItem');
      assert.deepEqual(journaled.map((r) => r.type === 'actionItem' && [r.revision, r.done ?? false]), [[1, false], [2, true]]);
      assert.ok(fs.readFileSync(result.notesPath, 'utf8').includes('- [x] I will update the docs.'));
    });
  });
});
