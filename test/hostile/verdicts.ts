/** What both hostile-input runners say of a case's outcome. */
import { CheckFailedError, ProviderHostError } from "../support/provider-host";

/** What a failed check, create or observation left: the case's verdict in one line. */
export function failureText(error: unknown): string {
  if (error instanceof CheckFailedError) return error.message;
  if (error instanceof ProviderHostError)
    return `provider host ${error.method}: ${error.message.replace(/\s+/g, " ").slice(0, 400)}`;
  return error instanceof Error ? error.message : String(error);
}

/** True when a failure names `expected` (alternatives split by `|`; `users` also matches `users.alice`). */
export function namesProperty(failures: { property: string }[], expected: string): boolean {
  return expected
    .split("|")
    .some((want) => failures.some((f) => f.property === want || f.property.startsWith(`${want}.`)));
}
