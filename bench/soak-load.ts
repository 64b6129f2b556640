// The soak: a mixed load of all three families on one reactor for a while, with random aborts,
// printing the process's kernel handles, OS threads and resident memory every few seconds; at the
// end, once everything is closed, the change in each. Run by bench/soak.ts (`npm run soak`) and,
// shorter, by test/soak/soak.test.ts.
//
// The load, all at once:
//   select family   TCP echo over several connections, messages of random size, each echo checked;
//   completions     named-pipe echo over a few pipe pairs, checked the same way;
//   object waits    auto-reset events set by a worker_thread, each set consumed exactly once
//                   (a handshake: a set the loop never sees stalls its event and is counted lost);
//   timers          sleeps of random length;
//   aborts          reads on idle sockets and pipes, object waits and sleeps, each aborted by a
//                   reactor timeout signal of random length (CancelIoEx, waiter cancellation,
//                   socket disarm, timer removal), and TCP writes aborted mid-way to a slow
//                   reader (WriteAbortedError must report what went out).
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import {
  NamedPipe, NamedPipeServer, Reactor, TcpListener, TcpStream, WinEvent, WriteAbortedError, processHandleCount, processThreadCount, winsock,
  type ReactorOptions,
} from '../lib/index.ts';

export interface SoakOptions {
  /** How long the load runs, at least. */
  seconds: number;
  /**
   * Then it goes on, at most this many seconds more, until every kind of work has been done at
   * least once (a test asks for this: on a loaded machine the event-setting thread can take
   * seconds to start). Default 0.
   */
  untilEveryKindSeconds?: number;
  reportEverySeconds?: number;
  reactor?: ReactorOptions;
  log?: (line: string) => void;
}

export interface SoakSample {
  atSeconds: number;
  handles: number;
  threads: number;
  rssMiB: number;
  /** The reactor's live timers (sleeps and timeoutSignal timers): flat when finished operations leave none. */
  timers: number;
}

export interface SoakResult {
  samples: SoakSample[];
  before: { handles: number; threads: number; rssMiB: number };
  after: { handles: number; threads: number; rssMiB: number };
  deltaHandles: number;
  deltaThreads: number;
  counts: Record<string, number>;
  /** Event sets the loop never saw (must be 0), and checks that failed (must be 0). */
  lostEvents: number;
  errors: string[];
}

const TCP_CONNECTIONS = 8;
const PIPE_PAIRS = 3;
const EVENTS = 4;

const rssMiB = (): number => Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
const random = (max: number): number => Math.floor(Math.random() * max);

function fill(buffer: Uint8Array, seed: number): Uint8Array {
  for (let i = 0; i < buffer.length; i++) buffer[i] = (seed + i * 31) & 0xff;
  return buffer;
}

async function readExactly(read: (b: Uint8Array) => Promise<number>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  for (let got = 0; got < size; ) {
    const n = await read(out.subarray(got));
    if (n === 0) throw new Error(`end of stream after ${got} of ${size} bytes`);
    got += n;
  }
  return out;
}

const isTimeout = (error: unknown): boolean => (error as Error)?.name === 'TimeoutError';

export async function soak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const every = (options.reportEverySeconds ?? 5) * 1000;
  winsock.closeQuietly(...winsock.loopbackPair()); // Winsock's own once-per-process handle, not ours
  const before = { handles: processHandleCount(), threads: processThreadCount(), rssMiB: rssMiB() };
  const counts: Record<string, number> = {
    tcpEchoes: 0, pipeEchoes: 0, eventsSeen: 0, sleeps: 0, abortedReads: 0, abortedPipeReads: 0,
    abortedObjectWaits: 0, abortedSleeps: 0, abortedWrites: 0, abortedWriteBytes: 0,
  };
  const errors: string[] = [];
  const samples: SoakSample[] = [];
  const reactor = new Reactor(options.reactor ?? {});
  const closers: { close(): void }[] = [];
  const own = <T extends { close(): void }>(x: T): T => {
    closers.push(x);
    return x;
  };
  const events = Array.from({ length: EVENTS }, () => own(WinEvent.create()));
  const shared = new Int32Array(new SharedArrayBuffer((2 + 2 * EVENTS) * 4));
  const setter = new Worker(new URL('./soak-event-setter.ts', import.meta.url), {
    workerData: { shared: shared.buffer, events: events.map((e) => e.handle) },
  });
  const start = reactor.now();
  const end = start + options.seconds * 1000;
  const deadline = end + (options.untilEveryKindSeconds ?? 0) * 1000;
  // A count left out here is one that may legitimately stay 0 (no write happened to be aborted).
  const everyKindDone = (): boolean => Object.entries(counts).every(([what, count]) => what === 'abortedWriteBytes' || count! > 0);
  const running = (): boolean => reactor.now() < end || (reactor.now() < deadline && !everyKindDone());
  const fail = (what: string) => (error: unknown): void => {
    errors.push(`${what}: ${(error as Error)?.stack ?? String(error)}`);
  };
  log(`soak: ${options.seconds} s; before: handles ${before.handles}, threads ${before.threads}, rss ${before.rssMiB} MiB`);

  await reactor.run(async () => {
    const tasks: Promise<void>[] = [];
    // select family: TCP echo.
    const listener = own(TcpListener.listen(reactor));
    const port = listener.address.port;
    const serveTcp = async (conn: TcpStream): Promise<void> => {
      const buffer = new Uint8Array(65536);
      for (let n = await conn.read(buffer); n > 0; n = await conn.read(buffer)) await conn.write(buffer.subarray(0, n));
    };
    for (let c = 0; c < TCP_CONNECTIONS; c++) {
      const accepted = listener.accept();
      const client = own(await TcpStream.connect(reactor, '127.0.0.1', port));
      const server = own(await accepted);
      tasks.push(serveTcp(server).catch(fail('tcp server')));
      tasks.push((async () => {
        for (let round = 0; running(); round++) {
          const message = fill(new Uint8Array(1 + random(32 * 1024)), round);
          const echoed = readExactly((b) => client.read(b), message.length);
          await client.write(message);
          if (!Buffer.from(await echoed).equals(message)) throw new Error(`tcp echo mismatch (round ${round})`);
          counts.tcpEchoes!++;
        }
        client.shutdownWrite();
      })().catch(fail('tcp client')));
    }
    // Completions: named-pipe echo.
    for (let p = 0; p < PIPE_PAIRS; p++) {
      const name = `winmux-soak-${process.pid}-${p}`;
      const pipeServer = own(new NamedPipeServer(reactor, name));
      const accepted = pipeServer.accept();
      const client = own(await NamedPipe.connect(reactor, name));
      const server = own(await accepted);
      tasks.push((async () => {
        const buffer = new Uint8Array(65536);
        for (let n = await server.read(buffer); n > 0; n = await server.read(buffer)) await server.write(buffer.subarray(0, n));
      })().catch(fail('pipe server')));
      tasks.push((async () => {
        for (let round = 0; running(); round++) {
          const message = fill(new Uint8Array(1 + random(16 * 1024)), round);
          await client.write(message);
          const echoed = await readExactly((b) => client.read(b), message.length);
          if (!Buffer.from(echoed).equals(message)) throw new Error(`pipe echo mismatch (round ${round})`);
          counts.pipeEchoes!++;
        }
        client.close(); // the server's read sees the end
      })().catch(fail('pipe client')));
    }
    // Object waits: every set consumed once.
    for (let i = 0; i < EVENTS; i++) {
      tasks.push((async () => {
        while (running()) {
          const result = await reactor.waitForObject(events[i]!.handle, { timeoutMs: 1000 });
          if (!result.signaled) continue; // the setter had not set it again yet; check the clock
          Atomics.add(shared, 3 + 2 * i, 1);
          counts.eventsSeen!++;
          Atomics.add(shared, 1, 1);
          Atomics.notify(shared, 1);
        }
      })().catch(fail('object wait')));
    }
    // Timers and aborts.
    const [idleA] = winsock.loopbackPair().map((s) => own(new TcpStream(reactor, s)));
    const idlePipeName = `winmux-soak-idle-${process.pid}`;
    const idlePipeServer = own(new NamedPipeServer(reactor, idlePipeName));
    const idleAccepted = idlePipeServer.accept();
    own(await NamedPipe.connect(reactor, idlePipeName));
    const idlePipe = own(await idleAccepted);
    const neverSet = own(WinEvent.create());
    const expectTimeout = (what: string, counter: string) => async (operation: Promise<unknown>): Promise<void> => {
      try {
        await operation;
        errors.push(`${what}: completed although nothing could complete it`);
      } catch (error) {
        if (isTimeout(error)) counts[counter]!++;
        else throw error;
      }
    };
    tasks.push((async () => {
      while (running()) {
        const signal = reactor.timeoutSignal(1 + random(20));
        switch (random(5)) {
          case 0: await expectTimeout('idle read', 'abortedReads')(idleA!.read(new Uint8Array(16), { signal })); break;
          case 1: await expectTimeout('idle pipe read', 'abortedPipeReads')(idlePipe.read(new Uint8Array(16), { signal })); break;
          case 2: await expectTimeout('object wait', 'abortedObjectWaits')(reactor.waitForObject(neverSet.handle, { signal })); break;
          case 3: await expectTimeout('sleep', 'abortedSleeps')(reactor.sleep(1000, { signal })); break;
          default: await reactor.sleep(random(10)); counts.sleeps!++;
        }
      }
    })().catch(fail('aborts')));
    // TCP writes aborted mid-way to a slow reader: what WriteAbortedError reports must be what arrives.
    tasks.push((async () => {
      const [writerSocket, readerSocket] = winsock.loopbackPair();
      winsock.setIntOption(writerSocket, winsock.SOL_SOCKET, winsock.SO_SNDBUF, 10000);
      const writer = own(new TcpStream(reactor, writerSocket));
      const reader = own(new TcpStream(reactor, readerSocket));
      let expected = 0;
      let received = 0;
      const reading = (async () => {
        const buffer = new Uint8Array(4096);
        for (let n; (n = await reader.read(buffer)) > 0; ) {
          received += n;
          await reactor.sleep(1); // a slow reader
        }
      })();
      while (running()) {
        const size = 64 * 1024 + random(512 * 1024);
        try {
          await writer.write(new Uint8Array(size), { signal: reactor.timeoutSignal(1 + random(30)) });
          expected += size;
        } catch (error) {
          if (!(error instanceof WriteAbortedError)) throw error;
          expected += error.bytesWritten;
          counts.abortedWrites!++;
          counts.abortedWriteBytes! += error.bytesWritten;
        }
      }
      writer.shutdownWrite();
      await reading;
      if (received !== expected) errors.push(`aborted writes: the reader got ${received} bytes, the writer reported ${expected}`);
    })().catch(fail('aborted writes')));
    // Reports.
    tasks.push((async () => {
      for (let next = start + every; next < end; next += every) {
        await reactor.sleepUntil(next);
        const sample = { atSeconds: Math.round((reactor.now() - start) / 1000), handles: processHandleCount(), threads: processThreadCount(), rssMiB: rssMiB(), timers: reactor.stats().timers };
        samples.push(sample);
        log(`${String(sample.atSeconds).padStart(4)} s  handles ${sample.handles}  threads ${sample.threads}  rss ${sample.rssMiB} MiB  live timers ${sample.timers}  ${JSON.stringify(counts)}`);
      }
    })().catch(fail('reports')));
    await Promise.all(tasks);
    // The last sets: a set made just as the consumers stopped is taken now, or it was lost.
    for (let i = 0; i < EVENTS; i++) {
      if (Atomics.load(shared, 2 + 2 * i) !== Atomics.load(shared, 3 + 2 * i)) {
        const result = await reactor.waitForObject(events[i]!.handle, { timeoutMs: 5000 });
        if (result.signaled) {
          Atomics.add(shared, 3 + 2 * i, 1);
          counts.eventsSeen!++;
        }
      }
    }
  });
  Atomics.store(shared, 0, 1);
  Atomics.notify(shared, 1);
  await once(setter, 'exit');
  let lostEvents = 0;
  for (let i = 0; i < EVENTS; i++) lostEvents += Atomics.load(shared, 2 + 2 * i) - Atomics.load(shared, 3 + 2 * i);
  for (const closer of closers.reverse()) closer.close();
  await reactor.close();
  // Threads and handles that close by themselves (a retiring worker's) get a moment.
  let after = { handles: processHandleCount(), threads: processThreadCount(), rssMiB: rssMiB() };
  for (let tries = 0; tries < 100 && (after.handles > before.handles || after.threads > before.threads); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    after = { handles: processHandleCount(), threads: processThreadCount(), rssMiB: rssMiB() };
  }
  const result: SoakResult = {
    samples, before, after, deltaHandles: after.handles - before.handles, deltaThreads: after.threads - before.threads, counts, lostEvents, errors,
  };
  log(`after close: handles ${after.handles} (Δ ${result.deltaHandles}), threads ${after.threads} (Δ ${result.deltaThreads}), rss ${after.rssMiB} MiB`);
  if (samples.length >= 2) {
    const first = samples[0]!;
    const last = samples.at(-1)!;
    log(`rss from the first report to the last: ${first.rssMiB} → ${last.rssMiB} MiB (${(last.rssMiB - first.rssMiB).toFixed(1)} MiB over ${last.atSeconds - first.atSeconds} s)`);
  }
  log(`counts: ${JSON.stringify(counts)}; lost events: ${lostEvents}; errors: ${errors.length}`);
  for (const error of errors) log(`error: ${error}`);
  return result;
}
