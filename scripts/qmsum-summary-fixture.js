#!/usr/bin/env node
/**
 * Builds test/fixtures/real-meetings/summaries.json (the reference of `npm run eval:summary`) from a copy of QMSum:
 * for each meeting of test/fixtures/real-meetings, the human summary of the whole meeting that QMSum gives it (the one
 * query of its `general_query_list`: "Summarize the whole meeting." for AMI, "Summarize the meeting", "What was
 * discussed in the meeting?"… for ICSI) with that query, its split and domain. Reads only the train and val folders of
 * data/Product and data/Academic: never a test folder, `all` or data/ALL.
 *
 *   node scripts/qmsum-summary-fixture.js <QMSum git dir> [commit] [--silver]
 *
 * --silver: the same for the silver set's meetings (test/fixtures/real-meetings/silver/summaries.json), so that the
 * summary is measured on meetings no prompt was chosen on.
 * --committee: the committee set's (test/fixtures/real-meetings/committee/summaries.json): QMSum's data/Committee
 * train and val meetings, parliamentary committee hearings, a domain no prompt or rule was written on.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const set = ['--silver', '--committee'].find((flag) => process.argv.includes(flag))?.slice(2);
const [gitDir, commit = 'HEAD'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!gitDir) { console.error('usage: qmsum-summary-fixture.js <QMSum git dir> [commit] [--silver | --committee]'); process.exit(2); }
const fixtures = path.join(__dirname, '..', 'test', 'fixtures', 'real-meetings', ...(set ? [set] : []));
const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const list = (p) => git('ls-tree', '--name-only', commit, `${p}/`).split('\n').filter(Boolean);

const wanted = new Set(fs.readdirSync(fixtures).filter((f) => f.endsWith('.labels.json')).map((f) => f.slice(0, -'.labels.json'.length)));
const meetings = [];
for (const domain of set === 'committee' ? ['Committee'] : ['Product', 'Academic']) {
  for (const split of ['train', 'val']) {
    for (const file of list(`data/${domain}/${split}`)) {
      const id = path.basename(file, '.json');
      if (!wanted.has(id)) continue;
      const general = JSON.parse(git('show', `${commit}:${file}`)).general_query_list;
      if (!Array.isArray(general) || general.length !== 1) throw new Error(`${file}: ${general?.length ?? 'no'} general queries, one expected`);
      meetings.push({ id, domain, split, query: general[0].query.trim(), summary: general[0].answer.replace(/\s+/g, ' ').trim() });
    }
  }
}
meetings.sort((a, b) => a.id.localeCompare(b.id));
const missing = [...wanted].filter((id) => !meetings.some((m) => m.id === id));
if (missing.length) throw new Error(`not in QMSum's train or val: ${missing.join(', ')}`);
const source = { dataset: 'QMSum (Zhong et al., NAACL 2021), github.com/Yale-LILY/QMSum, MIT licence', commit: git('rev-parse', commit).trim() };
fs.writeFileSync(path.join(fixtures, 'summaries.json'), `${JSON.stringify({ source, meetings }, null, 1)}\n`);
console.log(`${meetings.length} reference summaries (${meetings.filter((m) => m.split === 'val').length} val) written to ${path.relative(process.cwd(), path.join(fixtures, 'summaries.json'))}`);
