// Echoes one TcpStream until its peer ends it: the serving loop of examples/echo-server.ts and of
// the coexist benchmark's winmux phase.
import type { TcpStream } from '../lib/index.ts';

export async function echoStream(conn: TcpStream): Promise<void> {
  const buffer = new Uint8Array(65536);
  try {
    for (let n = await conn.read(buffer); n > 0; n = await conn.read(buffer)) await conn.write(buffer.subarray(0, n));
  } catch {
    // a reset peer (or a server closing the connection) ends only this connection's task
  } finally {
    conn.close();
  }
}
