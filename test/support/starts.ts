/**
 * What the fake capture binaries (fake-audiotee.ts, fake-recorder.ts) say of each start: a JSON line appended to the
 * plan's `startsFile`. Read while a fake may be starting, so a line still being written (the file opened by the
 * append, not yet filled) is not read: a test polling it would otherwise parse half a line.
 */
import * as fs from 'node:fs';

export function readStarts<T = { pid: number; args: string[] }>(startsFile: string): T[] {
  if (!fs.existsSync(startsFile)) return [];
  return fs.readFileSync(startsFile, 'utf8').split('\n').slice(0, -1).filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}
