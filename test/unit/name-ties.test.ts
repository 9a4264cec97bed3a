/**
 * Owners from names (issue 56): speakers/nameTies.ts ties a name to the voice the meeting shows it belongs to, and the
 * merge of chunk answers (chunkMerge.ts: reduceChunks) gives an item for that name to that voice. The lines are in the
 * shape of the real AMI meetings (ES2002a's introductions; "David Jordan, save your presentations…" from the meeting the
 * issue measured).
 */
import * as assert from 'node:assert/strict';
import { NameTies, TieLine } from '../../daemon/speakers/nameTies';
import { notedBefore, reduceChunks } from '../../daemon/understanding/chunkMerge';
import type { ModelChunk } from '../../daemon/understanding/modelExtract';
import { ChunkExtraction } from '../../protocol/protocol';
import { renderNotes } from '../../daemon/documents/markdown';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';

const PM = 'Project Manager', ID = 'Industrial Designer', UI = 'User Interface', ME = 'Marketing';
const INTRODUCTIONS: TieLine[] = [
  { speaker: PM, text: "I'm Laura and I'm the project manager. Do you want to introduce yourself again?" },
  { speaker: ID, text: "Hi, I'm David and I'm supposed to be an industrial designer." },
  { speaker: ME, text: "And I'm Andrew and I'm uh our marketing" },
  { speaker: UI, text: "Um I'm Craig and I'm User Interface." },
];

describe('owners from names (speakers/nameTies.ts, issue 56)', () => {
  it('ties each introduced name to the voice that said it, never a role word said the same way', () => {
    const ties = NameTies.of(INTRODUCTIONS);
    assert.equal(ties.speakerOf('David'), ID);
    assert.equal(ties.speakerOf('laura'), PM);
    assert.equal(ties.speakerOf('Craig'), UI);
    assert.equal(ties.speakerOf('User'), undefined, '"I\'m User Interface" names a role, not a person');
  });

  it('"this is Ami" introduces someone else: no tie to the voice that says it', () => {
    const ties = NameTies.of([{ speaker: 'Professor F', text: 'OK. this is Ami, who And this is Tilman and Ralf.' }, { speaker: 'Grad B', text: 'Hi.' }]);
    assert.equal(ties.speakerOf('Ami'), undefined);
    assert.equal(ties.speakerOf('Tilman'), undefined);
  });

  it('ties a name by who answers when it is addressed, only when the votes point one way', () => {
    const lines: TieLine[] = [
      { speaker: 'PhD A', text: 'And what was that, Morgan?' }, { speaker: 'Professor B', text: 'The project on noise.' },
      { speaker: 'PhD A', text: 'Do you want to start, Morgan?' }, { speaker: 'Professor B', text: 'Sure, I can start.' },
    ];
    assert.equal(NameTies.of(lines).speakerOf('Morgan'), 'Professor B');
    assert.equal(NameTies.of(lines.slice(0, 2)).speakerOf('Morgan'), undefined, 'one address and answer is not enough');
    const split = [...lines, { speaker: 'PhD A', text: 'Morgan, the slides?' }, { speaker: 'Grad C', text: 'Here.' }];
    assert.equal(NameTies.of(split).speakerOf('Morgan'), undefined, 'two votes against one: no margin of two');
  });

  it('a word the meeting also says in lower case, a filler or a sentence opener is never a name', () => {
    const lines: TieLine[] = [
      { speaker: 'A', text: 'Although, we could try.' }, { speaker: 'B', text: 'Yes.' },
      { speaker: 'A', text: 'Although, not today.' }, { speaker: 'B', text: 'Fine.' },
      { speaker: 'A', text: 'Design, we said, is next.' }, { speaker: 'B', text: 'Yes.' },
      { speaker: 'A', text: 'Design, again.' }, { speaker: 'B', text: 'the design is fine' },
      { speaker: 'C', text: "I'm Mmm not sure" }, { speaker: 'C', text: "Okay, so I'm Sure about that" },
    ];
    const ties = NameTies.of(lines);
    for (const word of ['Although', 'Design', 'Mmm', 'Sure']) assert.equal(ties.speakerOf(word), undefined, word);
  });

  it('an owner naming a tied person becomes that voice; a label stays; an owner naming two voices stays as written', () => {
    const ties = NameTies.of(INTRODUCTIONS);
    assert.equal(ties.owner('David Jordan'), ID);
    assert.equal(ties.owner('industrial designer'), ID, 'a label in any case is the label');
    assert.equal(ties.owner('Craig (the interface designer)'), UI);
    assert.equal(ties.owner('David and Craig'), 'David and Craig');
    assert.equal(ties.owner('Someone from finance'), 'Someone from finance');
    const numbered = NameTies.of([...INTRODUCTIONS, { speaker: 'Speaker 10', text: 'Hi.' }]);
    assert.equal(numbered.owner('Speaker 1'), 'Speaker 1', '"Speaker 1" is not the label "Speaker 10"');
    assert.equal(numbered.owner('speaker 10 (Ana)'), 'Speaker 10');
  });

  it('a null owner takes the voice the item\'s line addresses by name, not the voice that says it', () => {
    const ties = NameTies.of(INTRODUCTIONS);
    assert.equal(ties.owner(null, { speaker: PM, text: 'David Jordan, save your presentations in the project folder.' }), ID);
    assert.equal(ties.owner(null, { speaker: ID, text: 'David, note to self, check the chips.' }), null, 'a voice addressing its own name');
    assert.equal(ties.owner(null, { speaker: PM, text: 'Save your presentations, everyone.' }), null);
    assert.equal(ties.owner(null), null);
  });

  describe('in the merge of chunk answers', () => {
    const line = (k: number, speaker: string, text: string) => ({ segmentId: `m-${k}`, speaker, t0: k * 30, text });
    const chunks: ModelChunk[] = [
      { index: 0, lines: INTRODUCTIONS.map((l, k) => line(k + 1, l.speaker, l.text)), items: [] },
      { index: 1, lines: [line(5, PM, 'David Jordan, save your presentations in the project folder.'), line(6, ID, 'Will do.')], items: [] },
    ];
    const empty = (more: Partial<ChunkExtraction>): ChunkExtraction => ({ actionItems: [], decisions: [], dismiss: [], rewrite: [], ...more });

    for (const owner of ['David Jordan', null]) {
      it(`an item the answer gives to ${owner === null ? 'nobody' : `"${owner}"`} in a later part goes to the voice introduced as David`, () => {
        const answers = [empty({}), empty({ actionItems: [{ text: 'Save the presentations in the project folder', owner, due: null, segments: ['m-5'] }] })];
        assert.equal(reduceChunks(chunks, answers).actionItems[0].owner, ID);
        assert.equal(reduceChunks(chunks, answers, true).actionItems[0].owner, ID);
      });
    }

    it('the notes a v7 prompt shows keep the owner as the answer gave it (recorded prompts stay the same)', () => {
      const answers = [empty({ actionItems: [{ text: 'Send the minutes', owner: 'Laura', due: null, segments: ['m-1'] }] }), empty({})];
      assert.equal(reduceChunks(chunks, answers, true).actionItems[0].owner, PM);
      assert.equal(notedBefore(chunks, answers, 1).shown.find((e) => e.kind === 'actionItem')?.owner, 'Laura');
    });
  });

  it('the reverse: a voice tied to a name is shown with it, in the participants and at its items; a renamed voice, or one with two names, as it is', () => {
    const ties = NameTies.of([...INTRODUCTIONS, { speaker: 'Dana', text: "Hi, I'm Dana." }, { speaker: 'Speaker 3', text: "I'm Samuel, Sam for short. I'm Sam." }]);
    assert.equal(ties.nameOf(ID), 'David');
    assert.equal(ties.nameOf('Dana'), undefined, 'the label is the name already');
    assert.equal(ties.nameOf('Speaker 3'), undefined, 'two names for one voice: which to show is a guess');
    const header = { type: 'session' as const, version: 1, sessionId: 's1', title: 'Kick-off', startedAt: '2030-01-01T09:00:00.000Z', sources: ['mic' as const], language: 'en', notesPath: '' };
    const segments = INTRODUCTIONS.map((l, k): JournalRecord => ({ type: 'segment', segmentId: `m-${k + 1}`, source: 'mic', speaker: l.speaker, t0: k * 10, t1: k * 10 + 5, text: l.text }));
    const item: JournalRecord = { type: 'actionItem', id: 'a1', revision: 1, text: 'Draw the case', owner: ID, due: null, duePhrase: null, segmentId: 'm-2', t0: 10 };
    const journal: JournalContents = { header, tornTail: false, records: [header, ...segments, item] };
    const notes = renderNotes(journal);
    assert.match(notes, /\*\*Participants:\*\* Project Manager \(Laura\), Industrial Designer \(David\), Marketing \(Andrew\), User Interface \(Craig\)/);
    assert.match(notes, /Draw the case.* — @Industrial Designer \(David\)/);
  });
});
