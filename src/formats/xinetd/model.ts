/** The typed view of one xinetd `service` entry, with camelCase keys for xinetd's attributes. */

/** `=` gives the whole list; `+=` / `-=` lines change what `defaults` (or xinetd) would give. */
export type ListValue = string[] | { add?: string[]; remove?: string[] };

/** `env` takes `=` and `+=` but not `-=`. */
export type EnvValue = string[] | { add?: string[] };

export type SocketType = "stream" | "dgram" | "raw" | "seqpacket";

export type LogType =
  | { kind: "SYSLOG"; facility: string; level?: string }
  | { kind: "FILE"; path: string; softLimit?: string; hardLimit?: string };

/** A byte count: a number, a number with a K/M suffix (`"64M"`), or `"UNLIMITED"`. */
export type ResourceLimit = number | string;

export interface XinetdServiceModel {
  /** The name after `service`; without `type = UNLISTED` it must be in /etc/services. */
  name: string;
  disable?: boolean;
  type?: string[];
  /** `id`, under a key Pulumi passes through (it strips `id` and `urn` from resource inputs). */
  serviceId?: string;
  flags?: string[];
  socketType?: SocketType;
  protocol?: string;
  port?: number;
  wait?: boolean;
  user?: string;
  group?: string;
  groups?: boolean;
  server?: string;
  serverArgs?: string[];
  redirect?: { host: string; port: number };
  instances?: number | "UNLIMITED";
  perSource?: number | "UNLIMITED";
  cps?: [number, number];
  maxLoad?: number;
  logType?: LogType;
  logOnSuccess?: ListValue;
  logOnFailure?: ListValue;
  onlyFrom?: ListValue;
  noAccess?: ListValue;
  accessTimes?: string[];
  bind?: string;
  v6only?: boolean;
  env?: EnvValue;
  passenv?: ListValue;
  nice?: number;
  umask?: string;
  rlimitAs?: ResourceLimit;
  rlimitCpu?: number | "UNLIMITED";
  rlimitData?: ResourceLimit;
  rlimitFiles?: ResourceLimit;
  rlimitRss?: ResourceLimit;
  rlimitStack?: ResourceLimit;
  denyTime?: number | "FOREVER" | "NEVER";
  banner?: string;
  bannerSuccess?: string;
  bannerFail?: string;
  rpcVersion?: string;
  rpcNumber?: number;
  libwrap?: string;
  /** Attributes the model does not know, keyed by their lower-cased name as written. */
  extra?: Record<string, ListValue>;
}

/** Every model key that holds an attribute (all but `name` and `extra`). */
export type XinetdAttributeKey = Exclude<keyof XinetdServiceModel, "name" | "extra">;
