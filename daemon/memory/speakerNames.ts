/**
 * Which of a meeting's speakers a question names ("what did Kirsty Williams say about…", "what did the professor
 * think…"), so that memory can weigh their turns. A speaker label is matched by its words in order, by its role
 * without a trailing letter ("Professor B" as "the professor") and by its last name ("Williams"), the last two only
 * when no other speaker of the meeting shares them. Honorifics and parentheses ("Hon.", "(Lib.)") are not needed.
 *
 * Owns the matching. Pure.
 */
import { words } from './terms';

const HONORIFICS = new Set(['hon', 'mr', 'mrs', 'ms', 'dr', 'the', 'am', 'mp', 'mla', 'ms']);

/** The ways a question may name each label: word sequences, each with the labels it names. */
export function speakerNameKeys(labels: Iterable<string>): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  const all = new Set(labels);
  const add = (name: string[], label: string) => {
    const key = name.join(' ');
    if (key.replace(/ /g, '').length < 3) return; // "C", "Al": too likely to be some other word
    if (!keys.has(key)) keys.set(key, new Set());
    keys.get(key)!.add(label);
  };
  for (const label of all) {
    if (!label.trim()) continue;
    // "The Chair (Hon. Anthony Rota (Nipissing, Lib.))": "The Chair" and "Hon. Anthony Rota" are both its names.
    const parts = [label.replace(/\([^()]*(\([^()]*\))?[^()]*\)/g, ' '), ...[...label.matchAll(/\(([^()]*)/g)].map((m) => m[1])];
    for (const part of parts) {
      const name = words(part).filter((w) => !HONORIFICS.has(w));
      if (!name.length) continue;
      add(name, label);
      if (name.length >= 2 && name[name.length - 1].length === 1) add(name.slice(0, -1), label); // "Professor B": the professor
      if (name.length >= 2 && name.every((w) => w.length > 1)) add(name.slice(-1), label); // "Kirsty Williams": Williams
    }
  }
  // A shortened name two speakers share names neither ("PhD" of PhD A and PhD C); a whole label always names itself.
  const full = new Set([...all].map((l) => words(l).join(' ')));
  for (const [key, named] of keys) if (named.size > 1 && !full.has(key)) keys.delete(key);
  return keys;
}

/** The labels a question names, given the keys of speakerNameKeys. */
export function namedSpeakers(question: string, keys: Map<string, Set<string>>): { labels: Set<string>; words: Set<string> } {
  const q = words(question);
  const labels = new Set<string>();
  const used = new Set<string>();
  for (const [key, named] of keys) {
    const seq = key.split(' ');
    if (!containsRun(q, seq)) continue;
    for (const l of named) labels.add(l);
    for (const w of seq) used.add(w);
  }
  return { labels, words: used };
}

function containsRun(hay: string[], needle: string[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
