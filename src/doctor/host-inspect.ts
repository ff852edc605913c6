/**
 * The doctor's later round trips: requests to `doctor-inspect.sh` (a file, directory access as a
 * module's user, secrets-file facts without passwords, a real connection per module, log tails).
 */
import { commandFailedError } from "../remote/errors";
import { remoteScript } from "../remote/scripts";
import type { CommandRunner } from "../remote/transport";
import { parseFramed, type FramedAnswer } from "./framing";
import { newNonce } from "./host-probe";

export const CONNECT_TIMEOUT_SECONDS = 5;
const LOG_LINES = 40;

/** One request line: the verb, then its fields. */
export type InspectRequest = [verb: string, ...fields: string[]];

/** Whether a value can travel as a tab-separated field of one line. */
export function fitsRequest(value: string): boolean {
  return !/[\t\n\r\0]/.test(value) && value !== "";
}

export async function inspectHost(
  runner: CommandRunner,
  port: number,
  requests: readonly InspectRequest[],
  timeoutMs: number,
): Promise<FramedAnswer> {
  const nonce = newNonce();
  const script = remoteScript("doctor-inspect", {
    nonce,
    port: String(port),
    lines: String(LOG_LINES),
    connect_timeout: String(CONNECT_TIMEOUT_SECONDS),
  });
  const stdin = requests.map((fields) => `${fields.join("\t")}\n`).join("");
  const result = await runner.run(script, { stdin, timeoutMs });
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
  return parseFramed(result.stdout, nonce);
}

/** The answer lines of one verb, split at tabs (the verb dropped). */
export function answers(answer: FramedAnswer, verb: string): string[][] {
  return answer.lines.filter((line) => line.startsWith(`${verb}\t`)).map((line) => line.split("\t").slice(1));
}
