/**
 * The daemon's frame parser on its own: the same frames and errors however the bytes are chunked, one error per bad
 * stretch followed by resynchronization, oversized frames skipped without being held, and the nesting check.
 */
import * as assert from 'node:assert/strict';
import { FrameEvent, FrameParser, MAX_HEADER_BYTES, nestedDeeperThan } from '../../daemon/rpc/transport';

const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Feeds `input` in chunks of `size` bytes; returns frames (as text) and errors (as "error"/"oversized"). */
function parse(input: string | Buffer, size = Infinity, max = 1024): string[] {
  const out: string[] = [];
  const parser = new FrameParser(max, (e: FrameEvent) => out.push(e.kind === 'frame' ? e.body.toString('utf8') : e.oversized ? 'oversized' : 'error'));
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  for (let i = 0; i < bytes.length; i += Math.min(size, bytes.length)) parser.push(bytes.subarray(i, i + Math.min(size, bytes.length)));
  return out;
}

describe('FrameParser', () => {
  const a = '{"a":1}';
  const b = '{"b":"é ✓"}';

  it('gives the same frames whatever the chunking, down to single bytes', () => {
    const input = frame(a) + `content-length:${Buffer.byteLength(b)}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n${b}` + frame('');
    for (const size of [Infinity, 1, 2, 3, 7, 64]) assert.deepEqual(parse(input, size), [a, b, ''], `chunks of ${size}`);
  });

  it('reports a stretch of junk once, then resynchronizes on the next header', () => {
    for (const size of [Infinity, 1, 5]) {
      assert.deepEqual(parse(`garbage without structure${frame(a)}`, size), ['error', a]);
      // A Content-Length too short: the cut body, then its rest as junk before the next frame.
      assert.deepEqual(parse(`Content-Length: 3\r\n\r\n${a}${frame(b)}`, size), ['{"a', 'error', b]);
    }
  });

  it('refuses headers it cannot trust: no, two, or a non-decimal Content-Length, a line without a colon', () => {
    for (const header of ['Content-Type: x', 'Content-Length: 0x7', 'Content-Length: -7', 'Content-Length 7', `Content-Length: ${'9'.repeat(16)}`]) {
      assert.deepEqual(parse(`${header}\r\n\r\n${a}${frame(b)}`), ['error', 'error', b], header);
    }
    // Two lengths: the last one is taken (the line before it is junk), here cutting the body short.
    assert.deepEqual(parse(`Content-Length: 7\r\nContent-Length: 6\r\n\r\n${a}${frame(b)}`), ['error', '{"a":1', 'error', b]);
  });

  it('treats a header block over the bound as junk, whether it came in one chunk or many', () => {
    const long = `X-Long: ${'y'.repeat(MAX_HEADER_BYTES)}\r\n${frame(a)}`;
    assert.deepEqual(parse(long), ['error', a]);
    assert.deepEqual(parse(long, 100), ['error', a]);
  });

  it('skips an oversized frame as it arrives, then parses the next one', () => {
    const big = `Content-Length: 5000\r\n\r\n${'x'.repeat(5000)}${frame(a)}`;
    assert.deepEqual(parse(big, Infinity, 1024), ['oversized', a]);
    assert.deepEqual(parse(big, 300, 1024), ['oversized', a]);
  });

  it('hands back what follows the first event once halted', () => {
    let parser!: FrameParser;
    const events: FrameEvent[] = [];
    parser = new FrameParser(1024, (e) => { events.push(e); parser.halt(); });
    const rest = parser.push(Buffer.from(frame(a) + frame(b)));
    assert.equal(events.length, 1);
    assert.equal(rest.toString(), frame(b));
  });
});

describe('nestedDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    assert.equal(nestedDeeperThan(Buffer.from('{"a":[{"b":[1]}]}'), 4), false);
    assert.equal(nestedDeeperThan(Buffer.from('{"a":[{"b":[[1]]}]}'), 4), true);
    assert.equal(nestedDeeperThan(Buffer.from(`{"s":"${'['.repeat(100)}","t":"\\"[[[["}`), 2), false);
    assert.equal(nestedDeeperThan(Buffer.from('['.repeat(65) + ']'.repeat(65)), 64), true);
  });
});
