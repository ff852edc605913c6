/**
 * Inspecting an rsync secrets file without its passwords leaving the host: the host answers with
 * the file's checksum, metadata and user names only.
 */
import { RemoteError } from "./errors";
import { fileHeaderScript, parseFileHeader, type FileMetadata } from "./read-file";
import { shellQuote } from "./shell";
import type { CommandRunner } from "./transport";

export type SecretsFileSummary =
  | { exists: false }
  | ({ exists: true; /** sha256 of the content, hex. */ checksum: string; userNames: string[] } & FileMetadata);

export async function inspectSecretsFile(runner: CommandRunner, path: string): Promise<SecretsFileSummary> {
  const target = shellQuote(path);
  const script = [
    ...fileHeaderScript(target),
    `sum=$(sha256sum <${target}) || exit 2`,
    `printf 'FILE %s %s\\n' "$header" "\${sum%% *}"`,
    // Only what precedes the first `:` of each entry line: the user names.
    `grep -v '^[[:space:]]*#' ${target} | sed -n 's/^\\([^:]*\\):.*/\\1/p'`,
  ].join("\n");
  const result = await runner.run(script);
  const [header = "", ...names] = result.stdout.split("\n");
  if (result.exitCode !== 0 || !(header === "ABSENT" || header.startsWith("FILE "))) {
    // stdout holds no secrets by construction; stderr could quote a line, so neither is passed on.
    throw new RemoteError({
      code: "command-failed", host: runner.label, command: script, summary: `could not inspect the secrets file ${path}`, exitCode: result.exitCode,
    });
  }
  if (header === "ABSENT") return { exists: false };
  const fields = header.split(" ").slice(1);
  return { exists: true, checksum: fields[3] ?? "", userNames: names.filter((name) => name !== ""), ...parseFileHeader(fields.slice(0, 3)) };
}
