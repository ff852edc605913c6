/**
 * One SSH connection per identity (host, port, user, credentials, host-key trust, and the same
 * for the proxy) per pool, shared by every operation.
 *
 * Why: sshd drops unauthenticated connections beyond `MaxStartups` (10 by default) and refuses
 * channels beyond `MaxSessions` (10) per connection, while Pulumi runs resources with unbounded
 * parallelism. So concurrent first users of a host wait on the same dial, and commands wait in a
 * FIFO queue for one of a capped number of channels.
 */
import * as net from "node:net";
import type { Duplex } from "node:stream";

import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";

import { RemoteError } from "../errors";
import { hostKeyCheckFor, type HostKeyDecision } from "./host-key-check";
import type { ResolvedConnection } from "./target";

export interface PoolOptions {
  /**
   * Channels (commands) open at once on one connection; the rest wait in turn. Default: 5 (see DEFAULT_MAX_CHANNELS).
   */
  maxChannelsPerConnection?: number;
  /** A connection with nothing to do is closed after this many milliseconds. Default: 60000. */
  idleCloseMs?: number;
  /** Wait before the second dial attempt; doubles for each next one, up to 2 s. Default: 200. */
  dialBackoffMs?: number;
  /**
   * Receives warnings, such as a host key accepted unchecked (`hostKeyChecking: "off"`). Default:
   * `process.emitWarning` with code `PULUMI_XINETD_HOST_KEY_UNCHECKED` (printed on stderr; a
   * program or provider can forward it with `process.on("warning", …)`).
   */
  warn?: (message: string) => void;
}

export const HOST_KEY_UNCHECKED_WARNING = "PULUMI_XINETD_HOST_KEY_UNCHECKED";

/** Counters for one `user@host:port`, for tests and benchmarks. */
export interface HostStats {
  /** Dial attempts, successful or not. */
  dials: number;
  /** Channels opened (round trips): one per command, plus one per connection tunneled through this host. */
  channels: number;
  /** Channel opens the server refused (each retried; see the runner). */
  refusedChannels: number;
  /** Command channel slots in use now. */
  activeChannels: number;
  /** The most command channel slots ever in use at once: never above the pool's cap. */
  maxConcurrentChannels: number;
  /** Connections to this host open now (one per distinct identity: credentials, host-key trust, proxy). */
  openConnections: number;
}

/** A command channel slot on a live connection, held until `release`. */
export interface Lease {
  connection: PooledConnection;
  release(): void;
}

// sshd frees a closed session only after reading the packets that came with the close, so at 8-10
// channels it refuses some opens although fewer are open (measured: 31-56 refusals per 300 quick
// commands at 8, none at 5, same throughput). Refused opens are retried, but each costs a round trip.
const DEFAULT_MAX_CHANNELS = 5;
// Long enough that no host logs in twice in one run, even when a saturated controller leaves a
// connection idle for seconds between a host's operations (measured at 2 s: 1.5 logins per host).
// An idle connection holds no process open: its socket is unref'd.
const DEFAULT_IDLE_CLOSE_MS = 60_000;
const DEFAULT_DIAL_BACKOFF_MS = 200;
const MAX_DIAL_BACKOFF_MS = 2_000;
// ssh2's handshake error when the server has no key of the types asked for.
const NO_MATCHING_HOST_KEY = /no matching host key/i;
// A connection that breaks while a command waits for a slot is redialed this many times at most.
const LEASE_ATTEMPTS = 3;

interface PoolEntry {
  dialing: Promise<PooledConnection>;
  connection?: PooledConnection;
}

export class ConnectionPool {
  readonly maxChannelsPerConnection: number;
  readonly idleCloseMs: number;
  private readonly dialBackoffMs: number;
  private readonly warn: (message: string) => void;
  private readonly entries = new Map<string, PoolEntry>();
  /** Known_hosts lines of keys trusted on first use, by connection key. */
  private readonly acceptedOnFirstUse = new Map<string, string>();
  private readonly statsByLabel = new Map<string, HostStats>();

  constructor(options: PoolOptions = {}) {
    this.maxChannelsPerConnection = options.maxChannelsPerConnection ?? DEFAULT_MAX_CHANNELS;
    this.idleCloseMs = options.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
    this.dialBackoffMs = options.dialBackoffMs ?? DEFAULT_DIAL_BACKOFF_MS;
    this.warn = options.warn ?? ((message) => process.emitWarning(message, { code: HOST_KEY_UNCHECKED_WARNING }));
    if (!Number.isInteger(this.maxChannelsPerConnection) || this.maxChannelsPerConnection < 1) {
      throw new RangeError(`maxChannelsPerConnection must be a positive integer, got ${this.maxChannelsPerConnection}`);
    }
  }

  /** The counters of `user@host:port` (zeros for a host never used). A live object: it keeps counting. */
  stats(label: string): HostStats {
    let stats = this.statsByLabel.get(label);
    if (!stats) {
      stats = {
        dials: 0,
        channels: 0,
        refusedChannels: 0,
        activeChannels: 0,
        maxConcurrentChannels: 0,
        openConnections: 0,
      };
      this.statsByLabel.set(label, stats);
    }
    return stats;
  }

  /** Waits for a command channel slot on the target's connection, dialing it if needed. */
  async lease(target: ResolvedConnection): Promise<Lease> {
    for (let attempt = 1; ; attempt++) {
      const connection = await this.connection(target);
      if (await connection.acquire()) {
        let released = false;
        return {
          connection,
          release: () => {
            if (released) return;
            released = true;
            connection.release();
          },
        };
      }
      if (attempt >= LEASE_ATTEMPTS) {
        throw new RemoteError({
          code: "connection-lost",
          host: target.label,
          command: "connect",
          summary: `the connection broke ${attempt} times while waiting for a free channel`,
          secrets: target.secrets,
        });
      }
    }
  }

  /**
   * The known_hosts line of the key the target's host is trusted by under `accept-new`: the one
   * this pool accepted on first use, else the one the target brought along. Undefined otherwise.
   */
  acceptedHostKey(target: ResolvedConnection): string | undefined {
    if (target.trust.policy !== "accept-new" && target.trust.policy !== "strict") return undefined;
    return this.acceptedOnFirstUse.get(target.key) ?? target.trust.accepted?.line;
  }

  /** Closes every connection of the pool (and waits for dials under way, to close them too). */
  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      entries.map(async (entry) => {
        try {
          (await entry.dialing).end();
        } catch {
          // A dial that failed left nothing to close.
        }
      }),
    );
  }

  /** The live connection for the target, or the dial every concurrent caller shares. */
  private connection(target: ResolvedConnection): Promise<PooledConnection> {
    const existing = this.entries.get(target.key);
    if (existing && !existing.connection?.closed) return existing.dialing;
    const entry: PoolEntry = { dialing: this.dial(target) };
    this.entries.set(target.key, entry);
    entry.dialing.then(
      (connection) => {
        entry.connection = connection;
        if (connection.closed) this.forget(connection);
      },
      () => {
        if (this.entries.get(target.key) === entry) this.entries.delete(target.key);
      },
    );
    return entry.dialing;
  }

  /** Called by a connection that closed, so the next operation dials anew. */
  forget(connection: PooledConnection): void {
    const entry = this.entries.get(connection.target.key);
    if (entry?.connection === connection) this.entries.delete(connection.target.key);
  }

  /** Up to `maxDialAttempts` attempts; authentication and host key failures are final at once. */
  private async dial(target: ResolvedConnection): Promise<PooledConnection> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= target.maxDialAttempts; attempt++) {
      if (attempt > 1) await sleep(Math.min(this.dialBackoffMs * 2 ** (attempt - 2), MAX_DIAL_BACKOFF_MS));
      try {
        return await this.dialOnce(target);
      } catch (error) {
        if (error instanceof RemoteError) throw error;
        lastError = error as Error;
      }
    }
    const attempts = target.maxDialAttempts === 1 ? "1 attempt" : `${target.maxDialAttempts} attempts`;
    const via = target.proxy ? ` via ${target.proxy.label}` : "";
    throw new RemoteError({
      code: "dial-failed",
      host: target.label,
      command: "connect",
      summary: `could not connect${via} after ${attempts} ${perDialLimitText(target)}: ${lastError?.message}`,
      cause: lastError,
      secrets: target.secrets,
    });
  }

  /**
   * One attempt, bounded by `perDialTimeoutMs` from the TCP connect (or tunnel request) to an
   * authenticated session. Rejects with a plain Error when another attempt may succeed, with a
   * RemoteError when it cannot.
   */
  private async dialOnce(target: ResolvedConnection): Promise<PooledConnection> {
    const bastion = target.proxy ? await this.connection(target.proxy) : undefined;
    const hostKeyCheck = await hostKeyCheckFor(target);
    this.stats(target.label).dials++;
    bastion?.holdForDial(+1);
    try {
      return await new Promise<PooledConnection>((resolve, reject) => {
        const client = new Client();
        let socket: Duplex | undefined;
        let decision: HostKeyDecision | undefined;
        let finished = false;

        const fail = (error: Error) => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          client.removeAllListeners();
          client.on("error", () => {});
          client.end();
          socket?.destroy();
          reject(error);
        };
        const timer = hasDialTimeout(target)
          ? setTimeout(
              () => fail(new Error(`no SSH session within ${target.perDialTimeoutMs / 1000} s`)),
              target.perDialTimeoutMs,
            )
          : undefined;

        client.once("ready", () => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          client.removeAllListeners();
          if (decision?.accepted && decision.acceptedOnFirstUse)
            this.acceptedOnFirstUse.set(target.key, decision.acceptedOnFirstUse);
          if (decision?.accepted && decision.warning) this.warn(decision.warning);
          resolve(
            new PooledConnection(this, target, client, socket instanceof net.Socket ? socket : undefined, bastion),
          );
        });
        client.on("error", (error: Error & { level?: string }) => {
          if (decision && !decision.accepted) fail(decision.error);
          else if (!decision && hostKeyCheck.noKnownType && NO_MATCHING_HOST_KEY.test(error.message))
            fail(hostKeyCheck.noKnownType());
          else fail(classifyDialError(target, error));
        });
        client.on("close", () => fail(new Error("the server closed the connection before the session was ready")));

        const config: ConnectConfig = {
          host: target.host,
          port: target.port,
          username: target.user,
          // Our own timer bounds the whole attempt; ssh2's would only cover part of it.
          readyTimeout: 0,
          // A keepalive timer would hold the process open while the connection idles.
          keepaliveInterval: 0,
          // ssh2 would try the `none` method first, a round trip that fails whenever credentials are
          // needed: the methods ssh2 tries, in its order, without it.
          authHandler: authMethodsOf(target),
          hostVerifier: (key: Buffer) => {
            decision = hostKeyCheck.decide(key);
            return decision.accepted;
          },
          ...(hostKeyCheck.algorithms && {
            algorithms: { serverHostKey: hostKeyCheck.algorithms as ServerHostKeyAlgorithm[] },
          }),
          ...(target.password !== undefined && { password: target.password }),
          ...(target.privateKey !== undefined && { privateKey: target.privateKey }),
          ...(target.privateKeyPassword !== undefined && { passphrase: target.privateKeyPassword }),
          ...(target.agentSocketPath !== undefined && { agent: target.agentSocketPath }),
        };
        const start = (stream: Duplex) => {
          if (finished) {
            stream.destroy();
            return;
          }
          socket = stream;
          try {
            client.connect({ ...config, sock: stream });
          } catch (error) {
            fail(
              new RemoteError({
                code: "invalid-connection-args",
                host: target.label,
                command: "connect",
                summary: `the connection arguments are unusable: ${(error as Error).message}`,
                cause: error,
                secrets: target.secrets,
              }),
            );
          }
        };
        if (bastion) {
          bastion.openTunnel(target.host, target.port).then(start, (error: Error) => fail(error));
        } else {
          start(net.connect({ host: target.host, port: target.port }));
        }
      });
    } finally {
      bastion?.holdForDial(-1);
    }
  }
}

/**
 * One authenticated SSH connection: counts its channel slots, queues the commands beyond the cap,
 * closes itself when idle, and keeps the process alive only while it has work.
 */
export class PooledConnection {
  closed = false;
  private activeChannels = 0;
  private dialsThrough = 0;
  private readonly waiting: Array<(acquired: boolean) => void> = [];
  private readonly tunneled = new Set<PooledConnection>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: ConnectionPool,
    readonly target: ResolvedConnection,
    readonly client: Client,
    /** The TCP socket; undefined for a connection tunneled through `bastion`. */
    private readonly socket: net.Socket | undefined,
    private readonly bastion: PooledConnection | undefined,
  ) {
    client.on("error", () => this.markClosed());
    client.on("close", () => this.markClosed());
    bastion?.tunneled.add(this);
    pool.stats(target.label).openConnections++;
    this.settle();
  }

  /** Resolves true with a slot taken, or false when the connection closed first. */
  acquire(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.activeChannels < this.pool.maxChannelsPerConnection) {
      this.take();
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.activeChannels--;
    this.pool.stats(this.target.label).activeChannels--;
    const next = this.waiting.shift();
    if (next) {
      this.take();
      next(true);
    }
    this.settle();
  }

  countChannel(outcome: "opened" | "refused"): void {
    const stats = this.pool.stats(this.target.label);
    if (outcome === "opened") stats.channels++;
    else stats.refusedChannels++;
  }

  /** A `direct-tcpip` channel to `host:port` from this connection's server, to dial another host through. */
  openTunnel(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut("127.0.0.1", 0, host, port, (error, stream) => {
        this.countChannel(error ? "refused" : "opened");
        if (error)
          reject(new Error(`${this.target.label} could not open a tunnel to ${host}:${port}: ${error.message}`));
        else resolve(stream);
      });
    });
  }

  /** Keeps this (bastion) connection open while a dial through it is under way. */
  holdForDial(delta: 1 | -1): void {
    this.dialsThrough += delta;
    this.settle();
  }

  end(): void {
    this.markClosed();
    this.client.end();
  }

  private take(): void {
    this.activeChannels++;
    const stats = this.pool.stats(this.target.label);
    stats.activeChannels++;
    stats.maxConcurrentChannels = Math.max(stats.maxConcurrentChannels, stats.activeChannels);
    this.settle();
  }

  private get busy(): boolean {
    return this.activeChannels > 0 || this.dialsThrough > 0 || [...this.tunneled].some((tunnel) => tunnel.busy);
  }

  /** Refs the socket while there is work (so the process waits for it), and arms the idle close. */
  private settle(): void {
    if (this.closed) return;
    if (this.busy) this.socket?.ref();
    else this.socket?.unref();
    this.bastion?.settle();
    const idle = this.activeChannels === 0 && this.dialsThrough === 0 && this.tunneled.size === 0;
    if (idle && !this.idleTimer) {
      this.idleTimer = setTimeout(() => this.end(), this.pool.idleCloseMs);
      this.idleTimer.unref();
    } else if (!idle && this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.pool.forget(this);
    this.pool.stats(this.target.label).openConnections--;
    for (const waiter of this.waiting.splice(0)) waiter(false);
    if (this.bastion) {
      this.bastion.tunneled.delete(this);
      this.bastion.settle();
    }
  }
}

function classifyDialError(target: ResolvedConnection, error: Error & { level?: string }): Error {
  if (error.level === "client-authentication") {
    const offered = [
      target.privateKey !== undefined && "private key",
      target.password !== undefined && "password",
      target.agentSocketPath !== undefined && "agent",
    ].filter(Boolean);
    return new RemoteError({
      code: "auth-failed",
      host: target.label,
      command: "connect",
      summary:
        `authentication as ${target.user} failed: the server accepted none of the credentials given ` +
        `(${offered.join(", ")})`,
      cause: error,
      secrets: target.secrets,
    });
  }
  return error;
}

/** The methods ssh2 would try for the target's credentials, in ssh2's order, less `none`. */
function authMethodsOf(target: ResolvedConnection): Array<"password" | "publickey" | "agent"> {
  return [
    ...(target.password !== undefined ? (["password"] as const) : []),
    ...(target.privateKey !== undefined ? (["publickey"] as const) : []),
    ...(target.agentSocketPath !== undefined ? (["agent"] as const) : []),
  ];
}

/** Node's timers hold at most 2^31-1 ms (24.8 days); a longer `perDialTimeout` waits as 0 (no limit) does. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether an attempt is bounded: `perDialTimeout` 0 means no limit, as in @pulumi/command. */
function hasDialTimeout(target: ResolvedConnection): boolean {
  return target.perDialTimeoutMs > 0 && target.perDialTimeoutMs <= MAX_TIMER_MS;
}

function perDialLimitText(target: ResolvedConnection): string {
  return hasDialTimeout(target) ? `of at most ${target.perDialTimeoutMs / 1000} s` : "without a time limit";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
