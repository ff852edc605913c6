/** Per-attribute value codecs: xinetd's value rules (tokens → typed value) and their inverse. */
import {
  LOG_ON_FAILURE_VALUES,
  LOG_ON_SUCCESS_VALUES,
  SERVICE_FLAGS,
  SERVICE_TYPES,
  SOCKET_TYPES,
  SYSLOG_FACILITIES,
  SYSLOG_LEVELS,
} from "./attributes";
import type { ProblemRule } from "../problems";
import type { XinetdAttributeKey } from "./model";

export type Parsed = { ok: true; value: unknown } | { ok: false; rule: ProblemRule; message: string };

export interface ValueCodec {
  /** `name` is the attribute as written, for messages. */
  parse(tokens: readonly string[], name: string): Parsed;
  format(value: unknown): string[];
}

const ok = (value: unknown): Parsed => ({ ok: true, value });
const fail = (rule: ProblemRule, message: string): Parsed => ({ ok: false, rule, message });

// strtol as xinetd calls it: C white space around the digits is accepted (so a CRLF line's
// trailing `\r` does not break a number), a sign is accepted.
const C_SPACE = "[ \\t\\n\\v\\f\\r]*";
const INTEGER = new RegExp(`^${C_SPACE}([+-]?\\d+)${C_SPACE}$`);
const UNSIGNED = new RegExp(`^${C_SPACE}\\+?(\\d+)${C_SPACE}$`);

function integerOf(token: string | undefined): number | undefined {
  const m = token === undefined ? null : INTEGER.exec(token);
  return m ? Number(m[1]) : undefined;
}

function unsignedOf(token: string | undefined): number | undefined {
  const m = token === undefined ? null : UNSIGNED.exec(token);
  return m ? Number(m[1]) : undefined;
}

function pick(allowed: readonly string[], token: string): string | undefined {
  const lower = token.toLowerCase();
  return allowed.find((a) => a.toLowerCase() === lower);
}

const tokenString = (value: unknown): string[] => [String(value)];

const text: ValueCodec = { parse: (t) => ok(t[0]), format: tokenString };

function oneOf(allowed: readonly string[]): ValueCodec {
  return {
    parse: (t, name) => {
      const v = pick(allowed, t[0] ?? "");
      return v === undefined
        ? fail("enum", `\`${name}\` must be one of ${allowed.join(", ")}, not \`${t[0]}\`.`)
        : ok(v);
    },
    format: tokenString,
  };
}

const yesNo: ValueCodec = {
  parse: (t, name) => {
    const v = pick(["yes", "no"], t[0] ?? "");
    return v === undefined ? fail("enum", `\`${name}\` must be yes or no, not \`${t[0]}\`.`) : ok(v === "yes");
  },
  format: (value) => [value ? "yes" : "no"],
};

function integer(min: number, max: number): ValueCodec {
  return {
    parse: (t, name) => {
      const n = integerOf(t[0]);
      if (n === undefined) return fail("invalid-value", `\`${name}\` must be an integer, not \`${t[0]}\`.`);
      if (n < min || n > max) return fail("range", `\`${name}\` must be between ${min} and ${max}, not ${n}.`);
      return ok(n);
    },
    format: tokenString,
  };
}

function integerOrWords(words: readonly string[], min: number): ValueCodec {
  return {
    parse: (t, name) => {
      const word = pick(words, t[0] ?? "");
      if (word !== undefined) return ok(word);
      const n = integerOf(t[0]);
      if (n === undefined)
        return fail("invalid-value", `\`${name}\` must be an integer or ${words.join(" or ")}, not \`${t[0]}\`.`);
      if (n < min) return fail("range", `\`${name}\` must be at least ${min}, not ${n}.`);
      return ok(n);
    },
    format: tokenString,
  };
}

const LIMIT = new RegExp(`^${C_SPACE}\\+?(\\d+)([kKmM]?)${C_SPACE}$`);

/** `get_limit`: digits with an optional K/M suffix; a plain number stays a number. */
function limitOf(token: string): number | string | undefined {
  const m = LIMIT.exec(token);
  if (!m) return undefined;
  return m[2] ? `${m[1]}${m[2]}` : Number(m[1]);
}

function limitBytes(limit: number | string): number {
  if (typeof limit === "number") return limit;
  const unit = limit.slice(-1).toLowerCase();
  const scale = unit === "k" ? 1024 : unit === "m" ? 1024 * 1024 : 1;
  return parseInt(limit, 10) * scale;
}

const resourceLimit: ValueCodec = {
  parse: (t, name) => {
    if (pick(["UNLIMITED"], t[0] ?? "")) return ok("UNLIMITED");
    const v = limitOf(t[0] ?? "");
    return v === undefined
      ? fail(
          "invalid-value",
          `\`${name}\` must be a byte count with an optional K or M suffix, or UNLIMITED, not \`${t[0]}\`.`,
        )
      : ok(v);
  },
  format: tokenString,
};

const cpuLimit: ValueCodec = {
  parse: (t, name) => {
    if (pick(["UNLIMITED"], t[0] ?? "")) return ok("UNLIMITED");
    const n = unsignedOf(t[0]);
    return n === undefined
      ? fail("invalid-value", `\`${name}\` must be a number of seconds or UNLIMITED, not \`${t[0]}\`.`)
      : ok(n);
  },
  format: tokenString,
};

const cps: ValueCodec = {
  parse: (t, name) => {
    const rate = unsignedOf(t[0]);
    const wait = unsignedOf(t[1]);
    return rate === undefined || wait === undefined
      ? fail(
          "invalid-value",
          `\`${name}\` must be two unsigned integers (connections per second, seconds to wait), not ` +
            `\`${t.join(" ")}\`.`,
        )
      : ok([rate, wait]);
  },
  format: (value) => (value as number[]).map(String),
};

const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const maxLoad: ValueCodec = {
  parse: (t, name) => {
    const token = t[0] ?? "";
    if (!FLOAT.test(token)) return fail("invalid-value", `\`${name}\` must be a number, not \`${token}\`.`);
    const n = Number(token);
    return n === 0 ? fail("range", `\`${name}\` must not be zero.`) : ok(n);
  },
  format: tokenString,
};

const umask: ValueCodec = {
  parse: (t, name) => {
    const token = t[0] ?? "";
    const m = new RegExp(`^${C_SPACE}([0-7]+)${C_SPACE}$`).exec(token);
    if (!m) return fail("invalid-value", `\`${name}\` must be an octal number, not \`${token}\`.`);
    return parseInt(m[1]!, 8) > 0o777 ? fail("range", `\`${name}\` must be at most 0777, not ${m[1]}.`) : ok(m[1]);
  },
  format: tokenString,
};

const rpcVersion: ValueCodec = {
  parse: (t, name) => {
    const token = t[0] ?? "";
    const [low, high] = token.split("-", 2);
    const min = integerOf(low);
    const max = high === undefined ? min : integerOf(high);
    return min === undefined || max === undefined || min > max
      ? fail("invalid-value", `\`${name}\` must be a version \`n\` or a range \`n-m\`, not \`${token}\`.`)
      : ok(token);
  },
  format: tokenString,
};

const redirect: ValueCodec = {
  parse: (t, name) => {
    const port = integerOf(t[1]);
    if (port === undefined)
      return fail("invalid-value", `\`${name}\` must be a host and a port number, not \`${t.join(" ")}\`.`);
    if (port <= 0 || port > 65535) return fail("range", `\`${name}\` port must be between 1 and 65535, not ${port}.`);
    return ok({ host: t[0], port });
  },
  format: (value) => {
    const r = value as { host: string; port: number };
    return [r.host, String(r.port)];
  },
};

function nonEmpty(name: string): Parsed {
  return fail(name === "server_args" ? "empty-server-args" : "invalid-value", `\`${name}\` needs at least one value.`);
}

const tokenList: ValueCodec = {
  parse: (t, name) => (t.length === 0 ? nonEmpty(name) : ok([...t])),
  format: (value) => [...(value as string[])],
};

function enumList(allowed: readonly string[], emptyAllowed: boolean): ValueCodec {
  return {
    parse: (t, name) => {
      if (t.length === 0 && !emptyAllowed) return nonEmpty(name);
      const values: string[] = [];
      for (const token of t) {
        const v = pick(allowed, token);
        if (v === undefined)
          return fail("enum", `\`${name}\` values must be among ${allowed.join(", ")}; \`${token}\` is not.`);
        values.push(v);
      }
      return ok(values);
    },
    format: (value) => [...(value as string[])],
  };
}

const TIME_RANGE = /^(\d{1,2}):(\d{1,2})-(\d{1,2}):(\d{1,2})$/;

const accessTimes: ValueCodec = {
  parse: (t, name) => {
    if (t.length === 0) return nonEmpty(name);
    for (const token of t) {
      const m = TIME_RANGE.exec(token);
      const [h1, m1, h2, m2] = m ? m.slice(1).map(Number) : [];
      if (!m || h1! > 23 || h2! > 23 || m1! > 59 || m2! > 59) {
        return fail("invalid-value", `\`${name}\` values must be time ranges \`hh:mm-hh:mm\`; \`${token}\` is not.`);
      }
    }
    return ok([...t]);
  },
  format: (value) => [...(value as string[])],
};

const logType: ValueCodec = {
  parse: (t, name) => {
    const kind = pick(["SYSLOG", "FILE"], t[0] ?? "");
    if (kind === "SYSLOG") {
      if (t.length < 2 || t.length > 3)
        return fail("invalid-value", `\`${name} = SYSLOG\` takes a facility and an optional level.`);
      const facility = pick(SYSLOG_FACILITIES, t[1]!);
      if (facility === undefined)
        return fail("enum", `\`${name}\` facility must be one of ${SYSLOG_FACILITIES.join(", ")}, not \`${t[1]}\`.`);
      if (t.length === 2) return ok({ kind, facility });
      const level = pick(SYSLOG_LEVELS, t[2]!);
      if (level === undefined)
        return fail("enum", `\`${name}\` level must be one of ${SYSLOG_LEVELS.join(", ")}, not \`${t[2]}\`.`);
      return ok({ kind, facility, level });
    }
    if (kind === "FILE") {
      if (t.length < 2 || t.length > 4)
        return fail("invalid-value", `\`${name} = FILE\` takes a path and optional soft and hard limits.`);
      const limits = t.slice(2).map(limitOf);
      if (limits.some((l) => l === undefined))
        return fail("invalid-value", `\`${name}\` limits must be byte counts with an optional K or M suffix.`);
      if (limits.length === 2 && limitBytes(limits[1]!) < limitBytes(limits[0]!)) {
        return fail("range", `\`${name}\` hard limit must not be less than the soft limit.`);
      }
      const value: { kind: "FILE"; path: string; softLimit?: string; hardLimit?: string } = { kind, path: t[1]! };
      if (t[2] !== undefined) value.softLimit = t[2];
      if (t[3] !== undefined) value.hardLimit = t[3];
      return ok(value);
    }
    return fail("enum", `\`${name}\` must start with SYSLOG or FILE, not \`${t[0] ?? ""}\`.`);
  },
  format: (value) => {
    const v = value as {
      kind: string;
      facility?: string;
      level?: string;
      path?: string;
      softLimit?: string;
      hardLimit?: string;
    };
    const rest = v.kind === "SYSLOG" ? [v.facility, v.level] : [v.path, v.softLimit, v.hardLimit];
    return [v.kind, ...rest.filter((x): x is string => x !== undefined)];
  },
};

/** Items of a modifiable list (`only_from`, `no_access`): a comma only inside `{…}`. */
const addresses: ValueCodec = {
  parse: (t, name) => {
    const bad = t.find((a) => a.includes(",") && !a.includes("{"));
    return bad === undefined
      ? ok([...t])
      : fail("invalid-value", `\`${name}\` address \`${bad}\` has a comma; separate addresses with blanks.`);
  },
  format: (value) => [...(value as string[])],
};

const envItems: ValueCodec = {
  parse: (t, name) => {
    const bad = t.find((e) => !e.includes("="));
    return bad === undefined
      ? ok([...t])
      : fail("env-without-equals", `\`${name}\` entries must be NAME=VALUE; \`${bad}\` has no \`=\`.`);
  },
  format: (value) => [...(value as string[])],
};

const anyItems: ValueCodec = { parse: (t) => ok([...t]), format: (value) => [...(value as string[])] };

/** For `modifiable` attributes the codec handles the items of one line; read.ts folds the lines. */
export const VALUE_CODECS: Record<XinetdAttributeKey, ValueCodec> = {
  disable: yesNo,
  type: enumList(SERVICE_TYPES, false),
  serviceId: text,
  flags: enumList(SERVICE_FLAGS, false),
  socketType: oneOf(SOCKET_TYPES),
  protocol: text,
  port: integer(0, 65535),
  wait: yesNo,
  user: text,
  group: text,
  groups: yesNo,
  server: text,
  serverArgs: tokenList,
  redirect,
  instances: integerOrWords(["UNLIMITED"], 0),
  perSource: integerOrWords(["UNLIMITED"], 0),
  cps,
  maxLoad,
  logType,
  logOnSuccess: enumList(LOG_ON_SUCCESS_VALUES, true),
  logOnFailure: enumList(LOG_ON_FAILURE_VALUES, true),
  onlyFrom: addresses,
  noAccess: addresses,
  accessTimes,
  bind: text,
  v6only: yesNo,
  env: envItems,
  passenv: anyItems,
  nice: integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  umask,
  rlimitAs: resourceLimit,
  rlimitCpu: cpuLimit,
  rlimitData: resourceLimit,
  rlimitFiles: resourceLimit,
  rlimitRss: resourceLimit,
  rlimitStack: resourceLimit,
  denyTime: integerOrWords(["FOREVER", "NEVER"], Number.MIN_SAFE_INTEGER),
  banner: text,
  bannerSuccess: text,
  bannerFail: text,
  rpcVersion,
  rpcNumber: integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  libwrap: text,
};
