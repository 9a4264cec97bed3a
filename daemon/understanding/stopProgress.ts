/**
 * What the client is told while the steps after a meeting's chunks run (issue 56: the checks at stop, the settle, the
 * standing check, a template's sections). On a CPU they take minutes together; a run that said "done" after its last
 * chunk left the user with a closed progress and notes that kept changing. The chunks' run holds its end back
 * (ExtractionRunOptions.endFollows), each step is said as it starts, and the end is said once, after the last step:
 * cancelled when the user cancelled meanwhile, else as the chunks' run ended.
 */
import { EXTRACTION_STEP_WORDS, ExtractionProgressParams, ExtractionStep } from '../../protocol/protocol';
import { ModelRunSummary } from './modelExtract';

/** The run as the progress counts it (the chunks' counts; its tokens grow with each step's calls). */
type RunCounts = Pick<ModelRunSummary, 'chunks' | 'finished' | 'failed' | 'tokens' | 'state'>;

export class StopProgress {
  private current: ExtractionStep | undefined;
  private ended: boolean;

  /**
   * `run.message`: how the chunks' run ended, said again at the end; `run.endHeld`: whether the chunks' run held its end
   * back (absent or false: it said it already, and so nothing more is said here); `sofar`: the run's counts now.
   */
  constructor(private readonly say: (p: ExtractionProgressParams) => void,
    private readonly run: { sessionId: string; tokenBudget: number; message: string; endHeld?: boolean; signal: AbortSignal },
    private readonly sofar: () => RunCounts) {
    this.ended = run.endHeld !== true;
  }

  /** A step starts: said while running (not once the end was said, nor after a cancel: the end says that). */
  step(step: ExtractionStep): void {
    if (this.ended || this.run.signal.aborted) return;
    this.current = step;
    this.say({ ...this.counts('running'), step, message: EXTRACTION_STEP_WORDS[step] });
  }

  /** Every step is done (or given up): the run's end, said once. Safe to call in a `finally`. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const cancelled = this.run.signal.aborted;
    const message = cancelled ? `cancelled while ${this.current ? EXTRACTION_STEP_WORDS[this.current] : 'finishing the notes'}: the notes keep what was read` : this.run.message;
    this.say({ ...this.counts(cancelled ? 'cancelled' : this.sofar().state), message });
  }

  private counts(state: ExtractionProgressParams['state']): Omit<ExtractionProgressParams, 'message'> {
    const { chunks, finished, failed, tokens } = this.sofar();
    return { sessionId: this.run.sessionId, state, chunks, finished, failed, tokens, tokenBudget: this.run.tokenBudget };
  }
}
