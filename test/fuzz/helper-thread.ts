// Worker entry: the fuzzer's helper thread, which posts completions, sets events and posts
// channel messages from a thread that is not the reactor's (helper-protocol.ts). Loaded by Node
// directly (type stripping), so it imports with .ts extensions only.
import { parentPort } from 'node:worker_threads';
import { postCompletion } from '../../lib/iocp-worker/completion-post.ts';
import { RemoteWaker } from '../../lib/wakeup/remote-waker.ts';
import * as kernel32 from '../../lib/win32/kernel32.ts'; // not WinEvent, whose module pulls in the reactor's
import { ClosedResourceError } from '../../lib/core/errors.ts';
import { whileOpen } from '../../lib/wakeup/wake.ts';
import { declare, loadLibrary } from '../../lib/win32/ffi.ts';
import { GetLastError } from '../../lib/win32/kernel32.ts';
import { WinError } from '../../lib/core/windows-errors.ts';
import type { HelperCommand, HelperReply } from './helper-protocol.ts';

/** lpOverlapped as an integer: a value posted as data, never dereferenced. */
const PostQueuedCompletionStatus = declare<(port: number, bytes: number, key: number, overlapped: number) => number>(
  loadLibrary('kernel32.dll'),
  'int __stdcall PostQueuedCompletionStatus(void *CompletionPort, uint32_t dwNumberOfBytesTransferred, uintptr_t dwCompletionKey, uintptr_t lpOverlapped)',
);

let waker: RemoteWaker | undefined;

function carryOut(command: HelperCommand): void {
  switch (command.type) {
    case 'post':
      for (const bytes of command.bytes) postCompletion(command.target, command.key, bytes);
      return;
    case 'postOverlapped': {
      // Through the reactor's wake state, as postCompletion does: never to a closed port's reused handle value.
      const open = whileOpen(new Int32Array(command.target.state), () => {
        command.bytes.forEach((bytes, i) => {
          if (!PostQueuedCompletionStatus(command.target.port, bytes, command.key, command.overlapped[i]!)) throw new WinError('PostQueuedCompletionStatus', GetLastError());
        });
      });
      if (!open) throw new ClosedResourceError('the target reactor is closed');
      return;
    }
    case 'set':
      if (!kernel32.SetEvent(command.handle)) throw new Error(`fuzz helper: SetEvent(${command.handle}) failed (${kernel32.GetLastError()})`);
      return;
    case 'channel':
      waker?.close();
      waker = new RemoteWaker(command.handle);
      return;
    case 'send':
      for (const message of command.messages) waker!.post(message);
      return;
    case 'reset':
      waker?.close();
      waker = undefined;
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
