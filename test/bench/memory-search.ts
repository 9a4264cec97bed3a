/**
 * Figure MS — what a meeting-memory search costs the daemon (`@earshot`, `earshot ask`): QMSum's 38 train and val
 * meetings (test/fixtures/qmsum-memory), and the same meetings five times over (190, about a year of a user's
 * meetings), searched by words alone (the anchor) and with the meaning model's vectors fused in. The vectors come from
 * a fake embedder, so this is the index's own cost per search (the blocks, their keys, the fusion), not the model's:
 * with the model, embedding the question adds its own time (one forward pass of bge-small, measured wherever its
 * weights are: `npm run eval:memory -- --embed FILE.gguf`).
 *
 * Then the first reading of the meetings, which the daemon does in the background on one thread: milliseconds per
 * block with a generated llama-architecture GGUF at bge-small-en-v1.5's dimensions (384 wide, 12 layers and heads,
 * 512 tokens, a 30,522-word vocabulary, Q8_0; random weights; scripts/gen-gguf-model.js), on 1 and on 2 threads. A
 * llama layer has a gated feed-forward (three matrices where BERT has two), so this is about 1.3× bge-small's work
 * per token: an upper estimate, not the model's figure.
 */
import { BlockVectors, Embedder, llamaEmbedder, unit } from '../../daemon/memory/embeddings';
import { DEFAULT_RANKING, MemoryIndex } from '../../daemon/memory/memoryIndex';
import { loadQmsum, meetingRecord, QmsumMeeting } from '../eval/memoryQuality';
import { benchGguf, benchWords } from './local-model';
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

/** The generated model at bge-small-en-v1.5's dimensions in .bench/. */
const benchMeaningModel = () => benchGguf('meaning-bge-small-dims.gguf', 'bge-small-en-v1.5\'s dimensions, random Q8_0 weights',
  () => ({ mode: 'random', type: 'q8_0', embd: 384, layers: 12, heads: 12, headsKv: 12, ff: 1536, ctx: 512, vocab: 30522, words: benchWords(), chatTemplate: false })).file;

/** Milliseconds per block of the first reading, on `threads` threads, over `blocks` (after one to warm up). */
async function readingMs(blocks: readonly { text: string }[], threads: number): Promise<number> {
  const embedder = await llamaEmbedder(benchMeaningModel(), { contextTokens: 512, threads });
  try {
    await embedder.embed(blocks[0].text, 'passage');
    const started = performance.now();
    for (const block of blocks) await embedder.embed(block.text, 'passage');
    return (performance.now() - started) / blocks.length;
  } finally {
    await embedder.dispose();
  }
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

  const index = indexOf(meetings, 1);
  const blocks = index.sessionIds().flatMap((id) => index.topicBlocks(id));
  const sample = blocks.filter((_, i) => i % Math.ceil(blocks.length / envNum('BENCH_MEANING_BLOCKS', 20)) === 0);
  const one = await readingMs(sample, 1);
  const two = await readingMs(sample, 2);
  const minutes = (ms: number) => ((ms * blocks.length) / 60_000).toFixed(1);
  const reading = table(['threads', 'ms per block', `all ${blocks.length} blocks of the 38 meetings, min`, 'speed-up'], [
    [1, one.toFixed(0), minutes(one), '1.00'],
    [2, two.toFixed(0), minutes(two), (one / two).toFixed(2)],
  ]);
  notes.push(`First reading: ${sample.length} blocks of the ${blocks.length} (every ${Math.ceil(blocks.length / sample.length)}th), each cut to 512 tokens as the daemon cuts it; the generated model at bge-small's dimensions is an upper estimate (its layers do ~1.3× BERT's work).`);
  return {
    title: 'Meeting memory: cost of a search, by words and with the meaning model\'s vectors; the first reading',
    commands: ['npm run bench -- memory-search'],
    lines: [...table(['meetings', 'topical blocks', 'ms per search, words', 'ms per search, with meaning', 'meaning / words'], rows), '', ...reading],
    notes,
    targets: [],
  };
}
