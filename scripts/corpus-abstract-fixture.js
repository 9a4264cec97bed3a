#!/usr/bin/env node
/**
 * Builds test/fixtures/real-meetings/abstracts/summaries.json (the reference of `summary-eval.js --meetings abstracts`)
 * from the AMI and ICSI corpora's own abstractive summaries (`<id>.abssumm.xml`, NXT format: an annotator's `abstract`,
 * then `decisions`, `actions`, `problems`, `progress` lists), read from a git copy that holds them as
 * `data/raw_ami/abstractive/` and `data/raw_icsi/abstractive/` (github.com/ELITR/minuting-experimentation, commit
 * 6e9082fd; both corpora CC BY 4.0).
 *
 * The reference is the abstract and the decisions, in that order: a summary of the meeting and its outcomes, as QMSum's
 * general summaries are (the actions, problems and progress lists are left out; chosen before any summary was judged).
 * Only meetings QMSum never took and no setting was chosen on (abstracts/README.md says why these six). Bns001 has an
 * abssumm file too, but it holds the annotation guideline's template text, not a summary.
 *
 *   node scripts/corpus-abstract-fixture.js <git dir> [commit]
 *
 * With --anchor, the same corpora's summaries of meetings QMSum did take, as a second person's summary to judge against
 * QMSum's facts (test/eval/summary-anchor.ts: how much of one person's summary another person's states). The abstract,
 * then the decisions where the annotator listed any (several ICSI summaries list none), each sentence a point:
 *
 *   node scripts/corpus-abstract-fixture.js <git dir> [commit] --anchor <id,id,…> <out.json>
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const MEETINGS = { TS3012c: 'ami', Bro015: 'icsi', IB4003: 'ami', IB4005: 'ami', IB4010: 'ami', IB4011: 'ami' };
const ORIGIN = {
  ami: 'the AMI Meeting Corpus\'s own summary of the meeting: an annotator\'s abstract, then the decisions the annotator listed',
  icsi: 'the ICSI Meeting Corpus\'s own summary of the meeting: an annotator\'s abstract, then the decisions the annotator listed',
};
const DOMAIN = { ami: 'AMI', icsi: 'ICSI' };

/** A section's sentences as one paragraph (NXT markup and entities gone, white space collapsed). */
function section(xml, name) {
  const m = new RegExp(`<${name}\\b[^>]*>([\\s\\S]*?)</${name}>`).exec(xml);
  if (!m) return '';
  return m[1].replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
}

/** Writes `meetings` with where they were read (the corpora, the copy's commit) to `out`. */
function writeFixture(git, commit, meetings, out, what) {
  const source = {
    dataset: 'AMI Meeting Corpus (ami_public_manual_1.6.2) and ICSI Meeting Corpus (ICSI_plus_NXT) abstractive summaries, CC BY 4.0, read from github.com/ELITR/minuting-experimentation',
    commit: git('rev-parse', commit).trim(),
  };
  fs.writeFileSync(out, `${JSON.stringify({ source, meetings }, null, 1)}\n`);
  process.stdout.write(`${meetings.length} ${what} written to ${path.relative(process.cwd(), out)}\n`);
  return 0;
}

/** A corpus summary's sentences, each a point (a sentence ends at . ! or ? before a capital, a digit or a quote). */
function sentences(paragraph) {
  return paragraph.split(/(?<=[.!?])\s+(?=[A-Z0-9"'])/).map((x) => x.trim()).filter(Boolean);
}

/** The anchor file: each meeting's abstract and decisions as points (AMI for ES/IS/TS meetings, ICSI for B…). */
function writeAnchor(git, commit, ids, out) {
  const meetings = ids.map((id) => {
    const corpus = id.startsWith('B') ? 'icsi' : 'ami';
    const xml = git('show', `${commit}:data/raw_${corpus}/abstractive/${id}.abssumm.xml`);
    const abstract = section(xml, 'abstract');
    if (!abstract) throw new Error(`${id}: no abstract`);
    const decisions = section(xml, 'decisions');
    return { id, corpus: DOMAIN[corpus], points: [...sentences(abstract), ...sentences(decisions)] };
  });
  return writeFixture(git, commit, meetings, out, 'corpus summaries');
}

function main(argv) {
  const anchorAt = argv.indexOf('--anchor');
  const anchor = anchorAt >= 0 ? argv.splice(anchorAt, 3).slice(1) : undefined;
  const [gitDir, commit = 'HEAD'] = argv;
  if (!gitDir || (anchor && anchor.length !== 2)) { process.stderr.write('usage: corpus-abstract-fixture.js <git dir> [commit] [--anchor <id,id,…> <out.json>]\n'); return 2; }
  const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'latin1', maxBuffer: 1 << 26 });
  if (anchor) return writeAnchor(git, commit, anchor[0].split(','), anchor[1]);
  const meetings = Object.entries(MEETINGS).map(([id, corpus]) => {
    const xml = git('show', `${commit}:data/raw_${corpus}/abstractive/${id}.abssumm.xml`);
    const abstract = section(xml, 'abstract');
    const decisions = section(xml, 'decisions');
    if (!abstract || !decisions) throw new Error(`${id}: no abstract or no decisions`);
    return { id, domain: DOMAIN[corpus], split: 'none', query: 'abstract and decisions', origin: ORIGIN[corpus], summary: `${abstract}\nDecisions: ${decisions}` };
  }).sort((a, b) => a.id.localeCompare(b.id));
  return writeFixture(git, commit, meetings, path.join(__dirname, '..', 'test', 'fixtures', 'real-meetings', 'abstracts', 'summaries.json'), 'reference summaries');
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
