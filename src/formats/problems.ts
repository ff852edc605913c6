/**
 * Problems are data: every check in the format layer returns a list of them instead of throwing
 * at the first one, so a user sees everything that is wrong with an input at once.
 */

import { escapeControlCharacters, whyRefused } from "./strings";

/** Where in a document a problem was found (1-based). */
export interface Position {
  line: number;
  column: number;
}

export type Severity = "error" | "warning";

/**
 * Every rule a format-layer problem can break (kebab-case, stable): code that matches on
 * `Problem.rule` (a provider's cross-field rules, the foreign-file check) names them through this
 * type, so a renamed or removed rule fails to compile there instead of silently never matching.
 */
export type ProblemRule =
  | "absolute-path"
  | "approximation"
  | "auth-users-without-secrets"
  | "bad-boolean"
  | "bad-integer"
  | "bad-operator"
  | "bad-parameter-name"
  | "bad-port"
  | "bad-section-header"
  | "bad-syslog-facility"
  | "badly-formed-line"
  | "bind-not-address"
  | "blank-in-token"
  | "blank-in-value"
  | "brace-not-alone"
  | "brace-on-header-line"
  | "carriage-return"
  | "comment-token"
  | "conflicting-flags"
  | "control-character"
  | "dgram-needs-wait"
  | "dollar-in-server"
  | "duplicate-attribute"
  | "duplicate-defaults"
  | "duplicate-module"
  | "duplicate-value"
  | "empty-list"
  | "empty-parameter-name"
  | "empty-server-args"
  | "empty-token"
  | "empty-value"
  | "enum"
  | "env-name"
  | "env-without-equals"
  | "extra-conflict"
  | "extra-name-case"
  | "extra-tokens"
  | "file-name-skipped"
  | "global-parameter-in-module"
  | "include-path-missing"
  | "invalid-file-name"
  | "invalid-name"
  | "invalid-unit-name"
  | "invalid-user-name"
  | "invalid-value"
  | "known-attribute-in-extra"
  | "known-setting-in-extra"
  | "line-too-long"
  | "list-entry"
  | "mandatory"
  | "missing-equals"
  | "missing-key"
  | "missing-open-brace"
  | "missing-operator"
  | "missing-path"
  | "module-name-blanks"
  | "module-name-bracket"
  | "module-name-dash"
  | "module-name-empty"
  | "module-name-hash"
  | "module-name-inner-blanks"
  | "module-name-newline"
  | "module-name-outer-blanks"
  | "module-name-reserved"
  | "module-name-slash"
  | "module-name-too-long"
  | "name-in-extra"
  | "nameinargs-needs-args"
  | "newline-in-token"
  | "no-blank-before-operator"
  | "no-such-internal-service"
  | "no-systemd-equivalent"
  | "not-an-address"
  | "not-in-services"
  | "nul"
  | "nul-character"
  | "operator-not-allowed"
  | "outer-whitespace"
  | "outside-section"
  | "path-not-absolute"
  | "path-not-normal"
  | "path-trailing-slash"
  | "port-mismatch"
  | "range"
  | "relative-include"
  | "round-trip-mismatch"
  | "section-unterminated"
  | "service-name-missing"
  | "service-not-found"
  | "stray-line"
  | "swallowed-entry"
  | "traffic-needs-redirect"
  | "trailing-comment"
  | "type"
  | "unclosed-block"
  | "unknown-attribute"
  | "unknown-directive"
  | "unknown-key"
  | "unknown-parameter"
  | "unsafe-path"
  | "v6only-needs-ipv6"
  | "value-continuation"
  | "value-count"
  | "value-newline"
  | "value-outer-blanks"
  | "value-too-long";

export interface Problem {
  /**
   * The field the problem is about, as the user spelled or would spell it: an xinetd attribute
   * (`socket_type`), an rsync parameter (`read only`), a module name (`[backup]`), or a path into a
   * model (`modules.backup.max connections`).
   */
  field: string;
  /** Stable identifier of the rule that was broken (kebab-case), e.g. `enum`, `mandatory`. */
  rule: ProblemRule;
  /** One sentence for a human; names the field in backticks and says what is allowed. */
  message: string;
  /** `error`: the daemon would reject or misread it. `warning`: legal but surprising. */
  severity: Severity;
  /** Set when the problem comes from a parsed document. */
  position?: Position;
}

export function problem(
  field: string,
  rule: ProblemRule,
  message: string,
  extra: { severity?: Severity; position?: Position } = {},
): Problem {
  const p: Problem = { field, rule, message, severity: extra.severity ?? "error" };
  if (extra.position) p.position = extra.position;
  return p;
}

/** The problem of a control character in `field`, in every format's words; never quotes the value. */
export function controlCharacterProblem(field: string, codePoint: string): Problem {
  return problem(
    field,
    "control-character",
    `\`${field}\` contains the control character ${codePoint}; ${whyRefused(codePoint)}.`,
  );
}

export function errorsOf(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.severity === "error");
}

/** One line per problem, prefixed with the position when there is one. */
export function formatProblem(p: Problem, source?: string): string {
  const where = p.position ? `${source ?? ""}${source ? ":" : "line "}${p.position.line}:${p.position.column}: ` : "";
  return `${where}${escapeControlCharacters(p.message)} [${p.rule}]`;
}

/**
 * Thrown by the `*OrThrow` helpers. `shortMessage` is the first problem and a count; `message`
 * lists every problem, one per line.
 */
export class FormatError extends Error {
  readonly problems: readonly Problem[];
  readonly shortMessage: string;

  constructor(subject: string, problems: readonly Problem[], source?: string) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    const shortMessage = `${subject}: ${first ? formatProblem(first, source) : "invalid"}${more}`;
    const full = [`${subject}: ${problems.length} problem(s)`]
      .concat(problems.map((p) => `  - ${formatProblem(p, source)}`))
      .join("\n");
    super(full);
    this.name = "FormatError";
    this.problems = problems;
    this.shortMessage = shortMessage;
  }
}
