/**
 * The stream a download's bytes pass through on their way to the .part file: counted, hashed, checked against the most
 * the attempt may bring, and reported as progress (throttled); then written to the open file.
 *
 * Owns the progress throttle and the per-chunk size limit. Must not open, sync or close the file (the caller does).
 */
import { Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Transform, TransformCallback, Writable } from 'node:stream';
import { DownloadError } from './downloadFaults';

/** Hashes and counts what passes through, reporting progress (throttled, monotonic). */
export class Meter extends Transform {
  received = 0;
  /** The caller reported the start just before: the first chunk waits its turn like the others. */
  private lastReport = performance.now();
  constructor(private readonly hash: Hash, private readonly report: (received: number) => void, private readonly intervalMs: number,
    /** Most bytes this attempt may bring (null: unknown). */
    private readonly limit: number | null, private readonly label: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.limit !== null && this.received > this.limit) {
      callback(new DownloadError('size-mismatch', `The download of ${this.label} is longer than expected; it was deleted.`));
      return;
    }
    this.hash.update(chunk);
    const now = performance.now();
    if (now - this.lastReport >= this.intervalMs) {
      this.lastReport = now;
      this.report(this.received);
    }
    callback(null, chunk);
  }
}

/** Writes to an open file handle and leaves closing it to the caller (who fsyncs first). */
export function fileSink(handle: fs.FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      handle.write(chunk).then(() => callback(), callback);
    },
  });
}
