import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
async function one(code) {
  const t = performance.now();
  const w = new Worker(code, { eval: true, execArgv: process.env.X ? ['--preserve-symlinks'] : [] });
  const msg = await new Promise((r) => w.once('message', r));
  await new Promise((r) => w.once('exit', r));
  return [performance.now() - t, msg];
}
for (let i = 0; i < 3; i++) {
  for (const m of ['./lib/core/errors.ts', './lib/iocp-worker/worker/worker-loop.ts']) {
    const url = pathToFileURL(m).href;
    const [t, imp] = await one(`const t=performance.now(); import(${JSON.stringify(url)}).then(()=>require('node:worker_threads').parentPort.postMessage(performance.now()-t))`);
    console.log(m, 'worker total', t.toFixed(0), 'ms; import', imp.toFixed(0), 'ms');
  }
}
