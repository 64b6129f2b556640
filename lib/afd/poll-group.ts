// PollGroups: the \Device\Afd handles an AfdBackend polls through, each shared by at most
// MAX_GROUP_SIZE sockets (wepoll's poll groups; mio does the same). One handle for every socket
// would make cancellation slow: the driver keeps a handle's polls in one list and a cancel walks
// it, so cancelling N polls on one handle costs O(N²) (Trio's notes on its AFD backend). A handle
// per socket would cost a handle and a port binding each. A few dozen per handle bounds both.
import * as afd from '../win32/afd.ts';
import * as kernel32 from '../win32/kernel32.ts';
import type { CompletionPort } from '../iocp-worker/completion-port.ts';
import { InternalStateError } from '../core/errors.ts';

/** Sockets per \Device\Afd handle: wepoll's figure; small enough that a cancel walks a short list. */
export const MAX_GROUP_SIZE = 32;

export interface PollGroup {
  readonly handle: number;
  size: number;
}

export class PollGroups {
  readonly #port: CompletionPort;
  readonly #groups: PollGroup[] = [];
  /** Groups with room, the most recently freed last: a new socket goes to the last one. */
  readonly #withRoom: PollGroup[] = [];

  /** Opens the first group at once, so a system without AFD fails when the backend is made. */
  constructor(port: CompletionPort) {
    this.#port = port;
    this.#withRoom.push(this.#open());
  }

  get count(): number {
    return this.#groups.length;
  }

  /** Sockets on each group, in the order the groups were opened. */
  sizes(): number[] {
    return this.#groups.map((group) => group.size);
  }

  /** A group for one more socket (opening a handle when all are full). */
  acquire(): PollGroup {
    const group = this.#withRoom.at(-1) ?? this.#open();
    if (++group.size === MAX_GROUP_SIZE) this.#withRoom.splice(this.#withRoom.lastIndexOf(group), 1);
    else if (this.#withRoom.at(-1) !== group) this.#withRoom.push(group);
    return group;
  }

  /** A socket left `group` (its poll, if any, has completed): once per `acquire`. Handles stay open for reuse. */
  release(group: PollGroup): void {
    if (group.size === 0) throw new InternalStateError(`PollGroups.release: group ${group.handle} has no socket left to release (released twice)`);
    if (group.size-- === MAX_GROUP_SIZE) this.#withRoom.push(group);
  }

  /** Closes every handle. Call once no poll is in flight (the port has cancelled and drained them). */
  close(): void {
    for (const group of this.#groups.splice(0)) {
      this.#port.release(group.handle);
      kernel32.CloseHandle(group.handle);
    }
    this.#withRoom.length = 0;
  }

  #open(): PollGroup {
    const handle = afd.openAfd();
    try {
      this.#port.register(handle);
    } catch (error) {
      kernel32.CloseHandle(handle);
      throw error;
    }
    const group = { handle, size: 0 };
    this.#groups.push(group);
    return group;
  }
}
