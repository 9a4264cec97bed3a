/**
 * What every `earshot` command shares: the Io commands print to, UsageError (exit 2, with the usage), the CLI's strict
 * argument parsing, the package's root and version, the voice-detection profile flag, and how times are printed.
 *
 * Owns no command. Must not import the command files (cli/*.ts import this, not the other way round) nor the service.
 */
import * as path from 'node:path';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { VadProfile } from '../vad/config';

/** The package's root folder (out/daemon/cli/ is three folders below it). */
export const PACKAGE_ROOT = path.join(__dirname, '..', '..', '..');

/** A mistake in the command line: main() prints it with the usage and exits 2. */
export class UsageError extends Error {}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

/** node:util's parseArgs as every command uses it: strict, positionals allowed. */
export function args<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

/** The package's version (package.json). */
export function version(): string {
  return (require(path.join(PACKAGE_ROOT, 'package.json')) as { version: string }).version;
}

/** Seconds with millisecond precision, as in every JSON output. */
export const seconds = (t: number) => Math.round(t * 1000) / 1000;

/** `mm:ss.ss`, as segment and VAD lines print a time. */
export function stamp(t: number): string {
  const m = Math.floor(t / 60);
  return `${String(m).padStart(2, '0')}:${(t - m * 60).toFixed(2).padStart(5, '0')}`;
}

/** --vad-profile (transcribe, listen) and --profile (vad), checked. */
export function vadProfile(value: string): VadProfile {
  if (value !== 'default' && value !== 'sensitive') throw new UsageError('--vad-profile (--profile) must be default or sensitive');
  return value;
}
