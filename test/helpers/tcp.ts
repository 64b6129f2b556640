// TCP fixtures shared by the test files that need a connected pair: the listen/accept/connect
// preamble. The accept is asked for before the connect starts, so the connection is taken
// whichever of the two finishes first.
import { TcpListener, TcpStream, type Reactor } from '../../lib/index.ts';

const keepNothing = <T>(resource: T): T => resource;

/**
 * A connected client/server pair through `listener`, the client connecting to `host` on its
 * port. `keep` takes each end (the test's closer), client first.
 */
export async function connectedTcpPair(
  reactor: Reactor,
  listener: TcpListener,
  keep: <T extends { close(): void }>(resource: T) => T = keepNothing,
  host = '127.0.0.1',
): Promise<{ client: TcpStream; server: TcpStream }> {
  const accepted = listener.accept();
  const client = keep(await TcpStream.connect(reactor, host, listener.address.port));
  return { client, server: keep(await accepted) };
}

/** A listener on 127.0.0.1 (an ephemeral port) and a pair connected through it; `keep` takes all three, the listener first. */
export async function listeningTcpPair(
  reactor: Reactor,
  keep: <T extends { close(): void }>(resource: T) => T,
): Promise<{ listener: TcpListener; client: TcpStream; server: TcpStream }> {
  const listener = keep(TcpListener.listen(reactor));
  return { listener, ...(await connectedTcpPair(reactor, listener, keep)) };
}
