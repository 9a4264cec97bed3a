/**
 * `earshot diarize`: who spoke when in an audio file, by the speaker stage a session runs (daemon/speakers/stage.ts),
 * with the shipped settings.
 *
 * Owns only that printout. Must not load a whisper model or write anything.
 */
import * as path from 'node:path';
import { diarizeFile } from '../speakers/stage';
import { args, Io, stamp, UsageError } from './common';

export async function diarize(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'diarize');
  if (positionals.length !== 1) throw new UsageError('diarize takes one audio file');
  const turns = await diarizeFile(path.resolve(positionals[0]));
  if (values.json) io.out(JSON.stringify(turns));
  else turns.forEach((t) => io.out(`${stamp(t.start)} → ${stamp(t.end)}  ${t.speaker}  (${(t.end - t.start).toFixed(2)} s)`));
  return 0;
}
