// What counting native calls costs (lib/win32/ffi.ts counts every call by function): a loop of
// GetTickCount64, about the cheapest Win32 call there is, through the counted wrapper and
// through the bare koffi function, alternating, in ns per call. The difference is the counter's
// cost on every native call winmux makes.
//
//   npm run bench -- ffi-calls [calls=1000000] [rounds=5]
import { declare, declareUncounted, loadLibrary, nativeCallCounts } from '../lib/win32/ffi.ts';

export async function main(args: string[]): Promise<void> {
  const calls = Number(args[0] ?? 1_000_000);
  const rounds = Number(args[1] ?? 5);
  const kernel32 = loadLibrary('kernel32.dll');
  const counted = declare<() => number | bigint>(kernel32, 'uint64_t GetTickCount64()');
  const bare = declareUncounted<() => number | bigint>(kernel32, 'uint64_t GetTickCount64()');
  const time = (fn: () => unknown): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    return Number(process.hrtime.bigint() - start) / calls;
  };
  time(counted); // warm-up: both compiled before the rounds
  time(bare);
  const countedNs: number[] = [];
  const bareNs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    countedNs.push(time(counted));
    bareNs.push(time(bare));
  }
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const c = median(countedNs);
  const b = median(bareNs);
  console.log(`GetTickCount64 ×${calls}, median of ${rounds} alternating rounds: bare ${b.toFixed(1)} ns/call, counted ${c.toFixed(1)} ns/call, counting costs ${(c - b).toFixed(1)} ns/call`);
  console.log(`counted calls on this thread: ${nativeCallCounts().GetTickCount64}`);
}
