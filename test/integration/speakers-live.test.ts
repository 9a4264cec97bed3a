/**
 * Speakers within a source, live, end to end: the real daemon process over JSON-RPC, real Silero VAD, the shipped
 * segmentation model, real whisper with a generated model that says "I'll send the report by Friday." for every
 * utterance (so each final is an action item its speaker owns), on real AMI meeting audio with several speakers
 * (ES2004a, the eval's recording). A final goes out before the stage has heard its audio and its speaker follows as a
 * relabel (journaled first); a rename while the meeting runs names the voice's later finals too; a rename in a second
 * daemon, from the journal alone, rewrites the notes file's lines and moves the owners. And `earshot transcribe --json`.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ActionItem, ActionItemNotification, ErrorCodes, ModelDownload, ModelList, ModelProgressNotification, ModelProgressParams, PROTOCOL_VERSION, SessionStart,
  SessionTranscript, SpeakerRename, TranscriptRelabel, TranscriptRelabelParams, TranscriptSegment,
} from '../../protocol/protocol';
import { maxPoolEmbeddingModel } from '../support/onnx-model';
import { ModelServer } from '../support/model-server';
import { turnsOf } from '../support/turns';
import { wavHeader } from '../../daemon/capture/debugAudio';
import { SAMPLE_RATE } from '../../daemon/capture/source';
import { readJournal, segmentsOf, SpeakersRecord } from '../../daemon/journal/journal';
import { readAudio } from '../eval/diarize/run';
import { REAL_AUDIO_DIR } from '../eval/vad/corpus';
import { sayingModel, sentenceText } from '../setup';
import { connectDaemon, rejection, RpcClient, runEarshot } from './daemon-process';
import { empty, reply, scriptedExtraction } from './scripted-extraction';

const ES2004A = path.join(REAL_AUDIO_DIR, 'ami-es2004a', 'ES2004a_750-810.wav');
const PROMISE_TOKENS: readonly string[] = [' I', "'ll", ' send', ' the', ' report', ' by', ' Friday', '.'];
const VOICE = /^Speaker \d+$/;

/** The first `seconds` of a recording as a 16 kHz mono 16-bit WAV (a meeting read at its pace takes as long as it lasts). */
async function excerpt(file: string, seconds: number, out: string): Promise<string> {
  const audio = (await readAudio(file)).subarray(0, seconds * SAMPLE_RATE);
  const pcm = Buffer.alloc(audio.length * 2);
  audio.forEach((s, i) => pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(s * 32767))), i * 2));
  fs.writeFileSync(out, Buffer.concat([wavHeader(pcm.length), pcm]));
  return out;
}

/** Relabels as a client receives them. */
function relabelsOf(client: RpcClient): TranscriptRelabelParams[] {
  const relabels: TranscriptRelabelParams[] = [];
  client.connection.onNotification(TranscriptRelabel, (p) => { relabels.push(p); });
  return relabels;
}

/** Each final as last announced (its final, then its relabels), in order of first arrival. */
function latest(transcripts: readonly TranscriptSegment[], relabels: readonly TranscriptRelabelParams[] = []): TranscriptSegment[] {
  const byId = new Map<string, TranscriptSegment>();
  const key = (t: TranscriptSegment) => `${t.sessionId}/${t.segmentId}`;
  for (const t of transcripts) if (t.final && t.text) byId.set(key(t), t);
  for (const p of relabels) for (const t of p.segments) if (byId.has(key(t))) byId.set(key(t), t);
  return [...byId.values()];
}

describe('speakers within a source, live (real daemon, VAD, segmentation model, whisper)', function () {
  this.timeout(240_000);
  let dir: string;
  let storageDir: string;
  let model: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-speakers-'));
    storageDir = path.join(dir, 'storage');
    model = sayingModel('promise', PROMISE_TOKENS);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function daemon(): Promise<{ client: RpcClient; items: ActionItem[]; relabels: TranscriptRelabelParams[] }> {
    const client = connectDaemon();
    const items: ActionItem[] = [];
    client.connection.onNotification(ActionItemNotification, (i) => { items.push(i); });
    const relabels = relabelsOf(client);
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir, notesDir: path.join(dir, 'notes'), modelPath: model, threads: 1 });
    return { client, items, relabels };
  }

  it('finals carry their speakers, a relabel is journaled before it is announced, renames follow into lines, owners and the notes file', async () => {
    const audioFile = await excerpt(ES2004A, 30, path.join(dir, 'es2004a-30s.wav'));
    let sessionId: string, notesPath: string, named: string;
    {
      const { client, items, relabels } = await daemon();
      try {
        ({ sessionId, notesPath } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile, pace: 'realtime', title: 'Kick-off' }));
        const streaming = await client.waitFor('a streaming state', () => client.states.find((s) => s.state === 'streaming'));
        assert.equal(streaming.speakers?.mode, 'overlap');
        assert.match(streaming.speakers!.message, /overlap, and someone silent .* statistics/);

        // Read at its pace, the first final comes out long before the stage has heard a window past it.
        const first = await client.waitFor('the first final', () => client.transcripts.find((t) => t.final && t.text), 60_000);
        assert.equal(first.speakerPending, true, JSON.stringify(first));
        assert.equal(first.speaker, 'Speaker', 'the file\'s own label until the stage has heard it');
        assert.equal(first.voice, undefined);
        const relabel = await client.waitFor('its relabel', () => relabels.flatMap((p) => p.segments).find((t) => t.segmentId === first.segmentId), 60_000);
        assert.equal(relabels[0].cause, 'heard');
        assert.equal(client.transcripts.filter((t) => t.final && t.segmentId === first.segmentId).length, 1, 'one final per utterance: relabels come apart');
        // Journaled before it was announced: the speakers record naming it is already in the journal.
        const journalPath = path.join(storageDir, 'sessions', `${sessionId}.jsonl`);
        const records = (await readJournal(journalPath)).records.filter((r): r is SpeakersRecord => r.type === 'speakers');
        const change = records.flatMap((r) => r.changes).find((c) => c.segmentId === first.segmentId);
        assert.ok(change, `no speakers record for ${first.segmentId} when its relabel arrived: ${JSON.stringify(records)}`);
        assert.match(relabel.voice ?? '', VOICE);
        const { speakerPending: _pending, ...settled } = first;
        // With its voice's confidence (issue 57), journaled in the same change.
        assert.ok(change.confidence !== undefined && change.confidence > 0 && change.confidence <= 1, JSON.stringify(change));
        assert.deepEqual(relabel, { ...settled, speaker: change.speaker, voice: change.voice, speakerConfidence: change.confidence }, 'the same final, its text unchanged, with its speaker');

        // Named while the meeting runs: its finals so far are relabelled, and its later finals come out with the name.
        // The voice of a whole final (a promise its speaker owns): a final cut where the voice changes (issue 57) shares
        // the saying model's sentence out over its pieces, and no piece alone is a promise.
        const whole = await client.waitFor('a whole final with its voice', () => latest(client.transcripts, relabels).find((t) => t.text === sentenceText(PROMISE_TOKENS) && t.voice), 60_000);
        named = whole.voice!;
        const renamed = await client.connection.sendRequest(SpeakerRename, { sessionId, source: 'file', voice: named, name: 'Dana' });
        assert.equal(renamed.speaker, 'Dana');
        assert.ok(renamed.segments >= 1);
        await client.waitFor('that final as Dana', () => latest(client.transcripts, relabels).find((t) => t.segmentId === whole.segmentId && t.speaker === 'Dana'));
        assert.ok(relabels.some((p) => p.cause === 'renamed'));
        await client.sessionDone(sessionId);

        const finals = latest(client.transcripts, relabels);
        assert.ok(finals.length >= 3, `${finals.length} finals`);
        assert.ok(finals.every((f) => !f.speakerPending), JSON.stringify(finals));
        // A final cut where the voice changes (issue 57) is its pieces ("file-3", "file-3.2"…): together, its words once.
        const utterances = new Map<string, string[]>();
        for (const f of finals) utterances.set(f.segmentId.replace(/\.\d+$/, ''), [...utterances.get(f.segmentId.replace(/\.\d+$/, '')) ?? [], f.text]);
        assert.ok([...utterances.values()].every((texts) => texts.join(' ') === sentenceText(PROMISE_TOKENS)), JSON.stringify(finals));
        for (const f of finals) assert.equal(f.speaker, f.voice === named ? 'Dana' : f.voice ?? 'Speaker', JSON.stringify(f));
        const voices = new Set(finals.map((f) => f.voice).filter(Boolean));
        assert.ok(voices.size >= 2, `voices ${[...voices].join(', ')}: the excerpt has two people talking`);
        // Each final's promise is owned by its speaker: the owners followed every relabel and the rename.
        const owners = new Map<string, ActionItem>();
        for (const i of items) if ((owners.get(i.id)?.revision ?? -1) < i.revision) owners.set(i.id, i);
        const bySegment = new Map(finals.map((f) => [f.segmentId, f.speaker]));
        const current = [...owners.values()].filter((i) => !i.removed);
        assert.ok(current.length >= 1, JSON.stringify(current));
        for (const i of current) assert.equal(i.owner, bySegment.get(i.segmentId), JSON.stringify(i));
        assert.ok(current.some((i) => i.owner === 'Dana'));
        // The journal tells the same speakers.
        const stored = await client.connection.sendRequest(SessionTranscript, { sessionId });
        assert.deepEqual(stored.segments.map((s) => [s.segmentId, s.speaker, s.voice]), finals.map((f) => [f.segmentId, f.speaker, f.voice]));
      } finally {
        await client.dispose();
      }
    }

    // Another daemon, from the journal alone: the voice gets another name; lines, owners and the notes file follow.
    const { client, items, relabels } = await daemon();
    try {
      const bad = await rejection(client.connection.sendRequest(SpeakerRename, { sessionId, source: 'file', voice: 'Speaker 99', name: 'Zed' }));
      assert.equal(bad.code, ErrorCodes.InvalidParams);
      assert.match(bad.message, /no voice "Speaker 99"/);
      const control = await rejection(client.connection.sendRequest(SpeakerRename, { sessionId, source: 'file', voice: named, name: 'A\u202eB' }));
      assert.equal(control.code, ErrorCodes.InvalidParams);
      const before = fs.readFileSync(notesPath, 'utf8');
      assert.match(before, /\*\* Dana:\*\*|\] Dana:\*\*/);
      const result = await client.connection.sendRequest(SpeakerRename, { sessionId, source: 'file', voice: named, name: 'Alice' });
      assert.equal(result.speaker, 'Alice');
      const notes = fs.readFileSync(notesPath, 'utf8');
      const lines = notes.split('\n').filter((l) => /^- \*\*\[\d\d:\d\d\] /.test(l));
      const relabelled = await client.waitFor('the finals relabelled', () => relabels.find((p) => p.sessionId === sessionId && p.cause === 'renamed'));
      assert.equal(relabelled.segments.length, result.segments);
      // A line per turn: a piece the early end split off its turn is on the turn's line (support/turns.ts).
      assert.equal(lines.filter((l) => l.includes('] Alice:**')).length, turnsOf(relabelled.segments).length, notes);
      for (const t of relabelled.segments) assert.ok(lines.some((l) => l.includes('] Alice:**') && l.includes(t.text)), `${t.text}: ${notes}`);
      assert.ok(!notes.includes('Dana'), notes);
      assert.match(notes, /\*\*Participants:\*\*.*Alice/);
      assert.match(notes, /- \[ \] .*Alice/, 'an action item owned by Alice in the notes');
      assert.ok(relabelled.segments.every((t) => t.speaker === 'Alice' && t.voice === named && t.final), JSON.stringify(relabelled));
      await client.waitFor('owners moved to Alice', () => items.some((i) => i.owner === 'Alice'));
      assert.ok(items.every((i) => i.owner === 'Alice'), JSON.stringify(items));
      const journal = await readJournal(path.join(storageDir, 'sessions', `${sessionId}.jsonl`));
      const renames = journal.records.filter((r): r is SpeakersRecord => r.type === 'speakers' && r.cause === 'renamed');
      assert.deepEqual(renames.map((r) => [r.voice, r.name]), [[named, 'Dana'], [named, 'Alice']]);
    } finally {
      await client.dispose();
    }
  });

  it('earshot transcribe --json: each line carries its speaker', async () => {
    const run = await runEarshot(['transcribe', ES2004A, '--json', '--model', model, '--notes-dir', path.join(dir, 'cli-notes')], {
      EARSHOT_STORAGE: path.join(dir, 'cli-storage'),
    });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.length >= 4, run.stdout);
    for (const l of lines) {
      assert.deepEqual(Object.keys(l).sort(), ['source', 'speaker', 't0', 't1', 'text']);
      assert.match(String(l.speaker), VOICE);
    }
    assert.ok(new Set(lines.map((l) => l.speaker)).size >= 3, 'ES2004a has four people talking');
    assert.ok(lines.every((l, i) => i === 0 || (l.t0 as number) >= (lines[i - 1].t0 as number)), 'lines in order');
  });
});

describe('the notes model reads the speakers (real daemon, scripted endpoint)', function () {
  this.timeout(120_000);
  const fx = scriptedExtraction();

  it('every line of every chunk it is sent is labelled with its voice, never the source\'s label', async () => {
    const prompts: string[] = [];
    const scripted = await fx.scriptedServer((r, res) => {
      prompts.push(r.user);
      reply(res, empty);
    });
    const client = connectDaemon();
    fx.clients.push(client);
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(fx.dir, 'storage'), notesDir: path.join(fx.dir, 'notes'), modelPath: sayingModel('promise', PROMISE_TOKENS),
      threads: 1, enhancement: { provider: 'openai-compatible', endpoint: scripted.endpoint, model: 'scripted:1b', chunkChars: 1000, timeoutSec: 20 },
    });
    const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: ES2004A, pace: 'fast', title: 'Kick-off' });
    await client.sessionDone(sessionId);
    assert.ok(prompts.length >= 1, 'a chunk sent');
    const labels = prompts.flatMap((p) => [...p.matchAll(/^\[file-\d+\] \d\d:\d\d ([^:\n]+): /gm)].map((m) => m[1]));
    assert.ok(labels.length >= 5, prompts.join('\n---\n').slice(0, 3000));
    assert.ok(labels.every((l) => VOICE.test(l)), `labels the model read: ${[...new Set(labels)].join(', ')}`);
    assert.ok(new Set(labels).size >= 3);
  });
});

describe('the speaker voice model, downloaded on request (real daemon, local https server, a generated ONNX model)', function () {
  this.timeout(120_000);
  let models: ModelServer;
  let dir: string;

  before(async () => {
    models = await ModelServer.start('earshot-voices-');
    dir = models.dir;
  });
  after(() => models?.stop());

  it('none until asked; kind speaker downloads it with the whisper models\' checks; the next session re-identifies voices with it', async () => {
    const body = maxPoolEmbeddingModel();
    const file = 'voice-test.onnx';
    const client = connectDaemon({ EARSHOT_SPEAKER_CATALOG: models.catalog('campplus-en', file, body, 256), NODE_EXTRA_CA_CERTS: models.caFile });
    const relabels = relabelsOf(client);
    const progress: ModelProgressParams[] = [];
    client.connection.onNotification(ModelProgressNotification, (p) => { progress.push(p); });
    try {
      await client.initialize({
        protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: sayingModel('promise', PROMISE_TOKENS),
        modelCacheDir: path.join(dir, 'cache'), threads: 1,
      });
      const before = await client.connection.sendRequest(ModelList, {});
      assert.deepEqual(before.speakers?.models.map((m) => [m.id, m.state, m.licence]), [['campplus-en', 'missing', 'Apache-2.0']]);
      const first = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: ES2004A, pace: 'fast' });
      await client.sessionDone(first.sessionId);
      assert.equal(client.states.find((s) => s.sessionId === first.sessionId && s.speakers)?.speakers?.mode, 'overlap');
      assert.deepEqual(progress.filter((p) => p.kind === 'speaker'), [], 'a session downloads nothing');

      const bad = await rejection(client.connection.sendRequest(ModelDownload, { modelId: 'titanet', kind: 'speaker' }));
      assert.equal(bad.code, ErrorCodes.InvalidParams);
      const got = await client.connection.sendRequest(ModelDownload, { modelId: 'campplus-en', kind: 'speaker' });
      assert.deepEqual(got, { modelId: 'campplus-en', path: path.join(dir, 'cache', 'speakers', file), bytes: body.length, resumedFrom: 0, downloaded: true });
      assert.ok(fs.readFileSync(got.path).equals(body));
      assert.deepEqual(progress.at(-1), { model: 'campplus-en', kind: 'speaker', phase: 'done', fraction: 1, bytes: body.length, totalBytes: body.length });
      assert.equal((await client.connection.sendRequest(ModelList, {})).speakers?.models[0].state, 'ready');

      const second = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: ES2004A, pace: 'fast' });
      await client.sessionDone(second.sessionId);
      const state = client.states.find((s) => s.sessionId === second.sessionId && s.speakers)?.speakers;
      assert.equal(state?.mode, 'voices', JSON.stringify(state));
      const journal = await readJournal(path.join(dir, 'storage', 'sessions', `${second.sessionId}.jsonl`));
      const finals = latest(client.transcripts.filter((t) => t.sessionId === second.sessionId), relabels);
      assert.ok(finals.length >= 4 && finals.every((f) => VOICE.test(f.speaker) && !f.speakerPending), JSON.stringify(finals.map((f) => f.speaker)));
      // This model (each fbank bin's maximum) hears many voices alike: the re-identifier merges labels that overlap
      // linking alone kept apart, so the same recording ends with fewer voices.
      const voices = (id: string) => new Set(latest(client.transcripts.filter((t) => t.sessionId === id), relabels).map((f) => f.voice));
      assert.ok(voices(second.sessionId).size < voices(first.sessionId).size,
        `with the model: ${[...voices(second.sessionId)].join(', ')}; overlap only: ${[...voices(first.sessionId)].join(', ')}`);
      assert.deepEqual(segmentsOf(journal.records).map((s) => s.voice), finals.map((f) => f.voice), 'as journaled');
    } finally {
      assert.equal(await client.dispose(), 0, client.daemon.stderr().slice(-2000));
    }
  });
});

describe('a voice that comes back after a silence longer than a window keeps its label (issue 57: real daemon, no voice model)', function () {
  this.timeout(180_000);
  let dir: string;

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-voice-back-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** espeak-ng sentences (two voices) and silences joined into one 16 kHz mono file: A, B, 14 s of silence, A again. */
  function conversation(): string {
    const part = (name: string, args: string[]) => {
      const raw = path.join(dir, `${name}-raw.wav`), out = path.join(dir, `${name}.wav`);
      if (args[0] === 'silence') execFileSync('sox', ['-R', '-n', '-r', '16000', '-c', '1', '-b', '16', out, 'trim', '0', args[1]]);
      else {
        execFileSync('espeak-ng', [...args, '-w', raw]);
        execFileSync('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', out]);
      }
      return out;
    };
    const a = ['-v', 'en-gb+m2', '-p', '40'], b = ['-v', 'en-us+f3', '-p', '75', '-s', '165'];
    const parts = [
      part('a1', [...a, 'I will send the quarterly report to the finance team by Friday afternoon, and then we can review it together.']),
      part('gap1', ['silence', '1.5']),
      part('b1', [...b, 'That works for me. I also need the budget numbers before the meeting on Monday morning, please.']),
      part('gap2', ['silence', '14']),
      part('a2', [...a, 'Coming back to the report, I will add the chart about the travel costs for the second quarter.']),
      part('gap3', ['silence', '1']),
    ];
    const file = path.join(dir, 'voice-back.wav');
    execFileSync('sox', ['-R', ...parts, file]);
    return file;
  }

  it('the returning voice\'s final carries the label of its first one, the other voice\'s another, journaled as shown', async () => {
    const { finals, journaled } = await fileFinals(dir, conversation(), 'Voices');
    // One final per sentence: A until about 6 s, B from about 7.5 s, A again after the silence (from about 27.5 s).
    const first = finals.find((f) => f.t1 < 7), other = finals.find((f) => f.t0 > 6.5 && f.t1 < 15), back = finals.find((f) => f.t0 > 25);
    assert.ok(first && other && back, JSON.stringify(finals.map((f) => [f.t0, f.t1, f.voice])));
    assert.match(first.voice ?? '', VOICE);
    assert.equal(back.voice, first.voice, `the returning voice: ${JSON.stringify(finals.map((f) => [f.t0, f.t1, f.voice]))}`);
    assert.notEqual(other.voice, first.voice);
    assert.deepEqual(journaled.map((s) => [s.segmentId, s.voice]), finals.map((f) => [f.segmentId, f.voice]));
  });
});

describe('two voices without a pause come out as two lines with two speakers (issue 57: real daemon, no voice model)', function () {
  this.timeout(180_000);
  let dir: string;

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-voice-cut-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** espeak-ng: voice A, then voice B at once (each trimmed of its silences, so voice detection hears one utterance), then silence. */
  function handOver(): { file: string; changeSec: number } {
    const say = (name: string, args: string[]) => {
      const raw = path.join(dir, `${name}-raw.wav`), out = path.join(dir, `${name}.wav`);
      execFileSync('espeak-ng', [...args, '-w', raw]);
      execFileSync('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', out, 'silence', '1', '0.02', '1%', 'reverse', 'silence', '1', '0.02', '1%', 'reverse']);
      return out;
    };
    const a = say('a', ['-v', 'en-gb+m2', '-p', '40', 'I will send the quarterly report to the finance team by Friday afternoon, and then we can review it together.']);
    const b = say('b', ['-v', 'en-us+f3', '-p', '75', '-s', '165', 'That works for me. I also need the budget numbers before the meeting on Monday morning, please.']);
    const silence = path.join(dir, 'silence.wav');
    execFileSync('sox', ['-R', '-n', '-r', '16000', '-c', '1', '-b', '16', silence, 'trim', '0', '2']);
    const file = path.join(dir, 'hand-over.wav');
    execFileSync('sox', ['-R', a, b, silence, file]);
    return { file, changeSec: Number(execFileSync('soxi', ['-D', a]).toString().trim()) };
  }

  it('the final is cut at the change: two pieces, journaled, the second continuing the first, each with its own voice', async () => {
    const { file: audioFile, changeSec } = handOver();
    const { finals, journaled } = await fileFinals(dir, audioFile, 'Hand-over');
      const shown = JSON.stringify(finals.map((f) => [f.segmentId, f.t0, f.t1, f.voice, f.continues, f.text]));
    const before = finals.filter((f) => f.t1 <= changeSec + 1), after = finals.filter((f) => f.t0 >= changeSec - 1);
    assert.ok(before.length && after.length, `a line for each voice (the change at ${changeSec.toFixed(2)} s): ${shown}`);
    assert.ok(Math.abs(after[0].t0 - changeSec) < 1, `cut near the change: ${shown}`);
    assert.match(before[0].voice ?? '', VOICE, shown);
    assert.match(after[0].voice ?? '', VOICE, shown);
    assert.notEqual(after[0].voice, before.at(-1)!.voice, shown);
    // One utterance, cut: the second piece continues the first, and together they hold the final's words once.
    assert.equal(after[0].continues, before.at(-1)!.segmentId, shown);
    assert.equal(`${before.at(-1)!.text} ${after[0].text}`, sentenceText(PROMISE_TOKENS), shown);
    assert.deepEqual(journaled.map((s) => [s.segmentId, s.t0, s.t1, s.voice, s.continues ?? null]), finals.map((f) => [f.segmentId, f.t0, f.t1, f.voice, f.continues ?? null]));
  });
});

/**
 * A file read as fast as it goes by a real daemon with the saying model: the finals as shown (relabels applied, in time
 * order) and the journal's segments.
 */
async function fileFinals(dir: string, audioFile: string, title: string) {
  const client = connectDaemon();
  try {
    const relabels = relabelsOf(client);
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: sayingModel('promise', PROMISE_TOKENS), threads: 1 });
    const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile, pace: 'fast', title });
    await client.sessionDone(sessionId);
    const finals = latest(client.transcripts, relabels).sort((x, y) => x.t0 - y.t0);
    const journaled = segmentsOf((await readJournal(path.join(dir, 'storage', 'sessions', `${sessionId}.jsonl`))).records);
    return { finals, journaled };
  } finally {
    await client.dispose();
  }
}
