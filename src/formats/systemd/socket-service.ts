/**
 * A socket-service model as two units' settings, and back: the units systemd would read, turned
 * into the model they mean. The reading uses systemd's value rules (values.ts), never the
 * writers' code, so the guard can compare the two.
 */
import type { UnitSettings } from "./edit";
import type { UnitReading } from "./read";
import { effectiveValue, listValue } from "./read";
import type { SystemdResourceLimit, SystemdSocketServiceModel } from "./model";
import {
  escapeSpecifiers,
  formatEnvironment,
  formatExecStart,
  isValueError,
  parseEnvironment,
  parseExecStart,
  resolveSpecifiers,
} from "./values";

export const LISTEN_KEYS = { stream: "ListenStream", dgram: "ListenDatagram", seqpacket: "ListenSequentialPacket" };

/** The model's limits and the systemd settings they become. */
export const LIMIT_KEYS = {
  rlimitAs: "LimitAS",
  rlimitCpu: "LimitCPU",
  rlimitData: "LimitDATA",
  rlimitFiles: "LimitNOFILE",
  rlimitRss: "LimitRSS",
  rlimitStack: "LimitSTACK",
} as const;

export type LimitKey = keyof typeof LIMIT_KEYS;

/** Flags with a setting of their own, in the order read back; IPv4, REUSE and NOLIBWRAP restate systemd's defaults. */
const FLAG_ORDER = ["IPv6", "KEEPALIVE", "NODELAY", "NAMEINARGS"];

export interface SystemdUnitNames {
  socket: string;
  service: string;
}

export function systemdUnitNames(name: string, wait: boolean | undefined): SystemdUnitNames {
  return { socket: `${name}.socket`, service: wait ? `${name}.service` : `${name}@.service` };
}

function limitNumber(limit: SystemdResourceLimit): number | "UNLIMITED" {
  if (typeof limit === "number") return limit;
  if (limit.toUpperCase() === "UNLIMITED") return "UNLIMITED";
  const m = /^(\d+)([kKmM]?)$/.exec(limit);
  if (!m) return Number.NaN;
  const scale = m[2] === "" ? 1 : m[2]!.toLowerCase() === "k" ? 1024 : 1024 * 1024;
  return Number(m[1]) * scale;
}

/**
 * The model as systemd reads it back: defaults filled in (`stream`, `wait: false`), flags without
 * the no-op ones in a fixed order, limits as numbers, `umask` as four octal digits. Two models
 * mean the same units exactly when their normal forms are deeply equal.
 */
export function normalizeSystemdSocketService(model: SystemdSocketServiceModel): SystemdSocketServiceModel {
  const out: SystemdSocketServiceModel = {
    ...model,
    socketType: model.socketType ?? "stream",
    wait: model.wait ?? false,
  };
  if (model.flags !== undefined) {
    const flags = FLAG_ORDER.filter((flag) => model.flags!.includes(flag));
    if (flags.length > 0) out.flags = flags;
    else delete out.flags;
  }
  if (model.v6only === false) delete out.v6only;
  // Nothing is written for an empty list, so none is read back.
  if (model.serverArgs?.length === 0) delete out.serverArgs;
  if (model.env?.length === 0) delete out.env;
  if (model.umask !== undefined) out.umask = Number.parseInt(model.umask, 8).toString(8).padStart(4, "0");
  for (const key of Object.keys(LIMIT_KEYS) as LimitKey[]) {
    const limit = model[key];
    if (limit !== undefined) (out as unknown as Record<string, unknown>)[key] = limitNumber(limit);
  }
  if (model.extra !== undefined) {
    const extra: NonNullable<SystemdSocketServiceModel["extra"]> = {};
    for (const part of ["socket", "service"] as const) {
      const settings = model.extra[part];
      if (settings === undefined || Object.keys(settings).length === 0) continue;
      extra[part] = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, typeof v === "string" ? [v] : v]));
    }
    if (Object.keys(extra).length > 0) out.extra = extra;
    else delete out.extra;
  }
  const record = out as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(out)) if (value === undefined) delete record[key];
  return out;
}

function listenAddress(model: SystemdSocketServiceModel): string {
  const ipv6 = model.flags?.includes("IPv6") ?? false;
  const address = model.bind ?? (ipv6 ? "::" : "0.0.0.0");
  return ipv6 ? `[${address}]:${model.port}` : `${address}:${model.port}`;
}

function extraSettings(extra: Record<string, string | string[]> | undefined): Record<string, string[]> {
  return Object.fromEntries(Object.entries(extra ?? {}).map(([key, v]) => [key, typeof v === "string" ? [v] : v]));
}

/** The settings of both units, in systemd's value syntax (unchecked; see guard.ts). */
export function systemdSocketServiceSettings(model: SystemdSocketServiceModel): {
  names: SystemdUnitNames;
  socket: UnitSettings;
  service: UnitSettings;
} {
  const names = systemdUnitNames(model.name, model.wait);
  const flags = new Set(model.flags ?? []);
  const one = (value: string | number | undefined): string[] => (value === undefined ? [] : [String(value)]);
  const unit: UnitSettings =
    model.description === undefined ? {} : { Unit: { Description: [escapeSpecifiers(model.description)] } };
  const socket: Record<string, string[]> = {
    [LISTEN_KEYS[model.socketType ?? "stream"]]: [escapeSpecifiers(listenAddress(model))],
    Accept: [model.wait ? "no" : "yes"],
    BindIPv6Only: flags.has("IPv6") ? [model.v6only ? "ipv6-only" : "both"] : [],
    KeepAlive: flags.has("KEEPALIVE") ? ["yes"] : [],
    NoDelay: flags.has("NODELAY") ? ["yes"] : [],
    MaxConnections: one(model.instances),
    MaxConnectionsPerSource: one(model.perSource),
    TriggerLimitIntervalSec: model.cps === undefined ? [] : ["1s"],
    TriggerLimitBurst: one(model.cps),
    IPAddressAllow: model.onlyFrom ?? [],
    IPAddressDeny: model.onlyFrom !== undefined ? ["any"] : (model.noAccess ?? []),
    ...extraSettings(model.extra?.socket),
  };
  const nameInArgs = flags.has("NAMEINARGS");
  const service: Record<string, string[]> = {
    ExecStart: [formatExecStart(nameInArgs ? "-@" : "-", model.server, model.serverArgs ?? [])],
    User: model.user === undefined ? [] : [escapeSpecifiers(model.user)],
    Group: model.group === undefined ? [] : [escapeSpecifiers(model.group)],
    StandardInput: ["socket"],
    Environment: (model.env ?? []).map(formatEnvironment),
    Nice: one(model.nice),
    UMask: model.umask === undefined ? [] : [Number.parseInt(model.umask, 8).toString(8).padStart(4, "0")],
    ...extraSettings(model.extra?.service),
  };
  for (const key of Object.keys(LIMIT_KEYS) as LimitKey[]) {
    const limit = model[key];
    if (limit === undefined) continue;
    const value = limitNumber(limit);
    service[LIMIT_KEYS[key]] = [value === "UNLIMITED" ? "infinity" : String(value)];
  }
  return {
    names,
    socket: { ...unit, Socket: socket, Install: { WantedBy: ["sockets.target"] } },
    service: { ...unit, Service: service },
  };
}

// Reading back.

/** A field the units hold in a form the model cannot say. */
export interface UnreadableSetting {
  field: string;
  setting: string;
  message: string;
}

export interface SystemdSocketServiceReading {
  /** The model the units mean, normalized (see `normalizeSystemdSocketService`). */
  model: SystemdSocketServiceModel;
  /** Settings that could not be read into the model (their field is left out of it). */
  unreadable: UnreadableSetting[];
  /** Settings outside `[Socket]`/`[Service]` that the model does not manage, as `[Section] Key`. */
  unmanaged: string[];
}

/** The settings the model's typed fields write, per unit; `extra` may not set them, and a reading takes them. */
export const MANAGED_SETTINGS = {
  socket: [
    ...Object.values(LISTEN_KEYS),
    "Accept",
    "BindIPv6Only",
    "KeepAlive",
    "NoDelay",
    "MaxConnections",
    "MaxConnectionsPerSource",
    "TriggerLimitIntervalSec",
    "TriggerLimitBurst",
    "IPAddressAllow",
    "IPAddressDeny",
  ],
  service: [
    "ExecStart",
    "User",
    "Group",
    "StandardInput",
    "Environment",
    "Nice",
    "UMask",
    ...Object.values(LIMIT_KEYS),
  ],
} as const;
const MANAGED_SOCKET: ReadonlySet<string> = new Set(MANAGED_SETTINGS.socket);
const MANAGED_SERVICE: ReadonlySet<string> = new Set(MANAGED_SETTINGS.service);

const BOOLEAN_TRUE = new Set(["1", "yes", "y", "true", "t", "on"]);
const BOOLEAN_FALSE = new Set(["0", "no", "n", "false", "f", "off"]);

function parseBoolean(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  return BOOLEAN_TRUE.has(lower) ? true : BOOLEAN_FALSE.has(lower) ? false : undefined;
}

/** `ADDR:PORT`, `[ADDR]:PORT` or a bare port (IPv6, dual stack by the kernel's default). */
function parseListen(value: string): { address?: string; ipv6: boolean; port: number } | undefined {
  const bare = /^(\d+)$/.exec(value);
  if (bare) return { ipv6: true, port: Number(bare[1]) };
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (v6) return { address: v6[1]!, ipv6: true, port: Number(v6[2]) };
  const v4 = /^([0-9.]+):(\d+)$/.exec(value);
  if (v4) return { address: v4[1]!, ipv6: false, port: Number(v4[2]) };
  return undefined;
}

const SIZE_SUFFIX: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function parseLimit(value: string, sized: boolean): number | "UNLIMITED" | undefined {
  if (value === "infinity") return "UNLIMITED";
  const m = (sized ? /^(\d+)([KMGT]?)$/ : /^(\d+)()$/).exec(value);
  return m ? Number(m[1]) * SIZE_SUFFIX[m[2]!]! : undefined;
}

/**
 * What the two units mean as a model. `socket` and `service` are systemd's readings of the unit
 * files with their drop-ins (read.ts).
 */
export function readSystemdSocketService(
  name: string,
  socket: UnitReading,
  service: UnitReading,
): SystemdSocketServiceReading {
  const unreadable: UnreadableSetting[] = [];
  const unmanaged: string[] = [];
  const model: Record<string, unknown> = { name };
  const fail = (field: string, setting: string, message: string) => unreadable.push({ field, setting, message });
  const text = (field: string, setting: string, raw: string | undefined) => {
    if (raw === undefined) return;
    const literal = resolveSpecifiers(raw);
    if (isValueError(literal)) fail(field, setting, literal.message);
    else model[field] = literal;
  };

  const description = effectiveValue(socket, "Unit", "Description");
  text("description", "Description", description);
  if (description !== effectiveValue(service, "Unit", "Description"))
    fail("description", "Description", "The socket and service units have different descriptions.");

  const listens = Object.entries(LISTEN_KEYS).flatMap(([type, key]) =>
    listValue(socket, "Socket", key).map((value) => ({ type, key, value })),
  );
  const [listen, ...moreListens] = listens;
  if (listen === undefined) fail("port", "ListenStream", "The socket unit listens on nothing.");
  else if (moreListens.length > 0) fail("port", listen.key, "The socket unit listens on more than one address.");
  else {
    const resolved = resolveSpecifiers(listen.value);
    const parsed = isValueError(resolved) ? undefined : parseListen(resolved);
    if (!parsed) fail("port", listen.key, `\`${listen.key}=${listen.value}\` is not ADDR:PORT.`);
    else {
      model.port = parsed.port;
      model.socketType = listen.type;
      const wildcard = parsed.address === undefined || parsed.address === (parsed.ipv6 ? "::" : "0.0.0.0");
      if (!wildcard) model.bind = parsed.address;
      const bindIPv6Only = effectiveValue(socket, "Socket", "BindIPv6Only");
      if (parsed.ipv6) {
        model.flags = ["IPv6"];
        if (bindIPv6Only === "ipv6-only") model.v6only = true;
        else if (bindIPv6Only !== "both")
          fail(
            "flags",
            "BindIPv6Only",
            "An IPv6 socket without `BindIPv6Only=both` or `ipv6-only` depends on the host.",
          );
      } else if (bindIPv6Only !== undefined) fail("flags", "BindIPv6Only", "`BindIPv6Only=` on an IPv4 socket.");
    }
  }
  const accept = parseBoolean(effectiveValue(socket, "Socket", "Accept") ?? "no");
  if (accept === undefined) fail("wait", "Accept", "`Accept=` is not a boolean.");
  else model.wait = !accept;
  const flags = (model.flags as string[] | undefined) ?? [];
  for (const [flag, key] of [
    ["KEEPALIVE", "KeepAlive"],
    ["NODELAY", "NoDelay"],
  ] as const) {
    const value = effectiveValue(socket, "Socket", key);
    if (value === undefined) continue;
    const on = parseBoolean(value);
    if (on === undefined) fail("flags", key, `\`${key}=\` is not a boolean.`);
    else if (on) flags.push(flag);
  }
  const count = (field: string, section: UnitReading, group: string, key: string) => {
    const value = effectiveValue(section, group, key);
    if (value === undefined) return;
    if (/^\d+$/.test(value)) model[field] = Number(value);
    else fail(field, key, `\`${key}=${value}\` is not a number.`);
  };
  count("instances", socket, "Socket", "MaxConnections");
  count("perSource", socket, "Socket", "MaxConnectionsPerSource");
  count("cps", socket, "Socket", "TriggerLimitBurst");
  const interval = effectiveValue(socket, "Socket", "TriggerLimitIntervalSec");
  if ((interval === undefined) !== (model.cps === undefined) || (interval !== undefined && interval !== "1s"))
    fail(
      "cps",
      "TriggerLimitIntervalSec",
      "Only `TriggerLimitIntervalSec=1s` with `TriggerLimitBurst=` reads as `cps`.",
    );

  const words = (key: string) => {
    // `IPAddressAllow=`/`IPAddressDeny=` split at whitespace and take no quoting.
    return listValue(socket, "Socket", key).flatMap((value) => value.split(/[ \t\n\r]+/).filter((w) => w !== ""));
  };
  const allow = words("IPAddressAllow");
  const deny = words("IPAddressDeny");
  if (allow.length > 0) {
    model.onlyFrom = allow;
    if (deny.length !== 1 || deny[0] !== "any")
      fail("onlyFrom", "IPAddressDeny", "`IPAddressAllow=` only restricts anything with `IPAddressDeny=any`.");
  } else if (deny.length > 0) model.noAccess = deny;

  const execs = listValue(service, "Service", "ExecStart");
  if (execs.length !== 1) fail("server", "ExecStart", "The service must have exactly one `ExecStart=`.");
  else {
    const commands = parseExecStart(execs[0]!);
    if (isValueError(commands)) fail("server", "ExecStart", commands.message);
    else if (commands.length !== 1) fail("server", "ExecStart", "`ExecStart=` holds more than one command.");
    else {
      const [command] = commands;
      const nameInArgs = command!.prefixes.includes("@");
      if (command!.prefixes.replace("@", "") !== "-")
        fail("server", "ExecStart", "`ExecStart=` must ignore the exit status (`-`) and take no other prefix.");
      model.server = command!.path;
      const args = nameInArgs ? command!.argv : command!.argv.slice(1);
      if (args.length > 0) model.serverArgs = args;
      if (nameInArgs) flags.push("NAMEINARGS");
    }
  }
  if (flags.length > 0) model.flags = FLAG_ORDER.filter((flag) => flags.includes(flag));
  text("user", "User", effectiveValue(service, "Service", "User"));
  text("group", "Group", effectiveValue(service, "Service", "Group"));
  if (effectiveValue(service, "Service", "StandardInput") !== "socket")
    fail("server", "StandardInput", "The service must read its connection from `StandardInput=socket`.");
  const environment = listValue(service, "Service", "Environment").map(parseEnvironment);
  const badEnvironment = environment.find(isValueError);
  if (badEnvironment) fail("env", "Environment", badEnvironment.message);
  const env = environment.filter((item): item is string[] => !isValueError(item)).flat();
  if (env.length > 0) model.env = env;
  const nice = effectiveValue(service, "Service", "Nice");
  if (nice !== undefined) {
    if (/^[+-]?\d+$/.test(nice)) model.nice = Number(nice);
    else fail("nice", "Nice", `\`Nice=${nice}\` is not a number.`);
  }
  const umask = effectiveValue(service, "Service", "UMask");
  if (umask !== undefined) {
    if (/^[0-7]{1,4}$/.test(umask)) model.umask = Number.parseInt(umask, 8).toString(8).padStart(4, "0");
    else fail("umask", "UMask", `\`UMask=${umask}\` is not octal.`);
  }
  for (const [field, key] of Object.entries(LIMIT_KEYS)) {
    const value = effectiveValue(service, "Service", key);
    if (value === undefined) continue;
    const limit = parseLimit(value, field !== "rlimitCpu" && field !== "rlimitFiles");
    if (limit === undefined) fail(field, key, `\`${key}=${value}\` is not a count or \`infinity\`.`);
    else model[field] = limit;
  }

  const extra: Record<string, Record<string, string[]>> = {};
  const collect = (reading: UnitReading, part: "socket" | "service", section: string, managed: ReadonlySet<string>) => {
    for (const [group, keys] of reading) {
      for (const [key, values] of keys) {
        if (values.length === 0) continue;
        if (group === section && !managed.has(key)) (extra[part] ??= {})[key] = values;
        else if (group !== section && !(group === "Unit" && key === "Description")) {
          if (!(part === "socket" && group === "Install" && key === "WantedBy" && sameList(values, ["sockets.target"])))
            unmanaged.push(`[${group}] ${key}`);
        }
      }
    }
  };
  collect(socket, "socket", "Socket", MANAGED_SOCKET);
  collect(service, "service", "Service", MANAGED_SERVICE);
  if (Object.keys(extra).length > 0) model.extra = extra;
  return { model: normalizeSystemdSocketService(model as unknown as SystemdSocketServiceModel), unreadable, unmanaged };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
