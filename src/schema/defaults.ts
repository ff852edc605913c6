import { systemdSocketServiceFromXinetd, type SystemdSocketServiceModel, type XinetdServiceModel } from "../formats";

/**
 * The defaults and value rules the resources, their providers and the fleet parser share, spelled
 * once: where the files are, which port the rsync service listens on, how xinetd is reloaded,
 * and the rsync xinetd service RsyncServer writes.
 */

/** The rsyncd.conf of `RsyncModule`, `RsyncdConfig` and `RsyncServer` when `configPath` is not given. */
export const DEFAULT_RSYNCD_CONFIG_PATH = "/etc/rsyncd.conf";
/** The directory of `XinetdService`'s file when `configDir` is not given (xinetd's `includedir`). */
export const DEFAULT_XINETD_CONFIG_DIR = "/etc/xinetd.d";
/** The directory of `SystemdSocketService`'s units when `unitDir` is not given. */
export const DEFAULT_SYSTEMD_UNIT_DIR = "/etc/systemd/system";
/** `service rsync` is in /etc/services at 873; xinetd listens there whatever rsyncd.conf says. */
export const RSYNC_SERVICE_PORT = 873;

/** The reload strategies `reload` may name; `{ command }` is the other form. */
export const RELOAD_NAMES = ["auto", "systemctl", "service", "signal", "none"] as const;
export type ReloadName = (typeof RELOAD_NAMES)[number];
/**
 * How xinetd is told about a change. `auto` detects it on the host (systemctl, else `service`,
 * else a HUP to the pid in /run/xinetd.pid); `none` writes the file only. Every service changed
 * on one host within a burst shares one reload.
 */
export type XinetdReload = ReloadName | { command: string };
export const DEFAULT_RELOAD: ReloadName = "auto";

/** What `reload` must be, to follow the field's name: `must be one of "auto", … or { command: "..." }`. */
const RELOAD_CHOICES = RELOAD_NAMES.map((name) => `"${name}"`).join(", ");
export const RELOAD_REQUIREMENT = `must be one of ${RELOAD_CHOICES} or { command: "..." }`;

/** Whether `value` is a valid `reload`: one of the names, or `{ command }` with a non-blank command. */
export function isReload(value: unknown): value is XinetdReload {
  if ((RELOAD_NAMES as readonly unknown[]).includes(value)) return true;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const command = (value as { command?: unknown }).command;
  return Object.keys(value).join() === "command" && typeof command === "string" && command.trim() !== "";
}

/**
 * RsyncServer names its children `<name>-config`, `-secrets`, `-xinetd` (or `-systemd` with `-systemd-check`),
 * `-listing`: no module may be named so.
 */
export const RSYNC_SERVER_CHILD_NAMES = ["config", "secrets", "xinetd", "systemd", "systemd-check", "listing"] as const;

/** What starts RsyncServer's daemon: an xinetd service file, or a systemd socket unit with its service. */
export const RSYNC_LAUNCHERS = ["xinetd", "systemd"] as const;
export type RsyncLauncher = (typeof RSYNC_LAUNCHERS)[number];
export const DEFAULT_RSYNC_LAUNCHER: RsyncLauncher = "xinetd";
/** The `xinetd` overrides that still mean something with `launcher: "systemd"`: where the file to take over is. */
export const RSYNC_XINETD_HANDOVER_KEYS = ["serviceName", "configDir", "reload"] as const;
/** The `socket` overrides that still mean something with `launcher: "xinetd"`: where the units to take over are. */
export const RSYNC_SOCKET_HANDOVER_KEYS = ["serviceName", "unitDir"] as const;

/** The service name of RsyncServer's xinetd service (in /etc/services, so no `port` is needed). */
export const RSYNC_SERVICE_NAME = "rsync";

/** RsyncServer's xinetd service for the daemon, before the user's overrides; `serverArgs` from `rsyncServerArgs`. */
export const RSYNC_SERVICE_DEFAULTS = {
  disable: false,
  socketType: "stream",
  wait: false,
  user: "root",
  server: "/usr/bin/rsync",
  logOnFailure: { add: ["USERID"] },
} as const;

/**
 * RsyncServer's socket service for the daemon, before the user's `socket` overrides: the xinetd
 * defaults above as the format layer's migration maps them (port 873, `rsync.socket` with
 * `rsync@.service`, Accept=yes, root, /usr/bin/rsync; `log_on_failure` has no equivalent: systemd
 * journals every start). `serverArgs` from `rsyncServerArgs`.
 */
export const RSYNC_SOCKET_DEFAULTS: Omit<SystemdSocketServiceModel, "name" | "serverArgs"> & { serviceName: string } =
  rsyncSocketDefaults();

function rsyncSocketDefaults() {
  const xinetd: XinetdServiceModel = {
    name: RSYNC_SERVICE_NAME,
    ...RSYNC_SERVICE_DEFAULTS,
    logOnFailure: { add: [...RSYNC_SERVICE_DEFAULTS.logOnFailure.add] },
    port: RSYNC_SERVICE_PORT,
  };
  const { model, problems } = systemdSocketServiceFromXinetd(xinetd);
  const refused = problems.filter((problem) => problem.severity !== "warning");
  if (refused.length > 0) throw new Error(`RsyncServer's xinetd defaults do not map: ${JSON.stringify(refused)}`);
  const { name, serverArgs: _serverArgs, ...settings } = model;
  return { serviceName: name, ...settings };
}

/** The daemon's command line under xinetd, reading `configPath`. */
export function rsyncServerArgs(configPath: string): string[] {
  return ["--daemon", `--config=${configPath}`];
}
