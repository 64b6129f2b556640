// Named-pipe fixtures shared by the test files that need a connected pair: a fresh pipe name per
// call, and the listener/accept/connect preamble that gives the two ends.
import { NamedPipe, NamedPipeServer, type Reactor } from '../../lib/index.ts';

let pipeCounter = 0;

/** A pipe name no other test (or test process) uses. */
export const freshPipeName = (tag = 'test'): string => `winmux-${tag}-${process.pid}-${++pipeCounter}`;

/**
 * A connected server/client pair on a fresh pipe. `keep` takes each resource made (the listener
 * too) so the caller closes them after the test.
 */
export async function connectedPipePair(reactor: Reactor, keep: <T extends { close(): void }>(resource: T) => T): Promise<{ server: NamedPipe; client: NamedPipe }> {
  const name = freshPipeName();
  const listener = keep(new NamedPipeServer(reactor, name));
  const accepted = listener.accept();
  const client = keep(await NamedPipe.connect(reactor, name));
  const server = keep(await accepted);
  return { server, client };
}
