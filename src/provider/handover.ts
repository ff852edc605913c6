/**
 * The launcher handover RsyncServer asks of its launcher child (input `handover`): on create, when
 * the other launcher still serves the port on the host, the create moves the port over in one
 * host-side step (see remote/launcher-handover.ts) instead of clashing with it.
 */
import type { ReloadStrategy, SystemdLauncher } from "../remote";
import { HANDOVER_KEY, type LauncherHandover } from "../schema";
import type { Props } from "./props";

/** The `handover` input when it has the shape RsyncServer gives it, else undefined. */
export function handoverOf(inputs: Props): LauncherHandover | undefined {
  const value = inputs[HANDOVER_KEY] as LauncherHandover | undefined;
  if (typeof value !== "object" || value === null || typeof value.port !== "number") return undefined;
  return value;
}

/** The socket service a handover to xinetd stops. */
export function systemdLauncherOf(systemd: NonNullable<LauncherHandover["systemd"]>): SystemdLauncher {
  return {
    socket: `${systemd.serviceName}.socket`,
    service: systemd.wait ? `${systemd.serviceName}.service` : `${systemd.serviceName}@*.service`,
    enable: systemd.unitDir.startsWith("/run/") ? "runtime" : "enable",
  };
}

/** xinetd's reload for a handover: as the XinetdService asks, detected for `auto` and `none`. */
export function handoverReload(reload: unknown): Exclude<ReloadStrategy, "none"> | undefined {
  return reload === undefined || reload === "auto" || reload === "none"
    ? undefined
    : (reload as Exclude<ReloadStrategy, "none">);
}
