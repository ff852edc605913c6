/**
 * The provider of `RsyncSecrets`: an rsync secrets file (`user:password` lines), root-owned 0600.
 * Passwords travel to the host on stdin only, and never come back, old or new: the state keeps
 * the user names and the content's checksum keyed with a random per-resource salt (both secret
 * outputs), and reads and changes ask the host for exactly those.
 */
import { randomBytes } from "node:crypto";

import { changeRemoteFile, type CommandRunner } from "../remote";
import { saltedChecksum } from "../remote/change-file";
import { inspectSecretsFile } from "../remote/secrets-file";
import { settingKeys } from "../schema";
import type { CheckFailure } from "./checks";
import { alreadyExistsError } from "./errors";
import { defineHostKind } from "./kind";
import { inputsOf, withoutUndefined, type Props } from "./props";
import { SCHEMA_VERSION } from "./schema";

const INPUT_KEYS = new Set(settingKeys("RsyncSecrets"));
const DIFF_KEYS = ["connection", "sudo", "path"];
const REPLACE_KEYS = ["path"];
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
        reason:
          `user name ${JSON.stringify(name)} cannot be written: no \`:\`, line breaks, outer blanks or leading ` +
          `\`#\`.`,
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

/** The state has no passwords: the content's salted checksum stands for them. */
function usersChanged(olds: Props, news: Props): boolean {
  return (
    typeof news.users !== "object" ||
    news.users === null ||
    saltedChecksum(saltOf(olds), secretsFileContent(news.users as Record<string, string>)) !== olds.checksum
  );
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

/** Writes the file; `inputs.salt` keys the checksum the state keeps (see `withSalt`). */
async function apply(inputs: Props, { runner, creating }: { runner: CommandRunner; creating: boolean }) {
  const path = String(inputs.path);
  const salt = saltOf(inputs);
  const users = inputs.users as Record<string, string>;
  const content = secretsFileContent(users);
  // Secret mode: the host shows only whether the file exists (and a salted checksum), keeps no
  // previous version and removes any left by older versions of this library, in the same script.
  await changeRemoteFile(
    runner,
    path,
    (current, facts) => {
      // A file that already holds exactly these users is this resource's own (an earlier attempt
      // whose answer was lost), not someone else's to refuse.
      if (creating && current !== undefined && inputs.adopt !== true && !facts.holds(content))
        throw alreadyExistsError(`the secrets file ${path}`, runner.label);
      return content;
    },
    { ...FILE_OPTIONS, secret: { salt } },
  );
  return outputsOf(inputs, Object.keys(users).sort(), saltedChecksum(salt, content), PERMISSIONS, salt);
}

/** The salt stays with the resource; a create, or an update of a state from before salting, gets a new one. */
function withSalt(inputs: Props, olds: Props | undefined): Props {
  return { ...inputs, salt: (olds && saltOf(olds)) || newSalt() };
}

async function readHost(props: Props, runner: CommandRunner): Promise<Props | undefined> {
  const salt = saltOf(props);
  const summary = await inspectSecretsFile(runner, String(props.path), salt);
  if (!summary.exists) return undefined;
  const settings = { connection: props.connection, sudo: props.sudo, adopt: props.adopt, path: props.path };
  const permissions = `${summary.mode.toString(8)} ${summary.owner}:${summary.group}`;
  return outputsOf(settings, summary.userNames, summary.checksum, permissions, salt);
}

async function removeFile(state: Props, runner: CommandRunner): Promise<void> {
  await changeRemoteFile(runner, String(state.path), () => ({ delete: true }), {
    ...FILE_OPTIONS,
    secret: { salt: saltOf(state) },
  });
}

export const { check, diff, create, read, update, remove } = defineHostKind({
  kind: "RsyncSecrets",
  inputKeys: INPUT_KEYS,
  paths: { path: "file" },
  failures: (inputs, unknown) => (unknown.has("users") ? [] : usersFailures(inputs.users)),
  diffKeys: DIFF_KEYS,
  replaceKeys: REPLACE_KEYS,
  sameTarget: (olds, news) => olds.path === news.path,
  changedOtherwise: (olds, news) => usersChanged(olds, news) || olds.permissions !== PERMISSIONS,
  location: (inputs) => String(inputs.path),
  withState: withSalt,
  apply,
  unknownOutcome: unknownOutcomeOutputs,
  readHost,
  remove: removeFile,
});
