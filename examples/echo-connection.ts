// Echo one connection on a reactor until the peer closes; shared by the serving reactors
// (echo-reactor-worker.ts) and the single-reactor baseline in bench/multi-reactor.ts.
import { winsock, type Reactor } from '../lib/index.ts';

export interface EchoCounts {
  roundTrips: number;
  bytes: number;
}

export async function echoConnection(reactor: Reactor, socket: number, counts: EchoCounts): Promise<void> {
  const buffer = new Uint8Array(65536);
  try {
    for (;;) {
      const n = winsock.recvSome(socket, buffer);
      if (n === null) {
        await reactor.waitReadable(socket);
        continue;
      }
      if (n === 0) return;
      counts.roundTrips++;
      counts.bytes += n;
      for (let sent = 0; sent < n; ) {
        const m = winsock.sendSome(socket, buffer.subarray(sent, n));
        if (m === null) await reactor.waitWritable(socket);
        else sent += m;
      }
    }
  } finally {
    reactor.notifyClosing(socket);
    winsock.closeQuietly(socket);
  }
}
