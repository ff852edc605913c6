/**
 * The inputs of each resource kind that are not a daemon's parameter or attribute: how to reach
 * the host, which file, the resource's name, `extra`, `adopt`, `reload`. One table per kind; the
 * providers' key lists and the fleet parser's allowed keys and checks come from it, and tests
 * hold the resources' args interfaces (keys, types, TSDoc) and the README's reference to it.
 */
import {
  type XinetdReload,
  DEFAULT_RSYNCD_CONFIG_PATH,
  DEFAULT_SYSTEMD_UNIT_DIR,
  DEFAULT_XINETD_CONFIG_DIR,
  DEFAULT_RELOAD,
} from "./defaults";

/** How a setting's value is checked, where the format layer does not check it. */
export type SettingCheck = "connection" | "boolean" | "file" | "directory" | "reload" | "name" | "extra" | "users";

export interface ResourceSetting {
  readonly key: string;
  /** The value's TypeScript type, unwrapped, as the reference shows it (`boolean`, `XinetdReload`). */
  readonly type: string;
  readonly check: SettingCheck;
  /** The TSDoc of the args field without its `Default:` sentence. */
  readonly doc: string;
  /** The TSDoc's `Default:` text; none for a required setting or one without a default to state. */
  readonly default?: string;
  readonly required?: boolean;
  /** A change replaces the resource. */
  readonly replaces?: boolean;
  /** `diff` ignores it: `adopt` only matters to create. */
  readonly notDiffed?: boolean;
}

const CONNECTION = {
  key: "connection",
  type: "ConnectionArgs",
  check: "connection",
  doc:
    "How to reach the host (same shape as @pulumi/command's `remote.ConnectionArgs`). Required; secret in the " +
    "state.",
  required: true,
} as const satisfies ResourceSetting;

const SUDO = {
  key: "sudo",
  type: "boolean",
  check: "boolean",
  doc: "Run every command through `sudo -n` (for a non-root `connection.user` with passwordless sudo).",
  default: "`false`",
} as const satisfies ResourceSetting;

function adopt(doc: string) {
  return { key: "adopt", type: "boolean", check: "boolean", doc, default: "`false`", notDiffed: true } as const;
}

function rsyncConfigPath(doc: string) {
  const defaultPath = `\`${DEFAULT_RSYNCD_CONFIG_PATH}\``;
  return { key: "configPath", type: "string", check: "file", doc, default: defaultPath, replaces: true } as const;
}

const RSYNC_EXTRA = {
  key: "extra",
  type: "Record<string, string>",
  check: "extra",
  doc:
    'Parameters this library does not model, by rsync\'s name (`"max verbosity"`), as text; validated like the ' +
    "rest.",
  default: "none",
} as const satisfies ResourceSetting;

export const XINETD_SERVICE_SETTINGS = [
  CONNECTION,
  SUDO,
  adopt("Take over a service file that already exists on the host instead of refusing to."),
  {
    key: "reload",
    type: "XinetdReload",
    check: "reload",
    doc:
      "How xinetd is reloaded after a change. One reload covers every service changed on a host, so all " +
      "XinetdServices on one host (same connection identity) must set the same value: a create, update or delete " +
      "whose `reload` differs from the one the host's reloader already uses in this run fails, naming both values " +
      "and the other service, before touching the host.",
    default: `\`"${DEFAULT_RELOAD}"\``,
  },
  {
    key: "serviceName",
    type: "string",
    check: "name",
    doc:
      "The `service` name, and the file's name (no `.`, no trailing `~`: xinetd skips those). Required; a change " +
      "replaces.",
    required: true,
    replaces: true,
  },
  {
    key: "configDir",
    type: "string",
    check: "directory",
    doc: "Directory of the service file. A change replaces.",
    default: `\`${DEFAULT_XINETD_CONFIG_DIR}\``,
    replaces: true,
  },
  {
    key: "extra",
    type: "Record<string, ListValue>",
    check: "extra",
    doc: "Attributes this library does not model, by name as xinetd spells them; validated like the rest.",
    default: "none",
  },
] as const satisfies readonly ResourceSetting[];

export const RSYNC_MODULE_SETTINGS = [
  CONNECTION,
  SUDO,
  adopt("Take over a module section that already exists in the file instead of refusing to."),
  rsyncConfigPath("The rsyncd.conf holding the module. A change replaces."),
  {
    key: "moduleName",
    type: "string",
    check: "name",
    doc: "The name clients ask for (`rsync host::name`): no `/`, `]`, or `global`. Required; a change replaces.",
    required: true,
    replaces: true,
  },
  RSYNC_EXTRA,
] as const satisfies readonly ResourceSetting[];

export const RSYNCD_CONFIG_SETTINGS = [
  CONNECTION,
  SUDO,
  adopt("Take over a global part that already has parameters instead of refusing to."),
  rsyncConfigPath("The rsyncd.conf. A change replaces."),
  RSYNC_EXTRA,
] as const satisfies readonly ResourceSetting[];

export const RSYNC_SECRETS_SETTINGS = [
  CONNECTION,
  SUDO,
  adopt("Take over a file that already exists instead of refusing to."),
  {
    key: "path",
    type: "string",
    check: "file",
    doc: "The file's absolute path, e.g. `/etc/rsyncd.secrets`. Required; a change replaces.",
    required: true,
    replaces: true,
  },
  {
    key: "users",
    type: "Record<string, string>",
    check: "users",
    doc: "User name → password. Required; kept secret: the state holds user names and a checksum only.",
    required: true,
  },
] as const satisfies readonly ResourceSetting[];

export const SYSTEMD_SOCKET_SERVICE_SETTINGS = [
  CONNECTION,
  SUDO,
  adopt("Take over unit files that already exist on the host instead of refusing to."),
  {
    key: "serviceName",
    type: "string",
    check: "name",
    doc:
      "The units' name stem: `NAME.socket` with `NAME@.service` (`wait: false`) or `NAME.service`. Required; a " +
      "change replaces.",
    required: true,
    replaces: true,
  },
  {
    key: "unitDir",
    type: "string",
    check: "directory",
    doc: "Directory of the unit files. A change replaces.",
    default: `\`${DEFAULT_SYSTEMD_UNIT_DIR}\``,
    replaces: true,
  },
  {
    key: "extra",
    type: "SystemdExtra",
    check: "extra",
    doc:
      "Further `[Socket]` and `[Service]` settings in systemd's own syntax " +
      '(`{ service: { ProtectSystem: "full" } }`), written as given; `systemd-analyze verify` on the host ' +
      "refuses what systemd would ignore or reject.",
    default: "none",
  },
] as const satisfies readonly ResourceSetting[];

/** The settings of every kind, by the resource's name. */
export const RESOURCE_SETTINGS = {
  XinetdService: XINETD_SERVICE_SETTINGS,
  RsyncModule: RSYNC_MODULE_SETTINGS,
  RsyncdConfig: RSYNCD_CONFIG_SETTINGS,
  RsyncSecrets: RSYNC_SECRETS_SETTINGS,
  SystemdSocketService: SYSTEMD_SOCKET_SERVICE_SETTINGS,
} as const satisfies Record<string, readonly ResourceSetting[]>;

export type SettingsKind = keyof typeof RESOURCE_SETTINGS;
/** The setting keys of a kind, as a type (`"connection" | "sudo" | …`). */
export type SettingKey<K extends SettingsKind> = (typeof RESOURCE_SETTINGS)[K][number]["key"];

/**
 * The input the resources compute (whether any input other than the connection is secret) and
 * the providers read: no args field, so in no table.
 */
export const SECRET_CONTENT_KEY = "secretContent";

/**
 * The input RsyncServer gives its launcher child (XinetdService or SystemdSocketService): the other
 * launcher to take the port over from when the create finds it on the host. No args field either.
 */
export const HANDOVER_KEY = "handover";

export interface LauncherHandover {
  /** The port both launchers serve. */
  port: number;
  /** For a SystemdSocketService: the xinetd service file to retire, and how xinetd is reloaded. */
  xinetd?: { path: string; reload?: XinetdReload };
  /** For an XinetdService: the socket service to stop. */
  systemd?: { unitDir: string; serviceName: string; wait: boolean };
}

export function settingKeys(kind: SettingsKind): string[] {
  return RESOURCE_SETTINGS[kind].map((setting) => setting.key);
}

/** Every input key the provider of `kind` takes: its settings, `secretContent`, and the typed parameters. */
export function inputKeys(kind: SettingsKind, parameterKeys: readonly string[] = []): Set<string> {
  return new Set([...settingKeys(kind), SECRET_CONTENT_KEY, ...parameterKeys]);
}

/**
 * The keys `diff` compares, in order: the settings `diff` looks at (`secretContent` after `sudo`),
 * then the typed parameters, then `extra`.
 */
export function diffKeys(kind: SettingsKind, parameterKeys: readonly string[] = []): string[] {
  const settings: string[] = RESOURCE_SETTINGS[kind]
    .filter((setting: ResourceSetting) => !setting.notDiffed && setting.key !== "extra")
    .flatMap((setting) => (setting.key === "sudo" ? [setting.key, SECRET_CONTENT_KEY] : [setting.key]));
  const hasExtra = RESOURCE_SETTINGS[kind].some((setting: ResourceSetting) => setting.key === "extra");
  return [...settings, ...parameterKeys, ...(hasExtra ? ["extra"] : [])];
}

/** The settings whose change replaces the resource. */
export function replaceKeys(kind: SettingsKind): string[] {
  return RESOURCE_SETTINGS[kind].filter((setting: ResourceSetting) => setting.replaces).map((setting) => setting.key);
}
