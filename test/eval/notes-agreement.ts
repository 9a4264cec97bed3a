/**
 * How far two labellers agree on the real set (issue 13), and how the extractor scores against each of them.
 *
 * Some real meetings were labelled a second time, by labellers who worked from LABELLING.md alone and saw neither the
 * first labels nor the extractor (test/fixtures/real-meetings/second-labeller). The second labeller's labels are scored
 * against the first's exactly as the extractor is (notes-eval.ts's matching, the second labeller's `mentions` counting
 * as turns it states the find at): that is how well a careful human reproduces the labels, the ceiling any extractor's
 * figures are read against. The extractor is then scored on the same meetings against the first labeller, the
 * second, the finds both made (recall there: what every careful note-taker would want) and the finds either made
 * (precision there: a find one careful note-taker would write down is not noise).
 *
 *   npm run eval:agreement
 *   node out/test/eval/notes-agreement.js --meetings committee   the committee hearings (both labellers on all 30)
 *   node out/test/eval/notes-agreement.js --meetings ami-natural   the AMI corpus's non-scenario meetings (all 33)
 *   node out/test/eval/notes-agreement.js --meetings icsi-unread   the ICSI meetings QMSum never took (all 15)
 *   node out/test/eval/notes-agreement.js --meetings core-devs   Ethereum's All Core Devs calls (all 8)
 *   node out/test/eval/notes-agreement.js --meetings core-devs-cl   its consensus-layer calls (all 8)
 *   node out/test/eval/notes-agreement.js --meetings core-devs-el2   eight more execution-layer calls (-el3: eight more again)
 *   node out/test/eval/notes-agreement.js --meetings abstracts   the two meetings QMSum never took that the corpora summarised
 *   node out/test/eval/notes-agreement.js --detail   also every find only one labeller made
 *   node out/test/eval/notes-agreement.js --json
 *
 * A measurement: the exit code is always 0.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ABSTRACTS_DIR, AMI_NATURAL_DIR, COMMITTEE_DIR, CORE_DEVS_CL_DIR, CORE_DEVS_DIR, CORE_DEVS_EL2_DIR, CORE_DEVS_EL3_DIR, ICSI_UNREAD_DIR, evaluate, flagValue, labelsAsPredictions, loadMeetings, loadSilver, match, Meeting, MeetingLabels, percentCell as pct, REAL_MEETINGS_DIR, SETS } from './notes-eval';

export const SECOND_LABELLER_DIR = path.join(REAL_MEETINGS_DIR, 'second-labeller');

export interface DoublyLabelled { meeting: Meeting; second: MeetingLabels }

/** Every meeting of a set (the real set unless given) that has a second labeller's file, with both labels. */
export function loadDoublyLabelled(dir = SECOND_LABELLER_DIR, set: Meeting[] = loadMeetings(REAL_MEETINGS_DIR), setName = 'the real set'): DoublyLabelled[] {
  const meetings = new Map(set.map((m) => [m.name, m]));
  return fs.readdirSync(dir).filter((f) => f.endsWith('.labels.json')).sort().map((f) => {
    const name = f.slice(0, -'.labels.json'.length);
    const meeting = meetings.get(name);
    if (!meeting) throw new Error(`${path.join(dir, f)}: ${setName} has no meeting ${name}`);
    return { meeting, second: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as MeetingLabels };
  });
}

/** The finds both labellers made (in the first labeller's words, with both labellers' turns) and those either made. */
export function agreedAndEither(first: MeetingLabels, second: MeetingLabels): { agreed: MeetingLabels; either: MeetingLabels } {
  const secondFinds = labelsAsPredictions(second);
  const items = match(first.actionItems, secondFinds.actionItems);
  const decisions = match(first.decisions, secondFinds.decisions);
  const matchedItems = new Set(items.values());
  const matchedDecisions = new Set(decisions.values());
  const agreedItems = [...items].map(([fi, si]) => {
    const f = first.actionItems[fi];
    const s = second.actionItems[si];
    return { ...f, mentions: [...new Set([...(f.mentions ?? []), s.turn, ...(s.mentions ?? [])])].filter((t) => t !== f.turn) };
  });
  return {
    agreed: { ...first, actionItems: agreedItems, decisions: [...decisions.keys()].map((fi) => first.decisions[fi]) },
    either: {
      ...first,
      actionItems: [...first.actionItems, ...second.actionItems.filter((_, si) => !matchedItems.has(si))],
      decisions: [...first.decisions, ...second.decisions.filter((_, si) => !matchedDecisions.has(si))],
    },
  };
}

type Evaluation = Awaited<ReturnType<typeof evaluate>>;

export interface Agreement {
  meetings: string[];
  /** The second labeller scored against the first, as the extractor is. */
  secondVsFirst: Evaluation;
  rulesVsFirst: Evaluation;
  rulesVsSecond: Evaluation;
  /** Recall is the figure to read: the finds both labellers made. */
  rulesVsAgreed: Evaluation;
  /** Precision is the figure to read: a find counts right when either labeller made it. */
  rulesVsEither: Evaluation;
}

export async function agreement(pairs = loadDoublyLabelled()): Promise<Agreement> {
  const targets = SETS.real.targets;
  const relabel = (labelsOf: (p: DoublyLabelled) => MeetingLabels): Meeting[] => pairs.map((p) => ({ ...p.meeting, labels: labelsOf(p) }));
  const second = new Map(pairs.map((p) => [p.meeting.name, p.second]));
  const both = new Map(pairs.map((p) => [p.meeting.name, agreedAndEither(p.meeting.labels, p.second)]));
  return {
    meetings: pairs.map((p) => p.meeting.name),
    secondVsFirst: await evaluate(relabel((p) => p.meeting.labels), targets, (m) => labelsAsPredictions(second.get(m.name)!)),
    rulesVsFirst: await evaluate(relabel((p) => p.meeting.labels), targets),
    rulesVsSecond: await evaluate(relabel((p) => p.second), targets),
    rulesVsAgreed: await evaluate(relabel((p) => both.get(p.meeting.name)!.agreed), targets),
    rulesVsEither: await evaluate(relabel((p) => both.get(p.meeting.name)!.either), targets),
  };
}

export function f1(precision: number | null, recall: number | null): number | null {
  if (precision === null || recall === null) return null;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

function row(name: string, e: Evaluation['overall'] | Evaluation['meetings'][number]): string {
  const i = e.actionItems;
  const d = e.decisions;
  return `${name.padEnd(34)} ${pct(i.precision)} ${pct(i.recall)} ${pct(f1(i.precision, i.recall))} ${pct(i.ownerAccuracy)}   ${pct(d.precision)} ${pct(d.recall)} ${pct(f1(d.precision, d.recall))}   ${String(i.labelled).padStart(3)}/${String(i.predicted).padStart(3)} ${String(d.labelled).padStart(3)}/${String(d.predicted).padStart(3)}`;
}

function report(a: Agreement, detail: boolean): string[] {
  const head = `${''.padEnd(34)} ${'items P'.padStart(7)} ${'R'.padStart(7)} ${'F1'.padStart(7)} ${'owner'.padStart(7)}   ${'dec P'.padStart(7)} ${'R'.padStart(7)} ${'F1'.padStart(7)}   items    decisions (labelled/found)`;
  const out = [`Labeller agreement on ${a.meetings.length} meetings (test/eval/notes-agreement.ts): ${a.meetings.join(', ')}`, ''];
  out.push(head);
  out.push(row('second labeller vs first', a.secondVsFirst.overall));
  out.push(row('rules vs first labeller', a.rulesVsFirst.overall));
  out.push(row('rules vs second labeller', a.rulesVsSecond.overall));
  out.push(row('rules vs finds both made (R)', a.rulesVsAgreed.overall));
  out.push(row('rules vs finds either made (P)', a.rulesVsEither.overall));
  out.push('', 'Second labeller vs first, per meeting:', head);
  for (const m of a.secondVsFirst.meetings) out.push(row(m.meeting, m));
  if (detail) {
    const list = (title: string, error: string, what: string) => {
      const found = a.secondVsFirst.findings.filter((f) => f.error === error && f.what === what);
      out.push('', `${title} (${found.length}):`);
      for (const f of found) out.push(`  ${f.meeting} #${f.turn} ${f.speaker ?? '?'}: ${f.text}`);
    };
    list('Action items only the first labeller has', 'miss', 'action item');
    list('Action items only the second labeller has', 'false positive', 'action item');
    list('Decisions only the first labeller has', 'miss', 'decision');
    list('Decisions only the second labeller has', 'false positive', 'decision');
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const set = flagValue(argv, '--meetings') ?? 'real';
  const others: Record<string, [string, string]> = {
    committee: [COMMITTEE_DIR, 'the committee set'], 'ami-natural': [AMI_NATURAL_DIR, 'the AMI natural set'], abstracts: [ABSTRACTS_DIR, 'the two meetings the corpora summarised'],
    'icsi-unread': [ICSI_UNREAD_DIR, 'the ICSI meetings QMSum never took'], 'core-devs': [CORE_DEVS_DIR, 'the All Core Devs calls'],
    'core-devs-cl': [CORE_DEVS_CL_DIR, 'the All Core Devs consensus-layer calls'],
    'core-devs-el2': [CORE_DEVS_EL2_DIR, 'eight more All Core Devs execution-layer calls (el2)'],
    'core-devs-el3': [CORE_DEVS_EL3_DIR, 'eight more All Core Devs execution-layer calls (el3)'],
  };
  if (set !== 'real' && !others[set]) throw new Error(`--meetings ${set}: real, committee, ami-natural, abstracts, icsi-unread, core-devs, core-devs-cl, core-devs-el2 or core-devs-el3`);
  const a = await agreement(set === 'real' ? undefined : loadDoublyLabelled(path.join(others[set][0], 'second-labeller'), loadSilver(others[set][0]), others[set][1]));
  if (argv.includes('--json')) {
    const strip = (e: Evaluation) => ({ overall: e.overall, meetings: e.meetings });
    process.stdout.write(`${JSON.stringify({
      meetings: a.meetings, secondVsFirst: strip(a.secondVsFirst), rulesVsFirst: strip(a.rulesVsFirst), rulesVsSecond: strip(a.rulesVsSecond),
      rulesVsAgreed: strip(a.rulesVsAgreed), rulesVsEither: strip(a.rulesVsEither),
    }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${report(a, argv.includes('--detail')).join('\n')}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stdout.write(`agreement eval failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  }).finally(() => { process.exitCode = 0; });
}
