/**
 * `earshot notes`' language-model extraction (modelTranscript.ts, the same code as at a meeting's stop) over `lines`
 * with carried notes, through a scripted chat: every part answered `partAnswer`, and the check at stop whose user
 * message starts with `heading` (restatements.ts, procedureCheck.ts, ownerCheck.ts) answered by `check` (an Error: that call fails).
 * Answers what the extraction gives and each prompt the check was asked.
 */
import { Chat } from '../../daemon/understanding/providers';
import { extractTranscriptWithModel } from '../../daemon/understanding/modelTranscript';
import { SpokenLine } from '../../daemon/understanding/extract';

/** Lines of a meeting for `notesWithCheck`: `texts` said by two speakers in turn, 30 s apart, ids `l-<n>`. */
export const linesSaid = (texts: readonly string[], speakers: readonly [string, string]): SpokenLine[] =>
  texts.map((text, k) => ({ segmentId: `l-${k + 1}`, speaker: speakers[k % 2], t0: k * 30, text }));

/** A part's answer (prompt v8's JSON) listing `decisions` and `actionItems`, nothing else. */
export const partAnswerOf = (lists: { decisions?: object[]; actionItems?: object[] }): string =>
  JSON.stringify({ actionItems: lists.actionItems ?? [], decisions: lists.decisions ?? [], dismiss: [], rewrite: [], noted: [] });

export function notesWithCheck(lines: SpokenLine[], partAnswer: string, heading: string, check: (user: string) => string | Error,
  how: { checkRestatements?: boolean; checkProcedure?: boolean; checkOwners?: boolean }) {
  const asked: string[] = [];
  const chat: Chat = async (_system, user) => {
    if (!user.startsWith(heading)) return { text: partAnswer, model: 'm' };
    asked.push(user);
    const answer = check(user);
    if (answer instanceof Error) throw answer;
    return { text: answer, model: 'm' };
  };
  return extractTranscriptWithModel(lines, { actionItems: [], decisions: [], openQuestions: [] }, new Date('2030-01-01T09:00:00Z'),
    { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1' }, () => undefined, undefined, chat, undefined, { carryNotes: true, ...how })
    .then((result) => ({ result, asked }));
}
