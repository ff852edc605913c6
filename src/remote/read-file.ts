/** Reading one file of a host: content and metadata in one round trip; absence is an answer. */
import { RemoteError, commandFailedError } from "./errors";
import { shellQuote } from "./shell";
import type { CommandRunner } from "./transport";

export interface FileMetadata {
  /** Permission bits, e.g. 0o644. */
  mode: number;
  owner: string;
  group: string;
}

export type RemoteFile = { exists: false } | ({ exists: true; content: string } & FileMetadata);

/** Parses the `FILE <mode> <owner> <group>` header that the read and change scripts print. */
export function parseFileHeader(fields: string[]): FileMetadata {
  const [mode, owner, group] = fields;
  if (mode === undefined || owner === undefined || group === undefined || !/^[0-7]+$/.test(mode)) {
    throw new Error(`unexpected file header: ${fields.join(" ")}`);
  }
  return { mode: Number.parseInt(mode, 8), owner, group };
}

/** The stat fields of `parseFileHeader`, for scripts (`%U`/`%G` fall back to ids for unknown ones). */
export const STAT_FORMAT = "'%a %U %G'";

/**
 * The start of a script that inspects one file: answers `ABSENT` and exits when there is none,
 * fails on anything but a regular file, and leaves its stat fields in `$header`.
 */
export function fileHeaderScript(target: string): string[] {
  return [
    `if [ ! -e ${target} ] && [ ! -L ${target} ]; then echo ABSENT; exit 0; fi`,
    `[ -f ${target} ] || { echo "not a regular file" >&2; exit 2; }`,
    `header=$(stat -L -c ${STAT_FORMAT} ${target}) || exit 2`,
  ];
}

export async function readRemoteFile(runner: CommandRunner, path: string): Promise<RemoteFile> {
  const target = shellQuote(path);
  // The header comes from the same shell that then cats the file; cat's bytes are all the rest.
  const script = [
    ...fileHeaderScript(target),
    `printf 'FILE %s\\n' "$header"`,
    `exec cat ${target}`,
  ].join("\n");
  const result = await runner.run(script);
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
  const newline = result.stdout.indexOf("\n");
  const header = result.stdout.slice(0, newline).split(" ");
  if (header[0] === "ABSENT") return { exists: false };
  if (header[0] !== "FILE") {
    throw new RemoteError({ code: "command-failed", host: runner.label, command: script, summary: `unexpected answer reading ${path}`, stdout: result.stdout });
  }
  return { exists: true, content: result.stdout.slice(newline + 1), ...parseFileHeader(header.slice(1)) };
}

const readsInFlight = new Map<string, Promise<RemoteFile>>();
/**
 * Bumped by every change this process makes to a file, so no read started before it is shared
 * after it. Keyed by label (`user@host:port`), not identity: a change made with one credential
 * outdates the reads of every runner that logs in there.
 */
const changesMade = new Map<string, number>();

function changeKey(runner: CommandRunner, path: string): string {
  return JSON.stringify([runner.label, path]);
}

/** Records that this process changed the file: reads under way no longer answer for it. */
export function noteFileChanged(runner: CommandRunner, path: string): void {
  const key = changeKey(runner, path);
  changesMade.set(key, (changesMade.get(key) ?? 0) + 1);
}

/**
 * `readRemoteFile`, shared by every caller that asks for the same file with the same runner
 * identity while a read of it is under way: a refresh of ten modules of one rsyncd.conf reads the
 * file once. Never shared across identities (a caller whose credentials the host refuses must not
 * get another's read), and only until this process changes the file; callers after that get a
 * read of their own.
 */
export function readRemoteFileShared(runner: CommandRunner, path: string): Promise<RemoteFile> {
  const key = JSON.stringify([runner.identity, path, changesMade.get(changeKey(runner, path)) ?? 0]);
  let read = readsInFlight.get(key);
  if (!read) {
    read = readRemoteFile(runner, path).finally(() => readsInFlight.delete(key));
    readsInFlight.set(key, read);
  }
  return read;
}
