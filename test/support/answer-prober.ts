// A client that asks an rsync daemon for its greeting every few milliseconds, to measure how long a
// service stops answering while something changes under it (the launcher switch).
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface AnswerGap {
  /** The longest time from the end of an answered attempt to the start of the next answered one, in ms. */
  longestMs: number;
  attempts: number;
  unanswered: number;
}

/** One attempt: resolves true when the server sends rsync's greeting (`@RSYNCD:`) within `timeoutMs`. */
export function greets(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = "";
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.startsWith("@RSYNCD:")) done(true);
      else if (received.length >= 8) done(false);
    });
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
  });
}

/** Starts probing every `everyMs`; `stop()` ends it and gives the gap seen. */
export function startProber(host: string, port: number, everyMs = 5): { stop(): Promise<AnswerGap> } {
  let running = true;
  let attempts = 0;
  let unanswered = 0;
  let longestMs = 0;
  let lastAnsweredEnd: number | undefined;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      const answered = await greets(host, port);
      attempts++;
      if (answered) {
        if (lastAnsweredEnd !== undefined) longestMs = Math.max(longestMs, start - lastAnsweredEnd);
        lastAnsweredEnd = performance.now();
      } else unanswered++;
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { longestMs: Math.round(longestMs), attempts, unanswered };
    },
  };
}
