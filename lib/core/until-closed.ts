// untilClosed: the one async iteration every winmux source offers (`for await` over a listener's
// connections, a socket's datagrams, a channel's messages, a monitor's completions): take the
// next item until the source is closed. Closing ends the iteration quietly; any other error —
// including a ClosedResourceError from something else, e.g. the reactor — is thrown.
import { ClosedResourceError } from './errors.ts';

export async function* untilClosed<T>(next: () => Promise<T>, closed: () => boolean): AsyncGenerator<T, void, undefined> {
  // ends: when the source is closed (next() rejects), on any other error, or when the consumer stops iterating
  for (;;) {
    try {
      yield await next();
    } catch (error) {
      if (error instanceof ClosedResourceError && closed()) return;
      throw error;
    }
  }
}
