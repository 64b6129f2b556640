// TimerHeap: the scheduler's deadlines, a binary min-heap ordered by (deadline, insertion order),
// so timers with equal deadlines fire in the order they were set. Each entry knows its index,
// which makes cancellation O(log n) instead of a scan.

export interface Timer {
  readonly deadline: number;
  /** Called when the deadline has passed. */
  readonly fire: () => void;
  /** Called instead of `fire` when the scheduler closes with the timer pending. */
  readonly fail: (error: Error) => void;
  /** Nobody awaits it (a deadline signal's timer): it does not keep a guest reactor's process alive. */
  readonly weak?: boolean;
}

interface Entry extends Timer {
  readonly seq: number;
  index: number;
}

export class TimerHeap {
  readonly #heap: Entry[] = [];
  #seq = 0;
  #weak = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** Timers that are not `weak`. */
  get awaited(): number {
    return this.#heap.length - this.#weak;
  }

  /** The earliest deadline, or Infinity when empty. */
  nextDeadline(): number {
    return this.#heap[0]?.deadline ?? Infinity;
  }

  insert(timer: Timer): Timer {
    const entry: Entry = { ...timer, seq: this.#seq++, index: this.#heap.length };
    this.#heap.push(entry);
    this.#up(entry.index);
    if (entry.weak === true) this.#weak++;
    return entry;
  }

  /** Removes a timer returned by `insert`; false if it already fired or was removed. */
  remove(timer: Timer): boolean {
    const entry = timer as Entry;
    const i = entry.index;
    if (i < 0 || this.#heap[i] !== entry) return false;
    const last = this.#heap.pop()!;
    entry.index = -1;
    if (entry.weak === true) this.#weak--;
    if (last !== entry) {
      this.#heap[i] = last;
      last.index = i;
      this.#down(i);
      this.#up(last.index);
    }
    return true;
  }

  /** Removes and returns the earliest timer whose deadline is ≤ now, if any. */
  popExpired(now: number): Timer | undefined {
    const top = this.#heap[0];
    if (top === undefined || top.deadline > now) return undefined;
    this.remove(top);
    return top;
  }

  /** Removes and returns every timer. */
  drain(): Timer[] {
    const all = this.#heap.splice(0);
    for (const entry of all) entry.index = -1;
    this.#weak = 0;
    return all;
  }

  #less(a: Entry, b: Entry): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  #swap(i: number, j: number): void {
    const a = this.#heap[i]!;
    const b = this.#heap[j]!;
    this.#heap[i] = b;
    this.#heap[j] = a;
    a.index = j;
    b.index = i;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(this.#heap[i]!, this.#heap[parent]!)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#heap.length;
    // ends: i moves to a child each pass (2i + 1 at least), so within log2(n) passes it has none
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.#less(this.#heap[left]!, this.#heap[smallest]!)) smallest = left;
      if (right < n && this.#less(this.#heap[right]!, this.#heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
