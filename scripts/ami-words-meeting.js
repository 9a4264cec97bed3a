#!/usr/bin/env node
/**
 * Turns one AMI meeting's word-level manual transcription (the AMI Meeting Corpus's `ami_public_manual_1.6.2`,
 * `words/<id>.<speaker>.words.xml`, one file per speaker; an ICSI meeting's `ICSI_plus_NXT` `Words/` files have the same
 * form) into the notes eval's `<id>.txt` ("Speaker A: text" per turn):
 * for the AMI meetings QMSum never took (the non-scenario EN, IB and IN meetings: real research and project meetings
 * of the AMI partners), so that the notes can be measured on meetings no prompt, rule or label was written on.
 *
 * Each speaker's words become utterances, split where that speaker pauses for a second or more; the utterances of all
 * speakers are ordered by their start; consecutive utterances of one speaker with nobody starting between them make one
 * turn. Punctuation tokens join the word before them; the corpus's other elements (vocal sounds, disfluency markers,
 * gaps, comments) are left out, as a recognizer would. Speakers keep the corpus's channel letters ("Speaker A"): the
 * corpus does not name them, as a diarized live meeting does not.
 *
 *   node scripts/ami-words-meeting.js <dir of *.words.xml> <meeting id> <out dir>
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PAUSE_SECONDS = 1.0;
const JOINING_CLASSES = new Set(['.', 'CM', 'APOSS', 'HYPH', 'QM']);

function decode(text) {
  return text
    .replace(/&#(\d+);/g, (_m, n) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A speaker's words in order: start, end, text, and whether the token is punctuation. */
function wordsOf(xml) {
  const words = [];
  for (const m of xml.matchAll(/<w\b([^>]*)>([^<]*)<\/w>/g)) {
    const start = /starttime="([\d.]+)"/.exec(m[1]);
    const end = /endtime="([\d.]+)"/.exec(m[1]);
    const text = decode(m[2]).trim();
    if (!text) continue;
    // AMI marks punctuation `punc="true"`; the ICSI corpus's NXT words class it (`c="."`, `c="CM"` a comma, `c="APOSS"`
    // a possessive 's, `c="HYPH"` a hyphen): each joins the word before it.
    const cls = /\bc="([^"]*)"/.exec(m[1])?.[1];
    // ICSI splits contractions ("he 'll", "do n't") and hyphenated words ("Mm - hmm"): they are written whole again.
    const joins = /punc="true"/.test(m[1]) || JOINING_CLASSES.has(cls) || /^(?:'(?:ll|re|ve|s|d|m)|n't)$/i.test(text) || words[words.length - 1]?.cls === 'HYPH';
    words.push({ start: start ? Number(start[1]) : NaN, end: end ? Number(end[1]) : NaN, text, punc: joins, cls });
  }
  return words;
}

/** One speaker's utterances: words joined until a pause of PAUSE_SECONDS (a word without times joins the one before). */
function utterancesOf(speaker, words) {
  const out = [];
  let cur;
  let lastEnd = NaN;
  for (const w of words) {
    const gap = Number.isFinite(w.start) && Number.isFinite(lastEnd) ? w.start - lastEnd : 0;
    if (!cur || (!w.punc && gap >= PAUSE_SECONDS)) {
      if (w.punc && !cur) continue;
      cur = { speaker, start: Number.isFinite(w.start) ? w.start : lastEnd, text: '' };
      out.push(cur);
    }
    cur.text = w.punc || !cur.text ? `${cur.text}${w.text}` : `${cur.text} ${w.text}`;
    if (Number.isFinite(w.end)) lastEnd = w.end;
  }
  return out.filter((u) => /[a-z0-9]/i.test(u.text) && Number.isFinite(u.start));
}

function convert(dir, id) {
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${id}.`) && f.endsWith('.words.xml')).sort();
  if (!files.length) throw new Error(`no ${id}.<speaker>.words.xml in ${dir}`);
  const utterances = files.flatMap((f) => utterancesOf(f.split('.')[1], wordsOf(fs.readFileSync(path.join(dir, f), 'latin1'))));
  utterances.sort((a, b) => a.start - b.start || a.speaker.localeCompare(b.speaker));
  const turns = [];
  for (const u of utterances) {
    const last = turns[turns.length - 1];
    if (last && last.speaker === u.speaker) last.text = `${last.text} ${u.text}`;
    else turns.push({ speaker: u.speaker, text: u.text });
  }
  return turns;
}

function main(argv) {
  if (argv.length !== 3) {
    process.stderr.write('usage: node scripts/ami-words-meeting.js <dir of *.words.xml> <meeting id> <out dir>\n');
    return 2;
  }
  const [dir, id, outDir] = argv;
  const turns = convert(dir, id);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${id}.txt`), turns.map((t) => `Speaker ${t.speaker}: ${t.text}`).join('\n') + '\n');
  process.stdout.write(`${id}: ${turns.length} turns, ${turns.reduce((n, t) => n + t.text.split(/\s+/).length, 0)} words\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
module.exports = { convert, utterancesOf, wordsOf };
