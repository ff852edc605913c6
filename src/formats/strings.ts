/**
 * Characters no configuration string may hold, whatever the format: both daemons read lines as C
 * strings (a NUL ends the value there), rsync drops CR and both end a line at LF, and terminal or
 * editor controls make a file read differently to a human than to the daemon.
 */

/** Where a forbidden character sits in a value tree, as a property path (`serverArgs[1]`, `users.alice`). */
export interface ControlCharacterFinding {
  path: string;
  /** The first forbidden character, as `U+0000`. */
  codePoint: string;
  /** True when the character is in an object key (a user name, an `extra` name), not a value. */
  inKey: boolean;
}

/**
 * C0 controls other than TAB (each format says where a TAB may go), DEL, C1 controls, the Unicode
 * line and paragraph separators, and the bidirectional overrides and isolates (Trojan Source).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this module's job
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Also invisible format characters (zero-width space and joiners, BOM, soft hyphen): for names. */
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_OR_INVISIBLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\p{Cf}]/u;

function codePointOf(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The first forbidden character of a value as `U+XXXX`, or undefined. TAB is allowed. */
export function controlCharacterIn(text: string): string | undefined {
  const m = CONTROL.exec(text);
  return m ? codePointOf(m[0]) : undefined;
}

/** As `controlCharacterIn`, also refusing invisible format characters: names must read as they are. */
export function controlOrInvisibleCharacterIn(text: string): string | undefined {
  const m = CONTROL_OR_INVISIBLE.exec(text);
  return m ? codePointOf(m[0]) : undefined;
}

/** `a.b`, `a[1]`, or `a["odd key"]` for keys that are not plain words. */
function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  const plain = /^[A-Za-z0-9_@-][A-Za-z0-9_@. -]*$/.test(key) ? key : JSON.stringify(key);
  return parent === "" ? plain : `${parent}.${plain}`;
}

/**
 * Every string in a value tree (and every object key) holding a forbidden character, with its
 * property path. Keys use the stricter name rule. `skip` names paths whose values legitimately
 * span lines (private keys); nothing under them is looked at.
 */
export function findControlCharacters(
  value: unknown,
  skip: ReadonlySet<string> = new Set(),
  path = "",
): ControlCharacterFinding[] {
  if (skip.has(path)) return [];
  if (typeof value === "string") {
    const codePoint = controlCharacterIn(value);
    return codePoint === undefined ? [] : [{ path, codePoint, inKey: false }];
  }
  if (Array.isArray(value))
    return value.flatMap((item, index) => findControlCharacters(item, skip, childPath(path, index)));
  if (typeof value !== "object" || value === null) return [];
  const findings: ControlCharacterFinding[] = [];
  for (const [key, item] of Object.entries(value)) {
    const keyCodePoint = controlOrInvisibleCharacterIn(key);
    if (keyCodePoint !== undefined)
      findings.push({ path: path === "" ? "inputs" : path, codePoint: keyCodePoint, inKey: true });
    findings.push(...findControlCharacters(item, skip, childPath(path, key)));
  }
  return findings;
}

/**
 * Why a character is refused, by its class: the daemons' C strings and line ends for the ASCII and
 * C1 controls; for the Unicode separators and bidi controls, the daemon keeps the bytes but a
 * reviewer sees another file (a line break that is not one, text shown in another order).
 */
export function whyRefused(codePoint: string): string {
  const value = Number.parseInt(codePoint.slice(2), 16);
  if (value === 0x2028 || value === 0x2029)
    return "editors and reviewers show a line break there that the daemon does not see";
  if ((value >= 0x202a && value <= 0x202e) || (value >= 0x2066 && value <= 0x2069)) {
    return "a bidirectional control makes the file read differently to a reviewer than to the daemon (Trojan Source)";
  }
  if (value > 0x9f) return "an invisible character makes a name read the same as another one that differs";
  return "configuration lines cannot hold it (the daemons read lines as C strings and end them at a line break)";
}

/** The sentence for a finding; never quotes the value (it may be a password). */
export function describeControlCharacter(finding: ControlCharacterFinding): string {
  const where = finding.inKey ? `A key of \`${finding.path}\`` : `\`${finding.path}\``;
  return `${where} contains the control character ${finding.codePoint}; ${whyRefused(finding.codePoint)}.`;
}

const CONTROL_GLOBAL = new RegExp(CONTROL_OR_INVISIBLE.source, "gu");

/**
 * The text with every control or invisible character written as `\u{XXXX}`: messages quote
 * values, and a raw ESC, CR or bidi override would act on the terminal that shows them.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_GLOBAL, (ch) => `\\u{${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}}`);
}
