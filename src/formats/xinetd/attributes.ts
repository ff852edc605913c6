/** xinetd's attribute table as data: names, value counts, operators, enumerations. */
import type { XinetdAttributeKey } from "./model";

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

function attribute(
  name: string,
  key: XinetdAttributeKey,
  count: ValueCount,
  inDefaults: boolean,
  allowed?: readonly string[],
): XinetdAttribute {
  const operators = count === "modifiable" ? (key === "env" ? (["=", "+="] as const) : MODIFY) : SET;
  return allowed ? { name, key, count, operators, allowed, inDefaults } : { name, key, count, operators, inDefaults };
}

/**
 * Every service attribute of xinetd 2.3.15.3, in the order a new file lists them (identity and
 * socket first, like Debian's files). `interface` is xinetd's alias of `bind`.
 */
export const XINETD_ATTRIBUTES: readonly XinetdAttribute[] = [
  attribute("disable", "disable", 1, false, YES_NO),
  attribute("type", "type", "list", false, SERVICE_TYPES),
  attribute("id", "serviceId", 1, false),
  attribute("flags", "flags", "list", false, SERVICE_FLAGS),
  attribute("socket_type", "socketType", 1, false, SOCKET_TYPES),
  attribute("protocol", "protocol", 1, false),
  attribute("port", "port", 1, false),
  attribute("wait", "wait", 1, false, YES_NO),
  attribute("user", "user", 1, false),
  attribute("group", "group", 1, false),
  attribute("groups", "groups", 1, true, YES_NO),
  attribute("server", "server", 1, false),
  attribute("server_args", "serverArgs", "list", false),
  attribute("redirect", "redirect", 2, false),
  attribute("instances", "instances", 1, true),
  attribute("per_source", "perSource", 1, true),
  attribute("cps", "cps", 2, true),
  attribute("max_load", "maxLoad", 1, true),
  attribute("log_type", "logType", "list", true),
  attribute("log_on_success", "logOnSuccess", "modifiable", true, LOG_ON_SUCCESS_VALUES),
  attribute("log_on_failure", "logOnFailure", "modifiable", true, LOG_ON_FAILURE_VALUES),
  attribute("only_from", "onlyFrom", "modifiable", true),
  attribute("no_access", "noAccess", "modifiable", true),
  attribute("access_times", "accessTimes", "list", false),
  attribute("bind", "bind", 1, true),
  attribute("interface", "bind", 1, true),
  attribute("v6only", "v6only", 1, true, YES_NO),
  attribute("env", "env", "modifiable", false),
  attribute("passenv", "passenv", "modifiable", true),
  attribute("nice", "nice", 1, false),
  attribute("umask", "umask", 1, true),
  attribute("rlimit_as", "rlimitAs", 1, false),
  attribute("rlimit_cpu", "rlimitCpu", 1, false),
  attribute("rlimit_data", "rlimitData", 1, false),
  attribute("rlimit_files", "rlimitFiles", 1, false),
  attribute("rlimit_rss", "rlimitRss", 1, false),
  attribute("rlimit_stack", "rlimitStack", 1, false),
  attribute("deny_time", "denyTime", 1, false),
  attribute("banner", "banner", 1, true),
  attribute("banner_success", "bannerSuccess", 1, true),
  attribute("banner_fail", "bannerFail", 1, true),
  attribute("rpc_version", "rpcVersion", 1, false),
  attribute("rpc_number", "rpcNumber", 1, false),
  attribute("libwrap", "libwrap", 1, false),
];

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
