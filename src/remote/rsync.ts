/** rsync daemon specifics: rsyncd.conf changes, the port-873 conflict message, and its log for diagnostics. */
import {
  parseRsyncdDocument,
  renderRsyncdDocument,
  rsyncdSemantics,
  rsyncdValue,
  type RsyncdDocument,
} from "../formats";
import { changeRemoteDocumentBatched, type DocumentCodec } from "./change-batch";
import { type ChangeFileOptions, type FileChange } from "./change-file";
import { RemoteError } from "./errors";
import { readRemoteFile } from "./read-file";
import { remoteScript } from "./scripts";
import type { CommandRunner } from "./transport";

const LOG_TAIL_LINES = 20;

/** rsyncd.conf as a document, for batched edits (the format layer's edits return parsed documents). */
export const RSYNCD_CODEC: DocumentCodec<RsyncdDocument> = {
  parse: parseRsyncdDocument,
  render: renderRsyncdDocument,
};

/**
 * Edits an rsyncd.conf as a document. No reload follows: rsync re-reads the file for every
 * connection. When the host's rsync rejects the candidate, the error also carries the tail of the
 * live daemon's log.
 */
export async function changeRsyncdConfig(
  runner: CommandRunner,
  path: string,
  edit: (current: RsyncdDocument | undefined) => RsyncdDocument | undefined,
  options: Omit<ChangeFileOptions, "validate"> = {},
): Promise<FileChange> {
  try {
    // Many RsyncModules edit one rsyncd.conf: their concurrent edits share a round trip (and a parse).
    return await changeRemoteDocumentBatched(
      runner,
      path,
      RSYNCD_CODEC,
      (current) => {
        const next = edit(current);
        return next === undefined ? undefined : { document: next };
      },
      { ...options, validate: "rsyncd" },
    );
  } catch (error) {
    if (!(error instanceof RemoteError) || error.code !== "command-failed") throw error;
    const diagnostics = await rsyncDiagnostics(runner, path).catch(() => undefined);
    if (!diagnostics) throw error;
    throw new RemoteError({
      code: error.code,
      host: error.host,
      command: error.command,
      summary: error.shortMessage.slice(error.host.length + 2),
      ...(error.stdout === undefined ? {} : { stdout: error.stdout }),
      stderr: `${error.stderr ?? ""}\n${diagnostics}`.trim(),
    });
  }
}

/**
 * The last lines rsync logged for the daemon that reads `configPath`: its `log file` when the
 * configuration names one, else rsyncd's lines in syslog. Undefined when there are none.
 */
export async function rsyncDiagnostics(runner: CommandRunner, configPath: string): Promise<string | undefined> {
  const config = await readRemoteFile(runner, configPath);
  const logFile = config.exists
    ? rsyncdValue(rsyncdSemantics(parseRsyncdDocument(config.content)), "log file")
    : undefined;
  const script = remoteScript("rsync-log-tail", { log_file: logFile ?? "", lines: String(LOG_TAIL_LINES) });
  const result = await runner.run(script);
  const lines = result.stdout.trimEnd();
  if (!lines) return undefined;
  return `last lines of ${logFile ?? "syslog"} (rsync daemon of ${configPath}):\n${lines}`;
}

/** The operator's next step when `holder` keeps an xinetd service from its port. */
export function describePortConflict(service: string, port: number, holder: string, pid?: number): string {
  const who = `${holder}${pid === undefined ? "" : ` (pid ${pid})`}`;
  if (holder === "rsync") {
    return (
      `port ${port} of service ${service} is held by a standalone rsync daemon ` +
      `(${pid === undefined ? "pid unknown" : `pid ${pid}`}), but rsync is meant to run under xinetd: ` +
      "stop and disable the standalone daemon (`systemctl disable --now rsync`, or `service rsync stop` and " +
      "`update-rc.d rsync disable`)"
    );
  }
  return `port ${port} of service ${service} is held by ${who}, not xinetd`;
}
