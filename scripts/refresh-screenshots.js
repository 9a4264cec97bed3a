#!/usr/bin/env node
/**
 * Copies the documentation's pictures from the editor suite's latest screenshots (`npm run docs:images`, after
 * `npm run test:editor`), so README and docs/ show the extension as it is now. The editor suite saves a screenshot of
 * each step in test-results/screenshots/ (test/editor/suite); PICTURES names the few the documentation shows, under
 * their names in docs/images/. docs/images/ ships in the VSIX (README's pictures, shown by VS Code's extension page),
 * so the set is kept under BUDGET.
 *
 * Usage: node scripts/refresh-screenshots.js [--from DIR]   (exit 1 when a picture is missing, not a PNG, or over budget)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.join(__dirname, '..');
const IMAGES = path.join(REPO, 'docs', 'images');

/** docs/images/<name> ← the editor suite's screenshot of that step. */
const PICTURES = {
  'meeting-notes.png': '05-meeting-notes.png', // README's first picture: the panel beside a meeting's notes file
  'live-meeting.png': '03-item-inserted.png', // a meeting running, an action item inserted at the cursor
  'dictation.png': '06a-dictation-ghost-text.png',
  'walkthrough.png': '10-walkthrough.png',
  'model-notes.png': 'model-02-dismissed-and-added.png', // a decision a language model found
  'code-lens.png': '55-code-lens.png',
  'call-offer.png': 'calls-offer.png', // the offer when a call app opens the microphone
  'auto-stop.png': 'calls-countdown.png', // the panel counting down once the call ended
};
const BUDGET = 1.5 * 1024 * 1024;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function main(argv) {
  const i = argv.indexOf('--from');
  const from = path.resolve(i >= 0 ? argv[i + 1] : path.join(REPO, 'test-results', 'screenshots'));
  const problems = [];
  let total = 0;
  for (const [name, shot] of Object.entries(PICTURES)) {
    const file = path.join(from, shot);
    if (!fs.existsSync(file)) {
      problems.push(`${shot} is not in ${path.relative(REPO, from) || '.'} (run \`npm run test:editor\` first; a renamed step needs its new name in PICTURES)`);
      continue;
    }
    const bytes = fs.readFileSync(file);
    if (!bytes.subarray(0, 8).equals(PNG)) problems.push(`${shot} is not a PNG`);
    total += bytes.length;
  }
  if (total > BUDGET) problems.push(`the pictures come to ${(total / 1048576).toFixed(2)} MB, over the ${BUDGET / 1048576} MB they may add to the VSIX`);
  if (problems.length) {
    for (const p of problems) console.error(`refresh-screenshots: ${p}`);
    return 1;
  }
  fs.mkdirSync(IMAGES, { recursive: true });
  for (const [name, shot] of Object.entries(PICTURES)) fs.copyFileSync(path.join(from, shot), path.join(IMAGES, name));
  console.log(`refresh-screenshots: ${Object.keys(PICTURES).length} pictures, ${(total / 1024).toFixed(0)} KB, copied to docs/images/`);
  return 0;
}

module.exports = { PICTURES, BUDGET };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
