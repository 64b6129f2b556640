// Worker entry: the fuzzer's helper thread, which posts completions, sets events and posts
// channel messages from a thread that is not the reactor's (helper-protocol.ts). Loaded by Node
// directly (type stripping), so it imports with .ts extensions only.
import { parentPort } from 'node:worker_threads';
import { postCompletion } from '../../lib/iocp-worker/completion-port.ts';
import { RemoteWaker } from '../../lib/wakeup/remote-waker.ts';
import { WinEvent } from '../../lib/objects/win-event.ts';
import type { HelperCommand, HelperReply } from './helper-protocol.ts';

let waker: RemoteWaker | undefined;

function carryOut(command: HelperCommand): void {
  switch (command.type) {
    case 'post':
      for (const bytes of command.bytes) postCompletion(command.target, command.key, bytes);
      return;
    case 'set':
      WinEvent.fromHandle(command.handle).set();
      return;
    case 'channel':
      waker?.close();
      waker = new RemoteWaker(command.handle);
      return;
    case 'send':
      for (const message of command.messages) waker!.post(message);
      return;
  }
}

parentPort!.on('message', (command: HelperCommand) => {
  const reply: HelperReply = { id: command.id };
  try {
    carryOut(command);
  } catch (error) {
    reply.error = error instanceof Error ? `${error.constructor.name} ${(error as { code?: string }).code ?? ''}: ${error.message}` : String(error);
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ id: -1 }); // up
