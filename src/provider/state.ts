/**
 * What every resource kind's provider shares: the state's schema version, the engine's unknown
 * placeholder, property comparison, the connection, and partial-failure errors. Pulumi-free: the
 * engine talks to these functions through the dynamic-provider host, which passes plain values.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { isDeepStrictEqual } from "node:util";

import {
  describeControlCharacter,
  errorsOf,
  escapeControlCharacters,
  findControlCharacters,
  FormatError,
  type Problem,
} from "../formats";
import {
  RemoteError,
  type AcceptedHostKeys,
  type RemoteErrorCode,
  type CommandRunner,
  type ConnectionArgs,
  type HostTarget,
} from "../remote";
import { acceptedHostKeys, openHost } from "../remote/ssh";
import { DEFAULT_PORT, DEFAULT_USER, resolveConnection } from "../remote/ssh/target";

/** Written into every state; `upgradeState` reads every version this code has ever written. */
export const SCHEMA_VERSION = 1;

/** What the engine sends during preview for a value not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Props = Record<string, unknown>;

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface CheckResult {
  inputs: Props;
  failures: CheckFailure[];
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnknown);
  return false;
}

/** A copy without `undefined` anywhere: the host cannot encode it ("Unexpected struct type"). */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(withoutUndefined) as T;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return Object.fromEntries(entries.map(([key, item]) => [key, withoutUndefined(item)])) as T;
  }
  return value;
}

export function sameProperty(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(withoutUndefined(a), withoutUndefined(b));
}

export function sha256(content: string): string {
  return createHash("sha256").update(content, "utf8").digest("hex");
}

/**
 * The state as this version understands it. Only version 1 exists; a state without a version
 * cannot come from this library, and a newer one needs newer code.
 */
export function upgradeState(props: Props, kind: string): Props {
  const version = props.schemaVersion;
  if (version === SCHEMA_VERSION) return props;
  throw new Error(
    `the state of this ${kind} has schema version ${JSON.stringify(version)}; this pulumi-xinetd reads version ${SCHEMA_VERSION}: upgrade the package`,
  );
}

/** Host, port and user: a change of any of them means another machine or account, so a replacement. */
function connectionIdentity(connection: unknown): unknown {
  const c = (connection ?? {}) as Partial<ConnectionArgs>;
  return [c.host, c.port ?? DEFAULT_PORT, c.user ?? DEFAULT_USER];
}

/** The connection with its defaults written out, so `port: 22` equals no port. */
function withConnectionDefaults(connection: unknown): unknown {
  if (typeof connection !== "object" || connection === null) return connection;
  const c = connection as Partial<ConnectionArgs>;
  return { ...c, port: c.port ?? DEFAULT_PORT, user: c.user ?? DEFAULT_USER };
}

export function sameConnectionIdentity(a: unknown, b: unknown): boolean {
  return sameProperty(connectionIdentity(a), connectionIdentity(b));
}

/** The same host (host and port, whoever logs in): where two resources could touch one file. */
export function sameHost(a: unknown, b: unknown): boolean {
  const [hostA, portA] = connectionIdentity(a) as unknown[];
  const [hostB, portB] = connectionIdentity(b) as unknown[];
  return hostA === hostB && portA === portB;
}

/**
 * The top-level properties that differ, and which of them force a replacement: the connection
 * only when its identity changes, `replaceKeys` always.
 */
export function diffProperties(
  olds: Props,
  news: Props,
  keys: readonly string[],
  replaceKeys: readonly string[],
): { changed: string[]; replaces: string[] } {
  // A state from before `secretContent` existed has none: that is `false`, not a change.
  const comparable = (props: Props, key: string) =>
    key === "connection"
      ? withConnectionDefaults(props.connection)
      : key === "secretContent"
        ? props[key] === true
        : props[key];
  const changed = keys.filter((key) => !sameProperty(comparable(olds, key), comparable(news, key)));
  const replaces = changed.filter(
    (key) =>
      replaceKeys.includes(key) || (key === "connection" && !sameConnectionIdentity(olds.connection, news.connection)),
  );
  return { changed, replaces };
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
      reason: `\`${property}\` must be an absolute ${what} path without \`.\` or \`..\` segments, doubled \`/\`${what === "file" ? " or a trailing `/`" : ""}.`,
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

/** The top-level properties whose value is (or holds) an unknown. */
export function unknownPropertiesOf(news: Props): Set<string> {
  return new Set(Object.keys(news).filter((key) => containsUnknown(news[key])));
}

/** Where the resource's props say to connect, with the host keys its state accepted on first use. */
function hostTargetOf(props: Props): HostTarget {
  const accepted = props.acceptedHostKeys as AcceptedHostKeys | undefined;
  return {
    connection: props.connection as ConnectionArgs,
    sudo: props.sudo === true,
    ...(accepted && { acceptedHostKeys: accepted }),
  };
}

export function runnerFor(props: Props): CommandRunner {
  return openHost(hostTargetOf(props));
}

/**
 * The outputs with `acceptedHostKeys`: the known_hosts lines of the keys the host and its proxy
 * were trusted by on first use (`hostKeyChecking: "accept-new"`), learned by this process's
 * connections or carried over from `props`. Later calls pass them back, so a changed key is refused.
 */
export function withAcceptedHostKeys(outs: Props, props: Props): Props {
  const { acceptedHostKeys: _previous, ...rest } = outs;
  const accepted = acceptedHostKeys(hostTargetOf(props));
  return Object.keys(accepted).length > 0 ? { ...rest, acceptedHostKeys: accepted } : rest;
}

/** The new inputs, with the keys the old state accepted on first use (update gets those only in the olds). */
export function withStateHostKeys(news: Props, olds: Props): Props {
  return olds.acceptedHostKeys === undefined ? news : { ...news, acceptedHostKeys: olds.acceptedHostKeys };
}

/** A stable id: where the managed thing lives. */
export function resourceId(connection: unknown, location: string): string {
  const [host, port] = connectionIdentity(connection) as [string, number];
  return `${host}:${port}:${location}`;
}

/**
 * The error for a create or update that failed after something was (or may have been) written:
 * it carries what the host has now, so the engine records the resource instead of forgetting it.
 * A new error each time: one failure (a batch's reload) may be shared by several resources, and
 * each needs its own id and properties. `__provider` is kept because the engine stores these
 * properties as they are, and later calls look the provider up in them.
 */
export function partialFailure(error: unknown, id: string, outputs: Props, inputs: Props): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  const carrier = new Error(failure.message, { cause: failure }) as Error & { id?: string; properties?: Props };
  carrier.id = id;
  carrier.properties = withoutUndefined({ ...withAcceptedHostKeys(outputs, inputs), __provider: inputs.__provider });
  return carrier;
}

/** How a file-backed kind writes its inputs to a host and reads them back. */
export interface HostBinding {
  kind: string;
  /** Writes what the inputs describe; when `creating`, refuses to take over what exists (unless `adopt`). */
  apply(inputs: Props, creating: boolean): Promise<{ id: string; outs: Props }>;
  /** What the host has, as outputs; an empty id when it is gone. */
  readHost(id: string, props: Props): Promise<{ id: string; props: Props }>;
}

/** `create`, `update` and `read` of a kind, from how it writes and reads the host. */
export function hostMethods(binding: HostBinding) {
  return {
    create: async (inputs: Props): Promise<{ id: string; outs: Props }> => {
      const { id, outs } = await binding.apply(inputs, true);
      return { id, outs: withAcceptedHostKeys(outs, inputs) };
    },
    update: async (_id: string, olds: Props, news: Props): Promise<{ outs: Props }> => {
      upgradeState(olds, binding.kind);
      const inputs = withStateHostKeys(news, olds);
      return { outs: withAcceptedHostKeys((await binding.apply(inputs, false)).outs, inputs) };
    },
    read: async (id: string, props: Props): Promise<{ id: string; props: Props }> => {
      const state = upgradeState(props, binding.kind);
      const found = await binding.readHost(id, state);
      return found.id ? { id: found.id, props: withAcceptedHostKeys(found.props, state) } : found;
    },
  };
}

/**
 * Remote errors raised before anything reached the host: no session, no trust, no credential.
 * Any other failure (a connection cut mid-script, a timeout, a failed reload) may have left the
 * change applied.
 */
const NOTHING_SENT_CODES: ReadonlySet<RemoteErrorCode> = new Set<RemoteErrorCode>([
  "dial-failed",
  "host-key-mismatch",
  "host-key-unknown",
  "host-key-revoked",
  "auth-failed",
  "invalid-connection-args",
  "sudo-needs-password",
  "channel-failed",
]);

function nothingReachedHost(error: unknown): boolean {
  if (error instanceof RemoteError) return NOTHING_SENT_CODES.has(error.code);
  return error instanceof FormatError;
}

/**
 * What to throw when writing failed: a refusal, or an error raised before anything reached the
 * host, as it is; otherwise a partial failure carrying the id, so the engine keeps the resource
 * and the next `pulumi up` updates it (which converges whatever the host has). Its outputs are
 * what the host has when it can be read; when it cannot (the connection is gone), the inputs
 * without `content`, which `diff` takes as "outcome unknown" and answers with an update.
 * A create whose resource the host shows absent fails plainly: the next run creates it. Without
 * `unknownOutcome` (a kind whose inputs must not become outputs) an unreadable host fails plainly.
 */
export async function applyFailure(
  error: unknown,
  refused: boolean,
  id: string,
  inputs: Props,
  readHost: HostBinding["readHost"],
  unknownOutcome?: (inputs: Props) => Props,
): Promise<unknown> {
  if (refused || nothingReachedHost(error)) return error;
  const now = await readHost(id, inputs).catch(() => undefined);
  if (now === undefined) return unknownOutcome ? partialFailure(error, id, unknownOutcome(inputs), inputs) : error;
  return now.id ? partialFailure(error, id, now.props, inputs) : error;
}

/**
 * True when the stored outputs do not say what the host has: a change whose outcome is unknown
 * (a partial failure recorded without `content`). Diff then asks for an update, which converges.
 */
export function outcomeUnknown(olds: Props): boolean {
  return olds.content === undefined;
}

/**
 * The wire form of a secret in a property bag (`{ <sig>: <secret sig>, value }`). The dynamic
 * provider host passes outputs to the engine as they are and the engine keeps this marker on
 * outputs, so an output returned in this form is stored encrypted. Inputs never arrive in it
 * (the host does not accept secrets), hence the `secretContent` flag the resources compute.
 */
const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function secretValue(value: string): Props {
  return { [SPECIAL_SIG_KEY]: SECRET_SIG, value };
}

/**
 * `content` and `checksum` of a rendered file or section: secret when `secretContent` is set
 * (some input that is written into the file is secret), since both give its values away.
 */
export function contentOutputs(inputs: Props, content: string): { content: unknown; checksum: unknown } {
  const checksum = sha256(content);
  return inputs.secretContent === true
    ? { content: secretValue(content), checksum: secretValue(checksum) }
    : { content, checksum };
}

/** The error for a create that finds what it would manage already there. */
export function alreadyExistsError(what: string, host: string): Error {
  return new Error(
    `${host}: ${what} already exists and is not managed by this stack; refusing to take it over. To manage it from now on, set \`adopt: true\` on the resource (its content is then replaced by the resource's).`,
  );
}

/** The inputs as given, minus what the engine adds and undefined values. */
export function inputsOf(news: Props): Props {
  const { __provider: _provider, ...rest } = news;
  return withoutUndefined(rest);
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
