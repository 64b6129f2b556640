// The servers of the http benchmark (bench/http.ts), one per process, with the same handler:
//   node    Node's http.createServer on its own listening socket (the baseline);
//   winmux  the same http.Server fed by serveHttp from a winmux TcpListener, on a guest reactor
//           (`winmux-afd`: the same with AFD readiness; `winmux-host`: on a host-mode reactor,
//           select readiness, in `reactor.run`).
// GET answers 13 bytes; POST reads the whole body and answers its length. Prints
// `listening <port>`, then serves until killed.
//
//   node bench/http-server.ts <node|winmux|winmux-afd|winmux-host> [port=0]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Reactor, TcpListener, serveHttp } from '../lib/index.ts';

const [kind = 'node', portArg = '0'] = process.argv.slice(2);
const port = Number(portArg);

const handler: http.RequestListener = (req, res) => {
  if (req.method === 'POST') {
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => res.end(`received ${length}`));
  } else {
    res.end('hello, world!');
  }
};

const server = http.createServer(handler);
if (kind === 'node') {
  server.listen(port, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
} else if (kind === 'winmux' || kind === 'winmux-afd') {
  const reactor = new Reactor(kind === 'winmux-afd' ? { guest: true, readiness: 'afd' } : { guest: true });
  const listener = TcpListener.listen(reactor, { host: '127.0.0.1', port });
  serveHttp(listener, server).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
  console.log(`listening ${listener.address.port}`);
} else if (kind === 'winmux-host') {
  // Host mode: the reactor owns the thread in `run`, and Node's loop turns between its iterations.
  const reactor = new Reactor();
  await reactor.run(async () => {
    const listener = TcpListener.listen(reactor, { host: '127.0.0.1', port });
    console.log(`listening ${listener.address.port}`);
    await serveHttp(listener, server);
  });
} else {
  console.error(`unknown server kind ${JSON.stringify(kind)} (node, winmux, winmux-afd, winmux-host)`);
  process.exit(2);
}
