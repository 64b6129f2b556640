// A serving reactor on its own worker_thread: it receives accepted sockets from an acceptor
// reactor through a channel and echoes each until the peer closes. Used by
// examples/multi-reactor-echo.ts and by the multi-reactor tests.
//
// Protocol with the parent: the worker first posts its channel handle (with the port
// transferred); the parent posts `{ socket }` for each connection and `{ stop: true }` at the
// end; the worker answers the stop with its totals and exits once its reactor is closed.
import { parentPort, threadId } from 'node:worker_threads';
import { Reactor, winsock } from '../lib/index.ts';

export type ServeMessage = { socket: number } | { stop: true };
export interface ServeReport {
  threadId: number;
  connections: number;
  roundTrips: number;
  bytes: number;
}

const reactor = new Reactor();
const channel = reactor.openChannel<ServeMessage>();
parentPort!.postMessage(channel.handle, [channel.handle.port]);

const report: ServeReport = { threadId, connections: 0, roundTrips: 0, bytes: 0 };

async function echo(socket: number): Promise<void> {
  const buffer = new Uint8Array(65536);
  try {
    for (;;) {
      const n = winsock.recvSome(socket, buffer);
      if (n === null) {
        await reactor.waitReadable(socket);
        continue;
      }
      if (n === 0) return;
      report.roundTrips++;
      report.bytes += n;
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

await reactor.run(async () => {
  const serving = new Set<Promise<void>>();
  for await (const message of channel) {
    if ('stop' in message) break;
    report.connections++;
    const task = echo(message.socket).catch(() => {}); // a reset peer ends only its own echo
    serving.add(task);
    void task.finally(() => serving.delete(task));
  }
  await Promise.all(serving);
});
await reactor.close();
parentPort!.postMessage(report);
