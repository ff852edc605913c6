/**
 * The daemon oracles must be able to say "no": each check below has a known-bad input that the
 * real daemon rejects, next to the good input it accepts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { requireRoot } from "../support/requirements";
import { markedDirs, rsyncModuleFacts, rsyncRefuses, rsyncVerdict, type MarkedDirs } from "../support/rsync-oracle";
import { xinetdVerdict, type XinetdVerdict } from "../support/xinetd-oracle";

const XINETD_TOOLS = ["xinetd", "unshare", "ip", "mount"];
const RSYNC_TOOLS = ["rsync"];

function service(name: string, lines: string[]): string {
  return [`service ${name}`, "{", ...lines.map((l) => `\t${l}`), "}", ""].join("\n");
}

const RSYNC_LINES = [
  "socket_type = stream",
  "wait = no",
  "user = root",
  "server = /usr/bin/rsync",
  "server_args = --daemon",
];
const GOOD = service("rsync", RSYNC_LINES);

function assertRejected(v: XinetdVerdict, expectedProblem: RegExp): void {
  assert.deepEqual(v.available, [], v.log);
  assert.match(v.log, /NOTICE: Started working: 0 available services$/m);
  assert.ok(
    v.problems.some((p) => expectedProblem.test(p)),
    `expected a problem matching ${expectedProblem}, got:\n${v.problems.join("\n")}`,
  );
}

describe("xinetd oracle", () => {
  test("a good service file is available", async (t) => {
    if (!requireRoot(t, XINETD_TOOLS)) return;
    const v = await xinetdVerdict([{ name: "rsync", content: GOOD }]);
    assert.deepEqual(v.available, ["rsync"]);
    assert.deepEqual(v.ids, ["rsync"]);
    assert.deepEqual(v.problems, []);
    assert.equal(v.exitCode, null);
  });

  test("`port=873` without a blank drops the service", async (t) => {
    if (!requireRoot(t, XINETD_TOOLS)) return;
    const v = await xinetdVerdict([{ name: "rsync", content: service("rsync", [...RSYNC_LINES, "port=873"]) }]);
    assertRejected(v, /^ERROR: Attribute port needs a space before operator \[file=services\/rsync\] \[line=8\]$/);
  });

  test("a bad socket_type disables the service", async (t) => {
    if (!requireRoot(t, XINETD_TOOLS)) return;
    const lines = ["socket_type = streams", ...RSYNC_LINES.slice(1)];
    const v = await xinetdVerdict([{ name: "rsync", content: service("rsync", lines) }]);
    assertRejected(v, /^ERROR: Bad socket type: streams \[file=services\/rsync\] \[line=3\]$/);
    assert.ok(
      v.problems.includes(
        "ERROR: Error parsing attribute socket_type - DISABLING SERVICE [file=services/rsync] [line=3]",
      ),
    );
    assert.match(v.log, /DEBUG: removing rsync$/m);
  });

  test("includedir silently skips `rsync.conf`; include reads it", async (t) => {
    if (!requireRoot(t, XINETD_TOOLS)) return;
    const files = [{ name: "rsync.conf", content: GOOD }];
    const skipped = await xinetdVerdict(files);
    assert.deepEqual(skipped.available, []);
    assert.deepEqual(skipped.problems, []);
    assert.doesNotMatch(skipped.log, /rsync\.conf/);
    const included = await xinetdVerdict(files, { mode: "include" });
    assert.deepEqual(included.available, ["rsync"]);
  });

  test("a service missing from /etc/services needs UNLISTED", async (t) => {
    if (!requireRoot(t, XINETD_TOOLS)) return;
    const v = await xinetdVerdict([{ name: "oracle", content: service("oracle-unknown", RSYNC_LINES) }]);
    assertRejected(v, /^ERROR: Port not specified and can't find service: oracle-unknown with getservbyname$/);
    const unlisted = service("oracle-unknown", [...RSYNC_LINES, "type = UNLISTED", "port = 18222"]);
    assert.deepEqual((await xinetdVerdict([{ name: "oracle", content: unlisted }])).available, ["oracle-unknown"]);
  });

  test("one run checks many files; a bad one drops only its own service", async (t) => {
    if (!requireRoot(t, XINETD_TOOLS)) return;
    const internal = (name: string, socketType: string) =>
      service(name, ["type = INTERNAL", `socket_type = ${socketType}`, "wait = no"]);
    const v = await xinetdVerdict([
      { name: "daytime", content: internal("daytime", "stream") },
      { name: "echo", content: internal("echo", "bogus") },
      { name: "rsync", content: GOOD },
    ]);
    assert.deepEqual(v.available, ["daytime", "rsync"]);
    assert.ok(v.problems.includes("ERROR: Bad socket type: bogus [file=services/echo] [line=4]"), v.log);
  });

  test("a bad value in defaults makes xinetd exit with status 0", async (t) => {
    if (!requireRoot(t, XINETD_TOOLS)) return;
    const v = await xinetdVerdict([{ name: "rsync", content: GOOD }], { defaults: "\tinstances = many" });
    assert.deepEqual(v.available, []);
    assert.equal(v.exitCode, 0);
    assert.ok(
      v.problems.includes("ERROR: A fatal error was encountered while parsing the default section. xinetd will exit."),
    );
  });
});

describe("rsync oracle", () => {
  let dirs: MarkedDirs;
  before(async () => {
    dirs = await markedDirs(["one", "two", "global"]);
  });
  after(async () => {
    await dirs.cleanup();
  });

  test("a good file lists its listed modules with comments", async (t) => {
    if (!requireRoot(t, RSYNC_TOOLS)) return;
    const v = await rsyncVerdict(
      [
        "[backup]",
        `path = ${dirs.path("one")}`,
        "comment = nightly backups",
        "[a module with a long name]",
        `path = ${dirs.path("two")}`,
        "[hidden]",
        `path = ${dirs.path("two")}`,
        "list = no",
        "",
      ].join("\n"),
    );
    assert.equal(v.exitCode, 0, v.stderr);
    assert.deepEqual(v.modules, [
      { name: "backup", comment: "nightly backups" },
      { name: "a module with a long name", comment: "" },
    ]);
    assert.deepEqual(v.motd, []);
  });

  test("`[a/b]` is fatal: exit 5, and the log says why", async (t) => {
    if (!requireRoot(t, RSYNC_TOOLS)) return;
    const v = await rsyncVerdict(`[ok]\npath = ${dirs.path("one")}\n[a/b]\npath = /tmp\n`);
    assert.equal(v.exitCode, 5);
    assert.deepEqual(v.modules, []);
    assert.match(v.log, /\] Warning: invalid section name in configuration file: a\/b$/m);
    assert.match(v.stderr, /did not see server greeting/);
  });

  test("`read_only = no` is ignored; `read only = no` makes the module writable", async (t) => {
    if (!requireRoot(t, RSYNC_TOOLS)) return;
    const underscore = await rsyncModuleFacts(`[m]\npath = ${dirs.path("one")}\nread_only = no\n`, "m");
    assert.equal(underscore.readOnly, true);
    assert.equal(underscore.error, "ERROR: module is read only");
    assert.match(underscore.log, /IGNORING unknown parameter "read_only"/);
    const spaced = await rsyncModuleFacts(`[m]\npath = ${dirs.path("one")}\nread only = no\n`, "m");
    assert.equal(spaced.readOnly, false);
    assert.equal(spaced.error, null);
  });

  test("a module without path uses the final global path, even one set after it", async (t) => {
    if (!requireRoot(t, RSYNC_TOOLS)) return;
    const facts = await rsyncModuleFacts(
      `[late]\ncomment = no path here\n[global]\npath = ${dirs.path("global")}\n`,
      "late",
    );
    assert.deepEqual(facts.entries, ["global"]);
    assert.equal(facts.comment, "no path here");
  });

  test("duplicate module sections are merged, later values winning", async (t) => {
    if (!requireRoot(t, RSYNC_TOOLS)) return;
    const config = `[dup]\npath = ${dirs.path("one")}\ncomment = first\n[DUP]\ncomment = second\n`;
    const v = await rsyncVerdict(config);
    assert.deepEqual(v.modules, [{ name: "dup", comment: "second" }]);
    const facts = await rsyncModuleFacts(config, "dup");
    assert.deepEqual(facts.entries, ["one"]);
    assert.equal((await rsyncModuleFacts(config, "DUP")).exists, false);
  });

  test("module presence, list, hosts allow, auth users and write only are observable", async (t) => {
    if (!requireRoot(t, RSYNC_TOOLS)) return;
    const path = dirs.path("two");
    const config = [
      `[hidden]\npath = ${path}\nlist = no`,
      `[local-only]\npath = ${path}\nhosts allow = 127.0.0.1`,
      `[any]\npath = ${path}\nhosts allow = 0.0.0.0`,
      `[secret]\npath = ${path}\nauth users = bob\nsecrets file = /nonexistent`,
      `[drop]\npath = ${path}\nwrite only = yes\nread only = no`,
      "",
    ].join("\n");
    const hidden = await rsyncModuleFacts(config, "hidden");
    assert.deepEqual([hidden.exists, hidden.listed, hidden.entries], [true, false, ["two"]]);
    assert.equal((await rsyncModuleFacts(config, "missing")).exists, false);
    assert.equal((await rsyncModuleFacts(config, "local-only")).accessDenied, true);
    assert.equal((await rsyncModuleFacts(config, "any")).accessDenied, false);
    assert.equal((await rsyncModuleFacts(config, "secret")).authRequired, true);
    const drop = await rsyncModuleFacts(config, "drop");
    assert.deepEqual([drop.writeOnly, drop.readOnly, drop.entries], [true, false, null]);
  });

  test("refuse options is observable", async (t) => {
    if (!requireRoot(t, RSYNC_TOOLS)) return;
    const config = `[m]\npath = ${dirs.path("one")}\nread only = no\nrefuse options = delete\n`;
    assert.equal(await rsyncRefuses(config, "m", ["--delete"]), true);
    assert.equal(await rsyncRefuses(config, "m", ["--checksum"]), false);
  });
});
