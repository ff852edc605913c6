/**
 * The remote scripts: each a named `.sh` file beside this module (copied to dist by the build),
 * readable and checked with `sh -n` and shellcheck on its own. A script is sent as a comment line
 * naming it, one `name='value'` line per parameter (quoted by `shellQuote`), the shared
 * functions it needs, then its body. Values only ever travel as quoted assignments, so no path
 * or setting is ever parsed as shell code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { shellQuote } from "./shell";

export type RemoteScriptName =
  | "change-file"
  | "discard-previous"
  | "restore-previous"
  | "read-file"
  | "inspect-secrets"
  | "detect-xinetd"
  | "reload-observe"
  | "rsync-log-tail"
  | "rsync-list-modules"
  | "doctor-probe"
  | "doctor-inspect"
  | "systemd-read-units"
  | "systemd-change-units"
  | "systemd-activate"
  | "systemd-restore-units"
  | "systemd-remove-units"
  | "launcher-handover";

/** Files of shared shell functions, and which scripts include them (in this order). */
const LIBRARIES: Partial<Record<RemoteScriptName, readonly string[]>> = {
  "change-file": ["common", "target-file", "validators"],
  "read-file": ["target-file"],
  "inspect-secrets": ["target-file"],
  "discard-previous": ["common"],
  "restore-previous": ["common"],
  "detect-xinetd": ["xinetd-pid"],
  "reload-observe": ["xinetd-pid"],
  "systemd-read-units": ["systemd-show-units"],
  "systemd-change-units": ["common", "systemd-show-units"],
  "systemd-restore-units": ["common"],
  "systemd-remove-units": ["common"],
  "launcher-handover": ["common", "xinetd-pid"],
};

export const REMOTE_SCRIPTS_DIR = join(__dirname, "scripts");

const texts = new Map<string, string>();

/** The text of `scripts/<file>.sh`, read once. */
function remoteScriptFile(file: string): string {
  let text = texts.get(file);
  if (text === undefined) {
    text = readFileSync(join(REMOTE_SCRIPTS_DIR, `${file}.sh`), "utf8");
    texts.set(file, text);
  }
  return text;
}

/** The script as sent: its name, its parameters as quoted assignments, its libraries, its body. */
export function remoteScript(name: RemoteScriptName, parameters: Record<string, string> = {}): string {
  const assignments = Object.entries(parameters).map(([key, value]) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(key)) throw new TypeError(`not a shell variable name: ${key}`);
    // Always quoted: a bare `file` or `none` reads as a command name to a reader (and shellcheck).
    const quoted = shellQuote(value);
    return `${key}=${quoted.startsWith("'") ? quoted : `'${quoted}'`}`;
  });
  const parts = [...(LIBRARIES[name] ?? []), name].map(remoteScriptFile);
  return [`# ${name}.sh`, ...assignments, ...parts].join("\n");
}
