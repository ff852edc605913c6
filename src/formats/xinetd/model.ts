/** The typed view of one xinetd `service` entry, with camelCase keys for xinetd's attributes. */
import type { XinetdAttributeFields } from "./attributes";

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

/** The value type of each attribute, by the name the attribute table gives it (`XinetdAttribute.type`). */
export interface XinetdValueTypes {
  boolean: boolean;
  string: string;
  number: number;
  "string[]": string[];
  SocketType: SocketType;
  ListValue: ListValue;
  EnvValue: EnvValue;
  LogType: LogType;
  ResourceLimit: ResourceLimit;
  "[number, number]": [number, number];
  "{ host: string; port: number }": { host: string; port: number };
  'number | "UNLIMITED"': number | "UNLIMITED";
  'number | "FOREVER" | "NEVER"': number | "FOREVER" | "NEVER";
}

/** A service entry: its name, every attribute of the attribute table as a typed field, and `extra`. */
export interface XinetdServiceModel extends XinetdAttributeFields {
  /** The name after `service`; without `type = UNLISTED` it must be in /etc/services. */
  name: string;
  /** Attributes the model does not know, keyed by their lower-cased name as written. */
  extra?: Record<string, ListValue>;
}

/** Every model key that holds an attribute (all but `name` and `extra`). */
export type XinetdAttributeKey = Exclude<keyof XinetdServiceModel, "name" | "extra">;
