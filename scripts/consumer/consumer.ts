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
  type ReactorOptions,
  type ReactorStats,
} from 'winmux';

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

// A refused connection is a WinError with the Winsock name.
const reactor = new Reactor();
try {
  const refused = await reactor.run(async () => {
    const listener = await TcpListener.listen(reactor, { host: '127.0.0.1', port: 0 });
    const port = listener.address.port;
    listener.close();
    return TcpStream.connect(reactor, '127.0.0.1', port, { timeoutMs: 5000 }).then(
      (stream) => { stream.close(); return 'connected'; },
      (error: unknown) => (error instanceof WinError ? error.code : `not a WinError: ${String(error)}`),
    );
  });
  results.push(`refused: ${refused}`);
} finally {
  await reactor.close();
}

console.log(`winmux consumer ok: ${results.join('; ')}`);
