// Posting to a completion port (PostQueuedCompletionStatus), from any thread: `postCompletion`
// for user keys, and `postPrivate` for the keys winmux keeps for itself (the worker's stop key).
// A post from another thread goes through the target reactor's wake state: its CLOSED flag and
// SENDERS count (wakeup/protocol.ts) keep a post made after the reactor closed from reaching
// whatever port reuses the handle value.
import * as kernel32 from '../win32/kernel32.ts';
import { toHandle } from '../win32/kernel32.ts';
import { WinError } from '../core/windows-errors.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { whileOpen } from '../wakeup/wake.ts';
import { KEY_OVERLAPPED, KEY_STOP, KEY_WAKE } from '../loop/reserved-keys.ts';
import type { Handle } from './handle-registry.ts';

/**
 * What another thread needs to post completions to a reactor's port: the port, and the reactor's
 * wake state (wakeup/protocol.ts), whose CLOSED flag and SENDERS count keep a post made after the
 * reactor closed from reaching whatever port reuses the handle value.
 */
export interface CompletionTarget {
  port: Handle;
  state: SharedArrayBuffer;
}

/**
 * PostQueuedCompletionStatus from any thread. `key` is a user key (≥ 0, not one of winmux's
 * private keys: the worker's stop key, wakes, overlapped I/O); `bytes` a 32-bit count.
 */
export function postCompletion(target: CompletionTarget, key: number, bytes = 0): void {
  checkUserCompletion(key, bytes);
  const port = checkCompletionTarget(target, 'postCompletion: target');
  if (!whileOpen(new Int32Array(target.state), () => postPrivate(port, key, bytes))) {
    throw new ClosedResourceError('postCompletion: the target reactor is closed');
  }
}

/** `target`'s port, if it is a `completionTarget()` (a TypeError naming `what` otherwise). */
export function checkCompletionTarget(target: unknown, what: string): Handle {
  if (typeof target !== 'object' || target === null || !((target as CompletionTarget).state instanceof SharedArrayBuffer)) {
    throw new TypeError(`${what} must come from reactor.completionTarget()`);
  }
  return toHandle((target as CompletionTarget).port, `${what}.port`);
}

/** A user completion's key (≥ 0, not one of winmux's private keys) and byte count (32 bits). */
export function checkUserCompletion(key: number, bytes: number): void {
  if (typeof key !== 'number') throw new TypeError(`postCompletion: completion key must be a number, got ${key === null ? 'null' : typeof key}`);
  if (typeof bytes !== 'number') throw new TypeError(`postCompletion: completion bytes must be a number, got ${bytes === null ? 'null' : typeof bytes}`);
  if (!Number.isSafeInteger(key) || key < 0 || key === KEY_OVERLAPPED || key === KEY_STOP || key === KEY_WAKE) {
    throw new RangeError(`completion key ${String(key)} is reserved or invalid (winmux keeps ${KEY_OVERLAPPED}, ${KEY_STOP} and ${KEY_WAKE})`);
  }
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > 0xffff_ffff) {
    throw new RangeError(`completion bytes must be an integer from 0 to 2^32 - 1, got ${String(bytes)}`);
  }
}

/** Posts without the key check: for winmux's own private keys (the worker's stop key), and user posts once checked. */
export function postPrivate(port: Handle, key: number, bytes: number): void {
  if (!kernel32.PostQueuedCompletionStatus(port, bytes, key, null)) {
    throw new WinError('PostQueuedCompletionStatus', kernel32.GetLastError());
  }
}
