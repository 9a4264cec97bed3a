/**
 * Figure 5 — daemon spawn → model ready, base.en dimensions: spawns `node bin/earshot.js daemon` as the extension
 * does, initializes over JSON-RPC and asks for a session at once (the model loads on the first session), then waits
 * for `earshot/health` to report the model READY (or the session start answer, whichever comes first).
 */
import { daemonSpawnEnv } from '../../protocol/allocator';
import * as path from 'node:path';
import {
  createMessageConnection, InitializedNotification, InitializeRequest, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { Health, PROTOCOL_VERSION, SessionStart, SessionStateNotification } from '../../protocol/protocol';
import { DAEMON_BIN } from '../setup';
import { WhisperEngine } from '../../daemon/asr/whisper';
import { SAMPLE_RATE } from '../../daemon/capture/source';
import { silenceFixture } from './fixtures';
import {
  benchModel, envNum, FigureReport, fmtMs, median, percentile, quiet, removeTempDir, spawnTracked, stopChild, table, tempDir, THREADS,
  waitExit,
} from './util';

interface Sample {
  initialized: number;
  ready: number;
  engineLoadMs: number | null;
}

async function once(model: string, audioFile: string): Promise<Sample> {
  const dir = tempDir('spawn');
  const t0 = performance.now();
  const child = spawnTracked(process.execPath, [DAEMON_BIN, 'daemon'], {
    cwd: dir, env: { ...daemonSpawnEnv(process.env), EARSHOT_STORAGE: path.join(dir, 'storage') }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-3000); });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  let ready = NaN;
  let engineLoadMs: number | null = null;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification('$/progress', () => undefined);
  connection.onNotification('window/logMessage', () => undefined);
  connection.onNotification(Health, (h) => {
    if (h.model.state === 'ready' && Number.isNaN(ready)) {
      ready = performance.now();
      engineLoadMs = h.model.loadMs;
    }
  });
  connection.onNotification(SessionStateNotification, (s) => { if (s.state === 'done') resolveDone(); });
  connection.listen();
  try {
    await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid, rootUri: null, capabilities: { window: { workDoneProgress: true } }, clientInfo: { name: 'earshot-bench' },
      initializationOptions: {
        protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: model, threads: THREADS,
      },
    } as never);
    const initialized = performance.now();
    await connection.sendNotification(InitializedNotification.type, {});
    await connection.sendRequest(SessionStart, { sources: ['file'], audioFile, pace: 'fast', title: 'bench' });
    if (Number.isNaN(ready)) ready = performance.now();
    await done;
    return { initialized: initialized - t0, ready: ready - t0, engineLoadMs };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${stderr}`);
  } finally {
    connection.dispose();
    child.stdin!.end(); // the daemon finalizes and exits when its client goes away
    const exited = await Promise.race([waitExit(child).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (!exited) await stopChild(child);
    removeTempDir(dir);
  }
}

/** In-process breakdown of the engine's load, and what a warm-up decode (1.1 s of silence, 1 token) costs with the full 30 s encoder window and with a small one. */
async function warmUpCost(model: string): Promise<{ load: number; warmFull: number; warmSmall: number }> {
  const engine = new WhisperEngine({ modelPath: model, language: 'en', threads: THREADS, gpu: false });
  await engine.load();
  const pcm = new Float32Array(SAMPLE_RATE); // what WhisperEngine warms up with (padded to 1.1 s)
  const full: number[] = [];
  const small: number[] = [];
  for (let i = 0; i < 3; i++) {
    await quiet();
    full.push((await engine.decode({ pcm, maxTokens: 1 })).ms);
    small.push((await engine.decode({ pcm, maxTokens: 1, audioCtx: 64 })).ms);
  }
  const load = engine.loadMs ?? NaN;
  await engine.free();
  return { load, warmFull: median(full), warmSmall: median(small) };
}

export async function spawnReady(): Promise<FigureReport> {
  const reps = envNum('BENCH_SPAWN_REPS', envNum('BENCH_REPS', 5));
  const model = benchModel('base.en');
  const audio = silenceFixture(1);
  const samples: Sample[] = [];
  let notQuiet = 0;
  for (let i = 0; i < reps; i++) {
    if ((await quiet()) < 0) notQuiet++;
    samples.push(await once(model, audio));
  }
  const col = (f: (s: Sample) => number) => samples.map(f);
  const readyMs = col((s) => s.ready);
  const loads = samples.map((s) => s.engineLoadMs).filter((x): x is number => x !== null);
  const p50 = median(readyMs);
  const warm = await warmUpCost(model);
  const row = (name: string, xs: number[]) => [name, fmtMs(median(xs)), fmtMs(Math.min(...xs)), fmtMs(percentile(xs, 1))];
  return {
    title: 'Daemon spawn → model ready (base.en dims)',
    commands: ['npm run bench -- spawn'],
    lines: table(['phase', `median of ${reps}`, 'min', 'max'], [
      row('spawn → initialize answered (Node start, daemon modules)', col((s) => s.initialized)),
      row('model load incl. warm-up (engine loadMs, from earshot/health)', loads),
      row('**spawn → model READY** (earshot/health)', readyMs),
    ]).concat([
      '',
      ...table(['in-process: the engine load and its warm-up', 'ms'], [
        ['WhisperEngine.load() (file check, WhisperModel.load, warm-up)', fmtMs(warm.load)],
        ['a warm-up decode (1.1 s of silence, 1 token) with the full 30 s encoder window (audio_ctx 0), median of 3', fmtMs(warm.warmFull)],
        ['the same with audio_ctx 64, median of 3', fmtMs(warm.warmSmall)],
      ]),
    ]),
    notes: [
      'Spawn: `node bin/earshot.js daemon` with stdio pipes, JSON-RPC (vscode-languageserver-protocol createMessageConnection); initialize ' +
        `(modelPath, threads ${THREADS}), then earshot/session/start at once with 1 s of silence (the model loads on the first session: ` +
        'VAD model, whisper model, warm-up decode). Timed until the first earshot/health with model.state "ready".' +
        (notQuiet ? ` ${notQuiet} of ${reps} runs started on a machine that was not quiet.` : ''),
    ],
    targets: [{ metric: 'daemon spawn → model ready (median)', value: fmtMs(p50), target: '≤ 1500 ms', met: p50 <= 1500 }],
  };
}
