/**
 * Inspecting an rsync secrets file without its passwords leaving the host: the host answers with
 * the file's metadata, user names and a checksum keyed with the resource's salt.
 */
import { RemoteError } from "./errors";
import { parseFileHeader, type FileMetadata } from "./read-file";
import { remoteScript } from "./scripts";
import type { CommandRunner } from "./transport";

export type SecretsFileSummary =
  | { exists: false }
  | ({
      exists: true;
      /** sha256 of the salt followed by the content, hex. */ checksum: string;
      userNames: string[];
    } & FileMetadata);

/**
 * What the secrets file at `path` holds, short of the passwords. `salt` keys the checksum
 * (travelling on stdin, never on a command line); an empty salt gives the plain sha256 of the
 * content, which states written before salting hold.
 */
export async function inspectSecretsFile(runner: CommandRunner, path: string, salt = ""): Promise<SecretsFileSummary> {
  if (/[\r\n]/.test(salt)) throw new TypeError("the salt must be one line");
  const script = remoteScript("inspect-secrets", { target: path });
  const result = await runner.run(script, { stdin: `${salt}\n`, secretStdin: true });
  const [header = "", ...names] = result.stdout.split("\n");
  if (result.exitCode !== 0 || !(header === "ABSENT" || header.startsWith("FILE "))) {
    // stdout holds no secrets by construction; stderr could quote a line, so neither is passed on.
    throw new RemoteError({
      code: "command-failed",
      host: runner.label,
      command: script,
      summary: `could not inspect the secrets file ${path}`,
      exitCode: result.exitCode,
    });
  }
  if (header === "ABSENT") return { exists: false };
  const fields = header.split(" ").slice(1);
  return {
    exists: true,
    checksum: fields[3] ?? "",
    userNames: names.filter((name) => name !== ""),
    ...parseFileHeader(fields.slice(0, 3)),
  };
}
