#!/usr/bin/env node
// Writes a whisper model with random weights in whisper.cpp's legacy ggml format
// (the format of models/convert-pt-to-ggml.py, read by whisper_model_load()).
//
// Why: tests need a model that loads and runs in smart-whisper with the real
// tensor layout and real compute cost, without downloading any weights. With
// --emit the output text is also deterministic, so tests can assert on it.
//
// File layout, all little-endian:
//   u32 magic "ggml" (0x67676d6c)
//   i32 n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
//       n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype
//   i32 n_mels, i32 n_fft_bins (201), f32[n_mels * n_fft_bins] mel filterbank
//   i32 n_tokens, then per token: u32 byte length, raw bytes
//   tensors until EOF: i32 n_dims, i32 name length, i32 type (0 f32, 1 f16),
//       i32 ne[n_dims] (fastest-varying first), name bytes, data
// whisper.cpp rejects unknown tensor names, wrong shapes or element sizes, and
// a missing tensor, so every tensor of the real architecture is written.
//
// CLI:
//   node scripts/gen-whisper-model.js --preset mini --emit " hello" --out FILE
//   node scripts/gen-whisper-model.js --preset tiny.en --out FILE
//   node scripts/gen-whisper-model.js --say " Alice| will| fix| auth|.ts| by| Friday|." --out FILE
// Options:
//   --preset mini|tiny.en|base.en|small.en|tiny|base  dimensions (default mini)
//   --n-state N --n-head H --n-layer L   override the preset (audio and text)
//   --n-audio-layer L --n-text-layer L   override one side only
//   --n-vocab V     51864 English-only, 51865 multilingual
//   --ftype f16|f32|q8_0 type of the weight matrices (default f16, like ggml-*.bin).
//                   f32 files are valid but the whisper.cpp in smart-whisper 0.8.1
//                   aborts the process on them (conv im2col asserts an f16 kernel).
//                   q8_0 is what whisper.cpp's quantize tool makes of an f16 file
//                   (the published ggml-*-q8_0.bin): every 2-D weight matrix in
//                   blocks of 32 int8 with an f16 scale, the conv kernels f16.
//   --seed S        PRNG seed (default 1)
//   --mel slaney|random  mel filterbank (default slaney: n_fft 400, 16 kHz)
//   --emit random|eot|TOKEN  decoder behaviour (default random):
//       random  untouched random decoder: garbage text of unpredictable length
//       eot     every segment ends at once (empty text)
//       TOKEN   e.g. " hello": greedy decoding emits that one token every
//               step, so the text is TOKEN repeated up to max_tokens
//   --say TOKENS  e.g. " Alice| will| fix| auth|.ts| by| Friday|.": tokens
//       separated by "|" (the API takes an array). Greedy decoding emits
//       exactly these tokens, then end-of-text, for any audio and any
//       initial prompt; whisper.cpp's text is the tokens joined (the daemon
//       then trims it: "Alice will fix auth.ts by Friday."). Each token becomes
//       one token of the synthetic vocabulary (one already there, such as "."
//       or " hello", is reused). Restrictions: tokens must be distinct (the
//       next token is chosen from the previous one alone), non-empty, without
//       "|" on the command line, not among whisper.cpp's non-speech tokens
//       (suppress_non_speech_tokens would drop them: "(", ":", "--", " -", ...),
//       the first one not " " (suppress_blank), and at most n_state - 2 of
//       them (62 for mini). Not combinable with --emit. The daemon caps a
//       decode at 8 tokens per second of audio + 4, so audio shorter than
//       (tokens - 5) / 8 s is cut short like a real model's would be.
//   Compute cost per encoder/decoder step is the same whatever --emit or
//   --say says: every tensor is there with its real shape, only values change.
// Prints a JSON summary of the written model on stdout.
'use strict';

const fs = require('node:fs');
const { parseArgs } = require('node:util');

const PRESETS = {
  mini: { n_state: 64, n_head: 2, n_layer: 1 },
  'tiny.en': { n_state: 384, n_head: 6, n_layer: 4 },
  'base.en': { n_state: 512, n_head: 8, n_layer: 6 },
  'small.en': { n_state: 768, n_head: 12, n_layer: 12 },
  tiny: { n_state: 384, n_head: 6, n_layer: 4, n_vocab: 51865 },
  base: { n_state: 512, n_head: 8, n_layer: 6, n_vocab: 51865 },
};

const GGML_MAGIC = 0x67676d6c;
const N_VOCAB_EN = 51864;
const N_VOCAB_MULTI = 51865;
// Fixed by the whisper architecture for every released model size.
const N_AUDIO_CTX = 1500;
const N_TEXT_CTX = 448;
const N_MELS = 80;
const N_FFT = 400;
const N_FFT_BINS = N_FFT / 2 + 1;
const SAMPLE_RATE = 16000;
const TENSOR_F32 = 0;
const TENSOR_F16 = 1;
const TENSOR_Q8_0 = 8;
// ggml_ftype GGML_FTYPE_MOSTLY_Q8_0, with the quantization version the quantize tool writes (GGML_QNT_VERSION 2 * 1000).
const FTYPE_Q8_0 = 2 * 1000 + 7;
const Q8_0_BLOCK = 32;
// Tensors whisper.cpp's quantize tool leaves as they are (examples/quantize/quantize.cpp), besides every non-2-D one.
const NEVER_QUANTIZED = new Set(['encoder.conv1.bias', 'encoder.conv2.bias', 'encoder.positional_embedding', 'decoder.positional_embedding']);
// Words guaranteed to be single tokens, so they can be used with --emit.
const FIXED_WORDS = [' hello', ' world', ' the', ' test', ' whisper'];
// Logit of the emitted token; the other logits stay around +-1.
const EMIT_LOGIT = 40;
// whisper.cpp's non_speech_tokens (whisper.cpp/src/whisper.cpp, as vendored by
// smart-whisper 0.8.1): with suppress_non_speech_tokens (the daemon sets it)
// each of these, and each with a leading space, can never be decoded.
const NON_SPEECH_TOKENS = [
  '"', '#', '(', ')', '*', '+', '/', ':', ';', '<', '=', '>', '@', '[', '\\', ']', '^',
  '_', '`', '{', '|', '}', '~', '「', '」', '『', '』', '<<', '>>', '<<<', '>>>', '--',
  '---', '-(', '-[', "('", '("', '((', '))', '(((', ')))', '[[', ']]', '{{', '}}', '♪♪',
  '♪♪♪', '♩', '♪', '♫', '♬', '♭', '♮', '♯',
];
// Elements generated and written per chunk, to bound memory for big tensors.
const CHUNK = 1 << 20;

// mulberry32: tiny, fast, and the same stream on every platform and Node version.
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

// IEEE half-precision bits of a number (rounded to float32 first). Rounds a
// dropped half-ulp up in magnitude; exact ties-to-even is not needed for
// random weights, and keeping this rounding keeps generated files stable.
function toHalfBits(value) {
  f32Scratch[0] = value;
  const bits = u32Scratch[0];
  const sign = (bits >>> 16) & 0x8000;
  let exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  exp = exp - 127 + 15;
  if (exp >= 0x1f) return sign | 0x7c00; // overflow to inf
  if (exp <= 0) {
    // subnormal half (or zero when too small)
    if (exp < -10) return sign;
    mant = (mant | 0x800000) >>> (1 - exp);
    if (mant & 0x1000) mant += 0x2000;
    return sign | (mant >>> 13);
  }
  let half = sign | (exp << 10) | (mant >>> 13);
  if (mant & 0x1000) half += 1; // a carry into the exponent is still correct
  return half;
}

function fromHalfBits(half) {
  const sign = half & 0x8000 ? -1 : 1;
  const exp = (half >>> 10) & 0x1f;
  const mant = half & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

// Slaney mel scale, as librosa.filters.mel(htk=False, norm='slaney') that
// OpenAI used for the real filterbank: a sensible spectrum input for the encoder.
const MEL_F_SP = 200 / 3;
const MEL_MIN_LOG_HZ = 1000;
const MEL_MIN_LOG_MEL = MEL_MIN_LOG_HZ / MEL_F_SP;
const MEL_LOGSTEP = Math.log(6.4) / 27;

function hzToMel(hz) {
  return hz < MEL_MIN_LOG_HZ ? hz / MEL_F_SP : MEL_MIN_LOG_MEL + Math.log(hz / MEL_MIN_LOG_HZ) / MEL_LOGSTEP;
}

function melToHz(mel) {
  return mel < MEL_MIN_LOG_MEL ? MEL_F_SP * mel : MEL_MIN_LOG_HZ * Math.exp(MEL_LOGSTEP * (mel - MEL_MIN_LOG_MEL));
}

function slaneyMelFilterbank(nMels, nFft, sampleRate) {
  const nBins = Math.floor(nFft / 2) + 1;
  const binHz = Array.from({ length: nBins }, (_, j) => (j * sampleRate / 2) / (nBins - 1));
  const melMin = hzToMel(0);
  const melMax = hzToMel(sampleRate / 2);
  const edges = Array.from({ length: nMels + 2 }, (_, i) => melToHz(melMin + (melMax - melMin) * i / (nMels + 1)));
  const out = new Float32Array(nMels * nBins);
  for (let i = 0; i < nMels; i++) {
    const rise = edges[i + 1] - edges[i];
    const fall = edges[i + 2] - edges[i + 1];
    const areaNorm = 2 / (edges[i + 2] - edges[i]);
    for (let j = 0; j < nBins; j++) {
      const lower = (binHz[j] - edges[i]) / rise;
      const upper = (edges[i + 2] - binHz[j]) / fall;
      out[i * nBins + j] = Math.max(0, Math.min(lower, upper)) * areaNorm;
    }
  }
  return out;
}

// The ordinary (non-special) tokens; whisper.cpp adds the specials ([_EOT_],
// [_SOT_], timestamps...) itself. Tokens 0..255 are the 256 single bytes, so
// any text can be tokenized (initial_prompt) and " " (0x20) exists: whisper.cpp's
// suppress_blank looks " " up and aborts without it. Then a few fixed words,
// then the --say tokens not already there, then unique pronounceable
// pseudo-words, every other one with a leading space.
function syntheticVocab(count, extraWords = []) {
  const tokens = [];
  for (let b = 0; b < 256; b++) tokens.push(Buffer.from([b]));
  const seen = new Set(FIXED_WORDS);
  for (const word of FIXED_WORDS) tokens.push(Buffer.from(word));
  for (const word of extraWords) {
    const bytes = Buffer.from(word);
    if (seen.has(word) || bytes.length === 1) continue; // a fixed word, or a single byte (already a token)
    seen.add(word);
    tokens.push(bytes);
  }
  const consonants = 'bcdfghjklmnprstvwz';
  const vowels = 'aeiou';
  for (let k = 0; tokens.length < count;) {
    let x = k++;
    const syllables = 1 + (x % 3);
    x = Math.floor(x / 3);
    let word = '';
    for (let s = 0; s < syllables; s++) {
      word += consonants[x % consonants.length];
      x = Math.floor(x / consonants.length);
      word += vowels[x % vowels.length];
      x = Math.floor(x / vowels.length);
    }
    if (x > 0) word += String(x);
    if (k % 2 === 0) word = ' ' + word;
    if (seen.has(word)) continue;
    seen.add(word);
    tokens.push(Buffer.from(word));
  }
  return tokens;
}

function int32s(...values) {
  const buf = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => buf.writeInt32LE(v, 4 * i));
  return buf;
}

// Streams tensors into the file and counts what it wrote.
class GgmlWriter {
  constructor(fd, ftype) {
    this.fd = fd;
    this.ftype = ftype; // 'f16' | 'f32' | 'q8_0': how the big matrices ('w' tensors) are stored
    this.tensors = 0;
    this.params = 0;
  }

  write(buf) {
    fs.writeSync(this.fd, buf);
  }

  // shape is in PyTorch order (slowest dimension first), like the converter;
  // ggml wants it reversed. kind 'w' = weight matrix stored in the model's
  // ftype, 'f' = always f32 (biases, norms, positional embeddings), as whisper.cpp expects.
  // valueAt(i) gives element i; it is called once per element in order, so
  // random initializers consume the PRNG in a fixed order.
  tensor(name, shape, kind, valueAt) {
    const count = shape.reduce((a, b) => a * b, 1);
    const type = this.typeOf(name, shape, kind);
    const nameBytes = Buffer.from(name);
    this.write(Buffer.concat([
      int32s(shape.length, nameBytes.length, type),
      int32s(...shape.slice().reverse()),
      nameBytes,
    ]));
    for (let offset = 0; offset < count; offset += CHUNK) {
      const n = Math.min(CHUNK, count - offset);
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = valueAt(offset + i);
      if (type === TENSOR_F16) {
        const halves = new Uint16Array(n);
        for (let i = 0; i < n; i++) halves[i] = toHalfBits(values[i]);
        this.write(Buffer.from(halves.buffer));
      } else if (type === TENSOR_Q8_0) {
        // From the f16 values, as the quantize tool reads an f16 file: the same bytes as its output.
        for (let i = 0; i < n; i++) values[i] = fromHalfBits(toHalfBits(values[i]));
        this.write(quantizeQ8_0(values)); // CHUNK and every row are whole blocks
      } else {
        this.write(Buffer.from(values.buffer));
      }
    }
    this.tensors++;
    this.params += count;
  }

  // As the quantize tool decides: every 2-D tensor but NEVER_QUANTIZED in 8 bits; otherwise by kind.
  typeOf(name, shape, kind) {
    if (this.ftype === 'q8_0' && shape.length === 2 && !NEVER_QUANTIZED.has(name)) return TENSOR_Q8_0;
    return kind === 'w' && this.ftype !== 'f32' ? TENSOR_F16 : TENSOR_F32;
  }
}

// ggml's quantize_row_q8_0_ref: per block of 32, scale d = max|x| / 127 (stored f16), q = round(x / d) away from zero.
function quantizeQ8_0(values) {
  const blocks = values.length / Q8_0_BLOCK;
  if (!Number.isInteger(blocks)) throw new Error(`q8_0 needs rows of whole ${Q8_0_BLOCK}-element blocks`);
  const out = Buffer.alloc(blocks * (2 + Q8_0_BLOCK));
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(values[b * Q8_0_BLOCK + j]));
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    const at = b * (2 + Q8_0_BLOCK);
    out.writeUInt16LE(toHalfBits(d), at);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const x = Math.fround(values[b * Q8_0_BLOCK + j] * id);
      out.writeInt8(Math.sign(x) * Math.round(Math.abs(x)), at + 2 + j);
    }
  }
  return out;
}

function resolveOptions(options) {
  const presetName = options.preset || 'mini';
  const preset = PRESETS[presetName];
  if (!preset) throw new Error(`unknown preset ${presetName} (one of ${Object.keys(PRESETS).join(', ')})`);
  const num = (value, fallback) => (value === undefined || value === null ? fallback : Number(value));
  const dims = {
    preset: presetName,
    n_state: num(options.nState, preset.n_state),
    n_head: num(options.nHead, preset.n_head),
    n_audio_layer: num(options.nAudioLayer, num(options.nLayer, preset.n_layer)),
    n_text_layer: num(options.nTextLayer, num(options.nLayer, preset.n_layer)),
    n_vocab: num(options.nVocab, preset.n_vocab || N_VOCAB_EN),
  };
  for (const [key, value] of Object.entries(dims)) {
    if (key !== 'preset' && !(Number.isInteger(value) && value > 0)) throw new Error(`${key} must be a positive integer`);
  }
  if (dims.n_state % dims.n_head) throw new Error('n_state must be divisible by n_head');
  const ftype = options.ftype || 'f16';
  if (!['f16', 'f32', 'q8_0'].includes(ftype)) throw new Error(`ftype must be f16, f32 or q8_0, not ${ftype}`);
  const mel = options.mel || 'slaney';
  if (mel !== 'slaney' && mel !== 'random') throw new Error(`mel must be slaney or random, not ${mel}`);
  const seed = num(options.seed, 1);
  if (!Number.isInteger(seed)) throw new Error('seed must be an integer');
  // whisper.cpp decides "multilingual" from n_vocab, which shifts every special token by one.
  const multilingual = dims.n_vocab >= N_VOCAB_MULTI;
  const say = resolveSay(options.say, dims.n_state);
  if (say && options.emit !== undefined && String(options.emit) !== 'random') throw new Error('--say and --emit cannot be combined');
  return {
    ...dims,
    multilingual,
    n_tokens: multilingual ? 50257 : 50256,
    eot: multilingual ? 50257 : 50256,
    ftype,
    mel,
    seed,
    emit: say ? 'say' : options.emit === undefined ? 'random' : String(options.emit),
    say,
  };
}

// The --say token list (a "|"-separated string or an array), checked so that
// whisper.cpp, with the daemon's parameters, can decode every token of it.
function resolveSay(say, nState) {
  if (say === undefined || say === null) return null;
  const tokens = Array.isArray(say) ? say.map(String) : String(say).split('|');
  if (tokens.length === 0) throw new Error('--say: no tokens');
  const seen = new Set();
  tokens.forEach((token, i) => {
    if (token === '') throw new Error(`--say: token ${i + 1} is empty (tokens are separated by "|")`);
    if (seen.has(token)) {
      throw new Error(`--say: token ${JSON.stringify(token)} is repeated: the next token is chosen from the previous ` +
        'one alone, so every token must be distinct');
    }
    seen.add(token);
    if (NON_SPEECH_TOKENS.includes(token.startsWith(' ') ? token.slice(1) : token) || token === ' -' || token === " '") {
      throw new Error(`--say: ${JSON.stringify(token)} is one of whisper.cpp's non-speech tokens, which ` +
        'suppress_non_speech_tokens never lets it decode');
    }
  });
  if (tokens[0] === ' ') throw new Error('--say: the first token cannot be " " (suppress_blank forbids it first)');
  // One residual dimension per chain token: the prompt's last token, each --say token, end-of-text.
  if (tokens.length + 2 > nState) throw new Error(`--say: at most ${nState - 2} tokens with n_state ${nState}`);
  return tokens;
}

// whisper.cpp's special token ids (whisper_vocab and whisper_model_load).
function specialTokens(cfg) {
  const shift = cfg.multilingual ? cfg.n_vocab - N_VOCAB_EN : 0; // whisper.cpp: number of languages - 98
  return {
    eot: cfg.multilingual ? 50257 : 50256,
    sot: cfg.multilingual ? 50258 : 50257,
    translate: 50357 + shift,
    transcribe: 50358 + shift,
    not: 50362 + shift,
  };
}

function writeHeader(w, cfg) {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(GGML_MAGIC, 0);
  w.write(magic);
  w.write(int32s(
    cfg.n_vocab, N_AUDIO_CTX, cfg.n_state, cfg.n_head, cfg.n_audio_layer,
    N_TEXT_CTX, cfg.n_state, cfg.n_head, cfg.n_text_layer, N_MELS,
    { f32: TENSOR_F32, f16: TENSOR_F16, q8_0: FTYPE_Q8_0 }[cfg.ftype],
  ));
}

function writeMelFilters(w, cfg, random) {
  let filters;
  if (cfg.mel === 'random') {
    filters = new Float32Array(N_MELS * N_FFT_BINS);
    for (let i = 0; i < filters.length; i++) filters[i] = random() * 0.02;
  } else {
    filters = slaneyMelFilterbank(N_MELS, N_FFT, SAMPLE_RATE);
  }
  w.write(int32s(N_MELS, N_FFT_BINS));
  w.write(Buffer.from(filters.buffer));
}

function writeVocab(w, vocab) {
  const parts = [int32s(vocab.length)];
  for (const token of vocab) parts.push(int32s(token.length), token);
  w.write(Buffer.concat(parts));
}

// Value generators for GgmlWriter.tensor().
const constant = (c) => () => c;
const uniform = (random, scale) => () => (2 * random() - 1) * scale;
// Linear layers scaled by 1/sqrt(fan_in) keep activations O(1) through the layers.
const linear = (random, fanIn) => uniform(random, 1 / Math.sqrt(fanIn));

// Sinusoidal positions, as whisper's encoder uses (sin half, then cos half).
function sinusoid(width) {
  const half = width / 2;
  const inc = Math.log(10000) / (half - 1);
  return (k) => {
    const t = Math.floor(k / width);
    const c = k % width;
    return c < half ? Math.sin(t * Math.exp(-inc * c)) : Math.cos(t * Math.exp(-inc * (c - half)));
  };
}

// One residual attention block; decoder blocks add cross-attention to the audio.
// overrides: { 'attn.out.weight': (k, drawn) => value, ... } replaces values of
// the block's tensors (names without the prefix); the random value is still
// drawn, so the PRNG stream, and every other tensor, stays the same.
function writeBlock(w, prefix, width, crossAttention, random, overrides = {}) {
  const tensor = (name, shape, kind, valueAt) => {
    const override = overrides[name];
    w.tensor(`${prefix}.${name}`, shape, kind, override ? (k) => override(k, valueAt(k)) : valueAt);
  };
  const small = uniform(random, 0.02);
  const attention = (p) => {
    tensor(`${p}.query.weight`, [width, width], 'w', linear(random, width));
    tensor(`${p}.query.bias`, [width], 'f', small);
    tensor(`${p}.key.weight`, [width, width], 'w', linear(random, width)); // key has no bias in whisper
    tensor(`${p}.value.weight`, [width, width], 'w', linear(random, width));
    tensor(`${p}.value.bias`, [width], 'f', small);
    tensor(`${p}.out.weight`, [width, width], 'w', linear(random, width));
    tensor(`${p}.out.bias`, [width], 'f', small);
    tensor(`${p}_ln.weight`, [width], 'f', constant(1));
    tensor(`${p}_ln.bias`, [width], 'f', constant(0));
  };
  attention('attn');
  if (crossAttention) attention('cross_attn');
  const hidden = 4 * width;
  tensor('mlp.0.weight', [hidden, width], 'w', linear(random, width));
  tensor('mlp.0.bias', [hidden], 'f', small);
  tensor('mlp.2.weight', [width, hidden], 'w', linear(random, hidden));
  tensor('mlp.2.bias', [width], 'f', small);
  tensor('mlp_ln.weight', [width], 'f', constant(1));
  tensor('mlp_ln.bias', [width], 'f', constant(0));
}

function writeEncoder(w, cfg, random) {
  const S = cfg.n_state;
  w.tensor('encoder.positional_embedding', [N_AUDIO_CTX, S], 'f', sinusoid(S));
  w.tensor('encoder.conv1.weight', [S, N_MELS, 3], 'w', linear(random, 3 * N_MELS));
  w.tensor('encoder.conv1.bias', [S, 1], 'f', uniform(random, 0.02));
  w.tensor('encoder.conv2.weight', [S, S, 3], 'w', linear(random, 3 * S));
  w.tensor('encoder.conv2.bias', [S, 1], 'f', uniform(random, 0.02));
  for (let l = 0; l < cfg.n_audio_layer; l++) writeBlock(w, `encoder.blocks.${l}`, S, false, random);
  w.tensor('encoder.ln_post.weight', [S], 'f', constant(1));
  w.tensor('encoder.ln_post.bias', [S], 'f', constant(0));
}

// Token id that --emit asks for, or null for a random decoder.
function emitTarget(cfg, vocab) {
  if (cfg.emit === 'random') return null;
  if (cfg.emit === 'eot') return cfg.eot;
  const wanted = Buffer.from(cfg.emit);
  const id = vocab.findIndex((token) => token.equals(wanted));
  if (id < 0) {
    throw new Error(`--emit: ${JSON.stringify(cfg.emit)} is not one token of the synthetic vocabulary ` +
      `(try ${FIXED_WORDS.map((s) => JSON.stringify(s)).join(', ')}, or any single character)`);
  }
  return id;
}

// Makes greedy decoding pick `target` at every step, whatever the audio: the
// logits are final_ln(x) . token_embedding, so with decoder.ln.weight = 0 the
// final LayerNorm outputs its bias alone. Give the target row a distinct
// +-0.05 pattern and point the bias along it, scaled so its logit is
// EMIT_LOGIT while every other token's logit stays small.
// Returns the bias for decoder.ln (the LN weight is then 0).
function steerDecoderTo(target, tokenEmbedding, width) {
  const row = target * width;
  let norm = 0;
  for (let c = 0; c < width; c++) {
    tokenEmbedding[row + c] = (c % 2 ? 1 : -1) * 0.05;
    norm += tokenEmbedding[row + c] ** 2;
  }
  norm = Math.sqrt(norm);
  const bias = new Float32Array(width);
  for (let c = 0; c < width; c++) bias[c] = EMIT_LOGIT * tokenEmbedding[row + c] / (norm * norm);
  return bias;
}

// ggml_gelu's formula (the tanh approximation).
function gelu(x) {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

// --say: makes greedy decoding follow the chain start -> say[0] -> ... ->
// say[n-1] -> end-of-text, whatever the audio and the prompt.
// 1. Every block's attention, cross-attention and (but in layer 0) MLP output
//    projections are zero, so at each position the residual stream is
//    token_embedding[token] + positional_embedding[position]: no position
//    sees another, nor the audio. The last prompt token alone decides the
//    first emitted token, each emitted token the next.
// 2. Chain token j (0: the prompt's last token; whisper.cpp ends the prompt
//    with no-timestamps when no_timestamps is set, else with SOT (English) or
//    transcribe/translate (multilingual): all four share dimension 0; j = 1..n
//    the say tokens; n + 1 end-of-text) has embedding row A * e_j. Columns
//    0..n+1 are zero in every other row. After a LayerNorm such a row is
//    sqrt(S-1) in dimension j and -1/sqrt(S-1) elsewhere (pos is tiny).
// 3. Layer 0's MLP hidden unit j reads dimension j (weight 2, bias
//    -sqrt(S-1): gelu input sqrt(S-1) when the token is chain token j, below
//    -sqrt(S-1) otherwise, so gelu ~ 0) and writes +A into dimension j + 1,
//    -A into dimension j: the residual becomes the embedding of chain token
//    j + 1. Other hidden units keep random inputs but write nothing.
// 4. The final LayerNorm (weight 1, bias 0) turns it into sqrt(S-1) e_{j+1};
//    the logits are that times the tied embedding: A * sqrt(S-1) = EMIT_LOGIT
//    for the next token, about 0 for all others (log-prob ~ 0: no fallback).
function chainDecoder(cfg, vocab, tokenEmbedding) {
  const S = cfg.n_state;
  const hidden = 4 * S;
  const special = specialTokens(cfg);
  const sayIds = cfg.say.map((token) => {
    const wanted = Buffer.from(token);
    const id = vocab.findIndex((t) => t.equals(wanted));
    if (id < 0) throw new Error(`--say: ${JSON.stringify(token)} is missing from the vocabulary`); // syntheticVocab adds them
    return id;
  });
  // Chain position -> token ids holding its dimension.
  const chain = [[special.not, special.sot, special.transcribe, special.translate], ...sayIds.map((id) => [id]), [special.eot]];
  const dims = chain.length;
  const A = EMIT_LOGIT / Math.sqrt(S - 1);
  for (let row = 0; row < cfg.n_vocab; row++) tokenEmbedding.fill(0, row * S, row * S + dims);
  chain.forEach((ids, j) => {
    for (const id of ids) {
      tokenEmbedding.fill(0, id * S, (id + 1) * S);
      tokenEmbedding[id * S + j] = A;
    }
  });
  const steps = dims - 1; // hidden unit j maps chain token j to j + 1
  const threshold = Math.sqrt(S - 1);
  const gain = A / gelu(2 * threshold - threshold);
  const zero = () => 0;
  const outputsZero = {
    'attn.out.weight': zero, 'attn.out.bias': zero,
    'cross_attn.out.weight': zero, 'cross_attn.out.bias': zero,
    'mlp.2.weight': zero, 'mlp.2.bias': zero,
  };
  const layer0 = {
    ...outputsZero,
    // [hidden, S]: element unit * S + dim
    'mlp.0.weight': (k, drawn) => {
      const unit = Math.floor(k / S);
      if (unit >= steps) return drawn;
      return k % S === unit ? 2 : 0;
    },
    'mlp.0.bias': (k, drawn) => (k < steps ? -threshold : drawn),
    // [S, hidden]: element dim * hidden + unit
    'mlp.2.weight': (k) => {
      const dim = Math.floor(k / hidden);
      const unit = k % hidden;
      if (unit >= steps) return 0;
      if (dim === unit + 1) return gain;
      if (dim === unit) return -gain;
      return 0;
    },
  };
  return { sayIds, blockOverrides: (l) => (l === 0 ? layer0 : outputsZero) };
}

function writeDecoder(w, cfg, vocab, random) {
  const S = cfg.n_state;
  // The token embedding is built in memory first because --emit rewrites one
  // row and derives the final LN bias from it. It is drawn before the
  // positional embedding; that order is part of what a seed reproduces.
  const tokenEmbedding = new Float32Array(cfg.n_vocab * S);
  for (let i = 0; i < tokenEmbedding.length; i++) tokenEmbedding[i] = (2 * random() - 1) * 0.05;
  const target = cfg.say ? null : emitTarget(cfg, vocab);
  const lnBias = target === null ? null : steerDecoderTo(target, tokenEmbedding, S);
  const chain = cfg.say ? chainDecoder(cfg, vocab, tokenEmbedding) : null;

  w.tensor('decoder.positional_embedding', [N_TEXT_CTX, S], 'f', uniform(random, 0.01));
  w.tensor('decoder.token_embedding.weight', [cfg.n_vocab, S], 'w', (k) => tokenEmbedding[k]);
  for (let l = 0; l < cfg.n_text_layer; l++) {
    writeBlock(w, `decoder.blocks.${l}`, S, true, random, chain ? chain.blockOverrides(l) : {});
  }
  w.tensor('decoder.ln.weight', [S], 'f', constant(lnBias ? 0 : 1));
  w.tensor('decoder.ln.bias', [S], 'f', lnBias ? (k) => lnBias[k] : constant(0));
  return { target, sayIds: chain ? chain.sayIds : null };
}

/**
 * Writes a random-weight whisper model to options.out.
 * options: { out, preset?, nState?, nHead?, nLayer?, nAudioLayer?, nTextLayer?,
 *            nVocab?, ftype?: 'f16'|'f32'|'q8_0', seed?, mel?: 'slaney'|'random',
 *            emit?: 'random'|'eot'|string, say?: string[] | string }
 * say: tokens (or one "|"-separated string) that greedy decoding emits, then
 * end-of-text, for any audio; see --say in the header comment.
 * Same options give a byte-identical file. The file is written under a
 * temporary name and renamed, so a concurrent reader never sees half a model.
 * Returns a summary: dimensions, emitted token id (or null), say tokens and
 * their ids (or null), tensor and parameter counts, size in bytes.
 */
function generateModel(options) {
  if (!options || !options.out) throw new Error('generateModel: options.out is required');
  const cfg = resolveOptions(options);
  const vocab = syntheticVocab(cfg.n_tokens, cfg.say || []);
  const random = mulberry32(cfg.seed);
  const tmp = `${options.out}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  let decoder;
  let writer;
  try {
    writer = new GgmlWriter(fd, cfg.ftype);
    writeHeader(writer, cfg);
    writeMelFilters(writer, cfg, random);
    writeVocab(writer, vocab);
    writeEncoder(writer, cfg, random);
    decoder = writeDecoder(writer, cfg, vocab, random);
    fs.closeSync(fd);
  } catch (err) {
    try { fs.closeSync(fd); } catch { /* already closed */ }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.renameSync(tmp, options.out);
  return {
    out: options.out,
    preset: cfg.preset,
    n_vocab: cfg.n_vocab,
    n_state: cfg.n_state,
    n_head: cfg.n_head,
    n_audio_layer: cfg.n_audio_layer,
    n_text_layer: cfg.n_text_layer,
    ftype: cfg.ftype,
    seed: cfg.seed,
    emit: cfg.emit,
    emitTokenId: decoder.target,
    say: cfg.say,
    sayTokenIds: decoder.sayIds,
    tensors: writer.tensors,
    params: writer.params,
    bytes: fs.statSync(options.out).size,
  };
}

const USAGE = 'usage: node scripts/gen-whisper-model.js --out FILE [--preset ' +
  Object.keys(PRESETS).join('|') + '] [--emit random|eot|TOKEN | --say \'T1|T2|...\'] [--seed N] [--ftype f16|f32|q8_0]\n' +
  '       [--n-state N] [--n-head H] [--n-layer L] [--n-audio-layer L] [--n-text-layer L]' +
  ' [--n-vocab V] [--mel slaney|random]';

/**
 * A generator's command line (the model generators share it): the values, or the exit code once the usage is printed
 * (--help: 0; an unknown option or no --out: 2).
 */
function parseCommandLine(argv, options, usage) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    console.error(`${err.message}\n${usage}`);
    return { code: 2 };
  }
  if (values.help) { console.log(usage); return { code: 0 }; }
  if (!values.out) { console.error(usage); return { code: 2 }; }
  return { values };
}

function main(argv) {
  const names = ['out', 'preset', 'emit', 'say', 'seed', 'ftype', 'mel', 'n-state', 'n-head', 'n-layer',
    'n-audio-layer', 'n-text-layer', 'n-vocab'];
  const { values, code } = parseCommandLine(argv, Object.fromEntries(names.map((n) => [n, { type: 'string' }])), USAGE);
  if (!values) return code;
  const info = generateModel({
    out: values.out,
    preset: values.preset,
    emit: values.emit,
    say: values.say,
    seed: values.seed,
    ftype: values.ftype,
    mel: values.mel,
    nState: values['n-state'],
    nHead: values['n-head'],
    nLayer: values['n-layer'],
    nAudioLayer: values['n-audio-layer'],
    nTextLayer: values['n-text-layer'],
    nVocab: values['n-vocab'],
  });
  console.log(JSON.stringify(info));
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`gen-whisper-model: ${err.message}`);
    process.exitCode = 1;
  }
}

// The PRNG, f16 and q8_0 encoders are shared with scripts/gen-gguf-model.js.
module.exports = { generateModel, PRESETS, mulberry32, toHalfBits, quantizeQ8_0, parseCommandLine };
