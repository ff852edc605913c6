import { test } from "node:test";
import assert from "node:assert/strict";
import { FormatError } from "../../../src/formats/problems";
import {
  parseRsyncdDocument,
  validateRsyncdDocument,
  validateRsyncdDocumentOrThrow,
  validateRsyncdGlobal,
  validateRsyncdGlobalOrThrow,
  validateRsyncModule,
  validateRsyncModuleOrThrow,
  type RsyncdGlobalModel,
  type RsyncModuleModel,
} from "../../../src/formats/rsyncd";

const ok: RsyncModuleModel = { name: "backup", path: "/srv/backup" };

// [title, module model, field, rule]
const moduleCases: Array<[string, RsyncModuleModel, string, string]> = [
  ["empty name", { ...ok, name: "" }, "module name", "module-name-empty"],
  ["slash in name", { ...ok, name: "a/b" }, "module name", "module-name-slash"],
  ["bracket in name", { ...ok, name: "a]b" }, "module name", "module-name-bracket"],
  ["reserved name", { ...ok, name: "Global" }, "module name", "module-name-reserved"],
  ["reserved name with blanks", { ...ok, name: "glo bal" }, "module name", "module-name-reserved"],
  ["outer blanks in name", { ...ok, name: " backup" }, "module name", "module-name-outer-blanks"],
  ["inner blank run in name", { ...ok, name: "my  backup" }, "module name", "module-name-inner-blanks"],
  ["tab in name", { ...ok, name: "my\tbackup" }, "module name", "module-name-inner-blanks"],
  ["newline in name", { ...ok, name: "a\nb" }, "module name", "module-name-newline"],
  ["dash-led name", { ...ok, name: "-rf" }, "module name", "module-name-dash"],
  ["unknown extra with hint", { ...ok, extra: { read_only: "no" } }, "read_only", "unknown-parameter"],
  ["global-only parameter in a module", { ...ok, extra: { port: "873" } }, "port", "global-parameter-in-module"],
  ["bad boolean in extra", { ...ok, extra: { "read only": "maybe" } }, "read only", "bad-boolean"],
  ["non-boolean field", { ...ok, readOnly: "no" as unknown as boolean }, "read only", "bad-boolean"],
  ["integer atoi reads as 0", { ...ok, extra: { "max connections": "abc" } }, "max connections", "bad-integer"],
  ["integer atoi truncates", { ...ok, extra: { timeout: "10x" } }, "timeout", "bad-integer"],
  ["empty integer", { ...ok, extra: { timeout: "" } }, "timeout", "bad-integer"],
  ["integer with a leading blank", { ...ok, extra: { "max verbosity": " 5" } }, "max verbosity", "bad-integer"],
  ["fractional integer field", { ...ok, maxConnections: 1.5 }, "max connections", "bad-integer"],
  ["newline in a value", { ...ok, comment: "a\nb" }, "comment", "value-newline"],
  ["outer blanks in a value", { ...ok, comment: "hi " }, "comment", "value-outer-blanks"],
  ["trailing backslash", { ...ok, comment: "C:\\" }, "comment", "value-continuation"],
  ["path with trailing slash", { ...ok, path: "/srv/backup/" }, "path", "path-trailing-slash"],
  ["relative path", { ...ok, path: "srv/backup" }, "path", "path-not-absolute"],
  ["empty path", { ...ok, path: "" }, "path", "path-not-absolute"],
  ["auth users without secrets file", { ...ok, authUsers: ["bob"] }, "auth users", "auth-users-without-secrets"],
  ["list entry with a blank", { ...ok, refuseOptions: ["delete x"] }, "refuse options", "list-entry"],
  ["list entry with a comma", { ...ok, hostsAllow: ["10.0.0.1,10.0.0.2"] }, "hosts allow", "list-entry"],
  ["empty list entry", { ...ok, authUsers: [""], secretsFile: "/etc/s" }, "auth users", "list-entry"],
  ["field set twice", { ...ok, readOnly: true, extra: { "read only": "no" } }, "read only", "extra-conflict"],
  ["name in extra", { ...ok, extra: { name: "other" } }, "name", "name-in-extra"],
  ["unwritable parameter name", { ...ok, extra: { "a = b": "c" } }, "a = b", "bad-parameter-name"],
  ["unknown syslog facility", { ...ok, syslogFacility: "daemons" }, "syslog facility", "bad-syslog-facility"],
  ["missing path", { name: "backup" }, "path", "missing-path"],
  ["wrong list type", { ...ok, hostsDeny: "10.0.0.1" as unknown as string[] }, "hosts deny", "type"],
  // A trailing `\` joins the next line: the attack and its variants.
  [
    "list item ending in \\ (issue 8)",
    { ...ok, dontCompress: ["*.gz\\"], hostsAllow: ["192.0.2.1"] },
    "dont compress",
    "value-continuation",
  ],
  ["user ending in \\", { ...ok, authUsers: ["alice\\"], secretsFile: "/etc/s" }, "auth users", "value-continuation"],
  ["list item that is \\", { ...ok, refuseOptions: ["\\", "delete"] }, "refuse options", "value-continuation"],
  ["value that is \\", { ...ok, comment: "\\" }, "comment", "value-continuation"],
  ["\\ then blanks", { ...ok, comment: "a\\ \t" }, "comment", "value-continuation"],
  ["\\ then a form feed", { ...ok, exclude: "a\\\f" }, "exclude", "value-continuation"],
  ["extra value ending in \\", { ...ok, extra: { "max verbosity": "1\\" } }, "max verbosity", "value-continuation"],
  ["path ending in \\", { ...ok, path: "/srv/x\\" }, "path", "value-continuation"],
  // Control characters: C0, DEL, C1, Unicode line separators, bidi overrides.
  ["NUL in a value", { ...ok, comment: "a\0b" }, "comment", "control-character"],
  ["NUL in a list item", { ...ok, hostsAllow: ["10.0.0.1\0"] }, "hosts allow", "control-character"],
  ["escape in a value", { ...ok, preXferExec: "/bin/x \u001b[2J" }, "pre-xfer exec", "control-character"],
  ["vertical tab inside a value", { ...ok, comment: "a\vb" }, "comment", "control-character"],
  ["DEL in a value", { ...ok, uid: "nobody\u007f" }, "uid", "control-character"],
  ["C1 NEL in a value", { ...ok, comment: "a\u0085b" }, "comment", "control-character"],
  ["U+2028 in a list item", { ...ok, refuseOptions: ["delete\u2028"] }, "refuse options", "control-character"],
  ["bidi override in a value", { ...ok, comment: "\u202egnp.exe" }, "comment", "control-character"],
  ["NUL in a module name", { ...ok, name: "back\0up" }, "module name", "control-character"],
  ["zero-width space in a module name", { ...ok, name: "back\u200bup" }, "module name", "control-character"],
  ["NUL in an extra name", { ...ok, extra: { "read\0only": "no" } }, "read\0only", "control-character"],
  ["NUL in an extra value", { ...ok, extra: { "munge symlinks": "no\0" } }, "munge symlinks", "control-character"],
  ["CR in a value", { ...ok, comment: "a\rb" }, "comment", "value-newline"],
  // rsync's listing line must fit in 5120 bytes, or `rsync host::` fails for every module.
  ["comment over 4096 bytes", { ...ok, comment: "x".repeat(4097) }, "comment", "value-too-long"],
  [
    "comment over 4096 bytes in extra",
    { ...ok, extra: { comment: "\u00e9".repeat(2049) } },
    "comment",
    "value-too-long",
  ],
  ["module name starting with #", { ...ok, name: "#backup" }, "module name", "module-name-hash"],
  ["module name over 1000 bytes", { ...ok, name: "m".repeat(1001) }, "module name", "module-name-too-long"],
];

test("validateRsyncModule: each bad input names its field and rule", async (t) => {
  for (const [title, model, field, rule] of moduleCases) {
    await t.test(title, () => {
      const problems = validateRsyncModule(model);
      assert.ok(
        problems.some((p) => p.field === field && p.rule === rule),
        `expected ${field}/${rule}, got ${JSON.stringify(problems.map((p) => [p.field, p.rule]))}`,
      );
    });
  }
});

test("look-alikes rsync reads as written are not refused", () => {
  const problems = validateRsyncModule({
    ...ok,
    comment: "a\\b #c ;d [e] f=g",
    dontCompress: ["*.g\\z", "[x]"],
    refuseOptions: ["#delete", ";x"],
    exclude: "\\x \\y",
    uid: "\u0443ser",
    preXferExec: "/bin/echo\tTAB inside",
  });
  assert.deepEqual(problems, []);
});

test("hints for near misses", () => {
  const message = (extra: Record<string, string>) => validateRsyncModule({ ...ok, extra })[0]!.message;
  assert.match(message({ read_only: "no" }), /Did you mean `read only`/);
  assert.match(message({ "pre xfer exec": "/bin/true" }), /Did you mean `pre-xfer exec`/);
  assert.deepEqual(validateRsyncModule({ ...ok, extra: { readonly: "no", "use chroot": "unset" } }), []);
});

const globalCases: Array<[string, RsyncdGlobalModel, string, string]> = [
  ["bad port", { port: 87.3 }, "port", "bad-integer"],
  ["bad proxy protocol", { extra: { "proxy protocol": "on" } }, "proxy protocol", "bad-boolean"],
  ["unknown global", { extra: { pid_file: "/run/x" } }, "pid_file", "unknown-parameter"],
  ["global value ending in \\", { motdFile: "/etc/motd\\" }, "motd file", "value-continuation"],
  ["NUL in a global value", { pidFile: "/run/x\0" }, "pid file", "control-character"],
  ["port out of range", { port: 70000 }, "port", "bad-port"],
  ["relative pid file", { pidFile: "run/rsyncd.pid" }, "pid file", "path-not-absolute"],
  ["relative log file", { logFile: "rsyncd.log" }, "log file", "path-not-absolute"],
  ["port zero", { port: 0 }, "port", "bad-port"],
  ["default list item ending in \\", { hostsDeny: ["*\\"] }, "hosts deny", "value-continuation"],
];

test("validateRsyncdGlobal: each bad input names its field and rule", async (t) => {
  for (const [title, model, field, rule] of globalCases) {
    await t.test(title, () => {
      assert.ok(validateRsyncdGlobal(model).some((p) => p.field === field && p.rule === rule));
    });
  }
  assert.deepEqual(
    validateRsyncdGlobal({ pidFile: "/run/rsyncd.pid", port: 873, readOnly: false, extra: { name: "x" } }),
    [],
  );
});

const documentCases: Array<[string, string, string, string, number]> = [
  ["slash in a header", "[a/b]\n", "module name", "module-name-slash", 1],
  ["empty header", "[ ]\n", "module name", "module-name-empty", 1],
  ["missing ]", "[a\npath = /a\n", "module name", "section-unterminated", 1],
  ["line without =", "[a]\njunk\n", "junk", "badly-formed-line", 2],
  ["empty parameter name", "[a]\n= x\n", "parameter name", "empty-parameter-name", 2],
  ["unknown directive", "&includ /x\n", "&includ", "unknown-directive", 1],
  ["underscore name", "[a]\nread_only = no\n", "read_only", "unknown-parameter", 2],
  ["global in a module", "[a]\npid file = /x\n", "pid file", "global-parameter-in-module", 2],
  ["bad boolean", "[a]\nlist = maybe\n", "list", "bad-boolean", 2],
  ["atoi integer", "max connections = 10x\n", "max connections", "bad-integer", 1],
  ["duplicate module", "[a]\n[A]\n", "module name", "duplicate-module", 2],
  ["collapsed header", "[ a  b ]\n", "module name", "module-name-blanks", 1],
  ["trailing slash path", "[a]\npath = /a/\n", "path", "path-trailing-slash", 2],
  ["auth users without secrets", "[a]\nauth users = bob\n", "auth users", "auth-users-without-secrets", 1],
  ["bad facility", "syslog facility = nope\n", "syslog facility", "bad-syslog-facility", 1],
];

test("validateRsyncdDocument: each bad line names its field, rule and line", async (t) => {
  for (const [title, text, field, rule, line] of documentCases) {
    await t.test(title, () => {
      const problems = validateRsyncdDocument(parseRsyncdDocument(text));
      assert.ok(
        problems.some((p) => p.field === field && p.rule === rule && p.position?.line === line),
        JSON.stringify(problems),
      );
    });
  }
});

test("all problems come at once", () => {
  const model: RsyncModuleModel = {
    name: "a/b ",
    path: "/srv/",
    readOnly: "maybe" as unknown as boolean,
    maxConnections: 1.5,
    authUsers: ["bob smith"],
    comment: "x\n",
    extra: { read_only: "no", port: "1" },
  };
  assert.deepEqual(
    validateRsyncModule(model).map((p) => [p.field, p.rule]),
    [
      ["module name", "module-name-slash"],
      ["module name", "module-name-outer-blanks"],
      ["auth users", "list-entry"],
      ["comment", "value-newline"],
      ["max connections", "bad-integer"],
      ["path", "path-trailing-slash"],
      ["read only", "bad-boolean"],
      ["read_only", "unknown-parameter"],
      ["port", "global-parameter-in-module"],
      ["auth users", "auth-users-without-secrets"],
    ],
  );
  const doc = parseRsyncdDocument("[a/b]\nread_only = no\n= x\n&foo bar\nfoo\n[c]\nport=1\nmax connections = 10x\n");
  assert.deepEqual(
    validateRsyncdDocument(doc).map((p) => [p.position?.line, p.rule]),
    [
      [1, "module-name-slash"],
      [2, "unknown-parameter"],
      [3, "empty-parameter-name"],
      [4, "unknown-directive"],
      [5, "badly-formed-line"],
      [7, "global-parameter-in-module"],
      [8, "bad-integer"],
    ],
  );
});

test("OrThrow helpers throw a FormatError with every problem", () => {
  assert.throws(
    () => validateRsyncModuleOrThrow({ name: "", readOnly: 1 as unknown as boolean }),
    (e: unknown) => e instanceof FormatError && e.problems.length === 3,
  );
  assert.throws(() => validateRsyncdGlobalOrThrow({ port: -0.5 }), FormatError);
  assert.throws(() => validateRsyncdDocumentOrThrow(parseRsyncdDocument("[a/b]\n"), "rsyncd.conf"), /rsyncd.conf:1:1/);
  assert.doesNotThrow(() => validateRsyncModuleOrThrow({ name: "m" }));
  assert.doesNotThrow(() => validateRsyncdDocumentOrThrow(parseRsyncdDocument("junk\n[m]\npath=/m\n")));
});
