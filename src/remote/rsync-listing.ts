/** What an rsync daemon lists to a client on the host itself (`rsync rsync://localhost:<port>/`). */
import { RemoteError } from "./errors";
import { rsyncDiagnostics } from "./rsync";
import { remoteScript } from "./scripts";
import type { CommandRunner } from "./transport";

const CONNECT_TIMEOUT_SECONDS = 10;

export interface ListedRsyncModule {
  name: string;
  comment: string;
}

/**
 * The modules the daemon on `port` lists, in its order. Throws a RemoteError, with the daemon's
 * last log lines when it can find them (`configPath`), when the daemon does not answer.
 */
export async function listRsyncDaemonModules(
  runner: CommandRunner,
  port: number,
  configPath: string,
): Promise<ListedRsyncModule[]> {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new TypeError(`port must be 1 to 65535, got ${port}`);
  const script = remoteScript("rsync-list-modules", {
    port: String(port),
    connect_timeout: String(CONNECT_TIMEOUT_SECONDS),
  });
  const result = await runner.run(script, { timeoutMs: (CONNECT_TIMEOUT_SECONDS + 5) * 1000 });
  if (result.exitCode !== 0) {
    const diagnostics = await rsyncDiagnostics(runner, configPath).catch(() => undefined);
    throw new RemoteError({
      code: "command-failed",
      host: runner.label,
      command: script,
      summary: `the rsync daemon on port ${port} did not list its modules (exit code ${result.exitCode ?? "unknown"})`,
      stderr: [result.stderr.trim(), diagnostics].filter(Boolean).join("\n"),
      exitCode: result.exitCode,
    });
  }
  // rsync prints `printf("%-15s\t%s\n", name, comment)` per listable module, after the motd lines.
  return result.stdout
    .split("\n")
    .filter((line) => line.includes("\t"))
    .map((line) => {
      const tab = line.indexOf("\t");
      return { name: line.slice(0, tab).trimEnd(), comment: line.slice(tab + 1) };
    });
}
