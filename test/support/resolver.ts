/**
 * A stand-in for the system's resolver: replaces dns.lookup (what node:net and node:http ask for a name that is not an
 * IP address) with one that records each name asked and answers as told, so a test can check that a name was never
 * resolved, or see where a resolver could have sent a connection. Test-only: owns no product behaviour.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
import dns = require('node:dns');

export interface FakeResolver {
  /** The names asked, in order. */
  readonly asked: string[];
  /** Puts the real dns.lookup back. */
  restore(): void;
}

/** `answer`: the address every name resolves to, or 'ENOTFOUND' for none (as a DNS server may answer for *.localhost). */
export function fakeResolver(answer: { address: string; family: 4 | 6 } | 'ENOTFOUND'): FakeResolver {
  const real = dns.lookup;
  const asked: string[] = [];
  dns.lookup = ((name: string, ...rest: unknown[]) => {
    asked.push(name);
    const options = typeof rest[0] === 'object' && rest[0] !== null ? rest[0] as { all?: boolean } : {};
    const callback = rest.at(-1) as (e: Error | null, address?: unknown, family?: number) => void;
    process.nextTick(() => {
      if (answer === 'ENOTFOUND') callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
      else if (options.all) callback(null, [answer]);
      else callback(null, answer.address, answer.family);
    });
  }) as typeof dns.lookup;
  return { asked, restore: () => { dns.lookup = real; } };
}
