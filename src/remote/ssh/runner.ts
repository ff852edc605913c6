/** `CommandRunner` over a pooled SSH connection: one channel per command. */
import { Transform } from "node:stream";

import type { ClientChannel } from "ssh2";

import { RemoteError, summarizeCommand, type Secret } from "../errors";
import { bootstrapCommandLine, bootstrapPreamble, DEFAULT_TIME_LIMIT_MS } from "../bootstrap";
import type { CommandRunner, RemoteProcess, RunOptions, RunResult, SpawnOptions } from "../transport";
import type { ConnectionPool, Lease } from "./pool";
import type { ResolvedConnection } from "./target";

// What `spawn` keeps of stderr for `done` and for errors, since the caller consumes the stream.
const SPAWN_STDERR_KEPT_BYTES = 64 * 1024;
// Refused channel opens are retried after 10, 20, 40, 80, 160 ms.
const CHANNEL_OPEN_ATTEMPTS = 6;
const CHANNEL_RETRY_BASE_MS = 10;
const SUDO_WANTS_PASSWORD = /^sudo: (?:a password is required|a terminal is required)/m;

/**
 * The command line sent to the server: a constant that any login shell runs as `sh -c` (see
 * bootstrap.ts); the script follows on stdin. The server stops a script at its time limit itself
 * (coreutils `timeout`): ssh2 cannot send a signal once stdin is ended, and closing a channel
 * does not stop its process.
 */
export function remoteCommandLine(sudo: boolean): string {
  return bootstrapCommandLine(sudo);
}

export class SshCommandRunner implements CommandRunner {
  readonly label: string;
  readonly identity: string;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly target: ResolvedConnection,
    private readonly sudo: boolean,
  ) {
    this.label = target.label;
    this.identity = JSON.stringify({ connection: target.key, sudo });
  }

  async run(script: string, options: RunOptions = {}): Promise<RunResult> {
    const secrets: Secret[] = [...this.target.secrets, ...(options.secretStdin ? [options.stdin] : [])];
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIME_LIMIT_MS;
    const preamble = bootstrapPreamble(script, timeoutMs);
    const { lease, channel, exit, closed } = await this.start(script);
    return new Promise<RunResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const collected = (): RunResult => ({
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        exitCode: exit.code,
        signal: exit.signal,
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // Reject now; the server's `timeout` stops the command, and the slot is freed when the
        // server confirms the channel's close.
        reject(this.error("timeout", script, `command timed out after ${timeoutMs} ms`, collected(), secrets));
        channel.close();
      }, timeoutMs);

      channel.on("data", (chunk: Buffer) => stdout.push(chunk));
      channel.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      void closed.then(() => {
        clearTimeout(timer);
        lease.release();
        if (timedOut) return;
        const result = collected();
        const failure = this.transportFailure(lease, script, result, secrets);
        if (failure) reject(failure);
        else resolve(result);
      });
      channel.end(options.stdin === undefined ? preamble : Buffer.concat([preamble, Buffer.from(options.stdin)]));
    });
  }

  async spawn(script: string, options: SpawnOptions = {}): Promise<RemoteProcess> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIME_LIMIT_MS;
    const preamble = bootstrapPreamble(script, timeoutMs);
    const { lease, channel, exit, closed } = await this.start(script);
    let timedOut = false;
    // The caller drives the exchange; this bounds it however the caller behaves.
    const timer = setTimeout(() => {
      timedOut = true;
      channel.close();
    }, timeoutMs);
    let keptStderr = Buffer.alloc(0);
    const stderr = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        keptStderr = Buffer.concat([keptStderr, chunk]);
        if (keptStderr.length > SPAWN_STDERR_KEPT_BYTES) keptStderr = keptStderr.subarray(-SPAWN_STDERR_KEPT_BYTES);
        callback(null, chunk);
      },
    });
    channel.stderr.pipe(stderr);
    const done = closed.then(() => {
      clearTimeout(timer);
      lease.release();
      const result: RunResult = {
        stdout: "",
        stderr: keptStderr.toString("utf8"),
        exitCode: exit.code,
        signal: exit.signal,
      };
      if (timedOut)
        throw this.error("timeout", script, `command timed out after ${timeoutMs} ms`, result, this.target.secrets);
      const failure = this.transportFailure(lease, script, result, this.target.secrets);
      if (failure) throw failure;
      return result;
    });
    channel.write(preamble);
    return { stdin: channel, stdout: channel, stderr, done };
  }

  /** Takes a channel slot and opens the command's channel in it. */
  private async start(script: string): Promise<OpenedChannel & { lease: Lease }> {
    const lease = await this.pool.lease(this.target);
    try {
      return { lease, ...(await this.openChannel(lease, script)) };
    } catch (error) {
      lease.release();
      throw error;
    }
  }

  /**
   * Opens the command's channel. sshd frees a closed session only after it has read the next
   * packets, so a channel opened just as another closes may be refused although the cap keeps us
   * below MaxSessions: a refused open (the command never started) is retried a few times.
   */
  private async openChannel(lease: Lease, script: string): Promise<OpenedChannel> {
    for (let attempt = 1; ; attempt++) {
      try {
        const channel = await execChannel(lease, remoteCommandLine(this.sudo));
        lease.connection.countChannel("opened");
        return channel;
      } catch (error) {
        if (lease.connection.closed) {
          throw this.error(
            "connection-lost",
            script,
            "the connection broke before the command started",
            undefined,
            this.target.secrets,
            error,
          );
        }
        lease.connection.countChannel("refused");
        if (attempt >= CHANNEL_OPEN_ATTEMPTS) {
          throw this.error(
            "channel-failed",
            script,
            `the server refused a channel ${attempt} times: ${(error as Error).message}`,
            undefined,
            this.target.secrets,
            error,
          );
        }
        await sleep(CHANNEL_RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
  }

  /** The error a finished channel stands for, if any: a broken connection, or sudo wanting a password. */
  private transportFailure(
    lease: Lease,
    script: string,
    result: RunResult,
    secrets: readonly Secret[],
  ): RemoteError | undefined {
    if (result.exitCode === null && result.signal === null && lease.connection.closed) {
      return this.error("connection-lost", script, "the connection broke while the command ran", result, secrets);
    }
    if (this.sudo && result.exitCode === 1 && SUDO_WANTS_PASSWORD.test(result.stderr)) {
      return this.error(
        "sudo-needs-password",
        script,
        `sudo wants a password for ${this.target.user}; give this user passwordless sudo (NOPASSWD in ` +
          `/etc/sudoers.d) or connect as root`,
        result,
        secrets,
      );
    }
    return undefined;
  }

  private error(
    code: "timeout" | "connection-lost" | "channel-failed" | "sudo-needs-password",
    script: string,
    what: string,
    result: RunResult | undefined,
    secrets: readonly Secret[],
    cause?: unknown,
  ): RemoteError {
    return new RemoteError({
      code,
      host: this.label,
      command: script,
      summary: `${what}: ${summarizeCommand(script)}`,
      ...(result && { exitCode: result.exitCode, signal: result.signal, stdout: result.stdout, stderr: result.stderr }),
      cause,
      secrets,
    });
  }
}

interface OpenedChannel {
  channel: ClientChannel;
  /** Filled in when the server reports how the command ended. */
  exit: { code: number | null; signal: string | null };
  /** Settles when the channel has closed. */
  closed: Promise<void>;
}

/**
 * Opens a channel running `commandLine`. The exit and close listeners are attached within ssh2's
 * callback: a quick command's exit status can arrive in the same packet batch as the exec reply,
 * and is emitted before any code awaiting this promise could listen.
 */
function execChannel(lease: Lease, commandLine: string): Promise<OpenedChannel> {
  return new Promise((resolve, reject) => {
    lease.connection.client.exec(commandLine, (error, channel) => {
      if (error) return reject(error);
      const exit: OpenedChannel["exit"] = { code: null, signal: null };
      channel.on("exit", (code: number | null, signal?: string) => {
        if (typeof code === "number") exit.code = code;
        else if (signal) exit.signal = signal;
      });
      // Channel errors are followed by "close", where the outcome is decided.
      channel.on("error", () => {});
      const closed = new Promise<void>((resolveClosed) => channel.once("close", () => resolveClosed()));
      resolve({ channel, exit, closed });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
