/**
 * Finding and running the audio tools capture relies on (recorders, pactl, ffmpeg): no shell, bounded time.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The full path of `name` on the PATH of `env`, or undefined when it is not installed. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (path.isAbsolute(name)) return isExecutable(name, platform) ? name : undefined;
  const pathVar = env.PATH ?? env.Path ?? '';
  const sep = platform === 'win32' ? ';' : ':';
  const extensions = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)] : [''];
  for (const dir of pathVar.split(sep).filter(Boolean)) {
    for (const ext of extensions) {
      const file = path.join(dir, name + ext);
      if (isExecutable(file, platform)) return file;
    }
  }
  return undefined;
}

function isExecutable(file: string, platform: NodeJS.Platform): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return false;
    if (platform !== 'win32') fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ToolResult {
  /** Exit code; null when it did not start or was killed (timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Spawn failure (ENOENT: not installed) or timeout. */
  error?: NodeJS.ErrnoException;
}

/**
 * Runs a tool to completion (at most `timeoutMs`, then `killSignal`, SIGTERM by default) and collects its output; never
 * throws.
 */
export function runTool(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; signal?: AbortSignal; killSignal?: NodeJS.Signals } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    // LC_ALL=C: pactl and arecord translate their labels ("Default Sink:"), which parsers match.
    const env = { ...(options.env ?? process.env), LC_ALL: 'C' };
    execFile(command, args, { env, timeout: options.timeoutMs ?? 5000, maxBuffer: 4 << 20, encoding: 'utf8', windowsHide: true, signal: options.signal, killSignal: options.killSignal ?? 'SIGTERM' }, (error, stdout, stderr) => {
      const e = error as (NodeJS.ErrnoException & { code?: unknown }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        stdout: String(stdout ?? ''),
        stderr: String(stderr ?? ''),
        error: e && typeof e.code !== 'number' ? e : undefined,
      });
    });
  });
}
