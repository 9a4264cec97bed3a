/**
 * The scorer experiment (test/eval/notes-scorer.ts): the regression learns and is deterministic, AUC is right with
 * ties, a turn's features carry its context and the rules' finds, the silver set never contains a real-set meeting,
 * and missing transcripts are a clear error.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auc, Example, examples, train, turnFeatures } from '../eval/notes-scorer';
import { loadMeetings, loadSilver, MeetingLabels, meetingDateOf, MEETINGS_DIR, readTurns, REAL_MEETINGS_DIR, SILVER_DIR } from '../eval/notes-eval';

describe('notes scorer experiment (notes-scorer)', () => {
  it("a turn's features: its words, its length, its neighbours' words and speakers, and what the rules found around it", () => {
    const lines = [
      { speaker: 'A', text: 'Could you send me the numbers?' },
      { speaker: 'B', text: 'Um, yeah, I I will send them tomorrow.' },
      { speaker: 'B', text: 'And that is all.' },
    ];
    const f = turnFeatures(lines, [{ item: false, decision: undefined }, { item: true, decision: undefined }, { item: false, decision: 'decision' }], 1);
    for (const x of ['u:i', 'u:will', 'u:send', 'u:tomorrow', 'len:6-10', 'p:could', 'p:?', 'p:other-speaker', 'n:same-speaker', 'n:rule-decision', 'r:item']) assert.ok(f.includes(x), x);
    assert.ok(!f.includes('u:um'), 'fillers are cleaned away');
    assert.ok(!f.some((x) => x.startsWith('r:decision')));
    assert.ok(turnFeatures(lines, [], 0).includes('p:none'));
  });

  it('AUC: 1 when the labelled rank first, 0.5 when every score ties, 0 when reversed', () => {
    const data: Example[] = [
      { features: ['a'], item: true, decision: false },
      { features: ['b'], item: false, decision: false },
      { features: ['b'], item: false, decision: true },
    ];
    assert.equal(auc(data, { bias: 0, weights: { a: 2, b: -1 } }, 'item'), 1);
    assert.equal(auc(data, { bias: 0, weights: {} }, 'item'), 0.5);
    assert.equal(auc(data, { bias: 0, weights: { a: -2, b: 1 } }, 'item'), 0);
    assert.ok(Number.isNaN(auc(data.slice(1, 2), { bias: 0, weights: {} }, 'item')), 'no labelled turn: undefined');
  });

  it('learns a separable set, the same way every time', () => {
    const data: Example[] = [];
    for (let i = 0; i < 200; i++) data.push({ features: [i % 10 === 0 ? 'u:send' : 'u:think', `u:w${i % 7}`], item: i % 10 === 0, decision: false });
    const once = train(data, 'item');
    assert.ok(once.weights['u:send'] > 0 && once.weights['u:think'] < 0);
    assert.equal(auc(data, once, 'item'), 1);
    assert.deepEqual(train(data, 'item'), once);
  });

  it('one example per turn, labelled at anchors and mentions (items) and anchors (decisions)', () => {
    const m = loadMeetings(MEETINGS_DIR)[0];
    const lines = readTurns(m.txtPath);
    const labels: MeetingLabels = { ...m.labels, actionItems: [{ ...m.labels.actionItems[0], turn: 1, mentions: [3] }], decisions: [{ turn: 2, text: 'x', kind: 'decision' }] };
    const ex = examples({ name: m.name, labels, lines, date: meetingDateOf(labels) });
    assert.equal(ex.length, lines.length);
    assert.deepEqual(ex.map((e, i) => (e.item ? i : -1)).filter((i) => i >= 0), [1, 3]);
    assert.deepEqual(ex.map((e, i) => (e.decision ? i : -1)).filter((i) => i >= 0), [2]);
  });

  it('the silver set: QMSum train/val meetings only, none of the real set, labels well formed', () => {
    const real = new Set(loadMeetings(REAL_MEETINGS_DIR).map((m) => m.name));
    const files = fs.readdirSync(SILVER_DIR).filter((f) => f.endsWith('.labels.json'));
    assert.equal(files.length, 135);
    const silver = loadSilver();
    for (const f of files) {
      const name = f.slice(0, -'.labels.json'.length);
      const l = JSON.parse(fs.readFileSync(path.join(SILVER_DIR, f), 'utf8')) as MeetingLabels & { source: string; participants: string[] };
      assert.ok(!real.has(name), `${name} is in the real set`);
      assert.match(l.source, new RegExp(`^QMSum (train|val) ${name} \\((AMI|ICSI) Meeting Corpus\\)$`), name);
      const turns = readTurns(silver.find((m) => m.name === name)!.txtPath);
      assert.deepEqual([...new Set(turns.map((t) => t.speaker))].sort(), [...l.participants].sort(), `${name}: participants are the transcript's speakers`);
      const inRange = (t: number) => Number.isInteger(t) && t >= 0 && t < turns.length;
      for (const i of l.actionItems) {
        assert.ok(inRange(i.turn) && (i.mentions ?? []).every(inRange) && i.text.trim(), `${name} item at ${i.turn}`);
        assert.ok(i.owner === null || l.participants.includes(i.owner), `${name}: owner ${i.owner} is a participant`);
      }
      for (const d of l.decisions) assert.ok(inRange(d.turn) && ['decision', 'deferral', 'negative'].includes(d.kind), `${name} decision at ${d.turn}`);
    }
  });

  it('refuses to train on a real-set meeting, and says which transcript is missing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-silver-'));
    try {
      fs.copyFileSync(path.join(SILVER_DIR, 'Bro021.labels.json'), path.join(dir, 'Bro021.labels.json'));
      assert.throws(() => loadSilver(dir, dir), /no transcript .*Bro021\.txt for Bro021\.labels\.json \(scripts\/qmsum-meeting\.js makes one from QMSum\)/);
      fs.copyFileSync(path.join(REAL_MEETINGS_DIR, 'ES2002a.labels.json'), path.join(dir, 'ES2002a.labels.json'));
      assert.throws(() => loadSilver(dir, dir), /ES2002a is a meeting of the real set: the silver set must stay apart from it/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
