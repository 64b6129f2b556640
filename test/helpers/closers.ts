// What a test opened and must close at its end, whatever happens: `own(x)` returns x and
// remembers it; `closeAll()` closes everything in reverse order of owning (streams before the
// listener they came from).

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
