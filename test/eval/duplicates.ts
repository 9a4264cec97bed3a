/**
 * Repeats in a meeting's final lists (issue 56: "no decision or item appears twice"), counted by a judge who reads the
 * final lists alone, as the issue's measurement did: one prompt per meeting (its decisions and action items, numbered
 * `D1…`, `A1…`), answered blind elsewhere, and the answers read back against the prompt they answer (its sha256).
 *   node out/test/eval/model-notes-eval.js --answers DIR [--carry] --duplicates-prompts JDIR
 *       writes JDIR/<meeting>.duplicates.prompt.txt (and its sha256) for each meeting's final lists;
 *   … --duplicates-answers JDIR
 *       reads JDIR/<meeting>.duplicates.answer.txt and reports the repeats per meeting (a list that changed since its
 *       prompt was written is "not judged", never scored).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractJsonObject } from '../../protocol/modelJson';

export interface FinalLists { decisions: { text: string; standing: string }[]; actionItems: { text: string; owner: string | null }[] }

const INSTRUCTIONS = [
  'You read the final notes of one meeting: its decisions and its action items, numbered. You do not see the meeting.',
  'Find each entry that only says again what an earlier entry of the same list says (the same decision, or the same piece',
  'of work, in other words; a requirement restated; not merely the same topic, and not a later decision that changes an',
  'earlier one). Answer with one JSON object and nothing else: {"repeats": [{"entry": "D4", "repeats": "D1"}]}, each',
  'repeat naming the earliest entry it repeats; an empty list when nothing repeats.',
];

export function duplicatesPrompt(lists: FinalLists): string {
  return [
    ...INSTRUCTIONS, '',
    'Decisions:', ...(lists.decisions.length ? lists.decisions.map((d, k) => `D${k + 1}. [${d.standing}] ${d.text}`) : ['(none)']), '',
    'Action items:', ...(lists.actionItems.length ? lists.actionItems.map((i, k) => `A${k + 1}. ${i.text}${i.owner ? ` (${i.owner})` : ''}`) : ['(none)']), '',
  ].join('\n');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function writeDuplicatesPrompt(dir: string, meeting: string, lists: FinalLists): void {
  fs.mkdirSync(dir, { recursive: true });
  const prompt = duplicatesPrompt(lists);
  fs.writeFileSync(path.join(dir, `${meeting}.duplicates.prompt.txt`), prompt);
  fs.writeFileSync(path.join(dir, `${meeting}.duplicates.prompt.sha256`), `${sha256(prompt)}\n`);
}

/**
 * The repeats a judge found: entries of the lists that name an earlier entry of the same list, each entry once;
 * anything else in the answer is left out and said in `refused`.
 */
export function parseRepeats(answer: string, lists: FinalLists, refused: string[] = []): { entry: string; repeats: string }[] | null {
  const value = extractJsonObject(answer) as { repeats?: unknown } | undefined;
  if (!value || !Array.isArray(value.repeats)) return null;
  const exists = (id: string) => {
    const m = /^([DA])(\d+)$/.exec(id);
    return !!m && Number(m[2]) >= 1 && Number(m[2]) <= (m[1] === 'D' ? lists.decisions : lists.actionItems).length;
  };
  const out: { entry: string; repeats: string }[] = [];
  value.repeats.forEach((r: unknown, k) => {
    const entry = String((r as { entry?: unknown })?.entry ?? '').trim(), of = String((r as { repeats?: unknown })?.repeats ?? '').trim();
    if (!exists(entry) || !exists(of) || entry[0] !== of[0] || Number(of.slice(1)) >= Number(entry.slice(1))) return refused.push(`repeat ${k + 1}: not an entry naming an earlier one of its list`);
    if (out.some((x) => x.entry === entry)) return refused.push(`repeat ${k + 1}: ${entry} named twice`);
    out.push({ entry, repeats: of });
  });
  return out;
}

/** A meeting's judged repeats (each entry and the earlier one it repeats), or why not: no answer yet, or lists that changed since the prompt was written. */
export function readRepeatPairs(dir: string, meeting: string, lists: FinalLists): { entry: string; repeats: string }[] | string {
  const hashFile = path.join(dir, `${meeting}.duplicates.prompt.sha256`);
  const answerFile = path.join(dir, `${meeting}.duplicates.answer.txt`);
  if (!fs.existsSync(hashFile) || fs.readFileSync(hashFile, 'utf8').trim() !== sha256(duplicatesPrompt(lists))) return 'not judged (the lists changed since the prompt was written)';
  if (!fs.existsSync(answerFile)) return 'not judged (no answer)';
  return parseRepeats(fs.readFileSync(answerFile, 'utf8'), lists) ?? 'not judged (no valid answer)';
}

/** A meeting's judged repeats by list, or why not (readRepeatPairs). */
export function readRepeats(dir: string, meeting: string, lists: FinalLists): { decisions: number; actionItems: number } | string {
  const repeats = readRepeatPairs(dir, meeting, lists);
  if (typeof repeats === 'string') return repeats;
  return { decisions: repeats.filter((r) => r.entry[0] === 'D').length, actionItems: repeats.filter((r) => r.entry[0] === 'A').length };
}
