/**
 * Whether whisper should run on a GPU when the choice is 'auto': the first discrete GPU one of the addon's GPU modules
 * finds (Vulkan, CUDA), asked in a child process. Loading a GPU module starts the system's Vulkan drivers in the process
 * that loads it, whether or not they find a device: here, where Mesa's drivers find none, that cost 64 MiB of resident
 * memory and 0.2 s (BENCHMARKS.md, issue 27), and a faulty driver can crash its process. So the daemon asks a child
 * once, and loads a GPU module itself only when there is a GPU to use.
 *
 * Apple Silicon needs no probe (its Metal GPU is always there); the bundled core has no GPU modules. The recommendations
 * ask the same child (gpus.ts), and count only a discrete GPU that is not a software renderer.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { BackendInfo } from '../whisperAddon';

export type ProbedDevice = BackendInfo['devices'][number] & { backend: string };

export interface GpuProbe {
  /** The device 'auto' takes (ggml's description of it), or null: the CPU. */
  device: string | null;
  /** Every GPU-module device found, for health and logs. */
  devices: ProbedDevice[];
  /** Why the probe itself failed (the child crashed or timed out): whisper stays on the CPU. */
  error?: string;
}

/** How long the child may take: a driver's first start can be slow, but never this slow. */
const PROBE_TIMEOUT_MS = 20_000;

/** 'auto' takes a discrete GPU (ggml's type 'gpu'), never an integrated one, which may be slower than the CPU's own kernels. */
export function autoDevice(devices: ProbedDevice[]): ProbedDevice | undefined {
  return devices.find((d) => d.type === 'gpu');
}

/** Runs the child (gpuProbeChild.js) and returns what it printed; a seam for tests. */
export type ProbeRunner = () => Promise<{ stdout: string; error?: string }>;

const runChild: ProbeRunner = () => new Promise((resolve) => {
  execFile(process.execPath, [path.join(__dirname, 'gpuProbeChild.js')], {
    // The daemon may run on VS Code's Electron binary: a plain Node for the child.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: PROBE_TIMEOUT_MS, windowsHide: true, encoding: 'utf8',
  }, (error, stdout, stderr) => {
    const why = error ? (error.killed ? `no answer in ${PROBE_TIMEOUT_MS / 1000} s` : `it ended ${error.code ?? error.signal} (${String(stderr).trim().split('\n').pop() ?? ''})`) : undefined;
    resolve({ stdout: String(stdout), ...(why ? { error: why } : {}) });
  });
});

/** Asks the child which GPU devices the addon's GPU modules find. Never throws. */
export async function probeGpu(run: ProbeRunner = runChild): Promise<GpuProbe> {
  const { stdout, error } = await run();
  if (error) return { device: null, devices: [], error: `looking for a GPU failed: ${error}` };
  try {
    const devices = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as ProbedDevice[];
    if (!Array.isArray(devices)) throw new Error('not a list');
    return { device: autoDevice(devices)?.description ?? null, devices };
  } catch (e) {
    return { device: null, devices: [], error: `looking for a GPU gave no answer (${(e as Error).message})` };
  }
}

let cached: Promise<GpuProbe> | undefined;

/** probeGpu(), once per process: devices do not come and go while a daemon runs. */
export function probeGpuOnce(): Promise<GpuProbe> {
  cached ??= probeGpu();
  return cached;
}
