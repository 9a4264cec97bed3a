#!/usr/bin/env node
/**
 * Builds test/fixtures/qmsum-memory/ (the fixture of `npm run eval:memory`) from a clone of QMSum: for each chosen
 * meeting of the train and val splits, its turns (speaker, text without QMSum's {vocalsound}-style marks) and its
 * specific queries with their relevant_text_span and reference answer. Never reads a test folder, `all` or data/ALL.
 *
 *   node scripts/qmsum-memory-fixture.js <QMSum git dir> [commit]
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const [gitDir, commit = 'HEAD'] = process.argv.slice(2);
if (!gitDir) { console.error('usage: qmsum-memory-fixture.js <QMSum git dir> [commit]'); process.exit(2); }
const out = path.join(__dirname, '..', 'test', 'fixtures', 'qmsum-memory');
const show = (p) => execFileSync('git', ['-C', gitDir, 'show', `${commit}:${p}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
const list = (p) => execFileSync('git', ['-C', gitDir, 'ls-tree', '--name-only', `${commit}`, `${p}/`], { encoding: 'utf8' }).split('\n').filter(Boolean);

// The 32 meetings of test/fixtures/real-meetings, and six Committee meetings (four train, two val).
const real = fs.readdirSync(path.join(__dirname, '..', 'test', 'fixtures', 'real-meetings')).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4));
const committee = ['covid_0', 'covid_1', 'education_1', 'education_2', 'covid_2', 'education_0'];
const wanted = new Set([...real, ...committee]);

const clean = (text) => text.replace(/\{\w+\}/g, ' ').replace(/\s+([.,?!])/g, '$1').replace(/\s+/g, ' ').trim();
const meetings = [];
for (const domain of ['Academic', 'Product', 'Committee']) {
  for (const split of ['train', 'val']) {
    for (const file of list(`data/${domain}/${split}`)) {
      const id = path.basename(file, '.json');
      if (!wanted.has(id)) continue;
      const m = JSON.parse(show(file));
      meetings.push({
        id, domain, split,
        turns: m.meeting_transcripts.map((t) => [t.speaker, clean(t.content)]),
        queries: m.specific_query_list.map((q) => ({ query: q.query, answer: q.answer, spans: q.relevant_text_span.map(([a, b]) => [Number(a), Number(b)]) })),
      });
    }
  }
}
meetings.sort((a, b) => a.id.localeCompare(b.id));
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'meetings.json'), '[\n' + meetings.map((m) => JSON.stringify(m)).join(',\n') + '\n]\n');
const missing = [...wanted].filter((id) => !meetings.some((m) => m.id === id));
console.log(`${meetings.length} meetings, ${meetings.reduce((n, m) => n + m.queries.length, 0)} queries${missing.length ? `; not in train/val: ${missing.join(', ')}` : ''}`);
