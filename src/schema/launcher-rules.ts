/**
 * Which of RsyncServer's launcher overrides apply: the resource and the fleet parser refuse the
 * same ones, with the same words. Overrides for the launcher not in use would otherwise be ignored
 * silently; only the keys locating the other launcher's files (for the handover) are kept.
 */
import {
  RSYNC_LAUNCHERS,
  RSYNC_SOCKET_HANDOVER_KEYS,
  RSYNC_XINETD_HANDOVER_KEYS,
  type RsyncLauncher,
} from "./defaults";

/** What `launcher` must be, to follow the field's name. */
export const RSYNC_LAUNCHER_REQUIREMENT = `must be ${RSYNC_LAUNCHERS.map((name) => `"${name}"`).join(" or ")}`;

export function isRsyncLauncher(value: unknown): value is RsyncLauncher {
  return (RSYNC_LAUNCHERS as readonly unknown[]).includes(value);
}

/** The overrides given for the launcher not in use that do not apply to it. */
export interface MisplacedLauncherOverrides {
  launcher: RsyncLauncher;
  /** The overrides' field for the launcher not in use, and the one in use. */
  unused: "xinetd" | "socket";
  used: "xinetd" | "socket";
  /** The keys `unused` may hold: where the other launcher's files are. */
  kept: readonly string[];
  /** The keys of `unused` that would not apply, in the order given. */
  keys: string[];
}

export function misplacedLauncherOverrides(
  launcher: RsyncLauncher,
  overrides: { xinetd?: object; socket?: object },
): MisplacedLauncherOverrides {
  const [unused, used, kept] =
    launcher === "xinetd"
      ? (["socket", "xinetd", RSYNC_SOCKET_HANDOVER_KEYS] as const)
      : (["xinetd", "socket", RSYNC_XINETD_HANDOVER_KEYS] as const);
  const keys = Object.keys(overrides[unused] ?? {}).filter((key) => !(kept as readonly string[]).includes(key));
  return { launcher, unused, used, kept, keys };
}

/** Why `keys` (by default all misplaced ones) would not apply, naming each as `unused.key`. */
export function misplacedOverridesMessage(misplaced: MisplacedLauncherOverrides, keys = misplaced.keys): string {
  const { launcher, unused, used, kept } = misplaced;
  return (
    `with \`launcher: "${launcher}"\`, ${keys.map((key) => `\`${unused}.${key}\``).join(", ")} would not apply; ` +
    `set ${keys.length === 1 ? "it" : "them"} under \`${used}\` (\`${unused}\` may only hold ` +
    `${kept.map((key) => `\`${key}\``).join(", ")}, where the files to take over are).`
  );
}
