/** systemd's value rules: word splitting, quoting, C escapes, specifiers, `ExecStart=` prefixes, `;` and `$`. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { extractWords, parseExecStart, resolveSpecifiers } from "../../../src/formats/systemd";

const wordCases: Array<[string, unknown]> = [
  ["a b\tc", ["a", "b", "c"]],
  ["\"a b\" 'c d'", ["a b", "c d"]],
  ['a"b c"d', ["ab cd"]],
  ['"a\\"b" "x\\\\y"', ['a"b', "x\\y"]],
  ["\\x41\\u00e9\\s\\t", ["Aé \t"]],
  ['""', [""]],
  ["\\q", { error: "bad-escape" }],
  ['"open', { error: "unclosed-quote" }],
  ["\\x00", { error: "bad-escape" }],
];

test("extract_first_word with unquoting and C escapes", () => {
  for (const [raw, want] of wordCases) {
    const got = extractWords(raw);
    if (Array.isArray(want)) assert.deepEqual(got, want, raw);
    else assert.equal((got as { error: string }).error, (want as { error: string }).error, raw);
  }
});

test("specifiers: only `%%` is literal", () => {
  assert.equal(resolveSpecifiers("100%%"), "100%");
  assert.equal((resolveSpecifiers("%i") as { error: string }).error, "specifier");
});

const execCases: Array<[string, unknown]> = [
  ["/bin/echo a b", [{ prefixes: "", path: "/bin/echo", argv: ["/bin/echo", "a", "b"] }]],
  ["-@/bin/echo name a", [{ prefixes: "-@", path: "/bin/echo", argv: ["name", "a"] }]],
  ['-"/usr/bin/my prog" x', [{ prefixes: "-", path: "/usr/bin/my prog", argv: ["/usr/bin/my prog", "x"] }]],
  [
    "/bin/a x ; /bin/b",
    [
      { prefixes: "", path: "/bin/a", argv: ["/bin/a", "x"] },
      { prefixes: "", path: "/bin/b", argv: ["/bin/b"] },
    ],
  ],
  ['/bin/a ";" x;', [{ prefixes: "", path: "/bin/a", argv: ["/bin/a", ";", "x;"] }]],
  ["/bin/a $$HOME 50%%", [{ prefixes: "", path: "/bin/a", argv: ["/bin/a", "$HOME", "50%"] }]],
  ["//bin/./a", [{ prefixes: "", path: "/bin/a", argv: ["//bin/./a"] }]],
  ["/bin/a $HOME", { error: "variable" }],
  ["/bin/a %i", { error: "specifier" }],
  ["/bin/a\\ b", { error: "bad-escape" }],
  ["/bin/a\\\\b", { error: "bad-path" }],
];

test("ExecStart= as systemd reads it", () => {
  for (const [raw, want] of execCases) {
    const got = parseExecStart(raw);
    if (Array.isArray(want)) assert.deepEqual(got, want, raw);
    else assert.equal((got as { error: string }).error, (want as { error: string }).error, raw);
  }
});
