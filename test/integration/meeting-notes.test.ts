/**
 * A meeting recording through the whole session, as far as it can run here: spoken audio (espeak-ng, one sentence per
 * turn, pauses between turns) → real Silero VAD and segmenter → recognizer → journal → live extraction → notes file.
 * Whisper itself cannot produce these words here (the project's test models have random weights), so the decoder is a
 * script that answers each utterance with the sentence spoken in it; everything around it is the product's own code.
 * The notes must hold the meeting's action items (with due dates) and decisions (with their kinds), and the exports
 * must carry the same transcript.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionItem, Decision, SummaryParams } from '../../protocol/protocol';
import { BATCH_STREAMING_OPTIONS } from '../../daemon/asr/streaming';
import { FileSource } from '../../daemon/capture/source';
import { readJournal } from '../../daemon/journal/journal';
import { exportSession, parseExport } from '../../daemon/documents/export';
import { Session } from '../../daemon/session/session';
import { createSpeechDetector, vadConfig } from '../../daemon/vad/config';
import { FakeDecoder } from '../unit/fakes';
import { NO_SUMMARY } from '../../daemon/documents/summarySection';

/** The meeting, one sentence per turn (no commas: a long pause inside a turn could split it into two utterances). */
const TURNS = [
  'Good morning everyone and welcome to the payments standup.',
  'I will fix the login timeout by Friday.',
  'We decided to ship version two on Monday.',
  'We are not adding a feature flag for this release.',
  'I fixed the flaky checkout test yesterday.',
  'I will update the deployment runbook by the end of the week.',
  'Thanks everyone and see you tomorrow.',
];

describe('a meeting recording through the session: VAD, journal, live extraction, notes and exports', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-meeting-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ends with notes holding the items with due dates and the decisions with kinds; exports carry the transcript', async () => {
    // The recording: each turn spoken, 1.2 s of digital silence between turns.
    const parts: string[] = [];
    const gap = path.join(dir, 'gap.wav');
    execFileSync('sox', ['-R', '-D', '-n', '-r', '16000', '-c', '1', '-b', '16', gap, 'trim', '0', '1.2']);
    TURNS.forEach((text, i) => {
      const raw = path.join(dir, `t${i}.raw.wav`), wav = path.join(dir, `t${i}.wav`);
      execFileSync('espeak-ng', ['-v', i % 2 ? 'en-us+m3' : 'en-gb+f3', '-s', '165', '-w', raw, text]);
      execFileSync('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', wav]);
      parts.push(gap, wav);
    });
    const recording = path.join(dir, 'meeting.wav');
    execFileSync('sox', ['-R', ...parts, gap, recording]);

    const decoder = new FakeDecoder((_r, call) => TURNS[call] ?? '');
    const items = new Map<string, ActionItem>(), decisions = new Map<string, Decision>();
    const summaries: SummaryParams[] = [];
    const startedAt = new Date(2025, 2, 5, 9, 0); // a Wednesday
    const session = await Session.start({
      sessionId: 'meeting-test', title: 'Payments standup', language: 'en', startedAt,
      sources: [await FileSource.open(recording, { pace: 'fast', speaker: 'Speaker' })],
      journalPath: path.join(dir, 'sessions', 'meeting-test.jsonl'), notesPath: path.join(dir, 'notes', 'standup.md'),
      decoder, createDetector: () => createSpeechDetector(vadConfig()), segmenter: vadConfig().segmenter, streaming: BATCH_STREAMING_OPTIONS, audioFile: recording,
    }, {
      transcript: () => undefined, state: () => undefined,
      actionItem: (i) => items.set(i.id, i), decision: (d) => decisions.set(d.id, d), summary: (s) => summaries.push(s),
    });
    const result = await session.done();

    // Real VAD found each turn once: the script answered every utterance with its own sentence.
    assert.equal(decoder.requests.length, TURNS.length, `${decoder.requests.length} utterances for ${TURNS.length} turns`);
    assert.deepEqual(result.segments.map((s) => s.text), TURNS);

    const live = [...items.values()].filter((i) => !i.removed);
    assert.deepEqual(live.map((i) => [i.text, i.due]).sort(), [
      ['I will fix the login timeout by Friday.', '2025-03-07'],
      ['I will update the deployment runbook by the end of the week.', '2025-03-07'],
    ], JSON.stringify(live));
    assert.deepEqual([...decisions.values()].filter((d) => !d.removed).map((d) => d.kind).sort(), ['decision', 'negative'],
      JSON.stringify([...decisions.values()]));

    const notes = fs.readFileSync(result.notesPath, 'utf8');
    assert.match(notes, /- \[ \] I will fix the login timeout by Friday\. — @Speaker, due 2025-03-07/);
    assert.match(notes, /- \[ \] I will update the deployment runbook by the end of the week\. — @Speaker, due 2025-03-07/);
    assert.match(notes, /We decided to ship version two on Monday\./);
    assert.match(notes, /\*\*Not doing:\*\* We are not adding a feature flag/);
    assert.ok(!/\[ \] I fixed the flaky checkout test/.test(notes), 'a status report of work done is not an action item');
    // No model: the Summary says there is none, and the client is told the same (no bullets) at stop.
    assert.ok(notes.includes(`## Summary\n\n${NO_SUMMARY}\n`), notes);
    const final = summaries[summaries.length - 1];
    assert.ok(final?.final, JSON.stringify(summaries));
    assert.deepEqual(final.bullets, []);

    const journal = await readJournal(result.journalPath);
    for (const format of ['srt', 'vtt', 'txt', 'json'] as const) {
      assert.deepEqual(parseExport(exportSession(journal, format), format).map((s) => s.text), TURNS, format);
    }
  });
});
