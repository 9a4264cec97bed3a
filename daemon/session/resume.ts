/**
 * The sources of a resumed session. A file is read again from its start (the session replays its voice activity and
 * skips what is final); paced in real time, its clock is the wall clock since the session started, as a live
 * recording's would be: audio whose time has passed (the daemon's downtime) is read at once, the rest at its pace.
 * Nothing of a file is lost to an interruption, and a crash loop still makes progress.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FilePace } from '../../protocol/protocol';
import { AudioFrame, AudioSource, FileSource, SAMPLE_RATE } from '../capture/source';

/** Like FileSource's pacing: wake at most this often and hand over every frame due by then. */
const PACE_PERIOD_MS = 100;

export class ResumedFileSource implements AudioSource {
  readonly kind = 'file' as const;

  /** `file` must be opened with pace 'fast': this source does the pacing. */
  constructor(private readonly file: FileSource, private readonly pace: FilePace, private readonly startedAt: Date) {}

  get speaker(): string {
    return this.file.speaker;
  }

  async *frames(signal: AbortSignal): AsyncGenerator<AudioFrame> {
    // performance.now() of the session's sample 0 (this process's clock started after it).
    const origin = performance.now() - (Date.now() - this.startedAt.getTime());
    for await (const frame of this.file.frames(signal)) {
      if (this.pace === 'realtime') {
        const due = origin + ((frame.startSample + frame.samples.length) / SAMPLE_RATE) * 1000;
        const wait = due - performance.now();
        if (wait > 0) {
          await sleep(Math.max(wait, PACE_PERIOD_MS), undefined, { signal }).catch(() => undefined);
          if (signal.aborted) return;
          // Only audio read at its pace has a capture time: the catch-up is not lateness.
          frame.capturedAt = due;
        }
      }
      yield frame;
    }
  }
}
