/**
 * The in-process audio backend: audify (RtAudio) — PulseAudio on Linux, Core Audio on macOS, WASAPI on Windows —
 * so that no recorder program (sox, arecord, parec, ffmpeg) has to be installed. It is an optional dependency
 * built at install time (scripts/build-audify.js); where it does not load, capture falls back to the recorder
 * programs and says why (`earshot devices`, health).
 *
 * Capture runs in audifyHelper.js, a child process on the daemon's own Node runtime (why: see that file), started
 * like any recorder, so the capture clock, bounded queue, stall watchdog and fault classification are the same.
 * EARSHOT_AUDIO_BACKEND=recorders turns it off (e.g. to compare with the recorder programs).
 */
import * as path from 'node:path';
import { runTool } from './tools';
import { CaptureKind } from './faults';
import { RtDeviceInfo } from './audifyHelper';
import { SAMPLE_RATE } from './source';
import { blockedByWindowsPolicy, windowsPolicyBlockMessage } from '../windowsBlocked';

export interface AudifyStatus {
  available: boolean;
  /** Why not, in words for `earshot devices` and health. */
  reason?: string;
}

let cached: AudifyStatus | undefined;

/** Whether audify's addon loads here (asked once per process). */
export function audifyStatus(env: NodeJS.ProcessEnv = process.env): AudifyStatus {
  if (env.EARSHOT_AUDIO_BACKEND === 'recorders') return { available: false, reason: 'turned off (EARSHOT_AUDIO_BACKEND=recorders)' };
  if (!cached) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const audify = require('audify') as { RtAudio?: unknown };
      cached = typeof audify.RtAudio === 'function' ? { available: true } : { available: false, reason: 'audify loaded without RtAudio' };
    } catch (e) {
      cached = { available: false, reason: audifyLoadFailure(e) };
    }
  }
  return cached;
}

/** Why audify's addon did not load, as `earshot devices` and health say it. */
export function audifyLoadFailure(error: unknown): string {
  if (blockedByWindowsPolicy(error)) return `${windowsPolicyBlockMessage(error as Error, 'in-process audio capture (audify\'s addon)')} Meanwhile Earshot records with ffmpeg where it is installed.`;
  const message = (error as Error).message.split('\n')[0];
  return /Cannot find module 'audify'/.test(message)
    ? 'audify is not installed (an optional dependency that failed to install)'
    : `audify's native addon does not load (${message}); rebuild it with \`node scripts/build-audify.js\``;
}

/** For tests: forget what audifyStatus() found. */
export function resetAudifyStatus(): void {
  cached = undefined;
}

/** The helper script next to this module (out/daemon/capture/audifyHelper.js). */
export function audifyHelperPath(): string {
  return path.join(__dirname, 'audifyHelper.js');
}

/** The helper's command line (helper contract) for one source; `device` is an RtAudio device name or 'default'. */
export function audifyCommand(kind: CaptureKind, device: string, execPath = process.execPath, helper = audifyHelperPath()) {
  return {
    recorder: 'audify' as const,
    command: execPath,
    args: [helper, '--kind', kind, '--rate', String(SAMPLE_RATE), '--channels', '1', '--format', 's16le', ...(device === 'default' ? [] : ['--device', device])],
    // The daemon may run on VS Code's Electron binary: this makes it a plain Node for the helper too.
    envOverrides: { ELECTRON_RUN_AS_NODE: '1' },
    device,
  };
}

/** RtAudio's device list through the helper (a frozen server cannot block the daemon); undefined when it fails. */
export async function listAudifyDevices(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<{ api: string; devices: RtDeviceInfo[] } | undefined> {
  const r = await runTool(process.execPath, [audifyHelperPath(), '--list'], { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, timeoutMs: 5000, signal });
  if (r.code !== 0) return undefined;
  try {
    const parsed = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { api: string; devices: RtDeviceInfo[] };
    return Array.isArray(parsed.devices) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * PulseAudio: RtAudio names devices by their description ("Monitor of Built-in Audio"), and keeps only the first
 * of several with the same description. The daemon's device ids are PulseAudio source names (what pactl lists and
 * the settings hold): this maps one to the name RtAudio knows, or says why it cannot.
 */
export function rtAudioNameForPulseSource(source: string, sources: { name: string; description: string }[]): { name: string } | { error: string } {
  const found = sources.find((s) => s.name === source);
  if (!found) return { error: `device "${source}" not found` };
  const description = found.description || found.name;
  const twins = sources.filter((s) => (s.description || s.name) === description);
  if (twins.length > 1 && twins[0].name !== source) {
    return { error: `device "${source}" cannot be opened by RtAudio: "${twins[0].name}" has the same description ("${description}")` };
  }
  return { name: description };
}
