/**
 * Changing one file of a host safely, on one channel: the remote script locks, shows the current
 * content, waits for the new content on stdin, validates it on the host and swaps it in atomically.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";

import { RemoteError, commandFailedError } from "./errors";
import { fileGeneration, noteFileChanged, parseFileHeader, type FileMetadata } from "./read-file";
import { remoteScript } from "./scripts";
import { StreamReader } from "./stream-reader";
import type { CommandRunner, RemoteProcess, RunResult } from "./transport";
import {
  enabledXinetdServiceCount,
  validateCandidateLocally,
  type CandidateKind,
  type ValidationReport,
} from "./validation";

/**
 * What an edit learns besides the current content: whether the file already holds exactly some
 * content. For a secret file (content withheld) the host's salted checksum answers it.
 */
export interface CurrentFileFacts {
  holds(content: string): boolean;
}

/** What an edit asks for: new content, no change (`undefined`), or removal of the file. */
export type EditResult = string | undefined | { delete: true };

export interface ChangeFileOptions {
  /** Permission bits of the new file. Default: the current file's, or 0o644 for a new one. */
  mode?: number;
  /** Default: the current file's owner, or the connecting user for a new one. */
  owner?: string;
  /** Default: the current file's group, or the connecting user's for a new one. */
  group?: string;
  validate: CandidateKind;
  /**
   * How long to wait for the file's lock (held by another change, or by any process holding the
   * lock file open with flock) before failing with an error that names the lock file. Default: 60.
   */
  lockWaitSeconds?: number;
  /**
   * The file holds secrets: its current content never leaves the host. The host reports only
   * existence, metadata and sha256(salt + content); the edit sees `SECRET_CONTENT_WITHHELD` for
   * an existing file; no previous version is kept (`FileChange.previous` is the placeholder
   * too). The salt travels on stdin.
   */
  secret?: { salt: string };
}

/** What an edit of a secret file sees in place of its current content. */
export const SECRET_CONTENT_WITHHELD = "[secret content withheld by the host]";

export const DEFAULT_LOCK_WAIT_SECONDS = 60;
/** What a change may take besides waiting for the lock: the daemon's validation, the caller's edit. */
const CHANGE_WORK_SECONDS = 120;

/** sha256 of `salt` followed by `content`, hex: what the host reports for a secret file. */
export function saltedChecksum(salt: string, content: string): string {
  return createHash("sha256").update(salt, "utf8").update(content, "utf8").digest("hex");
}

export interface FileChange {
  changed: boolean;
  /** The content before the change; undefined when there was no file. */
  previous?: string;
  /** The content now; undefined when there is no file. */
  content: string | undefined;
  validation: ValidationReport;
}

/**
 * Names beside the target that the script uses. All start with `.` and contain another `.`:
 * xinetd's includedir skips names with a `.`, and rsync's `&include DIR` reads only `*.conf`.
 */
export function companionPaths(path: string): { lock: string; previous: string; tempPrefix: string } {
  const dir = posix.dirname(path);
  const name = posix.basename(path);
  return {
    lock: posix.join(dir, `.${name}.lock`),
    previous: posix.join(dir, `.${name}.previous`),
    tempPrefix: posix.join(dir, `.${name}.tmp.`),
  };
}

function changeScript(path: string, options: ChangeFileOptions): string {
  const companions = companionPaths(path);
  return remoteScript("change-file", {
    target: path,
    dir: posix.dirname(path),
    lock: companions.lock,
    lock_wait: String(lockWaitOf(options)),
    previous: companions.previous,
    temp_prefix: companions.tempPrefix,
    mode: options.mode === undefined ? "" : options.mode.toString(8),
    owner: options.owner ?? "",
    group: options.group ?? "",
    validate: options.validate,
    secret: options.secret ? "1" : "",
  });
}

function lockWaitOf(options: { lockWaitSeconds?: number }): number {
  const wait = options.lockWaitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS;
  if (!(Number.isInteger(wait) && wait >= 0 && wait <= 86_400)) {
    throw new TypeError(`\`lockWaitSeconds\` must be whole seconds from 0 to 86400, got ${wait}`);
  }
  return wait;
}

type CurrentFile =
  | { exists: false }
  | ({ exists: true; content: string } & FileMetadata)
  | ({ exists: true; checksum: string } & FileMetadata);

/**
 * Applies `edit` to the file at `path` under the host-side lock: the edit sees the current
 * content (undefined when absent) and returns the new one, `undefined` for no change, or
 * `{ delete: true }`. The candidate passes the format layer's checks (every problem reported at
 * once, before anything is written) and then the daemon's own on the host, or nothing changes.
 * One channel, one round trip.
 */
export async function changeRemoteFile(
  runner: CommandRunner,
  path: string,
  edit: (current: string | undefined, facts: CurrentFileFacts) => EditResult,
  options: ChangeFileOptions,
): Promise<FileChange> {
  if (!posix.isAbsolute(path)) throw new TypeError(`the path must be absolute, got ${JSON.stringify(path)}`);
  if (options.mode !== undefined && !(Number.isInteger(options.mode) && options.mode >= 0 && options.mode <= 0o7777)) {
    throw new TypeError(`mode must be permission bits (0 to 0o7777), got ${options.mode}`);
  }
  if (options.secret && /[\r\n]/.test(options.secret.salt)) throw new TypeError("the salt must be one line");
  const script = changeScript(path, options);
  const process = await runner.spawn(script, { timeoutMs: (lockWaitOf(options) + CHANGE_WORK_SECONDS) * 1000 });
  const settled = settle(process.done);
  const stdout = new StreamReader(process.stdout);
  const stderr = collect(process);
  process.stdin.on("error", () => undefined); // the script may exit before reading all of it
  if (options.secret) process.stdin.write(`${options.secret.salt}\n`);

  const fail = async (reason: unknown): Promise<never> => {
    process.stdin.destroy();
    const done = await settled;
    if ("error" in done) throw done.error;
    throw commandFailedError(runner.label, script, {
      ...done.result,
      stderr: stderr() || done.result.stderr || String(reason),
    });
  };

  let current: CurrentFile;
  try {
    current = await readCurrent(stdout);
  } catch (error) {
    return fail(error);
  }
  const previous = !current.exists ? undefined : "content" in current ? current.content : SECRET_CONTENT_WITHHELD;

  let request: { action: "KEEP" } | { action: "DELETE" } | { action: "WRITE"; content: string; expected: number };
  try {
    const facts: CurrentFileFacts = { holds: (content) => current.exists && sameContent(current, content, options) };
    request = plan(current, edit(previous, facts), options, posix.basename(path));
  } catch (error) {
    // A throwing edit or a candidate the format layer rejects: release the lock, change nothing.
    process.stdin.end("KEEP\n");
    await settled;
    throw error;
  }
  if (request.action !== "KEEP") noteFileChanged(runner, path);
  if (request.action === "WRITE") {
    const bytes = Buffer.from(request.content, "utf8");
    process.stdin.end(Buffer.concat([Buffer.from(`WRITE ${bytes.length} ${request.expected}\n`), bytes]));
  } else {
    process.stdin.end(`${request.action}\n`);
  }

  let answer: string;
  try {
    answer = (await stdout.readRest()).toString("utf8");
  } catch (error) {
    return fail(error);
  }
  const done = await settled;
  // Reads that started while the change ran may hold either version: none is shared after it.
  if (request.action !== "KEEP") noteFileChanged(runner, path);
  if ("error" in done) throw done.error;
  if (done.result.exitCode !== 0) return fail(undefined);
  return interpret(runner, script, path, options.validate, answer, previous, request, done.result);
}

function plan(
  current: CurrentFile,
  wanted: EditResult,
  options: ChangeFileOptions,
  fileName: string,
): { action: "KEEP" } | { action: "DELETE" } | { action: "WRITE"; content: string; expected: number } {
  if (wanted === undefined) return { action: "KEEP" };
  if (typeof wanted !== "string") return current.exists ? { action: "DELETE" } : { action: "KEEP" };
  if (current.exists && sameContent(current, wanted, options) && metadataMatches(current, options))
    return { action: "KEEP" };
  validateCandidateLocally(options.validate, wanted, fileName);
  const expected = options.validate === "xinetd-service" ? enabledXinetdServiceCount(wanted) : 0;
  return { action: "WRITE", content: wanted, expected };
}

function sameContent(
  current: Exclude<CurrentFile, { exists: false }>,
  wanted: string,
  options: ChangeFileOptions,
): boolean {
  if ("content" in current) return current.content === wanted;
  return options.secret !== undefined && current.checksum === saltedChecksum(options.secret.salt, wanted);
}

function metadataMatches(current: FileMetadata, options: ChangeFileOptions): boolean {
  return (
    (options.mode === undefined || options.mode === current.mode) &&
    (options.owner === undefined || options.owner === current.owner) &&
    (options.group === undefined || options.group === current.group)
  );
}

async function readCurrent(stdout: StreamReader): Promise<CurrentFile> {
  const header = (await stdout.readLine()).split(" ");
  if (header[0] === "ABSENT") return { exists: false };
  if (header[0] === "SECRET" && header.length === 5 && /^[0-9a-f]{64}$/.test(header[4]!)) {
    return { exists: true, checksum: header[4]!, ...parseFileHeader(header.slice(1, 4)) };
  }
  if (header[0] !== "FILE" || header.length !== 5) throw new Error(`unexpected header: ${header.join(" ")}`);
  const size = Number(header[4]);
  const content = (await stdout.readBytes(size)).toString("utf8");
  return { exists: true, content, ...parseFileHeader(header.slice(1, 4)) };
}

function interpret(
  runner: CommandRunner,
  script: string,
  path: string,
  kind: CandidateKind,
  answer: string,
  previous: string | undefined,
  request: { action: "KEEP" } | { action: "DELETE" } | { action: "WRITE"; content: string },
  result: RunResult,
): FileChange {
  const lines = answer.split("\n");
  let validationLine: string | undefined;
  if (lines[0]?.startsWith("VALIDATION ")) validationLine = lines.shift();
  const outcome = lines.shift() ?? "";
  // The validators read a copy in a scratch directory: name the real file in what they said.
  const log = lines
    .join("\n")
    .trim()
    .replace(/\/tmp\/\.(?:xinetd|rsyncd)-validate\.\w+\/(?:service|rsyncd\.conf)/g, path);
  const notValidated: ValidationReport = {
    method: "library-only",
    log: "nothing was written, so nothing was validated on the host",
  };
  switch (outcome) {
    case "RESULT unchanged":
      return { changed: false, previous, content: previous, validation: notValidated };
    case "RESULT deleted":
      return { changed: previous !== undefined, previous, content: undefined, validation: notValidated };
    case "RESULT written":
      return {
        changed: true,
        previous,
        content: (request as { content: string }).content,
        validation: validationReport(validationLine, log),
      };
    case "RESULT rejected":
      throw new RemoteError({
        code: "command-failed",
        host: runner.label,
        command: script,
        summary: `${VALIDATOR_NAMES[kind]} on the host rejected the new content of ${path}; nothing was changed`,
        stdout: answer,
        // What the daemon said, shown line by line in the error's message.
        stderr: log,
      });
    default:
      throw commandFailedError(runner.label, script, { ...result, stdout: answer });
  }
}

function validationReport(line: string | undefined, log: string): ValidationReport {
  const method = line?.slice("VALIDATION ".length) ?? "none";
  if (method === "host") return log ? { method: "host", log } : { method: "host" };
  if (method === "none") return { method: "library-only", log: "no daemon reads this file: only written as given" };
  return {
    method: "library-only",
    log: `host cannot validate (${method.replace(/^library-only ?/, "")}): only the format layer's checks ran`,
  };
}

const VALIDATOR_NAMES: Record<CandidateKind, string> = {
  "xinetd-service": "xinetd (run in a throwaway network namespace)",
  rsyncd: "the rsync daemon (run through a local fake remote shell)",
  none: "nothing",
};

function settle(done: Promise<RunResult>): Promise<{ result: RunResult } | { error: unknown }> {
  return done.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
}

function collect(process: RemoteProcess): () => string {
  const chunks: Buffer[] = [];
  process.stderr.on("data", (chunk: Buffer | string) =>
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk),
  );
  return () => Buffer.concat(chunks).toString("utf8");
}

/**
 * Removes the previous version `changeRemoteFile` keeps beside a file it swapped or deleted (under
 * the file's lock, so never during a change): after a verified delete it is a copy of a file that
 * should be gone.
 */
export async function discardPreviousVersion(
  runner: CommandRunner,
  path: string,
  options: { lockWaitSeconds?: number } = {},
): Promise<void> {
  const { lock, previous } = companionPaths(path);
  const lockWait = lockWaitOf(options);
  const script = remoteScript("discard-previous", {
    dir: posix.dirname(path),
    lock,
    lock_wait: String(lockWait),
    previous,
  });
  const result = await runner.run(script, { timeoutMs: (lockWait + CHANGE_WORK_SECONDS) * 1000 });
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
}

const discardsInFlight = new Map<string, Promise<void>>();

/**
 * `discardPreviousVersion`, shared by the callers of one identity that ask for it after the same
 * change of the file (the modules of one batch that deleted it): one round trip for all of them.
 * Never shared across a later change, whose previous version is another.
 */
export function discardPreviousVersionShared(runner: CommandRunner, path: string): Promise<void> {
  const key = JSON.stringify([runner.identity, path, fileGeneration(runner, path)]);
  let discard = discardsInFlight.get(key);
  if (!discard) {
    discard = discardPreviousVersion(runner, path).finally(() => discardsInFlight.delete(key));
    discardsInFlight.set(key, discard);
  }
  return discard;
}
