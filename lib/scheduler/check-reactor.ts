// The reactor argument of every constructor and static `open`/`connect`/`listen`/`bind`: checked
// first, before anything is opened — a socket or handle made and then handed to a non-reactor
// used to leak when the failure came from the object that was to clean it up.
import { Reactor } from './reactor.ts';
import { ClosedResourceError } from '../core/errors.ts';

/** As `checkReactor`, for calls that open something at once: a closed reactor is a ClosedResourceError. */
export function checkOpenReactor(reactor: unknown, what: string): Reactor {
  if (checkReactor(reactor, what).stats().closed) throw ClosedResourceError.reactor();
  return reactor as Reactor;
}

/** `reactor` as a call takes it: a Reactor (a TypeError naming the call otherwise). */
export function checkReactor(reactor: unknown, what: string): Reactor {
  if (!(reactor instanceof Reactor)) throw new TypeError(`${what} must be a Reactor, got ${reactor === null ? 'null' : typeof reactor}`);
  return reactor;
}
