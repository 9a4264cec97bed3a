/**
 * scripts/gen-whisper-model.js: the files it writes, read back with a small ggml parser, and --say checked
 * with a reference greedy decoder in plain JS (the real whisper.cpp run is in test/integration/saying-model.test.ts).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DICTATION_SENTENCE_TOKENS, MEETING_SENTENCE_TOKENS, REPO_ROOT } from '../setup';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generateModel } = require(SCRIPT) as { generateModel: (options: Record<string, unknown>) => Summary };

interface Summary {
  out: string; preset: string; n_vocab: number; n_state: number; emit: string; emitTokenId: number | null;
  say: string[] | null; sayTokenIds: number[] | null; tensors: number; params: number; bytes: number;
}

interface Tensor { name: string; ne: number[]; type: number; offset: number; bytes: number }
/** ggml's type id of 8-bit blocks (GGML_TYPE_Q8_0). */
const Q8_0 = 8;
interface GgmlFile {
  buf: Buffer;
  hparams: number[];
  vocab: string[];
  /** The tokens' raw bytes as latin1 strings (the 128 high single bytes are not text). */
  vocabBytes: string[];
  tensors: Map<string, Tensor>;
}

/** Parses the legacy ggml whisper file layout (the header comment of the script). */
function parseModel(file: string): GgmlFile {
  const buf = fs.readFileSync(file);
  let p = 0;
  const i32 = () => { const v = buf.readInt32LE(p); p += 4; return v; };
  assert.equal(buf.readUInt32LE(0), 0x67676d6c);
  p = 4;
  const hparams = Array.from({ length: 11 }, i32);
  const nMels = i32();
  const nFft = i32();
  p += 4 * nMels * nFft;
  const nTokens = i32();
  const vocab: string[] = [];
  const vocabBytes: string[] = [];
  for (let i = 0; i < nTokens; i++) {
    const len = buf.readUInt32LE(p);
    p += 4;
    vocab.push(buf.toString('utf8', p, p + len));
    vocabBytes.push(buf.toString('latin1', p, p + len));
    p += len;
  }
  const tensors = new Map<string, Tensor>();
  while (p < buf.length) {
    const nDims = i32();
    const nameLen = i32();
    const type = i32();
    const ne = Array.from({ length: nDims }, i32);
    const name = buf.toString('utf8', p, p + nameLen);
    p += nameLen;
    const count = ne.reduce((a, b) => a * b, 1);
    const bytes = type === Q8_0 ? (count / 32) * 34 : count * (type === 1 ? 2 : 4);
    tensors.set(name, { name, ne, type, offset: p, bytes });
    p += bytes;
  }
  assert.equal(p, buf.length);
  return { buf, hparams, vocab, vocabBytes, tensors };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** A tensor's values as floats, in file order (ne[0] fastest). */
function values(m: GgmlFile, name: string): Float32Array {
  const t = m.tensors.get(name);
  assert.ok(t, `tensor ${name}`);
  const count = t.ne.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (t.type === Q8_0) {
      // Blocks of 32: an f16 scale, then 32 int8.
      const block = t.offset + Math.floor(i / 32) * 34;
      out[i] = halfToFloat(m.buf.readUInt16LE(block)) * m.buf.readInt8(block + 2 + (i % 32));
    } else {
      out[i] = t.type === 1 ? halfToFloat(m.buf.readUInt16LE(t.offset + 2 * i)) : m.buf.readFloatLE(t.offset + 4 * i);
    }
  }
  return out;
}

function layerNorm(x: Float32Array, weight: Float32Array, bias: Float32Array): Float32Array {
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const scale = 1 / Math.sqrt(variance + 1e-5);
  return x.map((v, i) => (v - mean) * scale * weight[i] + bias[i]);
}

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** y = W x + b for a [rows, cols] PyTorch-order matrix. */
function affine(w: Float32Array, b: Float32Array, x: Float32Array, rows: number): Float32Array {
  const cols = x.length;
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = b[r];
    for (let c = 0; c < cols; c++) s += w[r * cols + c] * x[c];
    y[r] = s;
  }
  return y;
}

const EOT_EN = 50256;
const NOT_EN = 50362; // no-timestamps: the last prompt token whisper.cpp feeds with no_timestamps (the daemon's setting)
const SOT_EN = 50257;

/**
 * Greedy decoding of the file's decoder in JS, for an English-only model whose attention and cross-attention
 * output projections are all zero (asserted): then each position's residual is its token embedding plus
 * positional embedding, through the MLPs, so no audio is needed. Suppresses what whisper.cpp does with the
 * daemon's parameters (specials, timestamps, non-speech tokens are left to the integration test).
 * Returns the emitted ids up to and including end-of-text, and the smallest logit margin seen.
 */
function referenceDecode(m: GgmlFile, lastPromptToken: number, maxSteps = 80): { ids: number[]; margin: number } {
  const S = m.hparams[2];
  const nVocab = m.hparams[0];
  const layers = m.hparams[8];
  const emb = values(m, 'decoder.token_embedding.weight');
  const pos = values(m, 'decoder.positional_embedding');
  const blocks = Array.from({ length: layers }, (_, l) => {
    const v = (n: string) => values(m, `decoder.blocks.${l}.${n}`);
    for (const n of ['attn.out.weight', 'attn.out.bias', 'cross_attn.out.weight', 'cross_attn.out.bias']) {
      assert.ok(v(n).every((x) => x === 0), `decoder.blocks.${l}.${n} is zero`);
    }
    return { lnW: v('mlp_ln.weight'), lnB: v('mlp_ln.bias'), w0: v('mlp.0.weight'), b0: v('mlp.0.bias'), w2: v('mlp.2.weight'), b2: v('mlp.2.bias') };
  });
  const lnW = values(m, 'decoder.ln.weight');
  const lnB = values(m, 'decoder.ln.bias');
  const ids: number[] = [];
  let margin = Infinity;
  let prev = lastPromptToken;
  for (let step = 0; step < maxSteps; step++) {
    const position = 3 + step; // any: the positional embedding is too small to matter
    const x = new Float32Array(S);
    for (let c = 0; c < S; c++) x[c] = emb[prev * S + c] + pos[position * S + c];
    for (const b of blocks) {
      const h = affine(b.w0, b.b0, layerNorm(x, b.lnW, b.lnB), 4 * S).map(gelu);
      const out = affine(b.w2, b.b2, h, S);
      for (let c = 0; c < S; c++) x[c] += out[c];
    }
    const y = layerNorm(x, lnW, lnB);
    let best = -1;
    let bestLogit = -Infinity;
    let second = -Infinity;
    for (let t = 0; t < nVocab; t++) {
      if (t > EOT_EN) continue; // specials and timestamps are suppressed (no_timestamps)
      if (step === 0 && t === EOT_EN) continue; // suppress_blank
      let logit = 0;
      for (let c = 0; c < S; c++) logit += y[c] * emb[t * S + c];
      if (logit > bestLogit) { second = bestLogit; bestLogit = logit; best = t; } else if (logit > second) second = logit;
    }
    margin = Math.min(margin, bestLogit - second);
    ids.push(best);
    if (best === EOT_EN) break;
    prev = best;
  }
  return { ids, margin };
}

describe('gen-whisper-model.js', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-genmodel-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--say: each token is one vocabulary token, existing ones reused', () => {
    const info = generateModel({ preset: 'mini', say: [...MEETING_SENTENCE_TOKENS], out: path.join(dir, 'meeting.bin') });
    assert.equal(info.emit, 'say');
    assert.deepEqual(info.say, MEETING_SENTENCE_TOKENS);
    const m = parseModel(info.out);
    assert.equal(m.vocab.length, 50256);
    assert.deepEqual(info.sayTokenIds!.map((id) => m.vocab[id]), MEETING_SENTENCE_TOKENS);
    assert.equal(info.sayTokenIds![MEETING_SENTENCE_TOKENS.indexOf('?')], 0x3f, '"?" is the byte token');
    for (const token of MEETING_SENTENCE_TOKENS) assert.equal(m.vocab.filter((t) => t === token).length, 1, `${token} once`);
    assert.equal(new Set(m.vocabBytes).size, m.vocabBytes.length, 'no duplicate tokens');
    const dictation = generateModel({ preset: 'mini', say: [...DICTATION_SENTENCE_TOKENS], out: path.join(dir, 'dictation.bin') });
    assert.equal(dictation.sayTokenIds![0], 256, '" hello" is the first fixed word');
    assert.deepEqual(dictation.sayTokenIds!.map((id) => parseModel(dictation.out).vocab[id]), DICTATION_SENTENCE_TOKENS);
  });

  it('--say: the decoder emits the tokens then end-of-text, from the no-timestamps prompt end (JS reference decode)', () => {
    for (const [name, tokens, extra] of [
      ['meeting', MEETING_SENTENCE_TOKENS, {}],
      ['dictation', DICTATION_SENTENCE_TOKENS, {}],
      ['wide', MEETING_SENTENCE_TOKENS, { nState: 128, nHead: 2, nLayer: 2, seed: 7 }],
    ] as const) {
      const info = generateModel({ preset: 'mini', say: [...tokens], out: path.join(dir, `${name}.bin`), ...extra });
      const m = parseModel(info.out);
      for (const start of [NOT_EN, SOT_EN]) {
        const { ids, margin } = referenceDecode(m, start);
        assert.deepEqual(ids, [...info.sayTokenIds!, EOT_EN], `${name} from ${start}`);
        assert.ok(margin > 30, `${name}: logit margin ${margin}`);
      }
    }
  });

  it('--say keeps every tensor, shape and type of the preset (same compute), and the seed\'s random weights', () => {
    const say = parseModel(generateModel({ preset: 'mini', say: [...MEETING_SENTENCE_TOKENS], out: path.join(dir, 'a.bin') }).out);
    const emit = parseModel(generateModel({ preset: 'mini', emit: ' hello', out: path.join(dir, 'hello.bin') }).out);
    assert.deepEqual([...say.tensors.values()].map(({ name, ne, type, bytes }) => ({ name, ne, type, bytes })),
      [...emit.tensors.values()].map(({ name, ne, type, bytes }) => ({ name, ne, type, bytes })));
    assert.deepEqual(say.hparams, emit.hparams);
    const weightBytes = (f: GgmlFile) => [...f.tensors.values()].reduce((a, t) => a + t.bytes, 0);
    assert.equal(weightBytes(say), weightBytes(emit));
    // The encoder and the decoder's attention inputs are the same random draws as any model of that seed.
    for (const name of say.tensors.keys()) {
      if (!name.startsWith('encoder.') && !/^decoder\.blocks\.0\.(attn|cross_attn)\.(query|key|value)\./.test(name)) continue;
      const a = say.tensors.get(name)!;
      const b = emit.tensors.get(name)!;
      assert.equal(say.buf.compare(emit.buf, b.offset, b.offset + b.bytes, a.offset, a.offset + a.bytes), 0, name);
    }
  });

  it('--ftype q8_0: 2-D weights in 8-bit blocks as whisper.cpp\'s quantize tool writes them, the rest as before; still says its tokens', () => {
    const f16 = parseModel(generateModel({ preset: 'mini', say: [...MEETING_SENTENCE_TOKENS], out: path.join(dir, 'f16.bin') }).out);
    const info = generateModel({ preset: 'mini', say: [...MEETING_SENTENCE_TOKENS], ftype: 'q8_0', out: path.join(dir, 'q8.bin') });
    const q8 = parseModel(info.out);
    assert.equal(q8.hparams[10], 2 * 1000 + 7, 'ftype: GGML_FTYPE_MOSTLY_Q8_0 with quantization version 2');
    assert.deepEqual(q8.hparams.slice(0, 10), f16.hparams.slice(0, 10));
    const never = ['encoder.conv1.bias', 'encoder.conv2.bias', 'encoder.positional_embedding', 'decoder.positional_embedding'];
    let quantized = 0;
    for (const [name, t] of q8.tensors) {
      const before = f16.tensors.get(name)!;
      assert.deepEqual(t.ne, before.ne, name);
      if (t.ne.length === 2 && !never.includes(name)) {
        assert.equal(t.type, Q8_0, name);
        quantized++;
        // Each value within half a step of its block's scale (max |x| / 127) of the full-precision one.
        const a = values(f16, name), b = values(q8, name);
        for (let block = 0; block < a.length; block += 32) {
          const step = Math.max(...a.subarray(block, block + 32).map(Math.abs)) / 127;
          for (let i = block; i < block + 32; i++) assert.ok(Math.abs(a[i] - b[i]) <= step * 0.5 + Math.abs(a[i]) * 2e-3 + 1e-7, `${name}[${i}]: ${a[i]} vs ${b[i]}`);
        }
      } else {
        assert.equal(t.type, before.type, name);
        assert.equal(q8.buf.compare(f16.buf, before.offset, before.offset + before.bytes, t.offset, t.offset + t.bytes), 0, name);
      }
    }
    assert.ok(quantized > 10, `${quantized} matrices quantized`);
    assert.ok(info.bytes < 0.6 * fs.statSync(path.join(dir, 'f16.bin')).size);
    const { ids } = referenceDecode(q8, NOT_EN);
    assert.deepEqual(ids, [...info.sayTokenIds!, EOT_EN], 'the 8-bit model says the same tokens');
  });

  it('--say is deterministic: same options give the same bytes, the "|" string form equals the array', () => {
    const a = generateModel({ preset: 'mini', say: [...MEETING_SENTENCE_TOKENS], out: path.join(dir, 'd1.bin') });
    const b = generateModel({ preset: 'mini', say: MEETING_SENTENCE_TOKENS.join('|'), out: path.join(dir, 'd2.bin') });
    const c = generateModel({ preset: 'mini', say: [...MEETING_SENTENCE_TOKENS], seed: 2, out: path.join(dir, 'd3.bin') });
    assert.equal(fs.readFileSync(a.out).compare(fs.readFileSync(b.out)), 0);
    assert.notEqual(fs.readFileSync(a.out).compare(fs.readFileSync(c.out)), 0);
  });

  it('--say rejects token lists whisper.cpp could not emit', () => {
    const out = path.join(dir, 'bad.bin');
    const rejects = (say: unknown, message: RegExp, extra: Record<string, unknown> = {}) =>
      assert.throws(() => generateModel({ preset: 'mini', say, out, ...extra }), message);
    rejects([' hello', ' world', ' hello'], /token " hello" is repeated.*distinct/);
    rejects(' a|| b', /token 2 is empty/);
    rejects([], /no tokens/);
    rejects([' fix', ' ('], /" \(" is one of whisper.cpp's non-speech tokens/);
    rejects([' fix', ' -'], /non-speech/);
    rejects([' ', ' fix'], /first token cannot be " "/);
    rejects(Array.from({ length: 63 }, (_, i) => ` w${i}`), /at most 62 tokens with n_state 64/);
    rejects([' fix'], /--say and --emit cannot be combined/, { emit: ' hello' });
    assert.equal(fs.existsSync(out), false);
    // 62 tokens fit the mini model.
    const info = generateModel({ preset: 'mini', say: Array.from({ length: 62 }, (_, i) => ` w${i}`), out });
    assert.deepEqual(referenceDecode(parseModel(out), NOT_EN).ids, [...info.sayTokenIds!, EOT_EN]);
  });

  it('the CLI takes --say as "|"-separated tokens', () => {
    const out = path.join(dir, 'cli.bin');
    const run = spawnSync(process.execPath, [SCRIPT, '--say', ' Alice| will| fix', '--out', out], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const info = JSON.parse(run.stdout) as Summary;
    assert.deepEqual(info.say, [' Alice', ' will', ' fix']);
    const bad = spawnSync(process.execPath, [SCRIPT, '--say', ' a| b| a', '--out', out + '2'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^gen-whisper-model: --say: token " a" is repeated/);
  });
});
