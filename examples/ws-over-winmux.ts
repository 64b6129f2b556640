// A Node application in guest mode: Node's http server with a `ws` WebSocket endpoint, served
// over winmux sockets, and a `ws` client whose socket is a winmux one too. Node's own timers keep
// running throughout (guest mode: Node's loop never waits for winmux).
//
//   node scripts/winnode.mjs exec examples/ws-over-winmux.ts
import http from 'node:http';
import type net from 'node:net';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { Reactor, TcpListener, serveHttp, socketConnector } from '../lib/index.ts';

const reactor = new Reactor({ guest: true });
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
const server = http.createServer((_req, res) => res.end('hello over winmux\n'));
server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
const listener = TcpListener.listen(reactor, { host: '127.0.0.1', port: 0 });
const served = serveHttp(listener, server);
const { port } = listener.address;

let ticks = 0;
const ticker = setInterval(() => ticks++, 5);

// Plain HTTP from Node's own client (Node's net), then WebSocket over winmux.
const body = await new Promise<string>((resolve, reject) => {
  http.get({ host: '127.0.0.1', port }, (res) => {
    let text = '';
    res.on('data', (chunk) => (text += chunk));
    res.on('end', () => resolve(text));
  }).on('error', reject);
});
console.log(`http  GET / -> ${JSON.stringify(body)}`);

const createConnection = socketConnector(reactor) as unknown as typeof net.createConnection; // ws's types say net's
const client = new WebSocket(`ws://127.0.0.1:${port}/`, { createConnection });
await once(client, 'open');
for (const text of ['one', 'two', 'three']) {
  client.send(text);
  const [reply] = await once(client, 'message');
  console.log(`ws    sent ${text} -> ${String(reply)}`);
}
client.close();
await once(client, 'close');
clearInterval(ticker);
console.log(`Node's 5 ms timer ticked ${ticks} times meanwhile`);

wss.close();
server.close();
listener.close();
await served;
await reactor.close();
