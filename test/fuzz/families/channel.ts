// A channel into the loop (reactor.openChannel), posted to by a RemoteWaker on this thread or on
// the helper thread; receives with random aborts, close under a receive. Messages are numbered:
// none lost, repeated or reordered (./in-order.ts).
import { RemoteWaker, type ReactorChannel } from '../../../lib/index.ts';
import type { Context, Family } from '../context.ts';
import type { From, Op } from '../ops.ts';
import { attempt } from '../outcomes.ts';
import { InOrder } from './in-order.ts';

interface Message {
  n: number;
}

interface Model {
  channel: ReactorChannel<Message>;
  poster: From;
  waker: RemoteWaker | undefined;
  closed: boolean;
  sent: number;
  order: InOrder<Message>;
}

export class ChannelFamily implements Family {
  readonly #ctx: Context;
  #model: Model | undefined;
  #made = 0;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  apply(op: Op, skip: () => void): boolean {
    const ctx = this.#ctx;
    const model = this.#model;
    switch (op.kind) {
      case 'chan.open': {
        if (model !== undefined && !model.closed) return skip(), true;
        model?.waker?.close();
        const channel = ctx.reactor.openChannel<Message>();
        const name = `channel ${this.#made++}`;
        const made: Model = {
          channel, poster: op.poster, waker: undefined, closed: false, sent: 0,
          order: new InOrder<Message>(ctx, name, (m) => [0, m.n], [op.poster === 'main' ? 'this thread' : 'the helper thread']),
        };
        if (op.poster === 'main') {
          made.waker = new RemoteWaker(channel.handle);
        } else {
          ctx.track(`${name}: handed to the helper thread`, {}, ctx.helper.send({ type: 'channel', handle: channel.handle }, [channel.handle.port]), {
            onValue: (reply) => {
              if (reply.error !== undefined) ctx.violate('unexpected-error', `${name}: new RemoteWaker on the helper thread threw ${reply.error}`);
            },
            allowed: {},
          }).markDue('the helper thread carries out commands in order');
        }
        this.#model = made;
        return true;
      }
      case 'chan.send': {
        if (model === undefined) return skip(), true;
        const messages = Array.from({ length: op.count }, () => ({ n: model.sent++ }));
        if (model.poster === 'main') {
          const what = `channel: RemoteWaker.post × ${op.count} on this thread`;
          ctx.track(what, {}, attempt(() => {
            for (const message of messages) model.waker!.post(message);
          }), {
            onValue: () => {
              if (!model.closed) model.order.expect(0, op.count);
            },
            allowed: {},
          });
        } else {
          const closedBefore = model.closed;
          ctx.track(`channel: ${op.count} posts from the helper thread`, {}, ctx.helper.send({ type: 'send', messages }), {
            onValue: (reply) => {
              if (reply.error !== undefined) ctx.violate('unexpected-error', `channel: the helper's RemoteWaker.post threw ${reply.error}`);
              else if (!closedBefore && !model.closed) model.order.expect(0, op.count);
            },
            allowed: {},
          }).markDue('the helper thread carries out commands in order');
        }
        return true;
      }
      case 'chan.receive': {
        if (model === undefined) return skip(), true;
        const what = 'channel: receive()';
        const armed = ctx.aborts.make(op.abort);
        const call = attempt(() => model.channel.receive(armed.signal ? { signal: armed.signal } : {}));
        armed.afterCall();
        model.order.call(what, {}, call, {
          signal: armed.signal,
          closed: () => model.closed,
          afterValue: () => {
            if (op.abort === 'pre') ctx.violate('unexpected-result', `${what}: resolved although its signal was aborted before the call`);
          },
        });
        return true;
      }
      case 'chan.close': {
        if (model === undefined) return skip(), true;
        this.#close(model);
        return true;
      }
      default:
        return false;
    }
  }

  #close(model: Model): void {
    if (!model.closed) model.order.closing();
    model.closed = true;
    model.channel.close();
  }

  check(): void {
    if (this.#model !== undefined && !this.#model.closed) this.#model.order.watch();
  }

  async drain(): Promise<void> {
    await this.#ctx.flushHelper();
    const model = this.#model;
    if (model === undefined || model.closed) return;
    await model.order.drain('channel', () => attempt(() => model.channel.receive()), () => model.closed);
  }

  async close(): Promise<void> {
    if (this.#model === undefined) return;
    this.#close(this.#model);
    this.#model.waker?.close();
  }
}
