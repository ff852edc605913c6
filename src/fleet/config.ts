/**
 * The fleet description read from stack config (`pulumi-xinetd:hosts`, `pulumi-xinetd:groups`),
 * checked as a whole before any resource exists. Pure code: no Pulumi, no SSH, no file system, so
 * every rule is unit-tested on plain objects. Module, global and xinetd settings are checked with
 * the format layer's validators, the same ones the providers run, so a config that parses here
 * does not fail `check` later for a setting.
 */
import { posix } from "node:path";

import {
  ATTRIBUTE_KEYS,
  attributeByName,
  GLOBAL_MODEL_PARAMETERS,
  lookupRsyncParameter,
  MODULE_MODEL_PARAMETERS,
  nearestAttributeName,
  splitXinetdValues,
  suggestRsyncParameter,
  validateRsyncdGlobal,
  validateRsyncModule,
  validateSystemdSocketService,
  validateXinetdService,
  type Problem,
  type ProblemRule,
  type RsyncdGlobalModel,
  type RsyncModuleModel,
  type SystemdSocketServiceModel,
  type XinetdServiceModel,
} from "../formats";
import {
  agentSocketPathOf,
  connectionValueProblems,
  DEFAULT_PORT,
  DEFAULT_RELOAD,
  DEFAULT_RSYNC_LAUNCHER,
  DEFAULT_RSYNCD_CONFIG_PATH,
  DEFAULT_SYSTEMD_UNIT_DIR,
  DEFAULT_USER,
  DEFAULT_XINETD_CONFIG_DIR,
  HOST_KEY_CHECKING_VALUES,
  isReload,
  isRsyncLauncher,
  misplacedLauncherOverrides,
  misplacedOverridesMessage,
  problemPropertyPath,
  RELOAD_REQUIREMENT,
  RESOURCE_SETTINGS,
  RSYNC_LAUNCHER_REQUIREMENT,
  RSYNC_SERVER_CHILD_NAMES,
  RSYNC_SERVICE_DEFAULTS,
  RSYNC_SERVICE_NAME,
  RSYNC_SERVICE_PORT,
  RSYNC_SOCKET_DEFAULTS,
  rsyncProblemProperty,
  rsyncServerArgs,
  SYSTEMD_PARAMETER_KEYS,
  xinetdProblemProperty,
  type ConnectionValueField,
  type ResourceSetting,
  type RsyncLauncher,
  type SettingsKind,
} from "../schema";
import type {
  RsyncdConfigArgs,
  RsyncModuleParameterArgs,
  SystemdSocketServiceArgs,
  XinetdServiceArgs,
} from "../resources";

// ---------------------------------------------------------------------------------------------
// The normalized fleet (what the program builds resources from)
// ---------------------------------------------------------------------------------------------

/**
 * How to reach a host: the fields of @pulumi/command's `remote.ConnectionArgs`, except that secret
 * material is never written inline. It is named instead: `*Secret` fields name a secret config key
 * of this project (`pulumi config set --secret <key>`), read with `config.requireSecret`.
 */
export interface FleetConnection {
  /** Address or DNS name of the host. Required. */
  host: string;
  /** SSH port. Default: `22`. */
  port: number;
  /** Login user. Default: `root` (set `sudo` on the host for any other user). */
  user: string;
  /**
   * Expected host key, an OpenSSH key line (`ssh-ed25519 AAAA…`). Default: unset (the host must be in the known_hosts
   * files of the user running Pulumi).
   */
  hostKey?: string;
  /**
   * Without `hostKey`: `strict` (the host must be in a known_hosts file), `accept-new` or `off`. Default: unset
   * (`strict`).
   */
  hostKeyChecking?: "strict" | "accept-new" | "off";
  /**
   * Absolute paths of the known_hosts files to check against. Default: unset (`~/.ssh/known_hosts`,
   * `/etc/ssh/ssh_known_hosts`).
   */
  knownHostsFiles?: string[];
  /**
   * SSH agent socket to authenticate with. Default: unset (`SSH_AUTH_SOCK` of the machine running Pulumi, when set).
   */
  agentSocketPath?: string;
  /** Failed dials before giving up: at most this many attempts (one for 0); -1 for no limit. Default: unset (10). */
  dialErrorLimit?: number;
  /** Seconds per dial attempt; 0 for no limit. Default: unset (15). */
  perDialTimeout?: number;
  /** Secret config key holding the private key text. Default: unset. Exclusive with `privateKeyPath`. */
  privateKeySecret?: string;
  /** File holding the private key, read on the machine running Pulumi at run time (`~/` expands). Default: unset. */
  privateKeyPath?: string;
  /** Secret config key holding the login password. Default: unset. */
  passwordSecret?: string;
  /** Secret config key holding the passphrase of an encrypted private key. Default: unset. */
  privateKeyPasswordSecret?: string;
  /** A bastion to connect through, with the same fields (no further `proxy`). Default: unset (direct). */
  proxy?: Omit<FleetConnection, "proxy">;
}

/** One host of the fleet. */
export interface FleetHost {
  /** Unique name, used in resource names: letters, digits, `_`, `.`, `-`, starting with a letter or digit. Required. */
  name: string;
  /** How to reach it. Required. */
  connection: FleetConnection;
  /** Run every command through `sudo -n` (a non-root `connection.user` with passwordless sudo). Default: `false`. */
  sudo: boolean;
  /** Names of the groups (keys of `pulumi-xinetd:groups`) whose settings the host gets, in order. Default: none. */
  groups: string[];
  /** Install xinetd and rsync with `apt-get` when either is missing, before anything else. Default: `true`. */
  installPackages: boolean;
}

/** A module: every `RsyncModule` parameter (camelCase), plus `adopt`. */
export type FleetModule = RsyncModuleParameterArgs & { adopt?: boolean };

/** The rsync secrets file of a group. */
export interface FleetSecrets {
  /** Absolute path of the file, e.g. `/etc/rsyncd.secrets`. Required. */
  path: string;
  /** User name → secret config key holding that user's password. Required, at least one user. */
  users: Record<string, string>;
  /** Take over a file that already exists. Default: `false`. */
  adopt?: boolean;
}

/** The rsync daemon of a group: one `RsyncServer` on each member host. */
export interface FleetRsync {
  /** The rsyncd.conf the daemon reads. Default: `/etc/rsyncd.conf`. */
  configPath: string;
  /** The global part (every `RsyncdConfig` parameter, plus `adopt`). Default: unset (left alone). */
  global?: Omit<RsyncdConfigArgs, "connection" | "sudo" | "configPath">;
  /**
   * Module name → parameters. A module with `authUsers` and no `secretsFile` gets the group's
   * `secrets.path`. Names `config`, `secrets`, `xinetd`, `systemd`, `systemd-check` and `listing` are
   * taken by RsyncServer's own children. Default: none.
   */
  modules: Record<string, FleetModule>;
  /** The secrets file for `authUsers`. Default: unset (no file managed). */
  secrets?: FleetSecrets;
  /**
   * What starts the daemon: `"xinetd"` or `"systemd"` (socket activation), as RsyncServer's `launcher`; a change
   * moves the port from one to the other. Default: `"xinetd"`.
   */
  launcher: RsyncLauncher;
  /**
   * Overrides for the rsync xinetd service (any `XinetdService` input but `connection` and `sudo`); with
   * `launcher: "systemd"` only `serviceName`, `configDir` and `reload` (where the file to take over is).
   * Default: RsyncServer's (`service rsync`, port 873 from /etc/services, `log_on_failure += USERID`).
   */
  xinetd: Partial<Omit<XinetdServiceArgs, "connection" | "sudo">>;
  /**
   * Overrides for the socket service (any `SystemdSocketService` input but `connection` and `sudo`); with
   * `launcher: "xinetd"` only `serviceName` and `unitDir` (where the units to take over are). Default:
   * RsyncServer's (`rsync.socket` on port 873 with `rsync@.service`).
   */
  socket: Partial<Omit<SystemdSocketServiceArgs, "connection" | "sudo">>;
}

/** An xinetd service of a group; its key in `services` is the `serviceName`. */
export type FleetXinetdService = Omit<XinetdServiceArgs, "connection" | "sudo" | "serviceName">;

/** Settings shared by the hosts that list the group. */
export interface FleetGroup {
  /** The rsync daemon. Default: unset (no RsyncServer). */
  rsync?: FleetRsync;
  /** Further xinetd services, service name → `XinetdService` inputs. Default: none. */
  xinetd: { services: Record<string, FleetXinetdService> };
}

/** The whole fleet, normalized: what the `Fleet` component builds resources from. */
export interface FleetDescription {
  hosts: FleetHost[];
  groups: Record<string, FleetGroup>;
}

/** The rules of the fleet's own checks; a setting's format-layer problem keeps its `ProblemRule`. */
export type FleetRule =
  | ProblemRule
  | "absolute-path"
  | "conflicting-port"
  | "conflicting-reload"
  | "conflicting-rsync-config"
  | "conflicting-secrets-file"
  | "conflicting-socket-unit"
  | "conflicting-xinetd-service"
  | "duplicate"
  | "empty-group"
  | "enum"
  | "exclusive"
  | "format"
  | "inline-secret"
  | "misplaced-override"
  | "missing-secret"
  | "no-credentials"
  | "range"
  | "required"
  | "reserved-module-name"
  | "type"
  | "unknown-auth-user"
  | "unknown-field"
  | "unknown-group"
  | "unused-group"
  | "user-name";

/** One thing wrong with the config: where (`hosts[2].connection.host`), which rule, and why. */
export interface FleetProblem {
  path: string;
  rule: FleetRule;
  message: string;
}

export type FleetParseResult =
  | { ok: true; fleet: FleetDescription; warnings: FleetProblem[] }
  | { ok: false; problems: FleetProblem[]; warnings: FleetProblem[] };

/** What the parser may ask about the world, so it stays pure. */
export interface FleetParseOptions {
  /** Whether a config key of this project is set; when given, every `*Secret` reference and password key is checked. */
  configKeyExists?: (key: string) => boolean;
  /**
   * The environment the resources will connect from: with `SSH_AUTH_SOCK` set, a connection needs
   * no credentials of its own. Default: none.
   */
  environment?: NodeJS.ProcessEnv;
}

/** The raw fleet values, as `config.getObject` returns them or as a program writes them. */
export interface RawFleetConfig {
  hosts: unknown;
  groups: unknown;
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/** Host and group names end up in resource names joined by `:`, so they may not hold one. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** What Pulumi accepts as a config key name inside a project's namespace. */
const CONFIG_KEY_PATTERN = /^[A-Za-z0-9_.-]+$/;

const CONNECTION_KEYS = [
  "host",
  "port",
  "user",
  "hostKey",
  "hostKeyChecking",
  "knownHostsFiles",
  "agentSocketPath",
  "dialErrorLimit",
  "perDialTimeout",
  "privateKeySecret",
  "privateKeyPath",
  "passwordSecret",
  "privateKeyPasswordSecret",
  "proxy",
];
/** Inline secret fields of `remote.ConnectionArgs` → the field that names them instead. */
const INLINE_SECRET_FIELDS: Record<string, string> = {
  privateKey: "privateKeySecret` or `privateKeyPath",
  password: "passwordSecret",
  privateKeyPassword: "privateKeyPasswordSecret",
};
const HOST_KEYS = ["name", "connection", "sudo", "groups", "installPackages"];
const GROUP_KEYS = ["rsync", "xinetd"];
const RSYNC_KEYS = ["configPath", "global", "modules", "secrets", "launcher", "xinetd", "socket"];
/** Settings the fleet sets itself: the host's connection and sudo, the server's file, the entry's own name or key. */
const SET_BY_THE_FLEET: readonly string[] = ["connection", "sudo", "configPath", "moduleName", "serviceName"];

/** The settings of a kind that a fleet entry may give (the resource's own table, less what the fleet sets). */
function fleetSettings(kind: SettingsKind): readonly ResourceSetting[] {
  return RESOURCE_SETTINGS[kind].filter((setting: ResourceSetting) => !SET_BY_THE_FLEET.includes(setting.key));
}

const keysOf = (settings: readonly ResourceSetting[]) => settings.map((setting) => setting.key);
const SECRETS_KEYS = keysOf(fleetSettings("RsyncSecrets"));
const MODULE_KEYS = [...MODULE_MODEL_PARAMETERS.map((p) => p.key), ...keysOf(fleetSettings("RsyncModule"))];
const GLOBAL_KEYS = [...GLOBAL_MODEL_PARAMETERS.map((p) => p.key), ...keysOf(fleetSettings("RsyncdConfig"))];
const SERVICE_KEYS = [...ATTRIBUTE_KEYS, ...keysOf(fleetSettings("XinetdService"))];
const RSYNC_XINETD_KEYS = [...SERVICE_KEYS, "serviceName"];
const RSYNC_SOCKET_KEYS = [...SYSTEMD_PARAMETER_KEYS, ...keysOf(fleetSettings("SystemdSocketService")), "serviceName"];

type Fields = Record<string, unknown>;

/** `parent.key`, or `parent["key"]` when the key is not an identifier (module names may hold blanks). */
function at(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  const step = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}${step}`;
}

function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Collects problems (errors) and warnings while the parser walks the config. */
class Report {
  readonly problems: FleetProblem[] = [];
  readonly warnings: FleetProblem[] = [];

  add(path: string, rule: FleetRule, message: string): void {
    this.problems.push({ path, rule, message });
  }

  warn(path: string, rule: FleetRule, message: string): void {
    this.warnings.push({ path, rule, message });
  }

  /** The value as an object, or a `type` problem. */
  fields(value: unknown, path: string): Fields | undefined {
    if (isFields(value)) return value;
    this.add(path, "type", `\`${path}\` must be an object.`);
    return undefined;
  }

  /** A problem for every key outside `allowed`, with a hint when one is close. */
  knownKeys(
    value: Fields,
    allowed: readonly string[],
    path: string,
    hint: (key: string) => string | undefined = () => undefined,
  ): void {
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      const near = hint(key);
      this.add(
        at(path, key),
        "unknown-field",
        `\`${key}\` is not a field of \`${path}\`.${near ? ` Did you mean \`${near}\`?` : ""}`,
      );
    }
  }

  string(
    value: unknown,
    path: string,
    options: { required?: boolean; pattern?: RegExp; what?: string } = {},
  ): string | undefined {
    if (value === undefined) {
      if (options.required) this.add(path, "required", `\`${path}\` is required.`);
      return undefined;
    }
    if (typeof value !== "string" || value.trim() === "") {
      this.add(path, "type", `\`${path}\` must be a non-empty string.`);
      return undefined;
    }
    if (options.pattern && !options.pattern.test(value)) {
      this.add(
        path,
        "format",
        `\`${path}\` = \`${value}\` is not ${options.what ?? `of the form ${options.pattern}`}.`,
      );
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined || typeof value === "boolean") return value;
    this.add(path, "type", `\`${path}\` must be true or false.`);
    return undefined;
  }

  absolutePath(value: unknown, path: string, required = false): string | undefined {
    const text = this.string(value, path, { required });
    if (text === undefined) return undefined;
    if (!posix.isAbsolute(text) || /[\s]/.test(text)) {
      this.add(path, "absolute-path", `\`${path}\` = \`${text}\` must be an absolute path without blanks.`);
      return undefined;
    }
    return text;
  }

  /** A name of a secret config key; checked against the stack when the options can tell. */
  configKey(value: unknown, path: string, options: FleetParseOptions): string | undefined {
    const key = this.string(value, path, {
      required: true,
      pattern: CONFIG_KEY_PATTERN,
      what: "a config key name (letters, digits, `_`, `.`, `-`)",
    });
    if (key !== undefined && options.configKeyExists && !options.configKeyExists(key)) {
      this.add(
        path,
        "missing-secret",
        `\`${path}\` names config key \`${key}\`, which is not set: \`pulumi config set --secret ${key}\`.`,
      );
    }
    return key;
  }

  /**
   * The checks the settings table gives the settings of `kind` a fleet entry may hold: booleans,
   * absolute paths, `reload`. The rest (`extra`, the typed parameters) the format layer checks.
   */
  settings(raw: Fields, kind: SettingsKind, path: string): void {
    for (const setting of fleetSettings(kind)) {
      const value = raw[setting.key];
      const settingPath = at(path, setting.key);
      if (setting.check === "boolean") this.boolean(value, settingPath);
      else if ((setting.check === "file" || setting.check === "directory") && value !== undefined)
        this.absolutePath(value, settingPath);
      else if (setting.check === "reload" && value !== undefined && !isReload(value))
        this.add(settingPath, "enum", `\`${settingPath}\` ${RELOAD_REQUIREMENT}.`);
    }
  }

  /** Format-layer problems, each placed at the config path of its field. */
  formatProblems(problems: readonly Problem[], pathOf: (problem: Problem) => string): void {
    for (const p of problems) {
      const entry = { path: pathOf(p), rule: p.rule, message: p.message };
      (p.severity === "error" ? this.problems : this.warnings).push(entry);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Hosts
// ---------------------------------------------------------------------------------------------

function parseConnection(
  value: unknown,
  path: string,
  report: Report,
  options: FleetParseOptions,
  isProxy: boolean,
): FleetConnection | undefined {
  const raw = report.fields(value, path);
  if (!raw) return undefined;
  for (const [inline, instead] of Object.entries(INLINE_SECRET_FIELDS)) {
    if (raw[inline] !== undefined) {
      report.add(
        at(path, inline),
        "inline-secret",
        `\`${inline}\` would sit in the stack config in plain text; store it with \`pulumi config set --secret\` and ` +
          `name it in \`${instead}\`.`,
      );
    }
  }
  const allowed = isProxy ? CONNECTION_KEYS.filter((key) => key !== "proxy") : CONNECTION_KEYS;
  report.knownKeys(raw, [...allowed, ...Object.keys(INLINE_SECRET_FIELDS)], path);

  // The transport's own rules for the numbers, so a config that parses here connects as written.
  const numbers: Partial<Record<ConnectionValueField, unknown>> = {
    port: raw.port,
    dialErrorLimit: raw.dialErrorLimit,
    perDialTimeout: raw.perDialTimeout,
  };
  const problems = connectionValueProblems(numbers);
  for (const { field, rule, requirement } of problems) {
    report.add(at(path, field), rule, `\`${at(path, field)}\` ${requirement}, not ${JSON.stringify(numbers[field])}.`);
  }
  const valid = (field: ConnectionValueField) =>
    problems.some((p) => p.field === field) ? undefined : (numbers[field] as number | undefined);
  const connection: FleetConnection = {
    host:
      report.string(raw.host, at(path, "host"), {
        required: true,
        pattern: /^[^\s/@]+$/,
        what: "a host name or address",
      }) ?? "",
    port: valid("port") ?? DEFAULT_PORT,
    user: report.string(raw.user, at(path, "user"), { pattern: /^[^\s:@]+$/, what: "a user name" }) ?? DEFAULT_USER,
  };
  const optional: Partial<FleetConnection> = {
    hostKey: report.string(raw.hostKey, at(path, "hostKey"), {
      pattern: /^\S+ \S+/,
      what: "an OpenSSH key line (`ssh-ed25519 AAAA…`)",
    }),
    hostKeyChecking: report.string(raw.hostKeyChecking, at(path, "hostKeyChecking"), {
      pattern: new RegExp(`^(?:${HOST_KEY_CHECKING_VALUES.join("|")})$`),
      what: HOST_KEY_CHECKING_VALUES.map((v) => `"${v}"`).join(", "),
    }) as FleetConnection["hostKeyChecking"],
    knownHostsFiles: parseKnownHostsFiles(raw.knownHostsFiles, at(path, "knownHostsFiles"), report),
    agentSocketPath: report.absolutePath(raw.agentSocketPath, at(path, "agentSocketPath")),
    dialErrorLimit: valid("dialErrorLimit"),
    perDialTimeout: valid("perDialTimeout"),
    privateKeyPath: report.string(raw.privateKeyPath, at(path, "privateKeyPath")),
  };
  for (const key of ["privateKeySecret", "passwordSecret", "privateKeyPasswordSecret"] as const) {
    if (raw[key] !== undefined) optional[key] = report.configKey(raw[key], at(path, key), options);
  }
  if (raw.privateKeySecret !== undefined && raw.privateKeyPath !== undefined) {
    report.add(
      at(path, "privateKeyPath"),
      "exclusive",
      "Give the private key either as `privateKeySecret` or as `privateKeyPath`, not both.",
    );
  }
  const agentSocket = agentSocketPathOf(raw.agentSocketPath as string | undefined, options.environment ?? {});
  if (
    [raw.privateKeySecret, raw.privateKeyPath, raw.passwordSecret, agentSocket].every(
      (credential) => credential === undefined,
    )
  ) {
    report.add(
      path,
      "no-credentials",
      `\`${path}\` needs one of \`privateKeySecret\`, \`privateKeyPath\`, \`passwordSecret\` or ` +
        "`agentSocketPath` (or SSH_AUTH_SOCK set where Pulumi runs).",
    );
  }
  if (!isProxy && raw.proxy !== undefined)
    optional.proxy = parseConnection(raw.proxy, at(path, "proxy"), report, options, true);
  for (const [key, field] of Object.entries(optional)) {
    if (field !== undefined) (connection as unknown as Fields)[key] = field;
  }
  return connection;
}

function parseKnownHostsFiles(value: unknown, path: string, report: Report): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    report.add(path, "type", `\`${path}\` must be a list of absolute paths.`);
    return undefined;
  }
  const files = value.map((file, i) => report.absolutePath(file, at(path, i), true));
  return files.every((file) => file !== undefined) ? (files as string[]) : undefined;
}

function parseHost(value: unknown, path: string, report: Report, options: FleetParseOptions): FleetHost | undefined {
  const raw = report.fields(value, path);
  if (!raw) return undefined;
  report.knownKeys(raw, HOST_KEYS, path);
  const groups: string[] = [];
  if (raw.groups !== undefined && !Array.isArray(raw.groups)) {
    report.add(at(path, "groups"), "type", `\`${at(path, "groups")}\` must be a list of group names.`);
  } else {
    ((raw.groups as unknown[] | undefined) ?? []).forEach((group, i) => {
      const name = report.string(group, at(at(path, "groups"), i), { required: true });
      if (name === undefined) return;
      if (groups.includes(name))
        report.add(at(at(path, "groups"), i), "duplicate", `Group \`${name}\` is listed twice.`);
      else groups.push(name);
    });
  }
  const connectionPath = at(path, "connection");
  if (raw.connection === undefined) report.add(connectionPath, "required", `\`${connectionPath}\` is required.`);
  const connection =
    raw.connection === undefined ? undefined : parseConnection(raw.connection, connectionPath, report, options, false);
  return {
    name:
      report.string(raw.name, at(path, "name"), {
        required: true,
        pattern: NAME_PATTERN,
        what: "a name of letters, digits, `_`, `.` and `-`",
      }) ?? "",
    connection: connection ?? { host: "", port: DEFAULT_PORT, user: DEFAULT_USER },
    sudo: report.boolean(raw.sudo, at(path, "sudo")) ?? false,
    groups,
    installPackages: report.boolean(raw.installPackages, at(path, "installPackages")) ?? true,
  };
}

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------

/** The config path of the field a format-layer problem of an rsync model is about, under `path`. */
function rsyncProblemPath(path: string, extra: unknown, problem: Problem, moduleNamePath: string): string {
  return problemPropertyPath(rsyncProblemProperty(extra, problem), path, moduleNamePath, at);
}

/** Suggests the camelCase key for a key spelled the rsync way or misspelled (`read only`, `readonly`). */
function rsyncKeyHint(key: string): string | undefined {
  const param = lookupRsyncParameter(key) ?? lookupRsyncParameter(suggestRsyncParameter(key) ?? "");
  return param?.key;
}

function xinetdKeyHint(key: string): string | undefined {
  const near = attributeByName(key) ?? attributeByName(nearestAttributeName(key) ?? "");
  return near?.key;
}

/** A path list problem (`authUsers[1]`) when `user` of `authUsers` is missing from the managed secrets file. */
function checkAuthUsers(module: FleetModule, path: string, secrets: FleetSecrets | undefined, report: Report): void {
  if (!secrets || module.secretsFile !== secrets.path || !Array.isArray(module.authUsers)) return;
  module.authUsers.forEach((entry, i) => {
    if (typeof entry !== "string" || entry.startsWith("@")) return;
    const user = entry.replace(/:(ro|rw|deny)$/i, "");
    if (!Object.hasOwn(secrets.users, user)) {
      report.add(
        at(at(path, "authUsers"), i),
        "unknown-auth-user",
        `\`${user}\` is not a user of the secrets file \`${secrets.path}\`; add it to \`secrets.users\`.`,
      );
    }
  });
}

function parseSecrets(
  value: unknown,
  path: string,
  report: Report,
  options: FleetParseOptions,
): FleetSecrets | undefined {
  const raw = report.fields(value, path);
  if (!raw) return undefined;
  report.knownKeys(raw, SECRETS_KEYS, path);
  const users: Record<string, string> = {};
  const rawUsers = raw.users === undefined ? undefined : report.fields(raw.users, at(path, "users"));
  if (raw.users === undefined || (rawUsers && Object.keys(rawUsers).length === 0)) {
    report.add(at(path, "users"), "required", `\`${at(path, "users")}\` must name at least one user.`);
  }
  for (const [user, key] of Object.entries(rawUsers ?? {})) {
    const userPath = at(at(path, "users"), user);
    if (user === "" || /[:\s#]/.test(user))
      report.add(userPath, "user-name", `\`${user}\` cannot be an rsync user name (no blanks, \`:\` or \`#\`).`);
    const secretKey = report.configKey(key, userPath, options);
    if (secretKey !== undefined) users[user] = secretKey;
  }
  const secrets: FleetSecrets = { path: report.absolutePath(raw.path, at(path, "path"), true) ?? "", users };
  const adopt = report.boolean(raw.adopt, at(path, "adopt"));
  if (adopt !== undefined) secrets.adopt = adopt;
  return secrets;
}

/** Checks the settings of one xinetd service (`attributes` without connection) with the format layer's validator. */
function checkXinetdService(name: string, attributes: Fields, path: string, namePath: string, report: Report): void {
  report.settings(attributes, "XinetdService", path);
  const model: Fields = { name };
  for (const key of [...ATTRIBUTE_KEYS, "extra"]) if (attributes[key] !== undefined) model[key] = attributes[key];
  // As XinetdService's check does: a `serverArgs` string is xinetd's own line.
  if (typeof model.serverArgs === "string") model.serverArgs = splitXinetdValues(model.serverArgs);
  const problems = validateXinetdService(model as unknown as XinetdServiceModel, { fileName: name });
  report.formatProblems(problems, (p) =>
    problemPropertyPath(xinetdProblemProperty(attributes.extra, p), path, namePath, at),
  );
}

function parseRsync(value: unknown, path: string, report: Report, options: FleetParseOptions): FleetRsync | undefined {
  const raw = report.fields(value, path);
  if (!raw) return undefined;
  report.knownKeys(raw, RSYNC_KEYS, path);
  const configPath = report.absolutePath(raw.configPath, at(path, "configPath")) ?? DEFAULT_RSYNCD_CONFIG_PATH;
  let launcher: RsyncLauncher = DEFAULT_RSYNC_LAUNCHER;
  if (raw.launcher !== undefined && !isRsyncLauncher(raw.launcher))
    report.add(at(path, "launcher"), "enum", `\`${at(path, "launcher")}\` ${RSYNC_LAUNCHER_REQUIREMENT}.`);
  else if (raw.launcher !== undefined) launcher = raw.launcher;
  const rsync: FleetRsync = { configPath, modules: {}, launcher, xinetd: {}, socket: {} };
  if (raw.secrets !== undefined) rsync.secrets = parseSecrets(raw.secrets, at(path, "secrets"), report, options);

  if (raw.global !== undefined) {
    const globalPath = at(path, "global");
    const global = report.fields(raw.global, globalPath);
    if (global) {
      report.knownKeys(global, GLOBAL_KEYS, globalPath, rsyncKeyHint);
      report.settings(global, "RsyncdConfig", globalPath);
      const { adopt: _adopt, ...model } = global;
      report.formatProblems(validateRsyncdGlobal(model as RsyncdGlobalModel), (p) =>
        rsyncProblemPath(globalPath, global.extra, p, globalPath),
      );
      rsync.global = global as FleetRsync["global"];
    }
  }

  const modulesPath = at(path, "modules");
  const modules = raw.modules === undefined ? {} : (report.fields(raw.modules, modulesPath) ?? {});
  for (const [moduleName, moduleValue] of Object.entries(modules)) {
    const modulePath = at(modulesPath, moduleName);
    const rawModule = report.fields(moduleValue, modulePath);
    if (!rawModule) continue;
    report.knownKeys(rawModule, MODULE_KEYS, modulePath, rsyncKeyHint);
    if ((RSYNC_SERVER_CHILD_NAMES as readonly string[]).includes(moduleName)) {
      report.add(
        modulePath,
        "reserved-module-name",
        `Module name \`${moduleName}\` collides with RsyncServer's own \`-${moduleName}\` child; rename the module.`,
      );
    }
    report.settings(rawModule, "RsyncModule", modulePath);
    const module = { ...rawModule } as FleetModule & Fields;
    const hasAuthUsers = Array.isArray(module.authUsers) && module.authUsers.length > 0;
    if (hasAuthUsers && module.secretsFile === undefined && rsync.secrets?.path)
      module.secretsFile = rsync.secrets.path;
    const { adopt: _adopt, ...parameters } = module;
    const problems = validateRsyncModule({ ...parameters, name: moduleName } as RsyncModuleModel);
    report.formatProblems(problems, (p) => rsyncProblemPath(modulePath, module.extra, p, modulePath));
    checkAuthUsers(module, modulePath, rsync.secrets, report);
    rsync.modules[moduleName] = module;
  }

  if (raw.xinetd !== undefined) {
    const xinetdPath = at(path, "xinetd");
    const overrides = report.fields(raw.xinetd, xinetdPath);
    if (overrides) {
      report.knownKeys(overrides, RSYNC_XINETD_KEYS, xinetdPath, xinetdKeyHint);
      const serviceName = report.string(overrides.serviceName, at(xinetdPath, "serviceName")) ?? RSYNC_SERVICE_NAME;
      // RsyncServer's defaults under the overrides, so cross-attribute rules see the file it will write.
      const merged: Fields = { ...RSYNC_SERVICE_DEFAULTS, serverArgs: rsyncServerArgs(configPath), ...overrides };
      checkXinetdService(serviceName, merged, xinetdPath, at(xinetdPath, "serviceName"), report);
      rsync.xinetd = overrides as FleetRsync["xinetd"];
    }
  }
  if (raw.socket !== undefined) {
    const socketPath = at(path, "socket");
    const overrides = report.fields(raw.socket, socketPath);
    if (overrides) {
      report.knownKeys(overrides, RSYNC_SOCKET_KEYS, socketPath);
      const serviceName = report.string(overrides.serviceName, at(socketPath, "serviceName"));
      checkRsyncSocket(serviceName, { serverArgs: rsyncServerArgs(configPath), ...overrides }, socketPath, report);
      rsync.socket = overrides as FleetRsync["socket"];
    }
  }
  // As RsyncServer refuses them: overrides for the launcher not in use, but where its files are.
  if (raw.launcher === undefined || isRsyncLauncher(raw.launcher)) {
    const misplaced = misplacedLauncherOverrides(launcher, {
      xinetd: isFields(raw.xinetd) ? raw.xinetd : undefined,
      socket: isFields(raw.socket) ? raw.socket : undefined,
    });
    for (const key of misplaced.keys)
      report.add(
        at(at(path, misplaced.unused), key),
        "misplaced-override",
        misplacedOverridesMessage(misplaced, [key]),
      );
  }
  return rsync;
}

/**
 * Checks the rsync socket service's overrides as SystemdSocketService's check does, over RsyncServer's
 * defaults, so cross-field rules see the units it will write.
 */
function checkRsyncSocket(serviceName: string | undefined, overrides: Fields, path: string, report: Report): void {
  report.settings(overrides, "SystemdSocketService", path);
  const { serviceName: defaultName, ...defaults } = RSYNC_SOCKET_DEFAULTS;
  const model: Fields = { ...defaults, name: serviceName ?? defaultName };
  for (const key of [...SYSTEMD_PARAMETER_KEYS, "extra"]) if (overrides[key] !== undefined) model[key] = overrides[key];
  if (typeof model.serverArgs === "string") model.serverArgs = splitXinetdValues(model.serverArgs);
  report.formatProblems(validateSystemdSocketService(model as unknown as SystemdSocketServiceModel), (problem) => {
    if (problem.field === "name") return at(path, "serviceName");
    const [head, ...rest] = problem.field.split(".");
    if (head === "extra") return rest.reduce(at, at(path, "extra"));
    const indexed = /^([A-Za-z]+)(\[\d+\])$/.exec(problem.field);
    return indexed ? `${at(path, indexed[1]!)}${indexed[2]!}` : at(path, problem.field);
  });
}

function parseGroup(value: unknown, path: string, report: Report, options: FleetParseOptions): FleetGroup | undefined {
  const raw = report.fields(value, path);
  if (!raw) return undefined;
  report.knownKeys(raw, GROUP_KEYS, path);
  const group: FleetGroup = { xinetd: { services: {} } };
  if (raw.rsync !== undefined) group.rsync = parseRsync(raw.rsync, at(path, "rsync"), report, options);
  if (raw.xinetd !== undefined) {
    const xinetdPath = at(path, "xinetd");
    const xinetd = report.fields(raw.xinetd, xinetdPath);
    if (xinetd) {
      report.knownKeys(xinetd, ["services"], xinetdPath);
      const servicesPath = at(xinetdPath, "services");
      const services = xinetd.services === undefined ? {} : (report.fields(xinetd.services, servicesPath) ?? {});
      for (const [serviceName, serviceValue] of Object.entries(services)) {
        const servicePath = at(servicesPath, serviceName);
        const service = report.fields(serviceValue, servicePath);
        if (!service) continue;
        report.knownKeys(service, SERVICE_KEYS, servicePath, xinetdKeyHint);
        checkXinetdService(serviceName, service, servicePath, servicePath, report);
        group.xinetd.services[serviceName] = service as FleetXinetdService;
      }
    }
  }
  if (!group.rsync && Object.keys(group.xinetd.services).length === 0)
    report.warn(path, "empty-group", `Group \`${path}\` manages nothing.`);
  return group;
}

// ---------------------------------------------------------------------------------------------
// Across hosts and groups
// ---------------------------------------------------------------------------------------------

/** The files and port one group puts on a host: two groups of one host must not share any. */
function claimsOf(group: FleetGroup): Array<{ rule: FleetRule; what: string }> {
  const claims: Array<{ rule: FleetRule; what: string }> = [];
  const serviceFile = (configDir: unknown, name: string) =>
    posix.join(typeof configDir === "string" ? configDir : DEFAULT_XINETD_CONFIG_DIR, name);
  if (group.rsync) {
    const overrides = group.rsync.xinetd as Fields;
    const socket = group.rsync.socket as Fields;
    claims.push({ rule: "conflicting-rsync-config", what: `rsyncd.conf ${group.rsync.configPath}` });
    // Both launchers' files: a launcher switch takes over the other one's.
    const serviceName = typeof overrides.serviceName === "string" ? overrides.serviceName : RSYNC_SERVICE_NAME;
    claims.push({
      rule: "conflicting-xinetd-service",
      what: `xinetd service file ${serviceFile(overrides.configDir, serviceName)}`,
    });
    const socketName = typeof socket.serviceName === "string" ? socket.serviceName : RSYNC_SOCKET_DEFAULTS.serviceName;
    const unitDir = typeof socket.unitDir === "string" ? socket.unitDir : DEFAULT_SYSTEMD_UNIT_DIR;
    claims.push({
      rule: "conflicting-socket-unit",
      what: `socket unit ${posix.join(unitDir, `${socketName}.socket`)}`,
    });
    const port = group.rsync.launcher === "xinetd" ? overrides.port : socket.port;
    claims.push({
      rule: "conflicting-port",
      what: `rsync port ${typeof port === "number" ? port : RSYNC_SERVICE_PORT}`,
    });
    if (group.rsync.secrets)
      claims.push({ rule: "conflicting-secrets-file", what: `secrets file ${group.rsync.secrets.path}` });
  }
  for (const [name, service] of Object.entries(group.xinetd.services)) {
    claims.push({
      rule: "conflicting-xinetd-service",
      what: `xinetd service file ${serviceFile(service.configDir, name)}`,
    });
  }
  return claims;
}

/**
 * The `reload` of every xinetd service a group puts on a host, with where it is set. One reload
 * covers every service changed on a host, so XinetdService refuses a second value at apply time;
 * the fleet says so before anything is registered.
 */
function reloadsOf(group: FleetGroup, groupName: string): Array<{ value: string; where: string }> {
  const spelled = (reload: unknown) => JSON.stringify(reload ?? DEFAULT_RELOAD);
  const reloads: Array<{ value: string; where: string }> = [];
  if (group.rsync)
    reloads.push({
      value: spelled((group.rsync.xinetd as Fields).reload),
      where: `groups.${groupName}.rsync.xinetd.reload`,
    });
  for (const [name, service] of Object.entries(group.xinetd.services)) {
    reloads.push({ value: spelled(service.reload), where: `groups.${groupName}.xinetd.services.${name}.reload` });
  }
  return reloads;
}

function checkAcrossHosts(
  hosts: Array<FleetHost | undefined>,
  groups: Record<string, FleetGroup>,
  report: Report,
): void {
  const seenNames = new Map<string, number>();
  const usedGroups = new Set<string>();
  hosts.forEach((host, i) => {
    if (!host) return;
    const path = at("hosts", i);
    const first = seenNames.get(host.name);
    if (host.name !== "" && first !== undefined)
      report.add(at(path, "name"), "duplicate", `Host name \`${host.name}\` is already used by \`hosts[${first}]\`.`);
    else seenNames.set(host.name, i);

    const claimedBy = new Map<string, string>();
    let hostReload: { value: string; where: string } | undefined;
    host.groups.forEach((name, j) => {
      const groupPath = at(at(path, "groups"), j);
      usedGroups.add(name);
      const group = groups[name];
      if (!Object.hasOwn(groups, name) || group === undefined) {
        report.add(
          groupPath,
          "unknown-group",
          `Group \`${name}\` is not defined in \`groups\` (defined: ${Object.keys(groups).join(", ") || "none"}).`,
        );
        return;
      }
      for (const claim of claimsOf(group)) {
        const other = claimedBy.get(claim.what);
        if (other !== undefined)
          report.add(
            groupPath,
            claim.rule,
            `Groups \`${other}\` and \`${name}\` both manage the ${claim.what} on host \`${host.name}\`.`,
          );
        else claimedBy.set(claim.what, name);
      }
      for (const reload of reloadsOf(group, name)) {
        hostReload ??= reload;
        if (reload.value !== hostReload.value) {
          report.add(
            groupPath,
            "conflicting-reload",
            `\`${reload.where}\` is ${reload.value} but \`${hostReload.where}\` is ${hostReload.value} on host ` +
              `\`${host.name}\`; one reload covers every xinetd service of a host, so they must agree.`,
          );
        }
      }
    });
  });
  for (const name of Object.keys(groups)) {
    if (!usedGroups.has(name)) report.warn(at("groups", name), "unused-group", `No host lists group \`${name}\`.`);
  }
}

/**
 * Checks the whole fleet description and returns it normalized (defaults filled in), or every
 * problem found, each with the config path of its field and the rule it breaks.
 */
export function parseFleetConfig(raw: RawFleetConfig, options: FleetParseOptions = {}): FleetParseResult {
  const report = new Report();
  const groups: Record<string, FleetGroup> = {};
  const rawGroups = raw.groups === undefined ? {} : (report.fields(raw.groups, "groups") ?? {});
  for (const [name, value] of Object.entries(rawGroups)) {
    if (!NAME_PATTERN.test(name))
      report.add(
        at("groups", name),
        "format",
        `Group name \`${name}\` must be letters, digits, \`_\`, \`.\` and \`-\`, starting with a letter or digit.`,
      );
    const group = parseGroup(value, at("groups", name), report, options);
    if (group) groups[name] = group;
  }

  // Indexed like the config, holes where a host is not an object, so paths stay `hosts[i]`.
  const parsedHosts: Array<FleetHost | undefined> = [];
  if (raw.hosts === undefined) report.add("hosts", "required", "`hosts` is required: a list of hosts.");
  else if (!Array.isArray(raw.hosts)) report.add("hosts", "type", "`hosts` must be a list of hosts.");
  else raw.hosts.forEach((value, i) => parsedHosts.push(parseHost(value, at("hosts", i), report, options)));
  checkAcrossHosts(parsedHosts, groups, report);
  const hosts = parsedHosts.filter((host): host is FleetHost => host !== undefined);

  return report.problems.length > 0
    ? { ok: false, problems: report.problems, warnings: report.warnings }
    : { ok: true, fleet: { hosts, groups }, warnings: report.warnings };
}

/** Every problem on its own line, for the error that stops the program. */
export function formatFleetProblems(problems: readonly FleetProblem[]): string {
  return problems.map((p) => `  - ${p.path}: ${p.message} [${p.rule}]`).join("\n");
}
