// The same echo server on Node's own `net` (libuv, IOCP): the baseline for bench/echo.ts.
//
//   node examples/node-echo-server.ts [port=0]
import net from 'node:net';

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => socket.destroy());
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', 1024, () => {
  console.log(`listening ${(server.address() as net.AddressInfo).port}`);
});
