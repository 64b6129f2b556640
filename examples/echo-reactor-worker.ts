// A serving reactor on its own worker_thread: it receives accepted sockets from an acceptor
// reactor through a channel and echoes each until the peer closes. Used by
// examples/multi-reactor-echo.ts and by the multi-reactor tests.
//
// Protocol with the parent: the worker first posts its channel handle (with the port
// transferred); the parent posts `{ socket }` for each connection and `{ stop: true }` at the
// end; the worker answers the stop with its totals and exits once its reactor is closed.
import { parentPort, threadId } from 'node:worker_threads';
import { Reactor } from '../lib/index.ts';
import { echoConnection } from './echo-connection.ts';

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

await reactor.run(async () => {
  const serving = new Set<Promise<void>>();
  for await (const message of channel) {
    if ('stop' in message) break;
    report.connections++;
    const task = echoConnection(reactor, message.socket, report).catch(() => {}); // a reset peer ends only its own echo
    serving.add(task);
    void task.finally(() => serving.delete(task));
  }
  await Promise.all(serving);
});
await reactor.close();
parentPort!.postMessage(report);
