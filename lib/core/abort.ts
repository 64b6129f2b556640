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

/**
 * `signal` as an operation takes it: an AbortSignal or nothing. Anything else is a TypeError at the
 * call, before the operation starts (found later, it used to leave a write done, a read issued
 * untracked, or a handle leaked).
 */
export function checkSignal(signal: unknown, what = 'signal'): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new TypeError(`${what} must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
}

/**
 * `promise`'s outcome, or a rejection with `signal`'s reason as soon as it aborts, for work that
 * cannot be cancelled (a `dns.lookup` runs on in libuv's thread pool; its answer is dropped).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      promise.catch(() => {});
      reject(signal.reason);
      return;
    }
    const dispose = onAbort(signal, () => reject(signal.reason));
    promise.then(
      (value) => {
        dispose();
        resolve(value);
      },
      (error: unknown) => {
        dispose();
        reject(error);
      },
    );
  });
}
