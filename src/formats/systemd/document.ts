/**
 * The lossless layer for systemd unit files (systemd.syntax(7)): physical lines keep their exact
 * text and line end, and logical statements point into them the way systemd's configuration
 * parser groups them: a line ending in an unescaped `\` continues on the next one (the `\`
 * becomes a blank), comment lines inside a continuation are skipped, and each logical line is a
 * section header, a `Key=Value` assignment or a line systemd ignores. Rendering only joins the
 * lines, so any string round-trips byte for byte.
 */
import { problem, type Problem, type ProblemRule } from "../problems";

/** systemd reads lines of at most this many bytes, continuations included (LONG_LINE_MAX). */
export const MAX_UNIT_LINE_BYTES = 1024 * 1024;

export type UnitLineKind = "blank" | "comment" | "section" | "assignment" | "continuation" | "ignored";

export interface UnitLine {
  /** The line without its line end. */
  text: string;
  /**
   * The line end as systemd's `read_line` takes it: `\n`, `\r` and NUL each end a line, and a run
   * of them counts once as long as no kind repeats (`\r\n` and `\n\r` are one line end, `\n\n` two);
   * nothing follows a NUL in the same run. `""` for a last line without one.
   */
  newline: string;
  kind: UnitLineKind;
}

/** One logical line, as systemd's parser sees it once continuations are joined. */
export interface UnitStatement {
  kind: "section" | "assignment" | "ignored";
  /** Physical lines joined into this statement, first to last (comment lines inside excluded). */
  lines: number[];
  /** Comment lines systemd skipped inside the continuation. */
  comments: number[];
  /** The section name for a header; for an assignment the section it belongs to (none outside one). */
  section?: string;
  /** The key and value, each with surrounding whitespace stripped as systemd strips them. */
  key?: string;
  value?: string;
}

export interface UnitDocument {
  lines: UnitLine[];
  statements: UnitStatement[];
  /** Syntax problems with positions; `fatal` ones make systemd refuse the whole file. */
  problems: Problem[];
  /** True when systemd refuses to load the file at all (a broken section header, an over-long line). */
  fatal: boolean;
}

const EOL_LF = 1;
const EOL_CR = 2;
const EOL_NUL = 4;

function eolKind(ch: string): number {
  return ch === "\n" ? EOL_LF : ch === "\r" ? EOL_CR : ch === "\0" ? EOL_NUL : 0;
}

/** systemd's `read_line` over the whole text: the lines and the exact line end of each. */
function splitLines(text: string): UnitLine[] {
  const lines: UnitLine[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    if (eolKind(text[i]!) === 0) {
      i++;
      continue;
    }
    const end = i;
    let seen = 0;
    while (i < text.length) {
      const kind = eolKind(text[i]!);
      if (kind === 0 || (seen & kind) !== 0 || (seen & EOL_NUL) !== 0) break;
      seen |= kind;
      i++;
    }
    lines.push({ text: text.slice(start, end), newline: text.slice(end, i), kind: "blank" });
    start = i;
  }
  if (start < text.length) lines.push({ text: text.slice(start), newline: "", kind: "blank" });
  return lines;
}

/** systemd's WHITESPACE for `strstrip`: blank, tab, line feed, carriage return. */
const WHITESPACE = " \t\n\r";

export function stripUnitWhitespace(text: string): string {
  let from = 0;
  let to = text.length;
  while (from < to && WHITESPACE.includes(text[from]!)) from++;
  while (to > from && WHITESPACE.includes(text[to - 1]!)) to--;
  return text.slice(from, to);
}

function isCommentLine(text: string): boolean {
  let i = 0;
  while (i < text.length && WHITESPACE.includes(text[i]!)) i++;
  return text[i] === "#" || text[i] === ";";
}

/** Whether the line ends in a `\` that escapes nothing (systemd's scan pairs backslashes from the left). */
function endsInContinuation(text: string): boolean {
  let escaped = false;
  for (const ch of text) escaped = escaped ? false : ch === "\\";
  return escaped;
}

/** systemd's `string_is_safe`: no control characters, quotes or backslashes. */
export function isSafeUnitString(text: string): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || ch === '"' || ch === "'" || ch === "\\") return false;
  }
  return true;
}

const UTF8 = new TextEncoder();
const BOM = "\uFEFF";

function byteLength(text: string): number {
  return text.length * 3 <= MAX_UNIT_LINE_BYTES ? text.length : UTF8.encode(text).length;
}

/** Never throws: whatever the input, the result renders back to it. */
export function parseUnitDocument(text: string): UnitDocument {
  const lines = splitLines(text);
  const doc: UnitDocument = { lines, statements: [], problems: [], fatal: false };
  const report = (field: string, rule: ProblemRule, message: string, line: number, severity: "error" | "warning") =>
    doc.problems.push(problem(field, rule, message, { severity, position: { line: line + 1, column: 1 } }));
  let section: string | undefined;
  let pending: { text: string; lines: number[]; comments: number[] } | undefined;

  const finish = (logical: string, lineIndexes: number[], comments: number[]) => {
    const first = lineIndexes[0]!;
    const statement: UnitStatement = { kind: "ignored", lines: lineIndexes, comments };
    doc.statements.push(statement);
    const mark = (kind: UnitLineKind) =>
      lineIndexes.forEach((index, i) => (lines[index]!.kind = i === 0 ? kind : "continuation"));
    const l = stripUnitWhitespace(logical);
    if (l === "" || l[0] === "#" || l[0] === ";") {
      mark(l === "" ? "blank" : "comment");
      return;
    }
    if (l.startsWith("[")) {
      mark("section");
      if (!l.endsWith("]") || l.length < 2) {
        doc.fatal = true;
        report(
          "section",
          "bad-section-header",
          `\`${l}\` is not a section header; systemd refuses the file.`,
          first,
          "error",
        );
        return;
      }
      const name = l.slice(1, -1);
      if (!isSafeUnitString(name)) {
        doc.fatal = true;
        report(
          "section",
          "bad-section-header",
          "A section name holds a control character, quote or `\\`; systemd refuses the file.",
          first,
          "error",
        );
        return;
      }
      statement.kind = "section";
      statement.section = name;
      section = name;
      return;
    }
    const equals = l.indexOf("=");
    mark(equals > 0 && section !== undefined ? "assignment" : "ignored");
    if (section === undefined) {
      report(
        "line",
        "outside-section",
        "An assignment before any `[Section]` is ignored by systemd.",
        first,
        "warning",
      );
    } else if (equals < 0) {
      report("line", "missing-equals", "A line without `=` is ignored by systemd.", first, "warning");
    } else if (equals === 0) {
      report("line", "missing-key", "A line starting with `=` is ignored by systemd.", first, "warning");
    } else {
      statement.kind = "assignment";
      statement.section = section;
      statement.key = stripUnitWhitespace(l.slice(0, equals));
      statement.value = stripUnitWhitespace(l.slice(equals + 1));
    }
  };

  for (const [index, line] of lines.entries()) {
    if (byteLength(line.text) > MAX_UNIT_LINE_BYTES) {
      doc.fatal = true;
      report(
        "line",
        "line-too-long",
        `A line over ${MAX_UNIT_LINE_BYTES} bytes makes systemd refuse the file.`,
        index,
        "error",
      );
    }
    if (line.newline.includes("\0") || line.text.includes("\0")) {
      report(
        "line",
        "nul",
        "A NUL ends a line for systemd; the text after it is read as another line.",
        index,
        "error",
      );
    }
    if (line.newline.includes("\r") && line.newline !== "\r\n") {
      report(
        "line",
        "carriage-return",
        "A carriage return not followed by a line feed ends a line for systemd.",
        index,
        "warning",
      );
    }
    // Comment lines are skipped before continuations are looked at: they neither continue nor end one.
    if (isCommentLine(line.text)) {
      line.kind = "comment";
      if (pending) pending.comments.push(index);
      continue;
    }
    let text = line.text;
    if (index === 0 && text.startsWith(BOM)) text = text.slice(BOM.length);
    const joined = pending ? pending.text + text : text;
    const lineIndexes = pending ? [...pending.lines, index] : [index];
    const comments = pending?.comments ?? [];
    if (pending && byteLength(joined) > MAX_UNIT_LINE_BYTES) {
      doc.fatal = true;
      report("line", "line-too-long", "A continued line over 1 MiB makes systemd refuse the file.", index, "error");
    }
    if (endsInContinuation(joined)) {
      pending = { text: `${joined.slice(0, -1)} `, lines: lineIndexes, comments };
      continue;
    }
    pending = undefined;
    finish(joined, lineIndexes, comments);
  }
  // A file ending inside a continuation: systemd parses what it has gathered.
  if (pending) finish(pending.text, pending.lines, pending.comments);
  return doc;
}

export function renderUnitDocument(doc: UnitDocument): string {
  return doc.lines.map((line) => line.text + line.newline).join("");
}
