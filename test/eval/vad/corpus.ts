/**
 * The audio `npm run eval:vad` and the VAD tests score: real recordings with human references (committed under
 * test/fixtures/real-audio, see its README for sources and licences) and the synthetic fixtures with exact truth
 * (made with sox from the espeak-ng sample, deterministically).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRttm, rttmSpeakers, Span } from './score';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const REAL_AUDIO_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'real-audio');
/**
 * Committed for voice detection only (issue 41): the speaker eval holds the same AMI excerpts out (.bench/diar-dev),
 * so they must not join the recordings it chooses on (realRecordings()).
 */
export const VAD_ONLY_AUDIO_DIR = path.join(REAL_AUDIO_DIR, 'vad-more');
const GENERATED_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'generated');
export const SAMPLE_WAV = path.join(REPO_ROOT, 'media', 'sample', 'standup.wav');

export interface RealRecording {
  name: string;
  file: string;
  turns: Span[];
  /** The reference's speaker labels: recordings that share one are never split between choosing and scoring. */
  speakers?: string[];
  /** Which set it came from (test/fixtures/real-audio/vad-sets.json), and the kind of audio. */
  set?: string;
  kind?: RecordingKind;
}

/** What a user's source would carry: a room or headset meeting, a call's far end, one person dictating. */
export type RecordingKind = 'meeting' | 'call' | 'dictation';

export interface RealSet {
  folder: string;
  source: string;
  kind: RecordingKind;
  licence: string;
  reference: string;
  /**
   * Whose speaker labels these are: sets that name speakers alike (AMI's participant ids) share one, so a speaker
   * recorded in two sets links them; otherwise the set's own labels (spk00…) mean nothing outside it.
   */
  speakerIds?: string;
  committed?: boolean;
}

/** The sets of real recordings with human references under `root` (its vad-sets.json), with where they came from. */
export function realSets(root = REAL_AUDIO_DIR): RealSet[] {
  const sets = (JSON.parse(fs.readFileSync(path.join(root, 'vad-sets.json'), 'utf8')) as { sets: RealSet[] }).sets;
  return sets.map((s) => ({ ...s, committed: root === REAL_AUDIO_DIR || root === VAD_ONLY_AUDIO_DIR }));
}

/** A folder of 16 kHz WAVs with one `reference.rttm` (speaker turns; their union is the speech truth). */
export function rttmFolder(dir: string, extra: Pick<RealRecording, 'set' | 'kind'> = {}, speakerIds = dir): RealRecording[] {
  const text = fs.readFileSync(path.join(dir, 'reference.rttm'), 'utf8');
  const turns = parseRttm(text);
  const speakers = rttmSpeakers(text);
  return [...turns.keys()].sort().map((name) => ({
    name, file: path.join(dir, `${name}.wav`), turns: turns.get(name)!, speakers: (speakers.get(name) ?? []).map((s) => `${speakerIds}:${s}`), ...extra,
  }));
}

/** Every real recording under `root` (committed: test/fixtures/real-audio) the voice detection is chosen and checked on. */
export function realRecordings(root = REAL_AUDIO_DIR): RealRecording[] {
  return realSets(root).flatMap((s) => rttmFolder(path.join(root, s.folder), { set: s.folder, kind: s.kind }, s.speakerIds ?? path.join(root, s.folder)));
}

/** Every committed recording voice detection is chosen and checked on: realRecordings() and the VAD-only ones. */
export function vadRecordings(): RealRecording[] {
  return [...realRecordings(), ...realRecordings(VAD_ONLY_AUDIO_DIR)];
}

/** The sets vadRecordings() reads. */
export function vadSets(): RealSet[] {
  return [...realSets(), ...realSets(VAD_ONLY_AUDIO_DIR)];
}

/** The AMI meeting excerpts: four people round a table, headset mix, quiet; the human speaker-turn reference. */
export function amiMeetings(): RealRecording[] {
  return rttmFolder(path.join(REAL_AUDIO_DIR, 'ami'), { set: 'ami', kind: 'meeting' }, 'AMI');
}

export interface Clip { name: string; file: string; transcript: string; words?: Span[] }

/** Short real clips (one sentence, a few speakers); only LibriSpeech 1272-128104-0000 has word timings. */
export function realClips(): Clip[] {
  const dir = path.join(REAL_AUDIO_DIR, 'clips');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as
    { file: string; transcript?: string; transcript_left?: string; words?: { start: number; end: number }[] }[];
  return manifest.map((c) => ({
    name: c.file.replace(/\.wav$/, ''), file: path.join(dir, c.file), transcript: c.transcript ?? c.transcript_left ?? '',
    ...(c.words ? { words: c.words.map((w) => ({ start: w.start, end: w.end })) } : {}),
  }));
}

/**
 * Recordings with frame labels in ten-vad's `.scv` format (`name,start,end,label,start,end,label,…`, label 1 = speech)
 * from a folder given on the command line: an independent check that is not committed (see BENCHMARKS.md).
 */
export function labelledFolder(dir: string): RealRecording[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.scv')).sort().map((f) => {
    const fields = fs.readFileSync(path.join(dir, f), 'utf8').trim().split(',');
    const turns: Span[] = [];
    for (let i = 1; i + 2 < fields.length + 1; i += 3) {
      if (Number(fields[i + 2]) === 1) turns.push({ start: Number(fields[i]), end: Number(fields[i + 1]) });
    }
    return { name: f.replace(/\.scv$/, ''), file: path.join(dir, f.replace(/\.scv$/, '.wav')), turns };
  });
}

/** Makes (once) a fixture with sox: deterministic (-R), no dither (-D). */
export function soxFixture(name: string, inputs: string[], effects: string[] = []): string {
  const file = path.join(GENERATED_DIR, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(GENERATED_DIR, { recursive: true });
    execFileSync('sox', ['-R', '-D', ...inputs, '-r', '16000', '-c', '1', '-b', '16', file, ...effects]);
  }
  return file;
}

export interface SyntheticFixture { name: string; file: string; truth: Span[] }

/** The espeak-ng standup's turns (media/sample/standup.json): exact to the sample. */
export function standupTurns(): Span[] {
  return (JSON.parse(fs.readFileSync(SAMPLE_WAV.replace(/\.wav$/, '.json'), 'utf8')) as Span[]).map((t) => ({ start: t.start, end: t.end }));
}

/** The synthetic set as scored since issue 3, and the standup made quiet (a soft voice, a far one). */
export function syntheticFixtures(): SyntheticFixture[] {
  const generated = ['-n'];
  const turns = standupTurns();
  const noise30 = soxFixture('vad-pink-30s.wav', generated, ['synth', '30.0001', 'pinknoise', 'vol', '0.05']);
  return [
    { name: 'standup', file: SAMPLE_WAV, truth: turns },
    { name: 'silence', file: soxFixture('vad-silence-20s.wav', generated, ['trim', '0', '20']), truth: [] },
    { name: 'pink noise', file: soxFixture('vad-pink-0.05.wav', generated, ['synth', '20', 'pinknoise', 'vol', '0.05']), truth: [] },
    { name: 'loud pink noise', file: soxFixture('vad-pink-0.2.wav', generated, ['synth', '20', 'pinknoise', 'vol', '0.2']), truth: [] },
    // The standup over pink noise at about 15 dB SNR.
    { name: 'standup over noise', file: soxFixture('vad-standup-over-noise.wav', ['-m', SAMPLE_WAV, noise30]), truth: turns },
  ];
}

/** The standup 30 and 40 dB quieter: what the level handling and the sensitive profile are for. */
export function quietFixtures(): SyntheticFixture[] {
  const turns = standupTurns();
  return [
    { name: 'standup −30 dB', file: soxFixture('vad-standup-quiet.wav', [SAMPLE_WAV], ['vol', '-30', 'dB']), truth: turns },
    { name: 'standup −40 dB', file: soxFixture('vad-standup-quiet-40.wav', [SAMPLE_WAV], ['vol', '-40', 'dB']), truth: turns },
  ];
}
