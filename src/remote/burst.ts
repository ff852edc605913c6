/**
 * One host's burst of changes: items join while any caller of the host is still writing, and when
 * none is in flight and none started in the last moment (the settle delay) one flush takes them
 * all, so one reload or one `daemon-reload` covers every change of a `pulumi up` on that host.
 */
export class Burst<Item> {
  private inFlight = 0;
  /** When the latest write started (performance.now()). */
  private lastStart = 0;
  private pending: Item[] = [];
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly flush: (batch: Item[]) => Promise<void>,
    private readonly settleMs: number,
  ) {}

  /** Runs one caller's write as part of the burst: no flush starts until it has returned. */
  async during<T>(write: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.lastStart = performance.now();
    try {
      return await write();
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  /** Queues an item for the next flush; call it from within `during`. */
  add(item: Item): void {
    this.pending.push(item);
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight > 0 || this.flushing || this.pending.length === 0) return;
    // A burst's writes start within moments of each other, so the wait counts from the latest
    // start: when that write's round trips outlasted it, the flush begins at once.
    const wait = Math.max(0, this.lastStart + this.settleMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inFlight > 0 || this.flushing) return;
      const batch = this.pending.splice(0);
      this.flushing = true;
      void this.flush(batch).finally(() => {
        this.flushing = false;
        this.schedule();
      });
    }, wait);
  }
}
