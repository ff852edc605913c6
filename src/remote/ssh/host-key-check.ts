/**
 * The check of a server's host key during a dial, as OpenSSH's StrictHostKeyChecking does it:
 * against the pinned key, or against the known_hosts files (plus a key accepted on first use).
 */
import { readFile } from "node:fs/promises";

import { RemoteError } from "../errors";
import {
  entryNamesHost,
  judgeHostKey,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  type KnownHostEntry,
} from "./known-hosts";
import { fingerprintOf, hostKeyAlgorithmsFor, type ResolvedConnection } from "./target";

export type HostKeyDecision =
  | {
      accepted: true;
      /** The known_hosts line of a key trusted on first use now. */ acceptedOnFirstUse?: string;
      /** A warning to emit. */ warning?: string;
    }
  | { accepted: false; error: RemoteError };

export interface HostKeyCheck {
  /** Host key algorithms to ask the server for: those of the keys the host is known by. Undefined: any. */
  algorithms?: string[];
  decide(key: Buffer): HostKeyDecision;
  /** The refusal when the server offers none of `algorithms` (so no key to decide on). */
  noKnownType?: () => RemoteError;
}

/** Reads what the target's key is checked against (the known_hosts files, once per dial) and returns the check. */
export async function hostKeyCheckFor(target: ResolvedConnection): Promise<HostKeyCheck> {
  const trust = target.trust;
  const refuse = (
    code: "host-key-mismatch" | "host-key-unknown" | "host-key-revoked",
    summary: string,
  ): HostKeyDecision => ({
    accepted: false,
    error: new RemoteError({ code, host: target.label, command: "connect", summary, secrets: target.secrets }),
  });
  const noKnownType = (expected: string) => () =>
    new RemoteError({
      code: "host-key-mismatch",
      host: target.label,
      command: "connect",
      summary: `host key mismatch: expected ${expected}, the server offers no host key of that type; ${SUSPICION}`,
      secrets: target.secrets,
    });
  if (trust.policy === "pinned") {
    return {
      algorithms: hostKeyAlgorithmsFor(trust.key.type),
      noKnownType: noKnownType(`${trust.key.type} ${trust.key.fingerprint} (\`${target.fieldPrefix}hostKey\`)`),
      decide: (key) =>
        key.equals(trust.key.blob)
          ? { accepted: true }
          : refuse(
              "host-key-mismatch",
              `host key mismatch: expected ${trust.key.fingerprint} (\`${target.fieldPrefix}hostKey\`), the server ` +
                `presented ${fingerprintOf(key)}; ${SUSPICION}`,
            ),
    };
  }
  if (trust.policy === "off") {
    return {
      decide: (key) => ({
        accepted: true,
        warning:
          `${target.label}: the host key was NOT checked (\`${target.fieldPrefix}hostKeyChecking: "off"\`); ` +
          `accepted ${keyLineOf(key)} (${fingerprintOf(key)}). Anyone in the middle receives the credentials and ` +
          `every file sent.`,
      }),
    };
  }

  const entries = (await Promise.all(trust.knownHostsFiles.map((file) => readKnownHostsFile(target, file)))).flat();
  if (trust.accepted) entries.push(trust.accepted.entry);
  const types = knownKeyTypes(entries, target.host, target.port);
  const name = knownHostsName(target.host, target.port);
  const expected = entries.filter(
    (entry) => entry.marker === undefined && entryNamesHost(entry, target.host, target.port),
  );
  return {
    ...(types.length > 0 && {
      algorithms: types.flatMap(hostKeyAlgorithmsFor),
      noKnownType: noKnownType(expected.map((entry) => `${entry.key.type} ${describeEntry(entry)}`).join(", ")),
    }),
    decide: (key) => {
      const verdict = judgeHostKey(entries, target.host, target.port, key);
      switch (verdict.kind) {
        case "known":
          return { accepted: true };
        case "revoked":
          return refuse(
            "host-key-revoked",
            `host key revoked: the server presented ${fingerprintOf(key)}, marked @revoked at ` +
              `${verdict.entry.source}; refusing to connect`,
          );
        case "changed":
          return refuse(
            "host-key-mismatch",
            `host key mismatch: expected ${verdict.expected.map(describeEntry).join(", ")}, the server presented ` +
              `${fingerprintOf(key)}; ${SUSPICION}. ` +
              `If the host was reinstalled, check its new key out of band, then replace its known_hosts line or set ` +
              `\`${target.fieldPrefix}hostKey\`.`,
          );
        case "unknown":
          if (trust.policy === "accept-new") return { accepted: true, acceptedOnFirstUse: `${name} ${keyLineOf(key)}` };
          return refuse(
            "host-key-unknown",
            unknownHostSummary(target, trust.knownHostsFiles, key, verdict.certificateAuthorities),
          );
      }
    },
  };
}

const SUSPICION = "refusing to connect (the host was reinstalled, or someone is in the middle)";

function unknownHostSummary(
  target: ResolvedConnection,
  files: readonly string[],
  key: Buffer,
  authorities: readonly KnownHostEntry[],
): string {
  const line = keyLineOf(key);
  const type = line.split(" ")[0]!.replace(/^ssh-|-.*$/g, "");
  const scan = target.port === 22 ? `ssh-keyscan ${target.host}` : `ssh-keyscan -p ${target.port} ${target.host}`;
  const field = (name: string) => `\`${target.fieldPrefix}${name}\``;
  return [
    `host key unknown: ${knownHostsName(target.host, target.port)} is in none of the known_hosts files ` +
      `(${files.join(", ") || "none given"}); the server presented ${line} (${fingerprintOf(key)}).`,
    ...(authorities.length > 0
      ? [
          `${authorities.map((entry) => entry.source).join(", ")} trust a certificate authority for this host: host ` +
            `certificates are not supported.`,
        ]
      : []),
    `If that is the host's key (compare \`ssh-keygen -lf /etc/ssh/ssh_host_${type}_key.pub\` run on the host), add ` +
      `it to a known_hosts file (\`${scan} >> ~/.ssh/known_hosts\`, or the line ` +
      `"${knownHostsName(target.host, target.port)} ${line}"), ` +
      `or set ${field("hostKey")} to "${line}", or set ${field("hostKeyChecking")} to "accept-new" to trust the key ` +
      `on first use.`,
  ].join(" ");
}

/** `type base64` of a key blob (its type is the blob's first field). */
export function keyLineOf(blob: Buffer): string {
  const type = blob.length >= 4 ? blob.toString("latin1", 4, 4 + blob.readUInt32BE(0)) : "unknown";
  return `${type} ${blob.toString("base64")}`;
}

function describeEntry(entry: KnownHostEntry): string {
  return `${entry.key.fingerprint} (${entry.source})`;
}

/** A missing file counts as empty, as for ssh; any other failure to read one refuses the dial. */
async function readKnownHostsFile(target: ResolvedConnection, file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, "utf8"), file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw new RemoteError({
      code: "invalid-connection-args",
      host: target.label,
      command: "connect",
      summary: `\`${target.fieldPrefix}knownHostsFiles\`: could not read ${file}: ${(error as Error).message}`,
      secrets: target.secrets,
    });
  }
}
