#!/usr/bin/env node
/**
 * Turns one QMSum meeting (github Yale-LILY/QMSum, `data/<Product|Academic>/<train|val>/<id>.json`) into the
 * notes eval's transcript formats: `<id>.jsonl` ({"t0","t1","speaker","text"} per turn) and `<id>.txt`
 * ("Speaker: text"), in the folder given. The text is made to read like a recognizer's output: the corpus's
 * markup ({vocalsound}, {disfmarker}, {gap} …) removed, its tokenized spacing ("we 'll", "low - pass", "done .") joined.
 * Disfluencies themselves stay: repeated words, restarts and half sentences are what real speech gives the
 * extractor. Turns left with no words (a laugh, a cough) are dropped. QMSum has no times: they are made from a
 * speaking rate of 2.5 words a second with 0.3 s between turns, so `t0` orders the turns and nothing more.
 *
 * Only the train and val splits may be used: the test split (and the `all` folders that contain it) is kept
 * aside for an independent check, and the script refuses them.
 *
 *   node scripts/qmsum-meeting.js <QMSum json> <out dir>
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const WORDS_PER_SECOND = 2.5;
const GAP_SECONDS = 0.3;

function speechText(content) {
  return content
    .replace(/\{[a-z]+\}/gi, ' ')
    .replace(/\s+(n't|'ll|'re|'s|'ve|'d|'m)\b/gi, '$1')
    .replace(/(\w) - (?=\w)/g, '$1-')
    .replace(/\s+([.,?!;:])/g, '$1')
    .replace(/([.,?!;:])(?:\s*\1)+/g, '$1')
    .replace(/^[\s.,;:!?-]+/, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

function convert(meeting) {
  let t = 0;
  const turns = [];
  for (const { speaker, content } of meeting.meeting_transcripts) {
    const text = speechText(content);
    if (!/[a-z0-9]/i.test(text)) continue;
    const seconds = Math.max(0.4, text.split(/\s+/).length / WORDS_PER_SECOND);
    turns.push({ t0: Number(t.toFixed(2)), t1: Number((t + seconds).toFixed(2)), speaker, text });
    t += seconds + GAP_SECONDS;
  }
  return turns;
}

function main(argv) {
  if (argv.length !== 2) {
    process.stderr.write('usage: node scripts/qmsum-meeting.js <QMSum data/<domain>/<train|val>/<id>.json> <out dir>\n');
    return 2;
  }
  const [file, outDir] = argv;
  const split = path.basename(path.dirname(path.resolve(file)));
  if (split !== 'train' && split !== 'val') {
    process.stderr.write(`qmsum-meeting: ${file} is in "${split}": only the train and val splits may be used (test and all are kept aside)\n`);
    return 2;
  }
  const id = path.basename(file, '.json');
  const turns = convert(JSON.parse(fs.readFileSync(file, 'utf8')));
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${id}.jsonl`), turns.map((x) => JSON.stringify(x)).join('\n') + '\n');
  fs.writeFileSync(path.join(outDir, `${id}.txt`), turns.map((x) => `${x.speaker}: ${x.text}`).join('\n') + '\n');
  process.stdout.write(`${id}: ${turns.length} turns\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
module.exports = { speechText, convert };
