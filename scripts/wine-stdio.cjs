// Preloaded (`node -r`) into Windows Node when it runs under Wine.
//
// Windows Node under Wine throws EBADF at the first console.log when its stdout or stderr is a
// Linux pipe: libuv's pipe/tty stream classes do not work on the handle Wine hands over. Plain
// synchronous writes to fd 1 and 2 do work, so the main thread's process.stdout/stderr are
// replaced with Writables that call fs.writeSync. Output still streams live and the exit code is
// kept.
//
// Worker threads must keep their own stdio (Node routes it to the main thread through a message
// port; replacing it there breaks every worker at start), so this does nothing off the main thread.
'use strict';
const { isMainThread } = require('node:worker_threads');

if (isMainThread) {
  const fs = require('node:fs');
  const { Writable } = require('node:stream');

  const writeAll = (fd, chunk) => {
    let offset = 0;
    while (offset < chunk.length) offset += fs.writeSync(fd, chunk, offset, chunk.length - offset);
  };

  for (const [name, fd] of [['stdout', 1], ['stderr', 2]]) {
    const stream = new Writable({
      decodeStrings: true,
      write(chunk, _encoding, callback) {
        try {
          writeAll(fd, chunk);
          callback();
        } catch (error) {
          callback(error);
        }
      },
    });
    stream.fd = fd;
    stream.isTTY = false;
    Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => stream });
  }
}
