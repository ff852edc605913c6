/**
 * The one error type of the remote layer, shaped like execa's errors so callers can branch on
 * `code` and print `message`. Secrets given to the constructor are redacted from every field,
 * including the cause, so an error can be logged, serialized or shown to a user as it is.
 */

/** Stable identifiers of what went wrong; callers branch on these, never on message text. */
export type RemoteErrorCode =
  /** No SSH session could be established within the dial limits (network, handshake, timeouts). */
  | "dial-failed"
  /** The server's host key is not the pinned one, or not the one the known_hosts files list for the host. */
  | "host-key-mismatch"
  /** `hostKeyChecking: "strict"` and no known_hosts file lists the host. */
  | "host-key-unknown"
  /** A known_hosts file marks the server's key `@revoked`. */
  | "host-key-revoked"
  /** The server refused every credential offered. */
  | "auth-failed"
  /** The connection arguments cannot be used (bad key text, bad host key line, bad limits). */
  | "invalid-connection-args"
  /** The target asks for sudo, but sudo wants a password for this user. */
  | "sudo-needs-password"
  /** The command ran and exited non-zero (raised by callers through `commandFailedError`). */
  | "command-failed"
  /** The command outlived its `timeoutMs`. */
  | "timeout"
  /** The connection broke while the operation was using it. */
  | "connection-lost"
  /** The server refused to open a channel on a live connection. */
  | "channel-failed";

/** A value that must never appear in an error: a password, a private key, secret stdin. */
export type Secret = string | Buffer | undefined;

export interface RemoteErrorInit {
  code: RemoteErrorCode;
  /** `user@host:port`. */
  host: string;
  /** The script, or a short description such as `connect`. Never contains secrets by contract. */
  command: string;
  /** What went wrong, one line, without the host (it is added). */
  summary: string;
  exitCode?: number | null;
  signal?: string | null;
  stdout?: string;
  stderr?: string;
  cause?: unknown;
  /** Redacted from every field of the error, wherever an underlying library may have put them. */
  secrets?: readonly Secret[];
}

const REDACTED = "[REDACTED]";
const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_CHARS = 4_000;
const COMMAND_SUMMARY_CHARS = 120;
// Lines of a multi-line secret (a private key's base64 body, a secrets file) are redacted one by
// one, since a library may quote a single line; shorter lines are too common to be telling.
const MIN_SECRET_LINE_CHARS = 4;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

export class RemoteError extends Error {
  readonly code: RemoteErrorCode;
  readonly host: string;
  readonly command: string;
  readonly shortMessage: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly stdout?: string;
  readonly stderr?: string;

  constructor(init: RemoteErrorInit) {
    const redact = secretRedactor(init.secrets ?? []);
    const command = redact(init.command);
    const shortMessage = redact(`${init.host}: ${init.summary}`).replace(/\s*\n\s*/g, " ");
    const stderr = init.stderr === undefined ? undefined : redact(init.stderr);
    const cause = init.cause === undefined ? undefined : redactedCause(init.cause, redact);
    super(fullMessage(shortMessage, stderr, cause), cause === undefined ? undefined : { cause });
    this.code = init.code;
    this.host = init.host;
    this.command = command;
    this.shortMessage = shortMessage;
    if (init.exitCode !== undefined) this.exitCode = init.exitCode;
    if (init.signal !== undefined) this.signal = init.signal;
    if (init.stdout !== undefined) this.stdout = redact(init.stdout);
    if (stderr !== undefined) this.stderr = stderr;
  }
}

// On the prototype rather than as a field, so the stack captured by Error's constructor says so too.
Object.defineProperty(RemoteError.prototype, "name", { value: "RemoteError", configurable: true, writable: true });

/** The error for a command that ran and exited non-zero (or by a signal). */
export function commandFailedError(
  host: string,
  command: string,
  result: { stdout: string; stderr: string; exitCode: number | null; signal: string | null },
  secrets: readonly Secret[] = [],
): RemoteError {
  const how =
    result.signal !== null ? `was killed by ${result.signal}` : `failed with exit code ${result.exitCode ?? "unknown"}`;
  return new RemoteError({
    code: "command-failed",
    host,
    command,
    summary: `command ${how}: ${summarizeCommand(command)}`,
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
    secrets,
  });
}

/** The first line of a script, shortened, for one-line messages. */
export function summarizeCommand(command: string): string {
  const lines = command.trim().split("\n");
  const first = lines[0] ?? "";
  const shortened = first.length > COMMAND_SUMMARY_CHARS ? `${first.slice(0, COMMAND_SUMMARY_CHARS)}…` : first;
  return lines.length > 1 && shortened === first ? `${first} …` : shortened;
}

/**
 * A function that replaces every secret (and every line of a multi-line secret) in a text with
 * `[REDACTED]`, along with any private key block, whoever's it is.
 */
export function secretRedactor(secrets: readonly Secret[]): (text: string) => string {
  const fragments = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined) continue;
    const text = typeof secret === "string" ? secret : secret.toString("utf8");
    if (text.length === 0) continue;
    fragments.add(text);
    const lines = text.split(/\r?\n/).map((line) => line.trim());
    if (lines.length > 1) {
      for (const line of lines) if (line.length >= MIN_SECRET_LINE_CHARS) fragments.add(line);
    }
  }
  // Longest first, so a whole secret is replaced before the lines it contains.
  const ordered = [...fragments].sort((a, b) => b.length - a.length);
  return (text) => {
    let redacted = text.replace(PRIVATE_KEY_BLOCK, REDACTED);
    for (const fragment of ordered) redacted = redacted.split(fragment).join(REDACTED);
    return redacted;
  };
}

/**
 * A stand-in for the cause that carries its redacted message, stack and diagnostic fields, but
 * none of the original object (which may hold a library's config, keys included).
 */
function redactedCause(cause: unknown, redact: (text: string) => string): Error {
  if (cause instanceof RemoteError) return cause;
  if (!(cause instanceof Error)) return new Error(redact(String(cause)));
  const copy = new Error(redact(cause.message));
  copy.name = cause.name;
  copy.stack = cause.stack === undefined ? undefined : redact(cause.stack);
  const source = cause as Error & Record<string, unknown>;
  const target = copy as Error & Record<string, unknown>;
  for (const field of ["code", "level", "errno", "syscall", "address", "port", "reason"]) {
    const value = source[field];
    if (typeof value === "string") target[field] = redact(value);
    else if (typeof value === "number") target[field] = value;
  }
  return copy;
}

function fullMessage(shortMessage: string, stderr: string | undefined, cause: Error | undefined): string {
  const parts = [shortMessage];
  const tail = stderr === undefined ? "" : stderrTail(stderr);
  if (tail) parts.push(`stderr:\n${tail}`);
  if (cause) parts.push(`cause: ${cause.message}`);
  return parts.join("\n");
}

function stderrTail(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  let tail = lines.slice(-STDERR_TAIL_LINES).join("\n");
  if (tail.length > STDERR_TAIL_CHARS) tail = `…${tail.slice(-STDERR_TAIL_CHARS)}`;
  else if (lines.length > STDERR_TAIL_LINES) tail = `…\n${tail}`;
  return tail;
}
