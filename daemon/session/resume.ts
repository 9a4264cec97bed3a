/**
 * The sources of a resumed session. A file is read again from its start (the session replays its voice activity and
 * skips what is final); paced in real time, its clock is the wall clock since the session started, as a live
 * recording's would be: audio whose time has passed (the daemon's downtime) is read at once, the rest at its pace.
 * Nothing of a file is lost to an interruption, and a crash loop still makes progress.
 */
import { FilePace } from '../../protocol/protocol';
import { AudioFrame, AudioSource, FILE_PACE_PERIOD_MS, FileSource, SAMPLE_RATE, waitUntilCaptured } from '../capture/source';

export class ResumedFileSource implements AudioSource {
  readonly kind = 'file' as const;

  /** `file` must be opened with pace 'fast': this source does the pacing, as FileSource would (`periodMs`). */
  constructor(
    private readonly file: FileSource, private readonly pace: FilePace, private readonly startedAt: Date, private readonly periodMs = FILE_PACE_PERIOD_MS,
  ) {}

  get speaker(): string {
    return this.file.speaker;
  }

  async *frames(signal: AbortSignal): AsyncGenerator<AudioFrame> {
    // performance.now() of the session's sample 0 (this process's clock started after it).
    const origin = performance.now() - (Date.now() - this.startedAt.getTime());
    for await (const frame of this.file.frames(signal)) {
      if (this.pace === 'realtime') {
        const end = frame.startSample + frame.samples.length;
        const due = origin + (end / SAMPLE_RATE) * 1000;
        if (due > performance.now()) {
          await waitUntilCaptured(origin, end, this.periodMs, signal);
          if (signal.aborted) return;
          // Only audio read at its pace has a capture time: the catch-up is not lateness.
          frame.capturedAt = due;
        }
      }
      yield frame;
    }
  }
}
