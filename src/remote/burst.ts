/**
 * One host's burst of changes: items join while any caller of the host is still writing, and when
 * none is in flight (after a short settle delay) one flush takes them all, so one reload or one
 * `daemon-reload` covers every change of a `pulumi up` on that host.
 */
export class Burst<Item> {
  private inFlight = 0;
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
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inFlight > 0 || this.flushing) return;
      const batch = this.pending.splice(0);
      this.flushing = true;
      void this.flush(batch).finally(() => {
        this.flushing = false;
        this.schedule();
      });
    }, this.settleMs);
  }
}
