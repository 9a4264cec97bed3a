/**
 * Echo suppression's detector (daemon/session/echo.ts) on espeak-ng speech: a simulated laptop echo of the system
 * audio (band-limited, reverberated, attenuated, delayed, over a noise floor) must score high; the user talking
 * over it (double talk) and the user alone must score low. The sweep's figures go to BENCHMARKS.md.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FRAME_SAMPLES } from '../../daemon/capture/source';
import { DEFAULT_ECHO_OPTIONS, echoScore, EnvelopeHistory } from '../../daemon/session/echo';
import { readWavMono16 } from '../support/correlate';
import { callFixtures } from '../support/speech';

/** A source's contour as the session builds it: frame by frame, from capture-clock sample `at`. */
function history(samples: Float32Array, at: number): EnvelopeHistory {
  const h = new EnvelopeHistory();
  for (let i = 0; i < samples.length; i += FRAME_SAMPLES) {
    const frame = new Float32Array(FRAME_SAMPLES);
    frame.set(samples.subarray(i, i + FRAME_SAMPLES));
    h.push(at + i, frame);
  }
  return h;
}

describe('echo detector (mic contour vs system contour)', () => {
  let dir: string;
  let speaker: string, mic: string;
  const sox = (...args: string[]) => execFileSync('sox', ['-R', ...args]);
  /** The speaker fixture as a laptop mic might hear it: `delay` s late, `volume` times as loud, over a noise floor. */
  const echo = (name: string, delay: number, volume: number) => {
    const file = path.join(dir, `${name}.wav`), noise = path.join(dir, `${name}-noise.wav`), dry = path.join(dir, `${name}-dry.wav`);
    sox(speaker, dry, 'highpass', '300', 'lowpass', '4000', 'reverb', '50', 'vol', String(volume), 'pad', String(delay), '0');
    sox('-n', '-r', '16000', '-c', '1', '-b', '16', noise, 'synth', '6', 'pinknoise', 'vol', '0.003');
    sox('-m', dry, noise, file, 'trim', '0', '5');
    return file;
  };
  const mix = (name: string, a: string, b: string) => {
    const file = path.join(dir, `${name}.wav`);
    sox('-m', a, b, file);
    return file;
  };
  /** Scores the mic file against the speaker fixture, both placed 10 s into the session. */
  const score = (micFile: string) => {
    const at = 160_000;
    const heard = readWavMono16(micFile), played = readWavMono16(speaker);
    const end = at + Math.min(heard.length, played.length) - FRAME_SAMPLES;
    return echoScore(history(heard, at), history(played, at), at, end);
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-echo-'));
    ({ speaker, mic } = callFixtures(dir));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('scores an echo high and the user (alone or over the echo) low, across delays and levels', () => {
    const rows: string[] = [];
    const micAlone = score(mic);
    for (const delay of [0, 0.03, 0.15, 0.3]) {
      for (const volume of [0.5, 0.2, 0.1]) {
        const e = echo(`echo-${delay}-${volume}`, delay, volume);
        const echoOnly = score(e), doubleTalk = score(mix(`dt-${delay}-${volume}`, mic, e));
        rows.push(`| ${delay * 1000} ms | ${(20 * Math.log10(volume)).toFixed(0)} dB | ${echoOnly.toFixed(2)} | ${doubleTalk.toFixed(2)} |`);
        assert.ok(echoOnly >= DEFAULT_ECHO_OPTIONS.threshold + 0.1, `echo ${delay} s ${volume}: ${echoOnly.toFixed(3)}`);
        assert.ok(doubleTalk <= DEFAULT_ECHO_OPTIONS.threshold - 0.2, `double talk ${delay} s ${volume}: ${doubleTalk.toFixed(3)}`);
      }
    }
    console.log(`      | echo delay | echo level | echo only | user over echo |\n      |---|---|---|---|\n      ${rows.join('\n      ')}\n      user alone: ${micAlone.toFixed(2)}`);
    assert.ok(micAlone <= DEFAULT_ECHO_OPTIONS.threshold - 0.3, `user alone ${micAlone.toFixed(3)}`);
  });

  it('is 0 when system audio was quiet, or is no longer kept', () => {
    const heard = readWavMono16(mic);
    const silent = new Float32Array(heard.length);
    assert.equal(echoScore(history(heard, 0), history(silent, 0), 0, heard.length - FRAME_SAMPLES), 0);
    const old = history(heard, 0);
    old.push(16000 * 200, new Float32Array(FRAME_SAMPLES)); // 200 s later: the first seconds are gone from the ring
    assert.equal(echoScore(old, history(heard, 0), 0, heard.length - FRAME_SAMPLES), 0);
  });
});
