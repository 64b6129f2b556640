// CompletionKeys: the one table that says where a completion packet goes, and the one function
// that sends it there (Trio's `CKeys` and its dispatch). Every packet the loop takes off the port —
// from the IOCP worker's ring (select mode), from the reactor thread's own wait (port mode), or
// handed over by a guest reactor's helper thread — goes through `dispatch`, which routes on the
// completion KEY before anything looks at the packet's other fields:
//
//   KEY_OVERLAPPED  overlapped I/O on a handle winmux bound to the port (files, pipes, directory
//                   reads, the AFD backend's polls): the operation table, by OVERLAPPED address
//   KEY_STOP        the IOCP worker's stop; the worker takes it out of its batch, so it never
//                   reaches dispatch (in port mode nobody posts it)
//   KEY_WAKE        a cross-thread wake of a reactor that waits in its port: not a completion
//   USER_KEY_BASE+  a source opened here (`open`): a key monitor today. For these the packet's
//                   lpOverlapped is not an OVERLAPPED but whatever the poster chose — a job object
//                   posts a process id there (JOBOBJECT_ASSOCIATE_COMPLETION_PORT) — so it is
//                   never looked up in the operation table
//
// A packet whose key has no row, or whose row finds nothing waiting for it, is stray: counted
// and dropped. A new kind of source is a new row (a fresh key from `open`), not a new branch in
// the dispatch.
import type { Completion } from './completion-ring.ts';
import { KEY_OVERLAPPED, KEY_WAKE, USER_KEY_BASE } from '../loop/reserved-keys.ts';

/**
 * Handles one packet for its key, synchronously, during dispatch. `entry` is reused for the next
 * packet: copy what you keep. Returns false when nothing was waiting for it (a stray packet).
 */
export type KeyHandler = (entry: Completion) => boolean;

/** What a user key is routed to (a key monitor; later, say, a job object). */
export interface KeySource {
  /** A packet for this source's key (see KeyHandler). */
  deliver(entry: Completion): boolean;
  /** A task waits on this source that only a packet (or close) can end. */
  readonly waiting: boolean;
  /**
   * The port is closing or has failed: end what waits with `error` and take no more packets. A
   * source the kernel keeps posting to breaks that association here, before the port closes.
   */
  close(error: unknown): void;
}

export class CompletionKeys {
  readonly #reserved = new Map<number, KeyHandler>();
  readonly #sources = new Map<number, KeySource>();
  #nextUserKey = USER_KEY_BASE;
  #completions = 0;
  #stray = 0;

  /** `overlapped` settles the operation a KEY_OVERLAPPED packet names; `wake` handles a KEY_WAKE packet. */
  constructor(overlapped: KeyHandler, wake: () => void) {
    this.#reserved.set(KEY_OVERLAPPED, overlapped);
    this.#reserved.set(KEY_WAKE, () => {
      wake();
      return true;
    });
  }

  /** Packets dispatched, wakes not counted. */
  get completions(): number {
    return this.#completions;
  }

  /** Packets that matched nothing (no row for the key, or nothing waiting for them there). */
  get stray(): number {
    return this.#stray;
  }

  /** Routes one packet by its key. */
  readonly dispatch = (entry: Completion): void => {
    const key = entry.key;
    if (key !== KEY_WAKE) this.#completions++;
    const handler = this.#reserved.get(key);
    const taken = handler !== undefined ? handler(entry) : (this.#sources.get(key)?.deliver(entry) ?? false);
    if (!taken) this.#stray++;
  };

  /** A fresh user key, routed to the source `make` builds for it, until `remove(key)`. */
  open<T extends KeySource>(make: (key: number) => T): T {
    const key = this.#nextUserKey++;
    const source = make(key);
    this.#sources.set(key, source);
    return source;
  }

  /** Forgets a user key: its later packets are stray. */
  remove(key: number): void {
    this.#sources.delete(key);
  }

  /** A task waits on some source. */
  hasWaiters(): boolean {
    for (const source of this.#sources.values()) if (source.waiting) return true;
    return false;
  }

  /** Closes every source with `error` (each removes its own row). */
  closeAll(error: unknown): void {
    for (const source of [...this.#sources.values()]) source.close(error);
    this.#sources.clear();
  }
}
