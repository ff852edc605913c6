/**
 * The lossless layer: an rsyncd.conf split into entries that keep their raw text, each also
 * carrying what rsync's own reader (`params.c`) makes of it. Rendering only joins the raw text,
 * so any string survives a parse/render round trip byte for byte.
 */
import { problem, type Problem, type ProblemRule } from "../problems";

interface EntryBase {
  /** The exact text of the entry, line terminators included; may span continuation lines. */
  raw: string;
  /** 1-based line of the entry's first line. */
  line: number;
}

export interface BlankEntry extends EntryBase {
  kind: "blank";
}

/** A line whose first non-blank character is `#` or `;`. */
export interface CommentEntry extends EntryBase {
  kind: "comment";
}

/** `[name]`; anything after `]` on the line is ignored by rsync. */
export interface SectionEntry extends EntryBase {
  kind: "section";
  /** The name as rsync reads it: outer blanks trimmed, inner runs collapsed to one space. */
  name: string;
  /** `[global]` (in any case, with any blanks) switches back to the global part. */
  isGlobal: boolean;
  /** False when rsync rejects the header (empty name, `/`, missing `]`): fatal for the file. */
  valid: boolean;
}

/** `name = value`. */
export interface ParameterEntry extends EntryBase {
  kind: "parameter";
  /** Text before the name (blanks, stray backslashes). */
  indent: string;
  /** The name as written on the first line, for rewriting the line in the same spelling. */
  key: string;
  /** The name as rsync reads it: blanks collapsed to one space, outer ones trimmed. */
  name: string;
  /** Text between the name and the value, `=` included, when the entry is one line. */
  separator: string;
  /** The value as rsync reads it: trimmed, CR dropped, continuation lines joined. */
  value: string;
  /** Whether the entry spans continuation lines. */
  continued: boolean;
}

/** `&include PATH` / `&merge PATH` (or an unknown `&name`, which is fatal). */
export interface DirectiveEntry extends EntryBase {
  kind: "directive";
  /** `&include`, `&merge`, ... as written. */
  directive: string;
  value: string;
}

/** A line rsync ignores (no `=`) or stops at (empty parameter name); see the problems. */
export interface InvalidEntry extends EntryBase {
  kind: "invalid";
}

export type RsyncdEntry = BlankEntry | CommentEntry | SectionEntry | ParameterEntry | DirectiveEntry | InvalidEntry;

export interface RsyncdDocument {
  entries: RsyncdEntry[];
  /** What rsync's reader complains about, in file order. */
  problems: Problem[];
}

/** C's `isspace` minus the newline, which ends lines. */
function isBlank(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\v" || ch === "\f" || ch === "\r";
}

/** rsync's `Continuation()`: index of a `\` that is the last non-blank character, else -1. */
function continuationAt(buffer: string[], length: number): number {
  let pos = length - 1;
  while (pos >= 0 && isBlank(buffer[pos])) pos--;
  return pos >= 0 && buffer[pos] === "\\" ? pos : -1;
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf("\n", from);
  return nl < 0 ? text.length : nl + 1;
}

function skipBlanks(text: string, from: number): number {
  let p = from;
  while (p < text.length && isBlank(text[p])) p++;
  return p;
}

/** The end of `text[from, to)` without its trailing blanks (a loop: a regex would backtrack on long runs). */
function trimBlanksEnd(text: string, from: number, to: number): number {
  let end = to;
  while (end > from && isBlank(text[end - 1])) end--;
  return end;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

class Scanner {
  readonly entries: RsyncdEntry[] = [];
  readonly problems: Problem[] = [];
  private line = 1;

  constructor(private readonly text: string) {}

  scan(): void {
    const { text } = this;
    let p = 0;
    while (p < text.length) {
      let q = p;
      // A stray backslash at the start of a line is skipped like a blank.
      for (;;) {
        q = skipBlanks(text, q);
        if (text[q] !== "\\") break;
        q++;
      }
      const c = text[q];
      if (c === undefined || c === "\n") p = this.push({ kind: "blank" }, p, q + 1);
      else if (c === "#" || c === ";") p = this.push({ kind: "comment" }, p, lineEnd(text, q));
      else if (c === "[") p = this.section(p, q);
      else p = this.parameter(p, q);
    }
  }

  private column(start: number, at: number): { line: number; column: number } {
    const upTo = this.text.slice(start, at);
    const lastNl = upTo.lastIndexOf("\n");
    return {
      line: this.line + countNewlines(upTo),
      column: lastNl < 0 ? at - start + 1 : upTo.length - lastNl,
    };
  }

  private report(
    field: string,
    rule: ProblemRule,
    message: string,
    start: number,
    at: number,
    severity: "error" | "warning" = "error",
  ): void {
    this.problems.push(problem(field, rule, message, { severity, position: this.column(start, at) }));
  }

  private push<E extends RsyncdEntry>(fields: Omit<E, "raw" | "line">, start: number, end: number): number {
    const stop = Math.min(end, this.text.length);
    const raw = this.text.slice(start, stop);
    // The caller's fresh object becomes the entry (no copy: a file has an entry per line).
    const entry = fields as unknown as E;
    entry.raw = raw;
    entry.line = this.line;
    this.entries.push(entry);
    this.line += countNewlines(raw);
    return stop;
  }

  /** `params.c:Section()`. */
  private section(start: number, bracket: number): number {
    const { text } = this;
    const buffer: string[] = [];
    let i = 0;
    let end = 0;
    let r = skipBlanks(text, bracket + 1);
    for (;;) {
      const ch = text[r];
      if (ch === undefined) {
        this.report(
          "module name",
          "section-unterminated",
          "A `[` header has no closing `]` before the end of the file; rsync rejects the whole file.",
          start,
          bracket,
        );
        return this.push<SectionEntry>(
          { kind: "section", name: buffer.slice(0, end).join(""), isGlobal: false, valid: false },
          start,
          r,
        );
      }
      if (ch === "]") {
        const name = buffer.slice(0, end).join("");
        const isGlobal = name.replace(/ /g, "").toUpperCase() === "GLOBAL";
        let valid = true;
        if (name === "") {
          this.report(
            "module name",
            "module-name-empty",
            "The header `[]` has an empty module name; rsync rejects the whole file.",
            start,
            bracket,
          );
          valid = false;
        } else if (!isGlobal && name.includes("/")) {
          this.report(
            "module name",
            "module-name-slash",
            `The module name \`${name}\` contains \`/\`; rsync rejects the whole file.`,
            start,
            bracket,
          );
          valid = false;
        }
        return this.push<SectionEntry>({ kind: "section", name, isGlobal, valid }, start, lineEnd(text, r));
      }
      if (ch === "\n") {
        const k = continuationAt(buffer, i);
        if (k < 0) {
          this.report(
            "module name",
            "section-unterminated",
            "A `[` header has no closing `]` on its line; rsync rejects the whole file.",
            start,
            bracket,
          );
          return this.push<SectionEntry>(
            { kind: "section", name: buffer.slice(0, end).join(""), isGlobal: false, valid: false },
            start,
            r + 1,
          );
        }
        i = k;
        end = k > 0 && buffer[k - 1] === " " ? k - 1 : k;
        r++;
      } else if (isBlank(ch)) {
        buffer[end] = " ";
        i = end + 1;
        r = skipBlanks(text, r);
      } else {
        buffer[i++] = ch;
        end = i;
        r++;
      }
    }
  }

  /** `params.c:Parameter()`, for parameters and `&directives`. */
  private parameter(start: number, first: number): number {
    const { text } = this;
    const isDirective = text[first] === "&";
    const buffer: string[] = [];
    let i = 0;
    let end = 0;
    let r = first;
    let keyEnd = -1;
    for (;;) {
      const ch = text[r];
      if (ch === "=") {
        if (end === 0) {
          this.report(
            "parameter name",
            "empty-parameter-name",
            "A line starts with `=`: the parameter name is empty; rsync rejects the whole file.",
            start,
            first,
          );
          return this.push<InvalidEntry>({ kind: "invalid" }, start, lineEnd(text, r));
        }
        if (keyEnd < 0) keyEnd = r;
        r++;
        break;
      }
      if (ch === undefined || ch === "\n") {
        const k = ch === undefined ? -1 : continuationAt(buffer, i);
        if (k < 0) {
          const written = buffer.slice(0, end).join("");
          this.report(
            written,
            "badly-formed-line",
            `The line \`${written}\` has no \`=\`; rsync ignores it.`,
            start,
            first,
            "warning",
          );
          return this.push<InvalidEntry>({ kind: "invalid" }, start, r + 1);
        }
        if (keyEnd < 0) keyEnd = r;
        i = k;
        end = k > 0 && buffer[k - 1] === " " ? k - 1 : k;
        r++;
      } else if (isDirective && (ch === " " || ch === "\t")) {
        if (keyEnd < 0) keyEnd = r;
        r = skipBlanks(text, r);
        if (text[r] === "=") r++;
        break;
      } else if (isBlank(ch)) {
        buffer[end] = " ";
        i = end + 1;
        r = skipBlanks(text, r);
      } else {
        buffer[i++] = ch;
        end = i;
        r++;
      }
    }
    const name = buffer.slice(0, end).join("");
    const valueStart = skipBlanks(text, r);
    const { value, stop, continued } = this.value(valueStart);
    const firstLineEnd = lineEnd(text, start);
    const key = text.slice(first, trimBlanksEnd(text, first, keyEnd));
    if (isDirective) {
      const known = /^&(include|merge)$/i.test(name);
      if (!known) {
        this.report(
          name,
          "unknown-directive",
          `\`${name}\` is not a directive rsync knows (\`&include\`, \`&merge\`); rsync rejects the whole file.`,
          start,
          first,
        );
      }
      return this.push<DirectiveEntry>({ kind: "directive", directive: name, value }, start, stop);
    }
    const oneLine = !continued && stop <= firstLineEnd && keyEnd < firstLineEnd;
    return this.push<ParameterEntry>(
      {
        kind: "parameter",
        indent: text.slice(start, first),
        key: keyEnd < firstLineEnd ? key : name,
        name,
        separator: oneLine ? text.slice(first + key.length, valueStart) : " = ",
        value,
        continued: !oneLine,
      },
      start,
      stop,
    );
  }

  /** The value loop of `params.c:Parameter()`. */
  private value(from: number): { value: string; stop: number; continued: boolean } {
    const { text } = this;
    // Most values are one line without CR: a slice of it, with no character-by-character copy.
    const nl = text.indexOf("\n", from);
    const lineStop = nl < 0 ? text.length : nl;
    const end = trimBlanksEnd(text, from, lineStop);
    if ((nl < 0 || text[end - 1] !== "\\" || end === from) && !text.slice(from, lineStop).includes("\r")) {
      return { value: text.slice(from, end), stop: nl < 0 ? text.length : nl + 1, continued: false };
    }
    return this.joinedValue(from);
  }

  /** The value loop of `params.c:Parameter()`, for values with continuations or CR. */
  private joinedValue(from: number): { value: string; stop: number; continued: boolean } {
    const { text } = this;
    const buffer: string[] = [];
    let i = 0;
    let end = 0;
    let r = from;
    let continued = false;
    while (r < text.length) {
      const ch = text[r] as string;
      if (ch === "\r") {
        r++;
      } else if (ch === "\n") {
        r++;
        const k = continuationAt(buffer, i);
        if (k < 0) break;
        continued = true;
        i = k;
        end = k;
      } else {
        buffer[i++] = ch;
        if (!isBlank(ch)) end = i;
        r++;
      }
    }
    return { value: buffer.slice(0, end).join(""), stop: r, continued };
  }
}

/** Splits an rsyncd.conf into entries; never throws, whatever the input. */
export function parseRsyncdDocument(text: string): RsyncdDocument {
  const scanner = new Scanner(text);
  scanner.scan();
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    const before = text.slice(0, nul);
    const line = countNewlines(before) + 1;
    scanner.problems.push(
      problem("file", "nul-character", "The file contains a NUL character; rsync stops reading a line there.", {
        position: { line, column: nul - before.lastIndexOf("\n") },
      }),
    );
  }
  return { entries: scanner.entries, problems: scanner.problems };
}

/** The exact text the document was parsed from (or edited into). */
export function renderRsyncdDocument(doc: RsyncdDocument): string {
  return doc.entries.map((entry) => entry.raw).join("");
}
