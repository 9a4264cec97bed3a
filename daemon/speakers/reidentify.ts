/**
 * The hook for re-identifying a voice after a silence. Overlap linking (linking.ts) only knows a speaker while some
 * window still hears them: one silent for longer than a window (10 s) comes back under a new label. A speaker-embedding
 * model (e.g. a WeSpeaker or 3D-Speaker ONNX from sherpa-onnx's releases, downloaded when the user turns speakers on:
 * issue 42) plugs in here: it is shown each new label's first turn and may answer that it is an earlier label's voice,
 * and the stage then announces a relabel. No implementation ships yet: without one, linking is by overlap only.
 */
export interface SpeakerReidentifier {
  /**
   * A label's first final turn: `audio` is 16 kHz mono of that turn (clipped to what the stage still holds); `known`
   * the labels seen before it. Resolves to the earlier label this voice is, or undefined for a new voice.
   */
  identify(label: string, audio: Float32Array, known: readonly string[]): Promise<string | undefined>;
}
