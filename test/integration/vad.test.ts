/**
 * Voice activity detection quality with the real Silero model on onnxruntime-node, as the pipeline runs it
 * (vadConfig: the shipped model, level handling and thresholds).
 * - Synthetic fixtures, scored frame by frame (32 ms) against exact boundaries: the committed espeak-ng standup
 *   (media/sample/standup.json), digital silence, pink noise, the standup over pink noise; targets (issue 3):
 *   speech recall ≥ 0.98, false-speech rate ≤ 0.02, and nothing at all in silence or noise (no decodes).
 * - Real recordings (test/fixtures/real-audio, vad-sets.json: AMI meetings and dictation, human references):
 *   regression floors a little under the figures `npm run eval:vad` measured, and the cross-validated rule itself
 *   (docs/benchmarks/voice-detection.md, "Voice detection chosen by cross-validation").
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { vadConfig } from '../../daemon/vad/config';
import { BEFORE, GRID, gridCandidates, rules, sameSetting, ScoreCache, scoreCandidates } from '../eval/vad/candidates';
import { amiMeetings, quietFixtures, realRecordings, syntheticFixtures, vadRecordings } from '../eval/vad/corpus';
import { choose, crossValidate, groupRecordings } from '../eval/vad/crossval';
import { replay } from '../eval/vad/replay';
import { Detection, detect } from '../eval/vad/run';
import { coverage, falseSpeech, frameRecall, scoreFrames, Span } from '../eval/vad/score';
import { scoreRecordings } from '../eval/vad-eval';
import { DEFAULT_SEGMENTER_OPTIONS } from '../../daemon/vad/segmenter';
import { DAEMON_BIN, SAMPLE_WAV } from '../setup';

const FRAME_SEC = FRAME_SAMPLES / SAMPLE_RATE;

/**
 * Floors on the committed real recordings (vadRecordings(): 20, 111 turns ≥ 1 s, with vad-more/'s six AMI excerpts):
 * `npm run eval:vad` measured coverage 0.982 (109/111), frame recall 0.955, false speech 1.11 % and 90 decodes, none of
 * non-speech, for the default profile (BENCHMARKS.md section 12c). The decode ceiling sits between it and the 94 that
 * speech from 160 ms costs (224 ms: 91).
 */
const REAL_FLOORS = { coverage: 0.97, frameRecall: 0.945, falseSpeechMax: 0.015, decodesMax: 92, nonSpeechDecodesMax: 0 };

describe('voice activity detection (Silero, real model, shipped settings)', () => {
  type Scored = ReturnType<typeof scoreFrames> & Detection;
  const results = new Map<string, Scored>();
  const fixtures = syntheticFixtures();
  const turns = fixtures[0].truth;

  before(async () => {
    for (const { name, file, truth } of fixtures) {
      const d = await detect(file, vadConfig());
      results.set(name, { ...scoreFrames(truth, d.speech, d.durationSec, FRAME_SEC), ...d });
    }
  });

  it('over all synthetic fixtures: frame-level speech recall ≥ 0.98 and false-speech rate ≤ 0.02', () => {
    let speech = 0, hit = 0, nonSpeech = 0, falseFrames = 0;
    for (const [name, r] of results) {
      console.log(`      ${name}: recall ${r.recall.toFixed(3)}, false speech ${r.falseSpeechRate.toFixed(3)} (${r.speechFrames} speech / ${r.nonSpeechFrames} other frames)`);
      speech += r.speechFrames; hit += r.recall * r.speechFrames;
      nonSpeech += r.nonSpeechFrames; falseFrames += r.falseSpeechRate * r.nonSpeechFrames;
    }
    assert.ok(hit / speech >= 0.98, `recall ${(hit / speech).toFixed(3)}`);
    assert.ok(falseFrames / nonSpeech <= 0.02, `false-speech rate ${(falseFrames / nonSpeech).toFixed(3)}`);
  });

  for (const [name, frames] of [['standup', 1], ['standup over noise', 3]] as const) {
    it(`${name}: each turn found once, its start and end within ${frames} frame(s) of the truth`, () => {
      const { speech, recall } = results.get(name)!;
      assert.ok(recall >= 0.98, `recall ${recall.toFixed(3)}`);
      assert.equal(speech.length, turns.length, 'one utterance per turn');
      const tolerance = frames * FRAME_SEC + 1e-9;
      speech.forEach((found, i) => {
        assert.ok(Math.abs(found.start - turns[i].start) <= tolerance, `turn ${i}: starts at ${turns[i].start}, detected ${found.start}`);
        assert.ok(Math.abs(found.end - turns[i].end) <= tolerance, `turn ${i}: ends at ${turns[i].end}, detected ${found.end}`);
      });
    });
  }

  it('passes nothing to the recognizer in digital silence or pink noise (no decodes)', () => {
    for (const name of ['silence', 'pink noise', 'loud pink noise']) {
      assert.deepEqual(results.get(name)!.utterances, [], `${name}: ${JSON.stringify(results.get(name)!.utterances)}`);
    }
  });

  it('runs the model on only the first 0.5 s of digital silence (the silence gate), and on all of noise', () => {
    const silence = results.get('silence')!;
    assert.ok(silence.frames >= 600, `${silence.frames} frames`);
    // The model hears the first 0.5 s (16 frames) of silence, so its state settles; nothing after that.
    assert.ok(silence.modelRuns <= 16, `${silence.modelRuns} frames of digital silence ran the model`);
    const standup = results.get('standup')!;
    assert.ok(standup.modelRuns > 0 && standup.modelRuns < standup.frames, `standup: ${standup.modelRuns} of ${standup.frames} frames ran the model`);
    const noise = results.get('pink noise')!;
    assert.equal(noise.modelRuns, noise.frames, 'noise above the gate is always scored by the model');
  });

  // The standup has 5 s of non-speech between and around its turns: 0.15 is 0.75 s of it, 0.1 s at each edge of a turn.
  it('quiet voices: the standup 30 and 40 dB down is heard (recall ≥ 0.97), false speech ≤ 0.15', async () => {
    for (const { name, file, truth } of quietFixtures()) {
      const d = await detect(file, vadConfig());
      const s = scoreFrames(truth, d.speech, d.durationSec, FRAME_SEC);
      console.log(`      ${name}: recall ${s.recall.toFixed(3)}, false ${s.falseSpeechRate.toFixed(3)}`);
      assert.ok(s.recall >= 0.97, `${name}: recall ${s.recall.toFixed(3)}`);
      assert.ok(s.falseSpeechRate <= 0.15, `${name}: false-speech rate ${s.falseSpeechRate.toFixed(3)}`);
    }
  });

  it(`real recordings: turn coverage ≥ ${REAL_FLOORS.coverage}, frame recall ≥ ${REAL_FLOORS.frameRecall}, false speech ≤ ${REAL_FLOORS.falseSpeechMax}, decodes ≤ ${REAL_FLOORS.decodesMax} (${REAL_FLOORS.nonSpeechDecodesMax} of non-speech); the sensitive profile hears more`, async () => {
    const recordings = vadRecordings();
    const { pooled, perFile } = await scoreRecordings(recordings, vadConfig());
    for (const f of perFile) console.log(`      ${f.name}: ${f.score.covered}/${f.score.turns} turns, recall ${frameRecall(f.score).toFixed(3)}, false ${falseSpeech(f.score).toFixed(4)}`);
    assert.ok(recordings.length >= 20 && pooled.turns >= 111, `${recordings.length} recordings, ${pooled.turns} reference turns`);
    assert.ok(new Set(recordings.map((r) => r.kind)).size >= 2, 'meetings and dictation');
    assert.ok(coverage(pooled) >= REAL_FLOORS.coverage, `coverage ${coverage(pooled).toFixed(3)}; missed ${JSON.stringify(pooled.missed)}`);
    assert.ok(frameRecall(pooled) >= REAL_FLOORS.frameRecall, `frame recall ${frameRecall(pooled).toFixed(3)}`);
    assert.ok(falseSpeech(pooled) <= REAL_FLOORS.falseSpeechMax, `false speech ${falseSpeech(pooled).toFixed(4)}`);
    assert.ok(pooled.utterances <= REAL_FLOORS.decodesMax, `${pooled.utterances} decodes`);
    assert.ok(pooled.nonSpeechUtterances <= REAL_FLOORS.nonSpeechDecodesMax, `${pooled.nonSpeechUtterances} decodes of non-speech`);
    const sensitive = (await scoreRecordings(recordings, vadConfig({ profile: 'sensitive' }))).pooled;
    console.log(`      sensitive: coverage ${coverage(sensitive).toFixed(3)}, recall ${frameRecall(sensitive).toFixed(3)}, false ${falseSpeech(sensitive).toFixed(4)}`);
    assert.ok(coverage(sensitive) >= coverage(pooled), 'sensitive keeps every turn the default keeps');
    assert.ok(frameRecall(sensitive) > frameRecall(pooled), `sensitive frame recall ${frameRecall(sensitive).toFixed(4)} is not above the default's ${frameRecall(pooled).toFixed(4)}`);
    // Measured 3.97 % (AMI trn07/trn08's coughs and thumps): the price of hearing more.
    assert.ok(sensitive.speechHitSec > pooled.speechHitSec && falseSpeech(sensitive) <= 0.045, `sensitive false speech ${falseSpeech(sensitive).toFixed(4)}`);
  });

  it('the cross-validated rule (turns, then fewest decodes, then speech heard): on all recordings and on most folds it picks the shipped default, which holds coverage on the folds it never saw', async function () {
    this.timeout(360_000); // a grid of replays: over 120 s on a loaded machine
    // The grid around the shipped setting (every threshold pair, both front ends; the timings the eval tries too).
    const grid = { ...GRID, hangoverMs: [400], minSpeechMs: [160, 224, 250] };
    // The choice is made on 31 recordings (section 12c), 11 of which cannot be committed (their licences). On the 20
    // committed ones alone the rule takes 0.2/0.2 at 224 ms (one turn more; on all 31 that setting is 0.005 points over
    // the false-speech budget), so the rule is re-run here on the 14 recordings it was first run on, and the floors above
    // hold the shipped default on all 20.
    const recordings = realRecordings();
    const scored = await scoreCandidates(gridCandidates(grid), recordings, new ScoreCache());
    const isShipped = (i: number | undefined) => i !== undefined && sameSetting(scored[i].candidate.config, vadConfig());
    const before = scored.findIndex((c) => sameSetting(c.candidate.config, BEFORE));
    assert.ok(before >= 0, 'the anchor (what ran before) is in the grid');
    const rule = rules(before, scored, vadConfig()).default;
    const groups = groupRecordings(recordings.map((r) => ({ name: r.name, speakers: r.speakers ?? [] })));
    assert.ok(groups.length >= 5, `${groups.length} groups`);
    assert.ok(isShipped(choose(scored, groups.flat(), rule)), `the rule picks ${scored[choose(scored, groups.flat(), rule) ?? 0].name}, not the shipped default`);
    const { folds, pooled } = crossValidate(scored, groups, rule);
    // Chosen on 31 recordings (12 of 15 folds there, section 12c); on these 14 most folds agree.
    const others = folds.filter((f) => !isShipped(f.chosen)).map((f) => `holding out ${f.heldOut.map((i) => recordings[i].name)}: ${f.chosen === undefined ? 'nothing' : scored[f.chosen].name}`);
    assert.ok(others.length <= folds.length / 3, `${others.length} of ${folds.length} folds pick another setting: ${others.join('; ')}`);
    assert.ok(pooled && coverage(pooled) >= REAL_FLOORS.coverage && falseSpeech(pooled) <= REAL_FLOORS.falseSpeechMax, `held out: ${JSON.stringify(pooled)}`);
  });

  it('the eval\'s replay of stored frame scores gives exactly the utterances a session cuts', async () => {
    for (const r of vadRecordings().filter((x) => ['trn01', 'mfa_cold_corpus3', 'trn07'].includes(x.name))) {
      for (const config of [vadConfig(), vadConfig({ profile: 'sensitive' }), { ...vadConfig(), segmenter: { ...DEFAULT_SEGMENTER_OPTIONS, onThreshold: 0.5, offThreshold: 0.3, minSpeechMs: 160 } }]) {
        const live = await detect(r.file, config);
        const replayed = await replay(await new ScoreCache().get(r.file, config), config.segmenter);
        assert.ok(live.utterances.length > 0);
        assert.deepEqual(replayed.utterances, live.utterances, r.name);
        assert.deepEqual(replayed.speech, live.speech, r.name);
      }
    }
  });

  it('a turn still in progress when the recording ends reaches the recognizer (AMI trn01: laughter to the end)', async () => {
    const trn01 = amiMeetings().find((m) => m.name === 'trn01')!;
    const d = await detect(trn01.file, vadConfig());
    const last = d.utterances[d.utterances.length - 1];
    assert.ok(last, 'no utterance at all');
    assert.ok(Math.abs(last.end - d.durationSec) < 0.033, `the last utterance ends at ${last.end}, the file at ${d.durationSec}`);
    assert.ok(last.start < 29.2, `it starts at ${last.start}`);
  });

  it('`earshot vad --json` prints the spans the recognizer gets (pre-roll and hangover included) and the speech in them', async () => {
    const out = execFileSync(process.execPath, [DAEMON_BIN, 'vad', SAMPLE_WAV, '--json'], { encoding: 'utf8' });
    const spans = JSON.parse(out) as (Span & { speechStart: number; speechEnd: number })[];
    const expected = await detect(SAMPLE_WAV, vadConfig());
    assert.equal(spans.length, turns.length);
    spans.forEach((s, i) => {
      assert.deepEqual(Object.keys(s), ['start', 'end', 'speechStart', 'speechEnd']);
      assert.ok(Math.abs(s.start - expected.utterances[i].start) < 0.002 && Math.abs(s.end - expected.utterances[i].end) < 0.002, `span ${i}: ${JSON.stringify(s)}`);
      assert.ok(s.start < s.speechStart && s.speechEnd < s.end, `pre-roll and hangover around the speech: ${JSON.stringify(s)}`);
    });
    assert.ok(Math.abs(spans[0].speechStart - turns[0].start) < 0.07);
    const sensitive = JSON.parse(execFileSync(process.execPath, [DAEMON_BIN, 'vad', amiMeetings()[2].file, '--json', '--profile', 'sensitive'], { encoding: 'utf8' })) as Span[];
    const normal = JSON.parse(execFileSync(process.execPath, [DAEMON_BIN, 'vad', amiMeetings()[2].file, '--json'], { encoding: 'utf8' })) as Span[];
    const total = (x: Span[]) => x.reduce((t, s) => t + s.end - s.start, 0);
    assert.ok(total(sensitive) > total(normal), `--profile sensitive passes more of a real meeting: ${total(sensitive)} vs ${total(normal)} s`);
  });
});
