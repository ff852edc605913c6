/**
 * Checks that collect every problem at once. Fields are named as an operator writes them: rsync's
 * spelling of a parameter (`max connections`), or `module name` for a module's name.
 */
import { controlCharacterProblem, errorsOf, FormatError, problem, type Problem, type ProblemRule } from "../problems";
import type { ParameterEntry, RsyncdDocument } from "./document";
import type { RsyncdGlobalModel, RsyncModuleModel } from "./model";
import {
  GLOBAL_MODEL_PARAMETERS,
  lookupRsyncParameter,
  MODULE_MODEL_PARAMETERS,
  type RsyncParameter,
} from "./parameters";
import { walkRsyncdDocument } from "./sections";
import { sharedRsyncdSemantics, SYSLOG_FACILITIES } from "./semantics";
import { controlCharacterIn, controlOrInvisibleCharacterIn } from "../strings";
import { suggestRsyncParameter } from "./suggest";
import { isRsyncUnset, normalizeRsyncPath, parseRsyncBoolean, parseRsyncInteger } from "./values";

const MODULE_NAME = "module name";

/**
 * rsync lists modules with `io_printf("%-15s\t%s\n", name, comment)` into a 5120-byte buffer
 * (BIGPATHBUFLEN); a longer line makes the listing fail for every module ("io_printf() was too
 * long for the buffer", exit 5; measured with rsync 3.5.0). These caps keep any name and comment
 * pair inside it.
 */
const MAX_MODULE_NAME_BYTES = 1000;
const MAX_COMMENT_BYTES = 4096;

/** Rules for a module name a model asks for (a header must spell it so rsync serves it as is). */
function checkModuleName(name: unknown): Problem[] {
  if (typeof name !== "string") return [problem(MODULE_NAME, "type", "The `module name` must be a string.")];
  const problems: Problem[] = [];
  const add = (rule: ProblemRule, message: string) => problems.push(problem(MODULE_NAME, rule, message));
  if (name === "") add("module-name-empty", "The `module name` is empty; rsync rejects `[]`.");
  if (name.includes("/"))
    add("module-name-slash", `The \`module name\` \`${name}\` contains \`/\`; rsync rejects the whole file.`);
  if (name.includes("]"))
    add("module-name-bracket", `The \`module name\` \`${name}\` contains \`]\`, which ends a header.`);
  if (/[\n\r]/.test(name)) add("module-name-newline", "The `module name` contains a line break.");
  const control = controlOrInvisibleCharacterIn(name.replace(/[\n\r]/g, ""));
  if (control !== undefined)
    add(
      "control-character",
      `The \`module name\` contains the control or invisible character ${control}; clients could not ask for it by ` +
        `what they see.`,
    );
  if (name !== "" && name.replace(/[ \t\n\v\f\r]/g, "").toUpperCase() === "GLOBAL") {
    add("module-name-reserved", `\`[${name}]\` is the reserved \`[global]\` header, not a module.`);
  }
  // The client sends the name as a line; the daemon takes a line starting with `#` as a command.
  if (name.startsWith("-"))
    add(
      "module-name-dash",
      `The \`module name\` \`${name}\` starts with \`-\`; rsync lists it but a client cannot open it (rsync 3.5.0 ` +
        `answers \`change_dir "${name}" … failed\`).`,
    );
  if (name.startsWith("#"))
    add(
      "module-name-hash",
      `The \`module name\` \`${name}\` starts with \`#\`; rsync lists it but answers "Unknown command" to a client ` +
        `asking for it.`,
    );
  if (Buffer.byteLength(name, "utf8") > MAX_MODULE_NAME_BYTES)
    add(
      "module-name-too-long",
      `The \`module name\` is longer than ${MAX_MODULE_NAME_BYTES} bytes; rsync's module listing would fail for ` +
        `every module.`,
    );
  if (/^[ \t\v\f]|[ \t\v\f]$/.test(name))
    add("module-name-outer-blanks", `The \`module name\` \`${name}\` has outer blanks; rsync trims them.`);
  if (/[\t\v\f]|[ \t\v\f]{2}/.test(name.trim()))
    add("module-name-inner-blanks", `The \`module name\` \`${name}\` has blanks rsync collapses to one space.`);
  return problems;
}

/** Rules for the text of a value, as it would be written on a line. */
function checkText(param: RsyncParameter | undefined, field: string, text: string): Problem[] {
  const problems: Problem[] = [];
  if (/[\n\r]/.test(text))
    problems.push(problem(field, "value-newline", `\`${field}\` contains a line break, which ends the value.`));
  if (/^[ \t\v\f]|[ \t\v\f]$/.test(text))
    problems.push(
      problem(field, "value-outer-blanks", `\`${field}\` = \`${text}\` has outer blanks; rsync trims them.`),
    );
  if (/\\[ \t\v\f]*$/.test(text))
    problems.push(
      problem(field, "value-continuation", `\`${field}\` ends with \`\\\`, which joins the next line to the value.`),
    );
  const control = controlCharacterIn(text.replace(/[\n\r]/g, ""));
  if (control !== undefined) problems.push(controlCharacterProblem(field, control));
  if (param === undefined) return problems;
  if (param.name === "comment" && Buffer.byteLength(text, "utf8") > MAX_COMMENT_BYTES) {
    problems.push(
      problem(
        field,
        "value-too-long",
        `\`${field}\` is longer than ${MAX_COMMENT_BYTES} bytes; rsync's module listing would fail for every module.`,
      ),
    );
  }
  if (param.kind === "bool" && parseRsyncBoolean(text) === undefined && !(param.unsettable && isRsyncUnset(text))) {
    problems.push(
      problem(
        field,
        "bad-boolean",
        `\`${field}\` = \`${text}\` is not a boolean; use yes/true/1 or ` +
          `no/false/0${param.unsettable ? " (or unset)" : ""}.`,
      ),
    );
  }
  if (param.kind === "int" && parseRsyncInteger(text) === undefined) {
    problems.push(
      problem(field, "bad-integer", `\`${field}\` = \`${text}\` is not a whole number; rsync's atoi would misread it.`),
    );
  }
  const port = param.name === "port" ? parseRsyncInteger(text) : undefined;
  if (port !== undefined) problems.push(...portProblems(field, port));
  if (param.path && normalizeRsyncPath(text) !== text) {
    problems.push(
      problem(field, "path-trailing-slash", `\`${field}\` = \`${text}\` ends with \`/\`; rsync drops it.`, {
        severity: "warning",
      }),
    );
  }
  if ((param.path || param.file) && !text.startsWith("/")) {
    // The daemon resolves a relative path against its working directory (`/`), never what was meant.
    problems.push(problem(field, "path-not-absolute", `\`${field}\` = \`${text}\` must be an absolute path.`));
  }
  if (param.name === "syslog facility" && !SYSLOG_FACILITIES.includes(text.toLowerCase())) {
    problems.push(
      problem(
        field,
        "bad-syslog-facility",
        `\`syslog facility\` = \`${text}\` is not one of ${SYSLOG_FACILITIES.join(", ")}.`,
      ),
    );
  }
  return problems;
}

/**
 * The daemon's `port` must be a TCP port: rsync 3.5.0 takes `port = 70000`, logs "listening on port 70000" and listens
 * nowhere.
 */
function portProblems(field: string, value: number): Problem[] {
  if (field !== "port" || (value >= 1 && value <= 65_535)) return [];
  return [problem(field, "bad-port", `\`${field}\` = \`${value}\` is not a TCP port (1 to 65535).`)];
}

/** Rules for a typed field of a model. */
function checkField(param: RsyncParameter, value: unknown): Problem[] {
  const field = param.name;
  switch (param.kind) {
    case "bool":
      return typeof value === "boolean" ? [] : [problem(field, "bad-boolean", `\`${field}\` must be true or false.`)];
    case "int":
      if (!(typeof value === "number" && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647)) {
        return [problem(field, "bad-integer", `\`${field}\` must be a whole number that fits in 32 bits.`)];
      }
      return portProblems(field, value);
    case "list": {
      if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
        return [problem(field, "type", `\`${field}\` must be a list of strings.`)];
      }
      const problems: Problem[] = [];
      for (const item of value as string[]) {
        if (item === "" || /[ \t\n\v\f\r]/.test(item) || (param.commaSeparated && item.includes(","))) {
          problems.push(
            problem(
              field,
              "list-entry",
              `\`${field}\` entry \`${item}\` is empty or holds a blank${param.commaSeparated ? " or comma" : ""}, ` +
                `where rsync splits the list.`,
            ),
          );
        }
        // Only the last item ends the line, but the rule must not depend on the order.
        if (item.endsWith("\\")) {
          problems.push(
            problem(
              field,
              "value-continuation",
              `\`${field}\` entry \`${item}\` ends with \`\\\`, which would join the next line to the list.`,
            ),
          );
        }
        const control = controlCharacterIn(item.replace(/[\n\r]/g, ""));
        if (control !== undefined) problems.push(controlCharacterProblem(field, control));
      }
      return problems;
    }
    case "string":
      return typeof value === "string"
        ? checkText(param, field, value)
        : [problem(field, "type", `\`${field}\` must be a string.`)];
  }
}

function checkExtra(
  extra: unknown,
  modelled: readonly RsyncParameter[],
  fields: Record<string, unknown>,
  inModule: boolean,
): Problem[] {
  if (extra === undefined) return [];
  if (typeof extra !== "object" || extra === null)
    return [problem("extra", "type", "`extra` must map parameter names to strings.")];
  const problems: Problem[] = [];
  for (const [name, text] of Object.entries(extra)) {
    const param = lookupRsyncParameter(name);
    const field = param?.name ?? name;
    if (typeof text !== "string") {
      problems.push(problem(field, "type", `\`${field}\` in \`extra\` must be a string.`));
      continue;
    }
    const nameControl = controlOrInvisibleCharacterIn(name.replace(/[\n\r]/g, ""));
    if (nameControl !== undefined)
      problems.push(
        problem(
          field,
          "control-character",
          `An \`extra\` parameter name contains the control or invisible character ${nameControl}.`,
        ),
      );
    if (/[=\n\r]/.test(name) || name.trim() === "" || /^[#;[&\\]/.test(name.trim())) {
      problems.push(problem(field, "bad-parameter-name", `\`${name}\` cannot be written as a parameter name.`));
    } else if (param === undefined) {
      const hint = suggestRsyncParameter(name);
      problems.push(
        problem(
          field,
          "unknown-parameter",
          `\`${name}\` is not an rsync parameter; rsync would ignore it.${hint ? ` Did you mean \`${hint}\`?` : ""}`,
        ),
      );
    } else if (inModule && param.scope === "global") {
      problems.push(
        problem(
          field,
          "global-parameter-in-module",
          `\`${field}\` is a global parameter; rsync ignores it inside a module.`,
        ),
      );
    } else if (inModule && param.name === "name") {
      problems.push(problem(field, "name-in-extra", "`name` renames the module; set the model's `name` instead."));
    } else if (modelled.includes(param) && fields[param.key] !== undefined) {
      problems.push(problem(field, "extra-conflict", `\`${field}\` is set both as \`${param.key}\` and in \`extra\`.`));
    }
    problems.push(...checkText(param, field, text));
  }
  return problems;
}

function checkFields(model: object, modelled: readonly RsyncParameter[]): Problem[] {
  const fields = model as Record<string, unknown>;
  return modelled.flatMap((p) => (fields[p.key] === undefined ? [] : checkField(p, fields[p.key])));
}

function checkAuth(model: RsyncModuleModel | RsyncdGlobalModel, field = "auth users"): Problem[] {
  return model.authUsers !== undefined && model.authUsers.length > 0 && model.secretsFile === undefined
    ? [
        problem(
          field,
          "auth-users-without-secrets",
          "`auth users` is set without `secrets file`: nobody can authenticate.",
        ),
      ]
    : [];
}

export function validateRsyncModule(model: RsyncModuleModel): Problem[] {
  const problems = [
    ...checkModuleName(model.name),
    ...checkFields(model, MODULE_MODEL_PARAMETERS),
    ...checkExtra(model.extra, MODULE_MODEL_PARAMETERS, model as unknown as Record<string, unknown>, true),
    ...checkAuth(model),
  ];
  if (model.path === undefined) {
    problems.push(
      problem("path", "missing-path", "The module has no `path`; rsync refuses it unless the global part sets one.", {
        severity: "warning",
      }),
    );
  }
  return problems;
}

export function validateRsyncdGlobal(model: RsyncdGlobalModel): Problem[] {
  return [
    ...checkFields(model, GLOBAL_MODEL_PARAMETERS),
    ...checkExtra(model.extra, GLOBAL_MODEL_PARAMETERS, model as unknown as Record<string, unknown>, false),
  ];
}

/**
 * Everything rsync would reject, ignore or misread in a document: reader errors, unknown and
 * misplaced parameters, bad values, surprising headers, and modules nobody can log in to.
 */
export function validateRsyncdDocument(doc: RsyncdDocument): Problem[] {
  const sem = sharedRsyncdSemantics(doc);
  const problems = [...doc.problems, ...sem.problems];
  for (const entry of doc.entries) {
    const position = { line: entry.line, column: 1 };
    if (entry.kind === "section" && entry.valid && !entry.isGlobal) {
      const written = entry.raw.slice(entry.raw.indexOf("[") + 1, entry.raw.indexOf("]"));
      if (written !== entry.name) {
        problems.push(
          problem(
            MODULE_NAME,
            "module-name-blanks",
            `The header \`[${written}]\` names module \`${entry.name}\`; rsync trims and collapses blanks.`,
            { severity: "warning", position },
          ),
        );
      }
    }
    if (entry.kind === "parameter") {
      const param = lookupRsyncParameter(entry.name);
      if (param?.path && normalizeRsyncPath(entry.value) !== entry.value) {
        problems.push(
          problem(
            param.name,
            "path-trailing-slash",
            `\`${param.name}\` = \`${entry.value}\` ends with \`/\`; rsync drops it.`,
            {
              severity: "warning",
              position: { line: entry.line, column: (entry as ParameterEntry).indent.length + 1 },
            },
          ),
        );
      }
    }
  }
  const walk = walkRsyncdDocument(doc);
  sem.modules.forEach((module, i) => {
    if (module.params["auth users"]?.trim() && module.params["secrets file"] === undefined) {
      const header = doc.entries[walk.modules[i]!.headers[0]!]!;
      problems.push(
        problem(
          "auth users",
          "auth-users-without-secrets",
          `Module \`${module.name}\` has \`auth users\` but no \`secrets file\`: nobody can authenticate.`,
          { position: { line: header.line, column: 1 } },
        ),
      );
    }
  });
  return problems.sort((a, b) => (a.position?.line ?? 0) - (b.position?.line ?? 0));
}

function throwOnErrors(subject: string, problems: Problem[]): void {
  if (errorsOf(problems).length > 0) throw new FormatError(subject, problems);
}

export function validateRsyncModuleOrThrow(model: RsyncModuleModel): void {
  throwOnErrors(`rsync module \`${String(model.name)}\``, validateRsyncModule(model));
}

export function validateRsyncdGlobalOrThrow(model: RsyncdGlobalModel): void {
  throwOnErrors("rsyncd global settings", validateRsyncdGlobal(model));
}

export function validateRsyncdDocumentOrThrow(doc: RsyncdDocument, source?: string): void {
  const problems = validateRsyncdDocument(doc);
  if (errorsOf(problems).length > 0) throw new FormatError("rsyncd.conf", problems, source);
}
