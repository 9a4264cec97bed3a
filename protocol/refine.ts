/**
 * The opt-in refinement's prompt and the parsing of a model's answer, shared by the daemon (provider
 * 'openai-compatible', which asks the endpoint itself) and the extension (provider 'vscode-lm', which answers
 * `earshot/refine` with a VS Code language model). Pure functions: no I/O, nothing logged.
 */
import { RefineParams, RefineResult } from './protocol';
import { validateRefineResult } from './validate';

/** The JSON the model is asked for, shown to it verbatim. */
const SHAPE = `{
  "summary": ["3 to 6 short bullets: what the meeting was about and what came out of it"],
  "actionItems": [{"id": "a1 (the id of an existing item it refines; leave out for a new item)", "text": "what is to be done", "owner": "who does it, or null", "due": "YYYY-MM-DD or null"}],
  "decisions": [{"id": "d2 (existing id, or leave out)", "text": "what was decided", "kind": "decision | deferral | negative"}]
}`;

/** The system and user messages of a refinement request. */
export function refineMessages(params: RefineParams): { system: string; user: string } {
  const system = [
    'You refine the notes of a meeting from its transcript. Answer with one JSON object and nothing else, of this shape:',
    SHAPE,
    'Rules: use only what the transcript says; never invent people, dates or commitments. Keep the ids of the existing',
    'action items and decisions you rewrite (fix their text, owner or due date); list only items you change or add:',
    'items you leave out stay as they are. Resolve relative dates from the meeting date. A decision\'s kind is "deferral"',
    'when it was put off until later and "negative" when something will not be done. Write in the transcript\'s language.',
  ].join('\n');
  const clockOf = (t: number) => {
    const s = Math.max(0, Math.floor(t));
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  };
  const user = [
    `Meeting: ${params.title}`,
    `Date: ${params.date}`,
    '',
    'Extractive summary so far:',
    ...params.summary.map((b) => `- ${b}`),
    '',
    'Existing action items (JSON):',
    JSON.stringify(params.actionItems),
    '',
    'Existing decisions (JSON):',
    JSON.stringify(params.decisions),
    '',
    params.omittedLines > 0 ? `Transcript (the last ${params.transcript.length} lines; ${params.omittedLines} earlier lines left out):` : 'Transcript:',
    ...params.transcript.map((l) => `[${clockOf(l.t0)}] ${l.speaker}: ${l.text}`),
  ].join('\n');
  return { system, user };
}

/**
 * The first JSON object in a model's answer: the whole text, a fenced ```json block, or the first balanced {...} that
 * parses (models like to add a sentence before or after). undefined when there is none.
 */
export function extractJsonObject(text: string): unknown {
  const attempt = (candidate: string): unknown => {
    try {
      const value: unknown = JSON.parse(candidate);
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
    } catch {
      return undefined;
    }
  };
  const whole = attempt(text.trim());
  if (whole !== undefined) return whole;
  const fence = /```(?:json)?\s*\n?([\s\S]*?)```/i.exec(text);
  if (fence) {
    const fenced = attempt(fence[1].trim());
    if (fenced !== undefined) return fenced;
  }
  // Balanced braces, minding strings; try each opening brace in turn (bounded work: at most 20 starts).
  let starts = 0;
  for (let start = text.indexOf('{'); start >= 0 && starts < 20; start = text.indexOf('{', start + 1), starts++) {
    let depth = 0;
    let inString = false;
    for (let k = start; k < text.length; k++) {
      const c = text[k];
      if (inString) {
        if (c === '\\') k++;
        else if (c === '"') inString = false;
      } else if (c === '"') {
        inString = true;
      } else if (c === '{') {
        depth++;
      } else if (c === '}' && --depth === 0) {
        const value = attempt(text.slice(start, k + 1));
        if (value !== undefined) return value;
        break;
      }
    }
  }
  return undefined;
}

/** A model's answer as a refinement (see validateRefineResult), or null when it holds nothing usable. */
export function parseRefinementText(text: string, model: string): RefineResult | null {
  const value = extractJsonObject(text);
  if (value === undefined) return null;
  // The model name is ours, not whatever the answer claims.
  return validateRefineResult({ ...(value as Record<string, unknown>), model }, model);
}
