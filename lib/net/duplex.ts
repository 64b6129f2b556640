// toNodeDuplex: a Node stream.Duplex over a TcpStream, so Node libraries (parsers, pipeline) work
// on winmux sockets. Its reads and writes go through the reactor, so they progress while the
// reactor runs (inside `reactor.run`).
import { Duplex } from 'node:stream';
import type { TcpStream } from './tcp.ts';

export function toNodeDuplex(stream: TcpStream, options: { chunkSize?: number } = {}): Duplex {
  const chunk = options.chunkSize ?? 65536;
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
