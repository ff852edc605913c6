/**
 * The provider of the internal `RsyncListing` resource of `RsyncServer`: after the server's files
 * apply, asks the daemon on the host which modules it lists and fails unless every expected one is.
 */
import type { CommandRunner } from "../remote";
import { listRsyncDaemonModules } from "../remote/rsync-listing";
import type { CheckFailure } from "./checks";
import { withDiagnosis } from "./diagnosis";
import { defineHostKind } from "./kind";
import { inputsOf, UNKNOWN, withoutUndefined, type Props } from "./props";
import { SCHEMA_VERSION } from "./schema";

/** `revision` carries the children's checksums, so any change to them re-runs the check. */
const DIFF_KEYS = ["connection", "sudo", "port", "configPath", "expectedModules", "revision"];

function portFailures(port: unknown): CheckFailure[] {
  if (port === UNKNOWN || (Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65_535)) return [];
  return [{ property: "port", reason: "`port` must be a TCP port (1 to 65535)." }];
}

function missingModules(expected: unknown, listed: unknown): string[] {
  const names = Array.isArray(listed) ? listed : [];
  return (Array.isArray(expected) ? (expected as string[]) : []).filter((name) => !names.includes(name));
}

async function listing(runner: CommandRunner, props: Props): Promise<string[]> {
  const listed = await listRsyncDaemonModules(runner, Number(props.port), String(props.configPath));
  return listed.map((module) => module.name);
}

/** Fails, with the doctor's findings, unless the daemon lists every expected module. */
async function verify(inputs: Props, { runner }: { runner: CommandRunner }): Promise<Props> {
  const host = String((inputs.connection as { host?: string }).host);
  try {
    const modules = await listing(runner, inputs);
    const missing = missingModules(inputs.expectedModules, modules);
    if (missing.length > 0) {
      throw new Error(
        `rsync://localhost:${String(inputs.port)}/ on ${host} does ` +
          `not list ${missing.map((m) => `\`${m}\``).join(", ")}; it lists ` +
          `${modules.length > 0 ? modules.map((m) => `\`${m}\``).join(", ") : "nothing"}`,
      );
    }
    return withoutUndefined({ ...inputsOf(inputs), modules, schemaVersion: SCHEMA_VERSION });
  } catch (error) {
    throw await withDiagnosis(error, runner, host, {
      rsyncPort: Number(inputs.port),
      configPath: String(inputs.configPath),
    });
  }
}

/**
 * Never replaced and nothing on the host to remove; a failed check is a plain failure (no
 * `unknownOutcome`). `read` reports what the daemon lists now, without judging it (diff does).
 */
export const { check, diff, create, read, update, remove } = defineHostKind({
  kind: "RsyncListing",
  failures: (inputs) => portFailures(inputs.port),
  diffKeys: DIFF_KEYS,
  // A refresh that found a module missing makes the next update check again (and fail loudly).
  changedOtherwise: (olds, news) => missingModules(news.expectedModules, olds.modules).length > 0,
  location: (inputs) => `rsync://localhost:${String(inputs.port)}/`,
  apply: verify,
  readHost: async (state, runner) => ({ ...state, modules: await listing(runner, state) }),
});
