/**
 * Which speaker a name in the meeting belongs to (issue 56, "owners from names"): a transcript labels voices by role or
 * number ("Industrial Designer", "Speaker 2"), while people are asked by name ("David, save your presentations…"), so an
 * item for "David" must be given to the voice the meeting ties that name to. The ties come from what the lines show:
 * - an introduction: "I'm David", "my name is David" said by that voice (strong; not "this is David", which introduces
 *   someone else);
 * - being addressed and answering: "David, could you…" and the next other voice speaks (one vote each time);
 * - being thanked after speaking: "thanks, David" right after that voice spoke (one vote).
 * A name is tied when its votes point one way: an introduction, or two more votes for one voice than for any other.
 * A voice the user renamed carries the name as its label already (speakers/labels.ts) and needs no tie. Pure.
 */

export interface TieLine { speaker: string; text: string }

/** Capitalized words that start sentences or fill speech, never names. */
const NOT_NAMES = new Set((
  'i a an the and but or so then now well yes yeah yep no nope okay ok alright right sure fine good great cool lovely '
  + 'perfect excellent nice thanks thank hi hello hey um uh oh ah mm hmm erm sorry maybe also actually anyway basically '
  + 'just not going gonna here there this that what why how who when where which first second next finally really '
  + 'everyone everybody guys team all both you we they he she it me my our your monday tuesday wednesday thursday '
  + 'friday saturday sunday january february march april may june july august september october november december '
  + 'english british american afraid glad happy sure still done ready back although though because since unless whether '
  + 'while if otherwise however meanwhile besides instead perhaps probably obviously personally honestly'
).split(' '));
/** Fillers spelled as words ("Mmm", "Hmmm", "Uhh", "Erm"). */
const FILLER = /^(?:m+|h+m+|u+h*m*|a+h+|e+r+m*|o+h+)$/i;

const INTRODUCTION = /\b(?:I'm|I am|my name is|my name's)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b/g;
/** A name said first in a line, before a comma: "David, could you…" (after a filler: "Okay, David, …"). */
const ADDRESS_FIRST = /^(?:(?:okay|ok|so|right|and|um|uh|well|now|alright)[,.]?\s+)*([A-Z][a-z]+)(?:\s+[A-Z][a-z]+)?,\s/i;
/** A name said last, after a comma: "…could you do that, David?" */
const ADDRESS_LAST = /,\s+([A-Z][a-z]+)\s*[?.!]?\s*$/;
const THANKS = /\bthank(?:s| you),?\s+([A-Z][a-z]+)\b/;

const key = (name: string) => name.toLowerCase();

export class NameTies {
  private constructor(private readonly tied: Map<string, string>, private readonly labels: ReadonlyMap<string, string>,
    private readonly spelled: ReadonlyMap<string, string>) {}

  /** The ties the lines show (in meeting order), among the voices that speak in them. */
  static of(lines: readonly TieLine[]): NameTies {
    const labels = new Map(lines.map((l) => [key(l.speaker), l.speaker]));
    const labelWords = new Set([...labels.keys()].flatMap((l) => l.split(/\s+/)));
    // A word the meeting also says in lower case is a word, not a name ("so", "right", "design").
    const lowerWords = new Set(lines.flatMap((l) => l.text.match(/\b[a-z][a-z']*\b/g) ?? []));
    const candidate = (word: string) => word.length >= 3 && !FILLER.test(word) && !NOT_NAMES.has(key(word)) && !labelWords.has(key(word)) && !lowerWords.has(key(word));
    const votes = new Map<string, Map<string, number>>();
    const spelled = new Map<string, string>();
    const vote = (name: string, speaker: string, weight: number) => {
      if (!candidate(name)) return;
      if (!spelled.has(key(name))) spelled.set(key(name), name);
      const forName = votes.get(key(name)) ?? new Map<string, number>();
      forName.set(speaker, (forName.get(speaker) ?? 0) + weight);
      votes.set(key(name), forName);
    };
    const nextOther = (i: number) => lines.slice(i + 1, i + 3).find((l) => l.speaker !== lines[i].speaker)?.speaker;
    const previousOther = (i: number) => lines.slice(Math.max(0, i - 2), i).reverse().find((l) => l.speaker !== lines[i].speaker)?.speaker;
    lines.forEach((line, i) => {
      for (const m of line.text.matchAll(INTRODUCTION)) vote(m[1].split(/\s+/)[0], line.speaker, INTRODUCED);
      const addressed = ADDRESS_FIRST.exec(line.text)?.[1] ?? ADDRESS_LAST.exec(line.text)?.[1];
      const answerer = addressed ? nextOther(i) : undefined;
      if (addressed && answerer) vote(addressed, answerer, 1);
      const thanked = THANKS.exec(line.text)?.[1];
      const speakerBefore = thanked ? previousOther(i) : undefined;
      if (thanked && speakerBefore) vote(thanked, speakerBefore, 1);
    });
    const tied = new Map<string, string>();
    for (const [name, forName] of votes) {
      const [best, second] = [...forName.entries()].sort((a, b) => b[1] - a[1]);
      const margin = best[1] - (second?.[1] ?? 0);
      if (margin >= 2) tied.set(name, best[0]);
    }
    return new NameTies(tied, labels, spelled);
  }

  /**
   * The name the meeting ties to a voice, as it was said ("David"); undefined when none, when several are (a
   * nickname and a name: which to show is a guess), or when the label is the name already (a renamed voice).
   */
  nameOf(speaker: string): string | undefined {
    const names = [...this.tied].filter(([, s]) => s === speaker).map(([name]) => name);
    if (names.length !== 1 || key(speaker).split(/\s+/).includes(names[0])) return undefined;
    return this.spelled.get(names[0]);
  }

  /** The voice a name belongs to, undefined when the meeting does not tie it. */
  speakerOf(name: string): string | undefined {
    return this.tied.get(key(name));
  }

  /**
   * An owner as a voice's label: a label (any case) as it is; free text naming one voice ("David Jordan", "Craig (UI)")
   * as that voice; else unchanged. Null stays null unless `addressedIn` (the line the item comes from) opens by
   * naming a tied voice other than its own speaker ("David, save your presentations…").
   */
  owner(owner: string | null, addressedIn?: TieLine): string | null {
    if (owner === null) {
      const name = addressedIn ? ADDRESS_FIRST.exec(addressedIn.text)?.[1] : undefined;
      const speaker = name ? this.speakerOf(name) : undefined;
      return speaker && speaker !== addressedIn!.speaker ? speaker : null;
    }
    const label = this.labels.get(key(owner.trim()));
    if (label) return label;
    const named = new Set([
      ...[...this.labels.entries()].filter(([l]) => new RegExp(`\\b${l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(key(owner))).map(([, label]) => label),
      ...(owner.match(/\b[A-Z][a-z]+\b/g) ?? []).map((w) => this.speakerOf(w)).filter((s): s is string => s !== undefined),
    ]);
    return named.size === 1 ? [...named][0] : owner;
  }
}

/** An introduction outweighs a single address or thanks to someone else. */
const INTRODUCED = 3;
