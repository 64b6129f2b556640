// A winmux TCP echo server: one reactor, one task per connection.
//
//   node scripts/winnode.mjs exec examples/echo-server.ts [port=0] [backend=select|afd|afd-select|wsapoll|guest|guest-afd] [heartbeat]
//
// select: select readiness, the thread sleeps in select; afd: AFD polls, the thread waits in its
// completion port (AFD's default); afd-select: AFD polls delivered through the IOCP worker while
// the thread sleeps in select (the older arrangement, for comparison); wsapoll: WSAPoll readiness,
// the thread sleeps in WSAPoll. guest and guest-afd: the
// same as select and afd, on a guest reactor (`{ guest: true }`): the loop turns inside Node's,
// and its blocking wait (select, or the port) is made by a helper thread; `run` only starts the task.
//
// Prints `listening <port>` once it accepts connections, then serves until killed.
//
// With `heartbeat`, it also checks that neither Node's callbacks nor the reactor's own timers are
// starved while it serves: a Node setInterval and a reactor task that sleeps, both every 100 ms,
// measure how late each tick comes, and every 500 ms a line
//   heartbeat node=<ms> reactor=<ms> iterations=<loop iterations> calls=<native calls on the reactor's thread>
// gives the worst lateness so far of each (a tick overdue at that moment counts with its lateness
// so far, so a tick that never comes still shows).
import { Reactor, TcpListener, type ReactorOptions } from '../lib/index.ts';
import { echoStream } from './echo-stream.ts';

const port = Number(process.argv[2] ?? 0);
const backend = process.argv[3] ?? 'select';
const OPTIONS = {
  select: { readiness: 'select' },
  afd: { readiness: 'afd' },
  'afd-select': { readiness: 'afd', waitIn: 'select' },
  wsapoll: { readiness: 'wsapoll' },
  guest: { readiness: 'select', guest: true },
  'guest-afd': { readiness: 'afd', guest: true },
} as const satisfies Record<string, ReactorOptions>;
if (!Object.hasOwn(OPTIONS, backend)) throw new TypeError(`backend must be ${Object.keys(OPTIONS).join(', ')}; got ${backend}`);
const heartbeat = process.argv[4] === 'heartbeat';
const reactor = new Reactor(OPTIONS[backend as keyof typeof OPTIONS]);


const TICK_MS = 100;
const REPORT_MS = 500;

/** Tick lateness of one clock: the worst so far, and when the next tick is due. */
class Lateness {
  worst = 0;
  expected = performance.now() + TICK_MS;
  tick(): void {
    const now = performance.now();
    this.worst = Math.max(this.worst, now - this.expected);
    this.expected = now + TICK_MS; // the next tick is due a period after this one ran
  }
  /** The worst lateness, counting the tick now due if it is already late. */
  worstNow(): number {
    return Math.max(this.worst, performance.now() - this.expected);
  }
}

function startHeartbeat(): void {
  const node = new Lateness();
  const loop = new Lateness();
  let reported = performance.now();
  // Printed from whichever tick comes first after REPORT_MS: a starved clock cannot hold it back.
  const report = (): void => {
    if (performance.now() - reported < REPORT_MS) return;
    reported = performance.now();
    const stats = reactor.stats();
    const calls = Object.values(stats.nativeCalls).reduce((a, b) => a + b, 0);
    console.log(`heartbeat node=${node.worstNow().toFixed(1)} reactor=${loop.worstNow().toFixed(1)} iterations=${stats.iterations} calls=${calls}`);
  };
  const interval = setInterval(() => {
    node.tick();
    report();
  }, TICK_MS);
  interval.unref();
  void (async () => {
    for (;;) {
      await reactor.sleep(TICK_MS);
      loop.tick();
      report();
    }
  })().catch(() => {}); // the reactor closed: no more ticks
}

await reactor.run(async () => {
  const listener = await TcpListener.listen(reactor, { port, backlog: 1024 });
  console.log(`listening ${listener.address.port}`);
  if (heartbeat) startHeartbeat();
  for await (const conn of listener) void echoStream(conn);
});
