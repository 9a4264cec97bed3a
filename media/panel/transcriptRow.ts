/**
 * One transcript line as a row (li.line): its time, speaker and text, with search matches marked, code mentions as
 * buttons that open them, and "while viewing …" under a final line. Text only ever goes in as text nodes
 * (media/textRuns.ts splits it). Builds a detached row from a line; it does not place it, keep it or read the page.
 */
import { icon } from '../icons.js';
import { textRuns } from '../textRuns.js';
import { clock, el } from './dom.js';
import { speakerUnsure } from './lineShape.js';
import { post } from './messages.js';
import type { Line } from './transcriptState.js';

/**
 * `joined`: the line goes on from the row above it (lineShape.ts joinsPrevious): it shows no time and its speaker only
 * to screen readers, so that the two read as one line.
 */
export function buildRow(line: Line, pattern: RegExp | null, joined = false): HTMLLIElement {
  const s = line.segment;
  const row = el('li', `line ${s.final ? 'final' : 'partial'} source-${s.source}${joined ? ' joined' : ''}`);
  row.dataset.segmentId = s.segmentId;
  row.dataset.speaker = s.speaker;
  row.dataset.source = s.source;
  row.dataset.final = String(s.final);
  if (!s.final) row.setAttribute('aria-busy', 'true');
  const time = el('time', 'time', clock(s.t0));
  time.dateTime = `PT${Math.max(0, Math.floor(s.t0))}S`;
  const body = el('div', 'body');
  const from = s.source === 'mic' ? 'Microphone' : s.source === 'system' ? 'System audio' : 'Audio file';
  // A voice the speaker stage told apart can be named: the extension asks for the name (every line of it follows).
  // A joined line's speaker is the row above's: named there (and renamed there), read out here.
  const renamable = s.final && !!s.voice && !joined;
  const who = renamable ? el('button', 'speaker rename', s.speaker) : el('span', 'speaker', s.speaker);
  who.title = renamable ? `${from}, ${s.voice}: rename…` : s.speakerPending ? `${from}: who spoke is not known yet` : from;
  if (renamable) {
    (who as HTMLButtonElement).type = 'button';
    who.setAttribute('aria-label', `${s.speaker}: rename this speaker`);
    who.addEventListener('click', () => post({ type: 'renameSpeaker', segmentId: s.segmentId }));
  }
  if (s.speakerPending) who.classList.add('pending');
  // Not by its look alone: the tooltip and the accessible name say it too.
  if (speakerUnsure(s)) {
    who.classList.add('unsure');
    who.title += ' (speaker uncertain)';
    who.setAttribute('aria-label', renamable ? `${s.speaker} (speaker uncertain): rename this speaker` : `${s.speaker} (speaker uncertain)`);
  }
  if (joined) who.classList.add('sr-only');
  const text = el('span', 'text');
  let link: HTMLButtonElement | null = null;
  let linkIndex: number | null = null;
  for (const run of textRuns(s.text, s.final ? s.mentions : undefined, pattern)) {
    const piece: Node = run.match ? el('mark', 'match', run.text) : document.createTextNode(run.text);
    if (run.mention === null) {
      link = null;
      linkIndex = null;
      text.append(piece);
      continue;
    }
    if (!link || linkIndex !== run.mention) {
      const mention = s.mentions![run.mention];
      const index = run.mention;
      link = el('button', 'link mention');
      link.type = 'button';
      link.dataset.mentionIndex = String(index);
      const where = `${mention.target.path}${mention.target.line ? `:${mention.target.line}` : ''}`;
      link.title = mention.alternatives?.length ? `Open ${where} (or another match)` : `Open ${where}`;
      link.setAttribute('aria-label', `${s.text.slice(mention.start, mention.end)}: open ${where}`);
      link.addEventListener('click', () => post({ type: 'openMention', segmentId: s.segmentId, index }));
      linkIndex = run.mention;
      text.append(link);
    }
    link.append(piece);
  }
  body.append(who, ' ', text);
  if (s.final && line.showViewing && s.viewing) {
    const v = s.viewing;
    const where = `${v.path}:${v.startLine}${v.endLine !== v.startLine ? `–${v.endLine}` : ''}`;
    const viewing = el('button', 'link viewing-link');
    viewing.type = 'button';
    viewing.append(icon('link'), document.createTextNode(`while viewing ${where}`));
    viewing.title = `Open ${where}`;
    viewing.addEventListener('click', () => post({ type: 'openViewing', segmentId: s.segmentId }));
    const box = el('div', 'viewing');
    box.append(viewing);
    body.append(box);
  }
  row.append(time, body);
  return row;
}
