/** Checks of a socket-service model against what systemd can express and read back, every problem at once. */
import { controlCharacterProblem, errorsOf, FormatError, problem, type Problem } from "../problems";
import { controlCharacterIn, controlOrInvisibleCharacterIn } from "../strings";
import { MAX_UNIT_LINE_BYTES, isSafeUnitString } from "./document";
import type { SystemdSocketServiceModel } from "./model";
import { LIMIT_KEYS, MANAGED_SETTINGS } from "./socket-service";

/** The rule for what systemd cannot express at all. */
export const NO_SYSTEMD_EQUIVALENT = "no-systemd-equivalent";

const MODEL_KEYS = new Set([
  "name",
  "description",
  "port",
  "socketType",
  "wait",
  "user",
  "group",
  "server",
  "serverArgs",
  "bind",
  "flags",
  "v6only",
  "onlyFrom",
  "noAccess",
  "instances",
  "perSource",
  "cps",
  "env",
  "nice",
  "umask",
  "extra",
  ...Object.keys(LIMIT_KEYS),
]);

const SUPPORTED_FLAGS = new Set(["IPv4", "IPv6", "KEEPALIVE", "NODELAY", "REUSE", "NOLIBWRAP", "NAMEINARGS"]);
const ADDRESS_WORDS = new Set(["any", "localhost", "link-local", "multicast"]);
/** Bytes a setting's name, `=`, quotes and escapes may add to its value on the line. */
const LINE_OVERHEAD = 64;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(":")) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === "" ? [] : half.split(":")));
  const v4Tail = groups.length > 0 && IPV4.test(groups[groups.length - 1]!);
  const hex = v4Tail ? groups.slice(0, -1) : groups;
  if (!hex.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4Tail ? 2 : 0);
  return halves.length === 2 ? count < 8 : count === 8;
}

function isAddressOrPrefix(item: string): boolean {
  if (ADDRESS_WORDS.has(item)) return true;
  const [address, prefix, ...rest] = item.split("/");
  if (rest.length > 0 || address === undefined) return false;
  const v4 = IPV4.test(address);
  if (!v4 && !isIPv6(address)) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (v4 ? 32 : 128));
}

/** Problems of a string written into a value: control characters, a line continuation, outer blanks, length. */
function textProblems(field: string, value: unknown, options: { blanksInside?: boolean } = {}): Problem[] {
  if (typeof value !== "string") return [problem(field, "type", `\`${field}\` must be a string.`)];
  const control = controlCharacterIn(value);
  if (control !== undefined) return [controlCharacterProblem(field, control)];
  const problems: Problem[] = [];
  if (options.blanksInside === false && /[ \t]/.test(value))
    problems.push(problem(field, "blank-in-value", `\`${field}\` cannot hold a blank.`));
  if (Buffer.byteLength(value, "utf8") * 2 + LINE_OVERHEAD > MAX_UNIT_LINE_BYTES)
    problems.push(problem(field, "line-too-long", `\`${field}\` would be written on a line over systemd's 1 MiB.`));
  return problems;
}

/** A value written as is (no quoting): systemd strips outer blanks and joins a line ending in `\`. */
function verbatimProblems(field: string, value: unknown): Problem[] {
  const problems = textProblems(field, value);
  if (problems.length > 0 || typeof value !== "string") return problems;
  if (value === "")
    problems.push(
      problem(field, "empty-value", `\`${field}\` cannot be empty: an empty assignment resets the setting.`),
    );
  if (value !== value.trim())
    problems.push(
      problem(field, "outer-whitespace", `\`${field}\` starts or ends with a blank, which systemd strips.`),
    );
  if (/\\[ \t]*$/.test(value))
    problems.push(
      problem(field, "value-continuation", `\`${field}\` ends with \`\\\`, which makes systemd join the next line.`),
    );
  return problems;
}

function integerProblems(field: string, value: unknown, min: number, max: number): Problem[] {
  if (typeof value !== "number" || !Number.isInteger(value))
    return [problem(field, "type", `\`${field}\` must be an integer.`)];
  if (value < min || value > max)
    return [problem(field, "range", `\`${field}\` must be between ${min} and ${max}, not ${value}.`)];
  return [];
}

function stringListProblems(field: string, value: unknown, each: (item: string, path: string) => Problem[]): Problem[] {
  if (!Array.isArray(value)) return [problem(field, "type", `\`${field}\` must be a list of strings.`)];
  return value.flatMap((item, i) => {
    const path = `${field}[${i}]`;
    if (typeof item !== "string") return [problem(path, "type", `\`${path}\` must be a string.`)];
    return each(item, path);
  });
}

function nameProblems(name: unknown): Problem[] {
  if (typeof name !== "string" || name === "") return [problem("name", "invalid-unit-name", "The unit needs a name.")];
  const control = controlOrInvisibleCharacterIn(name);
  if (control !== undefined)
    return [
      problem("name", "control-character", `The unit name contains the control or invisible character ${control}.`),
    ];
  if (!/^[A-Za-z0-9_.:-]+$/.test(name))
    return [
      problem(
        "name",
        "invalid-unit-name",
        `\`${name}\` is not a unit name: letters, digits, \`_\`, \`.\`, \`:\` and \`-\` only.`,
      ),
    ];
  // systemd takes `-x.socket`, but every `systemctl` call would read it as options (`-h` is help).
  if (name.startsWith("-"))
    return [problem("name", "invalid-unit-name", `\`${name}\` starts with \`-\`, which systemctl reads as an option.`)];
  if (name.length + "@.service".length > 255)
    return [problem("name", "invalid-unit-name", "A unit name is at most 255 bytes with its suffix.")];
  return [];
}

function serverProblems(server: unknown): Problem[] {
  const problems = textProblems("server", server);
  if (problems.length > 0 || typeof server !== "string") return problems;
  if (!server.startsWith("/")) return [problem("server", "absolute-path", "`server` must be an absolute path.")];
  if (!isSafeUnitString(server))
    return [
      problem(
        "server",
        "unsafe-path",
        "`server` cannot hold a quote, `\\` or control character: systemd refuses such a path.",
      ),
    ];
  if (server.includes("$"))
    return [
      problem(
        "server",
        "dollar-in-server",
        "`server` cannot hold `$`: systemd expands it in argv[0] but not in the path.",
      ),
    ];
  if (/\/\/|\/\.(\/|$)|\/$/.test(server))
    return [problem("server", "path-not-normal", "`server` must be written without `//`, `/./` or a trailing `/`.")];
  return [];
}

function limitProblems(field: string, value: unknown, sized: boolean): Problem[] {
  if (value === "UNLIMITED") return [];
  if (typeof value === "number") return integerProblems(field, value, 0, Number.MAX_SAFE_INTEGER);
  if (sized && typeof value === "string" && /^\d+[kKmM]?$/.test(value)) return [];
  return [
    problem(
      field,
      "invalid-value",
      `\`${field}\` must be a count${sized ? " (K or M suffix allowed)" : ""} or UNLIMITED.`,
    ),
  ];
}

function extraProblems(extra: unknown): Problem[] {
  if (typeof extra !== "object" || extra === null || Array.isArray(extra))
    return [problem("extra", "type", "`extra` must be `{ socket?, service? }`.")];
  const problems: Problem[] = [];
  for (const [part, settings] of Object.entries(extra)) {
    if (part !== "socket" && part !== "service") {
      problems.push(problem(`extra.${part}`, "unknown-key", "`extra` takes only `socket` and `service`."));
      continue;
    }
    if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
      problems.push(problem(`extra.${part}`, "type", `\`extra.${part}\` must map setting names to values.`));
      continue;
    }
    for (const [key, value] of Object.entries(settings as Record<string, unknown>)) {
      const field = `extra.${part}.${key}`;
      if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(key))
        problems.push(problem(field, "invalid-name", `\`${key}\` cannot be written as a systemd setting name.`));
      if ((MANAGED_SETTINGS[part] as readonly string[]).includes(key))
        problems.push(
          problem(field, "known-setting-in-extra", `\`${key}=\` is written from the typed fields; set it there.`),
        );
      const values = typeof value === "string" ? [value] : value;
      if (!Array.isArray(values) || values.length === 0)
        problems.push(problem(field, "type", `\`${field}\` must be a string or a non-empty list of strings.`));
      else
        values.forEach((item, i) =>
          problems.push(...verbatimProblems(Array.isArray(value) ? `${field}[${i}]` : field, item)),
        );
    }
  }
  return problems;
}

/** Every problem of a model, each naming its field (`serverArgs[1]`, `extra.service.ProtectSystem`). */
export function validateSystemdSocketService(model: SystemdSocketServiceModel): Problem[] {
  const record = model as unknown as Record<string, unknown>;
  const problems = [...nameProblems(model.name)];
  for (const key of Object.keys(record)) {
    if (!MODEL_KEYS.has(key) && record[key] !== undefined)
      problems.push(problem(key, "unknown-key", `\`${key}\` is not a field of the systemd socket service model.`));
  }
  const flags = Array.isArray(model.flags) ? model.flags : [];
  const ipv6 = flags.includes("IPv6");
  if (model.description !== undefined) problems.push(...verbatimProblems("description", model.description));
  if (model.port === undefined) problems.push(problem("port", "mandatory", "`port` is required."));
  else problems.push(...integerProblems("port", model.port, 1, 65535));
  if (model.socketType !== undefined && !["stream", "dgram", "seqpacket"].includes(model.socketType)) {
    const raw = (model.socketType as string) === "raw";
    problems.push(
      problem(
        "socketType",
        raw ? NO_SYSTEMD_EQUIVALENT : "enum",
        raw ? "A `raw` socket has no socket unit equivalent." : "`socketType` must be stream, dgram or seqpacket.",
      ),
    );
  }
  if (model.wait !== undefined && typeof model.wait !== "boolean")
    problems.push(problem("wait", "type", "`wait` must be true or false."));
  if (model.socketType === "dgram" && model.wait !== true)
    problems.push(
      problem(
        "wait",
        "dgram-needs-wait",
        "A dgram service needs `wait: true` (`Accept=no`): datagram sockets cannot accept.",
      ),
    );
  for (const field of ["user", "group"] as const) {
    const value = model[field];
    if (value === undefined) continue;
    const issues = textProblems(field, value, { blanksInside: false });
    if (issues.length === 0 && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(value))
      issues.push(problem(field, "invalid-user-name", `\`${field}\` must be a user or group name or number.`));
    problems.push(...issues);
  }
  if (model.server === undefined) problems.push(problem("server", "mandatory", "`server` is required."));
  else problems.push(...serverProblems(model.server));
  if (model.serverArgs !== undefined)
    problems.push(...stringListProblems("serverArgs", model.serverArgs, (item, path) => textProblems(path, item)));
  if (model.flags !== undefined) {
    problems.push(
      ...stringListProblems("flags", model.flags, (flag, path) =>
        SUPPORTED_FLAGS.has(flag)
          ? []
          : [problem(path, NO_SYSTEMD_EQUIVALENT, `The xinetd flag \`${flag}\` has no systemd socket equivalent.`)],
      ),
    );
    if (ipv6 && flags.includes("IPv4"))
      problems.push(problem("flags", "conflicting-flags", "`flags` cannot hold both IPv4 and IPv6."));
    if (flags.includes("NAMEINARGS") && (model.serverArgs ?? []).length === 0)
      problems.push(
        problem("serverArgs", "nameinargs-needs-args", "With `NAMEINARGS`, `serverArgs` starts with argv[0]."),
      );
  }
  if (model.v6only !== undefined) {
    if (typeof model.v6only !== "boolean") problems.push(problem("v6only", "type", "`v6only` must be true or false."));
    else if (model.v6only && !ipv6)
      problems.push(problem("v6only", "v6only-needs-ipv6", "`v6only` needs the `IPv6` flag."));
  }
  if (model.bind !== undefined) {
    const issues = textProblems("bind", model.bind);
    if (issues.length === 0 && !(ipv6 ? isIPv6(model.bind) : IPV4.test(model.bind)))
      issues.push(
        problem(
          "bind",
          "bind-not-address",
          `\`bind\` must be a numeric ${ipv6 ? "IPv6 (the `IPv6` flag is set)" : "IPv4"} address.`,
        ),
      );
    problems.push(...issues);
  }
  for (const field of ["onlyFrom", "noAccess"] as const) {
    if (model[field] === undefined) continue;
    problems.push(
      ...stringListProblems(field, model[field], (item, path) =>
        isAddressOrPrefix(item)
          ? []
          : [
              problem(
                path,
                "not-an-address",
                `\`${path}\` must be an address or prefix (or any, localhost, link-local, multicast); ` +
                  "systemd resolves no names.",
              ),
            ],
      ),
    );
    if (Array.isArray(model[field]) && model[field].length === 0)
      problems.push(
        problem(field, "empty-list", `\`${field}\` cannot be empty; refuse everyone with \`noAccess: ["any"]\`.`),
      );
  }
  if (model.onlyFrom !== undefined && model.noAccess !== undefined)
    problems.push(
      problem(
        "noAccess",
        NO_SYSTEMD_EQUIVALENT,
        "`onlyFrom` with `noAccess`: systemd lets an allowed address win, xinetd the more specific match.",
      ),
    );
  for (const field of ["instances", "perSource"] as const) {
    const value = model[field] as unknown;
    if (value === undefined) continue;
    if (value === "UNLIMITED")
      problems.push(
        problem(field, NO_SYSTEMD_EQUIVALENT, `\`${field}\` cannot be unlimited under systemd; give a number.`),
      );
    else problems.push(...integerProblems(field, value, 1, 4294967295));
    if (model.wait === true)
      problems.push(
        problem(
          field,
          NO_SYSTEMD_EQUIVALENT,
          `\`${field}\` counts accepted connections; with \`wait: true\` there are none.`,
        ),
      );
  }
  if (model.cps !== undefined) problems.push(...integerProblems("cps", model.cps, 1, 4294967295));
  if (model.env !== undefined) {
    problems.push(
      ...stringListProblems("env", model.env, (item, path) => {
        const issues = textProblems(path, item);
        if (issues.length === 0 && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(item))
          issues.push(problem(path, "env-name", `\`${path}\` must be \`NAME=value\` with a shell variable name.`));
        return issues;
      }),
    );
  }
  if (model.nice !== undefined) problems.push(...integerProblems("nice", model.nice, -20, 19));
  if (model.umask !== undefined && (typeof model.umask !== "string" || !/^[0-7]{1,4}$/.test(model.umask)))
    problems.push(problem("umask", "invalid-value", "`umask` must be octal digits, like `022`."));
  for (const key of Object.keys(LIMIT_KEYS) as (keyof typeof LIMIT_KEYS)[]) {
    if (model[key] !== undefined) problems.push(...limitProblems(key, model[key], key !== "rlimitCpu"));
  }
  if (model.extra !== undefined) problems.push(...extraProblems(model.extra));
  return problems;
}

/** Returns the warnings; throws a FormatError listing every problem when there is an error. */
export function validateSystemdSocketServiceOrThrow(model: SystemdSocketServiceModel): Problem[] {
  const problems = validateSystemdSocketService(model);
  if (errorsOf(problems).length > 0) throw new FormatError(`systemd socket service ${model.name}`, problems);
  return problems;
}
