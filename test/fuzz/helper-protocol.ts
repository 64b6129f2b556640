// The fuzzer's helper thread (helper-thread.ts), as both sides see it: the commands it takes and
// the one reply it gives to each, once the command has been carried out. The reply is how the
// fuzzer knows a post or a set has happened, and from when the loop owes its delivery.
import type { ChannelHandle, CompletionTarget } from '../../lib/index.ts';

export type HelperCommand =
  /** postCompletion(target, key, bytes) for each of `bytes`, in order. */
  | { type: 'post'; id: number; target: CompletionTarget; key: number; bytes: number[] }
  /**
   * PostQueuedCompletionStatus with a non-zero lpOverlapped for each (bytes, overlapped) pair, as
   * a job object posts a pid: data for the key's monitor, not an OVERLAPPED of winmux's.
   */
  | { type: 'postOverlapped'; id: number; target: CompletionTarget; key: number; bytes: number[]; overlapped: number[] }
  /** SetEvent on an event handle of the fuzzer's (which stays open until this is acknowledged). */
  | { type: 'set'; id: number; handle: number }
  /** From now on `send` posts to this channel (transfer `handle.port`). */
  | { type: 'channel'; id: number; handle: ChannelHandle }
  /** RemoteWaker.post for each message, in order. */
  | { type: 'send'; id: number; messages: unknown[] }
  /** The end of a run: forget the run's channel (closes its waker), so the thread is as it started. */
  | { type: 'reset'; id: number };

/** A command carried out: `error` describes what it threw, if it threw. */
export interface HelperReply {
  id: number;
  error?: string;
}
