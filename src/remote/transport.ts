/**
 * The contract between the SSH transport and the host operations built on it. Host operations
 * only ever see a `CommandRunner`, so they can be read (and reasoned about) without SSH details.
 */
import type { Readable, Writable } from "node:stream";

import type { HostKeyChecking } from "../schema/connection-rules";

/**
 * How to reach a host. Field names, values and defaults are @pulumi/command's
 * `remote.ConnectionArgs`, so users can pass one object to both. `hostKeyChecking` and
 * `knownHostsFiles` are ours: without `hostKey`, @pulumi/command accepts any server key, while we
 * check the known_hosts files unless `hostKeyChecking` is `off`.
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
  /** Path of an ssh-agent socket to authenticate with. Default: `SSH_AUTH_SOCK` when set and not empty, else none. */
  agentSocketPath?: string;
  /**
   * Expected server host key, as an OpenSSH public key line without the host name
   * (`ssh-ed25519 AAAA…`). A different key refuses the connection. When given, it is the only key
   * trusted: `hostKeyChecking` and the known_hosts files do not apply. Default: none.
   */
  hostKey?: string;
  /**
   * Ours, not @pulumi/command's. Without `hostKey`, how the server's key is checked against the known_hosts files, like
   * OpenSSH's `StrictHostKeyChecking`: `strict` refuses a host no file lists; `accept-new` trusts
   * an unlisted host's key on first use and keeps it in the resource's state (a later change is
   * refused); `off` accepts any key and emits a warning (`process.emitWarning`, code
   * `PULUMI_XINETD_HOST_KEY_UNCHECKED`). A listed host with another key is refused in every mode
   * but `off`; so is an `@revoked` key. Default: `strict`.
   */
  hostKeyChecking?: HostKeyChecking;
  /**
   * Ours, not @pulumi/command's. The known_hosts files to check the server's key against (OpenSSH's
   * `UserKnownHostsFile` and
   * `GlobalKnownHostsFile`); missing files count as empty. Hashed names, `[host]:port` entries,
   * patterns and `@revoked` lines are understood; a leading `~/` is the home of the user running
   * Pulumi. Default: `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`.
   */
  knownHostsFiles?: string[];
  /** A bastion to connect through (same fields, no nested proxy). Default: direct. */
  proxy?: Omit<ConnectionArgs, "proxy">;
  /**
   * Failed dials allowed before giving up: this many retries after the first attempt (one attempt
   * for 0), as @pulumi/command counts; -1 for no limit. Authentication and host-key failures are
   * final at once. Default: 10 (eleven attempts).
   */
  dialErrorLimit?: number;
  /** Seconds one dial attempt may take, up to an authenticated session; 0 for no limit. Default: 15. */
  perDialTimeout?: number;
}

export type { HostKeyChecking };

/**
 * Host keys trusted on first use (`hostKeyChecking: "accept-new"`), as known_hosts lines
 * (`name type base64`), for the host and for its proxy. Resources keep them in their state.
 */
export interface AcceptedHostKeys {
  host?: string;
  proxy?: string;
}

/** A host as the library addresses it: how to connect, and whether to become root with sudo. */
export interface HostTarget {
  connection: ConnectionArgs;
  /** Run every command through `sudo -n` (for a non-root `user`). Default: false. */
  sudo?: boolean;
  /** Keys accepted on first use earlier, trusted like known_hosts lines. Default: none. */
  acceptedHostKeys?: AcceptedHostKeys;
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
  /** `user@host:port`, for messages. Two runners with one label may log in differently: never key anything by it. */
  readonly label: string;
  /**
   * Everything that decides what a command may do and whom it reaches: host, port, user, sudo, a
   * digest of the credentials, the host-key pin or policy (with the keys it trusts), and the
   * proxy's identity. Runners with equal identities are interchangeable, so what is shared
   * between callers (reads, edit batches, reloads) is keyed by it. Never shown; holds no secret.
   */
  readonly identity: string;
  run(script: string, options?: RunOptions): Promise<RunResult>;
  spawn(script: string, options?: SpawnOptions): Promise<RemoteProcess>;
}
