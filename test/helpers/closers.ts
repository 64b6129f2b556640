// What a test opened and must close at its end, whatever happens: `own(x)` returns x and
// remembers it; `closeAll()` closes everything in reverse order of owning (streams before the
// listener they came from). `closedAfterEach` does it after each test of a block, then closes the
// test's reactor.
import { afterEach } from 'vitest';

export interface Closable {
  close(): unknown;
}

export class Closers {
  readonly #owned: Closable[] = [];

  readonly own = <T extends Closable>(x: T): T => {
    this.#owned.push(x);
    return x;
  };

  closeAll(): void {
    for (const x of this.#owned.splice(0).reverse()) x.close();
  }
}

/**
 * For a describe block whose tests each make a reactor (`reactor()` reads the block's variable):
 * `own` what a test opens; after each test it is closed, newest first, and then the reactor.
 */
export function closedAfterEach(reactor: () => { close(): Promise<void> } | undefined): Closers['own'] {
  const closers = new Closers();
  afterEach(async () => {
    closers.closeAll();
    await reactor()?.close();
  });
  return closers.own;
}
