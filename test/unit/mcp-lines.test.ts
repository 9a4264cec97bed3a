import * as assert from 'node:assert/strict';
import { MAX_LINE_BYTES, McpLines, NOT_INITIALIZED } from '../../daemon/cli/mcpLines';

function lines() {
  const passed: string[] = [];
  const replies: { id: unknown; error: { code: number; message: string } }[] = [];
  const said: string[] = [];
  const reader = new McpLines((l) => passed.push(l), (json) => replies.push(JSON.parse(json)), (m) => said.push(m));
  return { reader, passed, replies, said };
}
const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });

describe('earshot mcp: the client\'s lines checked before the SDK reads them', () => {
  it('passes whole JSON-RPC lines however the chunks cut them (CRLF too), and the last line without its break at the end', () => {
    const { reader, passed, replies } = lines();
    const call = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const text = `${init}\r\n${call}\n{"jsonrpc":"2.0","method":"notifications/initialized"}`;
    for (const c of text.match(/[\s\S]{1,7}/g)!) reader.push(Buffer.from(c));
    reader.end();
    assert.deepEqual(passed, [init, call, '{"jsonrpc":"2.0","method":"notifications/initialized"}']);
    assert.deepEqual(replies, []);
  });

  it('answers what is not JSON, not JSON-RPC, a batch, or a request before initialize, and reads on', () => {
    const { reader, passed, replies, said } = lines();
    reader.push('{"jsonrpc":"2.0","id":7,"method":"tools/list"}\n');
    reader.push('nope\n{"id":3,"method":"x"}\n[{"jsonrpc":"2.0","id":4,"method":"ping"}]\n');
    reader.push('{"jsonrpc":"2.0","id":5,"method":"ping"}\n' + init + '\n{"jsonrpc":"2.0","id":8,"method":"tools/list"}\n');
    assert.deepEqual(replies.map((r) => [r.id, r.error.code]), [[7, NOT_INITIALIZED], [null, -32700], [3, -32600], [null, -32600]]);
    assert.deepEqual(passed.map((l) => JSON.parse(l).id), [5, 1, 8]);
    assert.ok(!said.join('\n').includes('nope'), 'no line content in the log');
  });

  it('drops a line longer than MAX_LINE_BYTES as it comes (never holding it), answers it, and reads the next', () => {
    const { reader, passed, replies } = lines();
    reader.push(init + '\n');
    const chunk = 'x'.repeat(1 << 20);
    for (let i = 0; i < MAX_LINE_BYTES / chunk.length + 2; i++) reader.push(chunk);
    assert.equal((reader as unknown as { buffer: string }).buffer.length, 0, 'the long line is not kept');
    reader.push('\n{"jsonrpc":"2.0","id":9,"method":"ping"}\n');
    assert.deepEqual(replies.map((r) => r.error.code), [-32700]);
    assert.match(replies[0].error.message, /longer than 4 MB/);
    assert.deepEqual(passed.map((l) => JSON.parse(l).id), [1, 9]);
  });
});
