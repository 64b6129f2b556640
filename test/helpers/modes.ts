// The two places a reactor's thread can block once per iteration (ReactorOptions.waitIn): test
// files that exercise the loop run their whole suite in each.
import type { ReactorOptions } from '../../lib/index.ts';

/** `inPort`: the loop dequeues from the port itself (no IOCP worker thread). */
export const LOOP_MODES: { name: string; mode: ReactorOptions; inPort: boolean }[] = [
  { name: 'select', mode: {}, inPort: false }, // select over the sockets; completions through the IOCP worker
  { name: 'port', mode: { readiness: 'afd' }, inPort: true }, // the completion port itself; AFD polls for sockets
  // Guest mode (lib/guest/): the same two waits, made by a helper thread while Node's loop runs.
  { name: 'guest select', mode: { guest: true }, inPort: false },
  { name: 'guest port', mode: { guest: true, readiness: 'afd' }, inPort: true },
];
