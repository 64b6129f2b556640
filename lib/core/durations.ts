// Durations and deadlines as winmux takes them: numbers of milliseconds (or a clock reading), NaN
// never — a NaN deadline compares false with everything and broke the timer heap's order (a later
// sleep(NaN) waited behind a 3 s timer). Infinity stays "no limit" where a call documents it.

/** A duration in ms: a number ≥ 0 (negative ones count as 0, as setTimeout does), or Infinity. */
export function checkDuration(ms: unknown, what: string): number {
  if (typeof ms !== 'number') throw new TypeError(`${what} must be a number of milliseconds, got ${typeof ms}`);
  if (Number.isNaN(ms)) throw new RangeError(`${what} must be a number of milliseconds, got NaN`);
  return Math.max(0, ms);
}

/** A deadline on the reactor's clock: any number but NaN. */
export function checkDeadline(deadline: unknown, what: string): number {
  if (typeof deadline !== 'number') throw new TypeError(`${what} must be a number (the reactor's clock, ms), got ${typeof deadline}`);
  if (Number.isNaN(deadline)) throw new RangeError(`${what} must be a number (the reactor's clock, ms), got NaN`);
  return deadline;
}

/** What a timeout aborts with: the DOMException AbortSignal.timeout uses. */
export function timeoutError(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}
