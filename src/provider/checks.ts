/**
 * The failures `check` reports: each names the property it is about and never quotes a value
 * that may be secret.
 */
import { posix } from "node:path";

import {
  describeControlCharacter,
  errorsOf,
  escapeControlCharacters,
  findControlCharacters,
  type Problem,
} from "../formats";
import { RemoteError, type ConnectionArgs } from "../remote";
import { resolveConnection } from "../remote/ssh/target";
import { containsUnknown, UNKNOWN, type Props } from "./props";

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface CheckResult {
  inputs: Props;
  failures: CheckFailure[];
}

/** Failures of the connection argument; none while any of it is unknown. Never quotes a secret. */
export function connectionFailures(connection: unknown): CheckFailure[] {
  if (containsUnknown(connection)) return [];
  if (typeof connection !== "object" || connection === null)
    return [
      { property: "connection", reason: "`connection` is required: an object with at least `host` and a credential." },
    ];
  try {
    resolveConnection(connection as ConnectionArgs);
    return [];
  } catch (error) {
    const reason = error instanceof RemoteError ? error.shortMessage : "the connection arguments are invalid";
    return [{ property: "connection", reason }];
  }
}

/**
 * The failure for a path input that must name one file (or, with `directory`, one directory) in
 * one spelling: absolute, no `.`/`..` segments, no doubled or (for a file) trailing `/`. Two
 * spellings of one file would escape the checks that keep two resources off the same file.
 */
export function pathFailures(property: string, value: unknown, what: "file" | "directory"): CheckFailure[] {
  const text = typeof value === "string" ? value : "";
  const normalized = posix.normalize(text);
  const spelledOnce =
    posix.isAbsolute(text) && (normalized === text || (what === "directory" && `${normalized}/` === text));
  if (spelledOnce && (what === "directory" || (text !== "/" && !text.endsWith("/")))) return [];
  return [
    {
      property,
      reason:
        `\`${property}\` must be an absolute ${what} path without \`.\` or \`..\` segments, doubled ` +
        `\`/\`${what === "file" ? " or a trailing `/`" : ""}.`,
    },
  ];
}

/**
 * Failures for `sudo`, `adopt` and the kind's `others` (`secretContent`, which the resources set),
 * which must be booleans when given.
 */
export function settingFailures(news: Props, others: readonly string[] = []): CheckFailure[] {
  return ["sudo", "adopt", ...others].flatMap((key) =>
    news[key] === undefined || news[key] === UNKNOWN || typeof news[key] === "boolean"
      ? []
      : [{ property: key, reason: `\`${key}\` must be true or false.` }],
  );
}

/**
 * Format-layer errors (not warnings) as failures, each under the property `propertyOf` names.
 * While some properties are unknown (preview), failures about them are not decidable, nor are
 * those of `crossFieldRules`, which weigh several properties against each other.
 */
export function problemFailures(
  problems: readonly Problem[],
  propertyOf: (problem: Problem) => string,
  unknownProperties: ReadonlySet<string> = new Set(),
  crossFieldRules: readonly string[] = [],
): CheckFailure[] {
  return errorsOf(problems)
    .filter((problem) => unknownProperties.size === 0 || !crossFieldRules.includes(problem.rule))
    .map((problem) => ({ property: propertyOf(problem), reason: escapeControlCharacters(problem.message) }))
    .filter((failure) => !unknownProperties.has(failure.property.split(".")[0]!));
}

/** Key material legitimately spans lines; nothing else a resource takes may hold a control character. */
const MULTI_LINE_PROPERTIES: ReadonlySet<string> = new Set(["connection.privateKey", "connection.proxy.privateKey"]);

/**
 * One failure per string input (or object key: user names, `extra` names) holding a control
 * character, named by its property path (`serverArgs[1]`, `extra.only-from[0]`, `users.alice`,
 * `connection.host`), unless `already` has a failure for that property. The reason never quotes
 * the value: it may be a password.
 */
export function controlCharacterFailures(inputs: Props, already: readonly CheckFailure[] = []): CheckFailure[] {
  // A property the format layer already named (a line break, a control character) says enough.
  const covered = (path: string) => already.some(({ property }) => path === property);
  return findControlCharacters(inputs, MULTI_LINE_PROPERTIES)
    .filter((finding) => !covered(finding.path))
    .map((finding) => ({ property: finding.path, reason: describeControlCharacter(finding) }));
}
