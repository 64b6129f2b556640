// The two places a reactor's thread can block once per iteration (ReactorOptions.waitIn), each in
// host and guest mode: test files that exercise the loop run their cases in each.
//
// Which cases run in every mode, and which once (the rule; a new test follows it):
// - Every mode, where the mode changes the path under test: how the loop wakes (the wakeup socket,
//   a packet on the port, the guest's helper thread), how a completion or readiness is dispatched,
//   close() and what it cancels, faults, and each family's waits (socket readiness, overlapped
//   operations, object waits) as they end in the loop.
// - Once, in the default mode (`runsOnce(name)`), where the same code runs whatever the mode:
//   argument checks at the call, command-line building and program search, what CreateProcessW is
//   given (cwd, env, inherited handles), the waiter pool's own bookkeeping (threads per wait, reuse,
//   retirement, a semaphore's count), the results of a call that completes before any wait, and
//   what reactors that do not take the block's mode do (multi-reactor's serving reactors on worker
//   threads run in select mode whatever the block's).
//   Such a case in a `describe.each(LOOP_MODES)` block goes inside `if (runsOnce(name)) { … }`, so
//   it is registered once, not skipped three times.
import type { ReactorOptions } from '../../lib/index.ts';

/** `inPort`: the loop dequeues from the port itself (no IOCP worker thread). */
export const LOOP_MODES: { name: string; mode: ReactorOptions; inPort: boolean }[] = [
  { name: 'select', mode: {}, inPort: false }, // select over the sockets; completions through the IOCP worker
  { name: 'port', mode: { readiness: 'afd' }, inPort: true }, // the completion port itself; AFD polls for sockets
  // Guest mode (lib/guest/): the same two waits, made by a helper thread while Node's loop runs.
  { name: 'guest select', mode: { guest: true }, inPort: false },
  { name: 'guest port', mode: { guest: true, readiness: 'afd' }, inPort: true },
];

/** True for the default mode only: a mode-independent case runs there (the rule above). */
export function runsOnce(name: string): boolean {
  return name === LOOP_MODES[0]!.name;
}
