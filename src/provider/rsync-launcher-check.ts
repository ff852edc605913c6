/**
 * The provider of the internal `RsyncLauncherCheck` resource of `RsyncServer`: before any of the
 * server's files is written, checks that the host can run the launcher asked for. Only systemd
 * needs checking: a socket launcher on a host without systemd could never start, and the server's
 * rsyncd.conf, secrets and modules would have been written for nothing.
 */
import { hostRunsSystemd, type CommandRunner } from "../remote";
import { RSYNC_LAUNCHER_REQUIREMENT, isRsyncLauncher } from "../schema";
import type { CheckFailure } from "./checks";
import { hostLabel } from "./connection";
import { RefusedChange } from "./errors";
import { defineHostKind } from "./kind";
import { inputsOf, UNKNOWN, withoutUndefined, type Props } from "./props";
import { SCHEMA_VERSION } from "./schema";

const DIFF_KEYS = ["connection", "sudo", "launcher"];

function launcherFailures(launcher: unknown): CheckFailure[] {
  if (launcher === UNKNOWN || isRsyncLauncher(launcher)) return [];
  return [{ property: "launcher", reason: `\`launcher\` ${RSYNC_LAUNCHER_REQUIREMENT}.` }];
}

/** Refuses, before anything is written, a systemd launcher on a host that does not run systemd. */
async function verify(inputs: Props, { runner }: { runner: CommandRunner }): Promise<Props> {
  if (inputs.launcher === "systemd" && !(await hostRunsSystemd(runner))) {
    const host = hostLabel(inputs.connection);
    throw new RefusedChange({
      code: "no-systemd",
      host,
      message:
        `${host}: \`launcher: "systemd"\` needs systemd, but the host has no systemd (no /run/systemd/system); ` +
        'nothing was written. Use `launcher: "xinetd"` on this host.',
    });
  }
  return withoutUndefined({ ...inputsOf(inputs), schemaVersion: SCHEMA_VERSION });
}

/** Never replaced and nothing on the host to remove or read back: a failed check is a plain failure. */
export const { check, diff, create, read, update, remove } = defineHostKind({
  kind: "RsyncLauncherCheck",
  failures: (inputs) => launcherFailures(inputs.launcher),
  diffKeys: DIFF_KEYS,
  changedOtherwise: () => false,
  location: (inputs) => `launcher:${String(inputs.launcher)}`,
  apply: verify,
  readHost: async (state) => state,
});
