// The one way winmux listens for an abort (undici's addAbortListener): the listener runs once,
// and the caller keeps the function that removes it, so every path that settles an operation
// (success, failure, close) drops the listener in one call and no signal keeps a dead operation
// reachable.

const nothing = (): void => {};

/** Calls `listener` once when `signal` aborts; returns the disposer (a no-op without a signal). */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (signal === undefined) return nothing;
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}
