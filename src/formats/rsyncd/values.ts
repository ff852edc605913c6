/** How rsync reads the text of a value, per parameter kind. */
import type { RsyncParameter } from "./parameters";

const TRUE_SPELLINGS = new Set(["YES", "TRUE", "1"]);
const FALSE_SPELLINGS = new Set(["NO", "FALSE", "0"]);
const UNSET_SPELLINGS = new Set(["UNSET", "-1"]);

/** rsync's `set_boolean`: blanks ignored, any case; undefined when rsync would reject it. */
export function parseRsyncBoolean(text: string): boolean | undefined {
  const key = text.replace(/[ \t\n\v\f\r]/g, "").toUpperCase();
  if (TRUE_SPELLINGS.has(key)) return true;
  if (FALSE_SPELLINGS.has(key)) return false;
  return undefined;
}

/** `unset` / `-1`, which tri-state booleans (`use chroot`, ...) accept as "decide at runtime". */
export function isRsyncUnset(text: string): boolean {
  return UNSET_SPELLINGS.has(text.replace(/[ \t\n\v\f\r]/g, "").toUpperCase());
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A value `atoi` reads completely and without overflow; undefined otherwise. */
export function parseRsyncInteger(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= INT32_MIN && n <= INT32_MAX ? n : undefined;
}

/** What C's `atoi` makes of the text (what rsync really uses, even for `10x` or `abc`). */
export function rsyncAtoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(text);
  if (!m) return 0;
  const n = Number(m[1]);
  return Math.max(INT32_MIN, Math.min(INT32_MAX, n)) | 0;
}

/** Splits a list value where rsync does: at blanks, and at commas for host and user lists. */
export function splitRsyncList(param: RsyncParameter, text: string): string[] {
  const separator = param.commaSeparated ? /[ \t,]+/ : /[ \t]+/;
  return text.split(separator).filter((item) => item !== "");
}

function joinRsyncList(items: readonly string[]): string {
  return items.join(" ");
}

function isLineTerminator(ch: string | undefined): boolean {
  return ch === "\n" || ch === "\r" || ch === "\u2028" || ch === "\u2029";
}

/**
 * rsync strips trailing slashes from path values, keeping a lone `/`. A loop, not a regex: the
 * regex backtracked quadratically on a long run of `/` followed by anything else.
 */
export function normalizeRsyncPath(text: string): string {
  let start = text.length;
  while (start > 0 && text[start - 1] === "/") start--;
  if (start === text.length) return text;
  // The run starts after a character other than a line break (as `(?<=.)\/+$` matched it).
  if (start === 0 || isLineTerminator(text[start - 1])) start++;
  return start >= text.length ? text : text.slice(0, start);
}

/** Typed value of a parameter, or undefined when the text is not a clean value of its kind. */
export type RsyncTypedValue = boolean | number | string | string[];

export function typedRsyncValue(param: RsyncParameter, text: string): RsyncTypedValue | undefined {
  switch (param.kind) {
    case "bool":
      return parseRsyncBoolean(text);
    case "int":
      return parseRsyncInteger(text);
    case "list":
      return splitRsyncList(param, text);
    case "string":
      return param.path ? normalizeRsyncPath(text) : text;
  }
}

/** Text a typed value is written as. */
export function formatRsyncValue(value: RsyncTypedValue): string {
  if (Array.isArray(value)) return joinRsyncList(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

export function sameRsyncValue(a: RsyncTypedValue, b: RsyncTypedValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => item === b[i]);
  }
  return a === b;
}
