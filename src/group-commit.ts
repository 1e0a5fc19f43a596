// Group commit: writes that arrive while one is in flight go to Postgres together, as one
// statement, when it returns. An idle process writes at once (no added wait); a busy one writes
// many rows per statement instead of one statement per row. A batch may answer each item
// (`write` returns one result per item, in order), as the rate limiter's takes need.

export class GroupCommit<T, R = void> {
  private queue: { item: T; resolve: (result: R) => void; reject: (err: unknown) => void }[] = [];
  private draining = false;

  constructor(
    private readonly write: (items: T[]) => Promise<R[] | unknown>,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves once `item` is written, with its result (rejects when its batch failed). */
  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      // items added in the same turn of the event loop join the first batch
      await new Promise((r) => setImmediate(r));
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.write(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve((Array.isArray(results) ? results[i] : undefined) as R));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
