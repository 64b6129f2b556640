// The two places a reactor's thread can block once per iteration (ReactorOptions.waitIn): test
// files that exercise the loop run their whole suite in each.
import type { ReactorOptions } from '../../lib/index.ts';

export const LOOP_MODES: { name: string; mode: ReactorOptions }[] = [
  { name: 'select', mode: {} }, // select over the sockets; completions through the IOCP worker
  { name: 'port', mode: { readiness: 'afd' } }, // the completion port itself; AFD polls for sockets
];
