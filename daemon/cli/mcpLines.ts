/**
 * The lines an MCP client sends on stdio, checked before the SDK's transport reads them: MCP's stdio transport is
 * JSON-RPC 2.0 messages, one a line (specification 2025-06-18, "Transports"). A line that is not JSON gets a Parse
 * error (-32700), one that is not a JSON-RPC message an Invalid Request (-32600), a request other than initialize or
 * ping before initialize an error saying so; each is dropped and the next line read. A line longer than MAX_LINE_BYTES
 * is dropped as it comes (never held whole) and answered as unparsable.
 *
 * Owns the checks. Must not log a line's content (it may be a question about a meeting).
 */

/** The longest line taken: a tool call's arguments are a few kB (a query is at most 2,000 characters). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** Not initialized yet (LSP's ServerNotInitialized; JSON-RPC leaves -32000 to -32099 to servers). */
export const NOT_INITIALIZED = -32002;

export class McpLines {
  private buffer = '';
  private bytes = 0;
  private skipping = false;
  private initialized = false;

  /** `pass`: a good line, for the SDK; `reply`: an error response of ours, written to the client. */
  constructor(private readonly pass: (line: string) => void, private readonly reply: (json: string) => void, private readonly say: (message: string) => void) {}

  push(chunk: Buffer | string): void {
    let text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (;;) {
      const at = text.indexOf('\n');
      const part = at < 0 ? text : text.slice(0, at);
      if (!this.skipping) {
        this.buffer += part;
        this.bytes += Buffer.byteLength(part);
        if (this.bytes > MAX_LINE_BYTES) {
          this.skipping = true;
          this.buffer = '';
        }
      }
      if (at < 0) return;
      text = text.slice(at + 1);
      if (this.skipping) this.error(null, -32700, `Parse error: a line longer than ${MAX_LINE_BYTES / 2 ** 20} MB`);
      else this.line(this.buffer.replace(/\r$/, ''));
      this.buffer = '';
      this.bytes = 0;
      this.skipping = false;
    }
  }

  /** The input ended: a last line without its line break is read too. */
  end(): void {
    if (this.buffer.trim() && !this.skipping) this.line(this.buffer);
    this.buffer = '';
  }

  private line(line: string): void {
    if (!line.trim()) return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.error(null, -32700, 'Parse error: the line is not JSON (MCP over stdio takes one JSON-RPC message a line)');
      return;
    }
    const m = message as { jsonrpc?: unknown; id?: unknown; method?: unknown; result?: unknown; error?: unknown };
    const id = typeof m?.id === 'string' || (typeof m?.id === 'number' && Number.isFinite(m.id)) ? m.id : null;
    const isObject = typeof message === 'object' && message !== null && !Array.isArray(message);
    const request = isObject && typeof m.method === 'string' && m.id !== undefined;
    const notification = isObject && typeof m.method === 'string' && m.id === undefined;
    const response = isObject && m.method === undefined && id !== null && (m.result !== undefined || m.error !== undefined);
    if (!isObject || m.jsonrpc !== '2.0' || !(request || notification || response) || (request && id === null)) {
      this.error(id, -32600, `Invalid Request: ${Array.isArray(message) ? 'batches are not taken (MCP 2025-06-18)' : 'not a JSON-RPC 2.0 request, notification or response'}`);
      return;
    }
    if (request && m.method === 'initialize') this.initialized = true;
    else if (request && !this.initialized && m.method !== 'ping') {
      this.error(id, NOT_INITIALIZED, 'Server not initialized: send initialize first');
      return;
    }
    this.pass(line);
  }

  private error(id: string | number | null, code: number, message: string): void {
    this.say(`refused a message: ${code}`);
    this.reply(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }));
  }
}
