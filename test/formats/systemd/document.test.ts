/**
 * The lossless unit-file document and systemd's reading of it: exact round trips over a small
 * corpus and arbitrary strings, and systemd.syntax(7)'s rules one row each.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import {
  effectiveValue,
  listValue,
  parseEnvironment,
  parseExecStart,
  parseUnitDocument,
  readUnitDocument,
  renderUnitDocument,
} from "../../../src/formats/systemd";

const FIXTURES = join(__dirname, "../../fixtures/systemd");

test("every fixture renders back byte for byte and parses without errors", () => {
  const names = readdirSync(FIXTURES);
  assert.ok(names.length >= 6);
  for (const name of names) {
    const text = readFileSync(join(FIXTURES, name), "utf8");
    const doc = parseUnitDocument(text);
    assert.equal(renderUnitDocument(doc), text, name);
    assert.equal(doc.fatal, false, name);
    assert.deepEqual(
      doc.problems.filter((p) => p.severity === "error"),
      [],
      name,
    );
  }
});

test("arbitrary text renders back byte for byte", () => {
  const unitish = fc.string({
    unit: fc.constantFrom("[", "]", "=", "\\", "#", ";", " ", "\t", "\n", "\r", "\0", "a", "K", '"', "%"),
  });
  fc.assert(
    fc.property(fc.oneof(fc.string(), unitish), (text) => {
      assert.equal(renderUnitDocument(parseUnitDocument(text)), text);
    }),
    { numRuns: 2000 },
  );
});

test("the odd fixture reads as systemd reads it: spacing, continuation over a comment, CRLF, reset", () => {
  const { reading } = readUnitDocument(parseUnitDocument(readFileSync(join(FIXTURES, "odd.service"), "utf8")));
  assert.equal(effectiveValue(reading, "Unit", "Description"), "spaced   out");
  const exec = parseExecStart(listValue(reading, "Service", "ExecStart")[0]!);
  assert.deepEqual(exec, [{ prefixes: "", path: "/bin/echo", argv: ["/bin/echo", "one", "two", "three four"] }]);
  assert.deepEqual(parseEnvironment(listValue(reading, "Service", "Environment")[0]!), ["A=1", "B=2"]);
  assert.deepEqual(listValue(reading, "Service", "User"), ["daemon"]);
});

const syntaxCases: Array<[string, string, (r: ReturnType<typeof readUnitDocument>) => void]> = [
  [
    "`#` and `;` comments only at line start",
    "[S]\nA=1 # not a comment\n;B=2\n  #C=3\n",
    ({ reading }) => {
      assert.deepEqual(listValue(reading, "S", "A"), ["1 # not a comment"]);
      assert.equal(reading.get("S")!.has("B"), false);
      assert.equal(reading.get("S")!.has("C"), false);
    },
  ],
  [
    "a trailing `\\` joins the next line with a blank",
    "[S]\nA=x\\\ny\n",
    ({ reading }) => assert.deepEqual(listValue(reading, "S", "A"), ["x y"]),
  ],
  [
    "a doubled `\\` at the end joins nothing",
    "[S]\nA=x\\\\\nB=y\n",
    ({ reading }) => {
      assert.deepEqual(listValue(reading, "S", "A"), ["x\\\\"]);
      assert.deepEqual(listValue(reading, "S", "B"), ["y"]);
    },
  ],
  [
    "a comment ending in `\\` continues nothing",
    "[S]\n# c \\\nA=1\n",
    ({ reading }) => assert.deepEqual(listValue(reading, "S", "A"), ["1"]),
  ],
  [
    "a continuation can build a key and a section header",
    "[S\\\n]\nA\\\n=1\n",
    ({ reading }) => assert.deepEqual(listValue(reading, "S ", "A"), ["1"]),
  ],
  [
    "an empty assignment resets, repeats accumulate",
    "[S]\nA=1\nA=2\nA=\nA=3\nA=4\n",
    ({ reading }) => assert.deepEqual(listValue(reading, "S", "A"), ["3", "4"]),
  ],
  [
    "blanks around `=` and at the ends are stripped",
    "[S]\n  A  =  v w  \t\n",
    ({ reading }) => assert.deepEqual(listValue(reading, "S", "A"), ["v w"]),
  ],
  [
    "a lone CR ends a line",
    "[S]\nA=1\rB=2\n",
    ({ reading }) => {
      assert.deepEqual(listValue(reading, "S", "A"), ["1"]);
      assert.deepEqual(listValue(reading, "S", "B"), ["2"]);
    },
  ],
  ["a NUL ends a line", "[S]\nA=1\0B=2\n", ({ reading }) => assert.deepEqual(listValue(reading, "S", "B"), ["2"])],
  [
    "assignments before any section are ignored",
    "A=1\n[S]\n",
    ({ reading }) =>
      assert.equal(
        [...reading.values()].some((keys) => keys.has("A")),
        false,
      ),
  ],
  ["a broken section header makes the whole file fatal", "[S]\nA=1\n[T\n", ({ fatal }) => assert.equal(fatal, true)],
  [
    "a file ending inside a continuation keeps what it gathered",
    "[S]\nA=1 \\",
    ({ reading }) => assert.deepEqual(listValue(reading, "S", "A"), ["1"]),
  ],
  [
    "a BOM before the first line is skipped",
    "\uFEFF[S]\nA=1\n",
    ({ reading }) => assert.deepEqual(listValue(reading, "S", "A"), ["1"]),
  ],
];

test("systemd.syntax(7) rules", async (t) => {
  for (const [title, text, check] of syntaxCases) {
    await t.test(title, () => {
      const doc = parseUnitDocument(text);
      assert.equal(renderUnitDocument(doc), text);
      check(readUnitDocument(doc));
    });
  }
});
