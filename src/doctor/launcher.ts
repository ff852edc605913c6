/** What serves the rsync port, and which rsyncd.conf that server reads. */
import { posix } from "node:path";

import { DEFAULT_RSYNCD_CONFIG_PATH } from "../schema";
import type { HostEvidence, HostProcess } from "./host-probe";
import type { XinetdEntry } from "./xinetd-entries";
import { configOption } from "./xinetd-entries";
import type { Launcher, ServerReport } from "./types";

/** systemd socket units (`systemctl show` properties) listening on the port: `Listen=[::]:873 (Stream)`. */
export function socketUnitsOn(evidence: HostEvidence, port: number): Array<[string, Record<string, string>]> {
  const onPort = new RegExp(`(^|[:\\]])${port}( |$)`);
  return [...evidence.units].filter(
    ([name, properties]) =>
      name.endsWith(".socket") &&
      (properties.Listen ?? "").split(/\s*\(\w+\)\s*/).some((listen) => onPort.test(listen.trim())),
  );
}

/**
 * The service a socket unit starts (`NAME@.service` with `Accept=yes`, else `Triggers=`), and its
 * `ExecStart=` words and `User=` as `systemctl cat` shows them (drop-ins last; an empty
 * `ExecStart=` resets the list, as systemd reads it).
 */
export function socketService(
  evidence: HostEvidence,
  socket: string,
  properties: Record<string, string>,
): { name: string; argv: string[]; user?: string } | undefined {
  const base = socket.replace(/\.socket$/, "");
  const name =
    properties.Accept === "yes" ? `${base}@.service` : (properties.Triggers?.split(" ")[0] ?? `${base}.service`);
  const text = evidence.unitFiles.get(name);
  if (text === undefined) return undefined;
  let execStart: string | undefined;
  let user: string | undefined;
  for (const line of text.split("\n").map((l) => l.trim())) {
    const value = (key: string) => (line.startsWith(`${key}=`) ? line.slice(key.length + 1).trim() : undefined);
    const exec = value("ExecStart");
    if (exec !== undefined) execStart = exec === "" ? undefined : (execStart ?? exec);
    user = value("User") ?? user;
  }
  // Prefixes `-@:+!` change how systemd runs the program, not its words.
  const argv = (execStart ?? "")
    .replace(/^[-@:+!]+/, "")
    .split(/\s+/)
    .filter(Boolean);
  return { name, argv, ...(user ? { user } : {}) };
}

function launcherOf(holder: HostProcess | undefined): Launcher {
  if (holder === undefined) return "none";
  if (holder.name === "xinetd") return "xinetd";
  if (holder.pid === 1 || holder.name === "systemd") return "systemd-socket";
  if (holder.name === "rsync") return "standalone";
  return "other";
}

function userName(uid: number): string {
  return uid === 0 ? "root" : String(uid);
}

/**
 * The server of the port, the xinetd entry meant to serve it (the enabled one xinetd would load,
 * else the first), and the rsyncd.conf: `configPath` when given, else the one the launcher's
 * command line names, else rsync's default.
 */
export function serverReport(
  evidence: HostEvidence,
  rsyncEntries: readonly XinetdEntry[],
  port: number,
  configPath: string | undefined,
): ServerReport {
  const listeners = evidence.listeners ?? [];
  const holder = listeners.find((listener) => listener.holder)?.holder;
  let launcher = launcherOf(holder);
  const units = socketUnitsOn(evidence, port);
  const activeUnit = units.find(([, properties]) => properties.ActiveState === "active") ?? units[0];
  // A socket unit's port is held by pid 1; `ss` without the process shows no holder at all.
  if (launcher === "none" && listeners.length > 0 && activeUnit) launcher = "systemd-socket";
  const entry =
    rsyncEntries.find((e) => !e.disabled && !e.skippedFile && e.errors.length === 0) ??
    rsyncEntries.find((e) => !e.disabled) ??
    rsyncEntries[0];
  const service = activeUnit && socketService(evidence, ...activeUnit);
  // Nothing listens: the socket unit is what is meant to serve, unless an enabled xinetd entry is.
  const bySocket = launcher === "systemd-socket" || (launcher === "none" && service && entry?.disabled !== false);
  const fromLauncher =
    launcher === "standalone" && holder
      ? configOption(holder.argv)
      : bySocket
        ? service && configOption(service.argv)
        : entry
          ? configOption([entry.model.server ?? "", ...(entry.model.serverArgs ?? [])])
          : undefined;
  const daemonUser =
    launcher === "standalone" && holder
      ? userName(holder.uid)
      : bySocket
        ? (service?.user ?? "root")
        : (entry?.model.user ?? "root");
  return {
    launcher,
    listening: listeners.map((listener) => listener.address),
    ...(holder ? { process: { pid: holder.pid, name: holder.name, commandLine: holder.argv.join(" ") } } : {}),
    ...(entry ? { xinetdService: { file: entry.file, name: entry.name, id: entry.id, enabled: !entry.disabled } } : {}),
    ...(activeUnit
      ? {
          unit: {
            name: activeUnit[0],
            active: activeUnit[1].ActiveState ?? "unknown",
            ...(service ? { service: service.name } : {}),
          },
        }
      : {}),
    configPath: configPath ?? fromLauncher ?? DEFAULT_RSYNCD_CONFIG_PATH,
    configFrom: configPath !== undefined ? "option" : fromLauncher !== undefined ? "launcher" : "default",
    daemonUser: posix.basename(daemonUser),
  };
}
