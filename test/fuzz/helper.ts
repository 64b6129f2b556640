// The reactor thread's side of the fuzzer's helper thread (helper-thread.ts): sends commands and
// resolves each one's promise when the thread has carried it out.
import { Worker, type Transferable } from 'node:worker_threads';
import { once } from 'node:events';
import type { HelperCommand, HelperReply } from './helper-protocol.ts';

type Command = HelperCommand extends infer C ? (C extends HelperCommand ? Omit<C, 'id'> : never) : never;

export class Helper {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, (reply: HelperReply) => void>();
  #nextId = 0;

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
