// The reactor thread's side of the fuzzer's helper thread (helper-thread.ts): sends commands and
// resolves each one's promise when the thread has carried it out. One thread serves every run in
// the process (`Helper.shared()`, reset between runs): starting a worker that loads lib/ takes
// 1–2.5 s under Wine on a busy machine, longer than a short run itself. `Helper.stopShared()`
// ends it (the test file's afterAll, the end of `npm run fuzz`).
import { Worker, type Transferable } from 'node:worker_threads';
import { once } from 'node:events';
import { Reactor } from '../../lib/index.ts';
import type { HelperCommand, HelperReply } from './helper-protocol.ts';

type Command = HelperCommand extends infer C ? (C extends HelperCommand ? Omit<C, 'id'> : never) : never;

export class Helper {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, (reply: HelperReply) => void>();
  #nextId = 0;
  static #shared: Promise<Helper> | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: HelperReply) => {
      const resolve = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      resolve?.(reply);
    });
  }

  /** Starts the thread and waits until it takes commands. */
  static async start(): Promise<Helper> {
    const worker = new Worker(new URL('./helper-thread.ts', import.meta.url), { execArgv: [] });
    const [up] = (await once(worker, 'message')) as [HelperReply];
    if (up.id !== -1) throw new Error(`the fuzzer's helper thread said ${JSON.stringify(up)} before it was up`);
    return new Helper(worker);
  }

  /** The process's helper thread, started on first use. */
  static shared(): Promise<Helper> {
    Helper.#shared ??= Helper.start().then(async (helper) => {
      await helper.#warmUp();
      return helper;
    });
    return Helper.#shared;
  }

  /**
   * Makes the thread take, before any run counts handles, what it keeps for its life from its
   * first use of a facility: under Wine 8 its first channel post (RemoteWaker.post, which wakes
   * the reactor) leaves the process one handle more until the thread exits (measured: +1 after the
   * first run whose channel the thread posted to, none after later ones; posts, events and a
   * transferred MessagePort alone leave none).
   */
  async #warmUp(): Promise<void> {
    const reactor = new Reactor();
    try {
      const channel = reactor.openChannel();
      await this.send({ type: 'channel', handle: channel.handle }, [channel.handle.port]);
      await this.send({ type: 'send', messages: ['warm-up'] });
      await reactor.run(() => channel.receive());
      channel.close();
      await this.send({ type: 'reset' });
    } finally {
      await reactor.close();
    }
  }

  /** Ends the shared thread (the next `shared()` starts a new one). */
  static async stopShared(): Promise<void> {
    const shared = Helper.#shared;
    Helper.#shared = undefined;
    await (await shared?.catch(() => undefined))?.stop();
  }

  /** Commands sent and not yet carried out. */
  get outstanding(): number {
    return this.#waiting.size;
  }

  /** Sends a command; resolves with its reply once the thread has carried it out. */
  send(command: Command, transfer?: readonly Transferable[]): Promise<HelperReply> {
    const id = this.#nextId++;
    const done = new Promise<HelperReply>((resolve) => this.#waiting.set(id, resolve));
    this.#worker.postMessage({ ...command, id }, transfer);
    return done;
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}
