/**
 * scripts/ami-words-meeting.js: the AMI Meeting Corpus's word-level manual transcription (one `words.xml` per speaker,
 * the format of `ami_public_manual_1.6.2`, e.g. EN2001a.A.words.xml's first words) turned into the notes eval's turns.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

const script = require(path.join(REPO_ROOT, 'scripts', 'ami-words-meeting.js')) as {
  convert(dir: string, id: string): { speaker: string; text: string }[];
};

const words = (id: string, speaker: string, ws: [number, number, string, boolean?][]) => [
  '<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>',
  `<nite:root nite:id="${id}.${speaker}.words" xmlns:nite="http://nite.sourceforge.net/">`,
  ...ws.map(([s, e, t, punc], k) => `   <w nite:id="${id}.${speaker}.words${k}" starttime="${s}" endtime="${e}"${punc ? ' punc="true"' : ''}>${t}</w>`),
  `   <vocalsound nite:id="${id}.${speaker}.vocalsound0" starttime="9" endtime="9.2" type="laugh"/>`,
  '</nite:root>', '',
].join('\n');

describe('scripts/ami-words-meeting.js (AMI words XML to turns)', () => {
  it('joins words and punctuation, splits a speaker at a pause of a second, orders speakers by start, and leaves out non-words', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ami-'));
    try {
      fs.writeFileSync(path.join(dir, 'XX1001a.A.words.xml'), words('XX1001a', 'A', [
        [5.57, 5.94, 'Okay'], [5.94, 5.94, '.', true], [11.09, 11.25, 'Does'], [11.25, 11.5, 'anyone'], [11.5, 11.65, 'want'],
        [12.42, 12.94, 'Steve&#39;s'], [12.94, 13.5, 'feedback'], [13.5, 13.5, '?', true], [20, 20.3, 'Right'],
      ]));
      fs.writeFileSync(path.join(dir, 'XX1001a.B.words.xml'), words('XX1001a', 'B', [[14, 14.4, 'Not'], [14.4, 14.9, 'really'], [21, 21.2, 'Yes']]));
      assert.deepEqual(script.convert(dir, 'XX1001a'), [
        { speaker: 'A', text: "Okay. Does anyone want Steve's feedback?" },
        { speaker: 'B', text: 'Not really' },
        { speaker: 'A', text: 'Right' },
        { speaker: 'B', text: 'Yes' },
      ]);
      assert.throws(() => script.convert(dir, 'XX2002b'), /no XX2002b\.<speaker>\.words\.xml/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
