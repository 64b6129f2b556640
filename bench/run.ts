// `npm run bench -- <name> [args…]`: runs one benchmark under Windows Node (Wine on Linux).
// Benchmarks print their own baseline, measured in the same run, and ratios against it.
const benchmarks: Record<string, () => Promise<{ main(args: string[]): Promise<void> }>> = {
  wakeup: () => import('./wakeup-chain.ts'),
  'object-waits': () => import('./object-waits.ts'),
  children: () => import('./children.ts'),
  'multi-reactor': () => import('./multi-reactor.ts'),
  readiness: () => import('./readiness.ts'),
  echo: () => import('./echo.ts'),
  coexist: () => import('./coexist.ts'),
  http: () => import('./http.ts'),
  'ffi-calls': () => import('./ffi-calls.ts'),
  'echo-calls': () => import('./echo-calls.ts'),
  'round-trip': () => import('./round-trip.ts'),
  'skip-on-success': () => import('./skip-on-success.ts'),
  report: () => import('./report.ts'),
};

const [name, ...args] = process.argv.slice(2);
const load = name === undefined ? undefined : benchmarks[name];
if (load === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(benchmarks).join('|')}> [args…]`);
  process.exitCode = 2;
} else {
  await (await load()).main(args);
}
