/**
 * Changing one file of a host safely, on one channel: the remote script locks, shows the current
 * content, waits for the new content on stdin, validates it on the host and swaps it in atomically.
 */
import { posix } from "node:path";

import { RemoteError, commandFailedError } from "./errors";
import { noteFileChanged, parseFileHeader, STAT_FORMAT, type FileMetadata } from "./read-file";
import { shellQuote } from "./shell";
import { StreamReader } from "./stream-reader";
import type { CommandRunner, RemoteProcess, RunResult } from "./transport";
import {
  enabledXinetdServiceCount, HOST_VALIDATORS, validateCandidateLocally, type CandidateKind, type ValidationReport,
} from "./validation";

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
  const mode = options.mode === undefined ? "" : options.mode.toString(8);
  return `set -u
target=${shellQuote(path)}
lock=${shellQuote(companions.lock)}
previous=${shellQuote(companions.previous)}
temp_prefix=${shellQuote(companions.tempPrefix)}
dir=${shellQuote(posix.dirname(path))}
mode=${shellQuote(mode)}
owner=${shellQuote(options.owner ?? "")}
group=${shellQuote(options.group ?? "")}
validate=${shellQuote(options.validate)}
tmp=
work=
report=
trap 'rm -f -- "$tmp" "$report"; [ -z "$work" ] || rm -rf -- "$work"' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE
trap 'exit 143' TERM
${HOST_VALIDATORS}
[ -d "$dir" ] || { echo "directory $dir does not exist" >&2; exit 2; }
exec 9>>"$lock" || exit 2
# Held until this process exits, however it exits: a dropped connection cannot leave it behind.
flock 9 || exit 2
# Under the lock no other change is running, so any temp file left here is from a killed one.
rm -f -- "$temp_prefix"*
if [ -f "$target" ]; then
  size=$(wc -c <"$target") || exit 2
  printf 'FILE %s %s\\n' "$(stat -L -c ${STAT_FORMAT} "$target")" "$size"
  head -c "$size" "$target"
elif [ -e "$target" ]; then
  echo "$target is not a regular file" >&2; exit 2
else
  echo ABSENT
fi
# EOF here means the caller went away: nothing was changed.
read -r action length expected || exit 0
case $action in
KEEP)
  echo "RESULT unchanged"; exit 0 ;;
DELETE)
  if [ -e "$target" ]; then
    ln -f -- "$target" "$previous" 2>/dev/null || cp -p -- "$target" "$previous" || exit 2
    rm -f -- "$target" || exit 2
    sync "$dir" 2>/dev/null || sync
  fi
  echo "RESULT deleted"; exit 0 ;;
WRITE) ;;
*) echo "unknown action $action" >&2; exit 2 ;;
esac
tmp=$(mktemp "$temp_prefix"XXXXXX) || exit 2
report=$(mktemp /tmp/.change-report.XXXXXX) || exit 2
head -c "$length" >"$tmp"
[ "$(wc -c <"$tmp")" -eq "$length" ] || { echo "new content arrived incomplete" >&2; exit 3; }
method=none
verdict=accepted
case $validate in
xinetd-service) validate_xinetd "$tmp" || exit 2 ;;
rsyncd) validate_rsyncd "$tmp" || exit 2 ;;
esac
echo "VALIDATION $method"
if [ "$verdict" = rejected ]; then echo "RESULT rejected"; cat -- "$report"; exit 0; fi
if [ -e "$target" ]; then
  [ -n "$mode" ] || mode=$(stat -L -c %a "$target")
  [ -n "$owner" ] || owner=$(stat -L -c %u "$target")
  [ -n "$group" ] || group=$(stat -L -c %g "$target")
fi
chmod "\${mode:-644}" "$tmp" || exit 2
if [ -n "$owner" ]; then chown -- "$owner" "$tmp" || exit 2; fi
if [ -n "$group" ]; then chgrp -- "$group" "$tmp" || exit 2; fi
sync "$tmp" 2>/dev/null || sync
# The old inode stays reachable as the previous version; each step below is atomic on its own.
if [ -e "$target" ]; then
  ln -f -- "$target" "$previous" 2>/dev/null || cp -p -- "$target" "$previous" || exit 2
else
  rm -f -- "$previous"
fi
mv -f -- "$tmp" "$target" || exit 2
tmp=
sync "$dir" 2>/dev/null || sync
echo "RESULT written"
cat -- "$report"
`;
}

type CurrentFile = { exists: false } | ({ exists: true; content: string } & FileMetadata);

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
  edit: (current: string | undefined) => EditResult,
  options: ChangeFileOptions,
): Promise<FileChange> {
  if (!posix.isAbsolute(path)) throw new TypeError(`the path must be absolute, got ${JSON.stringify(path)}`);
  if (options.mode !== undefined && !(Number.isInteger(options.mode) && options.mode >= 0 && options.mode <= 0o7777)) {
    throw new TypeError(`mode must be permission bits (0 to 0o7777), got ${options.mode}`);
  }
  const script = changeScript(path, options);
  const process = await runner.spawn(script);
  const settled = settle(process.done);
  const stdout = new StreamReader(process.stdout);
  const stderr = collect(process);
  process.stdin.on("error", () => undefined); // the script may exit before reading all of it

  const fail = async (reason: unknown): Promise<never> => {
    process.stdin.destroy();
    const done = await settled;
    if ("error" in done) throw done.error;
    throw commandFailedError(runner.label, script, { ...done.result, stderr: stderr() || done.result.stderr || String(reason) });
  };

  let current: CurrentFile;
  try {
    current = await readCurrent(stdout);
  } catch (error) {
    return fail(error);
  }
  const previous = current.exists ? current.content : undefined;

  let request: { action: "KEEP" } | { action: "DELETE" } | { action: "WRITE"; content: string; expected: number };
  try {
    request = plan(current, edit(previous), options, posix.basename(path));
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
  if (current.exists && current.content === wanted && metadataMatches(current, options)) return { action: "KEEP" };
  validateCandidateLocally(options.validate, wanted, fileName);
  const expected = options.validate === "xinetd-service" ? enabledXinetdServiceCount(wanted) : 0;
  return { action: "WRITE", content: wanted, expected };
}

function metadataMatches(current: FileMetadata, options: ChangeFileOptions): boolean {
  return (options.mode === undefined || options.mode === current.mode) &&
    (options.owner === undefined || options.owner === current.owner) &&
    (options.group === undefined || options.group === current.group);
}

async function readCurrent(stdout: StreamReader): Promise<CurrentFile> {
  const header = (await stdout.readLine()).split(" ");
  if (header[0] === "ABSENT") return { exists: false };
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
  const log = lines.join("\n").trim().replace(/\/tmp\/\.(?:xinetd|rsyncd)-validate\.\w+\/(?:service|rsyncd\.conf)/g, path);
  const notValidated: ValidationReport = { method: "library-only", log: "nothing was written, so nothing was validated on the host" };
  switch (outcome) {
    case "RESULT unchanged":
      return { changed: false, previous, content: previous, validation: notValidated };
    case "RESULT deleted":
      return { changed: previous !== undefined, previous, content: undefined, validation: notValidated };
    case "RESULT written":
      return { changed: true, previous, content: (request as { content: string }).content, validation: validationReport(validationLine, log) };
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
  return { method: "library-only", log: `host cannot validate (${method.replace(/^library-only ?/, "")}): only the format layer's checks ran` };
}

const VALIDATOR_NAMES: Record<CandidateKind, string> = {
  "xinetd-service": "xinetd (run in a throwaway network namespace)",
  rsyncd: "the rsync daemon (run through a local fake remote shell)",
  none: "nothing",
};

function settle(done: Promise<RunResult>): Promise<{ result: RunResult } | { error: unknown }> {
  return done.then((result) => ({ result }), (error: unknown) => ({ error }));
}

function collect(process: RemoteProcess): () => string {
  const chunks: Buffer[] = [];
  process.stderr.on("data", (chunk: Buffer | string) => chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
  return () => Buffer.concat(chunks).toString("utf8");
}

/**
 * Removes the previous version `changeRemoteFile` keeps beside a file it swapped or deleted (under
 * the file's lock, so never during a change): for a secrets file it is a copy of old
 * passwords; after a verified delete it is a copy of a file that should be gone.
 */
export async function discardPreviousVersion(runner: CommandRunner, path: string): Promise<void> {
  const { lock, previous } = companionPaths(path);
  const script = `exec 9>>${shellQuote(lock)} && flock 9 && rm -f -- ${shellQuote(previous)}`;
  const result = await runner.run(script);
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
}
