/**
 * Regression floors on the notes extraction's quality (issue 13: "CI keeps regression floors on the quality
 * figures"): the same measurement as `npm run eval:notes`, on the clean set (hand-written meetings) and the real set
 * (32 AMI/ICSI meetings from QMSum train/val). A rule change that loses what was reached fails here. The floors sit a
 * little under the figures measured when they were set (BENCHMARKS.md, "Notes extraction on real meetings"); raise
 * them when the figures rise. They are not the targets: the real set is still below those.
 */
import * as assert from 'node:assert/strict';
import { evaluate, loadMeetings, SETS } from '../eval/notes-eval';

const FLOORS = {
  // Measured 2026-11-22: items P 0.979 R 1.000 owner 1.000; decisions P 0.958 R 0.868 (= the targets, kept).
  clean: { actionPrecision: 0.9, actionRecall: 0.9, ownerAccuracy: 0.9, decisionPrecision: 0.85, decisionRecall: 0.85 },
  // Measured 2026-11-22 on all 32 (held-out D added, unread): items P 0.420 R 0.358 owner 0.862; decisions P 0.319
  // R 0.274 (on the first 24: 0.481, 0.400, 0.840; 0.398, 0.320; before issue 13: 0.174, 0.280, 0.914; 0.046, 0.117).
  real: { actionPrecision: 0.38, actionRecall: 0.32, ownerAccuracy: 0.8, decisionPrecision: 0.28, decisionRecall: 0.24 },
} as const;

for (const name of ['clean', 'real'] as const) {
  describe(`Notes quality floors: ${name} set`, () => {
    it('stays at or above its floors', async () => {
      const { overall } = await evaluate(loadMeetings(SETS[name].dir), SETS[name].targets);
      const floors = FLOORS[name];
      const got = {
        actionPrecision: overall.actionItems.precision ?? 0,
        actionRecall: overall.actionItems.recall ?? 0,
        ownerAccuracy: overall.actionItems.ownerAccuracy ?? 0,
        decisionPrecision: overall.decisions.precision ?? 0,
        decisionRecall: overall.decisions.recall ?? 0,
      };
      for (const [k, floor] of Object.entries(floors) as [keyof typeof got, number][]) {
        assert.ok(got[k] >= floor, `${name} ${k} ${got[k].toFixed(3)} fell under its floor ${floor}`);
      }
    });
  });
}
