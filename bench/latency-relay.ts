/**
 * Network latency for the lab, whose kernel has no netem: a TCP relay in its own process that
 * delays every chunk by a fixed one-way delay in each direction (round trip = 2 × delay).
 *
 * Each chunk is stamped when it arrives and written on when its time has come, so the stream is a
 * delay line (bytes in order, throughput not limited by the delay) rather than a stream that
 * sleeps. Backpressure holds end to end: the relay stops reading one side while the chunks it
 * still holds for the other exceed a window, or while the other side does not drain.
 * A new connection costs a round trip before data flows, as TCP's handshake does: no byte leaves
 * the relay, in either direction, earlier than one round trip after it accepted the connection.
 *
 * One relay process serves every host (one listener per host, on loopback, ephemeral ports), so
 * every contender reaches a host through the same path. Its CPU is the network's: it is its own
 * process, not a descendant of any contender, and the benchmark charges it to no one.
 *
 * `startLatencyRelay` spawns this file; run directly, it serves the configuration in
 * `PXBENCH_RELAY_CONFIG`, prints `{"listening":[...]}` once ready, and on SIGTERM (or when its
 * stdin closes, as when the parent dies) closes everything and prints its counters.
 */
import { spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";

const CONFIG_VARIABLE = "PXBENCH_RELAY_CONFIG";
/** Bytes held per direction before the relay stops reading that side: a TCP window of sorts. */
export const RELAY_WINDOW_BYTES = 4 * 2 ** 20;
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RelayTarget {
  host: string;
  port: number;
}

export interface RelayEndpoint {
  address: string;
  port: number;
}

export interface RelayCounters {
  connections: number;
  /** Bytes written on, both directions. */
  bytes: number;
  /** Most bytes one direction of one connection held at once. */
  peakHeldBytes: number;
}

export interface LatencyRelay {
  readonly pid: number;
  readonly oneWayDelayMs: number;
  /** One per target, in the targets' order. */
  readonly endpoints: readonly RelayEndpoint[];
  /** Stops the relay process by pid and resolves to its counters. Safe to call twice. */
  stop(): Promise<RelayCounters>;
}

interface RelayConfig {
  oneWayDelayMs: number;
  listenAddress: string;
  targets: RelayTarget[];
}

/** Starts the relay process: one loopback listener per target, each forwarding to its target. */
export async function startLatencyRelay(options: {
  targets: readonly RelayTarget[];
  oneWayDelayMs: number;
  listenAddress?: string;
}): Promise<LatencyRelay> {
  if (!Number.isFinite(options.oneWayDelayMs) || options.oneWayDelayMs < 0)
    throw new Error(`oneWayDelayMs must be a number >= 0, got ${options.oneWayDelayMs}`);
  const config: RelayConfig = {
    oneWayDelayMs: options.oneWayDelayMs,
    listenAddress: options.listenAddress ?? "127.0.0.1",
    targets: [...options.targets],
  };
  const child = spawn(process.execPath, ["--import", "tsx", __filename], {
    cwd: path.resolve(__dirname, ".."),
    env: { ...process.env, [CONFIG_VARIABLE]: JSON.stringify(config), NODE_OPTIONS: "" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const lines: string[] = [];
  let partial = "";
  let onLine: (() => void) | undefined;
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    lines.push(...parts.filter(Boolean));
    onLine?.();
  });
  const nextLine = (what: string, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`the relay printed no ${what} in ${timeoutMs} ms`)), timeoutMs);
      void exited.then((code) => finish(new Error(`the relay exited (${code}) before printing ${what}`)));
      function finish(result: string | Error) {
        clearTimeout(timer);
        onLine = undefined;
        if (typeof result === "string") resolve(result);
        else reject(result);
      }
      onLine = () => {
        const line = lines.shift();
        if (line !== undefined) finish(line);
      };
      onLine();
    });

  let endpoints: RelayEndpoint[];
  try {
    endpoints = (JSON.parse(await nextLine("its endpoints", START_TIMEOUT_MS)) as { listening: RelayEndpoint[] })
      .listening;
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
  let stopping: Promise<RelayCounters> | undefined;
  return {
    pid: child.pid!,
    oneWayDelayMs: config.oneWayDelayMs,
    endpoints,
    stop: () =>
      (stopping ??= (async () => {
        const counters = nextLine("its counters", STOP_TIMEOUT_MS);
        process.kill(child.pid!, "SIGTERM");
        try {
          return JSON.parse(await counters) as RelayCounters;
        } finally {
          await exited;
        }
      })()),
  };
}

/** One direction of one connection: chunks wait out the delay in order, then go on. */
class DelayLine {
  private readonly held: { due: number; chunk: Buffer | undefined }[] = [];
  private heldBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;

  /**
   * @param sendableFrom monotonic time before which nothing leaves (the handshake's round trip)
   */
  constructor(
    private readonly source: net.Socket,
    private readonly destination: net.Socket,
    private readonly delayMs: number,
    private readonly sendableFrom: number,
    private readonly counters: RelayCounters,
  ) {
    source.on("data", (chunk: Buffer) => this.hold(chunk));
    // The end of the stream travels like data, so a half close arrives after the last bytes.
    source.on("end", () => this.hold(undefined));
    destination.on("drain", () => {
      this.waitingForDrain = false;
      this.forward();
    });
  }

  private hold(chunk: Buffer | undefined): void {
    this.held.push({ due: Math.max(performance.now(), this.sendableFrom) + this.delayMs, chunk });
    if (chunk) {
      this.heldBytes += chunk.length;
      this.counters.peakHeldBytes = Math.max(this.counters.peakHeldBytes, this.heldBytes);
      if (this.heldBytes >= RELAY_WINDOW_BYTES) this.source.pause();
    }
    this.forward();
  }

  /** Writes every chunk whose time has come, until the destination pushes back. */
  private forward(): void {
    while (!this.waitingForDrain && !this.destination.destroyed) {
      const next = this.held[0];
      if (!next) return;
      const wait = next.due - performance.now();
      if (wait > 0) {
        // Timers may fire a little early by the monotonic clock: the check above runs again.
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.forward();
        }, Math.ceil(wait));
        return;
      }
      this.held.shift();
      if (!next.chunk) {
        this.destination.end();
        return;
      }
      this.heldBytes -= next.chunk.length;
      this.counters.bytes += next.chunk.length;
      if (!this.destination.write(next.chunk)) this.waitingForDrain = true;
      if (this.source.isPaused() && this.heldBytes < RELAY_WINDOW_BYTES / 2) this.source.resume();
    }
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

function serve(config: RelayConfig): void {
  const counters: RelayCounters = { connections: 0, bytes: 0, peakHeldBytes: 0 };
  const open = new Set<{ sockets: net.Socket[]; lines: DelayLine[] }>();
  const servers = config.targets.map((target) =>
    net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
      counters.connections++;
      const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
      const handshakeDone = performance.now() + 2 * config.oneWayDelayMs;
      const pair = {
        sockets: [client, upstream],
        lines: [
          new DelayLine(client, upstream, config.oneWayDelayMs, handshakeDone, counters),
          new DelayLine(upstream, client, config.oneWayDelayMs, handshakeDone, counters),
        ],
      };
      open.add(pair);
      const closePair = () => {
        pair.lines.forEach((line) => line.stop());
        pair.sockets.forEach((socket) => socket.destroy());
        open.delete(pair);
      };
      // A reset or an error on either side ends both; clean ends travel through the delay lines.
      client.on("error", closePair);
      upstream.on("error", closePair);
      let closed = 0;
      const onClose = () => {
        if (++closed === 2) closePair();
      };
      client.on("close", onClose);
      upstream.on("close", onClose);
    }),
  );

  let listening = 0;
  for (const server of servers) {
    server.on("error", (error) => {
      process.stderr.write(`latency relay: ${error.message}\n`);
      process.exit(1);
    });
    server.listen({ host: config.listenAddress, port: 0 }, () => {
      if (++listening < servers.length) return;
      const endpoints = servers.map((each) => {
        const address = each.address() as net.AddressInfo;
        return { address: address.address, port: address.port };
      });
      process.stdout.write(`${JSON.stringify({ listening: endpoints })}\n`);
    });
  }

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    servers.forEach((server) => server.close());
    for (const pair of open) {
      pair.lines.forEach((line) => line.stop());
      pair.sockets.forEach((socket) => socket.destroy());
    }
    process.stdout.write(`${JSON.stringify(counters)}\n`, () => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The parent holds our stdin: when it goes away, so do we.
  process.stdin.on("end", stop).resume();
}

if (require.main === module) {
  const text = process.env[CONFIG_VARIABLE];
  if (!text) {
    process.stderr.write(`latency relay: ${CONFIG_VARIABLE} is not set; start it with startLatencyRelay\n`);
    process.exit(2);
  }
  serve(JSON.parse(text) as RelayConfig);
}
