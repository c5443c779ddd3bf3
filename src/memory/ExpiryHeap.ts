// A binary min-heap of (expiry, item) used to find expired sessions without scanning. Nodes are never
// updated in place: the caller recognises stale nodes when they surface, and may push again from `onDue`.

export class ExpiryHeap<T> {
  #at: number[] = [];
  #items: T[] = [];

  get size(): number {
    return this.#at.length;
  }

  push(at: number, item: T): void {
    this.#at.push(at);
    this.#items.push(item);
    this.#up(this.#at.length - 1);
  }

  /**
   * Pops every node with expiry ≤ `now`, calling `onDue` for each. `onDue` may push; a node it pushes with
   * expiry ≤ `now` is popped in the same call.
   */
  popDue(now: number, onDue: (item: T, at: number) => void): void {
    while (this.#at.length > 0 && (this.#at[0] as number) <= now) {
      const at = this.#at[0] as number;
      const item = this.#items[0] as T;
      this.#removeTop();
      onDue(item, at);
    }
  }

  /** Replaces the content with the given nodes in O(n). */
  rebuild(nodes: Iterable<[number, T]>): void {
    this.#at = [];
    this.#items = [];
    for (const [at, item] of nodes) {
      this.#at.push(at);
      this.#items.push(item);
    }
    for (let i = (this.#at.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  #removeTop(): void {
    const lastAt = this.#at.pop() as number;
    const lastItem = this.#items.pop() as T;
    if (this.#at.length === 0) return;
    this.#at[0] = lastAt;
    this.#items[0] = lastItem;
    this.#down(0);
  }

  #swap(i: number, j: number): void {
    const at = this.#at[i] as number;
    this.#at[i] = this.#at[j] as number;
    this.#at[j] = at;
    const item = this.#items[i] as T;
    this.#items[i] = this.#items[j] as T;
    this.#items[j] = item;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.#at[parent] as number) <= (this.#at[i] as number)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#at.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && (this.#at[left] as number) < (this.#at[smallest] as number)) smallest = left;
      if (right < n && (this.#at[right] as number) < (this.#at[smallest] as number)) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
