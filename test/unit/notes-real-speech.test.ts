/**
 * The extraction rules on real, disfluent speech (issue 13): talk about the meeting itself is not work after it,
 * explicit markers are always caught, work handed out by role or name gets its owner, decisions need agreement.
 * Phrases are the issue's own examples and the kinds of turns found in real AMI/ICSI meetings.
 */
import * as assert from 'node:assert/strict';
import { decisionKind, proposalKind } from '../../daemon/understanding/decisions';
import { extract } from '../../daemon/understanding/extract';
import { clean, cutOff, doneInTheRoom } from '../../daemon/understanding/speech';

const DATE = new Date('2024-01-15T09:00:00');

function run(turns: [string, string][]) {
  const found = extract(turns.map(([speaker, text], i) => ({ speaker, text, t0: i * 5, segmentId: `s${i}` })), DATE);
  return {
    items: found.actionItems.map((a) => ({ text: a.text, owner: a.owner, turn: Number(a.segmentId?.slice(1)), due: a.due })),
    decisions: found.decisions.map((d) => ({ text: d.text, kind: d.kind, turn: Number(d.segmentId?.slice(1)) })),
  };
}

describe('Notes on real speech', () => {
  describe('clean()', () => {
    it('drops fillers and collapses restarts', () => {
      assert.equal(clean("I'll I'll check that"), "I'll check that");
      assert.equal(clean('we we we start, um, the the training'), 'we start, the training');
      assert.equal(clean("So, I'll dis I'll disregard these numbers."), "So, I'll disregard these numbers.");
      assert.equal(clean("we'll have to we'll have to stop it"), "we'll have to stop it");
      assert.equal(clean("I don't think so"), "I don't think so", 'contractions are not restarts');
      assert.equal(clean("I'm gonna hafta think"), "I'm gonna have to think");
    });

    it('tells a sentence cut off mid-way', () => {
      assert.ok(cutOff('So one of the questions about these is'));
      assert.ok(cutOff('It goes to the'));
      assert.ok(!cutOff("I'll send the numbers tomorrow."));
    });
  });

  describe('what is done in the room is not an action item', () => {
    const inRoom = [
      "I'll go first.",
      "I'll just put the cable in.",
      'Could you go next slide?',
      'So I will open our functional design meeting.',
      "I'll take the lunch.",
      'I will give a six.',
      "I'm gonna turn over to the Industrial Designer.",
      'Let me show you this plot.',
      "I'll be back on Tuesday.",
      "I'll just draw a different kind of dog on the whiteboard.",
      "I'm going to ask you to draw your favourite animal.",
      'I can give you an example of twenty events.',
    ];
    for (const s of inRoom) it(JSON.stringify(s), () => {
      assert.ok(doneInTheRoom(s), 'doneInTheRoom');
      assert.deepEqual(run([['Ann', s], ['Bob', 'Okay.']]).items, []);
    });

    const later = [
      "I'll send you the file tomorrow.",
      "I'll present the schema at the architecture forum next Friday.",
      "I'll tell on-call about the dashboard change.",
      "I'll turn off the screensaver too.",
      "I'll try to write up a description in my next status report.",
      'Tariq, could you move checkout to the new schema before the demo?',
    ];
    for (const s of later) it(`${JSON.stringify(s)} is work for later`, () => assert.ok(!doneInTheRoom(s)));
  });

  describe('action items', () => {
    it('always catches explicit markers, with the owner they name', () => {
      const { items } = run([['Ann', 'Action item for me: post the release notes draft tomorrow.'], ['Bob', 'To do: Cat, update the runbook.'], ['Cat', 'Sure.']]);
      assert.deepEqual(items.map((i) => [i.text, i.owner, i.due]), [
        ['post the release notes draft tomorrow.', 'Ann', '2024-01-16'],
        ['update the runbook.', 'Cat', null],
      ]);
    });

    it('finds work handed out by role at the end of a meeting, owned by that role', () => {
      const { items } = run([
        ['Project Manager', 'Right, so to wrap up, as the industrial designer, you\'re gonna be working on the actual working design of it.'],
        ['Industrial Designer', 'Yep.'],
        ['Project Manager', 'The User Interface Designer will work out the technical functions design.'],
        ['User Interface', 'Okay.'],
        ['Project Manager', 'And marketing executive, you\'ll be just thinking about what requirements it has to fulfil.'],
        ['Marketing', 'Right.'],
      ]);
      assert.deepEqual(items.map((i) => [i.owner, i.turn]), [['Industrial Designer', 0], ['User Interface', 2], ['Marketing', 4]]);
    });

    it('finds work handed out as "you\'re going to …" with nobody named: whoever answers owns it, else nobody', () => {
      const { items } = run([
        ['Project Manager', "Um, as to where we're going from here, you're going to look at the components concept."],
        ['Industrial Designer', 'Okay.'],
        ['Project Manager', "And you'll be looking at the user interface concept,"],
        ['Project Manager', 'so that should be fine.'],
      ]);
      assert.deepEqual(items.map((i) => [i.owner, i.turn]), [['Industrial Designer', 0], [null, 2]]);
      assert.match(items[0].text, /look at the components concept/);
    });

    it('does not take "you\'re going to …" that describes, supposes or reassures', () => {
      for (const s of ["I think that you'll do fine.", "If you're going to do research with it, keep the originals.", "So that's a bit what you're going to do.",
        "And typically you'll do choose something like a variance.", "Which means you're gonna make errors between similar sounds.", "Next time you'll do something, I'm sure."]) {
        assert.deepEqual(run([['Professor C', s], ['Grad E', 'Okay.']]).items, [], s);
      }
    });

    it('gives work to a person named in passing', () => {
      const { items } = run([['Professor F', "So one of the things that Eva's gonna do over the next few weeks is see if we can track that down."], ['Grad D', 'Mm-hmm.']]);
      assert.deepEqual(items.map((i) => i.owner), ['Eva']);
    });

    it('owns a spoken request by whoever takes it', () => {
      const { items } = run([['Professor B', 'Yeah so anyway if you could just mail out what those numbers are, that would be great.'], ['PhD C', 'Yeah, sure.']]);
      assert.deepEqual(items.map((i) => [i.owner, i.turn]), [['PhD C', 0]]);
    });

    it('takes the speaker\'s group plan for after the meeting, not talk about this meeting', () => {
      const { items } = run([
        ['PhD F', "Then we'll be ready to go and we'll just send them the next four as a big batch."],
        ['Professor B', "But we're gonna try to make this an abbreviated meeting."],
        ['Grad H', 'So we should probably meet to talk about transcription formats in XML.'],
      ]);
      assert.deepEqual(items.map((i) => [i.owner, i.turn]), [['PhD F', 0], ['Grad H', 2]]);
    });

    it('does not take hedges, hopes, quotes, obligations of the moment or broken sentences', () => {
      const { items } = run([
        ['Ann', 'Maybe I can bribe my way out of this.'],
        ['Bob', 'And I hope I can also reach a lot with this project.'],
        ['Cat', 'I was looking at it, like, "oh what did Chuck do, OK I\'ll do that".'],
        ['Ann', "Oh I have to record who's here actually."],
        ['Bob', 'I will that would very nice.'],
        ['Cat', 'Well I have to,'],
      ]);
      assert.deepEqual(items, []);
    });
  });

  describe('decisions', () => {
    it('catches explicit markers, and a confirmation is the decision it confirms', () => {
      const { decisions } = run([['Ann', 'We ship on Monday.'], ['Bob', 'Yes, that is final.'], ['Cat', 'The beta goes out Friday, that is decided.']]);
      assert.deepEqual(decisions.map((d) => d.turn), [0, 2]);
    });

    it('does not take backchannels, fragments or one person\'s opinion', () => {
      for (const s of ['Yeah, no yeah,', 'Only the LCD.', 'Goes into a sleep mode.', 'I think it should be yellow.', "We're not trying to prove anything to anybody.", 'Yeah. Well, that\'ll be good.', 'So thanks for coming, and see you soon then.']) {
        assert.equal(decisionKind(s, true), undefined, s);
      }
    });

    it('takes spoken settling and deferral phrases', () => {
      assert.equal(decisionKind("Let's go for a plastic case, 'cause that's easy on the cost."), 'decision');
      assert.equal(decisionKind("So I think we've kinda come to some agreement regarding this concept of a wooden case."), 'decision');
      assert.equal(decisionKind("Okay, so I agree that we should hire Fey."), 'decision');
      assert.equal(decisionKind("We'll come back on that."), 'deferral');
      assert.equal(decisionKind('We can talk about the production later.'), 'deferral');
      assert.equal(decisionKind('I think we basically gave up on the submission.'), 'negative');
      // A group schedule: the hedge before "but" is not what is said.
      assert.equal(decisionKind("Probably the day after they leave, but we'll have to stop it the day before we leave."), 'decision');
    });

    it('needs agreement: a proposal becomes a decision when someone else accepts it in words, not on a bare "yeah"', () => {
      assert.equal(proposalKind('We should record at forty-eight kilohertz from now on.'), 'decision');
      assert.equal(proposalKind("Why don't we skip the PowerPoint?"), 'negative');
      assert.equal(proposalKind('Maybe we should try a bigger window.'), undefined);
      const accepted = run([['Ann', 'We should keep the old format for the transcripts.'], ['Bob', 'Agreed, that makes sense.']]);
      assert.deepEqual(accepted.decisions.map((d) => [d.turn, d.kind]), [[0, 'decision']]);
      const heard = run([['Ann', 'We should keep the old format for the transcripts.'], ['Bob', 'Yeah.']]);
      assert.deepEqual(heard.decisions, []);
    });

    it('takes a plan put as a question and settled by a bare answer', () => {
      const { decisions } = run([['User Interface', 'Are we including the voice in the end or not?'], ['Project Manager', 'No.']]);
      assert.deepEqual(decisions.map((d) => [d.turn, d.kind]), [[0, 'negative']]);
    });
  });
});
