// The same echo server on Node's own `net` (libuv, IOCP): the baseline for bench/echo.ts.
//
//   node examples/node-echo-server.ts [port=0] [heartbeat]
//
// With `heartbeat`, a Node setInterval ticks every 100 ms, and every 500 ms a line
//   heartbeat node=<ms> reactor=- iterations=-
// gives the worst lateness of a tick so far (the one now due counts once it is late), in the
// format of examples/echo-server.ts, which has a reactor as well.
import net from 'node:net';

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => socket.destroy());
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', 1024, () => {
  console.log(`listening ${(server.address() as net.AddressInfo).port}`);
  if (process.argv[3] === 'heartbeat') startHeartbeat();
});

function startHeartbeat(): void {
  const TICK_MS = 100;
  let worst = 0;
  let expected = performance.now() + TICK_MS;
  let reported = performance.now();
  setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - expected);
    expected = now + TICK_MS;
    if (now - reported >= 500) {
      reported = now;
      console.log(`heartbeat node=${worst.toFixed(1)} reactor=- iterations=-`);
    }
  }, TICK_MS).unref();
}
