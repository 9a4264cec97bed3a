/**
 * Reading a language model's answer: models like to wrap the JSON they were asked for in a sentence or a fenced block.
 * Shared by the daemon's providers; pure, nothing logged.
 */

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
    for (const [k, c] of brackets(text, start)) {
      if (c === '{') {
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

/** The braces and brackets of JSON text from `from` on, with their places, skipping those inside strings. */
function* brackets(text: string, from: number): Generator<[number, string]> {
  let inString = false;
  for (let k = from; k < text.length; k++) {
    const c = text[k];
    if (inString) {
      if (c === '\\') k++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{' || c === '}' || c === '[' || c === ']') {
      yield [k, c];
    }
  }
}

/**
 * The complete elements of the array under `key` in a JSON object whose text was cut short (an answer that reached its
 * token cap: `{"points": [{…}, {…}, {"text": "the thi`): each element that closes before the cut, in order, and
 * nothing after the first that does not. undefined when the text has no such array. Only objects are taken (a summary's
 * points); bounded by the text's length.
 */
export function cutArrayElements(text: string, key: string): unknown[] | undefined {
  const opening = new RegExp(`"${key}"\\s*:\\s*\\[`).exec(text);
  if (!opening) return undefined;
  const elements: unknown[] = [];
  let depth = 0;
  let start = -1;
  for (const [k, c] of brackets(text, opening.index + opening[0].length)) {
    if (c === '{') {
      if (depth++ === 0) start = k;
    } else if (c === '}') {
      if (--depth < 0) break;
      if (depth === 0) {
        try {
          elements.push(JSON.parse(text.slice(start, k + 1)));
        } catch {
          break;
        }
      }
    } else if (c === ']' && depth === 0) {
      break; // the array closed: the answer was not cut inside it
    }
  }
  return elements;
}

/**
 * A line id as a model cites it: the prompts show lines as `[l-12]`, and a model may copy the brackets (or give a
 * number); the id is `l-12` either way. Undefined when it is no id at all.
 */
export function citedId(cite: unknown): string | undefined {
  if (typeof cite === 'number') return String(cite);
  if (typeof cite !== 'string') return undefined;
  const id = cite.trim().replace(/^\[(.*)\]$/, '$1').trim();
  return id || undefined;
}
