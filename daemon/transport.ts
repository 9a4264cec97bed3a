/**
 * JSON-RPC framing over a pair of streams, with answers for bad input. vscode-jsonrpc drops a message
 * it cannot parse without telling the peer; here such a message becomes a Parse error (-32700) or
 * Invalid Request (-32600) response, as JSON-RPC 2.0 requires, and the connection keeps serving.
 */
import {
  ContentTypeDecoder, Message, MessageReaderOptions, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver/node';
import { ErrorCodes } from '../protocol/protocol';

/** Never sent on the wire: the decoder hands bad messages to the server under this name. */
export const MALFORMED_MESSAGE = '$/earshot/malformedMessage';

export interface MalformedMessage {
  code: number;
  message: string;
  /** The request id when one could be read, else null (as JSON-RPC prescribes). */
  id: number | string | null;
}

function malformed(code: number, message: string, id: unknown = null): Message {
  const params: MalformedMessage = { code, message, id: typeof id === 'number' || typeof id === 'string' ? id : null };
  return { jsonrpc: '2.0', method: MALFORMED_MESSAGE, params } as Message;
}

/** Checks the JSON-RPC envelope; params are checked later by each method's validator. */
export function decodeMessage(text: string): Message {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return malformed(ErrorCodes.ParseError, `Parse error: ${(e as Error).message}`);
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
    if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null)) {
      return malformed(ErrorCodes.InvalidRequest, 'Invalid request: "params" must be an object or an array', id);
    }
  } else if (!('result' in m) && !('error' in m)) {
    return malformed(ErrorCodes.InvalidRequest, 'Invalid request: no "method", "result" or "error"', id);
  }
  return m as unknown as Message;
}

const jsonDecoder: ContentTypeDecoder = {
  name: 'application/json',
  decode: (buffer: Uint8Array, options: { charset: string }) =>
    Promise.resolve(decodeMessage(new TextDecoder(options.charset).decode(buffer))),
};

export function createTransport(input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
  const options: MessageReaderOptions = { charset: 'utf-8', contentTypeDecoder: jsonDecoder };
  return { reader: new StreamMessageReader(input, options), writer: new StreamMessageWriter(output) };
}
