/** The version every state is written with, and the reading of older states. */
import type { Props } from "./props";

/** Written into every state; `upgradeState` reads every version this code has ever written. */
export const SCHEMA_VERSION = 1;

/**
 * The state as this version understands it. Only version 1 exists; a state without a version
 * cannot come from this library, and a newer one needs newer code.
 */
export function upgradeState(props: Props, kind: string): Props {
  const version = props.schemaVersion;
  if (version === SCHEMA_VERSION) return props;
  throw new Error(
    `the state of this ${kind} has schema version ${JSON.stringify(version)}; this pulumi-xinetd reads version ` +
      `${SCHEMA_VERSION}: upgrade the package`,
  );
}
