/**
 * Speech and tone fixtures for capture tests and benchmarks, made with espeak-ng and sox into a folder of the
 * caller's: 16 kHz mono 16-bit WAV (what the virtual devices run at), `sox -R` for byte-identical runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${command} is not installed (scripts/test-deps.sh installs it): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

/** Speaks `text` with espeak-ng voice `voice` into `file` (16 kHz mono s16). */
export function speechWav(dir: string, name: string, voice: string, text: string): string {
  const raw = path.join(dir, `${name}.espeak.wav`);
  const file = path.join(dir, `${name}.wav`);
  run('espeak-ng', ['-v', voice, '-s', '160', '-w', raw, text]);
  run('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', file]);
  fs.rmSync(raw);
  return file;
}

/** A tone of `seconds` at `hz` (amplitude 0.5) after `leadSeconds` of digital silence. */
export function toneWav(dir: string, name: string, leadSeconds: number, seconds: number, hz = 1000): string {
  const file = path.join(dir, `${name}.wav`);
  run('sox', ['-R', '-D', '-n', '-r', '16000', '-c', '1', '-b', '16', file, 'synth', String(seconds), 'sine', String(hz), 'vol', '0.5', 'pad', String(leadSeconds), '0']);
  return file;
}

/** The two sides of a call, different voices and words: "You" into the microphone, "Others" out of the speaker. */
export function callFixtures(dir: string): { mic: string; speaker: string } {
  return {
    mic: speechWav(dir, 'mic-speech', 'en-us+m3', 'Hello, this is a test of the microphone capture pipeline.'),
    speaker: speechWav(dir, 'speaker-speech', 'en-gb+f3', "Thanks. I agree, let's ship the release on Friday."),
  };
}

/**
 * The sample meeting's first turn ("Morning everyone. Let's keep this quick. Bob, …": the voice drops for about 0.2 s
 * after each sentence) and 0.8 s of what follows, made once into `dir`.
 */
export function firstTurnWav(dir: string, sample: string, turnEndSec: number): string {
  const file = path.join(dir, 'standup-first-turn.wav');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    run('sox', ['-D', sample, `${file}.${process.pid}.tmp.wav`, 'trim', '0', String(turnEndSec + 0.8)]);
    fs.renameSync(`${file}.${process.pid}.tmp.wav`, file);
  }
  return file;
}
