// Name resolution that never blocks the loop: numeric IPv4/IPv6 addresses, and `localhost`
// (127.0.0.1). Anything else needs DNS, which would block the reactor thread (getaddrinfo) or need
// a resolver thread; it is refused with a clear error until winmux has one.
import net from 'node:net';

export interface ResolvedAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
}

export function resolveHost(host: string): ResolvedAddress {
  if (host === 'localhost') return { family: 'IPv4', address: '127.0.0.1' };
  const version = net.isIP(host);
  if (version === 4) return { family: 'IPv4', address: host };
  if (version === 6) return { family: 'IPv6', address: host };
  throw new TypeError(`cannot resolve ${JSON.stringify(host)}: winmux takes numeric IPv4/IPv6 addresses and "localhost" (no DNS lookups, which would block the loop)`);
}
