/**
 * The language-model quality harness (test/eval/model-notes-eval.ts): prompts recorded and answers replayed exactly,
 * a changed prompt refused, and a meeting run through the CLI's own model extraction with a scripted model whose
 * dismissals and additions are scored as the harness says.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Chat } from '../../daemon/understanding/providers';
import { judgeDismissals, nextPromptChat, recordingChat, replayingChat, runMeeting, withSpeakingTimes } from '../eval/model-notes-eval';
import { measureSummary, summaryReport } from '../eval/model-summary-eval';
import { parseRepeats, readRepeats, writeDuplicatesPrompt } from '../eval/duplicates';
import { evaluate, labelsAsPredictions, loadMeetings, readTurns, REAL_MEETINGS_DIR, SETS, silverHeldOut } from '../eval/notes-eval';

const signal = new AbortController().signal;

describe('language-model quality harness (model-notes-eval)', () => {
  it('repeats in the final lists (issue 56): a judge\'s answer read strictly, and a list that changed is not judged', () => {
    const lists = { decisions: [{ text: 'Teletext is out', standing: 'decided' }, { text: 'No DVD', standing: 'decided' }, { text: 'No teletext', standing: 'decided' }],
      actionItems: [{ text: 'Draw the case', owner: 'Ben' }, { text: 'Sketch the case', owner: null }] };
    const refused: string[] = [];
    assert.deepEqual(parseRepeats(JSON.stringify({ repeats: [
      { entry: 'D3', repeats: 'D1' }, { entry: 'A2', repeats: 'A1' }, { entry: 'D1', repeats: 'D3' }, { entry: 'D3', repeats: 'D2' },
      { entry: 'A2', repeats: 'D1' }, { entry: 'D9', repeats: 'D1' }, null,
    ] }), lists, refused), [{ entry: 'D3', repeats: 'D1' }, { entry: 'A2', repeats: 'A1' }]);
    assert.equal(refused.length, 5);
    assert.equal(parseRepeats('no json', lists), null);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-repeats-'));
    try {
      assert.match(String(readRepeats(dir, 'M', lists)), /not judged/);
      writeDuplicatesPrompt(dir, 'M', lists);
      assert.equal(readRepeats(dir, 'M', lists), 'not judged (no answer)');
      fs.writeFileSync(path.join(dir, 'M.duplicates.answer.txt'), '{"repeats": [{"entry": "D3", "repeats": "D1"}]}');
      assert.deepEqual(readRepeats(dir, 'M', lists), { decisions: 1, actionItems: 0 });
      assert.equal(readRepeats(dir, 'M', { ...lists, decisions: lists.decisions.slice(0, 2) }), 'not judged (the lists changed since the prompt was written)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--prompts (v7, issue 56): replays answered parts, writes the first unanswered prompt, and asks nothing after it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-v7-'));
    const signal = new AbortController().signal;
    try {
      const first = nextPromptChat(dir);
      await assert.rejects(first('S', 'Part 1 of 2.', signal), /waiting for an answer to part-1/);
      await assert.rejects(first('S', 'Part 2 of 2.', signal), /waiting for an answer to part-1/);
      assert.equal(first.pending(), 'part-1');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['part-1.prompt.sha256', 'part-1.prompt.txt']);
      assert.equal(fs.readFileSync(path.join(dir, 'part-1.prompt.txt'), 'utf8'), 'S\n\nPart 1 of 2.\n');
      fs.writeFileSync(path.join(dir, 'part-1.answer.txt'), '{"decisions": []}');
      const second = nextPromptChat(dir);
      assert.deepEqual(await second('S', 'Part 1 of 2.', signal), { text: '{"decisions": []}', model: 'recorded answers' });
      await assert.rejects(second('S', 'Part 2 of 2.', signal), /part-2/);
      assert.equal(second.pending(), 'part-2');
      // The first prompt changed (the prompt or the rules did): written again, its old answer removed.
      const third = nextPromptChat(dir);
      await assert.rejects(third('S2', 'Part 1 of 2.', signal), /part-1/);
      assert.ok(!fs.existsSync(path.join(dir, 'part-1.answer.txt')));
      assert.equal(fs.readFileSync(path.join(dir, 'part-1.prompt.txt'), 'utf8'), 'S2\n\nPart 1 of 2.\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-model-eval-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('records each prompt by its part, replays the answer written beside it, and refuses a prompt that changed', async () => {
    const user = 'Meeting: Transcript\nDate: 2024-01-15\nPart 2 of 3.\n\nTranscript:\n[l-1] 00:00 A: hello';
    assert.deepEqual(await recordingChat(dir)('the system', user, signal), { text: '', model: 'recorder' });
    assert.equal(fs.readFileSync(path.join(dir, 'part-2.prompt.txt'), 'utf8'), `the system\n\n${user}\n`);
    assert.match(fs.readFileSync(path.join(dir, 'part-2.prompt.sha256'), 'utf8'), /^[0-9a-f]{64}\n$/);
    fs.rmSync(path.join(dir, 'part-2.prompt.txt')); // the hash alone is enough to replay
    assert.equal((await replayingChat(dir)('the system', user, signal)).text, '', 'no answer written: a chunk without an answer');
    fs.writeFileSync(path.join(dir, 'part-2.answer.txt'), '{"actionItems":[],"decisions":[],"dismiss":[]}');
    assert.equal((await replayingChat(dir)('the system', user, signal)).text, '{"actionItems":[],"decisions":[],"dismiss":[]}');
    await assert.rejects(replayingChat(dir)('another system', user, signal), /part-2\.prompt\.sha256: the prompt is not the one the answer was written for/);
    await assert.rejects(replayingChat(dir)('the system', user.replace('Part 2', 'Part 3'), signal), /part-3\.prompt\.sha256: no recorded prompt/);
    await assert.rejects(recordingChat(dir)('s', 'no part here', signal), /without "Part k of n\."/);
  });

  it('measures the rolling summary where a model answers: parsed answers, cites that name an offered line, final points', async () => {
    const lines = Array.from({ length: 240 }, (_, k) => ({ segmentId: `l-${k + 1}`, speaker: 'A', t0: k, text: `Line ${k + 1} of a long discussion about the plan and the budget.` }));
    let call = 0;
    // First answer: one real cite and one invented; then one not JSON (asked again); then a point per call.
    const chat: Chat = async (_system, user) => {
      call++;
      const ids = [...user.matchAll(/^\[(l-\d+)\]/gm)].map((m) => m[1]);
      if (call === 1) return { text: JSON.stringify({ points: [{ text: 'P1', cites: [ids[0], 'l-999'] }] }), model: 'm' };
      if (call === 2) return { text: 'no json', model: 'm' };
      return { text: JSON.stringify({ points: [{ text: `P${call}`, cites: [ids[0]] }, { text: 'Kept', cites: [ids[ids.length - 1]] }] }), model: 'm' };
    };
    const into = { calls: 0, parsed: 0, cites: 0, realCites: 0, finalPoints: [] as number[] };
    await measureSummary(lines, { title: 'T', date: '2024-01-15' }, chat, into);
    assert.ok(into.calls >= 3, `${into.calls} calls`);
    assert.equal(into.parsed, into.calls - 1, 'the answer that was not JSON did not parse');
    assert.equal(into.cites, 2 + 2 * (into.calls - 2));
    assert.equal(into.realCites, into.cites - 1, 'the invented cite is not a line the prompt offered');
    assert.deepEqual(into.finalPoints, [2]);
    assert.match(summaryReport(into).join('\n'), new RegExp(`${into.realCites} of ${into.cites} cites name a line the prompt offered`));
    assert.match(summaryReport(undefined).join('\n'), /Rolling summary: not measured\. The recorded answers hold none for the summary prompt/);
  });

  it("times a transcript read without them as qmsum-meeting.js times its .jsonl, so a prompt is the .jsonl's", () => {
    for (const m of loadMeetings(REAL_MEETINGS_DIR).slice(0, 4)) {
      const fromTxt = readTurns(m.txtPath);
      assert.ok(fromTxt.every((l) => l.t0 === null));
      assert.deepEqual(withSpeakingTimes(fromTxt).map((l) => [l.t0, l.speaker, l.text]), readTurns(m.jsonlPath).map((l) => [l.t0, l.speaker, l.text]), m.name);
    }
    const timed = [{ speaker: 'A', text: 'hi', t0: 5 }];
    assert.equal(withSpeakingTimes(timed), timed, 'turns with times keep them');
  });

  it("the silver set's held-out part is every third meeting in name order", () => {
    assert.deepEqual(silverHeldOut(['a', 'b', 'c', 'd', 'e', 'f', 'g']), ['a', 'd', 'g']);
  });

  it('says why calls failed: a stale recorded answer is reported, not silently a chunk without an answer', async () => {
    const meeting = loadMeetings(REAL_MEETINGS_DIR).find((m) => m.name === 'ES2002a')!;
    await runMeeting(meeting, recordingChat(dir));
    const first = path.join(dir, 'part-1.prompt.sha256');
    fs.writeFileSync(first, `${'0'.repeat(64)}\n`);
    const run = await runMeeting(meeting, replayingChat(dir));
    assert.equal(run.errors.length, 1);
    assert.match(run.errors[0], /part-1\.prompt\.sha256: the prompt is not the one the answer was written for/);
  });

  it('scores decisions with their standing: a match counts there only when the standing is the label\'s (a label without one reads it from its kind)', async () => {
    const meeting = loadMeetings(REAL_MEETINGS_DIR).find((m) => m.labels.decisions.length >= 3)!;
    const decisions = meeting.labels.decisions;
    assert.ok(decisions.length >= 3);
    // Labels: the first a given; the others as written (no standing). Predictions: the labels themselves, the first
    // given the standing decided, the second's kind (hence standing) swapped, and one false find of a given.
    const labelled = { ...meeting, labels: { ...meeting.labels, decisions: decisions.map((d, k) => (k === 0 ? { ...d, standing: 'given' as const } : d)) } };
    const predicted = labelsAsPredictions(meeting.labels);
    predicted.decisions = [
      ...predicted.decisions.map((d, k) => (k === 0 ? { ...d, standing: 'decided' } : k === 1 ? { ...d, kind: d.kind === 'deferral' ? 'decision' : 'deferral', standing: undefined } : d)),
      { turn: 0, text: 'zzz qqq', kind: 'decision', standing: 'given' },
    ];
    const { overall, byCategory, findings } = await evaluate([labelled], SETS.real.targets, () => predicted);
    const n = decisions.length;
    assert.equal(overall.decisions.recall, 1);
    assert.equal(overall.decisions.standingRecall, (n - 2) / n);
    assert.equal(overall.decisions.standingPrecision, (n - 2) / (n + 1));
    assert.equal(findings.filter((f) => f.error === 'wrong standing').length, 2);
    assert.deepEqual(byCategory.decisionsByStanding.given, { labelled: 1, matched: 1, standingRight: 0, predicted: 1, recall: 1, standingRecall: 0 });
  });

  it("runs a real meeting through the CLI's model extraction: dismissals, additions and their judging", async () => {
    const meeting = loadMeetings(REAL_MEETINGS_DIR).find((m) => m.name === 'ES2002a')!;
    // A scripted model: dismisses every rule item it is shown, adds one item on the first line of each part.
    const chat: Chat = async (_system, user) => {
      const ids = [...user.matchAll(/^\[(l-\d+)\]/gm)].map((m) => m[1]);
      const shown = JSON.parse(/Already extracted by rules \(JSON\):\n(.*)\n/.exec(user)![1]) as { id: string }[];
      return {
        text: JSON.stringify({
          actionItems: [{ text: `Scripted follow-up on ${ids[0]}`, owner: null, due: null, segments: [ids[0]] }],
          decisions: [],
          dismiss: shown.map((s) => ({ id: s.id, reason: 'scripted' })),
        }),
        model: 'scripted',
      };
    };
    const run = await runMeeting(meeting, chat);
    assert.deepEqual(run.errors, []);
    const rules = await evaluate([meeting], SETS.real.targets);
    const ruleFinds = rules.overall.actionItems.predicted + rules.overall.decisions.predicted;
    assert.ok(ruleFinds > 0, 'the rules find something in ES2002a');
    assert.equal(run.dismissed.length, ruleFinds, 'every rule item dismissed');
    assert.ok(run.dismissed.every((d) => d.turn >= 0), 'each dismissed item placed on its turn');
    assert.equal(run.predictions.decisions.length, 0);
    assert.ok(run.predictions.actionItems.length >= 1 && run.predictions.actionItems.every((i) => /^Scripted follow-up on l-\d+$/.test(i.text)));
    assert.deepEqual(run.predictions.actionItems.map((i) => i.turn), run.predictions.actionItems.map((i) => Number(/l-(\d+)$/.exec(i.text)![1]) - 1), 'placed on the cited line');
    const judged = judgeDismissals([run], (m) => m.labels);
    assert.equal(judged.wrong, rules.overall.actionItems.matched + rules.overall.decisions.matched, 'dismissed items a labeller had are the rules\' matched ones');
    assert.equal(judged.right + judged.wrong, ruleFinds);
  });
});
