/**
 * meetings_about_code: what meetings said about a workspace file or symbol (memory/codeAnchors.ts): the lines that
 * named it or were spoken while it was open, and the decisions and open action items tied to them, newest meeting
 * first. Any workspace folder's meetings, unless the source names one (`earshot mcp --workspace DIR`): an agent names
 * paths relative to its own workspace, and `earshot mcp` does not know which folder that is unless told.
 */
import { AgentCitedLine, AgentToolResult } from '../../protocol/agentTools';
import { plainLine } from '../../protocol/plainText';
import { ActionItem, Decision, decisionStanding } from '../../protocol/protocol';
import { clock } from '../../protocol/markdownText';
import { MeetingFile } from '../memory/askSearch';
import { codeAnchors } from '../memory/codeAnchors';
import { MemoryIndex } from '../memory/memoryIndex';
import { BoundedText, TextLine } from './boundedText';
import { citedWhere, lineAt, meetingHeading } from './cite';
import { AgentToolInputError } from './validate';

type Found = Extract<AgentToolResult['structured'], { tool: 'meetings_about_code' }>['meetings'][number];

export function meetingsAboutCode(index: MemoryIndex, query: { path?: string; symbol?: string; since?: string; root?: string }, files: ReadonlyMap<string, MeetingFile>): AgentToolResult {
  if (!query.path && !query.symbol) throw new AgentToolInputError('meetings_about_code: give "path", "symbol" or both');
  const what = [query.symbol && `the symbol ${plainLine(query.symbol)}`, query.path && plainLine(query.path)].filter(Boolean).join(' in ');
  const found = codeAnchors(index, query);
  const out = new BoundedText();
  out.note(found.length ? `${found.length} meeting${found.length === 1 ? '' : 's'} spoke of ${what}, newest first:` : `No stored meeting spoke of ${what}.`);
  const meetings: Found[] = [];
  for (const m of found) {
    const record = index.record(m.meeting.sessionId)!;
    const lines = m.lines.map((l) => lineAt(record, l.line.index - 1, files));
    const entry: { line: TextLine; keep: (f: Found) => void }[] = [
      { line: { prefix: `\n${meetingHeading(m.meeting)}${files.get(m.meeting.sessionId) ? ` — ${plainLine(files.get(m.meeting.sessionId)!.file)}` : ''}${m.meeting.notesPath ? `; notes ${plainLine(m.meeting.notesPath)}` : ''}` }, keep: () => undefined },
      ...m.lines.map((l, i) => ({
        line: { prefix: `  ${citedWhere(lines[i])} ${plainLine(l.line.speaker) || '?'} (${l.how === 'named' ? 'named' : 'viewing'} ${anchorName(l)}): `, text: plainLine(l.line.text) },
        keep: (f: Found) => f.lines.push(lines[i]),
      })),
      ...listed('Decisions', m.decisions.map(({ decision, notesLine }) => ({
        line: { prefix: `    - (${decisionStanding(decision)}) `, text: `${plainLine(decision.text)} (${clock(decision.t0)}${notesLine ? `, notes line ${notesLine}` : ''})` },
        keep: (f: Found) => f.decisions.push(decision),
      }))),
      ...listed('Open action items', m.actionItems.map(({ item, notesLine }) => ({
        line: { prefix: '    - [ ] ', text: `${plainLine(item.text)}${item.owner ? ` — @${plainLine(item.owner)}` : ''}${item.due ? `, due ${plainLine(item.due)}` : ''} (${clock(item.t0)}${notesLine ? `, notes line ${notesLine}` : ''})` },
        keep: (f: Found) => f.actionItems.push(item),
      }))),
    ];
    const taken = out.add(entry.map((e) => e.line), meetings.length === 0);
    if (!taken.length) break;
    const kept: Found = { meeting: m.meeting, lines: [] as AgentCitedLine[], decisions: [] as Decision[], actionItems: [] as ActionItem[] };
    entry.slice(0, taken.length).forEach((e) => e.keep(kept));
    meetings.push(kept);
    if (out.truncated) break;
  }
  return { text: out.text('Ask with since, or for a symbol.'), structured: { tool: 'meetings_about_code', meetings, truncated: out.truncated } };
}

function listed<T>(title: string, entries: T[]): (T | { line: TextLine; keep: () => void })[] {
  return entries.length ? [{ line: { prefix: `  ${title}:` }, keep: () => undefined }, ...entries] : [];
}

function anchorName(l: ReturnType<typeof codeAnchors>[number]['lines'][number]): string {
  const t = l.target;
  const where = l.viewing ? `${plainLine(l.viewing.path)}:${l.viewing.startLine}${l.viewing.endLine !== l.viewing.startLine ? `-${l.viewing.endLine}` : ''}` : plainLine(t.path);
  return t.kind === 'symbol' && t.name ? `${plainLine(t.name)} in ${where}` : where;
}
