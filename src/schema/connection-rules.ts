/**
 * The values and defaults of `ConnectionArgs`, as @pulumi/command's `remote.ConnectionArgs`
 * documents them, checked in one place for the SSH transport and the fleet config parser. Pure:
 * no ssh2, no file system, so the fleet and the resources import it without loading the transport.
 */

/** OpenSSH's `StrictHostKeyChecking`, as `ConnectionArgs.hostKeyChecking` spells it. */
export type HostKeyChecking = "strict" | "accept-new" | "off";

export const DEFAULT_PORT = 22;
export const DEFAULT_USER = "root";
/** @pulumi/command's default for `dialErrorLimit`. */
export const DEFAULT_DIAL_ERROR_LIMIT = 10;
/** `dialErrorLimit` for no limit on attempts (@pulumi/command's value). */
export const UNLIMITED_DIAL_ERRORS = -1;
/** Seconds, as in `ConnectionArgs.perDialTimeout` (@pulumi/command's default). */
export const DEFAULT_PER_DIAL_TIMEOUT = 15;
/** The environment variable @pulumi/command takes the agent socket from when `agentSocketPath` is not given. */
export const AGENT_SOCKET_ENV = "SSH_AUTH_SOCK";
export const DEFAULT_HOST_KEY_CHECKING: HostKeyChecking = "strict";
export const HOST_KEY_CHECKING_VALUES: readonly HostKeyChecking[] = ["strict", "accept-new", "off"];

/** The numeric fields of a connection, checked by `connectionValueProblems`. */
export type ConnectionValueField = "port" | "dialErrorLimit" | "perDialTimeout";

/** One field outside what @pulumi/command accepts: `type` when not a (whole) number, `range` when out of range. */
export interface ConnectionValueProblem {
  field: ConnectionValueField;
  rule: "type" | "range";
  /** What the value must be, to follow the field's name: `must be a whole number from 1 to 65535`. */
  requirement: string;
}

const RULES: Record<ConnectionValueField, { whole: boolean; min: number; max: number; requirement: string }> = {
  port: { whole: true, min: 1, max: 65_535, requirement: "must be a whole number from 1 to 65535" },
  dialErrorLimit: {
    whole: true,
    min: UNLIMITED_DIAL_ERRORS,
    max: Number.MAX_SAFE_INTEGER,
    requirement: "must be a whole number of at least 0, or -1 for no limit",
  },
  perDialTimeout: {
    whole: false,
    min: 0,
    max: Number.MAX_SAFE_INTEGER / 1000,
    requirement: "must be a number of seconds of at least 0 (0: no limit)",
  },
};

/** The problems of the numeric fields that are given (undefined fields take their defaults). */
export function connectionValueProblems(
  args: Partial<Record<ConnectionValueField, unknown>>,
): ConnectionValueProblem[] {
  return (Object.keys(RULES) as ConnectionValueField[]).flatMap((field): ConnectionValueProblem[] => {
    const value = args[field];
    if (value === undefined) return [];
    const { whole, min, max, requirement } = RULES[field];
    const isNumber = typeof value === "number" && Number.isFinite(value) && (!whole || Number.isInteger(value));
    if (!isNumber) return [{ field, rule: "type", requirement }];
    return value < min || value > max ? [{ field, rule: "range", requirement }] : [];
  });
}

/**
 * How many dials one connection may take: the first plus one per allowed error, as @pulumi/command
 * counts (its `dialWithRetry` makes `dialErrorLimit + 1` attempts: 1 for 0, 11 by default);
 * unbounded for -1.
 */
export function maxDialAttempts(dialErrorLimit: number = DEFAULT_DIAL_ERROR_LIMIT): number {
  return dialErrorLimit === UNLIMITED_DIAL_ERRORS ? Number.POSITIVE_INFINITY : dialErrorLimit + 1;
}

/** The agent socket: `agentSocketPath`, else a non-empty `SSH_AUTH_SOCK` (as @pulumi/command does), else none. */
export function agentSocketPathOf(
  agentSocketPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return agentSocketPath ?? (env[AGENT_SOCKET_ENV] || undefined);
}
