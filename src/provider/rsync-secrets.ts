/**
 * The provider of `RsyncSecrets`: an rsync secrets file (`user:password` lines), root-owned 0600.
 * Passwords travel to the host on stdin only, and never come back, old or new: the state keeps
 * the user names and the content's checksum keyed with a random per-resource salt (both secret
 * outputs), and reads and changes ask the host for exactly those.
 */
import { randomBytes } from "node:crypto";

import { changeRemoteFile } from "../remote";
import { saltedChecksum } from "../remote/change-file";
import { inspectSecretsFile } from "../remote/secrets-file";
import { settingKeys } from "../schema";
import {
  alreadyExistsError,
  connectionFailures,
  diffProperties,
  inputsOf,
  applyFailure,
  resourceId,
  runnerFor,
  sameHost,
  SCHEMA_VERSION,
  settingFailures,
  unknownPropertiesOf,
  upgradeState,
  withAcceptedHostKeys,
  withoutUndefined,
  withStateHostKeys,
  type CheckFailure,
  type CheckResult,
  type DiffResult,
  type Props,
  pathFailures,
} from "./state";
import { controlCharacterFailures } from "./state";

const KIND = "RsyncSecrets" as const;
const INPUT_KEYS = new Set(settingKeys(KIND));
const DIFF_KEYS = ["connection", "sudo", "path"];
const FILE_OPTIONS = { mode: 0o600, owner: "root", group: "root", validate: "none" } as const;
const SALT_BYTES = 32;
/** Mode and owners the file must keep; read reports others, so refresh shows a chmod as drift. */
const PERMISSIONS = "600 root:root";

/** The file's text: one `name:password` line per user, sorted so the checksum is stable. */
export function secretsFileContent(users: Record<string, string>): string {
  return Object.keys(users)
    .sort()
    .map((name) => `${name}:${users[name]}\n`)
    .join("");
}

/** Failures that name users but never quote a password. */
function usersFailures(users: unknown): CheckFailure[] {
  if (typeof users !== "object" || users === null || Array.isArray(users)) {
    return [{ property: "users", reason: "`users` must map user names to passwords." }];
  }
  const failures: CheckFailure[] = [];
  for (const [name, password] of Object.entries(users)) {
    if (name === "" || /[:\r\n]/.test(name) || /^[#\s]/.test(name) || /\s$/.test(name)) {
      failures.push({
        property: "users",
        reason: `user name ${JSON.stringify(name)} cannot be written: no \`:\`, line breaks, outer blanks or leading \`#\`.`,
      });
    }
    if (typeof password !== "string" || password === "" || /[\r\n]/.test(password)) {
      failures.push({
        property: `users.${name}`,
        reason: `the password of \`${name}\` must be a non-empty string on one line.`,
      });
    }
  }
  return failures;
}

export function check(_olds: Props, news: Props): CheckResult {
  const inputs = inputsOf(news);
  const unknown = unknownPropertiesOf(inputs);
  const failures: CheckFailure[] = [...connectionFailures(inputs.connection), ...settingFailures(inputs)];
  for (const key of Object.keys(inputs)) {
    if (!INPUT_KEYS.has(key)) failures.push({ property: key, reason: `\`${key}\` is not a property of ${KIND}.` });
  }
  if (!unknown.has("path")) failures.push(...pathFailures("path", inputs.path, "file"));
  if (!unknown.has("users")) failures.push(...usersFailures(inputs.users));
  failures.push(...controlCharacterFailures(inputs, failures));
  return { inputs, failures };
}

/**
 * The salt of the state's checksum. A state written before salting has none: its checksum is the
 * plain sha256 of the content, which the empty salt reproduces; the next update salts it.
 */
function saltOf(props: Props): string {
  return typeof props.salt === "string" ? props.salt : "";
}

function newSalt(): string {
  return randomBytes(SALT_BYTES).toString("hex");
}

export function diff(_id: string, olds: Props, news: Props): DiffResult {
  const old = upgradeState(olds, KIND);
  const { changed, replaces } = diffProperties(old, news, DIFF_KEYS, ["path"]);
  // The state has no passwords: the content's salted checksum stands for them.
  const usersChanged =
    typeof news.users !== "object" ||
    news.users === null ||
    saltedChecksum(saltOf(old), secretsFileContent(news.users as Record<string, string>)) !== old.checksum;
  const sameFile = sameHost(old.connection, news.connection) && old.path === news.path;
  const permissionsChanged = old.permissions !== PERMISSIONS;
  return {
    changes: changed.length > 0 || usersChanged || permissionsChanged,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && sameFile,
  };
}

/** The inputs without the passwords, plus what stands for them (`salt` undefined for a legacy state). */
function outputsOf(inputs: Props, userNames: string[], checksum: string, permissions: string, salt: string): Props {
  const { users: _passwords, ...rest } = inputsOf(inputs);
  return withoutUndefined({
    ...rest,
    userNames,
    checksum,
    salt: salt === "" ? undefined : salt,
    permissions,
    schemaVersion: SCHEMA_VERSION,
  });
}

/**
 * The outputs when the host cannot say what it has after a failed change: no checksum, which
 * `diff` then takes as changed users, so the next run writes the file again.
 */
function unknownOutcomeOutputs(inputs: Props): Props {
  const { users: _passwords, ...rest } = inputsOf(inputs);
  return withoutUndefined({
    ...rest,
    userNames: Object.keys((inputs.users ?? {}) as object).sort(),
    schemaVersion: SCHEMA_VERSION,
  });
}

async function apply(inputs: Props, creating: boolean, salt: string): Promise<{ id: string; outs: Props }> {
  const runner = runnerFor(inputs);
  const path = String(inputs.path);
  const id = resourceId(inputs.connection, path);
  const users = inputs.users as Record<string, string>;
  const content = secretsFileContent(users);
  let refused = false;
  try {
    // Secret mode: the host shows only whether the file exists (and a salted checksum), keeps no
    // previous version and removes any left by older versions of this library, in the same script.
    await changeRemoteFile(
      runner,
      path,
      (current, facts) => {
        // A file that already holds exactly these users is this resource's own (an earlier attempt
        // whose answer was lost), not someone else's to refuse.
        if (creating && current !== undefined && inputs.adopt !== true && !facts.holds(content)) {
          refused = true;
          throw alreadyExistsError(`the secrets file ${path}`, runner.label);
        }
        return content;
      },
      { ...FILE_OPTIONS, secret: { salt } },
    );
    return { id, outs: outputsOf(inputs, Object.keys(users).sort(), saltedChecksum(salt, content), PERMISSIONS, salt) };
  } catch (error) {
    throw await applyFailure(error, refused, id, { ...inputs, salt }, readHost, unknownOutcomeOutputs);
  }
}

export async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  const { id, outs } = await apply(inputs, true, newSalt());
  return { id, outs: withAcceptedHostKeys(outs, inputs) };
}

export async function update(_id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  // The salt stays with the resource; a state from before salting gets one now.
  const salt = saltOf(upgradeState(olds, KIND)) || newSalt();
  const inputs = withStateHostKeys(news, olds);
  return { outs: withAcceptedHostKeys((await apply(inputs, false, salt)).outs, inputs) };
}

export async function read(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const state = upgradeState(props, KIND);
  const found = await readHost(id, state);
  return found.id ? { id: found.id, props: withAcceptedHostKeys(found.props, state) } : found;
}

async function readHost(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const salt = saltOf(props);
  const summary = await inspectSecretsFile(runnerFor(props), String(props.path), salt);
  if (!summary.exists) return { id: "", props: {} };
  const settings = { connection: props.connection, sudo: props.sudo, adopt: props.adopt, path: props.path };
  return {
    id,
    props: outputsOf(
      settings,
      summary.userNames,
      summary.checksum,
      `${summary.mode.toString(8)} ${summary.owner}:${summary.group}`,
      salt,
    ),
  };
}

export async function remove(_id: string, props: Props): Promise<void> {
  const state = upgradeState(props, KIND);
  await changeRemoteFile(runnerFor(state), String(state.path), () => ({ delete: true }), {
    ...FILE_OPTIONS,
    secret: { salt: saltOf(state) },
  });
}
