/**
 * The lossless layer: a file is a list of lines, each keeping its exact text and line ending;
 * tokens and attribute parts point into that text. Rendering only joins the lines, so any string
 * round-trips. The structure (blocks, includes) follows xinetd's own reader, including how it
 * skips to the next `}` after an error.
 */
import { problem, type Problem, type ProblemRule } from "../problems";
import type { Operator } from "./attributes";

export interface XinetdToken {
  text: string;
  /** 1-based column of the token's first character. */
  column: number;
}

export type XinetdLineKind =
  | "blank"
  | "comment"
  /** `service NAME`, `defaults`, `include FILE`, `includedir DIR`. */
  | "header"
  | "open"
  | "close"
  | "attribute"
  /** Read past by xinetd while it looks for the `}` that ends a broken entry. */
  | "skipped";

/** `indent name gap operator afterOperator values…`, as written. */
export interface AttributeSyntax {
  indent: string;
  name: string;
  gap: string;
  /** Missing when xinetd cannot read the line (it then drops the whole service). */
  operator?: Operator;
  afterOperator: string;
  values: XinetdToken[];
}

export interface XinetdLine {
  /** The line without its `\n` (a CRLF line keeps its `\r`, as xinetd does). */
  text: string;
  newline: "\n" | "";
  kind: XinetdLineKind;
  /** The line split on blanks and tabs, xinetd's only separators. */
  tokens: XinetdToken[];
  attribute?: AttributeSyntax;
}

export interface XinetdBlock {
  kind: "service" | "defaults";
  /** The service name as written ("" for `defaults`). */
  name: string;
  /** Line indexes (0-based) of the header, the `{` and the `}` that ends the entry for xinetd. */
  header: number;
  open?: number;
  close?: number;
  attributes: number[];
  /** xinetd drops this entry for a syntax error. */
  discarded: boolean;
}

export interface XinetdInclude {
  kind: "include" | "includedir";
  path: string;
  line: number;
}

export interface XinetdDocument {
  lines: XinetdLine[];
  blocks: XinetdBlock[];
  includes: XinetdInclude[];
  /** Syntax problems, with positions. */
  problems: Problem[];
}

/** xinetd reads lines of at most this many bytes. */
export const MAX_LINE_BYTES = 16 * 1024;

/** C `isspace`: what xinetd skips around names, operators and braces. */
function isCSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\v" || ch === "\f" || ch === "\r";
}

/** Blanks and tabs: what xinetd splits values on. */
function splitTokens(text: string, from = 0): XinetdToken[] {
  const tokens: XinetdToken[] = [];
  const re = /[^ \t]+/g;
  re.lastIndex = from;
  for (let m = re.exec(text); m; m = re.exec(text)) tokens.push({ text: m[0], column: m.index + 1 });
  return tokens;
}

/**
 * A value list written as xinetd's own text (`--daemon --config=/etc/rsyncd.conf`), as xinetd
 * reads it after the operator: split at blanks and tabs, no quoting, no escaping.
 */
export function splitXinetdValues(text: string): string[] {
  return splitTokens(text).map((token) => token.text);
}

function isBlankOrComment(text: string): "blank" | "comment" | undefined {
  for (const ch of text) {
    if (ch === "#") return "comment";
    if (!isCSpace(ch)) return undefined;
  }
  return "blank";
}

/** xinetd's `line_has_only_1_char`: exactly one `ch` and otherwise white space. */
function lineHasOnly(text: string, ch: string): boolean {
  let seen = false;
  for (const c of text) {
    if (c === ch && !seen) seen = true;
    else if (!isCSpace(c)) return false;
  }
  return seen;
}

interface AttributeParse {
  syntax: AttributeSyntax;
  error?: { rule: ProblemRule; message: string; column: number };
}

/** xinetd's `get_attr_op` + `parse_line`, keeping every part's raw text. */
function parseAttributeSyntax(text: string): AttributeParse {
  let i = 0;
  while (i < text.length && isCSpace(text[i])) i++;
  const indent = text.slice(0, i);
  const nameStart = i;
  while (i < text.length && !isCSpace(text[i]) && text[i] !== "=") i++;
  const name = text.slice(nameStart, i);
  const bare: AttributeSyntax = { indent, name, gap: "", afterOperator: "", values: [] };
  const at = (rule: ProblemRule, message: string, column: number): AttributeParse => ({
    syntax: bare,
    error: { rule, message, column },
  });
  if (name.startsWith("}") || name.startsWith("{")) {
    return at("brace-not-alone", `\`${name[0]}\` must be alone on its line.`, nameStart + 1);
  }
  if (i === text.length) return at("missing-operator", `\`${name}\` has no operator and no value.`, nameStart + 1);
  if (text[i] === "=") {
    return at(
      "no-blank-before-operator",
      `\`${name}\` needs a blank before its operator; xinetd drops the whole service.`,
      i + 1,
    );
  }
  const gapStart = i;
  while (i < text.length && isCSpace(text[i])) i++;
  bare.gap = text.slice(gapStart, i);
  let operator: Operator;
  if (text[i] === "=") operator = "=";
  else if ((text[i] === "+" || text[i] === "-") && text[i + 1] === "=") operator = text[i] === "+" ? "+=" : "-=";
  else if (i === text.length) return at("missing-operator", `\`${name}\` has no operator and no value.`, nameStart + 1);
  else return at("bad-operator", `\`${name}\` must be followed by \`=\`, \`+=\` or \`-=\`.`, i + 1);
  i += operator.length;
  const valuesStart = i;
  while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
  return {
    syntax: {
      indent,
      name,
      gap: bare.gap,
      operator,
      afterOperator: text.slice(valuesStart, i),
      values: splitTokens(text, i),
    },
  };
}

type State =
  | { kind: "top" }
  | { kind: "expect-open"; block: XinetdBlock }
  | { kind: "in-block"; block: XinetdBlock }
  | { kind: "skipping"; block?: XinetdBlock; since: number };

const ENTRY_WORDS = new Set(["service", "defaults", "include", "includedir"]);

/** Never throws: whatever the input, the result renders back to it. */
export function parseXinetdDocument(text: string): XinetdDocument {
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  const lines: XinetdLine[] = parts.map((part, index) => ({
    text: part,
    newline: index < parts.length - 1 || text.endsWith("\n") ? "\n" : "",
    kind: "blank",
    tokens: splitTokens(part),
  }));
  const doc: XinetdDocument = { lines, blocks: [], includes: [], problems: [] };
  const report = (
    field: string,
    rule: ProblemRule,
    message: string,
    line: number,
    column = 1,
    severity: "error" | "warning" = "error",
  ) => doc.problems.push(problem(field, rule, message, { severity, position: { line: line + 1, column } }));
  const reportSwallowed = (line: XinetdLine, index: number) => {
    const first = line.tokens[0];
    if (first && ENTRY_WORDS.has(first.text.toLowerCase())) {
      report(
        first.text,
        "swallowed-entry",
        `\`${line.text.trim()}\` is read past by xinetd, which is skipping to the next \`}\` after an error above; ` +
          `this entry is lost.`,
        index,
        first.column,
      );
    }
  };
  let state = { kind: "top" } as State;
  let defaultsSeen = false;

  for (const [index, line] of lines.entries()) {
    checkLine(line, index, report);
    const quiet = isBlankOrComment(line.text);
    if (quiet) {
      line.kind = quiet;
      continue;
    }
    switch (state.kind) {
      case "top": {
        line.kind = "header";
        const [first, second, ...rest] = line.tokens;
        const word = first!.text.toLowerCase();
        if (word === "service" || word === "defaults") {
          if (word === "service" && !second) {
            report("service", "service-name-missing", "`service` needs a name.", index, first!.column);
            state = { kind: "skipping", since: index };
            break;
          }
          const block: XinetdBlock = {
            kind: word,
            name: word === "service" ? second!.text : "",
            header: index,
            attributes: [],
            discarded: false,
          };
          doc.blocks.push(block);
          const extra = word === "service" ? rest : line.tokens.slice(1);
          const brace = extra.find((t) => t.text.includes("{"));
          if (brace) {
            report(
              word,
              "brace-on-header-line",
              `\`{\` must be alone on the line after \`${line.text.trim()}\`.`,
              index,
              brace.column,
            );
          } else if (extra.length > 0) {
            report(
              word,
              "extra-tokens",
              `xinetd ignores \`${extra.map((t) => t.text).join(" ")}\` after ` +
                `\`${word}${word === "service" ? ` ${second!.text}` : ""}\`.`,
              index,
              extra[0]!.column,
              "warning",
            );
          }
          if (word === "defaults") {
            if (defaultsSeen) {
              report(
                "defaults",
                "duplicate-defaults",
                "Only one `defaults` section is allowed; xinetd ignores this one.",
                index,
                first!.column,
              );
              block.discarded = true;
            }
            defaultsSeen = true;
          }
          state = { kind: "expect-open", block };
        } else if (word === "include" || word === "includedir") {
          if (!second) {
            report(
              word,
              "include-path-missing",
              `\`${word}\` needs a path; xinetd skips to the next \`}\`.`,
              index,
              first!.column,
            );
            state = { kind: "skipping", since: index };
            break;
          }
          doc.includes.push({ kind: word, path: second.text, line: index });
          if (!second.text.startsWith("/")) {
            report(
              word,
              "relative-include",
              `\`${word} ${second.text}\` must name an absolute path.`,
              index,
              second.column,
            );
          }
        } else {
          line.kind = "skipped";
          report(
            first!.text,
            "stray-line",
            `\`${line.text.trim()}\` is outside any entry; xinetd skips everything up to the next \`}\`, including ` +
              `any service in between.`,
            index,
            first!.column,
          );
          state = { kind: "skipping", since: index };
        }
        break;
      }
      case "expect-open": {
        const { block } = state;
        if (lineHasOnly(line.text, "{")) {
          line.kind = "open";
          block.open = index;
          state = { kind: "in-block", block };
        } else {
          line.kind = "skipped";
          block.discarded = true;
          report(
            block.kind === "service" ? "service" : "defaults",
            "missing-open-brace",
            `\`${lines[block.header]!.text.trim()}\` must be followed by a line holding only \`{\`.`,
            index,
            line.tokens[0]!.column,
          );
          reportSwallowed(line, index);
          state = { kind: "skipping", block, since: index };
        }
        break;
      }
      case "in-block": {
        const { block } = state;
        if (lineHasOnly(line.text, "}")) {
          line.kind = "close";
          block.close = index;
          state = { kind: "top" };
          break;
        }
        line.kind = "attribute";
        const parsed = parseAttributeSyntax(line.text);
        line.attribute = parsed.syntax;
        block.attributes.push(index);
        if (parsed.error) {
          block.discarded = true;
          report(parsed.syntax.name || "line", parsed.error.rule, parsed.error.message, index, parsed.error.column);
          reportSwallowed(line, index);
        }
        const comment = parsed.syntax.values.find((t) => t.text.startsWith("#"));
        if (comment) {
          report(
            parsed.syntax.name,
            "trailing-comment",
            `\`${parsed.syntax.name}\`: xinetd has no trailing comments; \`${comment.text}\` and what follows are ` +
              `read as values.`,
            index,
            comment.column,
          );
        }
        break;
      }
      case "skipping": {
        if (lineHasOnly(line.text, "}")) {
          line.kind = "skipped";
          if (state.block) state.block.close = index;
          state = { kind: "top" };
        } else {
          line.kind = "skipped";
          reportSwallowed(line, index);
        }
        break;
      }
    }
  }

  if (state.kind === "expect-open" || state.kind === "in-block") {
    state.block.discarded = true;
    report(
      state.block.kind === "service" ? "service" : "defaults",
      "unclosed-block",
      `\`${lines[state.block.header]!.text.trim()}\` is never closed by a \`}\` line.`,
      state.block.header,
    );
  } else if (state.kind === "skipping") {
    report(
      "line",
      "unclosed-block",
      "xinetd skips to a `}` that never comes; the rest of the file is ignored.",
      state.since,
    );
  }
  return doc;
}

const UTF8 = new TextEncoder();

function checkLine(
  line: XinetdLine,
  index: number,
  report: (field: string, rule: ProblemRule, message: string, line: number, column?: number) => void,
): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most lines need no encoding to be known short enough.
  const bytes = line.text.length * 3 <= MAX_LINE_BYTES ? 0 : UTF8.encode(line.text).length;
  if (bytes > MAX_LINE_BYTES) {
    report("line", "line-too-long", `Line is ${bytes} bytes; xinetd reads at most ${MAX_LINE_BYTES}.`, index);
  }
  const cr = line.text.indexOf("\r");
  if (cr >= 0 && !isBlankOrComment(line.text) && !lineHasOnly(line.text, "{") && !lineHasOnly(line.text, "}")) {
    report(
      "line",
      "carriage-return",
      "A carriage return (CRLF line ending?) becomes part of the value next to it.",
      index,
      cr + 1,
    );
  }
}

export function renderXinetdDocument(doc: XinetdDocument): string {
  return doc.lines.map((line) => line.text + line.newline).join("");
}

/** The service blocks, or the one named `name` (first match, exact spelling). */
export function findServiceBlock(doc: XinetdDocument, name?: string): XinetdBlock | undefined {
  return doc.blocks.find((b) => b.kind === "service" && (name === undefined || b.name === name));
}
