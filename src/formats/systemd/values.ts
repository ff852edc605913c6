/**
 * systemd's reading of setting values, and the writers that produce them. The readers follow
 * systemd's own code paths (`extract_first_word` with unquoting and C unescaping, `%` specifier
 * resolution, the `ExecStart=` prefixes and `;` separator, `$` expansion at exec time); the
 * writers are separate code, so the round-trip guard can check one against the other.
 */
import { isSafeUnitString } from "./document";

/** A reading that systemd would reject; `rule` names why. */
export interface ValueError {
  error: string;
  message: string;
}

export function isValueError(value: unknown): value is ValueError {
  return typeof value === "object" && value !== null && "error" in value;
}

const SEPARATORS = " \t\n\r";

/** `cunescape_one`: the escape at `text[at]` (after the `\`), as [character, length], or undefined. */
function unescapeOne(text: string, at: number): [string, number] | undefined {
  const simple: Record<string, string> = {
    a: "\u0007",
    b: "\b",
    f: "\f",
    n: "\n",
    r: "\r",
    t: "\t",
    v: "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    s: " ",
  };
  const ch = text[at];
  if (ch === undefined) return undefined;
  if (simple[ch] !== undefined) return [simple[ch], 1];
  const hex = (digits: number): [string, number] | undefined => {
    const part = text.slice(at + 1, at + 1 + digits);
    if (part.length !== digits || !/^[0-9a-fA-F]+$/.test(part)) return undefined;
    const code = Number.parseInt(part, 16);
    // systemd refuses NUL, and code points that are not valid Unicode.
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
    return [String.fromCodePoint(code), digits + 1];
  };
  if (ch === "x") {
    const r = hex(2);
    // `\xNN` above 0x7f is one raw byte, which a JavaScript string cannot hold as such.
    return r && r[0].codePointAt(0)! < 0x80 ? r : undefined;
  }
  if (ch === "u") return hex(4);
  if (ch === "U") return hex(8);
  if (ch >= "0" && ch <= "7") {
    const part = text.slice(at, at + 3);
    if (!/^[0-7]{3}$/.test(part)) return undefined;
    const code = Number.parseInt(part, 8);
    return code === 0 || code >= 0x80 ? undefined : [String.fromCharCode(code), 3];
  }
  return undefined;
}

/**
 * `extract_first_word(&p, &word, WHITESPACE, EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)`: the next word
 * from `at` and where reading stopped, `undefined` when only separators are left, or an error
 * (an unknown escape, an unclosed quote, a trailing `\`).
 */
export function extractWord(text: string, at: number): { word: string; next: number } | undefined | ValueError {
  let i = at;
  while (i < text.length && SEPARATORS.includes(text[i]!)) i++;
  if (i >= text.length) return undefined;
  let word = "";
  let quote: string | undefined;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "\\") {
      const escape = unescapeOne(text, i + 1);
      if (!escape) {
        return { error: "bad-escape", message: `\`\\${text[i + 1] ?? ""}\` is not an escape systemd knows.` };
      }
      word += escape[0];
      i += 1 + escape[1];
    } else if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else word += ch;
      i++;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      i++;
    } else if (SEPARATORS.includes(ch)) {
      break;
    } else {
      word += ch;
      i++;
    }
  }
  if (quote !== undefined) return { error: "unclosed-quote", message: "A quote is never closed." };
  while (i < text.length && SEPARATORS.includes(text[i]!)) i++;
  return { word, next: i };
}

/** Every word of a value, or the first error. */
export function extractWords(text: string): string[] | ValueError {
  const words: string[] = [];
  for (let at = 0; ;) {
    const next = extractWord(text, at);
    if (next === undefined) return words;
    if (isValueError(next)) return next;
    words.push(next.word);
    at = next.next;
  }
}

/**
 * `%` specifiers as a unit file resolves them, for a value holding no specifier but `%%`: the
 * literal text, or an error naming the first specifier (whose value depends on the host).
 */
export function resolveSpecifiers(text: string): string | ValueError {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "%") {
      out += text[i];
      continue;
    }
    const next = text[i + 1];
    if (next === "%") {
      out += "%";
      i++;
      continue;
    }
    return { error: "specifier", message: `\`%${next ?? ""}\` is a systemd specifier, resolved on the host.` };
  }
  return out;
}

/** `$` at exec time: `$$` is a `$`; `$NAME` and `${NAME}` are variables, which a literal value never holds. */
export function resolveDollars(word: string): string | ValueError {
  let out = "";
  for (let i = 0; i < word.length; i++) {
    if (word[i] !== "$") {
      out += word[i];
      continue;
    }
    if (word[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    if (/^(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_])/.test(word.slice(i + 1)))
      return { error: "variable", message: "A `$` starts an environment variable systemd expands at start." };
    out += "$";
  }
  return out;
}

export interface ExecCommand {
  /** The prefixes before the path (`-`, `@`, `:`, `+`, `!`, `!!`), as written. */
  prefixes: string;
  path: string;
  /** argv, argv[0] included (the path, or the word after it with `@`). */
  argv: string[];
}

/**
 * An `ExecStart=` value as systemd reads it: the first word unquoted and unescaped, its prefixes
 * taken off, the path resolved for specifiers and simplified; each further word unquoted,
 * unescaped, then resolved for specifiers and `$`; a bare `;` word separates commands.
 */
export function parseExecStart(raw: string): ExecCommand[] | ValueError {
  const commands: ExecCommand[] = [];
  let at = 0;
  while (at < raw.length) {
    const first = extractWord(raw, at);
    if (first === undefined) break;
    if (isValueError(first)) return first;
    at = first.next;
    const prefixMatch = /^[-@:+!]*/.exec(first.word)![0];
    const path = resolveSpecifiers(first.word.slice(prefixMatch.length));
    if (isValueError(path)) return path;
    if (path === "" || path.endsWith("/"))
      return { error: "bad-path", message: "The executable path is empty or a directory." };
    if (!isSafePath(path))
      return { error: "bad-path", message: "The executable path holds a character systemd refuses." };
    const argv: string[] = prefixMatch.includes("@") ? [] : [path];
    while (at < raw.length) {
      if (raw[at] === ";" && (at + 1 === raw.length || SEPARATORS.includes(raw[at + 1]!))) {
        at++;
        while (at < raw.length && SEPARATORS.includes(raw[at]!)) at++;
        break;
      }
      const next = extractWord(raw, at);
      if (next === undefined) {
        at = raw.length;
        break;
      }
      if (isValueError(next)) return next;
      at = next.next;
      const resolved = resolveSpecifiers(next.word);
      if (isValueError(resolved)) return resolved;
      const expanded = resolveDollars(resolved);
      if (isValueError(expanded)) return expanded;
      argv.push(expanded);
    }
    if (prefixMatch.includes("@") && argv.length === 0)
      return { error: "bad-argv0", message: "`@` needs the word for argv[0] after the path." };
    commands.push({ prefixes: prefixMatch, path: simplifyPath(path), argv });
  }
  return commands;
}

function isSafePath(path: string): boolean {
  return isSafeUnitString(path) && (path.startsWith("/") || !path.includes("/"));
}

/** `path_simplify`: doubled `/` and `.` segments dropped. */
function simplifyPath(path: string): string {
  const absolute = path.startsWith("/");
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  return (absolute ? "/" : "") + parts.join("/");
}

/** `Environment=` as systemd reads it: words unquoted and unescaped, then specifiers resolved; each `NAME=value`. */
export function parseEnvironment(raw: string): string[] | ValueError {
  const words = extractWords(raw);
  if (isValueError(words)) return words;
  const out: string[] = [];
  for (const word of words) {
    const resolved = resolveSpecifiers(word);
    if (isValueError(resolved)) return resolved;
    if (!/^[^=]+=/.test(resolved))
      return { error: "bad-assignment", message: "An environment item is not `NAME=value`." };
    out.push(resolved);
  }
  return out;
}

// Writers. They never produce anything but what the readers above turn back into the literal.

/** `%` doubled: the value of a setting that resolves specifiers, taken literally. */
export function escapeSpecifiers(literal: string): string {
  return literal.replaceAll("%", "%%");
}

/** Characters a word can hold unquoted: anything else gets double quotes. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One word in systemd's quoting: plain when it can be, else in double quotes with `\` and `"`
 * escaped, TAB written `\t`. Control characters other than TAB are refused before this is called.
 */
export function quoteWord(literal: string): string {
  if (PLAIN_WORD.test(literal) && literal !== ";") return literal;
  return `"${literal.replace(/[\\"]/g, (ch) => `\\${ch}`).replaceAll("\t", "\\t")}"`;
}

/** An `ExecStart=` value running `path` with `args` (`@` when argv[0] is given apart from the path). */
export function formatExecStart(prefixes: string, path: string, args: readonly string[]): string {
  const words = [escapeSpecifiers(path), ...args.map((arg) => escapeSpecifiers(arg.replaceAll("$", "$$$$")))];
  return `${prefixes}${words.map(quoteWord).join(" ")}`;
}

/** An `Environment=` value holding one `NAME=value` item. */
export function formatEnvironment(item: string): string {
  return quoteWord(escapeSpecifiers(item));
}
