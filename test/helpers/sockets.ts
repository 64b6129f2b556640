// Socket set-up shared by the tests: real Winsock sockets through winmux's own helpers.
import { winsock } from '../../lib/index.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts';

export const { loopbackPair, closeQuietly, sendSome, recvSome } = winsock;

/** Sockets a test opened, closed at the end whatever happens. */
export class SocketJar {
  readonly #sockets = new Set<number>();
  readonly #duplicates = new Set<number>();

  add<T extends number | number[]>(value: T): T {
    for (const s of Array.isArray(value) ? value : [value]) this.#sockets.add(s);
    return value;
  }

  pair(): [number, number] {
    return this.add(loopbackPair());
  }

  /**
   * A connected pair whose first socket `fillSendBuffer` can fill, and which then stays full until
   * the second reads: SO_SNDBUF 512 KiB on the first, SO_RCVBUF 64 KiB on the second, both fixed
   * (a size set explicitly turns off Linux's autotuning, which under Wine grew the peer's window
   * as data arrived and made a filled socket writable again). The proportions matter, measured
   * under Wine 8 and 10 (docs/wine.md):
   * - the send buffer must be several times the peer's receive buffer. With SO_SNDBUF 10000 the
   *   send buffer filled before the peer's did, and the peer's delayed ACK (~40 ms) freed room:
   *   writable again ~43 ms after the fill, every time on Wine 10 (the readiness tests' flake);
   * - the receive buffer must not be far below the loopback MSS (~64 KiB). With SO_RCVBUF 10000
   *   the peer's window reopened only on the sender's zero-window probes, and draining a filled
   *   pair until it was writable took 1–2 s under Wine 8 instead of ~8 ms.
   */
  fillablePair(): [number, number] {
    const pair = this.pair();
    winsock.setIntOption(pair[0], winsock.SOL_SOCKET, winsock.SO_SNDBUF, 512 * 1024);
    winsock.setIntOption(pair[1], winsock.SOL_SOCKET, winsock.SO_RCVBUF, 64 * 1024);
    return pair;
  }

  /** A non-blocking UDP socket bound to 127.0.0.1 on an ephemeral port. */
  udp(): number {
    const s = this.add(winsock.createSocket(winsock.AF_INET, winsock.SOCK_DGRAM, winsock.IPPROTO_UDP));
    winsock.bindSocket(s, '127.0.0.1', 0);
    winsock.setNonBlocking(s);
    return s;
  }

  /** A non-blocking TCP socket, not connected. */
  tcp(): number {
    const s = this.add(winsock.createSocket(winsock.AF_INET, winsock.SOCK_STREAM, winsock.IPPROTO_TCP));
    winsock.setNonBlocking(s);
    return s;
  }

  /** A non-blocking TCP socket listening on 127.0.0.1 (an ephemeral port; backlog 4). */
  listening(): number {
    const s = this.tcp();
    winsock.bindSocket(s, '127.0.0.1', 0);
    winsock.listenSocket(s, 4);
    return s;
  }

  /**
   * A non-blocking TCP socket whose connect to a port nobody listens on (bound, noted, closed)
   * is under way, or has failed already.
   */
  refusedConnect(): number {
    const probe = this.tcp();
    winsock.bindSocket(probe, '127.0.0.1', 0);
    const { port } = winsock.localAddress(probe);
    this.closeNow(probe);
    const s = this.tcp();
    if (winsock.connectSocket(s, '127.0.0.1', port)) throw new Error('a connect to a closed port succeeded at once');
    return s;
  }

  /**
   * A second handle to socket `s` (DuplicateHandle in this process), closed with the jar: closing
   * one of the two leaves the socket itself open. Closed with CloseHandle, DuplicateHandle's pair
   * (Wine's closesocket does not close such a handle: the file's handle count grew by one each).
   */
  duplicate(s: number): number {
    const target = new Uint8Array(8);
    if (!kernel32.DuplicateHandle(kernel32.CURRENT_PROCESS, s, kernel32.CURRENT_PROCESS, target, 0, 0, kernel32.DUPLICATE_SAME_ACCESS)) {
      throw new Error(`DuplicateHandle(socket ${s}) failed: ${kernel32.GetLastError()}`);
    }
    const dup = Number(new DataView(target.buffer).getBigUint64(0, true));
    this.#duplicates.add(dup);
    return dup;
  }

  /** Closes `s` now (without telling any reactor) and forgets it. */
  closeNow(s: number): void {
    this.#sockets.delete(s);
    winsock.closeSocket(s);
  }

  closeAll(): void {
    closeQuietly(...this.#sockets);
    this.#sockets.clear();
    for (const dup of this.#duplicates) kernel32.CloseHandle(dup);
    this.#duplicates.clear();
  }
}

/**
 * Sends until the kernel refuses more (the send buffer and the peer's receive buffer are full).
 * Under Wine 10 the last send is taken whole and what Linux's buffers do not hold waits in Wine's
 * queue (docs/wine.md); with `fillablePair`'s fixed buffers that remainder cannot drain while
 * the peer does not read, so the socket stays full under either Wine.
 */
export function fillSendBuffer(s: number): number {
  const chunk = new Uint8Array(65536);
  let total = 0;
  for (let n = sendSome(s, chunk); n !== null; n = sendSome(s, chunk)) total += n;
  return total;
}

/** Reads everything readable now; returns the byte count. */
export function drainReadable(s: number): number {
  const buffer = new Uint8Array(65536);
  let total = 0;
  for (let n = recvSome(s, buffer); n !== null && n > 0; n = recvSome(s, buffer)) total += n;
  return total;
}
