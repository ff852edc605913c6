/**
 * The round-trip guard on xinetd files: an edited or rendered file xinetd would read differently
 * from the model is refused naming the attribute; a file that means the model never is.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { errorsOf } from "../../../src/formats/problems";
import {
  ATTRIBUTE_KEYS,
  applyXinetdService,
  attributeByKey,
  parseXinetdDocument,
  readXinetdService,
  renderXinetdDocument,
  renderXinetdService,
  validateXinetdService,
  type XinetdAttributeKey,
  type XinetdDocument,
  type XinetdServiceModel,
} from "../../../src/formats/xinetd";
import { guardXinetdEdit } from "../../../src/formats/xinetd/guard";
import { plausibleFile } from "./generators";
import { guardOutcome, refusal } from "../../support/guard-outcome";

const RSYNC: XinetdServiceModel = {
  name: "rsync",
  socketType: "stream",
  wait: false,
  user: "root",
  server: "/usr/bin/rsync",
  serverArgs: ["--daemon"],
};
const OTHER =
  "service other\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /bin/true\n\tonly_from = 10.0.0.1\n}\n";
const FILE = `${renderXinetdService(RSYNC)}\n${OTHER}`;

const hostileCases: Array<[string, Partial<XinetdServiceModel>, string[]]> = [
  ["a blank inside a token", { serverArgs: ["--config=/etc/my file"] }, ["server_args"]],
  ["a TAB inside a token", { user: "ro\tot" }, ["user"]],
  ["a line break closing the entry early", { serverArgs: ["a\n}\nfoo = bar"] }, ["server_args"]],
  ["a line break adding an attribute", { user: "root\nonly_from = 0.0.0.0" }, ["user", "only_from"]],
  ["a CR inside a token", { server: "/bin/true\r" }, ["server"]],
  ["a NUL inside a token (C strings end there)", { serverArgs: ["a\0b"] }, ["server_args"]],
  ["a token starting with #", { serverArgs: ["#x"] }, ["server_args"]],
  ["an empty token", { group: "" }, ["group"]],
  ["a line over xinetd's 16 KiB", { serverArgs: ["x".repeat(17_000)] }, ["server_args"]],
  ["an extra attribute name with an operator", { extra: { "x=y": ["1"] } }, ["x=y"]],
];

test("hostile values are refused by the guard alone (rules bypassed), naming the attribute", async (t) => {
  for (const [title, change, fields] of hostileCases) {
    await t.test(title, () => {
      const model = { ...RSYNC, ...change } as XinetdServiceModel;
      for (const run of [
        () => renderXinetdService(model),
        () => applyXinetdService(parseXinetdDocument(FILE), model),
      ]) {
        const found = refusal(run);
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
      }
    });
  }
});

test("look-alikes xinetd reads as written pass: braces, `+=`, `=`, `\\` inside tokens", () => {
  const model: XinetdServiceModel = {
    ...RSYNC,
    serverArgs: ["}", "{", "+=", "-=", "a=b", "a\\b", "x{y}"],
    env: ["A=}"],
  };
  const edited = applyXinetdService(parseXinetdDocument(FILE), model);
  assert.deepEqual(readXinetdService(edited, "rsync").model, model);
  assert.deepEqual(
    readXinetdService(edited, "other").model,
    readXinetdService(parseXinetdDocument(FILE), "other").model,
  );
});

const mutations: Array<[string, (text: string) => string, boolean]> = [
  ["writes `name=value` without a blank", (s) => s.replace("\tuser        = root", "\tuser= root"), true],
  ["writes `{` on the header line", (s) => s.replace("service rsync\n{", "service rsync {"), true],
  ["forgets the closing `}`", (s) => s.replace("--port=1\n}\n", "--port=1\n"), true],
  ["joins two values with a comma", (s) => s.replace("--daemon --port=1", "--daemon,--port=1"), true],
  ["drops an attribute line", (s) => s.replace("\twait        = no\n", ""), true],
  ["writes CRLF line ends", (s) => s.replace(/\n/g, "\r\n"), true],
  ["aligns with tabs instead of spaces", (s) => s.replace(/ +=/g, "\t="), false],
  ["writes yes/no in upper case", (s) => s.replace("wait        = no", "wait        = NO"), false],
];

test("a mutated renderer is caught: meaning-changing mutations are refused, harmless ones pass", async (t) => {
  const model = { ...RSYNC, serverArgs: ["--daemon", "--port=1"] };
  const before = parseXinetdDocument(FILE);
  const correct = renderXinetdDocument(applyXinetdService(before, model));
  assert.deepEqual(guardXinetdEdit(before, 0, parseXinetdDocument(correct), model), []);
  for (const [title, mutate, changesMeaning] of mutations) {
    await t.test(title, () => {
      const mutated = mutate(correct);
      assert.notEqual(mutated, correct, "the mutation applies");
      const problems = guardXinetdEdit(before, 0, parseXinetdDocument(mutated), model);
      assert.equal(problems.length > 0, changesMeaning, JSON.stringify(problems));
    });
  }
});

const hostileChar = fc.constantFrom(
  "a",
  "1",
  "/",
  " ",
  "\t",
  "\\",
  "\n",
  "\r",
  "{",
  "}",
  "#",
  "=",
  "+",
  ",",
  "\0",
  "\v",
  "\u2028",
);
const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_./:=-]{0,8}$/);
const hostileToken = fc.oneof(
  { arbitrary: word, weight: 4 },
  { arbitrary: fc.array(hostileChar, { maxLength: 5 }).map((c) => c.join("")), weight: 2 },
  { arbitrary: fc.tuple(word, hostileChar, word).map((p) => p.join("")), weight: 2 },
);
const tokens = fc.array(hostileToken, { minLength: 1, maxLength: 3 });

/** A value of the shape each attribute takes, with hostile tokens where it takes text. */
function hostileValue(key: XinetdAttributeKey): fc.Arbitrary<unknown> {
  const spec = attributeByKey(key);
  if (["disable", "wait", "groups", "v6only"].includes(key)) return fc.boolean();
  if (key === "port") return fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constant(8.5));
  if (key === "redirect") return fc.record({ host: hostileToken, port: fc.integer({ min: 1, max: 65535 }) });
  if (key === "cps") return fc.tuple(fc.nat(50), fc.nat(50));
  if (key === "logType")
    return fc.oneof(
      fc.record({ kind: fc.constant("FILE"), path: hostileToken.map((t) => `/${t}`) }),
      fc.constant({ kind: "SYSLOG", facility: "daemon" }),
    );
  if (spec.count === "modifiable") return fc.oneof(tokens, fc.record({ add: tokens }, { requiredKeys: ["add"] }));
  if (spec.count === "list") return tokens;
  return hostileToken;
}

const hostileModel: fc.Arbitrary<XinetdServiceModel> = fc
  .tuple(
    fc.subarray([...ATTRIBUTE_KEYS], { maxLength: 4 }),
    fc.dictionary(fc.constantFrom("x-note", "X-Other"), tokens, { maxKeys: 1 }),
  )
  // Through JSON: plain objects, as the engine passes inputs (fast-check builds null-prototype ones).
  .chain(([keys, extra]) =>
    fc.tuple(...keys.map(hostileValue)).map(
      (values) =>
        JSON.parse(
          JSON.stringify({
            ...RSYNC,
            ...Object.fromEntries(keys.map((k, i) => [k, values[i]])),
            extra,
          }),
        ) as XinetdServiceModel,
    ),
  );

const outcome = guardOutcome<XinetdDocument>;

test("property: no hostile value yields a file xinetd reads differently unless a rule or the guard refuses it", () => {
  let passed = 0;
  fc.assert(
    fc.property(fc.oneof(fc.constant(FILE), plausibleFile), hostileModel, (text, model) => {
      const doc = parseXinetdDocument(text);
      const ruled = errorsOf(validateXinetdService(model)).length > 0;
      const result = outcome(() => applyXinetdService(doc, model));
      if (result === "refused") {
        // A model the rules accept is refused only where the file is already broken (an unclosed
        // entry at its end would swallow the appended one).
        assert.ok(
          ruled || errorsOf(doc.problems).length > 0,
          `the guard refused a model the rules accept: ${JSON.stringify(model)}`,
        );
        return;
      }
      passed++;
      if (ruled) return;
      // The edited entry reads as the model; every other entry as before.
      const block =
        doc.blocks.find((b) => b.kind === "service" && b.name === model.name) ??
        doc.blocks.find((b) => b.kind === "service");
      const { extra, ...typed } = model;
      assert.deepEqual(
        readXinetdService(result, model.name).model,
        Object.keys(extra ?? {}).length > 0 ? model : typed,
      );
      const others = (d: XinetdDocument, skip: number) =>
        d.blocks
          .filter((_, i) => i !== skip)
          .map(
            (b, i) => readXinetdService({ ...d, blocks: d.blocks.filter((_, j) => j !== skip).slice(i) }, b.name).model,
          );
      const editedIndex = block === undefined ? -1 : doc.blocks.indexOf(block);
      assert.deepEqual(
        others(result, editedIndex < 0 ? result.blocks.length - 1 : editedIndex),
        others(doc, editedIndex),
      );
    }),
    { numRuns: 1500 },
  );
  assert.ok(passed > 100, `${passed} edits passed the guard`);
});
