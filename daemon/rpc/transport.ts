/**
 * JSON-RPC framing over a pair of streams, with answers for bad input and bounds on what a peer can make the daemon
 * hold. vscode-jsonrpc's own reader buffers a frame of any declared length, rescans its whole buffer for a header on
 * every chunk, gives up on a header it cannot read, and drops a message it cannot parse without telling the peer.
 * Here every frame is bounded, every bad frame becomes a Parse error (-32700) or Invalid Request (-32600) response as
 * JSON-RPC 2.0 requires, and the stream resynchronizes on the next frame header and keeps serving.
 */
import {
  AbstractMessageReader, DataCallback, Disposable, Message, MessageReader, MessageStrategy, MessageWriter, StreamMessageWriter,
} from 'vscode-languageserver/node';
import { ErrorCodes } from '../../protocol/protocol';

// ---------------------------------------------------------------------------------------------
// Limits: every bound on what a peer may send, in one place.

/**
 * Largest frame body (JSON text) accepted, in bytes. The largest legitimate message is the workspace index
 * (MAX_INDEX_FILES paths and MAX_INDEX_SYMBOLS symbols: about 11 MB with 150-character paths), so the limit leaves room
 * above it. A bigger frame is answered with Invalid Request (id null) and its bytes are skipped as they arrive, never
 * held: on stdio the connection keeps serving, on a TCP connection it is then closed.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Largest header block ("Content-Length: …\r\n\r\n"); real ones are under 100 bytes. Longer runs are junk. */
export const MAX_HEADER_BYTES = 1024;
/**
 * Deepest nesting of arrays and objects in a message (real ones nest 4 or 5 deep). A deeper one is answered with Invalid
 * Request (id null) without being parsed: 100,000 nested arrays cost megabytes once parsed and overflow the stack of
 * anything that walks them recursively.
 */
export const MAX_JSON_DEPTH = 64;
/**
 * Received messages waiting for the connection to dispatch them: above this many bytes (or messages) the daemon stops
 * reading its input until the queue drains, so a client that writes faster than the daemon works holds memory in its
 * own pipe, not in the daemon.
 */
export const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
export const MAX_QUEUED_MESSAGES = 1024;
/** `--listen`: the first frame (the authenticating `initialize`) may be at most this big; real ones are about 1 KB. */
export const PRE_AUTH_MAX_FRAME_BYTES = 64 * 1024;
/** `--listen`: authenticated connections served at once; one more that proves the token is answered RequestFailed and closed. */
export const MAX_CONNECTIONS = 4;
/**
 * `--listen`: connections still to prove the token, counted apart from MAX_CONNECTIONS so that idle sockets cannot lock
 * out the token holder. Past it the oldest is closed for the newest: whoever keeps reopening idle sockets cannot hold
 * the door either.
 */
export const MAX_UNAUTHENTICATED_CONNECTIONS = 16;
/**
 * `--listen`: a connection that has not proved the token this long after it opened is closed. Real clients send
 * initialize at once; the margin is for a daemon whose event loop is busy a moment (the cap above bounds the idle).
 */
export const AUTH_TIMEOUT_MS = 2000;
/** `--listen`: random bytes in the token (written as hex, so 64 characters). */
export const TOKEN_BYTES = 32;
/**
 * `--listen`: messages per second per connection (a token bucket of RATE_LIMIT_BURST refilled at RATE_LIMIT_PER_SEC).
 * The extension sends a few a second at most. A request over the limit is answered with RateLimited unprocessed, a
 * notification over it is dropped; more than RATE_LIMIT_BURST refused within a second closes the connection.
 */
export const RATE_LIMIT_PER_SEC = 200;
export const RATE_LIMIT_BURST = 400;
/** `--listen`: answers and notifications waiting for a client that does not read them; beyond this it is closed. */
export const MAX_PENDING_OUTPUT_BYTES = 32 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------

/** Never sent on the wire: the reader hands bad messages to the server under this name. */
export const MALFORMED_MESSAGE = '$/earshot/malformedMessage';

export interface MalformedMessage {
  code: number;
  message: string;
  /** The request id when one could be read, else null (as JSON-RPC prescribes). */
  id: number | string | null;
  /** A notification with bad params: nobody is waiting for an answer, so it is only logged. */
  silent?: boolean;
  /** The connection is closed once this is answered (an oversized frame on TCP, a peer far over the rate limit). */
  fatal?: boolean;
}

export function malformed(code: number, message: string, id: unknown = null, extra: Pick<MalformedMessage, 'silent' | 'fatal'> = {}): Message {
  const params: MalformedMessage = { code, message, id: typeof id === 'number' || typeof id === 'string' ? id : null, ...extra };
  return { jsonrpc: '2.0', method: MALFORMED_MESSAGE, params } as Message;
}

export function isMalformed(m: Message): m is Message & { params: MalformedMessage } {
  return (m as { method?: unknown }).method === MALFORMED_MESSAGE;
}

/** Checks the JSON-RPC envelope; params are checked later by each method's validator. */
export function decodeMessage(text: string): Message {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return malformed(ErrorCodes.ParseError, `Parse error: ${(e as Error).message.slice(0, 200)}`);
  }
  if (Array.isArray(value)) return malformed(ErrorCodes.InvalidRequest, 'Invalid request: batches are not supported');
  if (typeof value !== 'object' || value === null) return malformed(ErrorCodes.InvalidRequest, 'Invalid request: a message must be a JSON object');
  const m = value as Record<string, unknown>;
  const id = m.id;
  if (m.jsonrpc !== '2.0') return malformed(ErrorCodes.InvalidRequest, 'Invalid request: "jsonrpc" must be "2.0"', id);
  if (id !== undefined && id !== null && typeof id !== 'number' && typeof id !== 'string') {
    return malformed(ErrorCodes.InvalidRequest, 'Invalid request: "id" must be a number or a string');
  }
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method === MALFORMED_MESSAGE) return malformed(ErrorCodes.InvalidRequest, 'Invalid request: "method" must be a string', id);
    // vscode-jsonrpc treats a message with a method and id null as neither request nor notification and drops it.
    if (id === null) return malformed(ErrorCodes.InvalidRequest, 'Invalid request: "id" must not be null (omit it for a notification)');
    // Some LSP clients send `"params": null` for methods that take none (shutdown, exit): the same as no params. And
    // an Earshot method asked without params (Neovim's client.request(method, nil)) gets its validator's answer to an
    // empty object, not vscode-jsonrpc's "defines 1 params but received none": status and lists need nothing more.
    if (m.params === null) delete m.params;
    if (m.params === undefined && m.method.startsWith('earshot/')) m.params = {};
    if (m.params !== undefined && typeof m.params !== 'object') {
      return malformed(ErrorCodes.InvalidRequest, 'Invalid request: "params" must be an object or an array', id);
    }
    // vscode-jsonrpc reads params.id of a cancellation before any handler could catch the TypeError.
    if (m.method === '$/cancelRequest' && id === undefined) {
      const cancelId = (m.params as { id?: unknown } | undefined)?.id;
      if (typeof cancelId !== 'number' && typeof cancelId !== 'string') {
        return malformed(ErrorCodes.InvalidParams, '$/cancelRequest: params.id must be a number or a string', null, { silent: true });
      }
    }
  } else if (!('result' in m) && !('error' in m)) {
    return malformed(ErrorCodes.InvalidRequest, 'Invalid request: no "method", "result" or "error"', id);
  }
  return m as unknown as Message;
}

// ---------------------------------------------------------------------------------------------
// Frames

export type FrameEvent =
  | { kind: 'frame'; body: Buffer }
  | { kind: 'error'; code: number; message: string; oversized?: boolean };

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
/** What is kept of a run of junk while looking for the next header (a real header is far shorter). */
const JUNK_TAIL_BYTES = 256;

/**
 * Splits a byte stream into Content-Length frames, within bounds: a header block over MAX_HEADER_BYTES is junk (only
 * its tail is kept, to find the next header in), a frame over `maxFrameBytes` is reported and its body skipped as it
 * arrives. Bad input is reported once per bad stretch, then the parser resynchronizes on the next valid header:
 * junk before a header (e.g. the rest of a body whose Content-Length was too short) is one error, then that frame.
 */
export class FrameParser {
  private header: Buffer = Buffer.alloc(0);
  /** Bytes of junk dropped from the front of `header` since the last frame. */
  private junk = 0;
  private bodyLength = -1;
  private bodyChunks: Buffer[] = [];
  private bodyHave = 0;
  private skipRemaining = 0;
  private halted = false;

  constructor(private readonly maxFrameBytes: number, private readonly emit: (event: FrameEvent) => void) {}

  /** Stops parsing after the current event: push() then returns the bytes it did not consume. */
  halt(): void {
    this.halted = true;
  }

  /** Parses what it can of `chunk`; returns what it left unconsumed (nothing unless halted). */
  push(chunk: Buffer): Buffer {
    let data = chunk;
    while (data.length > 0) {
      if (this.halted) return data;
      if (this.skipRemaining > 0) {
        const n = Math.min(this.skipRemaining, data.length);
        this.skipRemaining -= n;
        data = data.subarray(n);
      } else if (this.bodyLength >= 0) {
        const n = Math.min(this.bodyLength - this.bodyHave, data.length);
        this.bodyChunks.push(data.subarray(0, n));
        this.bodyHave += n;
        data = data.subarray(n);
        if (this.bodyHave === this.bodyLength) {
          const body = this.bodyChunks.length === 1 ? this.bodyChunks[0] : Buffer.concat(this.bodyChunks, this.bodyHave);
          this.bodyLength = -1;
          this.bodyChunks = [];
          this.bodyHave = 0;
          this.emit({ kind: 'frame', body });
        }
      } else {
        data = this.readHeader(data);
      }
    }
    return data;
  }

  /** Consumes header bytes; returns what follows the header block (nothing while it is incomplete). */
  private readHeader(data: Buffer): Buffer {
    const scanFrom = Math.max(0, this.header.length - 3);
    const buffer = this.header.length ? Buffer.concat([this.header, data]) : data;
    const end = buffer.indexOf(HEADER_END, scanFrom);
    if (end < 0) {
      if (buffer.length > MAX_HEADER_BYTES) {
        this.junk += buffer.length - JUNK_TAIL_BYTES;
        this.header = Buffer.from(buffer.subarray(buffer.length - JUNK_TAIL_BYTES));
      } else {
        // A copy: `data` may be a slice of a large chunk that should not stay alive for a few header bytes.
        this.header = Buffer.from(buffer);
      }
      return Buffer.alloc(0);
    }
    const block = buffer.toString('latin1', 0, end);
    const rest = buffer.subarray(end + HEADER_END.length);
    this.header = Buffer.alloc(0);
    const junk = this.junk;
    this.junk = 0;
    // A block over the bound is junk however it arrived (in one chunk or many), then resynchronized like any junk.
    const tooLong = end > MAX_HEADER_BYTES;
    let length = tooLong ? undefined : parseHeaderBlock(block);
    let skipped = junk;
    if (length === undefined || junk > 0) {
      // Resynchronize on the last Content-Length in the block: what comes before it is junk.
      const at = block.toLowerCase().lastIndexOf('content-length:');
      length = at >= 0 ? parseHeaderBlock(block.slice(at)) : undefined;
      skipped += length === undefined ? block.length + HEADER_END.length : at;
    }
    if (skipped > 0) {
      this.emit({ kind: 'error', code: ErrorCodes.ParseError, message: `Parse error: ${skipped} bytes that are not a frame (expected "Content-Length: N\\r\\n\\r\\n" and N bytes of JSON)` });
    }
    if (length === undefined) return rest;
    if (length > this.maxFrameBytes) {
      this.emit({ kind: 'error', code: ErrorCodes.InvalidRequest, oversized: true, message: `Invalid request: the message is ${length} bytes; at most ${this.maxFrameBytes} are accepted` });
      this.skipRemaining = length;
      return rest;
    }
    if (length === 0) {
      this.emit({ kind: 'frame', body: Buffer.alloc(0) });
      return rest;
    }
    this.bodyLength = length;
    return rest;
  }
}

/**
 * The body length a header block declares, or undefined when it is not a valid block: every line "Name: value", exactly
 * one Content-Length of decimal digits (two different lengths would make the frame's end ambiguous). Other headers
 * (Content-Type) are allowed and ignored: the body is always UTF-8 JSON.
 */
function parseHeaderBlock(block: string): number | undefined {
  let length: number | undefined;
  for (const line of block.split('\r\n')) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!match) return undefined;
    if (match[1].toLowerCase() !== 'content-length') continue;
    if (length !== undefined || !/^\d{1,15}$/.test(match[2])) return undefined;
    length = Number(match[2]);
  }
  return length;
}

export interface TransportOptions {
  /** Largest frame body accepted (default MAX_FRAME_BYTES). */
  maxFrameBytes?: number;
  /** After an oversized frame: skip its bytes and keep serving (stdio, the default), or answer and close (TCP). */
  oversized?: 'skip' | 'close';
  /**
   * Policies applied in order to every well-formed message before the connection sees it: each returns the message
   * (possibly changed), a {@link malformed} answer in its place, or undefined to drop it.
   */
  gates?: ((message: Message) => Message | undefined)[];
}

/** Whether JSON text nests arrays and objects deeper than `max` (a linear scan that skips strings). */
export function nestedDeeperThan(body: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next byte is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** Reads frames from a stream with {@link FrameParser}; every problem reaches the connection as a malformed message. */
class FrameReader extends AbstractMessageReader implements MessageReader {
  private readonly decoder = new TextDecoder('utf-8');
  private closed = false;
  private stopped = false;
  /** Messages handed to the connection and not dispatched yet, with their frame sizes. */
  private readonly sizes = new WeakMap<object, number>();
  private queuedBytes = 0;
  private queuedMessages = 0;
  private paused = false;

  constructor(private readonly input: NodeJS.ReadableStream, private readonly options: TransportOptions,
    private readonly deliver: (message: Message) => Message | undefined) {
    super();
  }

  /** The connection dispatches `message` now: it no longer counts towards the queue. */
  dispatched(message: Message): void {
    const size = this.sizes.get(message);
    if (size === undefined) return;
    this.sizes.delete(message);
    this.queuedBytes -= size;
    this.queuedMessages--;
    if (this.paused && this.queuedBytes <= MAX_QUEUED_BYTES / 2 && this.queuedMessages <= MAX_QUEUED_MESSAGES / 2) {
      this.paused = false;
      this.input.resume();
    }
  }

  private queued(message: Message, size: number): void {
    // A cancellation can be consumed without ever being dispatched: it is never counted (it is tiny).
    if ((message as { method?: unknown }).method === '$/cancelRequest') return;
    this.sizes.set(message, size);
    this.queuedBytes += size;
    this.queuedMessages++;
    if (!this.paused && (this.queuedBytes > MAX_QUEUED_BYTES || this.queuedMessages > MAX_QUEUED_MESSAGES)) {
      this.paused = true;
      this.input.pause();
    }
  }

  listen(callback: DataCallback): Disposable {
    const send = (message: Message | undefined, size = 0) => {
      if (!message) return;
      this.queued(message, size);
      try {
        callback(message);
      } catch (e) {
        // A throwing callback must not take the stream's 'data' handler (and with it the process) down.
        this.fireError(e);
      }
    };
    const parser = new FrameParser(this.options.maxFrameBytes ?? MAX_FRAME_BYTES, (event) => {
      if (this.stopped) return;
      if (event.kind === 'frame') {
        const message = nestedDeeperThan(event.body, MAX_JSON_DEPTH)
          ? malformed(ErrorCodes.InvalidRequest, `Invalid request: the message nests arrays and objects more than ${MAX_JSON_DEPTH} deep`)
          : decodeMessage(this.decoder.decode(event.body));
        send(this.deliver(message), event.body.length);
        return;
      }
      const fatal = event.oversized === true && this.options.oversized === 'close';
      if (fatal) this.stopped = true;
      send(malformed(event.code, event.message, null, fatal ? { fatal } : {}));
    });
    const onData = (chunk: Buffer | string) => {
      if (!this.stopped) parser.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    };
    const onError = (error: Error) => this.fireError(error);
    const onClose = () => {
      if (this.closed) return;
      this.closed = true;
      this.fireClose();
    };
    this.input.on('data', onData);
    this.input.on('error', onError);
    this.input.on('end', onClose);
    this.input.on('close', onClose);
    return Disposable.create(() => {
      this.input.off('data', onData);
      this.input.off('error', onError);
      this.input.off('end', onClose);
      this.input.off('close', onClose);
    });
  }
}

export interface Transport {
  reader: MessageReader;
  /** For the connection's options: tells the reader when a message is dispatched (its input backpressure). */
  messageStrategy: MessageStrategy;
  /** For the connection: writing a response marks its request as answered. */
  writer: MessageWriter;
  /** Writes the error answer to a malformed message. */
  answer(bad: MalformedMessage): Promise<void>;
}

/**
 * A reader and writer over a pair of streams. Besides the framing, a request whose id is still in use by an
 * unanswered request is refused (vscode-jsonrpc would queue the second under the same key and silently drop the
 * first); 1 and "1" count as the same id, as they do for vscode-jsonrpc.
 */
export function createTransport(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: TransportOptions = {}): Transport {
  const inner = new StreamMessageWriter(output, 'utf-8');
  const inFlight = new Set<string>();
  const isRequest = (m: Message): m is Message & { id: number | string; method: string } => {
    const r = m as { id?: unknown; method?: unknown };
    return typeof r.method === 'string' && (typeof r.id === 'number' || typeof r.id === 'string');
  };
  const deliver = (message: Message): Message | undefined => {
    let m: Message | undefined = message;
    if (isMalformed(m)) return m;
    if (isRequest(m) && inFlight.has(String(m.id))) {
      return malformed(ErrorCodes.InvalidRequest, `Invalid request: id ${JSON.stringify(m.id).slice(0, 80)} is already used by a request that has not been answered`, m.id);
    }
    for (const gate of options.gates ?? []) {
      m = gate(m);
      if (!m || isMalformed(m)) return m;
    }
    if (isRequest(m)) inFlight.add(String(m.id));
    return m;
  };
  const writer: MessageWriter = {
    onError: inner.onError,
    onClose: inner.onClose,
    write(msg: Message): Promise<void> {
      const r = msg as { id?: unknown; method?: unknown };
      if (r.method === undefined && (typeof r.id === 'number' || typeof r.id === 'string')) inFlight.delete(String(r.id));
      return inner.write(msg);
    },
    end: () => inner.end(),
    dispose: () => inner.dispose(),
  };
  const reader = new FrameReader(input, options, deliver);
  return {
    reader,
    messageStrategy: { handleMessage: (message, next) => { reader.dispatched(message); return next(message); } },
    writer,
    answer: (bad) => inner.write({ jsonrpc: '2.0', id: bad.id, error: { code: bad.code, message: bad.message } } as Message),
  };
}
