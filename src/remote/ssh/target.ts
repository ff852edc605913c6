/** Connection arguments with their defaults applied, and the identities derived from them. */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";

import {
  agentSocketPathOf,
  connectionValueProblems,
  DEFAULT_HOST_KEY_CHECKING,
  DEFAULT_PER_DIAL_TIMEOUT,
  DEFAULT_PORT,
  DEFAULT_USER,
  HOST_KEY_CHECKING_VALUES,
  maxDialAttempts,
} from "../../schema/connection-rules";
import { RemoteError, type Secret } from "../errors";
import type { ConnectionArgs } from "../transport";
import { entryNamesHost, parseKnownHosts, type KnownHostEntry } from "./known-hosts";

export {
  DEFAULT_DIAL_ERROR_LIMIT,
  DEFAULT_PER_DIAL_TIMEOUT,
  DEFAULT_PORT,
  DEFAULT_USER,
} from "../../schema/connection-rules";

/** OpenSSH's defaults for `UserKnownHostsFile` and `GlobalKnownHostsFile`. */
export function defaultKnownHostsFiles(): string[] {
  return [join(homedir(), ".ssh", "known_hosts"), "/etc/ssh/ssh_known_hosts"];
}

/** A pinned server key: the key blob to compare and the algorithms to ask the server for. */
export interface PinnedHostKey {
  type: string;
  blob: Buffer;
  fingerprint: string;
}

/** How the server's key is trusted. */
export type HostKeyTrust =
  | { policy: "pinned"; key: PinnedHostKey }
  | {
      policy: "strict" | "accept-new";
      knownHostsFiles: string[];
      /** The line accepted on first use earlier (from the resource's state), when it names this host. */
      accepted?: { line: string; entry: KnownHostEntry };
    }
  | { policy: "off" };

export interface ResolvedConnection {
  host: string;
  port: number;
  user: string;
  /** `user@host:port`. */
  label: string;
  /** `proxy.` for a proxy, else empty: prefixes field names in messages. */
  fieldPrefix: string;
  /** The connection's identity (see `CommandRunner.identity`) without sudo: one pooled connection per key. */
  key: string;
  password?: string;
  privateKey?: string;
  privateKeyPassword?: string;
  /** `agentSocketPath`, else `SSH_AUTH_SOCK` when set. */
  agentSocketPath?: string;
  trust: HostKeyTrust;
  proxy?: ResolvedConnection;
  /** From `dialErrorLimit`: infinite for -1. */
  maxDialAttempts: number;
  /** From `perDialTimeout`: 0 for no limit. */
  perDialTimeoutMs: number;
  /** This connection's and its proxy's credentials, for redaction. */
  secrets: readonly Secret[];
}

type AcceptedLines = { host?: string | undefined; proxy?: string | undefined };

/**
 * Resolutions by everything they depend on: the arguments, the keys accepted earlier, the field
 * prefix, `SSH_AUTH_SOCK` and the home directory. A provider resolves a host's arguments for every
 * operation of every resource on it. Only plain JSON values are keyed, so equal keys mean equal
 * inputs; a failed resolution is not kept. The keys hold credentials: they never leave this map.
 */
const resolutions = new Map<string, ResolvedConnection>();
const RESOLUTIONS_KEPT = 256;

/** JSON values only: no NaN, functions, class instances or holes, which JSON.stringify would conflate. */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  // An undefined field reads as an absent one, as JSON.stringify leaves it out.
  return Object.values(value).every((field) => field === undefined || isPlainJson(field));
}

/**
 * Applies defaults and checks the arguments; throws `invalid-connection-args`. `acceptedHostKeys`
 * are keys trusted on first use earlier (known_hosts lines): this host's, then its proxy's. The
 * result is shared by equal calls: treat it as read-only.
 */
export function resolveConnection(
  args: ConnectionArgs | Omit<ConnectionArgs, "proxy">,
  acceptedHostKeys: AcceptedLines = {},
  /** Prefixes field names in messages: `proxy.` for the proxy. */
  fieldPrefix = "",
): ResolvedConnection {
  const inputs = [args, acceptedHostKeys, fieldPrefix, agentSocketPathOf(undefined) ?? null, homedir()];
  const key = isPlainJson(inputs) ? JSON.stringify(inputs) : undefined;
  const known = key === undefined ? undefined : resolutions.get(key);
  if (known !== undefined) return known;
  const resolved = resolveAfresh(args, acceptedHostKeys, fieldPrefix);
  if (key !== undefined) {
    if (resolutions.size >= RESOLUTIONS_KEPT) resolutions.clear();
    resolutions.set(key, resolved);
  }
  return resolved;
}

function resolveAfresh(
  args: ConnectionArgs | Omit<ConnectionArgs, "proxy">,
  acceptedHostKeys: AcceptedLines,
  fieldPrefix: string,
): ResolvedConnection {
  const port = args.port ?? DEFAULT_PORT;
  const user = args.user ?? DEFAULT_USER;
  const label = `${user}@${args.host}:${port}`;
  const proxy =
    "proxy" in args && args.proxy
      ? resolveConnection(args.proxy, { host: acceptedHostKeys.proxy }, "proxy.")
      : undefined;
  const secrets = [args.password, args.privateKey, args.privateKeyPassword, ...(proxy?.secrets ?? [])];
  const invalid = (summary: string) =>
    new RemoteError({ code: "invalid-connection-args", host: label, command: "connect", summary, secrets });

  if (!args.host) throw invalid("host is empty");
  const [problem] = connectionValueProblems(args);
  if (problem)
    throw invalid(
      `\`${fieldPrefix}${problem.field}\` ${problem.requirement}, got ${JSON.stringify(args[problem.field])}`,
    );
  const agentSocketPath = agentSocketPathOf(args.agentSocketPath);
  if (args.password === undefined && args.privateKey === undefined && agentSocketPath === undefined) {
    throw invalid(
      "no credentials: give a privateKey, a password or an agentSocketPath (or run with SSH_AUTH_SOCK set)",
    );
  }
  const trust = resolveTrust(args, port, acceptedHostKeys.host, (field, rule) =>
    invalid(`\`${fieldPrefix}${field}\` ${rule}`),
  );
  const credentials = credentialsDigest({ ...args, agentSocketPath });

  return {
    host: args.host,
    port,
    user,
    label,
    fieldPrefix,
    key: JSON.stringify({ user, host: args.host, port, credentials, trust: trustIdentity(trust), proxy: proxy?.key }),
    ...(args.password !== undefined && { password: args.password }),
    ...(args.privateKey !== undefined && { privateKey: args.privateKey }),
    ...(args.privateKeyPassword !== undefined && { privateKeyPassword: args.privateKeyPassword }),
    ...(agentSocketPath !== undefined && { agentSocketPath }),
    trust,
    ...(proxy && { proxy }),
    maxDialAttempts: maxDialAttempts(args.dialErrorLimit),
    perDialTimeoutMs: (args.perDialTimeout ?? DEFAULT_PER_DIAL_TIMEOUT) * 1000,
    secrets,
  };
}

function resolveTrust(
  args: Omit<ConnectionArgs, "proxy">,
  port: number,
  acceptedLine: string | undefined,
  invalid: (field: string, rule: string) => RemoteError,
): HostKeyTrust {
  const checking = args.hostKeyChecking ?? DEFAULT_HOST_KEY_CHECKING;
  if (!HOST_KEY_CHECKING_VALUES.includes(checking)) {
    throw invalid("hostKeyChecking", `must be "strict", "accept-new" or "off", got ${JSON.stringify(checking)}`);
  }
  const given = args.knownHostsFiles ?? defaultKnownHostsFiles();
  if (!Array.isArray(given) || given.some((file) => typeof file !== "string" || file === "")) {
    throw invalid("knownHostsFiles", "must be a list of file paths");
  }
  // `~/` is the home of the user running Pulumi, as in ssh_config.
  const files = given.map((file) => (file.startsWith("~/") ? join(homedir(), file.slice(2)) : file));
  if (args.hostKey !== undefined) {
    const key = parseHostKeyLine(args.hostKey);
    if (!key) throw invalid("hostKey", `is not an OpenSSH public key line ("ssh-ed25519 AAAA…"): ${args.hostKey}`);
    return { policy: "pinned", key };
  }
  if (checking === "off") return { policy: "off" };
  let accepted: { line: string; entry: KnownHostEntry } | undefined;
  if (acceptedLine !== undefined) {
    const [entry] = parseKnownHosts(acceptedLine, "the resource's state (`acceptedHostKeys`)");
    if (!entry || entry.marker)
      throw invalid("acceptedHostKeys", `(in the resource's state) is not a known_hosts line: ${acceptedLine}`);
    // A key accepted for another host or port (the connection changed since) says nothing about this one.
    if (entryNamesHost(entry, args.host, port)) accepted = { line: acceptedLine, entry };
  }
  return { policy: checking, knownHostsFiles: files, ...(accepted && { accepted }) };
}

/** What of the trust goes into the identity: a runner trusting other keys must not share a connection. */
function trustIdentity(trust: HostKeyTrust): unknown {
  switch (trust.policy) {
    case "pinned":
      return ["pinned", trust.key.fingerprint];
    case "off":
      return ["off"];
    default:
      return [trust.policy, trust.knownHostsFiles, trust.accepted?.line ?? null];
  }
}

// Keys the credential digests: the identity then reveals nothing about a weak password, even if shown.
const DIGEST_KEY = randomBytes(32);

/** A short digest of what authenticates a connection; never shown, only compared. */
function credentialsDigest(
  args: Pick<ConnectionArgs, "password" | "privateKey" | "privateKeyPassword" | "agentSocketPath">,
): string {
  const parts = [args.password, args.privateKey, args.privateKeyPassword, args.agentSocketPath].map(
    (part) => part ?? null,
  );
  return createHmac("sha256", DIGEST_KEY).update(JSON.stringify(parts)).digest("hex").slice(0, 32);
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
