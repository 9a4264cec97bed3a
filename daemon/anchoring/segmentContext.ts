/**
 * What a final segment is stamped with before it is journaled: the workspace files and symbols its text mentions
 * (against the last workspace index the client sent) and the place the user was looking at when it started (the
 * editor timeline). The index is built off the hot path: a final never waits for it, it uses the last one built.
 */
import {
  EditorLocation, MAX_INDEX_FILES, MAX_INDEX_SYMBOLS, SegmentMention, WorkspaceIndexParams,
} from '../../protocol/protocol';
import { EditorTimeline, wallTimeOf } from './editorTimeline';
import { buildIndexInSlices, segmentMentions, WorkspaceIndex } from './mentions';

export interface SegmentAnnotation {
  /** The workspace folder the paths are relative to (journaled once per session, and again if it changes). */
  root?: string;
  mentions?: SegmentMention[];
  viewing?: EditorLocation;
}

/** How long after the last index notification the index is built (clients send a burst while a workspace opens). */
export const INDEX_DEBOUNCE_MS = 250;

/** The workspace index the daemon matches against: the latest one the client sent, once it is built. */
export class WorkspaceIndexHolder {
  private built: { root: string; index: WorkspaceIndex } | undefined;
  private generation = 0;
  /** The generation whose build is under way (the debounce and whenBuilt may both start one). */
  private building = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: { params: WorkspaceIndexParams; done: Promise<void>; resolve(): void } | undefined;

  constructor(private readonly debounceMs = INDEX_DEBOUNCE_MS) {}

  /** The last index built, with its root; undefined before the first one. */
  get current(): { root: string; index: WorkspaceIndex } | undefined {
    return this.built;
  }

  /** Replaces the index (bounded) after a short debounce; the previous one serves until the new one is built. */
  set(params: WorkspaceIndexParams): void {
    const bounded: WorkspaceIndexParams = {
      root: params.root,
      files: params.files.length > MAX_INDEX_FILES ? params.files.slice(0, MAX_INDEX_FILES) : params.files,
      symbols: params.symbols.length > MAX_INDEX_SYMBOLS ? params.symbols.slice(0, MAX_INDEX_SYMBOLS) : params.symbols,
    };
    const generation = ++this.generation;
    if (!this.pending) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => { resolve = r; });
      this.pending = { params: bounded, done, resolve };
    } else {
      this.pending.params = bounded;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.build(generation), this.debounceMs);
    this.timer.unref();
  }

  /** Resolves once the latest index sent is built (at once when none is waiting): a session start waits for it. */
  whenBuilt(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    // No need to wait out the debounce: whoever asks needs it now.
    clearTimeout(this.timer);
    void this.build(this.generation);
    return this.pending.done;
  }

  private async build(generation: number): Promise<void> {
    const pending = this.pending;
    if (!pending || generation !== this.generation || this.building === generation) return;
    this.building = generation;
    const { root, files, symbols } = pending.params;
    const index = await buildIndexInSlices(files, symbols, { cancelled: () => generation !== this.generation });
    // A newer index arrived meanwhile: its own build resolves the waiters.
    if (!index || generation !== this.generation || this.pending !== pending) return;
    this.built = { root, index };
    this.pending = undefined;
    pending.resolve();
  }
}

/** How many recently viewed files count as "preferred" when a mention fits more than one target. */
const PREFERRED_RECENT_FILES = 5;

/**
 * The segment's mentions (absent when none) and where the user was when it started (absent when unknown or no file).
 * `startedAt` is the session's capture-clock origin.
 */
export function annotateSegment(
  segment: { text: string; t0: number }, startedAt: Date, workspace: { root: string; index: WorkspaceIndex } | undefined, timeline: EditorTimeline,
): SegmentAnnotation {
  const at = wallTimeOf(startedAt, segment.t0);
  const annotation: SegmentAnnotation = {};
  const viewing = timeline.locationAt(at);
  if (viewing) annotation.viewing = viewing;
  if (workspace) {
    annotation.root = workspace.root;
    const mentions = segmentMentions(segment.text, workspace.index, { preferPaths: timeline.recentPaths(at, PREFERRED_RECENT_FILES) });
    if (mentions.length) annotation.mentions = mentions;
  }
  return annotation;
}
