// toNodeDuplex: a Node stream.Duplex over a TcpStream, so Node libraries (parsers, pipeline) work
// on winmux sockets. Its reads and writes go through the reactor, so they progress while the
// reactor runs (inside `reactor.run`).
import { Duplex } from 'node:stream';
import { TcpStream } from './tcp.ts';
import { checkInteger, checkOptions } from '../arguments.ts';
import { ClosedResourceError } from '../errors.ts';

export function toNodeDuplex(stream: TcpStream, options: { chunkSize?: number } = {}): Duplex {
  if (!(stream instanceof TcpStream)) throw new TypeError(`toNodeDuplex: stream must be a TcpStream, got ${stream === null ? 'null' : typeof stream}`);
  if (stream.closed) throw new ClosedResourceError('toNodeDuplex: the stream is closed');
  options = checkOptions(options, 'toNodeDuplex: options');
  const chunk = checkInteger(options.chunkSize === undefined ? 65536 : options.chunkSize, 'toNodeDuplex: chunkSize', 1, 2 ** 31 - 1);
  let reading = false;
  return new Duplex({
    read() {
      if (reading) return;
      reading = true;
      const buffer = Buffer.allocUnsafe(chunk);
      stream.read(buffer).then(
        (n) => {
          reading = false;
          this.push(n === 0 ? null : buffer.subarray(0, n));
        },
        (error: unknown) => {
          reading = false;
          this.destroy(error as Error);
        },
      );
    },
    write(data: Buffer, _encoding, callback) {
      stream.write(data).then(() => callback(), callback);
    },
    final(callback) {
      try {
        stream.shutdownWrite();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    destroy(error, callback) {
      stream.close();
      callback(error);
    },
  });
}
