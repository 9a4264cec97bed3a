/**
 * A PATH on which none of the recorder programs exists (sox, rec, arecord, parec, ffmpeg and their aliases), while
 * every other program stays (pactl, paplay, node): what a machine with nothing installed for audio looks like to
 * Earshot, short of uninstalling them from the test machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const RECORDER_PROGRAMS = ['sox', 'rec', 'play', 'arecord', 'parec', 'pacat', 'parecord', 'ffmpeg'];

/** Fills `dir` with links to every executable of `pathVar` except the recorders; returns the PATH to use. */
export function pathWithoutRecorders(dir: string, pathVar = process.env.PATH ?? ''): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const from of pathVar.split(':').filter(Boolean)) {
    let names: string[];
    try {
      names = fs.readdirSync(from);
    } catch {
      continue;
    }
    for (const name of names) {
      const link = path.join(dir, name);
      if (RECORDER_PROGRAMS.includes(name) || fs.existsSync(link)) continue;
      try {
        fs.symlinkSync(path.join(from, name), link);
      } catch { /* a racing duplicate: the first one wins, as on PATH */ }
    }
  }
  return dir;
}
