import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parseRsyncdDocument, renderRsyncdDocument } from "../../../src/formats/rsyncd";
import { plausibleFile } from "./arbitraries";

const FIXTURES = join(__dirname, "../../fixtures/rsyncd");

const kinds: Array<[text: string, expected: Array<[kind: string, raw: string]>]> = [
  ["", []],
  ["\n", [["blank", "\n"]]],
  ["  \t", [["blank", "  \t"]]],
  [
    "# c\n; d\n",
    [
      ["comment", "# c\n"],
      ["comment", "; d\n"],
    ],
  ],
  ["[m] x\r\n", [["section", "[m] x\r\n"]]],
  ["a = b", [["parameter", "a = b"]]],
  [
    "a = b \\\n  c\nd = e\n",
    [
      ["parameter", "a = b \\\n  c\n"],
      ["parameter", "d = e\n"],
    ],
  ],
  ["&include /x\n", [["directive", "&include /x\n"]]],
  ["no equals\n", [["invalid", "no equals\n"]]],
  ["= x\n", [["invalid", "= x\n"]]],
  ["[a\n", [["section", "[a\n"]]],
];

test("entries keep their raw text", async (t) => {
  for (const [text, expected] of kinds) {
    await t.test(JSON.stringify(text), () => {
      const doc = parseRsyncdDocument(text);
      assert.deepEqual(
        doc.entries.map((e) => [e.kind, e.raw]),
        expected,
      );
    });
  }
});

const reads: Array<[text: string, name: string, value: string]> = [
  ["  Read   Only  =  no  \n", "Read Only", "no"],
  ['comment = "hi" ; # kept\n', "comment", '"hi" ; # kept'],
  ["comment = a \\\n   b\n", "comment", "a    b"],
  ["comment = a\r\n", "comment", "a"],
  ["comment = a\\", "comment", "a\\"],
  ["\\ comment = x\n", "comment", "x"],
  ["a=b=c\n", "a", "b=c"],
];

test("parameters read as rsync reads them", async (t) => {
  for (const [text, name, value] of reads) {
    await t.test(JSON.stringify(text), () => {
      const entry = parseRsyncdDocument(text).entries[0];
      assert.ok(entry?.kind === "parameter");
      assert.equal(entry.name, name);
      assert.equal(entry.value, value);
    });
  }
});

test("section names are trimmed and collapsed; [global] in any spelling switches back", () => {
  const doc = parseRsyncdDocument("[  a \t b ] tail\n[ Glo Bal ]\n");
  const [a, global] = doc.entries;
  assert.ok(a?.kind === "section" && global?.kind === "section");
  assert.equal(a.name, "a b");
  assert.equal(a.isGlobal, false);
  assert.equal(global.isGlobal, true);
});

test("directives split at the first blank", () => {
  const entry = parseRsyncdDocument("&merge = /etc/x.inc\n").entries[0];
  assert.ok(entry?.kind === "directive");
  assert.equal(entry.directive, "&merge");
  assert.equal(entry.value, "/etc/x.inc");
});

const parseProblems: Array<[text: string, rule: string, line: number, column: number]> = [
  ["[a/b]\n", "module-name-slash", 1, 1],
  ["\n  []\n", "module-name-empty", 2, 3],
  ["[open\n", "section-unterminated", 1, 1],
  ["[open", "section-unterminated", 1, 1],
  ["x\n  no equals\n", "badly-formed-line", 1, 1],
  ["= v\n", "empty-parameter-name", 1, 1],
  ["&inclde /x\n", "unknown-directive", 1, 1],
  ["a = b\0c\n", "nul-character", 1, 6],
];

test("parse problems carry a rule and a position", async (t) => {
  for (const [text, rule, line, column] of parseProblems) {
    await t.test(rule, () => {
      const found = parseRsyncdDocument(text).problems.find((p) => p.rule === rule);
      assert.ok(found, JSON.stringify(parseRsyncdDocument(text).problems));
      assert.deepEqual(found.position, { line, column });
    });
  }
});

test("later entries know their line", () => {
  const doc = parseRsyncdDocument("a = b \\\n c\n\n[m]\n");
  assert.deepEqual(
    doc.entries.map((e) => e.line),
    [1, 3, 4],
  );
});

test("every fixture round-trips byte for byte", async (t) => {
  const files = readdirSync(FIXTURES).map((f) => join(FIXTURES, f));
  if (existsSync("/usr/share/doc/rsync/examples/rsyncd.conf")) files.push("/usr/share/doc/rsync/examples/rsyncd.conf");
  for (const file of files) {
    await t.test(file, () => {
      const text = readFileSync(file, "utf8");
      assert.equal(renderRsyncdDocument(parseRsyncdDocument(text)), text);
    });
  }
});

test("render(parse(s)) === s for arbitrary strings", () => {
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.constantFrom("a", " ", "\t", "\r", "\n", "\\", "[", "]", "=", "#", ";", "&", "/", "\0", "é"),
      }),
      (s) => {
        assert.equal(renderRsyncdDocument(parseRsyncdDocument(s)), s);
      },
    ),
    { numRuns: 400 },
  );
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => renderRsyncdDocument(parseRsyncdDocument(s)) === s),
    { numRuns: 300 },
  );
});

test("render(parse(s)) === s for plausible files", () => {
  fc.assert(
    fc.property(plausibleFile, (s) => renderRsyncdDocument(parseRsyncdDocument(s)) === s),
    { numRuns: 300 },
  );
});
