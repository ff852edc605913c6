/**
 * How a failed create or update is reported to the engine: a refusal or an error raised before
 * anything reached the host as it is, anything else as a partial failure that carries the
 * resource's id, so the engine records the resource instead of forgetting it.
 */
import { FormatError } from "../formats";
import { ReloadConflictError, RemoteError, type RemoteErrorCode } from "../remote";
import { hostLabel, withAcceptedHostKeys } from "./connection";
import { withoutUndefined, type Props } from "./props";

/**
 * Why a create refused to write: what it would manage exists, the file is not the daemon's, or the
 * host cannot run the launcher asked for.
 */
export type RefusalCode = "already-exists" | "foreign-file" | "no-systemd";

/** A create that refused to write; nothing on the host changed. */
export class RefusedChange extends Error {
  readonly code: RefusalCode;
  /** `user@host:port`. */
  readonly host: string;

  constructor(init: { code: RefusalCode; host: string; message: string }) {
    super(init.message);
    this.code = init.code;
    this.host = init.host;
  }
}

Object.defineProperty(RefusedChange.prototype, "name", { value: "RefusedChange", configurable: true, writable: true });

/** The refusal of a create that finds what it would manage already there. */
export function alreadyExistsError(what: string, host: string): RefusedChange {
  return new RefusedChange({
    code: "already-exists",
    host,
    message:
      `${host}: ${what} already exists and is not managed by this stack; refusing to take it over. To manage ` +
      `it from now on, set \`adopt: true\` on the resource (its content is then replaced by the resource's).`,
  });
}

/**
 * What a partial failure records: `host-state`, what the host has after the failure; or
 * `outcome-unknown`, the inputs without `content`, when the host could not be read.
 */
export type PartialFailureCode = "host-state" | "outcome-unknown";

/**
 * A create or update that failed after something was (or may have been) written. The
 * dynamic-provider host reads `id` and `properties` and reports a partial create or update, so
 * the engine keeps the resource and the next `pulumi up` updates it. `message` and `cause` are
 * the failure's own.
 */
export class PartialFailure extends Error {
  /** The resource's id. */
  readonly id: string;
  /** The outputs the engine records, with `__provider`, which later calls look the provider up in. */
  readonly properties: Props;
  readonly code: PartialFailureCode;
  /** `user@host:port`. */
  readonly host: string;

  constructor(init: { cause: Error; id: string; properties: Props; code: PartialFailureCode; host: string }) {
    super(init.cause.message, { cause: init.cause });
    this.id = init.id;
    this.properties = init.properties;
    this.code = init.code;
    this.host = init.host;
  }
}

Object.defineProperty(PartialFailure.prototype, "name", {
  value: "PartialFailure",
  configurable: true,
  writable: true,
});

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

/** A refusal, a format-layer rejection, a reload conflict (raised before the file is touched), no session. */
function nothingReachedHost(error: unknown): boolean {
  if (error instanceof RemoteError) return NOTHING_SENT_CODES.has(error.code);
  return error instanceof RefusedChange || error instanceof FormatError || error instanceof ReloadConflictError;
}

/**
 * What to throw when writing failed: an error raised before anything reached the host, as it
 * is; otherwise a partial failure carrying the id, so the engine keeps the resource and the next
 * `pulumi up` updates it (which converges whatever the host has). Its outputs are what the host
 * has when it can be read; when it cannot (the connection is gone), `unknownOutcome(inputs)`,
 * which `diff` takes as "outcome unknown" and answers with an update. A create whose resource
 * the host shows absent fails plainly: the next run creates it. Without `unknownOutcome` (a kind
 * whose inputs must not become outputs) an unreadable host fails plainly. A new error each time:
 * one failure (a batch's reload) may be shared by several resources, each with its own id.
 */
export async function applyFailure(
  error: unknown,
  id: string,
  inputs: Props,
  readHost: (id: string, props: Props) => Promise<{ id: string; props: Props }>,
  unknownOutcome?: (inputs: Props) => Props,
): Promise<unknown> {
  if (nothingReachedHost(error)) return error;
  const now = await readHost(id, inputs).catch(() => undefined);
  const recorded: { outputs: Props; code: PartialFailureCode } | undefined =
    now === undefined
      ? unknownOutcome && { outputs: unknownOutcome(inputs), code: "outcome-unknown" }
      : now.id
        ? { outputs: now.props, code: "host-state" }
        : undefined;
  if (recorded === undefined) return error;
  return new PartialFailure({
    cause: error instanceof Error ? error : new Error(String(error)),
    id,
    properties: withoutUndefined({ ...withAcceptedHostKeys(recorded.outputs, inputs), __provider: inputs.__provider }),
    code: recorded.code,
    host: hostLabel(inputs.connection),
  });
}
