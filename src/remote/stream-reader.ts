import type { Readable } from "node:stream";

/**
 * Pulls framed pieces (a line, then exactly N bytes, then the rest) out of a stream that is still
 * open: a change script sends the current file, then waits for the caller's answer on the same
 * channel, so the caller cannot wait for the stream to end before reading.
 */
export class StreamReader {
  private buffered = Buffer.alloc(0);
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(stream: Readable) {
    stream.on("data", (chunk: Buffer | string) => {
      this.buffered = Buffer.concat([this.buffered, typeof chunk === "string" ? Buffer.from(chunk) : chunk]);
      this.notify();
    });
    stream.on("end", () => this.finish());
    stream.on("close", () => this.finish());
    stream.on("error", (error: Error) => {
      this.failure = error;
      this.finish();
    });
  }

  /** The next line without its newline; rejects when the stream ends first. */
  async readLine(): Promise<string> {
    for (;;) {
      const newline = this.buffered.indexOf(0x0a);
      if (newline >= 0)
        return this.take(newline + 1)
          .subarray(0, newline)
          .toString("utf8");
      await this.more("a line");
    }
  }

  /** Exactly `count` bytes; rejects when the stream ends first. */
  async readBytes(count: number): Promise<Buffer> {
    while (this.buffered.length < count) await this.more(`${count} bytes`);
    return this.take(count);
  }

  /** Everything until the stream ends. */
  async readRest(): Promise<Buffer> {
    while (!this.ended) await this.wait();
    return this.take(this.buffered.length);
  }

  private take(count: number): Buffer {
    const piece = this.buffered.subarray(0, count);
    this.buffered = this.buffered.subarray(count);
    return piece;
  }

  private async more(what: string): Promise<void> {
    if (this.ended) {
      const cause = this.failure ? `: ${this.failure.message}` : "";
      throw new Error(`the remote script's output ended before ${what} arrived${cause}`);
    }
    await this.wait();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private finish(): void {
    this.ended = true;
    this.notify();
  }
}
