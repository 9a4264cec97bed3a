/**
 * The soak run (issue 7): a long session through a real daemon process, fed faster than real time, with the daemon's
 * resident memory and its journal's size followed along the audio. Shared by test/integration/soak.test.ts (the
 * accelerated form CI runs) and the bench figure `soak` (test/bench/soak.ts, the full run with base.en dimensions).
 *
 * The audio: digital silence with one spoken turn of the sample recording every `everySec` seconds, written as a sparse
 * WAV file (the silence is holes: a 2-hour file takes 230 MB of address but a few MB of disk). Silence costs the pipeline
 * next to nothing (Silero skips digital silence), so hours of meeting go through in minutes while every utterance still
 * takes the full path: VAD, whisper, journal, notes.
 *
 * The measurement: RSS is read from /proc every 10 ms; per window of transcribed audio the lowest value is the daemon
 * between decodes (whisper's per-decode state is freed: see BENCHMARKS.md), the highest while decoding. Windows follow
 * the transcription (the audio the journal's finals cover), not capture: at pace fast capture runs ahead of the finals by
 * up to the recognizer's 120 s of pending speech. Growth is a least-squares line through the window minima after
 * warm-up, so one noisy window cannot make or break it. The journal's size is read at each window's end: bytes per
 * audio minute per window.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { wavHeader } from '../../daemon/capture/debugAudio';
import { SessionStart, SessionStatus } from '../../protocol/protocol';
import type { RpcClient } from '../integration/daemon-process';
import { SAMPLE_WAV } from '../setup';

const SAMPLE_RATE = 16000;
const HEADER_BYTES = 44;

export interface SoakFixture {
  file: string;
  durationSec: number;
  /** Spoken turns in it (each one utterance for the VAD). */
  turns: number;
  recipe: string;
}

/**
 * `minutes` of 16 kHz mono 16-bit audio: silence, and the sample's first turn (Alice, 5.2 s) starting every `everySec`
 * seconds from 2 s on. Sparse: only the turns are written. Made once per (minutes, everySec) in `dir`.
 */
export function soakWav(dir: string, minutes: number, everySec: number): SoakFixture {
  const turn = (JSON.parse(fs.readFileSync(SAMPLE_WAV.replace(/\.wav$/, '.json'), 'utf8')) as { startSample: number; endSample: number }[])[0];
  const sample = fs.readFileSync(SAMPLE_WAV);
  if (sample.toString('latin1', 36, 40) !== 'data') throw new Error(`${SAMPLE_WAV}: expected a canonical 44-byte header`);
  // The turn with 0.3 s of the recording's own room tone on either side.
  const from = Math.max(0, turn.startSample - 0.3 * SAMPLE_RATE), to = turn.endSample + 0.3 * SAMPLE_RATE;
  const clip = sample.subarray(HEADER_BYTES + from * 2, HEADER_BYTES + to * 2);
  const totalSamples = Math.round(minutes * 60 * SAMPLE_RATE);
  const starts: number[] = [];
  for (let at = 2 * SAMPLE_RATE; at + clip.length / 2 <= totalSamples; at += everySec * SAMPLE_RATE) starts.push(at);
  const file = path.join(dir, `soak-${minutes}min-every${everySec}s.wav`);
  if (!fs.existsSync(file)) {
    const header = wavHeader(totalSamples * 2);
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, header, 0, HEADER_BYTES, 0);
      fs.ftruncateSync(fd, HEADER_BYTES + totalSamples * 2); // the silence: holes that read as zeros
      for (const at of starts) fs.writeSync(fd, clip, 0, clip.length, HEADER_BYTES + at * 2);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }
  return {
    file, durationSec: totalSamples / SAMPLE_RATE, turns: starts.length,
    recipe: `${minutes} min of digital silence with the sample's first turn (${((to - from) / SAMPLE_RATE).toFixed(1)} s of speech) every ${everySec} s ` +
      `(${starts.length} turns), 16 kHz mono 16-bit, a sparse file`,
  };
}

export interface SoakWindow {
  /** Audio transcribed at the window's end (the end of the last journaled final), and the wall time since the session started. */
  audioSec: number;
  wallSec: number;
  /** Lowest RSS in the window (between decodes) and highest (while decoding), bytes. */
  rssMin: number;
  rssMax: number;
  /** The session journal's size at the window's end, and the capture time its last final ends at (the journal trails capture). */
  journalBytes: number;
  journalSec: number;
}

export interface SoakRun {
  sessionId: string;
  journalPath: string;
  windows: SoakWindow[];
  wallSec: number;
  audioSec: number;
  /** Finals announced (with text), and the daemon's open file descriptors at the first window (models loaded) and after the session. */
  finals: number;
  fdsAtFirstWindow: number;
  fdsAfter: number;
  /** RSS of the daemon before the session started (model not loaded yet). */
  rssBefore: number;
  /** CPU seconds the daemon used during the session (user + system, every thread). */
  cpuSec: number;
}

const PAGE_SIZE = (() => {
  const r = spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' });
  return Number(r.stdout?.trim()) || 4096;
})();

/** Resident bytes of process `pid` (from /proc/PID/statm: one short read). */
export function rssOf(pid: number): number {
  const statm = fs.readFileSync(`/proc/${pid}/statm`, 'latin1');
  return Number(statm.split(' ')[1]) * PAGE_SIZE;
}

const fdCount = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout?.trim()) || 100;
})();

/** CPU seconds (user + system, all threads) process `pid` has used. */
function cpuOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/**
 * The journal's size and the end (t1) of its last final: at pace fast capture runs ahead of the finals (by up to the
 * recognizer's 120 s of pending speech), so the journal is measured against the audio it covers.
 */
function journalProgress(file: string): { bytes: number; sec: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = fs.fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(bytes, 16384));
    fs.readSync(fd, tail, 0, tail.length, bytes - tail.length);
    const lines = tail.toString('utf8').split('\n').slice(1).reverse();
    for (const line of lines) {
      const m = /^\{"type":"segment".*"t1":([0-9.]+)/.exec(line);
      if (m) return { bytes, sec: Number(m[1]) };
    }
    return { bytes, sec: 0 };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Runs one session over `fixture` at pace 'fast' in the daemon behind `client` (initialized, storage in `storageDir`),
 * closing a window every `windowSec` of audio. `progress` hears about each window.
 */
export async function soakRun(client: RpcClient, fixture: SoakFixture, options: {
  storageDir: string; windowSec: number; progress?(w: SoakWindow): void;
}): Promise<SoakRun> {
  const pid = client.daemon.child.pid!;
  const rssBefore = rssOf(pid);
  const cpuBefore = cpuOf(pid);
  let fdsAtFirstWindow = -1;
  const started = performance.now();
  const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: fixture.file, pace: 'fast', title: 'Soak' });
  const journalPath = path.join(options.storageDir, 'sessions', `${sessionId}.jsonl`);
  const windows: SoakWindow[] = [];
  let window = { min: Infinity, max: 0 };
  let nextEdge = options.windowSec;
  const close = (journal: { bytes: number; sec: number }) => {
    const w: SoakWindow = {
      audioSec: journal.sec, wallSec: (performance.now() - started) / 1000, rssMin: window.min, rssMax: window.max,
      journalBytes: journal.bytes, journalSec: journal.sec,
    };
    windows.push(w);
    if (fdsAtFirstWindow < 0) fdsAtFirstWindow = fdCount(pid);
    options.progress?.(w);
    window = { min: Infinity, max: 0 };
  };
  const sampler = setInterval(() => {
    try {
      const rss = rssOf(pid);
      window.min = Math.min(window.min, rss);
      window.max = Math.max(window.max, rss);
    } catch { /* the daemon is gone: the session's end says why */ }
  }, 10);
  let done = false;
  const doneState = client.sessionDone(sessionId, 6 * 3600_000).then((s) => { done = true; return s; });
  try {
    while (!done) {
      await Promise.race([doneState, new Promise((r) => setTimeout(r, 100))]);
      if (done) break;
      const journal = journalProgress(journalPath);
      if (journal.sec >= nextEdge && window.max > 0) {
        close(journal);
        while (nextEdge <= journal.sec) nextEdge += options.windowSec;
      }
    }
    const state = await doneState;
    if (state.error) throw new Error(`the soak session ended with an error: ${state.error}`);
    const status = await client.connection.sendRequest(SessionStatus, { sessionId });
    const last = journalProgress(journalPath);
    if (window.max > 0 && last.sec > (windows[windows.length - 1]?.audioSec ?? 0) + options.windowSec / 2) close(last);
    return {
      sessionId, journalPath, windows, wallSec: (performance.now() - started) / 1000, audioSec: status.capturedSec, finals: status.finalSegments,
      fdsAtFirstWindow, fdsAfter: fdCount(pid), rssBefore, cpuSec: cpuOf(pid) - cpuBefore,
    };
  } finally {
    clearInterval(sampler);
  }
}

export interface SoakAnalysis {
  /** The first window after warm-up, and the last. */
  warm: SoakWindow;
  end: SoakWindow;
  /** Least-squares line through the window minima after warm-up: bytes per audio second, and its value at warm-up and at the end. */
  slope: number;
  fitAtWarm: number;
  fitAtEnd: number;
  /** (fitAtEnd − fitAtWarm) / fitAtWarm: the growth the test and the bench judge. */
  growth: number;
  /** Highest RSS after warm-up (while decoding). */
  peak: number;
  /** Journal bytes per minute of the audio it covers, in each window after the first; their median, lowest and highest (after warm-up). */
  journalRates: number[];
  journalMedian: number;
  journalMin: number;
  journalMax: number;
}

export function analyzeSoak(windows: SoakWindow[], warmupSec: number): SoakAnalysis {
  const after = windows.filter((w) => w.audioSec >= warmupSec - 1);
  if (after.length < 3) throw new Error(`only ${after.length} windows after ${warmupSec} s of warm-up: run longer`);
  const n = after.length;
  const mx = after.reduce((a, w) => a + w.audioSec, 0) / n;
  const my = after.reduce((a, w) => a + w.rssMin, 0) / n;
  const sxx = after.reduce((a, w) => a + (w.audioSec - mx) ** 2, 0);
  const slope = after.reduce((a, w) => a + (w.audioSec - mx) * (w.rssMin - my), 0) / sxx;
  const warm = after[0], end = after[n - 1];
  const fitAtWarm = my + slope * (warm.audioSec - mx), fitAtEnd = my + slope * (end.audioSec - mx);
  const journalRates = windows.slice(1).map((w, i) => (w.journalBytes - windows[i].journalBytes) / Math.max(1e-9, (w.journalSec - windows[i].journalSec) / 60));
  const steady = journalRates.slice(Math.max(0, windows.indexOf(warm) - 1));
  const sorted = steady.slice().sort((a, b) => a - b);
  return {
    warm, end, slope, fitAtWarm, fitAtEnd, growth: (fitAtEnd - fitAtWarm) / fitAtWarm, peak: Math.max(...after.map((w) => w.rssMax)),
    journalRates, journalMedian: sorted[Math.floor(sorted.length / 2)], journalMin: sorted[0], journalMax: sorted[sorted.length - 1],
  };
}
