/**
 * The labelled meeting fixtures (test/fixtures/meetings, the clean set; test/fixtures/real-meetings, the real set)
 * are consistent: both input formats parse to the same turns, every label points at a real turn and names real
 * people, dates are real dates. The scores are a measurement (`npm run eval:notes`); CI's floors on them are in
 * notes-quality.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SpokenLine } from '../../daemon/understanding/extract';
import { SECOND_LABELLER_DIR } from '../eval/notes-agreement';
import { loadMeetings, MeetingLabels, overlap, readTurns, SETS } from '../eval/notes-eval';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T12:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** What each set is: the clean set's short written meetings, the real set's whole recorded ones. */
const SHAPE = {
  clean: { meetings: 12, turns: [25, 60], speakers: [3, 6] },
  real: { meetings: 32, turns: [100, 1200], speakers: [3, 9] },
} as const;

/** The checks every labels file passes: real turns, real people, real dates, words of its own turns. */
function labelChecks(labels: MeetingLabels, jsonl: SpokenLine[], speakers: Set<string | null>, setName: keyof typeof SETS): void {
  it('has a valid meeting date and participants', () => {
    assert.ok(validDate(labels.meetingDate), labels.meetingDate);
    if (labels.participants) assert.deepEqual(new Set(labels.participants), speakers);
    for (const [event, date] of Object.entries(labels.events ?? {})) assert.ok(validDate(date), `${event}: ${date}`);
  });

  it('labels real turns, real owners and real dates', () => {
    const turnOk = (t: number) => Number.isInteger(t) && t >= 0 && t < jsonl.length;
    for (const item of labels.actionItems) {
      assert.ok(turnOk(item.turn), `action item turn ${item.turn}`);
      assert.ok(speakers.has(jsonl[item.turn].speaker), `speaker of turn ${item.turn}`);
      for (const t of item.mentions ?? []) assert.ok(turnOk(t), `mention turn ${t}`);
      assert.ok(item.owner === null || speakers.has(item.owner), `owner ${item.owner} of "${item.text}" is a participant`);
      assert.ok(item.due === null || validDate(item.due), `due ${item.due}`);
      assert.ok(item.due === null || item.due >= labels.meetingDate, `due ${item.due} is not before the meeting`);
      assert.ok(item.text.trim().length > 0);
    }
    for (const d of labels.decisions) {
      assert.ok(turnOk(d.turn), `decision turn ${d.turn}`);
      assert.ok(['decision', 'deferral', 'negative'].includes(d.kind), d.kind);
      assert.ok(d.text.trim().length > 0);
    }
    for (const q of labels.questions ?? []) assert.ok(turnOk(q.turn), `question turn ${q.turn}`);
    for (const x of labels.distractors ?? []) assert.ok(turnOk(x.turn), `distractor turn ${x.turn}`);
  });

  it('states each action item and decision in the words of its turns', () => {
    // The label's text shares words with the turns it is anchored to (±1, real meetings ±2): a mislabelled turn shows up here.
    for (const l of [...labels.actionItems, ...labels.decisions]) {
      const turns = [l.turn, ...(('mentions' in l && l.mentions) || [])];
      // Real talk is cut by interjections ("Ja.") between a proposal and "we should go for that": ±2 turns there.
      const reach = setName === 'real' ? 2 : 1;
      const near = turns.flatMap((t) => Array.from({ length: 2 * reach + 1 }, (_, k) => t - reach + k)).filter((t) => t >= 0 && t < jsonl.length);
      const text = near.map((t) => jsonl[t].text).join(' ');
      assert.ok(overlap(l.text, text).shared >= 1, `"${l.text}" at turn ${l.turn} shares no word with its turns`);
    }
  });
}

for (const [setName, set] of Object.entries(SETS) as [keyof typeof SETS, (typeof SETS)[keyof typeof SETS]][]) describe(`Notes eval fixtures: ${setName} set`, () => {
  const meetings = loadMeetings(set.dir);
  const shape = SHAPE[setName];

  it(`has at least ${shape.meetings} meetings, each in both formats`, () => {
    assert.ok(meetings.length >= shape.meetings, `${meetings.length} meetings in ${set.dir}`);
    for (const m of meetings) {
      assert.ok(fs.existsSync(m.jsonlPath), `${m.name}.jsonl`);
      assert.ok(fs.existsSync(m.txtPath), `${m.name}.txt`);
    }
  });

  if (setName === 'real') {
    it('has both AMI product meetings and ICSI research meetings, from QMSum train/val only, with enough labels', () => {
      const sources = meetings.map((m) => m.labels.source ?? '');
      assert.ok(sources.filter((s) => /\bAMI\b/.test(s)).length >= 4, sources.join('; '));
      assert.ok(sources.filter((s) => /\bICSI\b/.test(s)).length >= 4, sources.join('; '));
      for (const s of sources) assert.match(s, /^QMSum (train|val) /, 'the test split is kept aside');
      const items = meetings.reduce((n, m) => n + m.labels.actionItems.length, 0);
      const decisions = meetings.reduce((n, m) => n + m.labels.decisions.length, 0);
      assert.ok(items >= 40 && decisions >= 30, `${items} action items, ${decisions} decisions`);
    });
  }

  for (const m of meetings) {
    describe(m.name, () => {
      const jsonl = readTurns(m.jsonlPath);
      const txt = readTurns(m.txtPath);
      const speakers = new Set(jsonl.map((l) => l.speaker));

      it('parses to the same turns in both formats, with increasing times', () => {
        assert.deepEqual(txt.map((l) => [l.speaker, l.text]), jsonl.map((l) => [l.speaker, l.text]));
        assert.ok(jsonl.length >= shape.turns[0] && jsonl.length <= shape.turns[1], `${jsonl.length} turns`);
        assert.ok(speakers.size >= shape.speakers[0] && speakers.size <= shape.speakers[1], `${speakers.size} speakers`);
        assert.ok(jsonl.every((l) => typeof l.speaker === 'string' && l.speaker.length > 0), 'every turn has a speaker');
        for (let i = 1; i < jsonl.length; i++) {
          assert.ok((jsonl[i].t0 ?? -1) > (jsonl[i - 1].t0 ?? Infinity), `t0 increases at turn ${i}`);
        }
        const raw = fs.readFileSync(m.jsonlPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t0: number; t1: number });
        assert.ok(raw.every((r) => r.t1 > r.t0), 't1 after t0');
      });

      labelChecks(m.labels, jsonl, speakers, setName);
      const second = path.join(SECOND_LABELLER_DIR, `${m.name}.labels.json`);
      if (setName === 'real' && fs.existsSync(second)) {
        describe('second labeller', () => labelChecks(JSON.parse(fs.readFileSync(second, 'utf8')) as MeetingLabels, jsonl, speakers, setName));
      }

      // The real set is measured as a whole (above): some real meetings hand out no work at all.
      if (setName === 'clean') it('has enough to measure', () => {
        assert.ok(m.labels.actionItems.length >= 5, `${m.labels.actionItems.length} action items`);
        assert.ok(m.labels.decisions.length >= 3, `${m.labels.decisions.length} decisions`);
      });
    });
  }
});
