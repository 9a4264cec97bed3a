/**
 * What a row of a notes list shows of an item (text, meta line, badge, done, dismissed or rewritten by the language
 * model, the group of a decision's standing), from the data alone: pure, so that it is unit-tested outside the webview
 * (compiled by the root tsconfig as CommonJS, and by media/tsconfig.json as an ES module). The rows themselves:
 * itemRows.ts.
 */
import type { PanelQuestion } from '../../protocol/panel';
import type { ActionItem, Decision, DecisionRewrite, DecisionStanding, ItemRewrite, StandingStep } from '../../protocol/protocol';

/** mm:ss, or h:mm:ss past the hour (as the notes write times). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}

export interface Entry {
  id: string;
  text: string;
  meta: string;
  done?: boolean;
  badge?: string;
  badgeKind?: string;
  /** Dismissed by the opt-in language model: its reason (the row is struck through and offers Restore). */
  dismissed?: string;
  /** Rewritten by the opt-in language model (the row offers to undo it). */
  rewritten?: boolean;
  /** The first decision of a standing's group (unless every decision is simply decided): the group's name, shown above it. */
  group?: string;
}

/** The decisions' groups in the order the list shows them (as the notes file does). */
const STANDING_GROUPS: readonly { standing: DecisionStanding; name: string; badge?: string }[] = [
  { standing: 'decided', name: 'Decided' }, { standing: 'open', name: 'Left open', badge: 'Left open' }, { standing: 'given', name: 'Given to the team', badge: 'Given' },
];

/** protocol.ts decisionStanding (the webview imports types only): a decision journaled before standings is derived from its kind. */
const standingOf = (d: Decision): DecisionStanding => d.standing ?? (d.kind === 'deferral' ? 'open' : 'decided');

/** What the language model's rewrite changed, as it was: `“old text”, @old owner, due old`. */
function wasBefore(was: ItemRewrite['was'], now: ActionItem): string {
  return [was.text !== now.text ? `“${was.text}”` : '', was.owner !== now.owner ? `@${was.owner ?? 'nobody'}` : '',
    was.due !== now.due ? `due ${was.due ?? 'none'}` : ''].filter(Boolean).join(', ');
}

export function actionItemEntries(items: Iterable<ActionItem>): Entry[] {
  return [...items].map((i) => {
    const rewritten = !i.removed && i.rewritten ? i.rewritten : undefined;
    // A rewrite shows as the model's other revisions do ("refined"), with who did it and what it said before.
    const by = rewritten ? `revised by ${rewritten.by}${wasBefore(rewritten.was, i) ? ` (was ${wasBefore(rewritten.was, i)})` : ''}`
      : i.refinedBy ? (/^am\d+$/.test(i.id) ? 'language model' : 'refined') : '';
    return {
      id: i.id, text: i.text, done: !!i.done, ...(i.removed && i.dismissed ? { dismissed: i.dismissed.reason } : {}), ...(rewritten ? { rewritten: true } : {}),
      meta: i.removed && i.dismissed ? `dismissed by ${i.dismissed.by}: ${i.dismissed.reason}`
        : [i.owner ? `@${i.owner}` : '', i.due ? `due ${i.due}` : '', clock(i.t0), by].filter(Boolean).join(' · '),
    };
  });
}

/** What the language model's rewrite of a decision changed, as it was: `“old text”, was decided against`. */
function decisionWasBefore(was: DecisionRewrite['was'], now: Decision): string {
  const standing = (d: { kind: Decision['kind']; standing?: DecisionStanding }) => {
    const s = d.standing ?? (d.kind === 'deferral' ? 'open' : 'decided');
    return s === 'given' ? 'given' : s === 'open' ? 'left open' : d.kind === 'negative' ? 'decided against' : 'decided';
  };
  return [was.text !== now.text ? `“${was.text}”` : '', standing(was) !== standing(now) ? standing(was) : ''].filter(Boolean).join(', ');
}

/** Decided, then left open, then given to the team (in the order they came within a group), each group named above its first row. */
/** protocol.ts standingHistoryWords (types only here): "left open at 02:00, decided at 04:00". */
const STEP_WORDS: Record<StandingStep['standing'], string> = { open: 'left open', decided: 'decided', given: 'given to the team', dropped: 'dropped' };
const historyWords = (history: readonly StandingStep[] | undefined) =>
  history && history.length > 1 ? history.filter((h) => Object.hasOwn(STEP_WORDS, h.standing) && Number.isFinite(h.t0)).map((h) => `${STEP_WORDS[h.standing]} at ${clock(h.t0)}`).join(', ') : '';

export function decisionEntries(decisions: Iterable<Decision>): Entry[] {
  const all = [...decisions];
  const groups = STANDING_GROUPS.map((g) => ({ ...g, list: all.filter((d) => standingOf(d) === g.standing) })).filter((g) => g.list.length);
  return groups.flatMap((g) => g.list.map((d, k): Entry => {
    // A rule decision the model rewrote (prompt v6) shows who did it and what it said before, and offers to undo it.
    const rewritten = !d.removed && d.rewritten ? d.rewritten : undefined;
    const was = rewritten ? decisionWasBefore(rewritten.was, d) : '';
    const by = rewritten ? `revised by ${rewritten.by}${was ? ` (was ${was})` : ''}` : d.refinedBy ? (/^dm\d+$/.test(d.id) ? 'language model' : 'refined') : '';
    return {
      id: d.id, text: d.text,
      badge: [g.badge, d.kind === 'negative' ? 'Not doing' : ''].filter(Boolean).join(' · ') || undefined,
      badgeKind: g.standing === 'decided' ? d.kind : g.standing,
      ...(k === 0 && (groups.length > 1 || g.standing !== 'decided') ? { group: g.name } : {}),
      ...(d.removed && d.dismissed ? { dismissed: d.dismissed.reason } : {}), ...(rewritten ? { rewritten: true } : {}),
      // A standing a later part of the meeting changed shows its history in place of the one time (issue 56).
      meta: d.removed && d.dismissed ? `dismissed by ${d.dismissed.by}: ${d.dismissed.reason}` : [historyWords(d.standingHistory) || clock(d.t0), by].filter(Boolean).join(' · '),
    };
  }));
}

export function questionEntries(questions: PanelQuestion[]): Entry[] {
  return questions.map((q) => ({ id: q.id, text: q.text, meta: [q.speaker ?? '', clock(q.t0)].filter(Boolean).join(' · ') }));
}

