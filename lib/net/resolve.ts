// Host names to addresses without blocking the loop. Numeric IPv4/IPv6 addresses need no lookup.
// `localhost` is both loopbacks, 127.0.0.1 then ::1, without asking a resolver (RFC 6761 §6.3:
// localhost names are loopback; measured under Wine 8: getaddrinfo("localhost") gives 127.0.0.1
// only, so a ::1 listener was out of reach). IPv4 first: on Windows a connect to a loopback port
// nobody listens on is retried for about 2 s before it fails (WSAECONNREFUSED; Wine refuses at
// once), and listeners default to 127.0.0.1. Other names go to `dns.promises.lookup`, which runs getaddrinfo on libuv's
// thread pool, never on the reactor's thread.
import net from 'node:net';
import dns from 'node:dns';
import { checkSignal, raceAbort } from '../core/abort.ts';
import { checkOptions } from '../core/arguments.ts';

export interface ResolvedAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
}

/** `host` as an address if it is a numeric IPv4/IPv6 one; `undefined` for a name. */
export function numericAddress(host: string): ResolvedAddress | undefined {
  const version = net.isIP(host);
  if (version === 4) return { family: 'IPv4', address: host };
  if (version === 6) return { family: 'IPv6', address: host };
  return undefined;
}

export function isLocalhost(host: string): boolean {
  return host.toLowerCase() === 'localhost';
}

/** `host` for a call that takes one: a non-empty string. */
export function checkHost(host: unknown, what: string): string {
  if (typeof host !== 'string') throw new TypeError(`${what} must be a string (an IP address or a host name), got ${host === null ? 'null' : typeof host}`);
  if (host === '') throw new TypeError(`${what} is empty`);
  return host;
}

/** `port` for a call that takes one: an integer from 0 to 65535. */
export function checkPort(port: unknown, what: string): number {
  if (typeof port !== 'number') throw new TypeError(`${what} must be a number, got ${port === null ? 'null' : typeof port}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${what} must be an integer from 0 to 65535, got ${port}`);
  return port;
}

/**
 * The addresses `host` stands for, in the order to try them: the resolver's order, alternating
 * between the families from the first one's on (as Node's `autoSelectFamily` does), so a family
 * that does not answer delays the other by one attempt at most. A name that does not resolve
 * rejects with Node's own dns error (`code` ENOTFOUND, `syscall` getaddrinfo, `hostname`); the
 * signal rejects the call at once (the lookup itself runs to its end on the thread pool).
 */
export async function lookupHost(host: string, options: { signal?: AbortSignal } = {}): Promise<ResolvedAddress[]> {
  checkHost(host, 'lookupHost: host');
  const signal = checkSignal(checkOptions(options, 'lookupHost: options').signal, 'lookupHost: signal');
  const numeric = numericAddress(host);
  if (numeric !== undefined) return [numeric];
  if (isLocalhost(host)) return [{ family: 'IPv4', address: '127.0.0.1' }, { family: 'IPv6', address: '::1' }];
  const found = await raceAbort(dns.promises.lookup(host, { all: true }), signal);
  const byFamily = { IPv4: [] as ResolvedAddress[], IPv6: [] as ResolvedAddress[] };
  for (const { address, family } of found) (family === 6 ? byFamily.IPv6 : byFamily.IPv4).push({ family: family === 6 ? 'IPv6' : 'IPv4', address });
  const first = found[0]?.family === 6 ? byFamily.IPv6 : byFamily.IPv4;
  const second = first === byFamily.IPv4 ? byFamily.IPv6 : byFamily.IPv4;
  const ordered: ResolvedAddress[] = [];
  for (let i = 0; i < Math.max(first.length, second.length); i++) {
    if (i < first.length) ordered.push(first[i]!);
    if (i < second.length) ordered.push(second[i]!);
  }
  return ordered;
}
