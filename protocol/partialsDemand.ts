/**
 * Who reads the transcript as it is spoken: its partials cost most of whisper's work in a meeting (BENCHMARKS.md,
 * issue 41), so they (and the early finals) are decoded only while someone can read them. Each reader (a client of the
 * daemon; in the extension, the panel and the dictation) says whether it reads them; they are wanted while any reader
 * that said so reads them. Before any reader has said anything, `unclaimed` decides: the daemon keeps decoding them for
 * a client that never says (older clients, plain LSP clients), the extension tells the daemon nobody reads them until
 * its panel shows.
 */
export class PartialsDemand {
  private readonly readers = new Map<string, boolean>();

  /** `changed` is called with the new answer each time `wanted` changes. */
  constructor(private readonly unclaimed: boolean, private readonly changed?: (wanted: boolean) => void) {}

  get wanted(): boolean {
    if (this.readers.size === 0) return this.unclaimed;
    for (const reads of this.readers.values()) if (reads) return true;
    return false;
  }

  /** `reader` reads partials now (true) or not (false). */
  set(reader: string, reads: boolean): void {
    this.update(() => this.readers.set(reader, reads));
  }

  /** `reader` is gone: it counts no more, either way. */
  forget(reader: string): void {
    this.update(() => this.readers.delete(reader));
  }

  private update(change: () => void): void {
    const before = this.wanted;
    change();
    if (this.wanted !== before) this.changed?.(this.wanted);
  }
}
