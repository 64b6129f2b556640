// winmux's errors against Node's own, for the same failure under the same (Windows) Node: a
// refused connect, a missing file, a pipe name in use, a reset. A Node-style check
// (`err.code === 'ECONNREFUSED'`) must match winmux's error exactly where it matches Node's.
// `syscall`: winmux names the Win32 function (CreateFileW) where Node names its step (open),
// except for a connect and for a WinmuxSocket's reads, where the two agree; the test says which.
import { afterEach, describe, expect, test } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import util from 'node:util';
import { File, NamedPipeServer, NodeSocketError, Reactor, TcpListener, TcpStream, WinError, pipePath, toNodeDuplex } from '../../lib/index.ts';
import { checkResourcesReleased } from '../helpers/resources.ts';

checkResourcesReleased();

type NodeError = NodeJS.ErrnoException & { address?: string; port?: number };

/** The fields a Node-style check looks at. */
function shape(error: NodeError | WinError): Record<string, unknown> {
  return { code: error.code, errno: error.errno };
}

/** Node's (libuv's) number for the code `name`. */
function libuvNumber(name: string): number | undefined {
  return [...util.getSystemErrorMap()].find(([, [code]]) => code === name)?.[0];
}

/** A port nobody listens on (bound, closed again). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("winmux's errors are Node's for the same failure", () => {
  let reactor: Reactor | undefined;
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await reactor?.close();
    reactor = undefined;
  });

  test('a refused connect: code ECONNREFUSED, errno, syscall connect, address and port as net.connect', async () => {
    const port = await freePort();
    const socket = net.connect(port, '127.0.0.1');
    const [reference] = (await once(socket, 'error')) as [NodeError];
    reactor = new Reactor({ guest: true });
    const error = (await TcpStream.connect(reactor, '127.0.0.1', port).then((s) => s.close(), (e: unknown) => e)) as WinError;
    expect(reference).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
    expect(error).toBeInstanceOf(WinError);
    expect({ ...shape(error), syscall: error.syscall, address: error.address, port: error.port }).toEqual({
      ...shape(reference), syscall: reference.syscall, address: reference.address, port: reference.port,
    });
    expect(error).toMatchObject({ winCode: 'WSAECONNREFUSED', winErrno: 10061 });
  });

  test('a missing file: code ENOENT and errno as fs.open (syscall: CreateFileW, where Node says open)', async () => {
    const missing = path.join(os.tmpdir(), `winmux-no-such-file-${process.pid}.bin`);
    // Sync: fs.promises would start libuv's thread pool, whose threads outlive the file's leak check.
    let reference: NodeError | undefined;
    try {
      fs.closeSync(fs.openSync(missing, 'r'));
    } catch (e) {
      reference = e as NodeError;
    }
    reactor = new Reactor({ guest: true });
    let error: unknown;
    try {
      File.open(reactor, missing).close();
    } catch (e) {
      error = e;
    }
    expect(reference).toMatchObject({ code: 'ENOENT', syscall: 'open' });
    expect(error).toBeInstanceOf(WinError);
    expect(shape(error as WinError)).toEqual(shape(reference as NodeError));
    expect(error).toMatchObject({ winCode: 'ERROR_FILE_NOT_FOUND', syscall: 'CreateFileW' });
  });

  test('a pipe name in use: code EADDRINUSE and errno as net.Server.listen on that pipe (syscall: CreateNamedPipeW, where Node says listen)', async () => {
    reactor = new Reactor({ guest: true });
    const name = `winmux-parity-${process.pid}`;
    // Node's listen on a name a winmux server holds, and a winmux server on a name Node holds.
    const held = new NamedPipeServer(reactor, name);
    cleanups.push(() => held.close());
    const nodeServer = net.createServer();
    nodeServer.listen(pipePath(name));
    const [outcome] = await Promise.race([once(nodeServer, 'error'), once(nodeServer, 'listening').then(() => [null])]);
    const reference = outcome as NodeError | null;
    if (reference === null) {
      // Wine ignores FILE_FLAG_FIRST_PIPE_INSTANCE (docs/wine.md), so libuv's listen joins the
      // name; winmux's own check still refuses, with the code libuv gives on Windows.
      await new Promise((resolve) => nodeServer.close(resolve));
      expect(process.env.WINEPREFIX).toBeDefined();
    } else {
      expect(reference).toMatchObject({ code: 'EADDRINUSE', syscall: 'listen' });
    }
    let error: unknown;
    try {
      new NamedPipeServer(reactor, name).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WinError);
    expect(shape(error as WinError)).toEqual(reference === null ? { code: 'EADDRINUSE', errno: libuvNumber('EADDRINUSE') } : shape(reference));
    expect(error).toMatchObject({ winCode: 'ERROR_ACCESS_DENIED', syscall: 'CreateNamedPipeW' });
  });

  test("a peer's reset: code ECONNRESET, errno and syscall read as a net.Socket's (WinmuxSocket), code and errno as well on TcpStream.read", async () => {
    // Node's own: a net.Server socket whose client resets.
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const accepted = once(server, 'connection');
    const nodeClient = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(nodeClient, 'connect');
    const [nodeSocket] = (await accepted) as [net.Socket];
    nodeSocket.resume();
    nodeClient.resetAndDestroy();
    const [reference] = (await once(nodeSocket, 'error')) as [NodeError];
    nodeSocket.destroy();

    reactor = new Reactor({ guest: true });
    const listener = TcpListener.listen(reactor);
    cleanups.push(() => listener.close());
    const streamAccepted = listener.accept();
    const client = net.connect(listener.address.port, '127.0.0.1');
    await once(client, 'connect');
    const socket = toNodeDuplex(await streamAccepted);
    cleanups.push(() => socket.destroy());
    socket.resume();
    client.resetAndDestroy();
    const [error] = (await once(socket, 'error')) as [NodeSocketError];
    expect(reference).toMatchObject({ code: 'ECONNRESET', syscall: 'read' });
    expect({ ...shape(error as never), syscall: error.syscall, message: error.message }).toEqual({ ...shape(reference), syscall: reference.syscall, message: reference.message });
    expect(error.cause).toBeInstanceOf(WinError);
    expect(shape(error.cause as WinError)).toEqual(shape(reference));
    expect(error).toMatchObject({ winCode: 'WSAECONNRESET', winErrno: 10054 });
  });
});
