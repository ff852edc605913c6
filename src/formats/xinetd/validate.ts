/** Checks of a model against what xinetd accepts, every problem at once. */
import { controlCharacterProblem, errorsOf, FormatError, problem, type Problem } from "../problems";
import { attributeByKey, attributeByName, nearestAttributeName, ATTRIBUTE_KEYS } from "./attributes";
import type { XinetdDocument } from "./document";
import type { XinetdAttributeKey, XinetdServiceModel } from "./model";
import { readXinetdServiceBlocks, sameValue } from "./read";
import { statementsFor } from "./render";
import type { ServicesTable } from "./services-table";
import { VALUE_CODECS } from "./values";
import { controlCharacterIn, controlOrInvisibleCharacterIn } from "../strings";
import { MAX_LINE_BYTES } from "./document";

export interface XinetdValidationOptions {
  /** The file's name under /etc/xinetd.d. */
  fileName?: string;
  /** /etc/services of the target host; without it the /etc/services rule is not checked. */
  services?: ServicesTable;
}

/**
 * The INTERNAL services xinetd 2.3.15.3 has built in, by socket type (measured: `servers`,
 * `services` and `xadmin` are listed in older docs but log "No such internal service").
 */
const BUILTIN_SERVICES: Record<string, readonly string[]> = {
  stream: ["chargen", "daytime", "discard", "echo", "sensor", "tcpmux", "time"],
  dgram: ["chargen", "daytime", "discard", "echo", "sensor", "time"],
};

const KNOWN_KEYS = new Set<string>(["name", "extra", ...ATTRIBUTE_KEYS]);
const BOOLEAN_KEYS = new Set<XinetdAttributeKey>(["disable", "wait", "groups", "v6only"]);

/** Problems with one token as xinetd would read it back from a line. */
function tokenProblems(field: string, token: unknown): Problem[] {
  if (typeof token !== "string")
    return [problem(field, "type", `\`${field}\` values must be strings, not ${typeof token}.`)];
  if (token === "")
    return [problem(field, "empty-token", `\`${field}\` cannot hold an empty value: xinetd has no quoting.`)];
  if (/[\r\n]/.test(token))
    return [
      problem(field, "newline-in-token", `\`${field}\` value \`${JSON.stringify(token)}\` contains a line break.`),
    ];
  if (/[ \t]/.test(token))
    return [
      problem(
        field,
        "blank-in-token",
        `\`${field}\` value \`${token}\` contains a blank; xinetd splits values on blanks and has no quoting.`,
      ),
    ];
  if (token.startsWith("#"))
    return [
      problem(
        field,
        "comment-token",
        `\`${field}\` value \`${token}\` starts with \`#\`, which reads as a comment to a human and a value to xinetd.`,
      ),
    ];
  const control = controlCharacterIn(token);
  if (control !== undefined) return [controlCharacterProblem(field, control)];
  if (token.endsWith("\\"))
    return [
      problem(
        field,
        "value-continuation",
        `\`${field}\` value \`${token}\` ends with \`\\\`, which reads as a line continuation to humans and other ` +
          `tools.`,
      ),
    ];
  return [];
}

/** Bytes of the longest line an attribute can be written on (name padding and operator included). */
const LINE_OVERHEAD = 40;

function lineLengthProblems(field: string, values: readonly unknown[]): Problem[] {
  const bytes = Buffer.byteLength(values.map(String).join(" "), "utf8") + field.length + LINE_OVERHEAD;
  return bytes > MAX_LINE_BYTES
    ? [
        problem(
          field,
          "line-too-long",
          `\`${field}\` would be written on a line of about ${bytes} bytes; xinetd reads at most ${MAX_LINE_BYTES}.`,
        ),
      ]
    : [];
}

function listShapeProblems(field: string, value: unknown, allowRemove: boolean): Problem[] {
  if (Array.isArray(value)) return [];
  if (typeof value !== "object" || value === null) {
    return [problem(field, "type", `\`${field}\` must be a list or { add, remove }.`)];
  }
  const { add, remove, ...rest } = value as Record<string, unknown>;
  const problems: Problem[] = [];
  if (Object.keys(rest).length > 0)
    problems.push(problem(field, "type", `\`${field}\` takes only \`add\` and \`remove\`.`));
  for (const list of [add, remove]) {
    if (list !== undefined && !Array.isArray(list))
      problems.push(problem(field, "type", `\`${field}\` add/remove must be lists.`));
  }
  if (remove !== undefined && !allowRemove) {
    problems.push(
      problem(field, "operator-not-allowed", `\`${field}\` does not take \`-=\`; xinetd disables the service.`),
    );
  }
  return problems;
}

/**
 * xinetd folds `+=` and `-=` lines into sets: a repeated item, or one both added and removed,
 * reads back as something other than the model (and would show as a change on every refresh).
 */
function foldProblems(field: string, value: unknown, keepsDuplicates: boolean): Problem[] {
  if (Array.isArray(value) || typeof value !== "object" || value === null) return [];
  const { add = [], remove = [] } = value as { add?: unknown[]; remove?: unknown[] };
  // Sets, not indexOf scans: a file of thousands of `+=` lines stays linear to validate.
  const repeated = (list: unknown[]) => new Set(list).size !== list.length;
  const removed = new Set(remove);
  if ((!keepsDuplicates && repeated(add)) || repeated(remove) || add.some((item) => removed.has(item))) {
    return [
      problem(
        field,
        "duplicate-value",
        `\`${field}\` lists an item twice (or both adds and removes it); xinetd folds \`+=\`/\`-=\` into sets, so it ` +
          `would read back differently.`,
      ),
    ];
  }
  return [];
}

function attributeProblems(key: XinetdAttributeKey, value: unknown): Problem[] {
  const spec = attributeByKey(key);
  const field = spec.name;
  if (BOOLEAN_KEYS.has(key) && typeof value !== "boolean")
    return [problem(field, "type", `\`${field}\` must be true or false.`)];
  if (spec.count === "modifiable") {
    const shape = listShapeProblems(field, value, spec.operators.includes("-="));
    if (shape.length > 0) return shape;
  } else if (((spec.count === "list" && key !== "logType") || key === "cps") && !Array.isArray(value)) {
    return [problem(field, "type", `\`${field}\` must be a list.`)];
  }
  const problems: Problem[] = [];
  for (const statement of statementsFor(key, value)) {
    const tokenIssues = [
      ...statement.values.flatMap((t) => tokenProblems(field, t)),
      ...lineLengthProblems(field, statement.values),
    ];
    if (tokenIssues.length > 0) {
      problems.push(...tokenIssues);
      continue;
    }
    const parsed = VALUE_CODECS[key].parse(statement.values, field);
    if (!parsed.ok) problems.push(problem(field, parsed.rule, parsed.message));
    else if (spec.count !== "modifiable" && !sameValue(parsed.value, value)) {
      problems.push(
        problem(
          field,
          "type",
          `\`${field}\` must be written as ${JSON.stringify(parsed.value)}, not ${JSON.stringify(value)}.`,
        ),
      );
    } else if (spec.count === "modifiable" && !sameValue(parsed.value, statement.values)) {
      problems.push(problem(field, "type", `\`${field}\` values must be written as ${JSON.stringify(parsed.value)}.`));
    }
  }
  if (spec.count === "modifiable") problems.push(...foldProblems(field, value, key === "env"));
  return problems;
}

function extraProblems(name: string, value: unknown): Problem[] {
  const spec = attributeByName(name);
  const problems = listShapeProblems(name, value, true);
  if (problems.length > 0) return problems;
  const relative = !Array.isArray(value);
  if (spec && relative && spec.count !== "modifiable") {
    problems.push(
      problem(
        name,
        "operator-not-allowed",
        `\`${name}\` takes only \`=\`; xinetd ignores \`+=\` / \`-=\` lines for it.`,
      ),
    );
  } else if (spec) {
    problems.push(
      problem(
        name,
        "known-attribute-in-extra",
        `\`${name}\` is an xinetd attribute; set it through the typed field \`${spec.key}\`.`,
      ),
    );
  } else {
    const near = nearestAttributeName(name);
    problems.push(
      problem(
        name,
        "unknown-attribute",
        `\`${name}\` is not an xinetd attribute; xinetd ignores it.${near ? ` Did you mean \`${near}\`?` : ""}`,
        { severity: "warning" },
      ),
    );
  }
  const list = value as string[] | { add?: string[]; remove?: string[] };
  const tokens = Array.isArray(list) ? list : [...(list.add ?? []), ...(list.remove ?? [])];
  if (/[\s=#{}]/.test(name) || name === "")
    problems.push(problem(name, "invalid-name", `\`${name}\` cannot be written as an attribute name.`));
  const control = controlOrInvisibleCharacterIn(name);
  if (control !== undefined)
    problems.push(
      problem(
        name,
        "control-character",
        `An \`extra\` attribute name contains the control or invisible character ${control}.`,
      ),
    );
  if (name !== name.toLowerCase()) {
    problems.push(
      problem(
        name,
        "extra-name-case",
        `\`${name}\`: xinetd matches attribute names in any case and reads this one back as ` +
          `\`${name.toLowerCase()}\`; write it so.`,
      ),
    );
  }
  return [
    ...problems,
    ...tokens.flatMap((t) => tokenProblems(name, t)),
    ...lineLengthProblems(name, tokens),
    ...foldProblems(name, value, false),
  ];
}

function nameProblems(name: unknown): Problem[] {
  if (typeof name !== "string" || name === "") return [problem("service", "invalid-name", "The service needs a name.")];
  if (/[ \t\r\n{}]/.test(name) || name.startsWith("#")) {
    return [
      problem(
        "service",
        "invalid-name",
        `Service name \`${name}\` cannot be written: no blanks, line breaks, braces or leading \`#\`.`,
      ),
    ];
  }
  const control = controlOrInvisibleCharacterIn(name);
  if (control !== undefined)
    return [
      problem(
        "service",
        "control-character",
        `The service name contains the control or invisible character ${control}.`,
      ),
    ];
  if (name.endsWith("\\"))
    return [problem("service", "value-continuation", `Service name \`${name}\` ends with \`\\\`.`)];
  return [];
}

function fileNameProblems(fileName: string): Problem[] {
  const field = "file name";
  if (fileName === "" || fileName.includes("/")) {
    return [problem(field, "invalid-file-name", `\`${fileName}\` is not a file name in /etc/xinetd.d.`)];
  }
  if (fileName.includes(".") || fileName.endsWith("~")) {
    return [
      problem(
        field,
        "file-name-skipped",
        `xinetd's \`includedir\` silently skips \`${fileName}\`: names with a \`.\` or ending in \`~\` are ignored.`,
      ),
    ];
  }
  return [];
}

function includes(list: readonly string[] | undefined, value: string): boolean {
  return list?.some((v) => v.toUpperCase() === value) ?? false;
}

function listHas(value: unknown, item: string): boolean {
  const items = Array.isArray(value) ? value : ((value as { add?: unknown[] } | undefined)?.add ?? []);
  return items.some((v) => typeof v === "string" && v.toUpperCase() === item);
}

function crossFieldProblems(model: XinetdServiceModel, options: XinetdValidationOptions): Problem[] {
  const problems: Problem[] = [];
  const mandatory = (field: string, why: string) =>
    problems.push(problem(field, "mandatory", `\`${field}\` is required${why}.`));
  const types = Array.isArray(model.type) ? model.type : undefined;
  const internal = includes(types, "INTERNAL");
  const unlisted = includes(types, "UNLISTED");
  if (model.socketType === undefined) mandatory("socket_type", "");
  if (model.wait === undefined) mandatory("wait", "");
  if (!internal && model.user === undefined) mandatory("user", " unless `type` has INTERNAL");
  if (!internal && model.redirect === undefined && model.server === undefined)
    mandatory("server", " unless `type` has INTERNAL or `redirect` is set");
  if (unlisted && model.port === undefined) mandatory("port", " for an UNLISTED service");
  const builtins = model.socketType === undefined ? undefined : (BUILTIN_SERVICES[model.socketType] ?? []);
  if (internal && builtins && !builtins.includes(model.name.toLowerCase())) {
    problems.push(
      problem(
        "service",
        "no-such-internal-service",
        `xinetd has no internal \`${model.name}\` service for ${model.socketType}; it has ` +
          `${builtins.join(", ") || "none"}.`,
      ),
    );
  }
  if (model.socketType === "dgram" && model.wait !== true) {
    problems.push(
      problem(
        "wait",
        "dgram-needs-wait",
        "A dgram service needs `wait = yes` (xinetd 2.3.15.4 and later reject it otherwise).",
      ),
    );
  }
  if (listHas(model.logOnSuccess, "TRAFFIC") && model.redirect === undefined) {
    problems.push(
      problem(
        "log_on_success",
        "traffic-needs-redirect",
        "`log_on_success` TRAFFIC applies only to a service with `redirect`.",
      ),
    );
  }
  if (options.services && !unlisted && !includes(types, "RPC")) {
    const protocol =
      model.protocol ?? (model.socketType === "stream" ? "tcp" : model.socketType === "dgram" ? "udp" : undefined);
    if (protocol !== undefined) {
      const port = options.services.get(model.name)?.get(protocol);
      if (port === undefined) {
        problems.push(
          problem(
            "service",
            "not-in-services",
            `\`${model.name}\` is not in /etc/services for ${protocol}; add \`type = UNLISTED\` and a \`port\`.`,
          ),
        );
      } else if (model.port !== undefined && model.port !== port) {
        problems.push(
          problem(
            "port",
            "port-mismatch",
            `\`port\` ${model.port} differs from ${port} in /etc/services for \`${model.name}\`; add \`type = ` +
              `UNLISTED\`.`,
          ),
        );
      }
    }
  }
  return problems;
}

/** Every problem of a model, each naming the xinetd attribute (or `service`, `file name`). */
export function validateXinetdService(model: XinetdServiceModel, options: XinetdValidationOptions = {}): Problem[] {
  const record = model as unknown as Record<string, unknown>;
  const problems = [...nameProblems(model.name)];
  if (options.fileName !== undefined) problems.push(...fileNameProblems(options.fileName));
  for (const key of Object.keys(record)) {
    if (!KNOWN_KEYS.has(key))
      problems.push(problem(key, "unknown-key", `\`${key}\` is not a field of the xinetd service model.`));
  }
  for (const key of ATTRIBUTE_KEYS) {
    if (record[key] !== undefined) problems.push(...attributeProblems(key, record[key]));
  }
  for (const [name, value] of Object.entries(model.extra ?? {})) problems.push(...extraProblems(name, value));
  return [...problems, ...crossFieldProblems(model, options)];
}

/** Syntax problems of the document plus, for each service entry, its value and model problems. */
export function validateXinetdDocument(doc: XinetdDocument, options: XinetdValidationOptions = {}): Problem[] {
  const problems = [...doc.problems];
  const seen = new Set(problems.map((p) => JSON.stringify(p)));
  const add = (p: Problem) => {
    const id = JSON.stringify(p);
    if (!seen.has(id)) problems.push(p);
    seen.add(id);
  };
  const readings = readXinetdServiceBlocks(doc);
  doc.blocks.forEach((block, i) => {
    const reading = readings[i];
    if (reading === undefined) return;
    const position = { line: block.header + 1, column: 1 };
    reading.problems.forEach(add);
    const located = new Set(reading.problems.map((p) => `${p.field}\u0000${p.rule}`));
    for (const p of validateXinetdService(reading.model, options)) {
      if (!located.has(`${p.field}\u0000${p.rule}`)) add({ ...p, position });
    }
  });
  return problems;
}

/** Returns the warnings; throws a FormatError listing every problem when there is an error. */
export function validateXinetdServiceOrThrow(
  model: XinetdServiceModel,
  options: XinetdValidationOptions = {},
): Problem[] {
  const problems = validateXinetdService(model, options);
  if (errorsOf(problems).length > 0) throw new FormatError(`xinetd service ${model.name}`, problems);
  return problems;
}
