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
