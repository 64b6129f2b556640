// The soak, from the command line: a mixed load of all three families (bench/soak-load.ts),
// handles, threads and memory printed every 5 s, the change in each after close. A measurement:
// the exit code is 0 whatever the figures (test/soak/soak.test.ts asserts on a short run).
//
//   npm run soak -- --seconds 60 [--mode select|port|guest-select|guest-port]
import { soak } from './soak-load.ts';
import type { ReactorOptions } from '../lib/index.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const seconds = Number(option('seconds') ?? 60);
if (!Number.isFinite(seconds) || seconds <= 0) throw new RangeError(`--seconds must be a positive number, got ${option('seconds')}`);
const mode = option('mode') ?? 'select';
const modes: Record<string, ReactorOptions> = {
  select: {}, port: { readiness: 'afd' }, 'guest-select': { guest: true }, 'guest-port': { guest: true, readiness: 'afd' },
};
if (!(mode in modes)) throw new RangeError(`--mode must be one of ${Object.keys(modes).join(', ')}, got ${mode}`);
console.log(`mode: ${mode}`);
await soak({ seconds, reactor: modes[mode] });
process.exitCode = 0;
