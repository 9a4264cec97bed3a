#!/usr/bin/env node
/**
 * Turns one of Ethereum's All Core Devs call notes (github.com/ethereum/pm, `AllCoreDevs-EL-Meetings/Meeting <n>.md`,
 * CC BY-SA 3.0) into the notes eval's `<id>.txt` ("Name: text" per turn) and its human summary: the notes open with a
 * "Decision Item" table, a note-taker's summary of the call topic by topic, then give the call itself speaker by speaker
 * (`**Name**` and the words said as `*` bullets). Real developer calls about their own work: the meetings Earshot is
 * for, with a summary a person wrote.
 *
 * The turns: each `**Name**` block is one turn, its bullets joined; headings, links' targets, timestamps and markup are
 * left out; the speaker keeps the name the notes give (the first word of a bold line: "**Marius (Geth)**" is Marius).
 * The summary: each table row's topic and text, one line each, links' targets left out.
 *
 *   node scripts/ethereum-pm-meeting.js <notes.md> <id> <out dir>     writes <out dir>/<id>.txt, prints the summary entry as JSON
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Markdown to plain text: links keep their words, bold and code marks go, spaces fold. */
function plain(text) {
  return text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\*\*|__|`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The call's date from the notes' header, as YYYY-MM-DD: "### Meeting Date/Time: June 20, 2024, 14:00-15:30 UTC" (the
 * execution-layer calls) or "### Meeting Date/Time: Thursday 2024/1/25 at 14:00 UTC" (the consensus-layer calls).
 */
function meetingDate(md) {
  const numeric = /Meeting Date\/Time:\s*(?:[A-Za-z]+day,?\s*)?(\d{4})\/(\d{1,2})\/(\d{1,2})/.exec(md);
  if (numeric) return `${numeric[1]}-${numeric[2].padStart(2, '0')}-${numeric[3].padStart(2, '0')}`;
  const m = /Meeting Date\/Time:\s*(?:[A-Za-z]+day,?\s*)?([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})/.exec(md);
  if (!m) throw new Error('no "Meeting Date/Time: <Month> <day>, <year>" or "<year>/<month>/<day>" in the notes');
  const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  const month = months.indexOf(m[1].slice(0, 3).toLowerCase());
  if (month < 0) throw new Error(`unknown month ${m[1]}`);
  return `${m[3]}-${String(month + 1).padStart(2, '0')}-${String(Number(m[2])).padStart(2, '0')}`;
}

/** The summary table's rows ("Decision Item" or "Summary"; a row may open with its number or a pipe): "<topic>: <text>", in order. */
function summaryRows(md) {
  const rows = [];
  for (const line of md.split('\n')) {
    const m = /^\|?\s*\d+\.\d+\s*\|(.*)$/.exec(line);
    if (!m) continue;
    const cells = m[1].split('|').map((c) => c.trim()).filter(Boolean);
    const text = cells[0] ?? '';
    const topic = /^\*\*([^*]+)\*\*\s*:?\s*/.exec(text);
    const row = topic ? `${plain(topic[1]).replace(/:$/, '')}: ${plain(text.slice(topic[0].length))}` : plain(text);
    if (row) rows.push(row);
  }
  return rows;
}

/** The call's turns: each bold speaker line opens one, its bullets are the words. */
function turns(md) {
  const out = [];
  let speaker;
  let words = [];
  const flush = () => {
    const text = plain(words.join(' '));
    if (speaker && text) out.push(`${speaker}: ${text}`);
    words = [];
  };
  for (const raw of md.split('\n')) {
    const line = raw.trim();
    const who = /^\*\*([^*]+)\*\*(.*)$/.exec(line);
    if (who && !who[2].trim().startsWith(':') && plain(who[2]).length < 40 && !line.startsWith('**' + '*')) {
      flush();
      speaker = plain(who[1]).split(/[\s(]/)[0].replace(/[:,]$/, '');
      continue;
    }
    if (/^#/.test(line) || line.startsWith('|')) { flush(); speaker = /^#/.test(line) ? undefined : speaker; continue; }
    const bullet = /^[*-]\s+(.*)$/.exec(line);
    if (bullet && speaker) words.push(bullet[1]);
    else if (line && speaker && words.length) words.push(line);
  }
  flush();
  return out;
}

function main(argv) {
  const [file, id, outDir] = argv;
  if (!file || !id || !outDir) {
    process.stderr.write('usage: node scripts/ethereum-pm-meeting.js <notes.md> <id> <out dir>\n');
    process.exit(2);
  }
  const md = fs.readFileSync(file, 'utf8');
  const lines = turns(md);
  if (lines.length < 20) throw new Error(`${file}: only ${lines.length} turns: not a call's notes with its words`);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${id}.txt`), `${lines.join('\n')}\n`);
  const rows = summaryRows(md);
  process.stdout.write(`${JSON.stringify({ id, date: meetingDate(md), turns: lines.length, speakers: [...new Set(lines.map((l) => l.split(':')[0]))], summary: rows.join('\n') })}\n`);
}

if (require.main === module) main(process.argv.slice(2));
module.exports = { plain, meetingDate, summaryRows, turns };
