/**
 * What every `earshot` command shares: the Io commands print to, UsageError (exit 2, with the usage), the CLI's strict
 * argument parsing, the package's root and version, the voice-detection profile flag, how times are printed, and how
 * text from a file, a model or a server is printed without acting on the terminal (inert, jsonLine).
 *
 * Owns no command. Must not import the command files (cli/*.ts import this, not the other way round) nor the service.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CONTROL_OR_BIDI } from '../../protocol/plainText';
import { VadProfile } from '../vad/config';
import { CommandName, COMMANDS, parserOptions } from './usage';

/** The package's root folder (out/daemon/cli/ is three folders below it). */
export const PACKAGE_ROOT = path.join(__dirname, '..', '..', '..');

/** A mistake in the command line: main() prints it with the usage and exits 2. */
export class UsageError extends Error {}

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Whether `out` is a terminal, where text from a file or a model is printed inert (a file gets it as it is). */
  readonly tty?: boolean;
}

export const stdio: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n'), tty: process.stdout.isTTY === true };

/** What parseArgs returns for `command`'s options in usage.ts. */
type Parsed<K extends CommandName> = ReturnType<typeof parseArgs<{ args: string[]; options: (typeof COMMANDS)[K]['options']; allowPositionals: true; strict: true }>>;

/**
 * node:util's parseArgs as every command uses it: strict, positionals allowed, with the options of `command` in
 * usage.ts: the table the help is printed from, so an option the help does not name is refused.
 */
export function args<K extends CommandName>(argv: string[], command: K): Parsed<K> {
  return parseArgs({ args: argv, options: parserOptions(command), allowPositionals: true, strict: true }) as Parsed<K>;
}

/** The package's version (package.json). */
export function version(): string {
  return packageInfo().version;
}

/** The package's name and version (package.json), as `earshot mcp` names its server. */
export function packageInfo(): { name: string; version: string } {
  const { name, version: v } = require(path.join(PACKAGE_ROOT, 'package.json')) as { name: string; version: string };
  return { name, version: v };
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

/** What a terminal would act on rather than show (protocol/plainText.ts). */
const UNSAFE = new RegExp(CONTROL_OR_BIDI.source, 'g');
const escaped = (c: string) => {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * Text from a file, a model or a server as printed for a person: what a terminal would act on (UNSAFE) is shown escaped
 * (`\x1b`, `\u202e`), so a transcript or a server cannot set the title, move the cursor, write the clipboard or fake a
 * line. A tab is a space. `lines`: a text of several lines (a model's answer) keeps its line breaks (CRLF read as one).
 */
export function inert(text: string, options: { lines?: boolean } = {}): string {
  return (options.lines ? text.replace(/\r\n/g, '\n') : text)
    .replace(UNSAFE, (c) => (c === '\t' ? ' ' : c === '\n' && options.lines ? c : escaped(c)));
}

/**
 * `value` as one JSON line, exact (it parses back to the same strings) and inert: JSON.stringify escapes C0 controls
 * but writes C1 and bidi characters raw, so those are written as \u escapes too (they occur only inside strings).
 */
export function jsonLine(value: unknown): string {
  return inertJson(JSON.stringify(value));
}

/**
 * JSON text (one line or indented) with what JSON.stringify writes raw inside strings (C1, bidi, U+2028) as \u
 * escapes: the same value, inert. A line break between tokens (indented JSON) stays; inside a string it is escaped.
 */
export function inertJson(json: string): string {
  return json.replace(UNSAFE, (c) => (c === '\n' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
