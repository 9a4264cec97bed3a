/**
 * The panel's speaker filter offers the speakers its lines name (media/panel/speakerTally.ts): an option comes with a
 * speaker's first line and goes with their last, also when lines change speaker after they are shown (a pending line
 * relabelled, a voice renamed), and a filter on a renamed speaker follows the new name. Before, the options only grew:
 * after a rename the old label stayed offered and filtering on it showed nothing.
 */
import * as assert from 'node:assert/strict';
import { filterAfter, SpeakerTally } from '../../media/panel/speakerTally';

describe('panel speaker filter (speaker tally)', () => {
  it('offers a speaker from their first line until their last line names someone else', () => {
    const tally = new SpeakerTally();
    assert.deepEqual(tally.count('Speaker 1'), { added: 'Speaker 1' });
    assert.deepEqual(tally.count('Speaker 1'), {});
    assert.deepEqual(tally.count('You'), { added: 'You' });
    // A rename relabels Speaker 1's lines one by one: the name comes with the first, the label goes with the last.
    assert.deepEqual(tally.count('Dana', 'Speaker 1'), { added: 'Dana' });
    assert.deepEqual(tally.speakers(), ['Speaker 1', 'You', 'Dana']);
    assert.deepEqual(tally.count('Dana', 'Speaker 1'), { removed: 'Speaker 1' });
    assert.deepEqual(tally.speakers(), ['You', 'Dana']);
    // A line that keeps its speaker changes nothing; a removed line (an empty final) counts down.
    assert.deepEqual(tally.count('You', 'You'), {});
    assert.deepEqual(tally.count(undefined, 'You'), { removed: 'You' });
    assert.deepEqual(tally.count(undefined, 'Nobody'), {}, 'a speaker never counted is not removed twice');
    tally.clear();
    assert.deepEqual(tally.speakers(), []);
  });

  it('moves a filter on a renamed speaker to the new name, and to all speakers when the last line went', () => {
    assert.equal(filterAfter('Speaker 1', { removed: 'Speaker 1' }, 'Dana'), 'Dana');
    assert.equal(filterAfter('Speaker 1', { removed: 'Speaker 1' }, undefined), '');
    assert.equal(filterAfter('You', { removed: 'Speaker 1' }, 'Dana'), 'You', 'another speaker filtered: unchanged');
    assert.equal(filterAfter('', { removed: 'Speaker 1' }, 'Dana'), '', 'all speakers: unchanged');
    assert.equal(filterAfter('Speaker 1', { added: 'Dana' }, 'Dana'), 'Speaker 1', 'while a line still names it: kept');
  });
});
