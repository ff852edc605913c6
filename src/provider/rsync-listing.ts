/**
 * The provider of the internal `RsyncListing` resource of `RsyncServer`: after the server's files
 * apply, asks the daemon on the host which modules it lists and fails unless every expected one is.
 */
import { listRsyncDaemonModules } from "../remote/rsync-listing";
import {
  connectionFailures,
  diffProperties,
  inputsOf,
  resourceId,
  runnerFor,
  SCHEMA_VERSION,
  settingFailures,
  upgradeState,
  UNKNOWN,
  withAcceptedHostKeys,
  withoutUndefined,
  withStateHostKeys,
  type CheckFailure,
  type CheckResult,
  type DiffResult,
  type Props,
} from "./state";
import { controlCharacterFailures } from "./state";

const KIND = "RsyncListing";
/** `revision` carries the children's checksums, so any change to them re-runs the check. */
const DIFF_KEYS = ["connection", "sudo", "port", "configPath", "expectedModules", "revision"];

export function check(_olds: Props, news: Props): CheckResult {
  const inputs = inputsOf(news);
  const failures: CheckFailure[] = [...connectionFailures(inputs.connection), ...settingFailures(inputs)];
  if (
    inputs.port !== UNKNOWN &&
    !(Number.isInteger(inputs.port) && (inputs.port as number) >= 1 && (inputs.port as number) <= 65_535)
  ) {
    failures.push({ property: "port", reason: "`port` must be a TCP port (1 to 65535)." });
  }
  failures.push(...controlCharacterFailures(inputs, failures));
  return { inputs, failures };
}

function missingModules(expected: unknown, listed: unknown): string[] {
  const names = Array.isArray(listed) ? listed : [];
  return (Array.isArray(expected) ? (expected as string[]) : []).filter((name) => !names.includes(name));
}

export function diff(_id: string, olds: Props, news: Props): DiffResult {
  const old = upgradeState(olds, KIND);
  const { changed } = diffProperties(old, news, DIFF_KEYS, []);
  // A refresh that found a module missing makes the next update check again (and fail loudly).
  const stale = missingModules(news.expectedModules, old.modules).length > 0;
  return { changes: changed.length > 0 || stale, replaces: [], deleteBeforeReplace: false };
}

async function listing(inputs: Props): Promise<string[]> {
  const listed = await listRsyncDaemonModules(runnerFor(inputs), Number(inputs.port), String(inputs.configPath));
  return listed.map((module) => module.name);
}

async function verify(inputs: Props): Promise<Props> {
  const modules = await listing(inputs);
  const missing = missingModules(inputs.expectedModules, modules);
  if (missing.length > 0) {
    throw new Error(
      `rsync://localhost:${String(inputs.port)}/ on ${String((inputs.connection as { host?: string }).host)} does not list ${missing.map((m) => `\`${m}\``).join(", ")}; it lists ${modules.length > 0 ? modules.map((m) => `\`${m}\``).join(", ") : "nothing"}`,
    );
  }
  return withoutUndefined({ ...inputsOf(inputs), modules, schemaVersion: SCHEMA_VERSION });
}

export async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  return {
    id: resourceId(inputs.connection, `rsync://localhost:${String(inputs.port)}/`),
    outs: withAcceptedHostKeys(await verify(inputs), inputs),
  };
}

export async function update(_id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  upgradeState(olds, KIND);
  const inputs = withStateHostKeys(news, olds);
  return { outs: withAcceptedHostKeys(await verify(inputs), inputs) };
}

/** What the daemon lists now, without judging it (diff does). */
export async function read(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const state = upgradeState(props, KIND);
  return { id, props: withAcceptedHostKeys({ ...state, modules: await listing(state) }, state) };
}

/** Nothing on the host belongs to a listing. */
export async function remove(): Promise<void> {}
