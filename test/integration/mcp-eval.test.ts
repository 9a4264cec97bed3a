import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluate, loadQmsum, memoryIndexOf } from '../eval/memoryQuality';
import { evaluateViaMcp } from '../eval/memoryViaMcp';

describe('earshot mcp: search through the MCP tool scores as eval:memory does for ask (real process, QMSum)', function () {
  this.timeout(300_000);

  it('the same hit@1, hit@5, span recall and lines, over each query\'s own meeting and over all meetings', async () => {
    const all = loadQmsum();
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mcp-eval-'));
    try {
      const viaMcp = await evaluateViaMcp(all, all, storage);
      const direct = evaluate(all, memoryIndexOf(all));
      const figures = (f: typeof direct.own) => ({ questions: f.questions, hit1: f.hit1, hit5: f.hit5, recall: f.recall, lines: f.lines });
      assert.ok(direct.all.questions > 200, `${direct.all.questions} questions`);
      assert.deepEqual(figures(viaMcp.own), figures(direct.own));
      assert.deepEqual(figures(viaMcp.all), figures(direct.all));
    } finally {
      fs.rmSync(storage, { recursive: true, force: true });
    }
  });
});
