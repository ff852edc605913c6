/** xinetd's attribute table as data: names, value counts, operators, enumerations. */
import type { XinetdAttributeKey, XinetdValueTypes } from "./model";

export type Operator = "=" | "+=" | "-=";

/**
 * How many values an attribute takes: exactly 1 or 2, a `list` (set once with `=`), or a
 * `modifiable` list that also takes `+=` / `-=` and adds up over several lines.
 */
export type ValueCount = 1 | 2 | "list" | "modifiable";

export interface XinetdAttribute {
  /** The spelling xinetd documents (matching is case-insensitive). */
  name: string;
  key: XinetdAttributeKey;
  count: ValueCount;
  /** Operators xinetd honours for it in a service entry. */
  operators: readonly Operator[];
  /** The enumerated values, in xinetd's spelling, when the values are a fixed set. */
  allowed?: readonly string[];
  /** Whether the `defaults` section accepts it. */
  inDefaults: boolean;
  /** The model's (and the resource's) value type, as TypeScript spells it: a key of `XinetdValueTypes`. */
  type: keyof XinetdValueTypes;
  /** The args' TSDoc without its `Default:` sentence: what the attribute does. */
  doc: string;
  /** The TSDoc's `Default:` text; none where xinetd requires the attribute. */
  default?: string;
}

export const SOCKET_TYPES = ["stream", "dgram", "raw", "seqpacket"] as const;
const YES_NO = ["yes", "no"] as const;
export const LOG_ON_SUCCESS_VALUES = ["PID", "HOST", "USERID", "EXIT", "DURATION", "TRAFFIC"] as const;
export const LOG_ON_FAILURE_VALUES = ["HOST", "USERID", "ATTEMPT"] as const;
export const SERVICE_TYPES = ["RPC", "INTERNAL", "UNLISTED", "SPECIAL", "TCPMUX", "TCPMUXPLUS"] as const;
export const SERVICE_FLAGS = [
  "REUSE",
  "INTERCEPT",
  "NORETRY",
  "IDONLY",
  "NAMEINARGS",
  "NODELAY",
  "KEEPALIVE",
  "NOLIBWRAP",
  "SENSOR",
  "IPv4",
  "IPv6",
  "LABELED",
] as const;
export const SYSLOG_FACILITIES = [
  "daemon",
  "auth",
  "authpriv",
  "user",
  "mail",
  "lpr",
  "news",
  "uucp",
  "ftp",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
] as const;
export const SYSLOG_LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const;

const SET: readonly Operator[] = ["="];
const MODIFY: readonly Operator[] = ["=", "+=", "-="];

/** One row of the table; `key` and `type` keep their literal types, from which the model's fields are derived. */
function attribute<const Key extends string, const Type extends keyof XinetdValueTypes>(
  name: string,
  key: Key,
  count: ValueCount,
  inDefaults: boolean,
  type: Type,
  doc: string,
  options: { default?: string; allowed?: readonly string[] } = {},
) {
  const operators = count === "modifiable" ? (key === "env" ? (["=", "+="] as const) : MODIFY) : SET;
  return { name, key, count, operators, inDefaults, type, doc, ...options };
}

/**
 * Every service attribute of xinetd 2.3.15.3, in the order a new file lists them (identity and
 * socket first, like Debian's files). `interface` is xinetd's alias of `bind`.
 */
const ATTRIBUTE_ROWS = [
  attribute("disable", "disable", 1, false, "boolean", "`disable`.", {
    default: "unset (xinetd: enabled)",
    allowed: YES_NO,
  }),
  attribute(
    "type",
    "type",
    "list",
    false,
    "string[]",
    "`type`: RPC, INTERNAL, UNLISTED, SPECIAL, TCPMUX, TCPMUXPLUS.",
    { default: "unset (listed in /etc/services)", allowed: SERVICE_TYPES },
  ),
  attribute(
    "id",
    "serviceId",
    1,
    false,
    "string",
    "`id`, to tell apart entries with one service name. Not named `id`: Pulumi strips `id` and `urn` from every " +
      "resource's inputs.",
    { default: "unset (the service name)" },
  ),
  attribute("flags", "flags", "list", false, "string[]", "`flags` (REUSE, IPv4, IPv6, NODELAY, KEEPALIVE, ...).", {
    default: "unset",
    allowed: SERVICE_FLAGS,
  }),
  attribute(
    "socket_type",
    "socketType",
    1,
    false,
    "SocketType",
    "`socket_type`. Required by xinetd (the resource has no default).",
    { allowed: SOCKET_TYPES },
  ),
  attribute("protocol", "protocol", 1, false, "string", "`protocol`.", { default: "unset (from /etc/services)" }),
  attribute("port", "port", 1, false, "number", "`port`.", {
    default: "unset (from /etc/services; required with UNLISTED)",
  }),
  attribute(
    "wait",
    "wait",
    1,
    false,
    "boolean",
    "`wait`: `true` for single-threaded services. Required by xinetd (the resource has no default).",
    { allowed: YES_NO },
  ),
  attribute("user", "user", 1, false, "string", "`user` the server runs as. Required by xinetd unless INTERNAL."),
  attribute("group", "group", 1, false, "string", "`group` the server runs as.", {
    default: "unset (the user's group)",
  }),
  attribute("groups", "groups", 1, true, "boolean", "`groups`: give the server the user's supplementary groups.", {
    default: "unset (xinetd: no)",
    allowed: YES_NO,
  }),
  attribute(
    "server",
    "server",
    1,
    false,
    "string",
    "`server` program. Required by xinetd unless INTERNAL or `redirect`.",
  ),
  attribute(
    "server_args",
    "serverArgs",
    "list",
    false,
    "string[]",
    '`server_args`: one token per element, or xinetd\'s own line (`"--daemon --config=/etc/rsyncd.conf"`), split as ' +
      'xinetd splits it: at blanks and tabs, with no quoting (`"a b"` is two tokens, quotes kept). The state holds ' +
      "the list either way.",
    { default: "unset" },
  ),
  attribute(
    "redirect",
    "redirect",
    2,
    false,
    "{ host: string; port: number }",
    "`redirect` connections to another host and port.",
    { default: "unset" },
  ),
  attribute("instances", "instances", 1, true, 'number | "UNLIMITED"', "`instances`: simultaneous servers.", {
    default: "unset (xinetd's defaults section, else no limit)",
  }),
  attribute(
    "per_source",
    "perSource",
    1,
    true,
    'number | "UNLIMITED"',
    "`per_source`: simultaneous servers per client address.",
    { default: "unset (defaults section)" },
  ),
  attribute("cps", "cps", 2, true, "[number, number]", "`cps`: [connections per second, seconds disabled after].", {
    default: "unset (xinetd: [50, 10])",
  }),
  attribute("max_load", "maxLoad", 1, true, "number", "`max_load`: refuse connections above this load average.", {
    default: "unset",
  }),
  attribute(
    "log_type",
    "logType",
    "list",
    true,
    "LogType",
    "`log_type`: SYSLOG facility [level] or FILE path [limits].",
    { default: "unset (defaults section)" },
  ),
  attribute(
    "log_on_success",
    "logOnSuccess",
    "modifiable",
    true,
    "ListValue",
    "`log_on_success` (PID, HOST, USERID, EXIT, DURATION, TRAFFIC).",
    { default: "unset (defaults section)", allowed: LOG_ON_SUCCESS_VALUES },
  ),
  attribute(
    "log_on_failure",
    "logOnFailure",
    "modifiable",
    true,
    "ListValue",
    '`log_on_failure` (HOST, USERID, ATTEMPT); `{ add: ["USERID"] }` writes `+= USERID`.',
    { default: "unset (defaults section)", allowed: LOG_ON_FAILURE_VALUES },
  ),
  attribute("only_from", "onlyFrom", "modifiable", true, "ListValue", "`only_from`: clients allowed.", {
    default: "unset (defaults section, else everyone)",
  }),
  attribute("no_access", "noAccess", "modifiable", true, "ListValue", "`no_access`: clients refused.", {
    default: "unset (defaults section)",
  }),
  attribute(
    "access_times",
    "accessTimes",
    "list",
    false,
    "string[]",
    "`access_times`: hh:mm-hh:mm intervals when the service is available.",
    { default: "unset (always)" },
  ),
  attribute("bind", "bind", 1, true, "string", "`bind` (alias `interface`): address to listen on.", {
    default: "unset (all addresses)",
  }),
  attribute(
    "interface",
    "bind",
    1,
    true,
    "string",
    "`interface`: xinetd's alias of `bind`; the resources take `bind`.",
    { default: "unset (all addresses)" },
  ),
  attribute("v6only", "v6only", 1, true, "boolean", "`v6only`.", { default: "unset (xinetd: no)", allowed: YES_NO }),
  attribute(
    "env",
    "env",
    "modifiable",
    false,
    "EnvValue",
    "`env`: NAME=value entries for the server; `{ add }` writes `+=` (no `-=`).",
    { default: "unset" },
  ),
  attribute(
    "passenv",
    "passenv",
    "modifiable",
    true,
    "ListValue",
    "`passenv`: variables passed through from xinetd's environment.",
    { default: "unset" },
  ),
  attribute("nice", "nice", 1, false, "number", "`nice` of the server.", { default: "unset" }),
  attribute("umask", "umask", 1, true, "string", '`umask` of the server, octal text such as `"022"`.', {
    default: "unset (defaults section)",
  }),
  attribute("rlimit_as", "rlimitAs", 1, false, "ResourceLimit", '`rlimit_as`: bytes, `"64M"`, or `"UNLIMITED"`.', {
    default: "unset",
  }),
  attribute("rlimit_cpu", "rlimitCpu", 1, false, 'number | "UNLIMITED"', '`rlimit_cpu`: seconds, or `"UNLIMITED"`.', {
    default: "unset",
  }),
  attribute("rlimit_data", "rlimitData", 1, false, "ResourceLimit", "`rlimit_data`.", { default: "unset" }),
  attribute("rlimit_files", "rlimitFiles", 1, false, "ResourceLimit", "`rlimit_files`.", { default: "unset" }),
  attribute("rlimit_rss", "rlimitRss", 1, false, "ResourceLimit", "`rlimit_rss`.", { default: "unset" }),
  attribute("rlimit_stack", "rlimitStack", 1, false, "ResourceLimit", "`rlimit_stack`.", { default: "unset" }),
  attribute(
    "deny_time",
    "denyTime",
    1,
    false,
    'number | "FOREVER" | "NEVER"',
    '`deny_time`: minutes a SENSOR-flagged client stays refused, `"FOREVER"` or `"NEVER"`.',
    { default: "unset" },
  ),
  attribute("banner", "banner", 1, true, "string", "`banner`: file shown to every client.", { default: "unset" }),
  attribute("banner_success", "bannerSuccess", 1, true, "string", "`banner_success`: file shown to accepted clients.", {
    default: "unset",
  }),
  attribute("banner_fail", "bannerFail", 1, true, "string", "`banner_fail`: file shown to refused clients.", {
    default: "unset",
  }),
  attribute("rpc_version", "rpcVersion", 1, false, "string", "`rpc_version` of an RPC service.", { default: "unset" }),
  attribute("rpc_number", "rpcNumber", 1, false, "number", "`rpc_number` of an unlisted RPC service.", {
    default: "unset",
  }),
  attribute("libwrap", "libwrap", 1, false, "string", "`libwrap` service name for TCP wrappers.", {
    default: "unset (the service name)",
  }),
];

/** The attributes as model fields, each optional: `socketType?: SocketType`, … (`interface` folds into `bind`). */
export type XinetdAttributeFields = {
  -readonly [A in (typeof ATTRIBUTE_ROWS)[number] as A["key"]]?: XinetdValueTypes[A["type"]];
};

export const XINETD_ATTRIBUTES: readonly XinetdAttribute[] = ATTRIBUTE_ROWS;

const BY_NAME = new Map(XINETD_ATTRIBUTES.map((a) => [a.name, a]));
const BY_KEY = new Map<XinetdAttributeKey, XinetdAttribute>();
for (const a of XINETD_ATTRIBUTES) if (!BY_KEY.has(a.key)) BY_KEY.set(a.key, a);

/** Case-insensitive lookup, as xinetd's `strcasecmp`. */
export function attributeByName(name: string): XinetdAttribute | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** The canonical attribute of a model key (`bind`, never its alias `interface`). */
export function attributeByKey(key: XinetdAttributeKey): XinetdAttribute {
  const found = BY_KEY.get(key);
  if (!found) throw new Error(`no xinetd attribute for key ${key}`);
  return found;
}

/** Model keys in canonical (rendering) order. */
export const ATTRIBUTE_KEYS: readonly XinetdAttributeKey[] = [...BY_KEY.keys()];

/** No hint is further from the name it corrects than this (a third of the longest attribute name). */
const MAX_HINT_DISTANCE = Math.max(...XINETD_ATTRIBUTES.map((a) => Math.max(1, Math.floor(a.name.length / 3))));

/** The known attribute name closest to `name` (for "did you mean" hints), if any is close. */
export function nearestAttributeName(name: string): string | undefined {
  const wanted = name.toLowerCase().replace(/[-\s]/g, "_");
  let best: { name: string; distance: number } | undefined;
  for (const a of XINETD_ATTRIBUTES) {
    // Only a strictly closer name replaces the best one, and none above MAX_HINT_DISTANCE can be the answer.
    const limit = best ? best.distance - 1 : MAX_HINT_DISTANCE;
    const distance = editDistance(wanted, a.name, limit);
    if (distance <= limit) best = { name: a.name, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/** Edit distance of `a` and `b` when it is at most `limit`; else some number above `limit`, found early. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (current[j]! < rowMin) rowMin = current[j]!;
    }
    // A row's minimum never decreases further down: the distance is already above the limit.
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}
