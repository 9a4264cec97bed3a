/**
 * A notes template's 'model' section as the notes show it: the text a language model wrote for it at the end of the
 * meeting (a `templateSections` record, understanding/templateSections.ts), each point citing the transcript lines it
 * comes from, or a plain line saying the section needs a language model (the rules write none). Pure.
 */
import { FinalSegment } from '../../protocol/protocol';
import { clock, inline } from '../../protocol/markdownText';
import { JournalRecord } from '../journal/journal';
import { displayModel } from './notesText';
import { transcriptAnchor } from './summarySection';

/** What a 'model' section says when no model wrote it. */
export const NEEDS_MODEL = '_Needs a language model: Earshot writes this section at the end of the meeting with the model you choose (setting `earshot.enhancement.provider`); the rules do not._';

/** The section's lines after its heading: the last model text written for `heading`, else NEEDS_MODEL (or that it is still to come). */
export function modelSectionLines(heading: string, records: readonly JournalRecord[], segments: ReadonlyMap<string, FinalSegment>, ended: boolean): string[] {
  const written = [...records].reverse().find((r): r is Extract<JournalRecord, { type: 'templateSections' }> => r.type === 'templateSections');
  const section = Array.isArray(written?.sections) ? written.sections.find((s) => s?.heading === heading) : undefined;
  const points = (Array.isArray(section?.points) ? section.points : []).flatMap((p) => {
    const ids = (Array.isArray(p?.segmentIds) ? p.segmentIds : []).filter((id) => segments.has(id)).sort((a, b) => segments.get(a)!.t0 - segments.get(b)!.t0);
    return typeof p?.text === 'string' && p.text.trim() ? [{ text: p.text, ids }] : [];
  });
  if (!points.length) return [written || ended ? NEEDS_MODEL : '_Written at the end of the meeting by the language model you choose, if any (setting `earshot.enhancement.provider`)._'];
  return [`_Written by ${displayModel(String(written!.by ?? ''))} (opt-in language model) at the end of the meeting by the template's instructions; check it against the transcript below._`, '',
    ...points.map((p) => {
      const cites = p.ids.map((id) => `[${clock(segments.get(id)!.t0)}](#${transcriptAnchor(id)})`).join(', ');
      return `- ${inline(p.text)}${cites ? ` _(${cites})_` : ''}`;
    })];
}

/** The ids of the transcript lines the 'model' sections cite (they get an anchor, as the summary's do). */
export function modelSectionCites(records: readonly JournalRecord[]): string[] {
  const written = [...records].reverse().find((r): r is Extract<JournalRecord, { type: 'templateSections' }> => r.type === 'templateSections');
  return (Array.isArray(written?.sections) ? written.sections : []).flatMap((s) => (Array.isArray(s?.points) ? s.points : []).flatMap((p) => (Array.isArray(p?.segmentIds) ? p.segmentIds : [])));
}
