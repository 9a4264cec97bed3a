/**
 * Soak (issue 7), the accelerated form CI runs: a 2-hour meeting through a real daemon process (spawned with the
 * environment the extension gives it: protocol/allocator.ts), real Silero VAD, real whisper on the mini model, fed as
 * fast as the pipeline takes it. The audio is mostly digital silence with a spoken turn every 30 s (240 utterances), so
 * two hours pass in a minute or two while every utterance takes the whole path (VAD, whisper, journal, notes).
 *
 * What must hold: the daemon's memory between decodes does not grow (a least-squares line through the per-window minima
 * after 20 minutes of warm-up rises by less than 5% over the rest of the meeting); the journal grows linearly (bytes per
 * audio minute steady from window to window); every utterance has its final; no file descriptor leaks.
 * No assertion depends on how long anything took. The full figure with base.en dimensions, where each decode allocates
 * and frees ~100 MB of whisper state, is `npm run bench -- soak` (BENCHMARKS.md).
 *
 * EARSHOT_SOAK_MINUTES shortens or lengthens the meeting (default 120).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { daemonSpawnEnv } from '../../protocol/allocator';
import { readJournal } from '../../daemon/journal/journal';
import { analyzeSoak, soakRun, soakWav } from '../support/soak';
import { miniDaemon, RpcClient } from './daemon-process';

const MINUTES = Number(process.env.EARSHOT_SOAK_MINUTES ?? 120);
const EVERY_SEC = 30;
const WINDOW_SEC = 300;
/** The first 40 utterances: RSS climbs while V8's heap and the allocators reach their working size, then stays. */
const WARMUP_SEC = 1200;
const MB = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

describe('soak: a 2-hour meeting at pace fast, real daemon (accelerated)', function () {
  this.timeout(30 * 60_000);
  let dir: string;
  let client: RpcClient;
  let daemon: Awaited<ReturnType<typeof miniDaemon>>;

  before(async () => {
    // Started as the extension starts it: the allocator environment and the node flags of protocol/allocator.ts.
    daemon = await miniDaemon('earshot-soak-', daemonSpawnEnv({}));
    ({ client, dir } = daemon);
  });

  after(() => daemon.close());

  it('memory between decodes stays flat (< 5% growth after warm-up), the journal grows linearly, every utterance is final', async () => {
    const fixture = soakWav(dir, MINUTES, EVERY_SEC);
    const run = await soakRun(client, fixture, { storageDir: path.join(dir, 'storage'), windowSec: WINDOW_SEC });
    const a = analyzeSoak(run.windows, Math.min(WARMUP_SEC, fixture.durationSec / 4));
    if (process.env.EARSHOT_SOAK_VERBOSE) for (const w of run.windows) console.log(`      ${JSON.stringify(w)}`);
    console.log(`      (${(run.audioSec / 60).toFixed(0)} audio-min in ${run.wallSec.toFixed(0)} s, ${run.finals} finals; RSS before the session ${MB(run.rssBefore)}, ` +
      `between decodes ${MB(a.warm.rssMin)} at ${(a.warm.audioSec / 60).toFixed(0)} min → ${MB(a.end.rssMin)} at ${(a.end.audioSec / 60).toFixed(0)} min, ` +
      `fit ${MB(a.fitAtWarm)} → ${MB(a.fitAtEnd)} (${(100 * a.growth).toFixed(2)}%), peak ${MB(a.peak)}; journal ${a.journalMedian.toFixed(0)} B per audio-min ` +
      `(${a.journalMin.toFixed(0)}–${a.journalMax.toFixed(0)}))`);

    assert.ok(Math.abs(run.audioSec - fixture.durationSec) < 1, `captured ${run.audioSec} s of ${fixture.durationSec} s`);
    assert.equal(run.finals, fixture.turns, 'one final per spoken turn');
    assert.ok(a.growth < 0.05, `RSS between decodes grew ${(100 * a.growth).toFixed(1)}% after warm-up (fit ${MB(a.fitAtWarm)} → ${MB(a.fitAtEnd)}); ` +
      `window minima: ${run.windows.map((w) => `${(w.audioSec / 60).toFixed(0)}′ ${MB(w.rssMin)}`).join(', ')}`);
    // The journal: a steady number of bytes per audio minute, window after window (each window holds 10 turns ± 1).
    assert.ok(a.journalMin > 0.75 * a.journalMedian && a.journalMax < 1.25 * a.journalMedian,
      `journal bytes per audio-minute not steady: ${a.journalRates.map((r) => r.toFixed(0)).join(', ')}`);
    const journal = await readJournal(run.journalPath);
    assert.equal(journal.records.filter((r) => r.type === 'segment').length, fixture.turns);
    const bytesPerTurn = fs.statSync(run.journalPath).size / fixture.turns;
    assert.ok(Math.abs(a.journalMedian - bytesPerTurn * (60 / EVERY_SEC)) < 0.15 * a.journalMedian, 'the journal is its finals: linear in the meeting');
    assert.ok(run.fdsAfter <= run.fdsAtFirstWindow, `file descriptors ${run.fdsAtFirstWindow} → ${run.fdsAfter}`);
  });
});
