#!/usr/bin/env node
// Writes a GGUF v3 file holding a llama-architecture language model with random weights and a real SentencePiece
// ("llama") tokenizer section: byte fallback (every string tokenizes), ChatML control tokens (<|im_start|>,
// <|im_end|> = end of turn, as in Qwen2.5-Instruct) and a ChatML `tokenizer.chat_template`, so llama.cpp (through
// node-llama-cpp) loads it like a downloaded instruct model and picks its ChatML chat wrapper.
//
// Why: the local notes model (daemon/understanding/local/) is tested with the real runtime without downloading any
// weights; and `npm run bench` measures speed and memory at the real dimensions of the catalog's models.
// Generated files go to .test-models/ or .bench/ (both ignored): never commit one.
//
// Modes:
//   ranked  (default) every token embedding is about the same vector and the output matrix gives each token a fixed
//           score, so the logits are the same whatever the input: under a grammar with greedy sampling the allowed
//           token with the best score wins. The answer is short, always ends, and is the same on every CPU backend
//           (score margins ~0.5 against ~0.01 of noise).
//   random  every weight random: what it says is noise, and it never ends unless the grammar bounds it (maxLength,
//           maxItems). Use it to check that bounded answers end and parse.
//
// Usage:
//   node scripts/gen-gguf-model.js --out FILE [--preset tiny|1.5b|3b] [--mode ranked|random] [--type f32|f16|q8_0|q4_0]
//        [--embd N] [--layers N] [--heads N] [--heads-kv N] [--ff N] [--ctx N] [--vocab N] [--tied] [--seed N]
//        [--no-chat-template]
//   tiny  64 wide, 2 layers, 451-token vocabulary, f32, 8192 context: about 600 KB, written in ~30 ms (tests: with
//         the prompts' words, test/setup.ts notesModel, about 9,400 tokens and 5.4 MB).
//   1.5b  Qwen2.5-1.5B's dimensions (1536 wide, 28 layers, 12/2 heads, ff 8960, 151,936 vocabulary, tied output),
//         Q4_0: ~0.9 GB, random mode (benchmarks).
//   3b    Qwen2.5-3B's dimensions (2048 wide, 36 layers, 16/2 heads, ff 11008, 151,936 vocabulary, tied), Q4_0: ~1.7 GB.
//   Options after --preset override it. --vocab pads the vocabulary with unused tokens up to N (the real models'
//   vocabulary size: the output layer's cost). Prints a JSON summary of the file on stdout.
//
// Layout (checked against llama.cpp src/models/llama.cpp and ggml/include/gguf.h): header "GGUF", u32 version 3, u64
// tensor count, u64 key count; keys (string key, u32 type, value; strings are u64 length + bytes, arrays u32 element
// type + u64 count + elements); tensor infos (name, u32 dims, u64 ne[], u32 ggml type, u64 offset); data after padding
// to general.alignment (32), each tensor padded to 32. ne0 is contiguous: token_embd/output [n_embd, n_vocab], attn_q
// [n_embd, n_head*hd], attn_k/v [n_embd, n_head_kv*hd], attn_output [n_head*hd, n_embd], ffn_gate/up [n_embd, n_ff],
// ffn_down [n_ff, n_embd], norms [n_embd] (always F32). Without output.weight llama.cpp ties it to token_embd.
'use strict';

const fs = require('node:fs');
const crypto = require('node:crypto');
const { mulberry32, toHalfBits, quantizeQ8_0, parseCommandLine } = require('./gen-whisper-model.js');

/** GGUF metadata value types. */
const KV = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10 };
/** ggml tensor types, and general.file_type's code for each. */
const GGML = { f32: 0, f16: 1, q4_0: 2, q8_0: 8 };
const FILE_TYPE = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 };
const ALIGN = 32;
/** SentencePiece token types (llama.cpp's llama_token_type). */
const TOKEN = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, UNUSED: 5, BYTE: 6 };

const PRESETS = {
  tiny: { type: 'f32', embd: 64, layers: 2, heads: 4, headsKv: 4, ff: 128, ctx: 8192, vocab: 0, tied: false },
  '1.5b': { mode: 'random', type: 'q4_0', embd: 1536, layers: 28, heads: 12, headsKv: 2, ff: 8960, ctx: 32768, vocab: 151936, tied: true },
  '3b': { mode: 'random', type: 'q4_0', embd: 2048, layers: 36, heads: 16, headsKv: 2, ff: 11008, ctx: 32768, vocab: 151936, tied: true },
};

const CHATML_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
  + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Normal samples (Box-Muller) from gen-whisper-model.js's mulberry32: the same stream everywhere. */
function prng(seed) {
  const uniform = mulberry32(seed);
  return { normal: () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform()) };
}

/**
 * The vocabulary: <unk>, <s>, </s>, the ChatML tokens, 256 byte tokens, "▁" and every printable ASCII character, then
 * common words (plain and "▁"-prefixed) and JSON pieces; longer pieces score higher so SentencePiece prefers them.
 * `size` pads with unused tokens.
 */
function vocabulary(size, extraWords = []) {
  const tokens = [], scores = [], types = [];
  const add = (token, score, type) => { tokens.push(token); scores.push(score); types.push(type); };
  add('<unk>', 0, TOKEN.UNKNOWN);
  add('<s>', 0, TOKEN.CONTROL);
  add('</s>', 0, TOKEN.CONTROL);
  add('<|im_start|>', 0, TOKEN.CONTROL);
  add('<|im_end|>', 0, TOKEN.CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0, TOKEN.BYTE);
  const seen = new Set(tokens);
  let rank = 0;
  for (const c of ['\u2581', ...Array.from({ length: 94 }, (_, k) => String.fromCharCode(33 + k))]) {
    seen.add(c);
    add(c, -(++rank), TOKEN.NORMAL);
  }
  const words = ['the', 'and', 'to', 'of', 'a', 'in', 'is', 'it', 'that', 'for', 'you', 'on', 'with', 'this', 'we', 'will',
    'segment', 'segments', 'text', 'items', 'answer', 'user', 'assistant', 'system', 'json', 'owner', 'due', 'decision',
    'true', 'false', 'null', 'hello', 'world', 'meeting', 'said', 'about', 'action', 'send', 'fix', 'by', 'Friday'];
  const pieces = [...words.flatMap((w) => [w, `\u2581${w}`]), '{"', '":', '",', '"}', '"]', '": "', '", "', '[{', '}]', '},', '{}', '[]', '\n', '  '];
  // `words`: whole words a text is mostly made of, each reachable by SentencePiece's pair merges through its prefixes
  // ("▁m", "▁me", "▁mee", …), so that text tokenizes about as coarsely as with a real model's vocabulary.
  // The plain word too ("segments" after a quote or a bracket), through its own prefixes.
  const chain = (w) => [...w].map((_, k, chars) => chars.slice(0, k + 1).join('')).slice(1);
  const prefixes = extraWords.flatMap((w) => [...chain(`\u2581${w}`), ...chain(w)]);
  for (const p of [...pieces, ...prefixes]) {
    if (seen.has(p)) continue;
    seen.add(p);
    add(p, 1000 * [...p].length - tokens.length, TOKEN.NORMAL);
  }
  for (let k = 0; tokens.length < size; k++) add(`<unused${k}>`, -1e6, TOKEN.UNUSED);
  return { tokens, scores, types };
}

/**
 * The ranked mode's fixed preference per token: end of turn first, then JSON punctuation and digits, whitespace
 * lowest (so answers are compact), never <unk> or <s>.
 */
function rankScores(tokens) {
  const order = ['<|im_end|>', '</s>', '"', '{', '}', ']', ',', ':', '[', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', 's'];
  const whitespace = new Set(['\u2581', '<0x0A>', '<0x20>', '<0x09>', '\n', '  ']);
  const score = new Float32Array(tokens.length).fill(-4);
  tokens.forEach((t, i) => { if (whitespace.has(t)) score[i] = -8; });
  order.forEach((t, k) => { const i = tokens.indexOf(t); if (i >= 0) score[i] = 12 - 0.5 * k; });
  score[0] = -10;
  score[1] = -10;
  return score;
}

/** Appends little-endian values; concat() joins them. */
class Writer {
  constructor() { this.parts = []; this.length = 0; }
  bytes(b) { this.parts.push(b); this.length += b.length; }
  num(method, size, v) { const b = Buffer.alloc(size); b[method](v); this.bytes(b); }
  u32(v) { this.num('writeUInt32LE', 4, v); }
  u64(v) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.bytes(b); }
  str(s) { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.bytes(b); }
  value(type, v, elementType) {
    if (type === KV.UINT32) return this.u32(v);
    if (type === KV.INT32) return this.num('writeInt32LE', 4, v);
    if (type === KV.FLOAT32) return this.num('writeFloatLE', 4, v);
    if (type === KV.BOOL) return this.num('writeUInt8', 1, v ? 1 : 0);
    if (type === KV.STRING) return this.str(v);
    if (type === KV.UINT64) return this.u64(v);
    if (type === KV.ARRAY) {
      this.u32(elementType);
      this.u64(v.length);
      for (const x of v) this.value(elementType, x);
      return undefined;
    }
    throw new Error(`metadata type ${type}`);
  }
  concat() { return Buffer.concat(this.parts, this.length); }
}

const BLOCK_BYTES = { q4_0: 18, q8_0: 34 };
function tensorBytes(type, n) {
  if (type === 'f32') return n * 4;
  if (type === 'f16') return n * 2;
  return (n / 32) * BLOCK_BYTES[type];
}

/** Floats in a ggml type (q8_0 and q4_0 as ggml's reference quantizers do it). */
function encode(type, f) {
  if (type === 'f32') return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  if (type === 'q8_0') return quantizeQ8_0(f);
  if (type === 'f16') {
    const b = Buffer.alloc(f.length * 2);
    for (let i = 0; i < f.length; i++) b.writeUInt16LE(toHalfBits(f[i]), i * 2);
    return b;
  }
  // q4_0 (quantize_row_q4_0_ref): per block of 32, d = the value of largest magnitude / -8, 4-bit q = x / d + 8.
  const size = BLOCK_BYTES.q4_0;
  const b = Buffer.alloc((f.length / 32) * size);
  for (let k = 0; k < f.length / 32; k++) {
    const block = f.subarray(k * 32, k * 32 + 32);
    let max = 0;
    for (const v of block) if (Math.abs(v) > Math.abs(max)) max = v;
    const d = max / -8, id = d ? 1 / d : 0;
    b.writeUInt16LE(toHalfBits(d), k * size);
    for (let j = 0; j < 16; j++) {
      const lo = Math.min(15, Math.trunc(block[j] * id + 8.5));
      const hi = Math.min(15, Math.trunc(block[16 + j] * id + 8.5));
      b.writeUInt8(lo | (hi << 4), k * size + 2 + j);
    }
  }
  return b;
}

/** A big random quantized tensor, fast: random quants with one fixed scale (benchmarks need the size, not the values). */
function randomQuantized(type, n, scale) {
  const size = BLOCK_BYTES[type];
  const b = crypto.randomBytes((n / 32) * size);
  const d = toHalfBits(scale);
  for (let k = 0; k < n / 32; k++) b.writeUInt16LE(d, k * size);
  return b;
}

/**
 * Writes the model to `options.out`; returns {out, preset, mode, type, vocab, tensors, bytes, parameters}.
 * Options: preset, mode, type, embd, layers, heads, headsKv, ff, ctx, vocab, tied, seed, chatTemplate (see the header),
 * and words (an array: whole words added to the vocabulary, so that text made of them tokenizes coarsely, as with a real
 * model's vocabulary: the benchmarks' realistic prompt lengths).
 */
function generateGguf(options) {
  const preset = options.preset ?? 'tiny';
  if (!PRESETS[preset]) throw new Error(`unknown preset ${JSON.stringify(preset)} (${Object.keys(PRESETS).join(', ')})`);
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { mode: 'ranked', seed: 1, chatTemplate: true, ...PRESETS[preset], ...defined };
  if (!o.out) throw new Error('out is required');
  if (!(o.type in GGML)) throw new Error(`type must be one of ${Object.keys(GGML).join(', ')}`);
  if (o.mode !== 'ranked' && o.mode !== 'random') throw new Error('mode must be ranked or random');
  const headDim = o.embd / o.heads;
  if (!Number.isInteger(headDim) || o.heads % o.headsKv) throw new Error('embd must divide by heads, and heads by heads-kv');
  if (o.embd % 32 || o.ff % 32) throw new Error('embd and ff must be multiples of 32 (the quantization block)');
  const rand = prng(o.seed);
  const { tokens, scores, types } = vocabulary(o.vocab, o.words ?? []);
  const nVocab = tokens.length;

  const tensors = [];
  const randn = (n, std, mean = 0) => { const f = new Float32Array(n); for (let i = 0; i < n; i++) f[i] = mean + rand.normal() * std; return f; };
  const matrix = (name, ne, std, values) => tensors.push({
    name, ne, type: o.type,
    data: () => (values ? encode(o.type, values())
      : o.type.startsWith('q') && ne[0] * ne[1] > 4e6 ? randomQuantized(o.type, ne[0] * ne[1], std / (o.type === 'q4_0' ? 4 : 64))
        : encode(o.type, randn(ne[0] * ne[1], std))),
  });
  const norm = (name) => tensors.push({ name, ne: [o.embd], type: 'f32', data: () => encode('f32', new Float32Array(o.embd).fill(1)) });

  if (o.mode === 'ranked') {
    // Every embedding ≈ all ones (RMS 1), so the residual stream stays ≈ ones and logit[t] = Σ_i W[t,i] ≈ score[t].
    const rank = rankScores(tokens);
    matrix('token_embd.weight', [o.embd, nVocab], 0, () => randn(o.embd * nVocab, 0.01, 1));
    norm('output_norm.weight');
    matrix('output.weight', [o.embd, nVocab], 0, () => {
      const f = new Float32Array(o.embd * nVocab);
      for (let t = 0; t < nVocab; t++) for (let i = 0; i < o.embd; i++) f[t * o.embd + i] = rank[t] / o.embd + rand.normal() * 0.001;
      return f;
    });
  } else {
    matrix('token_embd.weight', [o.embd, nVocab], 1); // large enough that the residual is not pure noise
    norm('output_norm.weight');
    if (!o.tied) matrix('output.weight', [o.embd, nVocab], 0.1);
  }
  const std = o.mode === 'ranked' ? 0.002 : 0.02;
  for (let l = 0; l < o.layers; l++) {
    norm(`blk.${l}.attn_norm.weight`);
    matrix(`blk.${l}.attn_q.weight`, [o.embd, o.heads * headDim], std);
    matrix(`blk.${l}.attn_k.weight`, [o.embd, o.headsKv * headDim], std);
    matrix(`blk.${l}.attn_v.weight`, [o.embd, o.headsKv * headDim], std);
    matrix(`blk.${l}.attn_output.weight`, [o.heads * headDim, o.embd], std);
    norm(`blk.${l}.ffn_norm.weight`);
    matrix(`blk.${l}.ffn_gate.weight`, [o.embd, o.ff], std);
    matrix(`blk.${l}.ffn_up.weight`, [o.embd, o.ff], std);
    matrix(`blk.${l}.ffn_down.weight`, [o.ff, o.embd], std);
  }

  const kv = [
    ['general.architecture', KV.STRING, 'llama'],
    ['general.name', KV.STRING, `earshot-test-${preset}-${o.mode}`],
    ['general.alignment', KV.UINT32, ALIGN],
    ['general.file_type', KV.UINT32, FILE_TYPE[o.type]],
    ['llama.context_length', KV.UINT32, o.ctx],
    ['llama.embedding_length', KV.UINT32, o.embd],
    ['llama.block_count', KV.UINT32, o.layers],
    ['llama.feed_forward_length', KV.UINT32, o.ff],
    ['llama.attention.head_count', KV.UINT32, o.heads],
    ['llama.attention.head_count_kv', KV.UINT32, o.headsKv],
    ['llama.rope.dimension_count', KV.UINT32, headDim],
    ['llama.rope.freq_base', KV.FLOAT32, 10000],
    ['llama.attention.layer_norm_rms_epsilon', KV.FLOAT32, 1e-5],
    ['llama.vocab_size', KV.UINT32, nVocab],
    ['tokenizer.ggml.model', KV.STRING, 'llama'],
    ['tokenizer.ggml.tokens', KV.ARRAY, tokens, KV.STRING],
    ['tokenizer.ggml.scores', KV.ARRAY, scores, KV.FLOAT32],
    ['tokenizer.ggml.token_type', KV.ARRAY, types, KV.INT32],
    ['tokenizer.ggml.bos_token_id', KV.UINT32, 1],
    ['tokenizer.ggml.eos_token_id', KV.UINT32, 4],
    ['tokenizer.ggml.unknown_token_id', KV.UINT32, 0],
    ['tokenizer.ggml.add_bos_token', KV.BOOL, true],
    ['tokenizer.ggml.add_eos_token', KV.BOOL, false],
    // A ChatML template: node-llama-cpp recognizes it (ChatMLChatWrapper). A template of plain newlines made it derive
    // a stop trigger that fired on the grammar's whitespace, cutting answers mid-JSON.
    ...(o.chatTemplate ? [['tokenizer.chat_template', KV.STRING, CHATML_TEMPLATE]] : []),
  ];

  const w = new Writer();
  w.bytes(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kv.length);
  for (const [key, type, value, elementType] of kv) {
    w.str(key);
    w.u32(type);
    w.value(type, value, elementType);
  }
  let offset = 0;
  for (const t of tensors) {
    t.bytes = tensorBytes(t.type, t.ne.reduce((a, b) => a * b, 1));
    w.str(t.name);
    w.u32(t.ne.length);
    for (const d of t.ne) w.u64(d);
    w.u32(GGML[t.type]);
    w.u64(offset);
    offset += Math.ceil(t.bytes / ALIGN) * ALIGN;
  }
  const head = w.concat();
  const headPadded = Math.ceil(head.length / ALIGN) * ALIGN;
  const partial = `${o.out}.partial`;
  const fd = fs.openSync(partial, 'w');
  try {
    fs.writeSync(fd, head);
    fs.writeSync(fd, Buffer.alloc(headPadded - head.length));
    for (const t of tensors) {
      const data = t.data();
      if (data.length !== t.bytes) throw new Error(`${t.name}: ${data.length} bytes written, ${t.bytes} expected`);
      fs.writeSync(fd, data);
      const pad = Math.ceil(t.bytes / ALIGN) * ALIGN - t.bytes;
      if (pad) fs.writeSync(fd, Buffer.alloc(pad));
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, o.out); // a reader never sees half a model
  const parameters = tensors.reduce((n, t) => n + t.ne.reduce((a, b) => a * b, 1), 0);
  return { out: o.out, preset, mode: o.mode, type: o.type, vocab: nVocab, tensors: tensors.length, bytes: headPadded + offset, parameters };
}

const USAGE = 'usage: node scripts/gen-gguf-model.js --out FILE [--preset tiny|1.5b|3b] [--mode ranked|random] [--type f32|f16|q8_0|q4_0]\n'
  + '       [--embd N] [--layers N] [--heads N] [--heads-kv N] [--ff N] [--ctx N] [--vocab N] [--tied] [--seed N] [--no-chat-template]';

function main(argv) {
  const numbers = ['embd', 'layers', 'heads', 'heads-kv', 'ff', 'ctx', 'vocab', 'seed'];
  const { values, code } = parseCommandLine(argv, {
    out: { type: 'string' }, preset: { type: 'string' }, mode: { type: 'string' }, type: { type: 'string' },
    tied: { type: 'boolean' }, 'no-chat-template': { type: 'boolean' },
    ...Object.fromEntries(numbers.map((n) => [n, { type: 'string' }])),
  }, USAGE);
  if (!values) return code;
  const number = (name) => {
    if (values[name] === undefined) return undefined;
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
    return n;
  };
  const started = Date.now();
  const info = generateGguf({
    out: values.out, preset: values.preset, mode: values.mode, type: values.type?.toLowerCase(), tied: values.tied,
    chatTemplate: values['no-chat-template'] ? false : undefined,
    embd: number('embd'), layers: number('layers'), heads: number('heads'), headsKv: number('heads-kv'), ff: number('ff'),
    ctx: number('ctx'), vocab: number('vocab'), seed: number('seed'),
  });
  console.log(JSON.stringify({ ...info, ms: Date.now() - started }));
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`gen-gguf-model: ${err.message}`);
    process.exitCode = 1;
  }
}

module.exports = { generateGguf, PRESETS };
