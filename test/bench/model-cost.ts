/**
 * What the opt-in language-model extraction costs on real meetings, without a model: chunks, estimated prompt tokens
 * and the token budget a meeting needs with the default settings (chunks of 6,000 characters, 4 lines of overlap,
 * answers capped at ANSWER_RESERVE_TOKENS). Reads QMSum meeting files (train/val splits only: never test or `all`),
 * runs the real rule-based extractor on each so the chunks show the rule items they would, and builds the real prompts.
 *
 *   node out/test/bench/model-cost.js <folder of QMSum meeting .json>...
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ANSWER_RESERVE_TOKENS, estimateTokens } from '../../daemon/understanding/providers';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';
import { extract } from '../../daemon/understanding/extract';
import { chunkMessages, modelChunks } from '../../daemon/understanding/modelExtract';
import { DEFAULT_ENHANCEMENT_TOKEN_BUDGET } from '../../protocol/protocol';

interface Row { meeting: string; lines: number; chars: number; chunks: number; ruleItems: number; promptTokens: number; worstCaseTokens: number }

async function meetingCost(file: string): Promise<Row> {
  const data = JSON.parse(await fs.readFile(file, 'utf8')) as { meeting_transcripts: { speaker: string; content: string }[] };
  const spoken = data.meeting_transcripts.map((t, k) => ({ speaker: t.speaker, text: t.content, t0: k * 5, segmentId: `s-${k + 1}` }));
  const header = { type: 'session' as const, version: 1, sessionId: 'bench', title: path.basename(file, '.json'), startedAt: '2030-01-01T09:00:00.000Z', sources: ['file' as const], language: 'en', notesPath: '' };
  const found = extract(spoken, new Date(header.startedAt));
  const records: JournalRecord[] = [header,
    ...spoken.map((l): JournalRecord => ({ type: 'segment', segmentId: l.segmentId, source: 'file', speaker: l.speaker, t0: l.t0, t1: l.t0 + 4, text: l.text })),
    ...found.actionItems.map((i, k): JournalRecord => ({ type: 'actionItem', id: `a${k + 1}`, revision: 1, text: i.text, owner: i.owner, due: i.due, duePhrase: i.duePhrase, segmentId: i.segmentId ?? '', t0: i.t0 ?? 0 })),
    ...found.decisions.map((d, k): JournalRecord => ({ type: 'decision', id: `d${k + 1}`, revision: 1, text: d.text, kind: d.kind ?? 'decision', segmentId: d.segmentId ?? '', t0: d.t0 ?? 0 })),
  ];
  const journal: JournalContents = { header, records, tornTail: false };
  const chunks = modelChunks(journal);
  const promptTokens = chunks.reduce((n, c) => {
    const { system, user } = chunkMessages({ title: header.title, date: header.startedAt }, c, chunks.length);
    return n + estimateTokens(system.length + user.length);
  }, 0);
  return {
    meeting: path.basename(file, '.json'), lines: spoken.length, chars: spoken.reduce((n, l) => n + l.text.length, 0), chunks: chunks.length,
    ruleItems: found.actionItems.length + found.decisions.length, promptTokens, worstCaseTokens: promptTokens + chunks.length * ANSWER_RESERVE_TOKENS,
  };
}

async function main(): Promise<void> {
  const folders = process.argv.slice(2);
  if (!folders.length || folders.some((f) => /(^|\/)(test|all)\/?$/i.test(f))) {
    throw new Error('usage: model-cost.js <QMSum train or val folder>... (never the test or all splits)');
  }
  const rows: Row[] = [];
  for (const folder of folders) {
    for (const name of (await fs.readdir(folder)).filter((n) => n.endsWith('.json')).sort()) rows.push(await meetingCost(path.join(folder, name)));
  }
  const sorted = (pick: (r: Row) => number) => rows.map(pick).sort((a, b) => a - b);
  const pct = (values: number[], p: number) => values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
  const worst = sorted((r) => r.worstCaseTokens);
  const summary = {
    meetings: rows.length,
    chars: { median: pct(sorted((r) => r.chars), 50), max: Math.max(...rows.map((r) => r.chars)) },
    chunks: { median: pct(sorted((r) => r.chunks), 50), p90: pct(sorted((r) => r.chunks), 90), max: Math.max(...rows.map((r) => r.chunks)) },
    promptTokens: { median: pct(sorted((r) => r.promptTokens), 50), p90: pct(sorted((r) => r.promptTokens), 90), max: Math.max(...rows.map((r) => r.promptTokens)) },
    worstCaseTokens: { median: pct(worst, 50), p90: pct(worst, 90), max: worst[worst.length - 1] },
    /** Prompt tokens over the transcript's own tokens: what overlap, ids, speakers and instructions add. */
    overhead: Number((rows.reduce((n, r) => n + r.promptTokens, 0) / rows.reduce((n, r) => n + estimateTokens(r.chars), 0)).toFixed(2)),
    withinDefaultBudget: rows.filter((r) => r.worstCaseTokens <= DEFAULT_ENHANCEMENT_TOKEN_BUDGET).length,
    defaultBudget: DEFAULT_ENHANCEMENT_TOKEN_BUDGET,
  };
  console.log(JSON.stringify(summary, null, 2));
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
