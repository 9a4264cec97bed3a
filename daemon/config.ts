/**
 * Where the daemon keeps things and which defaults it uses when the client (or CLI) says nothing.
 */
import * as os from 'node:os';
import * as path from 'node:path';

/** Per-user data folder for journals and models, following each platform's convention. */
export function defaultStorageDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EARSHOT_STORAGE) return env.EARSHOT_STORAGE;
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin': return path.join(home, 'Library', 'Application Support', 'Earshot');
    case 'win32': return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Earshot');
    default: return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'earshot');
  }
}

/** Notes go beside the work: `<folder>/.earshot/notes`. */
export function defaultNotesDir(folder: string = process.cwd()): string {
  return path.join(folder, '.earshot', 'notes');
}

/** A workspace's notes templates folder: `<folder>/.earshot/templates` (daemon/templates/). */
export function defaultTemplatesDir(folder: string = process.cwd()): string {
  return path.join(folder, '.earshot', 'templates');
}

/**
 * whisper.cpp scales to about 8 threads. One core is left to the editor, capture and VAD: on a 2-core
 * machine, 2 threads made decoding up to 10x slower whenever anything else ran, 1 thread did not.
 */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, os.availableParallelism() - 1));
}

/**
 * Whether whisper runs on a GPU: `true`, `false`, or `'auto'`: the first discrete GPU one of the addon's GPU modules
 * finds (Metal on Apple Silicon; Vulkan or CUDA elsewhere), else the CPU. EARSHOT_GPU=1/0 decides.
 */
export type GpuChoice = boolean | 'auto';

export function defaultGpu(env: NodeJS.ProcessEnv = process.env): GpuChoice {
  if (env.EARSHOT_GPU === '1' || env.EARSHOT_GPU === '0') return env.EARSHOT_GPU === '1';
  return 'auto';
}
