/**
 * The hook for re-identifying a voice after a silence. Overlap linking (linking.ts) only knows a speaker while some
 * window still hears them: one silent for longer than a window (10 s) comes back under a new label. A speaker-embedding
 * model (embedding.ts: 3D-Speaker CAM++ from sherpa-onnx's releases, downloaded when the user asks for it) plugs in
 * here: it is shown each new label's first long enough turn and may answer that it is an earlier label's voice, and the
 * stage then announces a relabel. Without one, spectral statistics do (spectral.ts, issue 57), less surely.
 */
/** The shortest turn a re-identifier is shown: a second and a half says enough of a voice for an embedding. */
export const MIN_IDENTIFY_SEC = 1.5;

export interface SpeakerReidentifier {
  /**
   * A label's first final turn of at least MIN_IDENTIFY_SEC: `audio` is 16 kHz mono of that turn (clipped to what the
   * stage still holds); `known` the stage's other labels (a re-identifier may also answer a label it kept from before);
   * `heard` those with a turn in the window before this turn's start (overlap linking heard them beside it and found
   * another voice: spectral.ts never answers one of them). Resolves to the earlier label this voice is, or undefined.
   */
  identify(label: string, audio: Float32Array, known: readonly string[], heard?: readonly string[]): Promise<string | undefined>;
  /**
   * true: identify() has read all of `audio` when it returns its promise, so the stage may lend it a view of its buffer
   * instead of a copy (a long turn's copy is 1.6 MB, held beside whisper's weights at the daemon's peak).
   */
  readonly readsAudioAtOnce?: boolean;
}
