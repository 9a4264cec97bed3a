/**
 * What the user had open in the editor, over time (earshot/editorActivity): the daemon keeps one timeline for all its
 * sessions, because a session may start while a file has been open for an hour, and looks up the place in effect
 * when a segment started. Times are wall-clock ms; a session maps its capture clock onto them (see `wallTimeOf`).
 */
import { EditorLocation } from '../../protocol/protocol';

export interface TimelineLimits {
  /** Entries older than this are dropped, except the one still in effect at that age. */
  maxAgeMs: number;
  maxEntries: number;
}

export const DEFAULT_TIMELINE_LIMITS: TimelineLimits = { maxAgeMs: 2 * 60 * 60 * 1000, maxEntries: 2000 };

interface Entry { at: number; location: EditorLocation | null }

const samePlace = (a: EditorLocation | null | undefined, b: EditorLocation | null | undefined) =>
  a === b || (!!a && !!b && a.path === b.path && a.startLine === b.startLine && a.endLine === b.endLine);

/** Whether two segments were spoken at the same place (both nowhere counts as the same). */
export function sameLocation(a: EditorLocation | undefined, b: EditorLocation | undefined): boolean {
  return samePlace(a ?? null, b ?? null);
}

/** The wall-clock time (ms) of a capture-clock time: the session's start is capture-clock zero. */
export function wallTimeOf(sessionStartedAt: Date, captureSec: number): number {
  return sessionStartedAt.getTime() + captureSec * 1000;
}

export class EditorTimeline {
  /** In time order. */
  private readonly entries: Entry[] = [];

  constructor(private readonly limits: TimelineLimits = DEFAULT_TIMELINE_LIMITS) {}

  get size(): number {
    return this.entries.length;
  }

  /** Records that from `at` on the user looks at `location` (null: no workspace file). `now` bounds the history's age. */
  note(location: EditorLocation | null, at: number, now = Date.now()): void {
    const entry: Entry = { at, location: location && { path: location.path, startLine: location.startLine, endLine: location.endLine } };
    // Notifications come in order, but a late one is put in its place rather than taken as the newest.
    let k = this.entries.length;
    while (k > 0 && this.entries[k - 1].at > at) k--;
    if (k > 0 && samePlace(this.entries[k - 1].location, entry.location)) return;
    this.entries.splice(k, 0, entry);
    if (k + 1 < this.entries.length && samePlace(this.entries[k + 1].location, entry.location)) this.entries.splice(k + 1, 1);
    const cutoff = now - this.limits.maxAgeMs;
    let drop = 0;
    // An old entry stays while it is the one in effect at the cutoff.
    while (drop + 1 < this.entries.length && this.entries[drop + 1].at <= cutoff) drop++;
    drop = Math.max(drop, this.entries.length - this.limits.maxEntries);
    if (drop > 0) this.entries.splice(0, drop);
  }

  /** The place in effect at wall time `at`: the last one noted at or before it; undefined when none or no file. */
  locationAt(at: number): EditorLocation | undefined {
    const k = this.indexAt(at);
    const location = k >= 0 ? this.entries[k].location : null;
    return location ? { ...location } : undefined;
  }

  /** The files viewed at or before `at`, most recent first, at most `max` (for ranking ambiguous mentions). */
  recentPaths(at: number, max = 5): string[] {
    const paths: string[] = [];
    // Recent means the last few hundred switches, not the whole history (a file flipped to and fro would scan it all).
    const from = this.indexAt(at);
    for (let k = from; k >= 0 && k > from - 200 && paths.length < max; k--) {
      const path = this.entries[k].location?.path;
      if (path && !paths.includes(path)) paths.push(path);
    }
    return paths;
  }

  private indexAt(at: number): number {
    let lo = 0, hi = this.entries.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].at <= at) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
