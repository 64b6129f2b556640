// A named-pipe server with winmux (NamedPipeServer, on the completion port), in guest mode, with
// clients on Node's own `net` (net.connect to \\.\pipe\<name>) in the same process. A second
// server on the same name fails as Node's listen does: `err.code === 'EADDRINUSE'`.
//
//   node scripts/winnode.mjs exec examples/pipe-server-node-clients.ts
import net from 'node:net';
import { once } from 'node:events';
import { NamedPipe, NamedPipeServer, Reactor, pipePath } from '../lib/index.ts';

const reactor = new Reactor({ guest: true });
const name = `winmux-example-${process.pid}`;
const server = new NamedPipeServer(reactor, name);

/** Upper-cases what a client sends, until it ends its side. */
async function serve(conn: NamedPipe): Promise<void> {
  const buffer = new Uint8Array(4096);
  try {
    for (let n; (n = await conn.read(buffer)) > 0; ) await conn.write(Buffer.from(Buffer.from(buffer.subarray(0, n)).toString().toUpperCase()));
  } finally {
    conn.close();
  }
}
const serving = (async () => {
  for await (const conn of server) void serve(conn);
})();

try {
  new NamedPipeServer(reactor, name).close();
} catch (error) {
  const e = error as NodeJS.ErrnoException & { winCode?: string };
  console.log(`second server: code ${e.code} (winCode ${e.winCode}), as net.Server.listen says`);
}

const replies = await Promise.all(['first', 'second', 'third'].map(async (text) => {
  const client = net.connect(pipePath(name));
  await once(client, 'connect');
  client.end(`hello from ${text}`);
  let reply = '';
  for await (const chunk of client) reply += chunk;
  return reply;
}));
for (const reply of replies) console.log(`node client got ${JSON.stringify(reply)}`);

server.close();
await serving;
await reactor.close();
