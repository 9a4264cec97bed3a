/**
 * scripts/ethereum-pm-meeting.js: an All Core Devs call's notes (github.com/ethereum/pm, e.g. AllCoreDevs-EL-Meetings/
 * "Meeting 190.md": a header, the note-taker's "Decision Item" table, then the call speaker by speaker as `**Name**` and
 * `*` bullets, with section headings and timestamp links between) turned into the notes eval's turns and summary.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

const script = require(path.join(REPO_ROOT, 'scripts', 'ethereum-pm-meeting.js')) as {
  meetingDate(md: string): string;
  summaryRows(md: string): string[];
  turns(md: string): string[];
};

// The shape of "Meeting 190.md" (its first lines, shortened).
const NOTES = [
  '# Execution Layer Meeting #190',
  '### Meeting Date/Time: June 20, 2024, 14:00-15:30 UTC',
  '### [Video of the meeting](https://youtu.be/x)',
  '',
  '| Decision Item | Description | ',
  '| ------------- | ----------- | ',
  '| 190.1 | **Pectra Devnet 1**  Developers are aiming to launch the next [testnet](https://example.org) over the next week.',
  '| 190.2 | **EOF Updates:** Besu will test EOF after the other changes.',
  '',
  '**Tim**',
  '* And we are live. Welcome everyone, to ACDC #190.',
  '* So some Pectra Devnet discussions.',
  '',
  '# Pectra [3:09](https://youtu.be/x?t=189)',
  '**Parithosh**',
  '* Yeah, I\'ll talk about **Pectra** and then Barnabas can do EOF.',
  '',
  '**Marius (Geth)**',
  '* We are still missing 7702.',
  '',
].join('\n');

describe('scripts/ethereum-pm-meeting.js (All Core Devs call notes to turns)', () => {
  it('makes one turn per speaker block, bullets joined, headings, links and markup left out, the name the notes give', () => {
    assert.deepEqual(script.turns(NOTES), [
      'Tim: And we are live. Welcome everyone, to ACDC #190. So some Pectra Devnet discussions.',
      'Parithosh: Yeah, I\'ll talk about Pectra and then Barnabas can do EOF.',
      'Marius: We are still missing 7702.',
    ]);
  });

  it('reads the summary table row by row, topic first, and the call\'s date', () => {
    assert.deepEqual(script.summaryRows(NOTES), [
      'Pectra Devnet 1: Developers are aiming to launch the next testnet over the next week.',
      'EOF Updates: Besu will test EOF after the other changes.',
    ]);
    assert.equal(script.meetingDate(NOTES), '2024-06-20');
    // The consensus-layer calls' header and summary rows (call_126.md).
    assert.equal(script.meetingDate('### Meeting Date/Time: Thursday 2024/1/25 at 14:00 UTC'), '2024-01-25');
    assert.equal(script.meetingDate('### Meeting Date/Time: Friday October 29, 2021, 14:00 UTC'), '2021-10-29');
    assert.deepEqual(script.summaryRows('Summary | Description\n-|-\n126.1  |**Deneb Updates** Danny shared an update.'), ['Deneb Updates: Danny shared an update.']);
    assert.throws(() => script.meetingDate('# no date'), /no "Meeting Date\/Time/);
  });
});
