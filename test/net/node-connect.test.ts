// connectSocket, socketConnector and acceptSockets: winmux sockets where Node code wants a
// net.Socket. The `ws` WebSocket library runs over them both ways (client and server over winmux,
// and each against the other side on Node's own net), in guest mode, so ws and Node's http run
// on Node's loop with the reactor inside it.
import { afterEach, describe, expect, test } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { Reactor, TcpListener, WinError, WinmuxSocket, acceptSockets, connectSocket, serveHttp, socketConnector } from '../../lib/index.ts';
import { LOOP_MODES } from '../helpers/modes.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

const GUEST_MODES = LOOP_MODES.filter((m) => m.mode.guest === true);

/** A port nobody listens on (bound by Node, closed again). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Each message `ws` receives, echoed back with a prefix. */
function echo(wss: WebSocketServer): void {
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(isBinary ? data : `echo ${String(data)}`, { binary: isBinary })));
}

/** Sends `messages` one after the other over `client`, and resolves with the replies. */
async function roundTrips(client: WebSocket, messages: string[]): Promise<string[]> {
  if (client.readyState !== WebSocket.OPEN) await once(client, 'open');
  const replies: string[] = [];
  for (const message of messages) {
    const reply = once(client, 'message');
    client.send(message);
    replies.push(String((await reply)[0]));
  }
  client.close();
  await once(client, 'close');
  return replies;
}

describe.each(GUEST_MODES)('Node sockets over winmux ($name)', ({ mode }) => {
  let reactor: Reactor | undefined;
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await reactor?.close();
    reactor = undefined;
  });

  /** A ws server over winmux (http.Server fed by serveHttp, upgrades handed to ws); its port. */
  function winmuxWsServer(r: Reactor): number {
    const wss = new WebSocketServer({ noServer: true });
    echo(wss);
    const server = http.createServer((_req, res) => res.end('no'));
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
    const listener = TcpListener.listen(r);
    const served = serveHttp(listener, server);
    cleanups.push(async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.close();
      listener.close();
      await served;
    });
    return listener.address.port;
  }

  test('ws client and ws server, both over winmux: messages go both ways', async () => {
    reactor = new Reactor(mode);
    const port = winmuxWsServer(reactor);
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, { createConnection: socketConnector(reactor) as never });
    const upgraded = once(client, 'upgrade');
    const replies = await roundTrips(client, ['one', 'two', 'x'.repeat(200_000)]);
    expect(replies).toEqual(['echo one', 'echo two', `echo ${'x'.repeat(200_000)}`]);
    // The client's socket was a winmux one, not Node's net.Socket.
    const [response] = (await upgraded) as [http.IncomingMessage];
    expect(response.socket).toBeInstanceOf(WinmuxSocket);
  });

  test('a ws client over winmux talks to a ws server on Node net; a Node-net ws client to a winmux server', async () => {
    reactor = new Reactor(mode);
    const nodeWss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    echo(nodeWss);
    await once(nodeWss, 'listening');
    cleanups.push(() => new Promise((resolve) => nodeWss.close(resolve)));
    const nodePort = (nodeWss.address() as net.AddressInfo).port;
    const overWinmux = new WebSocket(`ws://127.0.0.1:${nodePort}/`, { createConnection: socketConnector(reactor) as never });
    expect(await roundTrips(overWinmux, ['to node'])).toEqual(['echo to node']);

    const winmuxPort = winmuxWsServer(reactor);
    const overNode = new WebSocket(`ws://127.0.0.1:${winmuxPort}/`);
    expect(await roundTrips(overNode, ['to winmux'])).toEqual(['echo to winmux']);
  });

  test('connectSocket resolves to a connected Duplex; acceptSockets yields the other end; bytes go both ways', async () => {
    reactor = new Reactor(mode);
    const listener = TcpListener.listen(reactor);
    cleanups.push(() => listener.close());
    const accepted = acceptSockets(listener)[Symbol.asyncIterator]().next();
    const client = await connectSocket(reactor, listener.address.port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    const { value: server } = await accepted;
    cleanups.push(() => server!.destroy());
    expect(client).toBeInstanceOf(WinmuxSocket);
    expect(server).toBeInstanceOf(WinmuxSocket);
    expect(client.remotePort).toBe(listener.address.port);
    expect(server!.remotePort).toBe(client.localPort);
    server!.pipe(server!); // echo
    client.end('hello over winmux');
    const chunks: Buffer[] = [];
    for await (const chunk of client) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello over winmux');
  });

  test('acceptSockets ends when its listener is closed', async () => {
    reactor = new Reactor(mode);
    const listener = TcpListener.listen(reactor);
    const iterator = acceptSockets(listener)[Symbol.asyncIterator]();
    const pending = iterator.next();
    listener.close();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  test("a refused connectSocket rejects with code ECONNREFUSED, as net.connect's error", async () => {
    reactor = new Reactor(mode);
    const port = await freePort();
    const error = await connectSocket(reactor, port, '127.0.0.1').then((s) => s.destroy(), (e: unknown) => e);
    expect(error).toBeInstanceOf(WinError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', port, winCode: 'WSAECONNREFUSED' });
    // Through socketConnector, Node's http client reports it as its own 'error'.
    const request = http.get({ host: '127.0.0.1', port, createConnection: socketConnector(reactor) as never });
    const [requestError] = (await once(request, 'error').catch((e: unknown) => [e])) as [WinError];
    expect(requestError).toMatchObject({ code: 'ECONNREFUSED' });
  });

  test('bad arguments: TypeError', () => {
    reactor = new Reactor(mode);
    expect(() => acceptSockets({} as never)).toThrow(TypeError);
    expect(() => acceptSockets(null as never)).toThrow(/acceptSockets: listener must be a TcpListener, got null/);
  });
});
