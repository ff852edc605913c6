/**
 * The doctor's findings on a failed check: when RsyncServer's listing check or an rsync xinetd
 * service's verification fails, the error carries what the doctor finds on the host, so `pulumi up`
 * tells the reason. Bounded in time, and never in the way: if the diagnosis fails or runs late,
 * the original error is thrown as it was.
 */
import { diagnoseWithRunner, type Finding } from "../doctor";
import { RemoteError, type CommandRunner } from "../remote";

/** The whole diagnosis gets this long; each of its round trips a little less. */
const DIAGNOSIS_LIMIT_MS = 20_000;
/** Kept short: a RemoteError's message shows the last 20 lines of its details. */
const EVIDENCE_LINES = 1;
const MAX_FINDINGS = 5;

export type DiagnosedError = Error & { findings: readonly Finding[] };

function describe(findings: readonly Finding[]): string {
  return [
    "the doctor's findings on the host (`pulumi-xinetd doctor HOST` for the whole report):",
    ...findings
      .slice(0, MAX_FINDINGS)
      .flatMap((item) => [
        `- ${item.severity} ${item.code}: ${item.message}`,
        ...item.evidence.slice(0, EVIDENCE_LINES).map((line) => `    | ${line}`),
        `  fix: ${item.fix}`,
      ]),
  ].join("\n");
}

/** The error with the host's findings attached (`findings`, and in the message), or as it was. */
export async function withDiagnosis(
  error: unknown,
  runner: CommandRunner,
  host: string,
  options: { rsyncPort?: number; configPath?: string },
): Promise<unknown> {
  if (!(error instanceof Error)) return error;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), DIAGNOSIS_LIMIT_MS);
  });
  const diagnosis = await Promise.race([
    diagnoseWithRunner(runner, host, { ...options, timeoutMs: DIAGNOSIS_LIMIT_MS / 2 }).catch(() => undefined),
    late,
  ]).finally(() => clearTimeout(timer));
  // Info too: after a rolled-back reload, "a standalone daemon serves the port" is the reason.
  const findings = diagnosis?.findings ?? [];
  if (findings.length === 0) return error;
  const text = describe(findings);
  const diagnosed =
    error instanceof RemoteError
      ? new RemoteError({
          code: error.code,
          host: error.host,
          command: error.command,
          summary: error.shortMessage.slice(error.host.length + 2),
          ...(error.exitCode === undefined ? {} : { exitCode: error.exitCode }),
          ...(error.signal === undefined ? {} : { signal: error.signal }),
          ...(error.stdout === undefined ? {} : { stdout: error.stdout }),
          stderr: `${error.stderr ?? ""}\n${text}`.trim(),
        })
      : new Error(`${error.message}\n${text}`, { cause: error });
  Object.defineProperty(diagnosed, "findings", { value: findings, enumerable: true });
  return diagnosed as DiagnosedError;
}
