/**
 * The round-trip guard on rsyncd.conf edits: a result rsync would read differently from the edit's
 * intent is refused naming the field, whatever made it differ; a result that means the intent is
 * never refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { errorsOf } from "../../../src/formats/problems";
import {
  listRsyncModules,
  parseRsyncdDocument,
  removeRsyncModule,
  renderRsyncdDocument,
  renderRsyncdGlobal,
  renderRsyncModule,
  rsyncdBoolean,
  rsyncdInteger,
  rsyncdList,
  rsyncdSemantics,
  rsyncdValue,
  rsyncNameKey,
  setRsyncdGlobal,
  setRsyncModule,
  validateRsyncdGlobal,
  validateRsyncModule,
  type RsyncdDocument,
  type RsyncdGlobalModel,
  type RsyncdSemantics,
  type RsyncModuleModel,
} from "../../../src/formats/rsyncd";
import {
  guardRsyncdGlobalEdit,
  guardRsyncModuleEdit,
  guardRsyncModuleRemoval,
} from "../../../src/formats/rsyncd/guard";
import {
  MODULE_MODEL_PARAMETERS,
  GLOBAL_MODEL_PARAMETERS,
  type RsyncParameter,
} from "../../../src/formats/rsyncd/parameters";
import { normalizeRsyncPath } from "../../../src/formats/rsyncd/values";
import { plausibleFile } from "./arbitraries";
import { guardOutcome, refusal } from "../../support/guard-outcome";

const BASE =
  "port = 873\n\n[a]\n\tpath = /srv/a\n\thosts allow = 10.0.0.1\n\n[b]\n\tpath = /srv/b\n\tread only = yes\n";

test("the issue's attack: a list item ending in `\\` is refused by the guard, even with the rules bypassed", () => {
  const doc = parseRsyncdDocument(BASE);
  const attack: RsyncModuleModel = {
    name: "m",
    path: "/srv/m",
    dontCompress: ["*.gz\\"],
    hostsAllow: ["192.0.2.1"],
    readOnly: true,
  };
  assert.deepEqual(
    refusal(() => setRsyncModule(doc, attack)),
    [
      ["dont compress", "round-trip-mismatch"],
      ["hosts allow", "round-trip-mismatch"],
    ],
  );
  // The same attack on an existing module, and `authUsers: ["alice\\"]` swallowing `read only`.
  // On an existing module the new lines follow `hosts allow`: `read only` is the line swallowed.
  assert.deepEqual(
    refusal(() => setRsyncModule(doc, { ...attack, name: "a" })).map(([f]) => f),
    ["dont compress", "read only"],
  );
  assert.deepEqual(
    refusal(() =>
      setRsyncModule(doc, { name: "n", path: "/srv/n", authUsers: ["alice\\"], secretsFile: "/etc/s", readOnly: true }),
    ).map(([f]) => f),
    ["auth users", "read only"],
  );
  assert.deepEqual(
    refusal(() => renderRsyncModule(attack)).map(([f]) => f),
    ["dont compress", "hosts allow"],
  );
});

const hostileCases: Array<[string, (doc: RsyncdDocument) => unknown, string[]]> = [
  [
    "a line break starting a new section",
    (d) => setRsyncModule(d, { name: "a", path: "/srv/a", comment: "x\n[evil]\npath = /" }),
    ["file", "comment", "module name"],
  ],
  [
    "a CR inside a value (rsync drops it)",
    (d) => setRsyncModule(d, { name: "a", path: "/srv/a", comment: "x\ry" }),
    ["comment"],
  ],
  ["outer blanks rsync trims", (d) => setRsyncModule(d, { name: "a", path: "/srv/a", comment: " x" }), ["comment"]],
  [
    "a value that is only `\\`",
    (d) => setRsyncModule(d, { name: "m", path: "/srv/m", comment: "\\", readOnly: false }),
    ["comment", "read only"],
  ],
  [
    "`\\` then blanks",
    (d) => setRsyncModule(d, { name: "m", path: "/srv/m", comment: "x\\ \t", readOnly: false }),
    ["comment", "read only"],
  ],
  [
    "a list item rsync splits",
    (d) => setRsyncModule(d, { name: "a", path: "/srv/a", hostsAllow: ["10.0.0.1,10.0.0.2"] }),
    ["hosts allow"],
  ],
  [
    "an empty list item",
    (d) => setRsyncModule(d, { name: "a", path: "/srv/a", refuseOptions: ["", "delete"] }),
    ["refuse options"],
  ],
  [
    "a fractional integer atoi truncates",
    (d) => setRsyncModule(d, { name: "a", path: "/srv/a", maxConnections: 1.5 }),
    ["max connections"],
  ],
  ["`]` in a module name", (d) => setRsyncModule(d, { name: "x]y", path: "/srv/x" }), ["module name"]],
  ["a module name rsync trims", (d) => setRsyncModule(d, { name: " x", path: "/srv/x" }), ["module name"]],
  [
    "a module name that is [global]",
    (d) => setRsyncModule(d, { name: "Global", path: "/srv/x" }),
    ["module name", "path"],
  ],
  [
    "a `/` in a module name (fatal header)",
    (d) => setRsyncModule(d, { name: "a/b", path: "/srv/x" }),
    ["file", "module name"],
  ],
  [
    "extra text making a new line",
    (d) => setRsyncModule(d, { name: "a", path: "/srv/a", extra: { "max verbosity": "1\nread only = no" } }),
    ["read only"],
  ],
  [
    "a global value ending in `\\` swallowing a header",
    (d) =>
      setRsyncdGlobal(parseRsyncdDocument(`motd file = /etc/m\n${renderRsyncdDocument(d)}`), {
        port: 873,
        motdFile: "/etc/motd\\",
      }),
    ["motd file", "port"],
  ],
  [
    "a NUL in a value (rsync's line ends there)",
    (d) => setRsyncModule(d, { name: "a", path: "/srv/a", comment: "x\0y" }),
    ["file"],
  ],
];

test("hostile values the rules would refuse are also refused by the guard alone, naming the field", async (t) => {
  for (const [title, run, fields] of hostileCases) {
    await t.test(title, () => {
      const found = refusal(() => run(parseRsyncdDocument(BASE)));
      assert.ok(found.length > 0, "refused");
      assert.ok(
        found.every(([, rule]) => rule === "round-trip-mismatch"),
        JSON.stringify(found),
      );
      for (const field of fields)
        assert.ok(
          found.some(([f]) => f === field),
          `${field} in ${JSON.stringify(found)}`,
        );
    });
  }
});

test("allowed look-alikes pass the guard and read back as written", () => {
  const doc = parseRsyncdDocument(BASE);
  const model: RsyncModuleModel = {
    name: "a",
    path: "/srv/a",
    comment: "a\\b #c ;d [e] f=g",
    dontCompress: ["*.g\\z", "[x]"],
    hostsAllow: ["10.0.0.1"],
    refuseOptions: ["#delete", ";x"],
    exclude: "\\x \\",
    extra: {},
  };
  model.exclude = "\\x \\y";
  const sem = rsyncdSemantics(setRsyncModule(doc, model));
  assert.equal(rsyncdValue(sem, "comment", "a"), "a\\b #c ;d [e] f=g");
  assert.deepEqual(rsyncdList(sem, "dont compress", "a"), ["*.g\\z", "[x]"]);
  assert.deepEqual(rsyncdList(sem, "refuse options", "a"), ["#delete", ";x"]);
  assert.equal(rsyncdValue(sem, "exclude", "a"), "\\x \\y");
});

/**
 * Mutated renderers: each takes what the real edit wrote and changes it the way a renderer bug
 * would. Those that change what rsync reads must be refused; those that do not must pass.
 */
const mutations: Array<[string, (text: string) => string, boolean]> = [
  ["forgets the line break after `comment`", (s) => s.replace(/(comment = [^\n]*)\n/, "$1 "), true],
  ["writes a trailing `\\` after every value", (s) => s.replace(/^(\t[^\n]*= [^\n]*)$/gm, "$1\\"), true],
  ["forgets the `]` of the header", (s) => s.replace("[m]", "[m"), true],
  ["adds a `[global]` before the module's lines", (s) => s.replace("[m]\n", "[m]\n[global]\n"), true],
  ["drops the last line", (s) => s.replace(/\tuid = [^\n]*\n/, ""), true],
  ["writes `yes` as `true` and pads the `=`", (s) => s.replace("read only = yes", "read only   =   true"), false],
  [
    "joins list items with commas",
    (s) => s.replace("hosts allow = 10.0.0.1 10.0.0.2", "hosts allow = 10.0.0.1,10.0.0.2"),
    false,
  ],
  ["indents with spaces", (s) => s.replace(/^\t/gm, "    "), false],
];

test("a mutated renderer is caught: meaning-changing mutations are refused, harmless ones pass", async (t) => {
  const before = parseRsyncdDocument(BASE);
  const model: RsyncModuleModel = {
    name: "m",
    path: "/srv/m",
    comment: "c",
    readOnly: true,
    hostsAllow: ["10.0.0.1", "10.0.0.2"],
    uid: "nobody",
  };
  const correct = renderRsyncdDocument(setRsyncModule(before, model));
  assert.deepEqual(guardRsyncModuleEdit(before, parseRsyncdDocument(correct), model), []);
  for (const [title, mutate, changesMeaning] of mutations) {
    await t.test(title, () => {
      const mutated = mutate(correct);
      assert.notEqual(mutated, correct, "the mutation applies");
      const problems = guardRsyncModuleEdit(before, parseRsyncdDocument(mutated), model);
      assert.equal(problems.length > 0, changesMeaning, JSON.stringify(problems));
      assert.ok(problems.every((p) => p.rule === "round-trip-mismatch"));
    });
  }
  // The same for removal and the global part.
  const removed = renderRsyncdDocument(removeRsyncModule(before, "a"));
  assert.deepEqual(guardRsyncModuleRemoval(before, parseRsyncdDocument(removed), "a"), []);
  assert.ok(
    guardRsyncModuleRemoval(before, parseRsyncdDocument(removed.replace("read only = yes\n", "")), "a").length > 0,
  );
  assert.ok(
    guardRsyncModuleRemoval(before, parseRsyncdDocument(BASE), "a").length > 0,
    "a removal that removes nothing",
  );
  const global: RsyncdGlobalModel = { port: 873, motdFile: "/etc/motd" };
  const edited = renderRsyncdDocument(setRsyncdGlobal(before, global));
  assert.deepEqual(guardRsyncdGlobalEdit(before, parseRsyncdDocument(edited), global), []);
  assert.ok(
    guardRsyncdGlobalEdit(before, parseRsyncdDocument(edited.replace("port = 873\n", "port = 873\\\n")), global)
      .length > 0,
  );
});

// Hostile text: every character that means something to rsync's reader, and controls.
const hostileChar = fc.constantFrom(
  "a",
  "b",
  "/",
  " ",
  "\t",
  "\\",
  "\n",
  "\r",
  "[",
  "]",
  "#",
  ";",
  "=",
  ",",
  "&",
  "\0",
  "\v",
  "\u0085",
  "\u2028",
  "-",
);
const word = fc.stringMatching(/^[a-z0-9][a-z0-9.*_-]{0,6}$/);
const hostileText = fc.oneof(
  { arbitrary: word, weight: 3 },
  { arbitrary: fc.array(hostileChar, { maxLength: 6 }).map((chars) => chars.join("")), weight: 2 },
  { arbitrary: fc.tuple(word, hostileChar, word).map((parts) => parts.join("")), weight: 2 },
);
const hostileBool = fc.oneof(
  { arbitrary: fc.boolean(), weight: 5 },
  { arbitrary: fc.constant("no" as unknown as boolean), weight: 1 },
);
const hostileInt = fc.oneof(
  { arbitrary: fc.integer({ min: -5, max: 100 }), weight: 5 },
  { arbitrary: fc.constantFrom(1.5, 2 ** 40), weight: 1 },
);

function hostileField(param: RsyncParameter): fc.Arbitrary<unknown> {
  switch (param.kind) {
    case "bool":
      return hostileBool;
    case "int":
      return hostileInt;
    case "list":
      return fc.array(hostileText, { maxLength: 3 });
    case "string":
      return param.path ? hostileText.map((t) => `/${t}`) : hostileText;
  }
}

/** A few parameters (every one appears across runs), each with a value that may be hostile. */
function hostileModel(parameters: readonly RsyncParameter[]): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .subarray([...parameters], { maxLength: 4 })
    .chain((chosen) =>
      fc
        .tuple(...chosen.map(hostileField))
        .map((values) => Object.fromEntries(chosen.map((p, i) => [p.key, values[i]]))),
    );
}

const hostileModuleModel: fc.Arbitrary<RsyncModuleModel> = fc
  .tuple(
    fc.oneof({ arbitrary: fc.stringMatching(/^[a-z]{1,6}$/), weight: 4 }, { arbitrary: hostileText, weight: 1 }),
    hostileModel(MODULE_MODEL_PARAMETERS),
    fc.dictionary(fc.constantFrom("read only", "comment", "x-custom", "max connections", "name"), hostileText, {
      maxKeys: 2,
    }),
  )
  .map(([name, fields, extra]) => ({ name, ...fields, extra }) as RsyncModuleModel);

const hostileGlobalModel: fc.Arbitrary<RsyncdGlobalModel> = fc
  .tuple(
    hostileModel(GLOBAL_MODEL_PARAMETERS),
    fc.dictionary(fc.constantFrom("motd file", "x-custom"), hostileText, { maxKeys: 1 }),
  )
  .map(([fields, extra]) => ({ ...fields, extra }) as RsyncdGlobalModel);

/** The typed value of a field as rsync reads it from a semantic view. */
function readBack(sem: RsyncdSemantics, param: RsyncParameter, module?: string): unknown {
  switch (param.kind) {
    case "bool":
      return rsyncdBoolean(sem, param.name, module);
    case "int":
      return rsyncdInteger(sem, param.name, module);
    case "list":
      return rsyncdList(sem, param.name, module);
    case "string":
      return rsyncdValue(sem, param.name, module);
  }
}

function expected(param: RsyncParameter, value: unknown): unknown {
  return param.path && typeof value === "string" ? normalizeRsyncPath(value) : value;
}

function otherModules(sem: RsyncdSemantics, name: string): unknown {
  return sem.modules.filter((m) => rsyncNameKey(m.name) !== rsyncNameKey(name));
}

const outcome = guardOutcome<RsyncdDocument>;

test("property: no hostile module value yields a file rsync reads differently unless a rule or the guard refuses it", () => {
  let passedGuard = 0;
  let refusedByGuardOnly = 0;
  fc.assert(
    fc.property(plausibleFile, hostileModuleModel, (text, model) => {
      const doc = parseRsyncdDocument(text);
      const ruled = errorsOf(validateRsyncModule(model)).length > 0;
      if (listRsyncModules(doc).some((n) => n !== model.name && rsyncNameKey(n) === rsyncNameKey(model.name))) return;
      const result = outcome(() => setRsyncModule(doc, model));
      if (result === "refused") {
        if (!ruled) refusedByGuardOnly++;
        // A model every rule accepts means what it says: the guard has nothing to refuse.
        assert.ok(ruled, `the guard refused a model the rules accept: ${JSON.stringify(model)}`);
        return;
      }
      passedGuard++;
      // A rule refuses the model (at `check`, before any host is touched): nothing to hold it to.
      if (ruled) return;
      const before = rsyncdSemantics(doc);
      const after = rsyncdSemantics(result);
      assert.deepEqual(after.global, before.global);
      assert.deepEqual(otherModules(after, model.name), otherModules(before, model.name));
      assert.ok(
        after.modules.some((m) => m.name === model.name),
        "the module is served under its name",
      );
      for (const param of MODULE_MODEL_PARAMETERS) {
        const value = (model as unknown as Record<string, unknown>)[param.key];
        if (value !== undefined)
          assert.deepEqual(readBack(after, param, model.name), expected(param, value), param.name);
      }
    }),
    { numRuns: 1500 },
  );
  assert.ok(passedGuard > 100, `${passedGuard} edits passed the guard`);
  assert.equal(refusedByGuardOnly, 0);
});

test("property: hostile global values and module removals likewise", () => {
  fc.assert(
    fc.property(plausibleFile, hostileGlobalModel, (text, model) => {
      const doc = parseRsyncdDocument(text);
      const result = outcome(() => setRsyncdGlobal(doc, model));
      if (result === "refused") {
        assert.ok(
          errorsOf(validateRsyncdGlobal(model)).length > 0,
          `the guard refused a model the rules accept: ${JSON.stringify(model)}`,
        );
        return;
      }
      if (errorsOf(validateRsyncdGlobal(model)).length > 0) return;
      const after = rsyncdSemantics(result);
      assert.deepEqual(
        after.modules.map((m) => m.name),
        rsyncdSemantics(doc).modules.map((m) => m.name),
      );
      for (const param of GLOBAL_MODEL_PARAMETERS) {
        const value = (model as unknown as Record<string, unknown>)[param.key];
        if (value !== undefined) assert.deepEqual(readBack(after, param), expected(param, value), param.name);
      }
    }),
    { numRuns: 800 },
  );
  fc.assert(
    fc.property(plausibleFile, (text) => {
      const doc = parseRsyncdDocument(text);
      for (const name of listRsyncModules(doc)) {
        const after = rsyncdSemantics(removeRsyncModule(doc, name));
        assert.deepEqual(
          after.modules,
          rsyncdSemantics(doc).modules.filter((m) => rsyncNameKey(m.name) !== rsyncNameKey(name) && m.name !== name),
        );
      }
    }),
    { numRuns: 300 },
  );
});

test("renderRsyncdGlobal is guarded too", () => {
  assert.deepEqual(
    refusal(() => renderRsyncdGlobal({ pidFile: "/run/p\\", port: 873 })).map(([f]) => f),
    ["pid file", "port"],
  );
  assert.equal(renderRsyncdGlobal({ pidFile: "/run/p", port: 873 }), "pid file = /run/p\nport = 873\n");
});
