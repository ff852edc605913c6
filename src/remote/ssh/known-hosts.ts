/**
 * known_hosts files as OpenSSH reads them (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): which keys a
 * host is known by, and the verdict on the key a server presents. Pure: the files' text comes in.
 */
import { createHmac } from "node:crypto";

import { parseHostKeyLine, type PinnedHostKey } from "./target";

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  /**
   * `@revoked`: this key is refused for the hosts the line names. `@cert-authority`: not supported (see
   * `judgeHostKey`).
   */
  marker?: "revoked" | "cert-authority";
  /** The host names field: a hashed name `|1|salt|hash`, or comma-separated patterns (`*`, `?`, `!`). */
  hosts: string;
  key: PinnedHostKey;
  /** `file:line`, for messages. */
  source: string;
}

/**
 * The usable entries of a known_hosts text. Comments, blank lines and lines OpenSSH would skip
 * (unknown marker, unparsable key) are skipped, as ssh does.
 */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0]!.startsWith("@")) {
      const name = fields.shift();
      if (name === "@revoked") marker = "revoked";
      else if (name === "@cert-authority") marker = "cert-authority";
      else return;
    }
    const [hosts, type, base64] = fields;
    if (hosts === undefined || type === undefined || base64 === undefined) return;
    const key = parseHostKeyLine(`${type} ${base64}`);
    if (!key) return;
    entries.push({ ...(marker && { marker }), hosts, key, source: `${file}:${index + 1}` });
  });
  return entries;
}

/** The name a host is looked up (and written) under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** Whether the entry's host names field names `host:port` (hashed, listed, or by a pattern not negated). */
export function entryNamesHost(entry: Pick<KnownHostEntry, "hosts">, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.hosts.startsWith("|1|")) return hashedNameMatches(entry.hosts, name);
  let matched = false;
  for (const pattern of entry.hosts.split(",")) {
    const negated = pattern.startsWith("!");
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as `ssh-keygen -H` writes. */
function hashedNameMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split("|");
  if (!salt || !hash) return false;
  return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
}

/** OpenSSH's `match_pattern`: `*` any run, `?` one character, case-insensitive. */
function globMatches(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "s").test(name);
}

export type HostKeyVerdict =
  /** A line names the host with this key. */
  | { kind: "known"; entry: KnownHostEntry }
  /** Lines name the host, none with this key: someone in the middle, or the host was reinstalled. */
  | { kind: "changed"; expected: KnownHostEntry[] }
  /** An `@revoked` line names this key for the host. */
  | { kind: "revoked"; entry: KnownHostEntry }
  /** No line names the host; `certificateAuthorities` are `@cert-authority` lines that do, which are not supported. */
  | { kind: "unknown"; certificateAuthorities: KnownHostEntry[] };

/** OpenSSH's verdict on `key` (a key blob) presented by `host:port`, given every entry of every file. */
export function judgeHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const naming = entries.filter((entry) => entryNamesHost(entry, host, port));
  const revoked = naming.find((entry) => entry.marker === "revoked" && entry.key.blob.equals(key));
  if (revoked) return { kind: "revoked", entry: revoked };
  const plain = naming.filter((entry) => entry.marker === undefined);
  const known = plain.find((entry) => entry.key.blob.equals(key));
  if (known) return { kind: "known", entry: known };
  if (plain.length > 0) return { kind: "changed", expected: plain };
  return { kind: "unknown", certificateAuthorities: naming.filter((entry) => entry.marker === "cert-authority") };
}

/** The key types the host is known by, to ask the server for those first (as ssh orders HostKeyAlgorithms). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = entries
    .filter((entry) => entry.marker === undefined && entryNamesHost(entry, host, port))
    .map((entry) => entry.key.type);
  return [...new Set(types)];
}
