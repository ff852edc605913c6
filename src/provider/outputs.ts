/** The outputs a file-backed kind records: its inputs, what it derives, and the text it wrote. */
import { createHash } from "node:crypto";

import { inputsOf, withoutUndefined, type Props } from "./props";
import { SCHEMA_VERSION } from "./schema";

export function sha256(content: string): string {
  return createHash("sha256").update(content, "utf8").digest("hex");
}

/**
 * The wire form of a secret in a property bag (`{ <sig>: <secret sig>, value }`). The dynamic
 * provider host passes outputs to the engine as they are and the engine keeps this marker on
 * outputs, so an output returned in this form is stored encrypted. Inputs never arrive in it
 * (the host does not accept secrets), hence the `secretContent` flag the resources compute.
 */
const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function secretValue(value: string): Props {
  return { [SPECIAL_SIG_KEY]: SECRET_SIG, value };
}

/**
 * `content` and `checksum` of a rendered file or section: secret when `secretContent` is set
 * (some input that is written into the file is secret), since both give its values away.
 */
export function contentOutputs(inputs: Props, content: string): { content: unknown; checksum: unknown } {
  const checksum = sha256(content);
  return inputs.secretContent === true
    ? { content: secretValue(content), checksum: secretValue(checksum) }
    : { content, checksum };
}

/**
 * The inputs, the kind's `derived` outputs and, given the text as written, its `content` and
 * `checksum`. Without `content` they are the outputs of a change whose outcome is unknown.
 */
export function fileOutputs(inputs: Props, derived: Props, content?: string): Props {
  return withoutUndefined({
    ...inputsOf(inputs),
    ...derived,
    ...(content !== undefined && contentOutputs(inputs, content)),
    schemaVersion: SCHEMA_VERSION,
  });
}

/**
 * True when the stored outputs do not say what the host has: a change whose outcome is unknown
 * (a partial failure recorded without `content`). Diff then asks for an update, which converges.
 */
export function outcomeUnknown(olds: Props): boolean {
  return olds.content === undefined;
}
