// A package user's program, type-checked (strict, NodeNext, no skipLibCheck) against the oldest
// supported TypeScript and run under Windows Node by scripts/consumer-test.mjs, from a project
// where winmux was installed from its packed tarball. It uses only the public API.
import {
  Reactor,
  TcpListener,
  TcpStream,
  WinmuxError,
  ClosedResourceError,
  WinError,
  serveHttp,
  socketConnector,
  type ReactorOptions,
  type ReactorStats,
} from 'winmux';
import http from 'node:http';
import type net from 'node:net';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';

/** One TCP echo round trip on `reactor`, inside its run loop. */
async function echoOnce(reactor: Reactor, text: string): Promise<string> {
  const listener = await TcpListener.listen(reactor, { host: '127.0.0.1', port: 0 });
  const accepted = listener.accept();
  const client: TcpStream = await TcpStream.connect(reactor, '127.0.0.1', listener.address.port, { timeoutMs: 5000 });
  const server = await accepted;
  try {
    await client.write(new TextEncoder().encode(text));
    const buffer = new Uint8Array(64);
    const n: number = await server.read(buffer, { signal: reactor.timeoutSignal(5000) });
    await server.write(buffer.subarray(0, n));
    const m = await client.read(buffer, { signal: reactor.timeoutSignal(5000) });
    return new TextDecoder().decode(buffer.subarray(0, m));
  } finally {
    client.close();
    server.close();
    listener.close();
  }
}

// The two ways to drive a reactor: the thread blocks in select (the default), or, with AFD
// readiness, in the reactor's own completion port.
const modes: ReactorOptions[] = [{}, { readiness: 'afd' }];
const results: string[] = [];
for (const options of modes) {
  const reactor = new Reactor(options);
  try {
    const started = reactor.now();
    const echoed = await reactor.run(async () => {
      await reactor.sleep(10);
      return echoOnce(reactor, 'hello');
    });
    const stats: ReactorStats = reactor.stats();
    if (echoed !== 'hello') throw new Error(`echo returned ${JSON.stringify(echoed)}`);
    if (reactor.now() - started < 10) throw new Error('sleep(10) returned early');
    results.push(`${options.readiness ?? 'select'}: echoed ${echoed} in ${stats.iterations} iterations`);
  } finally {
    await reactor.close(); // Node 22 does not parse `await using`: try/finally
  }
  // A closed reactor refuses to run, with a typed error.
  try {
    await reactor.run(() => 0);
    throw new Error('run() after close() resolved');
  } catch (error) {
    if (!(error instanceof ClosedResourceError) || !(error instanceof WinmuxError)) throw error;
    const code: string = error.code;
    if (code !== 'ERR_CLOSED_RESOURCE') throw new Error(`unexpected code ${code}`);
  }
}

// A refused connection is a WinError whose code is Node's, the Winsock name in winCode.
const reactor = new Reactor();
try {
  const refused = await reactor.run(async () => {
    const listener = await TcpListener.listen(reactor, { host: '127.0.0.1', port: 0 });
    const port = listener.address.port;
    listener.close();
    return TcpStream.connect(reactor, '127.0.0.1', port, { timeoutMs: 5000 }).then(
      (stream) => { stream.close(); return 'connected'; },
      (error: unknown) => (error instanceof WinError && error.code === 'ECONNREFUSED' ? `${error.code} (${error.winCode})` : `not ECONNREFUSED: ${String(error)}`),
    );
  });
  results.push(`refused: ${refused}`);
} finally {
  await reactor.close();
}

// A ws server and a ws client, both over winmux, in guest mode: one message each way.
const guest = new Reactor({ guest: true });
try {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  const listener = TcpListener.listen(guest, { host: '127.0.0.1', port: 0 });
  const served = serveHttp(listener, server);
  const createConnection = socketConnector(guest) as unknown as typeof net.createConnection;
  const client = new WebSocket(`ws://127.0.0.1:${listener.address.port}/`, { createConnection });
  await once(client, 'open');
  client.send('over winmux');
  const [reply] = await once(client, 'message');
  client.close();
  await once(client, 'close');
  wss.close();
  server.close();
  listener.close();
  await served;
  results.push(`ws: ${String(reply)}`);
} finally {
  await guest.close();
}

console.log(`winmux consumer ok: ${results.join('; ')}`);
