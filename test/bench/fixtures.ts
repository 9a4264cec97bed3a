/**
 * Audio the figures run on, made deterministically with sox (-R repeatable, -D no dither) and cached in
 * .bench/fixtures. The meeting fixture is the committed 30 s standup (media/sample/standup.wav, six turns by three
 * synthetic voices) repeated with a pause after each copy, so every turn's start and end is known exactly from
 * media/sample/standup.json.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileSource, SAMPLE_RATE } from '../../daemon/capture/source';
import { REPO_ROOT, SAMPLE_WAV } from '../setup';
import { BENCH_DIR, envNum, requireTool } from './util';

const FIXTURES = path.join(BENCH_DIR, 'fixtures');

export interface Turn {
  speaker: string;
  /** Seconds on the fixture's (= the capture) clock. */
  start: number;
  end: number;
}

export interface MeetingFixture {
  file: string;
  durationSec: number;
  turns: Turn[];
  /** How it was made, for the report. */
  recipe: string;
}

function sox(args: string[]): void {
  requireTool('sox', 'apt-get install sox');
  execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Samples in a 16-bit mono WAV with the canonical 44-byte header, as sox writes them here. */
function samplesOf(file: string): number {
  const head = Buffer.alloc(44);
  const fd = fs.openSync(file, 'r');
  try { fs.readSync(fd, head, 0, 44, 0); } finally { fs.closeSync(fd); }
  if (head.toString('latin1', 36, 40) !== 'data' || head.readUInt16LE(22) !== 1 || head.readUInt16LE(34) !== 16) {
    throw new Error(`${file}: not a plain 16-bit mono WAV with a 44-byte header`);
  }
  return (fs.statSync(file).size - 44) / 2;
}

/** `copies` × (standup.wav + `gapSec` of digital silence), 16 kHz mono 16-bit. */
export function meetingFixture(copies = envNum('BENCH_MEETING_COPIES', 6), gapSec = envNum('BENCH_MEETING_GAP_S', 2)): MeetingFixture {
  fs.mkdirSync(FIXTURES, { recursive: true });
  const file = path.join(FIXTURES, `meeting-${copies}x-gap${gapSec}s.wav`);
  const gap = path.join(FIXTURES, `silence-${gapSec}s.wav`);
  if (!fs.existsSync(gap)) sox(['-R', '-D', '-n', '-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', gap, 'trim', '0', String(gapSec)]);
  if (!fs.existsSync(file)) {
    const parts: string[] = [];
    for (let i = 0; i < copies; i++) parts.push(SAMPLE_WAV, gap);
    const tmp = `${file}.${process.pid}.tmp.wav`;
    sox(['-R', '-D', ...parts, '-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', tmp]);
    fs.renameSync(tmp, file);
  }
  const copySamples = samplesOf(SAMPLE_WAV) + samplesOf(gap);
  const script = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'media', 'sample', 'standup.json'), 'utf8')) as
    { speaker: string; startSample: number; endSample: number }[];
  const turns: Turn[] = [];
  for (let i = 0; i < copies; i++) {
    for (const t of script) {
      turns.push({ speaker: t.speaker, start: (i * copySamples + t.startSample) / SAMPLE_RATE, end: (i * copySamples + t.endSample) / SAMPLE_RATE });
    }
  }
  return {
    file,
    durationSec: samplesOf(file) / SAMPLE_RATE,
    turns,
    recipe: `media/sample/standup.wav + ${gapSec} s of digital silence, ${copies} times (sox -R -D)`,
  };
}

/** The meeting fixture repeated to at least `minutes` minutes, in `dir` (it can be large: 2 h is 230 MB). */
export function longMeeting(dir: string, minutes: number): { file: string; durationSec: number; recipe: string } {
  const meeting = meetingFixture();
  const copies = Math.max(1, Math.ceil((minutes * 60) / meeting.durationSec));
  const file = path.join(dir, `meeting-${minutes}min.wav`);
  sox(['-R', '-D', meeting.file, file, 'repeat', String(copies - 1)]);
  return { file, durationSec: samplesOf(file) / SAMPLE_RATE, recipe: `the meeting fixture ${copies} times (${meeting.recipe})` };
}

/** `sec` seconds of digital silence (all-zero samples). */
export function silenceFixture(sec: number): string {
  fs.mkdirSync(FIXTURES, { recursive: true });
  const file = path.join(FIXTURES, `silence-${sec}s.wav`);
  if (!fs.existsSync(file)) sox(['-R', '-D', '-n', '-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', file, 'trim', '0', String(sec)]);
  return file;
}

/** `sec` seconds of silence written with sox's default dither (±1 LSB of 16 bits, about −96 dBFS RMS): a muted microphone. */
export function ditheredSilenceFixture(sec: number): string {
  fs.mkdirSync(FIXTURES, { recursive: true });
  const file = path.join(FIXTURES, `silence-dithered-${sec}s.wav`);
  if (!fs.existsSync(file)) sox(['-R', '-n', '-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', file, 'trim', '0', String(sec)]);
  return file;
}

/** `sec` seconds of pink noise at `gain` (0.1 ≈ −31 dBFS RMS, a quiet room with a fan), reproducible. */
export function pinkNoiseFixture(sec: number, gain = envNum('BENCH_NOISE_GAIN', 0.1)): string {
  fs.mkdirSync(FIXTURES, { recursive: true });
  const file = path.join(FIXTURES, `pinknoise-${sec}s-${gain}.wav`);
  if (!fs.existsSync(file)) {
    sox(['-R', '-D', '-n', '-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', file, 'synth', String(sec), 'pinknoise', 'vol', String(gain)]);
  }
  return file;
}

/** The first `sec` seconds of a WAV file as 16 kHz mono floats, decoded by Earshot's own reader. */
export async function readPcm(file: string, sec: number): Promise<Float32Array> {
  const want = Math.round(sec * SAMPLE_RATE);
  const out = new Float32Array(want);
  let n = 0;
  const source = await FileSource.open(file, { pace: 'fast' });
  for await (const frame of source.frames(new AbortController().signal)) {
    const take = Math.min(frame.samples.length, want - n);
    out.set(frame.samples.subarray(0, take), n);
    n += take;
    if (n >= want) break;
  }
  if (n < want) throw new Error(`${file} has only ${(n / SAMPLE_RATE).toFixed(2)} s of audio, ${sec} s needed`);
  return out;
}
