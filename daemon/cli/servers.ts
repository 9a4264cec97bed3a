/**
 * `earshot servers`: the language-model servers running on this machine (Ollama, LM Studio, llama.cpp's server) and
 * the chat models each offers, found as the extension's picker finds them (understanding/localServers.ts: loopback
 * only, nothing of any meeting sent). Owns the listing's layout (what a server says printed inert: common.ts); must not
 * configure or send anything.
 */
import { DEFAULT_DISCOVER_TIMEOUT_MS, LOCAL_SERVER_NAMES } from '../../protocol/protocol';
import { discoverLocalServers, probedPorts } from '../understanding/localServers';
import { args, inert, Io, jsonLine, UsageError } from './common';

export async function servers(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'servers');
  if (positionals.length > 0) throw new UsageError('servers takes no arguments');
  const timeoutMs = values.timeout === undefined ? DEFAULT_DISCOVER_TIMEOUT_MS : Number(values.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs < 50 || timeoutMs > 5000) throw new UsageError('--timeout must be milliseconds from 50 to 5000');
  const found = await discoverLocalServers({ timeoutMs });
  if (values.json) {
    io.out(jsonLine({ servers: found }));
    return 0;
  }
  if (!found.length) {
    io.out(`No language-model server answers on this machine (asked ports ${probedPorts().join(', ')} on 127.0.0.1 and ::1).`);
    return 0;
  }
  for (const server of found) {
    const state = server.state === 'loading' ? '  (still loading its model)' : '';
    io.out(`${LOCAL_SERVER_NAMES[server.kind]}${server.version ? ` ${inert(server.version)}` : ''}  ${server.endpoint}${state}`);
    if (!server.models.length && server.state === 'ready') io.out('  (no chat models)');
    for (const m of server.models) {
      const size = m.sizeBytes ? `${(m.sizeBytes / 1e9).toFixed(1)} GB` : '';
      io.out(`  ${inert(m.id).padEnd(40)} ${size.padStart(8)}${m.loaded ? '  loaded' : ''}${m.name && m.name !== m.id ? `  ${inert(m.name)}` : ''}`);
    }
  }
  io.out('\nUse one for notes: earshot notes FILE --llm-endpoint ENDPOINT --llm-model MODEL (in VS Code: Earshot: Choose a Language Model for Notes).');
  return 0;
}
