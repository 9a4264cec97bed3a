/**
 * An OpenAI-compatible chat endpoint on loopback for `earshot ask --llm-endpoint` tests: answers every request with
 * `answer` (or what it gives for the request's body) and keeps each request's body. Test-only.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export interface ChatServer {
  endpoint: string;
  /** Each request's JSON body, in order. */
  bodies: string[];
  /** Each request's Host header, in order. */
  hosts: (string | undefined)[];
  close(): void;
}

export async function chatServer(answer: string | ((body: string) => string)): Promise<ChatServer> {
  const bodies: string[] = [];
  const hosts: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    hosts.push(req.headers.host);
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ model: 'test', choices: [{ message: { content: typeof answer === 'string' ? answer : answer(body) } }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, hosts, close: () => server.close() };
}

/** The user message of a request the server kept. */
export function userMessage(body: string): string {
  return (JSON.parse(body) as { messages: { content: string }[] }).messages[1].content;
}
