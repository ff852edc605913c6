/** Connection arguments with their defaults applied, and the identities derived from them. */
import { createHash } from "node:crypto";

import { RemoteError, type Secret } from "../errors";
import type { ConnectionArgs } from "../transport";

export const DEFAULT_PORT = 22;
export const DEFAULT_USER = "root";
export const DEFAULT_DIAL_ERROR_LIMIT = 10;
/** Seconds, as in `ConnectionArgs.perDialTimeout`. */
export const DEFAULT_PER_DIAL_TIMEOUT = 15;

/** A pinned server key: the key blob to compare and the algorithms to ask the server for. */
export interface PinnedHostKey {
  type: string;
  blob: Buffer;
  fingerprint: string;
}

export interface ResolvedConnection {
  host: string;
  port: number;
  user: string;
  /** `user@host:port`. */
  label: string;
  /** Pool key: one connection per distinct key. */
  key: string;
  password?: string;
  privateKey?: string;
  privateKeyPassword?: string;
  agentSocketPath?: string;
  hostKey?: PinnedHostKey;
  proxy?: ResolvedConnection;
  dialErrorLimit: number;
  perDialTimeoutMs: number;
  /** This connection's and its proxy's credentials, for redaction. */
  secrets: readonly Secret[];
}

/** Applies defaults and checks the arguments; throws `invalid-connection-args`. */
export function resolveConnection(args: ConnectionArgs | Omit<ConnectionArgs, "proxy">): ResolvedConnection {
  const port = args.port ?? DEFAULT_PORT;
  const user = args.user ?? DEFAULT_USER;
  const label = `${user}@${args.host}:${port}`;
  const proxy = "proxy" in args && args.proxy ? resolveConnection(args.proxy) : undefined;
  const secrets = [args.password, args.privateKey, args.privateKeyPassword, ...(proxy?.secrets ?? [])];
  const invalid = (summary: string) =>
    new RemoteError({ code: "invalid-connection-args", host: label, command: "connect", summary, secrets });

  if (!args.host) throw invalid("host is empty");
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw invalid(`port must be 1 to 65535, got ${port}`);
  const dialErrorLimit = args.dialErrorLimit ?? DEFAULT_DIAL_ERROR_LIMIT;
  if (!Number.isInteger(dialErrorLimit) || dialErrorLimit < 1) {
    throw invalid(`dialErrorLimit must be a positive integer, got ${dialErrorLimit}`);
  }
  const perDialTimeout = args.perDialTimeout ?? DEFAULT_PER_DIAL_TIMEOUT;
  if (!(perDialTimeout > 0) || !Number.isFinite(perDialTimeout)) {
    throw invalid(`perDialTimeout must be a positive number of seconds, got ${perDialTimeout}`);
  }
  if (args.password === undefined && args.privateKey === undefined && args.agentSocketPath === undefined) {
    throw invalid("no credentials: give a privateKey, a password or an agentSocketPath");
  }
  let hostKey: PinnedHostKey | undefined;
  if (args.hostKey !== undefined) {
    hostKey = parseHostKeyLine(args.hostKey);
    if (!hostKey) throw invalid(`hostKey is not an OpenSSH public key line ("ssh-ed25519 AAAA…"): ${args.hostKey}`);
  }

  return {
    host: args.host,
    port,
    user,
    label,
    key: connectionKey({ host: args.host, port, user, proxy, credentials: credentialsDigest(args) }),
    ...(args.password !== undefined && { password: args.password }),
    ...(args.privateKey !== undefined && { privateKey: args.privateKey }),
    ...(args.privateKeyPassword !== undefined && { privateKeyPassword: args.privateKeyPassword }),
    ...(args.agentSocketPath !== undefined && { agentSocketPath: args.agentSocketPath }),
    ...(hostKey && { hostKey }),
    ...(proxy && { proxy }),
    dialErrorLimit,
    perDialTimeoutMs: perDialTimeout * 1000,
    secrets,
  };
}

/**
 * The pool key of a connection: host, port, user, a digest of the credentials, and the same for its
 * proxy. The digest keeps a wrong or revoked key from riding on a login another resource made.
 */
export function connectionKey(connection: {
  host: string;
  port?: number;
  user?: string;
  credentials?: string;
  proxy?: { key: string } | undefined;
}): string {
  const own = `${connection.user ?? DEFAULT_USER}@${connection.host}:${connection.port ?? DEFAULT_PORT}#${connection.credentials ?? ""}`;
  return connection.proxy ? `${own} via ${connection.proxy.key}` : own;
}

/** A short digest of what authenticates a connection; never shown, only compared. */
function credentialsDigest(args: Pick<ConnectionArgs, "password" | "privateKey" | "privateKeyPassword" | "agentSocketPath">): string {
  const parts = [args.password, args.privateKey, args.privateKeyPassword, args.agentSocketPath].map((part) => part ?? "");
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

/** `ssh-ed25519 AAAA… [comment]` → type, key blob and SHA256 fingerprint; undefined if malformed. */
export function parseHostKeyLine(line: string): PinnedHostKey | undefined {
  const [type, base64] = line.trim().split(/\s+/);
  if (!type || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, "base64");
  // The blob starts with its own type name (uint32 length, then the name).
  if (blob.length < 4 || blob.toString("latin1", 4, 4 + blob.readUInt32BE(0)) !== type) return undefined;
  return { type, blob, fingerprint: fingerprintOf(blob) };
}

/** OpenSSH's `SHA256:…` fingerprint of a key blob. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Host key algorithms that yield a key of this type; asked for alone so the server shows the pinned one. */
export function hostKeyAlgorithmsFor(type: string): string[] {
  return type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
}
