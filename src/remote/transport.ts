/**
 * The contract between the SSH transport and the host operations built on it. Host operations
 * only ever see a `CommandRunner`, so they can be read (and reasoned about) without SSH details.
 */
import type { Readable, Writable } from "node:stream";

/**
 * How to reach a host. Field names and defaults match @pulumi/command's `remote.ConnectionArgs`,
 * so users can pass one object to both.
 */
export interface ConnectionArgs {
  /** Address or name of the host. */
  host: string;
  /** SSH port. Default: 22. */
  port?: number;
  /** User to log in as. Default: `root`. */
  user?: string;
  /** Password for password authentication. Secret. */
  password?: string;
  /** Private key (OpenSSH or PEM text) for public-key authentication. Secret. */
  privateKey?: string;
  /** Passphrase of `privateKey`. Secret. */
  privateKeyPassword?: string;
  /** Path of an ssh-agent socket to authenticate with. Default: none (not `SSH_AUTH_SOCK`). */
  agentSocketPath?: string;
  /**
   * Expected server host key, as an OpenSSH public key line without the host name
   * (`ssh-ed25519 AAAA…`). A different key refuses the connection. Default: not checked.
   */
  hostKey?: string;
  /** A bastion to connect through (same fields, no nested proxy). Default: direct. */
  proxy?: Omit<ConnectionArgs, "proxy">;
  /** How many dial attempts before giving up. Default: 10. */
  dialErrorLimit?: number;
  /** Seconds one dial attempt may take. Default: 15. */
  perDialTimeout?: number;
}

/** A host as the library addresses it: how to connect, and whether to become root with sudo. */
export interface HostTarget {
  connection: ConnectionArgs;
  /** Run every command through `sudo -n` (for a non-root `user`). Default: false. */
  sudo?: boolean;
}

export interface RunOptions {
  /** Bytes for the command's standard input. This is how file contents travel: never on the command line. */
  stdin?: string | Buffer;
  /** The stdin bytes are secret (a secrets file): they are redacted from any error about this run. Default: false. */
  secretStdin?: boolean;
  /**
   * The command fails with a timeout error after this many milliseconds, and the host stops it
   * (coreutils `timeout`). Default: `DEFAULT_TIME_LIMIT_MS` (120 s): every script is bounded.
   */
  timeoutMs?: number;
}

export interface SpawnOptions {
  /** As `RunOptions.timeoutMs`: the whole exchange is bounded. Default: 120 s. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Null when the command ended by a signal or the channel closed without an exit status. */
  exitCode: number | null;
  signal: string | null;
}

/** A command started on the host whose streams the caller drives (for multi-step exchanges on one channel). */
export interface RemoteProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Settles when the channel closes. Rejects only on transport failure, not on a non-zero exit. */
  done: Promise<RunResult>;
}

/**
 * Runs shell scripts on one host. The script travels on stdin ahead of the operation's input and
 * is run by `sh -c` on the host (through `sudo -n` when the target asks for sudo), whatever the
 * account's login shell (see bootstrap.ts). It must not contain secrets, since the script is an
 * argument of that `sh` and visible in the host's process list: pass secret bytes on stdin.
 */
export interface CommandRunner {
  /** `user@host:port`, for messages. */
  readonly label: string;
  /** Everything that decides what the commands can do on the host (who, where, with which credential), for keying shared work. */
  readonly identity: string;
  run(script: string, options?: RunOptions): Promise<RunResult>;
  spawn(script: string, options?: SpawnOptions): Promise<RemoteProcess>;
}
