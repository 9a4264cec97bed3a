/**
 * Figure MS — what a meeting-memory search costs the daemon (`@earshot`, `earshot ask`): QMSum's 38 train and val
 * meetings (test/fixtures/qmsum-memory), and the same meetings five times over (190, about a year of a user's
 * meetings), searched by words alone (the anchor) and with the meaning model's vectors fused in. The vectors come from
 * a fake embedder, so this is the index's own cost per search (the blocks, their keys, the fusion), not the model's:
 * with the model, embedding the question adds its own time (one forward pass of bge-small, measured wherever its
 * weights are: `npm run eval:memory -- --embed FILE.gguf`).
 */
import { BlockVectors, Embedder, unit } from '../../daemon/memory/embeddings';
import { DEFAULT_RANKING, MemoryIndex } from '../../daemon/memory/memoryIndex';
import { loadQmsum, meetingRecord, QmsumMeeting } from '../eval/memoryQuality';
import { envNum, FigureReport, median, table } from './util';

/** Unit vectors from a hash of the text: no model, the same vector for the same text. */
const fakeEmbedder: Embedder = {
  async embed(text) {
    let h = 0;
    for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
    return unit(Float32Array.from({ length: 384 }, (_, i) => Math.sin(h + i * 0.7)));
  },
  async dispose() {},
};

function indexOf(meetings: QmsumMeeting[], copies: number): MemoryIndex {
  const index = new MemoryIndex(DEFAULT_RANKING);
  for (let c = 0; c < copies; c++) {
    for (const m of meetings) {
      const record = meetingRecord(m);
      const sessionId = `${record.meeting.sessionId}-${c}`;
      index.put({ ...record, meeting: { ...record.meeting, sessionId } });
    }
  }
  return index;
}

export async function memorySearch(): Promise<FigureReport> {
  const reps = envNum('BENCH_REPS', 3);
  const meetings = loadQmsum();
  const questions = meetings.flatMap((m) => m.queries.map((q) => q.query)).slice(0, 40);
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  for (const copies of [1, 5]) {
    const index = indexOf(meetings, copies);
    const vectors = new BlockVectors(fakeEmbedder);
    await vectors.update(index);
    const semantic = await Promise.all(questions.map((q) => vectors.query(q)));
    // What a search with the model does: how far the reading is (coverage), then the fused ranking.
    const byWords = () => { for (const query of questions) index.search({ query, limit: 8 }); };
    const byMeaning = () => questions.forEach((query, i) => { vectors.coverage(index); index.search({ query, limit: 8 }, semantic[i]); });
    byWords();
    byMeaning();
    const time = (run: () => void) => {
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t = performance.now();
        run();
        times.push((performance.now() - t) / questions.length);
      }
      return median(times);
    };
    const words = time(byWords);
    const meaning = time(byMeaning);
    const { blocks } = vectors.coverage(index);
    rows.push([index.sessionCount, blocks, words.toFixed(2), meaning.toFixed(2), (meaning / words).toFixed(2)]);
  }
  notes.push(`${questions.length} QMSum questions per pass, median of ${reps} passes; the ratio compares the two in the same run (shared cores move both).`);
  return {
    title: 'Meeting memory: cost of a search, by words and with the meaning model\'s vectors',
    commands: ['npm run bench -- memory-search'],
    lines: table(['meetings', 'topical blocks', 'ms per search, words', 'ms per search, with meaning', 'meaning / words'], rows),
    notes,
    targets: [],
  };
}
