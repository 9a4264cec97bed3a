/**
 * The buffer between a recorder and a consumer that may be slow for a while (whisper decoding a final): bounded,
 * and when full it drops the oldest item, because late audio is worth less than current audio. Drops are counted.
 * The recorder is never made to wait: a blocked pipe would make the sound server drop audio silently instead.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;
  /** Items dropped because the queue was full. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('a queue holds at least one item');
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds an item; returns the item dropped to make room, if any. */
  push(item: T): T | undefined {
    let dropped: T | undefined;
    if (this.length >= this.capacity) {
      dropped = this.items[this.head++];
      this.dropped++;
    }
    this.items.push(item);
    this.compact();
    this.wake();
    return dropped;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T;
    this.compact();
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /** Resolves when an item is there, or when `signal` aborts, or on wake(). */
  wait(signal: AbortSignal): Promise<void> {
    if (this.length > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        if (this.waiter === done) this.waiter = undefined;
        resolve();
      };
      this.waiter = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Releases a waiting consumer. */
  wake(): void {
    this.waiter?.();
  }

  private compact(): void {
    // Amortized O(1): drop the consumed prefix once it is as long as what is left.
    if (this.head > 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
