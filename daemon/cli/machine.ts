/**
 * What this machine offers Earshot: `earshot devices` (microphones, system-audio sources, whether system audio can be
 * captured, the capture backends), `earshot build-info` (how the whisper addon was compiled and what it finds) and
 * `earshot report` (daemon/platform/report.ts: the same facts and more, for a problem report).
 *
 * Owns those printouts. Must not load a model or change anything; only `report --record` records, and keeps nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AudioDevice, captureBackends, listDevices, systemCaptureAvailability } from '../capture/devices';
import { DecodeTuning, readTuning, tuningCachePath } from '../asr/decodeTuning';
import { defaultCacheDir } from '../models/modelCache';
import { flashAttnForcedByEnv, flashAttnFromEnv, tuningKeyOnThisMachine } from '../asr/whisper';
import { whisperAddon } from '../whisperAddon';
import { defaultStorageDir, defaultThreads } from '../config';
import { testDevice } from '../capture/deviceTest';
import { machineProbes } from '../platform/probes';
import { platformReport } from '../platform/report';
import { PLATFORM_REPORT_MAX_RECORD_SEC } from '../../protocol/protocol';
import { args, Io, PACKAGE_ROOT, UsageError } from './common';

export async function devices(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'devices');
  if (positionals.length > 0) throw new UsageError('devices takes no arguments');
  const [list, systemAudio] = await Promise.all([listDevices(), systemCaptureAvailability()]);
  if (values.json) {
    io.out(JSON.stringify({ microphones: list.microphones, systemSources: list.systemSources, systemAudio, notes: list.notes, backends: captureBackends() }));
    return 0;
  }
  const show = (title: string, devices: AudioDevice[]) => {
    io.out(`${title} (* default):`);
    if (devices.length === 0) io.out('  (none found)');
    const width = Math.max(0, ...devices.map((d) => d.id.length));
    for (const d of devices) io.out(`${d.isDefault ? '*' : ' '} ${d.id.padEnd(width)}  ${d.label}`);
  };
  show('Microphones', list.microphones);
  show('System audio sources', list.systemSources);
  io.out('');
  io.out(systemAudio.available
    ? `System audio: captured with ${systemAudio.recorder} from ${systemAudio.device}.`
    : `System audio: unavailable. ${systemAudio.message}`);
  const backends = captureBackends();
  io.out(`Capture backends: microphone ${backends.microphone}; system audio ${backends.systemAudio}.`);
  for (const note of list.notes) io.err(`earshot: ${note}`);
  return 0;
}

/**
 * How the addon was built (scripts/build-whisper.js) and what the loaded core reports about itself: whisper.cpp's
 * version, the CPU variant ggml chose for this CPU and the features it was compiled with (e.g. AVX2, FMA), the GPU
 * devices its GPU modules find, whether models load with flash attention, and per model in the cache (or --model) the
 * flash attention and threads decode tuning chose on this CPU. JSON either way (--json is accepted for scripts that say
 * so); exit 1 when the build is not the one wanted here.
 */
export function buildInfo(argv: string[], io: Io): number {
  const { values } = args(argv, 'build-info');
  const { inspectBuild } = require(path.join(PACKAGE_ROOT, 'scripts', 'build-whisper.js')) as { inspectBuild(): { matches: boolean; core: string } };
  const { cpuVariantOf } = require(path.join(PACKAGE_ROOT, 'scripts', 'whisper-core', 'build-core.js')) as { cpuVariantOf(file: string): string | null };
  const info = inspectBuild();
  // The GPU modules load first, as a model load for the GPU would: their devices are part of the answer.
  const loaded = whisperAddon().backends?.(true);
  const cpu = loaded?.backends.find((b) => b.name === 'CPU');
  const gpuDevices = loaded?.backends.filter((b) => b.name !== 'CPU').flatMap((b) => b.devices.map((d) => ({ backend: b.name, ...d }))) ?? [];
  const runtime = whisperAddon().systemInfo?.();
  const cpuFeatures = runtime ? Object.fromEntries([...(runtime.systemInfo.match(/CPU : ([^:]*?)(?:\s\w+ : |$)/)?.[1] ?? '').matchAll(/(\w+) = (\w+)/g)]
    .map(([, name, value]) => [name, value === '1' ? true : value === '0' ? false : value])) : null;
  io.out(JSON.stringify({
    ...info,
    // The bundled core reports neither; its binding left flash attention uninitialised (whatever was on the stack).
    whisperCppVersion: runtime?.whisperVersion ?? null,
    // The variant ggml scored best on this CPU (libggml-cpu-<variant>): what every decode runs.
    cpuVariant: cpu ? (cpu.file ? cpuVariantOf(cpu.file) : null) ?? 'built in' : null,
    cpuBackend: cpu?.file ?? null,
    gpuDevices,
    cpuFeatures,
    systemInfo: runtime?.systemInfo ?? null,
    flashAttention: runtime ? flashAttnFromEnv() : null,
    flashAttentionChosenBy: !runtime ? null : flashAttnForcedByEnv() !== undefined ? 'EARSHOT_FLASH_ATTN' : process.env.EARSHOT_DECODE_TUNING === '0'
      ? 'default (EARSHOT_DECODE_TUNING=0)' : 'measured per model on this CPU at its first load (decodeTuning; the default until then)',
    decodeTuning: runtime ? decodeTunings(values.model ?? cachedModels()) : [],
  }, null, 2));
  return info.matches ? 0 : 1;
}

/** The whisper models in the default model cache. */
function cachedModels(): string[] {
  const dir = defaultCacheDir(defaultStorageDir());
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).sort().map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/**
 * What decode tuning chose on this CPU for each model, with the daemon's threads: flash attention, and the threads of
 * a small and a large decode; `measured: false` when it has not measured this model here yet (at its first load).
 */
interface ModelTuning extends Partial<Omit<DecodeTuning, 'measured'>> {
  model: string;
  /** The daemon's threads here: the tuning is kept per thread count. */
  threads: number;
  measured: boolean;
  /** Best milliseconds per setting and case, as measured. */
  measuredMs?: Record<string, number>;
}

function decodeTunings(models: string[]): ModelTuning[] {
  const threads = defaultThreads();
  return models.map((model) => {
    const forced = flashAttnForcedByEnv();
    const tuning = fs.existsSync(model) ? readTuning(tuningCachePath(model), tuningKeyOnThisMachine(model, threads, forced ?? null)) : undefined;
    if (!tuning) return { model, threads, measured: false };
    return { model, threads, measured: true, flashAttn: tuning.flashAttn, smallThreads: tuning.smallThreads, largeThreads: tuning.largeThreads, ...(tuning.measured ? { measuredMs: tuning.measured } : {}) };
  });
}

/**
 * `earshot report [--record SECONDS] [--json]`: the platform report (daemon/platform/report.ts) of this process, as
 * Markdown to paste into an issue, or JSON. With --record, each source is recorded for that long, as the walkthrough's
 * device test records it (nothing is kept). Run in VS Code, **Earshot: Create Platform Report…** asks the daemon for
 * the same, which on macOS is the process that records there.
 */
export async function report(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'report');
  if (positionals.length > 0) throw new UsageError('report takes no arguments');
  const recordSeconds = values.record === undefined ? 0 : Number(values.record);
  if (!Number.isFinite(recordSeconds) || recordSeconds < 0 || recordSeconds > PLATFORM_REPORT_MAX_RECORD_SEC) {
    throw new UsageError(`--record takes seconds from 0 to ${PLATFORM_REPORT_MAX_RECORD_SEC}, got ${JSON.stringify(values.record)}`);
  }
  if (recordSeconds > 0) io.err(`earshot: recording ${recordSeconds} s from the microphone, then ${recordSeconds} s of system audio: speak, and play something`);
  const probes = machineProbes({ record: (kind, seconds) => testDevice({ kind, seconds, env: process.env }) });
  const made = await platformReport(probes, { recordSeconds });
  io.out(values.json ? JSON.stringify(made, null, 2) : made.markdown.trimEnd());
  return 0;
}
