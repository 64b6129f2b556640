// A winmux TCP echo server: one reactor, one task per connection.
//
//   node scripts/winnode.mjs exec examples/echo-server.ts [port=0] [backend=select|afd]
//
// Prints `listening <port>` once it accepts connections, then serves until killed.
import { Reactor, TcpListener, type TcpStream } from '../lib/index.ts';

const port = Number(process.argv[2] ?? 0);
const backend = (process.argv[3] ?? 'select') as 'select' | 'afd';
const reactor = new Reactor({ readiness: backend });

async function echo(conn: TcpStream): Promise<void> {
  const buffer = new Uint8Array(65536);
  try {
    for (let n = await conn.read(buffer); n > 0; n = await conn.read(buffer)) await conn.write(buffer.subarray(0, n));
  } catch {
    // a reset peer ends only its own connection
  } finally {
    conn.close();
  }
}

await reactor.run(async () => {
  const listener = TcpListener.listen(reactor, { port, backlog: 1024 });
  console.log(`listening ${listener.address.port}`);
  for await (const conn of listener) void echo(conn);
});
