import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";

import { shellQuote } from "../../src/remote/shell";

/** What /bin/sh makes of a command line: each argument as printf prints it, NUL-separated. */
function argumentsSeenBySh(commandLine: string): string[] {
  const result = spawnSync("/bin/sh", ["-c", `printf '%s\\0' ${commandLine}`], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split("\0").slice(0, -1);
}

const cases: Array<[name: string, arg: string, quoted: string]> = [
  ["plain word", "rsyncd.conf", "rsyncd.conf"],
  ["path", "/etc/xinetd.d/tftp", "/etc/xinetd.d/tftp"],
  ["empty string", "", "''"],
  ["blank", "a b", "'a b'"],
  ["tab and leading blank", " \tx", "' \tx'"],
  ["single quote", "it's", "'it'\\''s'"],
  ["only a single quote", "'", "''\\'''"],
  ["double quotes", '"x"', `'"x"'`],
  ["command substitution", "$(rm -rf /)", "'$(rm -rf /)'"],
  ["backticks", "`id`", "'`id`'"],
  ["variable", "$HOME", "'$HOME'"],
  ["semicolon", "a;b", "'a;b'"],
  ["newline", "line1\nline2", "'line1\nline2'"],
  ["glob", "*.conf", "'*.conf'"],
  ["tilde", "~root", "'~root'"],
  ["assignment-like", "A=b", "'A=b'"],
  ["backslash", "a\\b", "'a\\b'"],
  ["non-ASCII", "größe-日本", "'größe-日本'"],
  ["dash option", "-rf", "-rf"],
];

describe("shellQuote", () => {
  for (const [name, arg, quoted] of cases) {
    test(`${name}: ${JSON.stringify(arg)}`, () => {
      assert.equal(shellQuote(arg), quoted);
      assert.deepEqual(argumentsSeenBySh(shellQuote(arg)), [arg]);
    });
  }

  test("refuses a NUL byte, which no argument can carry", () => {
    assert.throws(() => shellQuote("a\0b"), TypeError);
  });
});
