/**
 * Voice activity detection quality with the real Silero model on onnxruntime-node, scored frame by
 * frame (32 ms) against fixtures whose speech boundaries are known: the committed espeak-ng standup
 * (media/sample/standup.json), digital silence, pink noise, and the standup over pink noise.
 * Targets (issue 3): speech recall ≥ 0.98, false-speech rate ≤ 0.02.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileSource, FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { segmenterOptions, segmentUtterances } from '../../daemon/vad/segmenter';
import { SileroDetector } from '../../daemon/vad/silero';
import { DAEMON_BIN, FIXTURES_DIR, SAMPLE_WAV } from '../setup';

interface Span { start: number; end: number }
const TURNS: Span[] = JSON.parse(fs.readFileSync(SAMPLE_WAV.replace(/\.wav$/, '.json'), 'utf8'));
const FRAME_SEC = FRAME_SAMPLES / SAMPLE_RATE;

/** Makes (once) a fixture with sox: deterministic (-R), no dither (-D). */
function soxFixture(name: string, inputs: string[], effects: string[] = []): string {
  const file = path.join(FIXTURES_DIR, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(FIXTURES_DIR, { recursive: true });
    execFileSync('sox', ['-R', '-D', ...inputs, '-r', '16000', '-c', '1', '-b', '16', file, ...effects]);
  }
  return file;
}
const GENERATED = ['-n'];

async function detect(file: string, profile: 'default' | 'sensitive' = 'default'): Promise<{ speech: Span[]; durationSec: number; stats: SileroDetector['stats'] }> {
  const source = await FileSource.open(file, { pace: 'fast' });
  const speech: Span[] = [];
  const detector = await SileroDetector.create();
  const events = segmentUtterances(source.frames(new AbortController().signal), detector, segmenterOptions({ profile }));
  for await (const e of events) {
    if (e.type === 'end') speech.push({ start: e.utterance.speechStartSample / SAMPLE_RATE, end: e.utterance.speechEndSample / SAMPLE_RATE });
  }
  return { speech, durationSec: source.format.durationSec, stats: detector.stats };
}

/** Frame-level scores: a frame is speech when its centre lies inside a span. */
function score(truth: Span[], found: Span[], durationSec: number) {
  const inside = (spans: Span[], t: number) => spans.some((s) => t >= s.start && t < s.end);
  let speech = 0, hit = 0, nonSpeech = 0, falseSpeech = 0;
  for (let t = FRAME_SEC / 2; t < durationSec; t += FRAME_SEC) {
    const isSpeech = inside(truth, t), said = inside(found, t);
    if (isSpeech) { speech++; if (said) hit++; } else { nonSpeech++; if (said) falseSpeech++; }
  }
  return { recall: speech ? hit / speech : 1, falseSpeechRate: nonSpeech ? falseSpeech / nonSpeech : 0, speechFrames: speech, nonSpeechFrames: nonSpeech };
}

describe('voice activity detection (Silero v5, real model)', () => {
  type Scored = ReturnType<typeof score> & { speech: Span[]; stats: SileroDetector['stats'] };
  const results = new Map<string, Scored>();

  before(async () => {
    const noise30 = soxFixture('vad-pink-30s.wav', GENERATED, ['synth', '30.0001', 'pinknoise', 'vol', '0.05']);
    const fixtures: [string, string, Span[]][] = [
      ['standup', SAMPLE_WAV, TURNS],
      ['silence', soxFixture('vad-silence-20s.wav', GENERATED, ['trim', '0', '20']), []],
      ['pink noise', soxFixture('vad-pink-0.05.wav', GENERATED, ['synth', '20', 'pinknoise', 'vol', '0.05']), []],
      ['loud pink noise', soxFixture('vad-pink-0.2.wav', GENERATED, ['synth', '20', 'pinknoise', 'vol', '0.2']), []],
      // The standup over pink noise at about 15 dB SNR.
      ['standup over noise', soxFixture('vad-standup-over-noise.wav', ['-m', SAMPLE_WAV, noise30]), TURNS],
    ];
    for (const [name, file, truth] of fixtures) {
      const { speech, durationSec, stats } = await detect(file);
      results.set(name, { ...score(truth, speech, durationSec), speech, stats });
    }
  });

  it('over all fixtures: frame-level speech recall ≥ 0.98 and false-speech rate ≤ 0.02', () => {
    let speech = 0, hit = 0, nonSpeech = 0, falseSpeech = 0;
    for (const [name, r] of results) {
      console.log(`      ${name}: recall ${r.recall.toFixed(3)}, false speech ${r.falseSpeechRate.toFixed(3)} (${r.speechFrames} speech / ${r.nonSpeechFrames} other frames)`);
      speech += r.speechFrames; hit += r.recall * r.speechFrames;
      nonSpeech += r.nonSpeechFrames; falseSpeech += r.falseSpeechRate * r.nonSpeechFrames;
    }
    assert.ok(hit / speech >= 0.98, `recall ${(hit / speech).toFixed(3)}`);
    assert.ok(falseSpeech / nonSpeech <= 0.02, `false-speech rate ${(falseSpeech / nonSpeech).toFixed(3)}`);
  });

  for (const [name, frames] of [['standup', 1], ['standup over noise', 3]] as const) {
    it(`${name}: each turn found once, its start and end within ${frames} frame(s) of the truth`, () => {
      const { speech, recall } = results.get(name)!;
      assert.ok(recall >= 0.98, `recall ${recall.toFixed(3)}`);
      assert.equal(speech.length, TURNS.length, 'one utterance per turn');
      const tolerance = frames * FRAME_SEC + 1e-9;
      speech.forEach((found, i) => {
        assert.ok(Math.abs(found.start - TURNS[i].start) <= tolerance, `turn ${i}: starts at ${TURNS[i].start}, detected ${found.start}`);
        assert.ok(Math.abs(found.end - TURNS[i].end) <= tolerance, `turn ${i}: ends at ${TURNS[i].end}, detected ${found.end}`);
      });
    });
  }

  it('hears nothing in digital silence and no speech in pink noise', () => {
    assert.deepEqual(results.get('silence')!.speech, []);
    for (const name of ['pink noise', 'loud pink noise']) {
      const r = results.get(name)!;
      assert.ok(r.falseSpeechRate <= 0.02, `${name}: false-speech rate ${r.falseSpeechRate.toFixed(3)} (${JSON.stringify(r.speech)})`);
    }
  });

  it('runs the model on only the first 0.5 s of digital silence (the silence gate), and on all of noise', () => {
    const silence = results.get('silence')!.stats;
    assert.ok(silence.frames >= 600, `${silence.frames} frames`);
    // The model hears the first 0.5 s (16 frames) of silence, so its state settles; nothing after that.
    assert.ok(silence.modelRuns <= 16, `${silence.modelRuns} frames of digital silence ran the model`);
    const standup = results.get('standup')!.stats;
    assert.ok(standup.modelRuns > 0 && standup.modelRuns < standup.frames, `standup: ${standup.modelRuns} of ${standup.frames} frames ran the model`);
    const noise = results.get('pink noise')!.stats;
    assert.equal(noise.modelRuns, noise.frames, 'noise above the gate is always scored by the model');
  });

  it('the sensitive profile hears a quiet headset (-30 dB) that the default profile partly misses', async () => {
    const quiet = soxFixture('vad-standup-quiet.wav', [SAMPLE_WAV], ['vol', '-30', 'dB']);
    const sensitive = await detect(quiet, 'sensitive');
    const normal = await detect(quiet, 'default');
    const s = score(TURNS, sensitive.speech, sensitive.durationSec);
    const n = score(TURNS, normal.speech, normal.durationSec);
    console.log(`      quiet headset: sensitive recall ${s.recall.toFixed(3)} false ${s.falseSpeechRate.toFixed(3)}; default recall ${n.recall.toFixed(3)} false ${n.falseSpeechRate.toFixed(3)}`);
    assert.ok(s.recall >= 0.98, `sensitive recall ${s.recall.toFixed(3)}`);
    assert.ok(s.recall >= n.recall, 'sensitive hears at least what the default hears');
    assert.ok(s.falseSpeechRate <= 0.1, `false-speech rate ${s.falseSpeechRate.toFixed(3)}`);
  });

  it('`earshot vad --json` prints the speech segments in seconds', () => {
    const out = execFileSync(process.execPath, [DAEMON_BIN, 'vad', SAMPLE_WAV, '--json'], { encoding: 'utf8' });
    const spans = JSON.parse(out) as Span[];
    assert.equal(spans.length, TURNS.length);
    for (const s of spans) assert.deepEqual(Object.keys(s), ['start', 'end']);
    assert.ok(Math.abs(spans[0].start - TURNS[0].start) < 0.05);
  });
});
