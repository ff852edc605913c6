/** Reading one file of a host: content and metadata in one round trip; absence is an answer. */
import { RemoteError, commandFailedError } from "./errors";
import { remoteScript } from "./scripts";
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

/**
 * The file at `path`: absent, or its content and metadata. A symbolic link is refused (the change
 * script refuses to write through one), so a read never shows what a change would not touch.
 */
export async function readRemoteFile(runner: CommandRunner, path: string): Promise<RemoteFile> {
  const script = remoteScript("read-file", { target: path });
  const result = await runner.run(script);
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
  const newline = result.stdout.indexOf("\n");
  const header = result.stdout.slice(0, newline).split(" ");
  if (header[0] === "ABSENT") return { exists: false };
  if (header[0] !== "FILE") {
    throw new RemoteError({
      code: "command-failed",
      host: runner.label,
      command: script,
      summary: `unexpected answer reading ${path}`,
      stdout: result.stdout,
    });
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

/** How many changes of the file this process has made: a shared operation serves one generation only. */
export function fileGeneration(runner: CommandRunner, path: string): number {
  return changesMade.get(changeKey(runner, path)) ?? 0;
}

/**
 * `readRemoteFile`, shared by every caller that asks for the same file with the same runner
 * identity while a read of it is under way: a refresh of ten modules of one rsyncd.conf reads the
 * file once. Never shared across identities (a caller whose credentials the host refuses must not
 * get another's read), and only until this process changes the file; callers after that get a
 * read of their own.
 */
export function readRemoteFileShared(runner: CommandRunner, path: string): Promise<RemoteFile> {
  const key = JSON.stringify([runner.identity, path, fileGeneration(runner, path)]);
  let read = readsInFlight.get(key);
  if (!read) {
    read = readRemoteFile(runner, path).finally(() => readsInFlight.delete(key));
    readsInFlight.set(key, read);
  }
  return read;
}
