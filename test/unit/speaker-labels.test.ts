/**
 * Speakers within a source, the bookkeeping (speakers/labels.ts): labels a final gets, relabels when the stage hears it
 * later, re-identifies a voice or the user renames one, the microphone's main voice, the replay of the journal that
 * rebuilds all of it; the owners that follow (Ledger.respeak); the voice model's front end (Kaldi fbank) and
 * re-identifier; the rename request's checks.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FinalSegment, TranscriptSegment } from '../../protocol/protocol';
import { validateSpeakerRename } from '../../protocol/validate';
import { DecisionRecord, JournalRecord, latestById, readJournal, segmentsOf, SpeakersRecord, SummaryRecord, summarySoFarOf } from '../../daemon/journal/journal';
import { latestActionItems } from '../../daemon/documents/done';
import { Ledger } from '../../daemon/session/ledger';
import { LiveExtraction } from '../../daemon/session/liveExtraction';
import { SessionSpeakers } from '../../daemon/session/speakers';
import { EmbeddingReidentifier } from '../../daemon/speakers/embedding';
import { FBANK_BINS, fbank, fbankFrames, subtractMean } from '../../daemon/speakers/fbank';
import { assignVoice, followOwner, Relabel, renameMentions, sourceVoices, SpeakerBook } from '../../daemon/speakers/labels';
import { assignLines, speechTurns } from '../../daemon/speakers/lines';
import { OverlapLinker } from '../../daemon/speakers/linking';
import { SAME_VOICE_DISTANCE, SpectralReidentifier, voiceDistance, voiceStats } from '../../daemon/speakers/spectral';
import { renameInJournal } from '../../daemon/documents/speakerNames';
import { speakerCatalog } from '../../daemon/models/voiceModel';

const FILE = sourceVoices([{ kind: 'file', speaker: 'Speaker' }], true);
const final = (n: number, t0: number, t1: number, source: FinalSegment['source'] = 'file') => ({ segmentId: `${source}-${n}`, source, t0, t1 });
const turn = (speaker: string, start: number, end: number) => ({ speaker, start, end });
const changes = (r: Relabel | undefined) => r?.record.changes.map((c) => [c.segmentId, c.speaker, c.voice ?? null]) ?? [];

/** Journals what a book says as a session does: each final's record, each relabel's record. */
class Journaled {
  readonly records: JournalRecord[] = [];
  constructor(readonly book: SpeakerBook) {}
  final(f: ReturnType<typeof final>) {
    const l = this.book.final(f);
    this.records.push({ type: 'segment', segmentId: f.segmentId, source: f.source, t0: f.t0, t1: f.t1, text: 'x', speaker: l.speaker, ...(l.voice ? { voice: l.voice } : {}) });
    return l;
  }
  take(r: Relabel | undefined) {
    if (r) this.records.push(r.record);
    return r;
  }
}

describe('speaker labels (who spoke each final)', () => {
  it('a final the stage has not heard goes out with the source label, pending; its voice follows as a "heard" change', () => {
    const book = new SpeakerBook(FILE);
    assert.deepEqual(book.final(final(1, 0, 4)), { speaker: 'Speaker', pending: true });
    assert.equal(book.pendingSince('file'), 0);
    // Turns up to 3 s settled: the final (ends at 4 s) still waits.
    assert.equal(book.heard('file', [turn('Speaker 1', 0.2, 3)], 3), undefined);
    const heard = book.heard('file', [turn('Speaker 1', 3, 4.5)], 9);
    assert.equal(heard!.record.cause, 'heard');
    assert.deepEqual(changes(heard), [['file-1', 'Speaker 1', 'Speaker 1']]);
    assert.equal(heard!.previous.get('file-1'), 'Speaker');
    assert.equal(book.pendingSince('file'), Infinity);
    // Settled audio: the next final gets its voice at once (most overlap wins, not the first turn).
    book.heard('file', [turn('Speaker 1', 5, 5.6), turn('Speaker 2', 5.6, 8.5)], 9);
    // Confidence: Speaker 2's share of the covered speech (2.9 s of 3.5 s).
    assert.deepEqual(book.final(final(2, 5, 8.6)), { speaker: 'Speaker 2', voice: 'Speaker 2', confidence: 0.83, pending: false });
    assert.deepEqual(book.final(final(3, 0.5, 0.6)), { speaker: 'Speaker 1', voice: 'Speaker 1', confidence: 1, pending: false });
    assert.equal(book.heard('file', [], 30), undefined);
    book.heard('file', [], 30);
    // No turn covers it (issue 57): the nearest turn's voice, 11.5 s away, with a confidence halved every 5 s from 0.5.
    const lonely = book.final(final(4, 20, 21));
    assert.deepEqual(lonely, { speaker: 'Speaker 2', voice: 'Speaker 2', confidence: 0.1, pending: false });
  });

  it('a re-identified voice takes every final of the other, before and after; a name holds for later finals', () => {
    const book = new SpeakerBook(FILE);
    book.heard('file', [turn('Speaker 1', 0, 2), turn('Speaker 2', 30, 32)], 40);
    book.final(final(1, 0, 2));
    book.final(final(2, 30, 32));
    const merged = book.reidentified('file', 'Speaker 2', 'Speaker 1');
    assert.equal(merged!.record.cause, 'reidentified');
    assert.deepEqual(changes(merged), [['file-2', 'Speaker 1', 'Speaker 1']]);
    assert.equal(book.reidentified('file', 'Speaker 2', 'Speaker 1'), undefined, 'once is enough');
    const renamed = book.rename('file', 'Speaker 1', 'Alice');
    assert.deepEqual(changes(renamed), [['file-1', 'Alice', 'Speaker 1'], ['file-2', 'Alice', 'Speaker 1']]);
    assert.deepEqual([renamed.record.voice, renamed.record.name], ['Speaker 1', 'Alice']);
    book.heard('file', [turn('Speaker 2', 41, 44)], 50); // the stage's old label for the same voice
    assert.deepEqual(book.final(final(3, 41, 44)), { speaker: 'Alice', voice: 'Speaker 1', confidence: 1, pending: false });
    assert.throws(() => book.rename('file', 'Speaker 7', 'Bob'), /no voice "Speaker 7"/);
    assert.deepEqual(changes(book.rename('file', 'Speaker 1', null)).map((c) => c[1]), ['Speaker 1', 'Speaker 1', 'Speaker 1']);
  });

  it('the microphone alone is split and its main voice keeps "You"; when another voice is heard longer, both relabel', () => {
    const room = sourceVoices([{ kind: 'mic', speaker: 'You' }], true);
    assert.equal(room[0].split, true);
    const book = new SpeakerBook(room);
    book.heard('mic', [turn('Speaker 1', 0, 5), turn('Speaker 2', 6, 8)], 10);
    assert.equal(book.final(final(1, 0, 5, 'mic')).speaker, 'You');
    assert.equal(book.final(final(2, 6, 8, 'mic')).speaker, 'Speaker 2');
    const flipped = book.heard('mic', [turn('Speaker 2', 10, 20)], 25);
    assert.deepEqual(changes(flipped), [['mic-1', 'Speaker 1', 'Speaker 1'], ['mic-2', 'You', 'Speaker 2']]);
    // In a call the microphone is the user's alone: not split, "You" on every line.
    const call = sourceVoices([{ kind: 'mic', speaker: 'You' }, { kind: 'system', speaker: 'Others' }], true);
    assert.deepEqual(call.map((s) => [s.kind, s.split]), [['mic', false], ['system', true]]);
    assert.deepEqual(new SpeakerBook(call).final(final(1, 0, 1, 'mic')), { speaker: 'You', pending: false });
    assert.deepEqual(sourceVoices([{ kind: 'system', speaker: 'Others' }], false).map((s) => s.split), [false], 'off: nothing split');
  });

  it('the source ends: finals still pending keep its label and are settled (sent again without speakerPending)', () => {
    const book = new SpeakerBook(FILE);
    book.final(final(1, 0, 1));
    const ended = book.ended('file');
    assert.deepEqual(changes(ended), [['file-1', 'Speaker', null]]);
    assert.equal(book.pendingSince('file'), Infinity);
  });

  it('journal replay: segmentsOf gives every final the speaker the book last gave it, and a book rebuilt from the records renames the same', () => {
    const live = new Journaled(new SpeakerBook(FILE));
    live.final(final(1, 0, 2));
    live.final(final(2, 3, 5));
    live.take(live.book.heard('file', [turn('Speaker 1', 0, 2), turn('Speaker 2', 3, 5)], 10));
    live.take(live.book.heard('file', [turn('Speaker 3', 12, 14)], 20));
    live.final(final(3, 12, 14));
    live.take(live.book.reidentified('file', 'Speaker 3', 'Speaker 1'));
    live.take(live.book.rename('file', 'Speaker 2', 'Bob'));
    const replayed = segmentsOf(live.records);
    assert.deepEqual(replayed.map((s) => [s.segmentId, s.speaker, s.voice]), [['file-1', 'Speaker 1', 'Speaker 1'], ['file-2', 'Bob', 'Speaker 2'], ['file-3', 'Speaker 1', 'Speaker 1']]);
    // A stopped session's rename: the book comes back from the journal alone.
    const rebuilt = new SpeakerBook(FILE);
    rebuilt.restore(live.records);
    assert.equal(rebuilt.speakerOf('file', 'Speaker 2'), 'Bob');
    assert.equal(rebuilt.speakerOf('file', 'Speaker 3'), 'Speaker 1', 'the merge came back');
    const again = rebuilt.rename('file', 'Speaker 1', 'Carol');
    assert.deepEqual(changes(again), [['file-1', 'Carol', 'Speaker 1'], ['file-3', 'Carol', 'Speaker 1']]);
    assert.equal(rebuilt.highestNumber('file'), 3, 'a stage started after a resume numbers on from Speaker 4');
    // A speakers record for a final the journal does not hold changes nothing; records apply in order.
    const stray: SpeakersRecord = { type: 'speakers', source: 'file', cause: 'heard', changes: [{ segmentId: 'file-9', speaker: 'X' }] };
    assert.deepEqual(segmentsOf([...live.records, stray]).map((s) => s.speaker), replayed.map((s) => s.speaker));
  });

  it('a renamed voice\'s old name is replaced as a whole word in texts, never a source\'s label', () => {
    const renamed = { from: 'Speaker 2', to: 'Dana $1', mentions: true };
    assert.equal(renameMentions('Speaker 2 sends the figures to Speaker 21 and Speaker 2.', renamed), 'Dana $1 sends the figures to Speaker 21 and Dana $1.');
    assert.equal(renameMentions('Can you ask Speaker 2?', { ...renamed, mentions: false }), 'Can you ask Speaker 2?');
    assert.equal(renameMentions('Ask (Speaker 2)', undefined), 'Ask (Speaker 2)');
    assert.equal(renameMentions('Ask Dana.', { from: 'Dana', to: 'Dana Scully', mentions: true }), 'Ask Dana Scully.');
    // The ledger: a decision naming the voice gets a revision with the new name.
    const ledger = new Ledger('s', new Date('2026-11-25T10:00:00Z'));
    const found = ledger.extract({ speaker: 'Speaker 1', text: 'We decided that Speaker 2 presents the budget on Monday.', t0: 1, segmentId: 'system-1' });
    assert.equal(found.decisions.length, 1, JSON.stringify(found));
    const next = ledger.respeak(new Map(), { from: 'Speaker 2', to: 'Dana', mentions: true });
    assert.deepEqual(next.decisions.map((d) => [d.id, d.revision, /Dana presents/.test(d.text)]), [[found.decisions[0].id, 2, true]]);
  });

  describe('renames of a stored meeting (review 2, S6: rename_words.js)', () => {
    let dir: string;
    let journalPath: string;
    const SESSION = '20261127T100000-abcdef';
    const seg = (i: number, voice: string, text: string): JournalRecord => ({ type: 'segment', segmentId: `system-${i}`, source: 'system', speaker: voice, voice, t0: i * 5, t1: i * 5 + 4, text });
    const item = (id: string, text: string, owner: string, segmentId: string): JournalRecord => ({ type: 'actionItem', id, revision: 1, text, owner, due: null, duePhrase: null, segmentId, t0: 0 });
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-rename-'));
      journalPath = path.join(dir, `${SESSION}.jsonl`);
      const records: JournalRecord[] = [
        { type: 'session', version: 1, sessionId: SESSION, title: 'Release', startedAt: '2026-11-27T10:00:00.000Z', sources: ['system'], language: 'en', notesPath: path.join(dir, 'notes.md'), mode: 'meeting', identifySpeakers: true },
        seg(1, 'Speaker 1', 'I will mark the release notes as final.'),
        seg(2, 'Speaker 2', 'Mark the old endpoint as deprecated, we agreed.'),
        seg(3, 'Speaker 3', 'I will send the budget.'),
        item('a1', 'Mark the release notes as final', 'Speaker 1', 'system-1'),
        item('a3', 'Speaker 1 reviews the budget Speaker 3 sends', 'Speaker 1', 'system-1'),
        { type: 'decision', id: 'd1', revision: 1, text: 'Mark the old endpoint as deprecated', segmentId: 'system-2', t0: 5, kind: 'decision' },
        item('a2', 'Send the budget', 'Speaker 3', 'system-3'),
        { type: 'summary', at: '2026-11-27T10:10:00.000Z', provider: 'local', by: 'm', chunks: 1, points: [{ text: 'Mark the old endpoint as deprecated; Speaker 1 owns the release notes.', segmentIds: ['system-2'] }] },
        // The settle of v10's notes on the meeting's one part (a finalize later composes the summary from them).
        { type: 'partNotes', at: '2026-11-27T10:10:00.000Z', by: 'm', chunk: 0, t0: 5, t1: 15, points: [{ text: 'Speaker 1 owns the release notes; Speaker 3 sends the budget.', segmentIds: ['system-1'] }] },
      ];
      fs.writeFileSync(journalPath, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const rename = (voice: string, name: string | null) => renameInJournal(journalPath, { sessionId: SESSION, source: 'system', voice, name });
    const state = async () => {
      const { records } = await readJournal(journalPath);
      const items = Object.fromEntries([...latestActionItems(records).values()].map((i) => [i.id, [i.text, i.owner]]));
      const decisions = Object.fromEntries([...latestById(records.filter((r): r is DecisionRecord => r.type === 'decision')).values()].map((d) => [d.id, d.text]));
      const summary = records.filter((r): r is SummaryRecord => r.type === 'summary').pop()!.points[0].text;
      const part = summarySoFarOf(records).parts![0].points[0].text;
      return { items, decisions, summary, part };
    };

    it('Earshot\'s label is renamed in texts; a name the user gave is not: "Mark" corrected to "Marc" leaves the verb "Mark" alone', async () => {
      await rename('Speaker 1', 'Mark');
      const named = await state();
      assert.deepEqual(named.items.a3, ['Mark reviews the budget Speaker 3 sends', 'Mark'], 'the label "Speaker 1" was renamed');
      assert.equal(named.summary, 'Mark the old endpoint as deprecated; Mark owns the release notes.');
      assert.equal(named.part, 'Mark owns the release notes; Speaker 3 sends the budget.', 'the parts\' notes follow, journaled');
      await rename('Speaker 1', 'Marc');
      const corrected = await state();
      assert.deepEqual(corrected.items.a1, ['Mark the release notes as final', 'Marc'], 'the owner follows, the text keeps its verb');
      assert.deepEqual(corrected.items.a3, ['Mark reviews the budget Speaker 3 sends', 'Marc']);
      assert.deepEqual(corrected.decisions, { d1: 'Mark the old endpoint as deprecated' });
      assert.equal(corrected.summary, named.summary, 'no summary revision');
      assert.deepEqual(corrected.items.a2, ['Send the budget', 'Speaker 3']);
    });

    it('a voice named as another is shown (a label, or one name for two voices): renaming it moves none of the other\'s items', async () => {
      await rename('Speaker 2', 'Speaker 3');
      await rename('Speaker 2', 'Dana');
      assert.deepEqual((await state()).items.a2, ['Send the budget', 'Speaker 3'], 'the real Speaker 3 keeps its item');
      // Two voices given one name (how a speaker who came back as a new voice is joined): both keep it, and a later
      // rename of one takes only the items of its own lines.
      await rename('Speaker 1', 'Mark');
      await rename('Speaker 3', 'Mark');
      const joined = await state();
      assert.deepEqual([joined.items.a1[1], joined.items.a2[1]], ['Mark', 'Mark']);
      await rename('Speaker 1', 'Marc');
      const apart = await state();
      assert.deepEqual([apart.items.a1[1], apart.items.a3[1], apart.items.a2[1]], ['Marc', 'Marc', 'Mark'], 'Speaker 3\'s item stays Mark');
    });

    it('an owner a model gave on another\'s line follows a rename when the name is the voice\'s alone', async () => {
      fs.appendFileSync(journalPath, JSON.stringify(item('a4', 'Book the room', 'Speaker 2', 'system-1')) + '\n');
      await rename('Speaker 2', 'Dana');
      assert.deepEqual((await state()).items.a4, ['Book the room', 'Dana']);
    });

    it('the live book answers the same: mentions only for Earshot\'s label of the voice; shared when another voice shows the name', () => {
      const book = new SpeakerBook(sourceVoices([{ kind: 'system', speaker: 'Others' }], true));
      book.final({ segmentId: 'system-1', source: 'system', t0: 0, t1: 2 });
      book.heard('system', [turn('Speaker 1', 0, 2), turn('Speaker 2', 3, 5)], 10);
      assert.deepEqual(book.renamed('system', 'Speaker 1', 'Speaker 1', 'Mark'), { from: 'Speaker 1', to: 'Mark', mentions: true, shared: false });
      assert.equal(book.renamed('system', 'Speaker 1', 'Mark', 'Marc').mentions, false, 'a name the user gave');
      assert.equal(book.renamed('system', 'Speaker 1', 'Others', 'Ana').mentions, false, 'the source\'s label');
      assert.deepEqual(book.renamed('system', 'Speaker 1', 'Speaker 2', 'Ana'), { from: 'Speaker 2', to: 'Ana', mentions: false, shared: true }, 'another voice\'s label');
      assert.equal(followOwner({ owner: 'Speaker 2', segmentId: 'elsewhere' }, new Map(), book.renamed('system', 'Speaker 1', 'Speaker 2', 'Ana')), undefined);
    });
  });

  it('the model\'s summary so far names a renamed voice anew: a summary revision to journal, the next roll starts from it', () => {
    const header: JournalRecord = { type: 'session', version: 1, sessionId: 's', title: 't', startedAt: '2026-11-25T10:00:00Z', sources: ['system'], language: 'en', notesPath: '/n.md' };
    const summary: JournalRecord = { type: 'summary', at: '2026-11-25T10:05:00Z', provider: 'local', by: 'm', chunks: 1, points: [{ text: 'Speaker 2 owns the budget.', segmentIds: ['system-1'] }] };
    const live = new LiveExtraction({ sessionId: 's', runner: { chunkOptions: { chunkChars: 6000, overlapLines: 4 } } as never, ledger: new Ledger('s', new Date()) } as never, [header, summary]);
    const revised = live.renamed({ from: 'Speaker 2', to: 'Dana', mentions: true });
    assert.deepEqual(revised.map((r) => ({ ...r, at: '' })), [{ ...summary, at: '', points: [{ text: 'Dana owns the budget.', segmentIds: ['system-1'] }] }]);
    assert.deepEqual(live.renamed({ from: 'Speaker 3', to: 'Eve', mentions: true }), [], 'no point names Speaker 3');
  });

  it('owners follow: the new speaker of an item\'s own final, and a renamed voice anywhere', () => {
    const changed = new Map([['s1', { from: 'Speaker', to: 'Speaker 2' }]]);
    assert.equal(followOwner({ owner: 'Speaker', segmentId: 's1' }, changed), 'Speaker 2');
    assert.equal(followOwner({ owner: 'Alice', segmentId: 's1' }, changed), undefined, 'a named owner stays');
    assert.equal(followOwner({ owner: 'Speaker', segmentId: 's1', removed: true }, changed), undefined);
    assert.equal(followOwner({ owner: 'Speaker 2', segmentId: 's9' }, new Map(), { from: 'Speaker 2', to: 'Dana' }), 'Dana');
  });

  it('the ledger reads its window again with the new speakers: "I\'ll …" is owned by whoever said it', () => {
    const ledger = new Ledger('s', new Date('2026-11-25T10:00:00Z'));
    const first = ledger.extract({ speaker: 'Others', text: "I'll send the report by Friday.", t0: 1, segmentId: 'system-1' });
    assert.equal(first.items[0]?.owner, 'Others');
    const moved = ledger.respeak(new Map([['system-1', { from: 'Others', to: 'Speaker 2' }]]));
    assert.deepEqual(moved.items.map((i) => [i.id, i.owner, i.revision]), [[first.items[0].id, 'Speaker 2', 2]]);
    const renamed = ledger.respeak(new Map([['system-1', { from: 'Speaker 2', to: 'Dana' }]]), { from: 'Speaker 2', to: 'Dana', mentions: true });
    assert.deepEqual(renamed.items.map((i) => [i.owner, i.revision]), [['Dana', 3]]);
    // The next final re-reads the window: the owner stays Dana (the rules find the same item again).
    const next = ledger.extract({ speaker: 'Speaker 3', text: 'Sounds good.', t0: 5, segmentId: 'system-2' });
    assert.deepEqual(next.items, []);
  });
});

describe('voice model front end and re-identification', () => {
  const tone = (hz: number, seconds: number) => Float32Array.from({ length: seconds * 16000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / 16000));

  it('Kaldi fbank: one frame per 10 ms (rounded), 80 bins, a tone peaks in the mel bin of its frequency', () => {
    assert.equal(fbankFrames(16000), 100);
    assert.equal(fbankFrames(16079), 100);
    assert.equal(fbankFrames(16080), 101);
    const f = fbank(tone(1000, 1));
    assert.equal(f.length, 100 * FBANK_BINS);
    const row = f.subarray(50 * FBANK_BINS, 51 * FBANK_BINS);
    const peak = row.indexOf(Math.max(...row));
    // Mel bin centres, 20–7600 Hz in 81 steps of 1127 ln(1 + f/700): 1000 Hz sits at (mel(1000) − mel(20)) / step − 1.
    const mel = (hz: number) => 1127 * Math.log(1 + hz / 700);
    const expected = (mel(1000) - mel(20)) / ((mel(7600) - mel(20)) / 81) - 1;
    assert.ok(Math.abs(peak - expected) <= 1, `peak bin ${peak}, expected about ${expected.toFixed(2)}`);
    const silent = fbank(new Float32Array(1600));
    assert.ok(silent.every((v) => Math.abs(v - Math.log(1.1920929e-7)) < 1e-3), 'silence: the log floor');
    const normalized = fbank(tone(440, 1));
    subtractMean(normalized);
    for (let b = 0; b < FBANK_BINS; b++) {
      let sum = 0;
      for (let i = b; i < normalized.length; i += FBANK_BINS) sum += normalized[i];
      assert.ok(Math.abs(sum / 100) < 1e-3);
    }
  });

  it('a new label whose voice is close enough to an earlier one is that one; a different voice is new; short turns say nothing', async () => {
    const voices: Record<number, number[]> = { 300: [1, 0, 0], 310: [0.9, 0.1, 0], 2000: [0, 0, 1] };
    const fake = { embed: async (a: Float32Array) => Float32Array.from(voices[Math.round(Math.abs(a[1]) * 1e4)] ?? [0, 1, 0]) };
    const marked = (id: number) => { const a = new Float32Array(2 * 16000); a[1] = id / 1e4; return a; };
    const reid = new EmbeddingReidentifier(fake);
    assert.equal(await reid.identify('Speaker 1', marked(300)), undefined);
    assert.equal(await reid.identify('Speaker 2', marked(2000)), undefined);
    assert.equal(await reid.identify('Speaker 3', marked(310)), 'Speaker 1');
    assert.equal(await reid.identify('Speaker 4', new Float32Array(16000)), undefined, 'a second is too short to tell');
  });

  it('the catalog entry: the published file, its size, sha256, licence and https URL', () => {
    const [m] = speakerCatalog({});
    assert.equal(m.file, '3dspeaker_speech_campplus_sv_en_voxceleb_16k.onnx');
    assert.match(m.url, /^https:\/\/github\.com\/k2-fsa\/sherpa-onnx\/releases\/download\/speaker-recongition-models\//);
    assert.equal(m.bytes, 29_596_978);
    assert.match(m.sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.licence, 'Apache-2.0');
  });
});

describe('earshot/speakers/rename params', () => {
  it('takes a session, a source, a voice as finals carry it and a name (trimmed; empty or null: the voice\'s own label)', () => {
    assert.deepEqual(validateSpeakerRename({ sessionId: 'a-1', source: 'system', voice: 'Speaker 2', name: '  Dana ' }), { sessionId: 'a-1', source: 'system', voice: 'Speaker 2', name: 'Dana' });
    assert.equal(validateSpeakerRename({ sessionId: 'a-1', source: 'file', voice: 'Speaker 2', name: '' }).name, null);
    assert.equal(validateSpeakerRename({ sessionId: 'a-1', source: 'file', voice: 'Speaker 2', name: null }).name, null);
    assert.throws(() => validateSpeakerRename({ sessionId: 'a-1', source: 'file', voice: 'You', name: 'x' }), /voice must be/);
    assert.throws(() => validateSpeakerRename({ sessionId: 'a-1', source: 'tv', voice: 'Speaker 1', name: 'x' }), /source must be/);
    assert.throws(() => validateSpeakerRename({ sessionId: 'a-1', source: 'file', voice: 'Speaker 1', name: 'x'.repeat(61) }), /at most 60/);
    assert.throws(() => validateSpeakerRename({ sessionId: 'a-1', source: 'file', voice: 'Speaker 1', name: 'a\nb' }), /control characters/);
    assert.throws(() => validateSpeakerRename({ sessionId: '../x', source: 'file', voice: 'Speaker 1', name: 'a' }), /not a session id/);
  });
});

describe('the session\'s speakers (session/speakers.ts, fake stages)', () => {
  const frame = (source: 'file' | 'system', at: number, seconds = 0.032) => ({ source, samples: new Float32Array(Math.round(seconds * 16000)), startSample: Math.round(at * 16000) });
  const segment = (n: number, t0: number, t1: number, source: 'file' | 'system' = 'file'): TranscriptSegment =>
    ({ sessionId: 's', segmentId: `${source}-${n}`, source, speaker: source === 'file' ? 'Speaker' : 'Others', t0, t1, text: 'x', final: true });

  /** A stage that answers one turn per pushed second of audio, each settled at once, and counts what it heard. */
  function fakeStage(heard: { samples: number; silent?: number }, gate?: Promise<void>) {
    let at = 0;
    return {
      settledSec: 0,
      async push(f: { samples: Float32Array; startSample: number }, speech: boolean) {
        await gate;
        heard.samples += f.samples.length;
        if (!speech) heard.silent = (heard.silent ?? 0) + f.samples.length;
        const end = (f.startSample + f.samples.length) / 16000;
        const turns = [];
        while (at + 1 <= end) { turns.push({ type: 'turn' as const, turn: { start: at, end: at + 1, speaker: at < 5 ? 'Speaker 1' : 'Speaker 2' } }); at += 1; }
        this.settledSec = at;
        return turns;
      },
      async end() { return []; },
    };
  }

  /** Lets the stage's reader run (microtasks and immediates only: the fake stage waits on nothing else) until `check`. */
  async function until(check: () => boolean): Promise<void> {
    for (let turns = 0; !check(); turns++) {
      if (turns === 1000) assert.fail('the stage did not read what was expected');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** What the source's pipeline does with a frame: hands it over, then the voice detector scores it. */
  function read(speakers: SessionSpeakers, f: ReturnType<typeof frame>, speech = true): Promise<void> | undefined {
    const waiting = speakers.hear(f);
    speakers.scored(f, speech);
    return waiting;
  }

  function wiring(log: string[]) {
    return {
      append: async (r: JournalRecord) => { log.push(`journal ${r.type}`); },
      owners: () => ({ items: [], decisions: [] }),
      announce: (cause: string, segments: TranscriptSegment[]) => { log.push(`announce ${cause} ${segments.map((s) => `${s.segmentId}=${s.speaker}`).join(',')}`); },
      notesChanged: () => undefined,
      stateChanged: () => { log.push('state'); },
      failed: (e: unknown) => { log.push(`failed ${(e as Error).message}`); },
    };
  }

  it('a final labelled before the stage heard it is relabelled, journaled before announced; the announced object is not changed', async () => {
    const log: string[] = [];
    const heard = { samples: 0 };
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const speakers = new SessionSpeakers(new SpeakerBook(FILE), { mode: 'overlap', create: async () => fakeStage(heard, gate) as never }, wiring(log));
    for (let t = 0; t < 3; t += 0.032) read(speakers, frame('file', t));
    const first = segment(1, 0.5, 2);
    speakers.label(first);
    assert.deepEqual([first.speaker, first.speakerPending, first.voice], ['Speaker', true, undefined]);
    assert.equal(speakers.horizon(), 0.5, 'a chunk holding it waits');
    open();
    await speakers.finish();
    assert.deepEqual(log, ['journal speakers', 'announce heard file-1=Speaker 1']);
    assert.equal(first.speakerPending, true, 'what was announced stays as announced');
    assert.deepEqual(speakers.latest(first), { ...(({ speakerPending: _p, ...rest }) => rest)(first), speaker: 'Speaker 1', voice: 'Speaker 1', speakerConfidence: 1 });
    assert.equal(speakers.horizon(), Infinity);
  });

  it('a file waits for a stage a minute behind (no audio lost); a live source drops its oldest queued audio instead', async () => {
    const heardFile = { samples: 0 }, heardLive = { samples: 0 };
    let openFile!: () => void, openLive!: () => void;
    const gates = { file: new Promise<void>((r) => { openFile = r; }), system: new Promise<void>((r) => { openLive = r; }) };
    const book = new SpeakerBook([...FILE, ...sourceVoices([{ kind: 'system', speaker: 'Others' }], true)]);
    const speakers = new SessionSpeakers(book, {
      mode: 'overlap', create: async (source) => fakeStage(source === 'file' ? heardFile : heardLive, gates[source as 'file' | 'system']) as never,
    }, wiring([]));
    let waited: Promise<void> | undefined;
    let sent = 0;
    for (; sent < 70 && !waited; sent++) waited = read(speakers, frame('file', sent, 1));
    assert.ok(waited, 'past 60 s queued, the file\'s pipeline is asked to wait');
    assert.ok(sent > 60 && sent < 64, `asked to wait after ${sent} s`);
    for (let t = 0; t < 90; t += 1) assert.equal(read(speakers, frame('system', t, 1)), undefined, 'a live source never waits');
    openFile();
    openLive();
    await waited;
    await speakers.finish();
    assert.equal(heardFile.samples, sent * 16000, 'the file was heard whole');
    assert.ok(heardLive.samples <= 61 * 16000 && heardLive.samples >= 59 * 16000, `the live source kept its last minute: ${heardLive.samples / 16000} s`);
  });

  it('the stage reads a frame once the voice detector has scored it, with its word; at the end, frames never scored as possibly speech', async () => {
    const heard: { samples: number; silent?: number } = { samples: 0 };
    const speakers = new SessionSpeakers(new SpeakerBook(FILE), { mode: 'overlap', create: async () => fakeStage(heard) as never }, wiring([]));
    const frames = Array.from({ length: 6 }, (_, i) => frame('file', i));
    for (const f of frames) speakers.hear(f);
    for (let turns = 0; turns < 10; turns++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(heard.samples, 0, 'nothing is read before it is scored');
    speakers.scored(frames[0], true);
    speakers.scored(frames[1], false);
    speakers.scored(frames[2], false);
    await until(() => heard.samples === 3 * 512);
    assert.equal(heard.silent, 2 * 512, 'the frames scored as no speech are read as such');
    speakers.scored(frames[4], false); // frame 3 was never scored (its pipeline's run failed): possibly speech
    await until(() => heard.samples === 5 * 512);
    assert.equal(heard.silent, 3 * 512);
    await speakers.finish(); // frame 5, never scored, is read at the end, as possibly speech
    assert.deepEqual(heard, { samples: 6 * 512, silent: 3 * 512 });
  });

  it('a detector that stops scoring never stalls the stage: past 64 frames waiting, the oldest are read as possibly speech', async () => {
    const heard: { samples: number; silent?: number } = { samples: 0 };
    const speakers = new SessionSpeakers(new SpeakerBook(FILE), { mode: 'overlap', create: async () => fakeStage(heard) as never }, wiring([]));
    for (let i = 0; i < 70; i++) speakers.hear(frame('file', i));
    await until(() => heard.samples === 6 * 512);
    assert.equal(heard.silent, undefined);
    await speakers.finish();
    assert.equal(heard.samples, 70 * 512);
  });

  it('a stage that cannot start turns speakers off, said in the state; finals waiting keep their label and are settled', async () => {
    const log: string[] = [];
    const speakers = new SessionSpeakers(new SpeakerBook(FILE), { mode: 'overlap', create: async () => { throw new Error('model missing'); } }, wiring(log));
    assert.equal(speakers.state.mode, 'overlap');
    const s = segment(1, 0, 1);
    speakers.label(s);
    read(speakers, frame('file', 0));
    await speakers.finish();
    assert.deepEqual(speakers.state, { mode: 'off', message: 'Speakers are not told apart: model missing' });
    assert.deepEqual(log, ['state', 'journal speakers', 'announce heard file-1=Speaker']);
    assert.equal(speakers.latest(s).speakerPending, undefined);
  });
});

describe('every transcribed line gets a voice (issue 57: labels.ts assignVoice, lines.ts)', () => {
  const weak = (speaker: string, start: number, end: number) => ({ speaker, start, end, weak: true as const });

  it('decided turns first, half-heard (weak) turns at half weight, then the nearest decided turn with a confidence that halves every 5 s', () => {
    assert.deepEqual(assignVoice([turn('A', 0, 2), weak('B', 2, 6)], 1, 3), { voice: 'A', confidence: 0.67 });
    assert.deepEqual(assignVoice([turn('A', 0, 2), weak('B', 2, 6)], 2.5, 5), { voice: 'B', confidence: 0.5 });
    assert.deepEqual(assignVoice([turn('A', 0, 2), turn('B', 20, 22)], 7, 8), { voice: 'A', confidence: 0.25 });
    assert.deepEqual(assignVoice([turn('A', 0, 2), turn('B', 20, 22)], 17, 19), { voice: 'B', confidence: 0.44 });
    assert.equal(assignVoice([], 0, 1), undefined);
    assert.deepEqual(assignVoice([turn('A', 0, 2)], 0, 1, () => 'C'), { voice: 'C', confidence: 1 });
  });

  it('speechTurns: the decided turns, and each part of detected speech they miss given a weak turn\'s voice or the nearest one\'s', () => {
    const turns = [turn('A', 0, 2), weak('B', 3, 4), turn('B', 6, 8)];
    assert.deepEqual(speechTurns(turns, [{ start: 1, end: 5.5 }]), [
      { start: 0, end: 2, speaker: 'A' },
      { start: 2, end: 3, speaker: 'A', filled: true, confidence: 0.5 },
      { start: 3, end: 4, speaker: 'B', filled: true, confidence: 0.5 },
      { start: 4, end: 5.5, speaker: 'B', filled: true, confidence: 0.47 },
      { start: 6, end: 8, speaker: 'B' },
    ]);
    assert.deepEqual(assignLines(turns, [{ start: 1, end: 5.5 }, { start: 30, end: 31 }]), [
      { start: 1, end: 5.5, speaker: 'A', confidence: 0.67 },
      { start: 30, end: 31, speaker: 'B', confidence: 0.02 },
    ]);
  });

  it('the linker half-hears: where nobody is decided, the speaker whose soft activity is at least the weak onset', () => {
    const linker = new OverlapLinker({ linkThreshold: 0, minLocalFrames: 1 });
    const hard = [Float32Array.from([1, 1, 0, 0]), new Float32Array(4), new Float32Array(4)];
    const soft = [Float32Array.from([0.9, 0.8, 0.3, 0.05]), new Float32Array(4), new Float32Array(4)];
    linker.addWindow(0, hard, [1, 1, 0, 0], soft);
    const half: number[] = [];
    assert.deepEqual(linker.decide(4, half, 0.1), [[0], [0], [], []]);
    assert.deepEqual(half, [-1, -1, 0, -1]);
  });
});

describe('voices that come back without a voice model (issue 57: spectral.ts)', () => {
  /** A buzz of harmonics of `f0` shaped by one resonance at `formant` Hz, 2 s, with a little deterministic noise (`seed`: another take). */
  const voice = (f0: number, formant: number, seed: number) => {
    let x = seed;
    return Float32Array.from({ length: 2 * 16000 }, (_, i) => {
      let s = 0;
      for (let k = 1; k * f0 < 7000; k++) s += Math.sin((2 * Math.PI * k * f0 * i) / 16000 + k) / (1 + ((k * f0 - formant) / 300) ** 2);
      x = (x * 1103515245 + 12345) % 2147483648;
      return 0.05 * s + 0.002 * (x / 2147483648 - 0.5);
    });
  };

  it('a voice is nearer its own second turn than another voice; a returning voice takes its earlier label, never one heard beside it', async () => {
    const a1 = voiceStats(voice(120, 700, 1)), a2 = voiceStats(voice(120, 700, 2)), b = voiceStats(voice(210, 2500, 3));
    assert.ok(voiceDistance(a1, a2) < SAME_VOICE_DISTANCE && voiceDistance(a1, b) > SAME_VOICE_DISTANCE, `${voiceDistance(a1, a2)} ${voiceDistance(a1, b)}`);
    const reid = new SpectralReidentifier();
    assert.equal(await reid.identify('Speaker 1', voice(120, 700, 1), []), undefined);
    assert.equal(await reid.identify('Speaker 2', voice(210, 2500, 3), ['Speaker 1']), undefined);
    assert.equal(await reid.identify('Speaker 3', voice(120, 700, 2), ['Speaker 1', 'Speaker 2']), 'Speaker 1');
    assert.equal(await reid.identify('Speaker 4', voice(120, 700, 4), ['Speaker 1', 'Speaker 2'], ['Speaker 1']), undefined, 'heard beside it: another voice');
    assert.equal(await reid.identify('Speaker 5', new Float32Array(16000), []), undefined, 'a second is too short to tell');
  });
});
