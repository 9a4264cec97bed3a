import * as assert from 'node:assert/strict';
import { identifiersIn, MAX_WORDS } from '../../extension/workspace/identifiers';

describe('workspace vocabulary (identifiers from editors)', () => {
  it('keeps words that look like code, most frequent first', () => {
    const source = `
      export function parseConfig(raw: string) { return AuthService.load(raw, MAX_RETRIES); }
      const cfg = parseConfig(text); // the parser reads the config
      class AuthService { retry2() {} }`;
    const words = identifiersIn([source]);
    assert.equal(words[0], 'AuthService');
    assert.ok(words.includes('parseConfig'));
    assert.ok(words.includes('MAX_RETRIES'));
    assert.ok(words.includes('retry2'));
    for (const plain of ['function', 'return', 'const', 'parser', 'reads', 'config', 'class', 'export']) assert.ok(!words.includes(plain), plain);
  });

  it('is bounded', () => {
    const many = Array.from({ length: 500 }, (_, i) => `someName${i}`).join(' ');
    assert.equal(identifiersIn([many]).length, MAX_WORDS);
  });
});
