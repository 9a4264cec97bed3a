/**
 * The 'local' provider's pure parts: the chunk answer's JSON schema (daemon/understanding/local/schema.ts) — enums of
 * the chunk's ids, bounds, and that whatever it allows passes the answer check every provider's answer goes through —
 * the run settings, resolveLocalModel, the protocol's validation of 'local', and the GGUF generator's file layout.
 * The runtime itself: test/unit/local-model-host.test.ts (the process host) and test/integration/local-model.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChunkExtraction } from '../../protocol/protocol';
import { validateEnhancement } from '../../protocol/validate';
import { chunkMessages, ModelChunk, parseChunkAnswer } from '../../daemon/understanding/modelExtract';
import { Chat, chunkConstraint, runModelExtraction } from '../../daemon/understanding/providers';
import { ANSWER_BOUNDS, chunkAnswerSchema } from '../../daemon/understanding/local/schema';
import { LOCAL_MIN_TIMEOUT_SEC, localRunSettings } from '../../daemon/understanding/local/localChat';
import { resolveLocalModel } from '../../daemon/understanding/local/resolveModel';
import { REPO_ROOT } from '../setup';

const CHUNK: ModelChunk = {
  index: 0,
  lines: [
    { segmentId: 'f-1', speaker: 'Ana', t0: 0, text: "Okay, I'll go first with the slides." },
    { segmentId: 'f-2', speaker: 'Ben', t0: 5, text: 'Maria will send the budget figures by Friday.' },
    { segmentId: 'f-3', speaker: 'Ana', t0: 9, text: 'We agreed to ship on Monday.' },
  ],
  items: [
    { id: 'a1', kind: 'actionItem', text: "I'll go first with the slides", owner: 'Ana', segmentId: 'f-1' },
    { id: 'a2', kind: 'actionItem', text: 'Maria will send the budget figures', owner: 'Maria', segmentId: 'f-2' },
    { id: 'd1', kind: 'decision', text: 'ship on Monday', segmentId: 'f-3' },
  ],
};

type Schema = Record<string, unknown>;

/** A random value the schema allows (the subset schema.ts uses), as a grammar-constrained model could write it. */
function sample(schema: Schema, random: () => number): unknown {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  if (schema.enum) return pick(schema.enum as unknown[]);
  if (schema.oneOf) return sample(pick(schema.oneOf as Schema[]), random);
  if (schema.type === 'null') return null;
  if (schema.type === 'string') {
    if (schema.format === 'date') return `20${10 + Math.floor(random() * 80)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`;
    const min = (schema.minLength as number | undefined) ?? 0;
    const length = min + Math.floor(random() * ((schema.maxLength as number) - min + 1));
    return Array.from({ length }, (_, k) => (k % 5 === 4 ? ' ' : pick([...'abcdefghij']))).join('').replace(/^ | $/g, 'x');
  }
  if (schema.type === 'array') {
    const min = (schema.minItems as number | undefined) ?? 0;
    const length = min + Math.floor(random() * ((schema.maxItems as number) - min + 1));
    return Array.from({ length }, () => sample(schema.items as Schema, random));
  }
  if (schema.type === 'object') return Object.fromEntries(Object.entries(schema.properties as Record<string, Schema>).map(([k, v]) => [k, sample(v, random)]));
  throw new Error(`unexpected schema ${JSON.stringify(schema)}`);
}

function prng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('local notes model: the answer schema', () => {
  const schema = chunkAnswerSchema(chunkConstraint(CHUNK)) as Schema;
  const props = schema.properties as Record<string, Schema>;
  const itemOf = (key: string) => (props[key].items as Schema).properties as Record<string, Schema>;

  it("cites only the chunk's lines, dismisses only its shown items, rewrites them in their own shape (owners its speakers or null; a decision's standing and kind), asks each decision's standing", () => {
    assert.deepEqual(Object.keys(props), ['actionItems', 'decisions', 'dismiss', 'rewrite'], 'ChunkExtraction, in order');
    assert.deepEqual((itemOf('actionItems').segments.items as Schema).enum, ['f-1', 'f-2', 'f-3']);
    assert.deepEqual((itemOf('decisions').segments.items as Schema).enum, ['f-1', 'f-2', 'f-3']);
    assert.equal(itemOf('actionItems').segments.minItems, 1, 'an item cites at least one line');
    assert.deepEqual(Object.keys(itemOf('decisions')), ['text', 'standing', 'kind', 'segments'], 'as the prompt shows it');
    assert.deepEqual(itemOf('decisions').standing.enum, ['decided', 'open', 'given']);
    assert.deepEqual(itemOf('decisions').kind.enum, ['decision', 'negative'], 'a deferral is the standing "open"');
    assert.deepEqual(itemOf('dismiss').id.enum, ['a1', 'a2', 'd1']);
    // v6: an action item's rewrite (text, owner, due) or a decision's (text, standing, kind), told apart by the id.
    const [item, decision] = ((props.rewrite.items as Schema).oneOf as Schema[]).map((x) => x.properties as Record<string, Schema>);
    assert.deepEqual(Object.keys(item), ['id', 'text', 'owner', 'due']);
    assert.deepEqual(item.id.enum, ['a1', 'a2']);
    assert.deepEqual(item.owner, { oneOf: [{ enum: ['Ana', 'Ben'] }, { type: 'null' }] });
    assert.equal(item.text.maxLength, ANSWER_BOUNDS.text);
    assert.deepEqual(Object.keys(decision), ['id', 'text', 'standing', 'kind']);
    assert.deepEqual(decision.id.enum, ['d1']);
    assert.deepEqual(decision.standing.enum, ['decided', 'open', 'given']);
    assert.deepEqual(decision.kind.enum, ['decision', 'negative']);
  });

  it('bounds every string and list, so even a model that never stops on its own ends', () => {
    const unbounded: string[] = [];
    const walk = (s: Schema, at: string) => {
      if (s.type === 'string' && s.format === undefined && s.maxLength === undefined) unbounded.push(at);
      if (s.type === 'array' && s.maxItems === undefined) unbounded.push(at);
      for (const [k, v] of Object.entries(s)) {
        if (Array.isArray(v)) v.forEach((x, i) => typeof x === 'object' && x && walk(x as Schema, `${at}.${k}[${i}]`));
        else if (typeof v === 'object' && v) walk(v as Schema, `${at}.${k}`);
      }
    };
    walk(schema, '$');
    assert.deepEqual(unbounded, []);
    assert.equal(props.actionItems.maxItems, ANSWER_BOUNDS.items);
    assert.equal(itemOf('actionItems').text.maxLength, ANSWER_BOUNDS.text);
  });

  it('prompt v7 (issue 56): `noted` cites the entries shown by id in their own shape, and every answer it allows is taken whole', () => {
    const v7: ModelChunk = { ...CHUNK, noted: { left: 0, shown: [
      { id: 'D1', kind: 'decision', text: 'DVD support', standing: 'open', firstT0: 0, lastT0: 0 },
      { id: 'D2', kind: 'decision', text: 'No teletext', standing: 'decided', firstT0: 0, lastT0: 0 },
      { id: 'A1', kind: 'actionItem', text: 'Draw the case', owner: null, firstT0: 0, lastT0: 0 },
    ] } };
    const withNoted = chunkAnswerSchema(chunkConstraint(v7)) as Schema;
    const noted = (withNoted.properties as Record<string, Schema>).noted;
    assert.deepEqual(Object.keys(withNoted.properties as object), ['actionItems', 'decisions', 'dismiss', 'rewrite', 'noted']);
    const [decision, item] = ((noted.items as Schema).oneOf as Schema[]).map((x) => x.properties as Record<string, Schema>);
    assert.deepEqual(decision.id.enum, ['D1', 'D2']);
    assert.deepEqual((decision.standing.oneOf as Schema[])[0].enum, ['decided', 'open', 'given', 'dropped']);
    assert.deepEqual(item.id.enum, ['A1']);
    assert.deepEqual(item.merge, { type: 'array', maxItems: 0 }, 'one noted action item: nothing to merge it with');
    assert.ok(!('noted' in (schema.properties as object)), 'a v6 chunk: no noted');
    const random = prng(11);
    for (let k = 0; k < 200; k++) {
      const answer = sample(withNoted, random) as ChunkExtraction;
      const parsed = parseChunkAnswer(JSON.stringify(answer), v7);
      assert.ok(parsed?.noted, `answer ${k} rejected`);
      assert.deepEqual(parsed.noted.map((u) => u.id), [...new Set(answer.noted!.map((u) => u.id))], `answer ${k}: a noted entry dropped`);
    }
  });

  it('a chunk with no rule-based items allows no dismissal or rewrite (empty lists, not an empty enum)', () => {

    const bare = chunkAnswerSchema(chunkConstraint({ ...CHUNK, items: [] })) as Schema;
    const p = bare.properties as Record<string, Schema>;
    assert.deepEqual(p.dismiss, { type: 'array', maxItems: 0 });
    assert.deepEqual(p.rewrite, { type: 'array', maxItems: 0 });
    // v6: a chunk with only a rule decision may rewrite it, in a decision's shape alone.
    const decisionsOnly = chunkAnswerSchema(chunkConstraint({ ...CHUNK, items: [CHUNK.items[2]] })) as Schema;
    const rewrite = (decisionsOnly.properties as Record<string, Schema>).rewrite;
    assert.equal(rewrite.maxItems, 1);
    assert.deepEqual(Object.keys((rewrite.items as Schema).properties as object), ['id', 'text', 'standing', 'kind']);
  });

  it('every answer it allows passes the check all providers go through, keeping every item and decision', () => {
    const random = prng(7);
    for (let k = 0; k < 300; k++) {
      const answer = sample(schema, random) as ChunkExtraction;
      const parsed = parseChunkAnswer(JSON.stringify(answer), CHUNK);
      assert.ok(parsed, `answer ${k} rejected`);
      assert.equal(parsed.actionItems.length, answer.actionItems.length, `answer ${k}: action items dropped`);
      assert.equal(parsed.decisions.length, answer.decisions.length, `answer ${k}: decisions dropped`);
      for (const entry of [...parsed.actionItems, ...parsed.decisions]) assert.deepEqual(entry.segments, [...new Set(entry.segments)].filter((s) => /^f-[123]$/.test(s)));
      assert.deepEqual(parsed.decisions.map((d) => d.standing), answer.decisions.map((d) => d.standing), `answer ${k}: standings kept`);
      // Dismissals and rewrites are deduplicated by id (and a rewrite of a dismissed item dropped), nothing else refused.
      const dismissed = [...new Set(answer.dismiss.map((d) => d.id))];
      assert.deepEqual(parsed.dismiss.map((d) => d.id), dismissed);
      assert.deepEqual(parsed.rewrite.map((r) => r.id), [...new Set(answer.rewrite.map((r) => r.id))].filter((id) => !dismissed.includes(id)));
      for (const r of parsed.rewrite) assert.deepEqual(r, answer.rewrite.find((x) => x.id === r.id), 'a rewrite is taken as written');
    }
  });

  it('the chat gets the same prompt as every provider, with the constraint beside it', async () => {
    const seen: { system: string; user: string; constraint: unknown }[] = [];
    const chat: Chat = async (system, user, _signal, constraint) => {
      seen.push({ system, user, constraint });
      return { text: JSON.stringify({ actionItems: [], decisions: [], dismiss: [], rewrite: [] }), model: 'm' };
    };
    await runModelExtraction('s', { title: 'T', date: '2030-01-01' }, [CHUNK], {
      settings: { provider: 'local', model: '/m.gguf' }, chat, signal: new AbortController().signal, progress: () => undefined, report: () => undefined,
    });
    assert.equal(seen.length, 1);
    assert.deepEqual({ system: seen[0].system, user: seen[0].user }, chunkMessages({ title: 'T', date: '2030-01-01' }, CHUNK, 1));
    assert.deepEqual(seen[0].constraint, { segmentIds: ['f-1', 'f-2', 'f-3'], itemIds: ['a1', 'a2', 'd1'], actionItemIds: ['a1', 'a2'], decisionIds: ['d1'], speakers: ['Ana', 'Ben'] });
  });

  it('run settings: one call at a time, and a time limit a CPU can meet', () => {
    assert.deepEqual(localRunSettings({ provider: 'local', model: '/m.gguf', timeoutSec: 20, maxConcurrency: 4 }),
      { provider: 'local', model: '/m.gguf', timeoutSec: LOCAL_MIN_TIMEOUT_SEC, maxConcurrency: 1 });
    assert.equal(localRunSettings({ provider: 'local' }).timeoutSec, LOCAL_MIN_TIMEOUT_SEC);
  });
});

describe('local notes model: settings and the model file', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-local-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("'local' is a provider; its model may be a long file path, a server's model name may not", () => {
    const long = `/${'d/'.repeat(150)}model.gguf`;
    assert.deepEqual(validateEnhancement({ provider: 'local', model: long }), { provider: 'local', model: long });
    assert.throws(() => validateEnhancement({ provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1', model: long }), /model is too long/);
    assert.throws(() => validateEnhancement({ provider: 'locall' }), /provider must be one of off, vscode-lm, openai-compatible, local/);
    assert.equal(validateEnhancement({ provider: 'local', endpoint: 'https://example.com' }).endpoint, undefined, 'an endpoint means nothing to it');
  });

  it('resolveLocalModel: an absolute path to a GGUF file; anything else a clear refusal', async () => {
    const good = path.join(dir, 'm.gguf');
    fs.writeFileSync(good, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(20)]));
    const bad = path.join(dir, 'm.bin');
    fs.writeFileSync(bad, 'ggml not gguf');
    assert.equal(await resolveLocalModel(` ${good} `), good);
    await assert.rejects(resolveLocalModel(''), /no local model chosen/);
    await assert.rejects(resolveLocalModel('qwen2.5-1.5b'), /"qwen2.5-1.5b" is a catalog id, but no model cache is known here/);
    await assert.rejects(resolveLocalModel('gpt-5', { notesCache: dir }), /"gpt-5" is neither a notes model of the catalog \(qwen2\.5-1\.5b, .*\) nor the absolute path/);
    // A catalog id: its checked file in the notes cache, or how to get it (never a download from here).
    await assert.rejects(resolveLocalModel('qwen2.5-1.5b', { notesCache: path.join(dir, 'empty-cache') }), /not downloaded \(1\.1 GB\)/);
    // Nothing named: the offline path setting, else the machine's recommended catalog model.
    assert.equal(await resolveLocalModel('', { notesModelPath: good }), good);
    await assert.rejects(resolveLocalModel('', { notesCache: path.join(dir, 'empty-cache'), recommended: () => 'llama-3.2-3b' }), /llama-3\.2-3b is not downloaded/);
    await assert.rejects(resolveLocalModel(path.join(dir, 'none.gguf')), /cannot read the local model .*none\.gguf: no such file/);
    await assert.rejects(resolveLocalModel(dir), /it is a folder|EISDIR/);
    await assert.rejects(resolveLocalModel(bad), /m\.bin is not a GGUF model file/);
  });
});

describe('scripts/gen-gguf-model.js', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { generateGguf, PRESETS } = require(path.join(REPO_ROOT, 'scripts', 'gen-gguf-model.js'));
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-gguf-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The header and metadata keys of a GGUF file (values skipped by their encoded size). */
  function readHeader(file: string): { version: number; tensors: number; keys: Map<string, unknown> } {
    const b = fs.readFileSync(file);
    assert.equal(b.toString('latin1', 0, 4), 'GGUF');
    let at = 24;
    const str = () => { const n = Number(b.readBigUInt64LE(at)); at += 8; const s = b.toString('utf8', at, at + n); at += n; return s; };
    const value = (type: number): unknown => {
      if (type === 4) { at += 4; return b.readUInt32LE(at - 4); }
      if (type === 5) { at += 4; return undefined; }
      if (type === 6) { at += 4; return b.readFloatLE(at - 4); }
      if (type === 7) { at += 1; return b[at - 1] === 1; }
      if (type === 8) return str();
      if (type === 9) {
        const element = b.readUInt32LE(at);
        const n = Number(b.readBigUInt64LE(at + 4));
        at += 12;
        const values = Array.from({ length: n }, () => value(element));
        return element === 8 || element === 6 ? values : n;
      }
      throw new Error(`type ${type}`);
    };
    const tensors = Number(b.readBigUInt64LE(8));
    const count = Number(b.readBigUInt64LE(16));
    const keys = new Map<string, unknown>();
    for (let k = 0; k < count; k++) {
      const key = str();
      const type = b.readUInt32LE(at);
      at += 4;
      keys.set(key, value(type));
    }
    return { version: b.readUInt32LE(4), tensors, keys };
  }

  it('writes a llama GGUF v3 with a SentencePiece tokenizer, ChatML tokens and template, every tensor of the architecture', () => {
    const out = path.join(dir, 'tiny.gguf');
    const info = generateGguf({ out, type: 'q8_0' });
    assert.equal(fs.statSync(out).size, info.bytes);
    const { version, tensors, keys } = readHeader(out);
    assert.equal(version, 3);
    assert.equal(tensors, 3 + 9 * PRESETS.tiny.layers, 'embeddings, output norm, output, and 9 tensors a layer');
    assert.equal(keys.get('general.architecture'), 'llama');
    assert.equal(keys.get('general.file_type'), 7);
    assert.equal(keys.get('tokenizer.ggml.model'), 'llama');
    const tokens = keys.get('tokenizer.ggml.tokens') as string[];
    assert.equal(tokens.length, info.vocab);
    assert.equal(tokens[keys.get('tokenizer.ggml.eos_token_id') as number], '<|im_end|>');
    assert.ok(tokens.includes('<|im_start|>') && tokens.includes('<0xFF>'));
    assert.match(keys.get('tokenizer.chat_template') as string, /<\|im_start\|>/);
    assert.equal(keys.get('llama.context_length'), 8192);
  });

  it('pads the vocabulary to a real size and ties the output layer on request; refuses impossible shapes', () => {
    const out = path.join(dir, 'padded.gguf');
    const info = generateGguf({ out, mode: 'random', vocab: 1000, tied: true });
    assert.equal(info.vocab, 1000);
    assert.equal(readHeader(out).tensors, 2 + 9 * PRESETS.tiny.layers, 'no output.weight: tied to the embeddings');
    assert.throws(() => generateGguf({ out, embd: 60 }), /multiples of 32/);
    assert.throws(() => generateGguf({ out, preset: 'huge' }), /unknown preset/);
    assert.deepEqual([PRESETS['1.5b'].embd, PRESETS['1.5b'].layers, PRESETS['3b'].embd, PRESETS['3b'].layers], [1536, 28, 2048, 36]);
  });

  it("words: each word and every prefix of it, after SentencePiece's '▁' and plain (after a quote), in the vocabulary, once", () => {
    const plain = readHeader(generateGguf({ out: path.join(dir, 'plain.gguf') }).out).keys.get('tokenizer.ggml.tokens') as string[];
    const out = path.join(dir, 'words.gguf');
    generateGguf({ out, words: ['timeout', 'time', 'login'] });
    const tokens = readHeader(out).keys.get('tokenizer.ggml.tokens') as string[];
    for (const piece of ['\u2581t', '\u2581ti', '\u2581tim', '\u2581time', '\u2581timeo', '\u2581timeout', '\u2581lo', '\u2581login',
      'ti', 'tim', 'time', 'timeo', 'timeout', 'lo', 'log', 'logi', 'login']) assert.ok(tokens.includes(piece), piece);
    assert.equal(new Set(tokens).size, tokens.length, 'no piece twice ("▁time" is a prefix of "▁timeout" and a word)');
    // "▁timeout" and its prefixes from "▁t" (7), "timeout" and its from "ti" (6; a single letter is a base piece), the
    // same for "login" (5 + 4); "time" and its prefixes are among them already.
    const added = tokens.slice(plain.length);
    assert.equal(added.length, 22, added.join(' '));
    const score = (p: string) => (readHeader(out).keys.get('tokenizer.ggml.scores') as number[])[tokens.indexOf(p)];
    assert.ok(score('timeout') > score('time') && score('\u2581timeout') > score('\u2581time'), 'a longer piece scores higher');
  });
});
