import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import {
  applyXinetdService,
  parseXinetdDocument,
  readXinetdService,
  renderXinetdDocument,
  splitXinetdValues,
} from "../../../src/formats/xinetd";
import { plausibleFile } from "./generators";

const FIXTURES = join(__dirname, "../../fixtures/xinetd");

function realFiles(): string[] {
  const files = ["/etc/xinetd.conf"];
  try {
    for (const name of readdirSync("/etc/xinetd.d")) files.push(join("/etc/xinetd.d", name));
  } catch {
    // no xinetd on this machine: the fixtures still run
  }
  for (const name of readdirSync(FIXTURES)) files.push(join(FIXTURES, name));
  return files.filter((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

for (const file of realFiles()) {
  test(`round trip ${file}`, () => {
    const text = readFileSync(file, "latin1");
    assert.equal(renderXinetdDocument(parseXinetdDocument(text)), text);
  });
}

test("render(parse(s)) === s for arbitrary strings", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 300 }),
      (s) => renderXinetdDocument(parseXinetdDocument(s)) === s,
    ),
    { numRuns: 400 },
  );
});

test("render(parse(s)) === s for plausible files", () => {
  fc.assert(
    fc.property(plausibleFile, (s) => renderXinetdDocument(parseXinetdDocument(s)) === s),
    { numRuns: 300 },
  );
});

test("structure of a main file: defaults, include, includedir", () => {
  const doc = parseXinetdDocument(readFileSync(join(FIXTURES, "main.conf"), "utf8"));
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(
    doc.blocks.map((b) => [b.kind, b.name, b.header, b.open, b.close]),
    [["defaults", "", 1, 2, 8]],
  );
  assert.deepEqual(doc.includes, [
    { kind: "include", path: "/etc/xinetd.d/extra", line: 10 },
    { kind: "includedir", path: "/etc/xinetd.d", line: 11 },
  ]);
});

test("attribute parts keep their raw text", () => {
  const doc = parseXinetdDocument("service a\n{\n\tName\t\t+=  x   y\n}");
  const line = doc.lines[2]!;
  assert.equal(line.kind, "attribute");
  assert.deepEqual(line.attribute, {
    indent: "\t",
    name: "Name",
    gap: "\t\t",
    operator: "+=",
    afterOperator: "  ",
    values: [
      { text: "x", column: 12 },
      { text: "y", column: 16 },
    ],
  });
  assert.equal(doc.lines[3]!.newline, "");
});

const SYNTAX_CASES: Array<[string, string, string, number, number]> = [
  ["no blank before operator", "service a\n{\n\tport=873\n}\n", "no-blank-before-operator", 3, 6],
  ["brace on header line", "service a {\n\twait = no\n}\n", "brace-on-header-line", 1, 11],
  ["missing open brace", "service a {\n\twait = no\n}\n", "missing-open-brace", 2, 2],
  ["open brace inside a block", "service a\n{\n{\n}\n", "brace-not-alone", 3, 1],
  ["brace with text", "service a\n{\n\twait = no\n} x\n}\n", "brace-not-alone", 4, 1],
  ["stray top-level line", "port = 1\nservice a\n{\n}\n", "stray-line", 1, 1],
  ["swallowed service", "port = 1\nservice a\n{\n}\n", "swallowed-entry", 2, 1],
  ["trailing comment", "service a\n{\n\twait = no # x\n}\n", "trailing-comment", 3, 12],
  ["carriage return", "service a\r\n{\r\n\twait = no\r\n}\r\n", "carriage-return", 1, 10],
  ["line too long", `service a\n{\n\tserver_args = ${"x".repeat(17000)}\n}\n`, "line-too-long", 3, 1],
  ["relative include", "includedir etc/xinetd.d\n", "relative-include", 1, 12],
  ["unclosed block", "service a\n{\n\twait = no\n", "unclosed-block", 1, 1],
  ["missing operator", "service a\n{\n\twait\n}\n", "missing-operator", 3, 2],
  ["bad operator", "service a\n{\n\twait * no\n}\n", "bad-operator", 3, 7],
  ["service without name", "service\n{\n}\n", "service-name-missing", 1, 1],
  ["two defaults", "defaults\n{\n}\ndefaults\n{\n}\n", "duplicate-defaults", 4, 1],
];

for (const [title, text, rule, line, column] of SYNTAX_CASES) {
  test(`syntax: ${title}`, () => {
    const doc = parseXinetdDocument(text);
    const found = doc.problems.find((p) => p.rule === rule);
    assert.ok(found, `expected ${rule} in ${JSON.stringify(doc.problems)}`);
    assert.deepEqual(found.position, { line, column });
    assert.equal(renderXinetdDocument(doc), text);
  });
}

test("a stray line makes the next service part of the skip", () => {
  const doc = parseXinetdDocument("foo = bar\nservice a\n{\n\twait = no\n}\nservice b\n{\n}\n");
  assert.deepEqual(
    doc.blocks.map((b) => b.name),
    ["b"],
  );
  assert.deepEqual(
    doc.lines.slice(0, 5).map((l) => l.kind),
    ["skipped", "skipped", "skipped", "skipped", "skipped"],
  );
});

test("fixtures read back and re-apply unchanged", () => {
  for (const name of ["rsync", "mixed"]) {
    const text = readFileSync(join(FIXTURES, name), "utf8");
    const doc = parseXinetdDocument(text);
    const { model, problems } = readXinetdService(doc);
    assert.deepEqual(problems, []);
    assert.equal(renderXinetdDocument(applyXinetdService(doc, model)), text);
  }
});

test("splitXinetdValues gives the tokens the parser reads after `server_args =` (blanks and tabs only, no quoting)", () => {
  assert.deepEqual(splitXinetdValues(" --daemon\t\t--config=/etc/rsyncd.conf  \"two words\" 'q' "), [
    "--daemon",
    "--config=/etc/rsyncd.conf",
    '"two',
    'words"',
    "'q'",
  ]);
  assert.deepEqual(splitXinetdValues(" \t "), []);
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom("a", "-", "=", "/", '"', "\\", " ", "\t", "x")).map((chars) => chars.join("")),
      (line) => {
        const file = `service s\n{\n\tserver_args = ${line}\n}\n`;
        const read = parseXinetdDocument(file).lines.find((l) => l.attribute?.name === "server_args");
        assert.deepEqual(
          splitXinetdValues(line),
          read?.attribute?.values.map((token) => token.text),
        );
      },
    ),
  );
});
