import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  parseRsyncdDocument,
  rsyncdBoolean,
  rsyncdInteger,
  rsyncdList,
  rsyncdSemantics,
  rsyncdValue,
  validateRsyncdDocument,
} from "../../../src/formats/rsyncd";

const FIXTURES = join(__dirname, "../../fixtures/rsyncd");
const semanticsOf = (text: string) => rsyncdSemantics(parseRsyncdDocument(text));
const fixture = (name: string) => semanticsOf(readFileSync(join(FIXTURES, name), "utf8"));

// [text, module, parameter, effective text] — checked against rsync 3.5.0's module listing.
const effective: Array<[text: string, module: string | undefined, param: string, value: string | undefined]> = [
  ["[a]\ncomment = x\n", "a", "comment", "x"],
  ["[a]\n[global]\ncomment = late\n", "a", "comment", "late"],
  ["comment = early\n[a]\n[global]\ncomment = late\n", "a", "comment", "early"],
  ["[a]\n[global]\nread only = no\n", "a", "read only", "yes"],
  ["read only = no\n[a]\n", "a", "read only", "no"],
  ["[a]\nRE AD_ONLY = no\n", "a", "read only", "yes"],
  ["[a]\nREADONLY = no\n", "a", "read only", "no"],
  ["[a]\npath = /srv/a///\n", "a", "path", "/srv/a"],
  ["[a]\npath = /\n", "a", "path", "/"],
  ["[a]\nport = 1\n", undefined, "port", "873"],
  ["[a]\nread only = no\n[A]\nread only = maybe\n", "a", "read only", "no"],
  ["[a]\nname = b\n", "b", "path", undefined],
  ["[a]\n&include /x\ncomment = g\n", "a", "comment", "g"],
  ["[a]\n&merge /x\ncomment = m\n", "a", "comment", "m"],
  ["[a]\ncomment = x \\\n\ty\n", "a", "comment", "x \ty"],
  ["lock file = /l\n[a]\n", "a", "lock file", "/l"],
  ["[a]\n[global]\nlock file = /late\n", "a", "lock file", "/var/run/rsyncd.lock"],
  ["[a]\nsyslog facility = nonsense\n", "a", "syslog facility", "daemon"],
];

test("effective values follow rsync's rules", async (t) => {
  for (const [text, module, param, value] of effective) {
    await t.test(`${JSON.stringify(text)} ${param}`, () => {
      assert.equal(rsyncdValue(semanticsOf(text), param, module), value);
    });
  }
});

test("typed accessors", () => {
  const sem = semanticsOf(
    "[a]\nread only = FALSE\nmax connections = 10x\nhosts allow = 10.0.0.1, 10.0.0.2 host\nuse chroot = unset\n",
  );
  assert.equal(rsyncdBoolean(sem, "read only", "a"), false);
  assert.equal(rsyncdBoolean(sem, "list", "a"), true);
  assert.equal(rsyncdBoolean(sem, "use chroot", "a"), undefined);
  assert.equal(rsyncdInteger(sem, "max connections", "a"), 10);
  assert.deepEqual(rsyncdList(sem, "hosts allow", "a"), ["10.0.0.1", "10.0.0.2", "host"]);
  assert.equal(rsyncdBoolean(sem, "read only", "missing"), undefined);
  assert.throws(() => rsyncdBoolean(sem, "path", "a"), TypeError);
  assert.throws(() => rsyncdValue(sem, "read_only", "a"), TypeError);
});

test("duplicate modules merge case- and blank-insensitively, later values win", () => {
  const sem = fixture("duplicates.conf");
  assert.deepEqual(sem.modules, [
    { name: "Backup", params: { path: "/srv/backup", comment: "third", "read only": "no" } },
  ]);
});

test("[global] in the middle: strings inherit the final global value only when unset at open", () => {
  const sem = fixture("global-middle.conf");
  assert.deepEqual(sem.global, { comment: "late default", uid: "nobody", "read only": "no", path: "/srv/default" });
  assert.deepEqual(sem.modules, [
    { name: "a", params: { comment: "early default", uid: "nobody", path: "/srv/a" } },
    { name: "b", params: { comment: "late default", uid: "nobody", "read only": "no", path: "/srv/b" } },
  ]);
});

test("odd spacing and case", () => {
  const sem = fixture("odd-spacing.conf");
  assert.deepEqual(sem.global, { "read only": "no", "max connections": "4", port: "873" });
  assert.deepEqual(
    sem.modules.map((m) => m.name),
    ["odd name", "x"],
  );
  assert.deepEqual(sem.modules[0]!.params, {
    "read only": "0",
    "max connections": "4",
    "use chroot": "TRUE",
    path: "/srv/odd",
  });
  assert.deepEqual(
    sem.problems.map((p) => [p.rule, p.field]),
    [["unknown-parameter", "transfer_logging"]],
  );
});

test("continuation lines and CRLF", () => {
  const cont = fixture("continuation.conf").modules[0]!.params;
  assert.equal(cont["comment"], "one    two \tthree");
  assert.equal(cont["path"], "/srv/cont");
  assert.equal(cont["refuse options"], "delete   checksum");
  assert.equal(cont["dont compress"], "*.gz");
  const crlf = fixture("crlf.conf");
  assert.deepEqual(crlf.modules[0], {
    name: "crlf",
    params: { uid: "nobody", gid: "nogroup", path: "/srv/crlf", "read only": "no", comment: "windows \tline" },
  });
});

test("comments: ; and # only at line start", () => {
  const sem = fixture("comments.conf");
  assert.equal(sem.global["log format"], "%t ; %f # not a comment");
  assert.equal(sem.modules[0]!.params["refuse options"], "delete ; checksum");
});

test("the appendix global part reads as an operator reads it", () => {
  const sem = fixture("appendix.conf");
  assert.deepEqual(sem.global, {
    "pid file": "/var/run/rsyncd.pid",
    "lock file": "/var/run/rsync.lock",
    "log file": "/var/log/rsync.log",
    port: "873",
  });
  assert.equal(rsyncdInteger(sem, "port"), 873);
  assert.deepEqual(sem.modules, []);
  assert.deepEqual(sem.problems, []);
});

test("a document changed in place after a validation is read afresh, even at the same length", () => {
  const doc = parseRsyncdDocument("[m]\n\tpath = /srv\n\tmax connections = 5\n");
  assert.deepEqual(validateRsyncdDocument(doc), []);
  const bad = parseRsyncdDocument("[m]\n\tpath = /srv\n\tmax connections = lots\n");
  doc.entries[2] = bad.entries[2]!;
  assert.deepEqual(
    validateRsyncdDocument(doc).map((found) => `${found.rule} ${found.field}`),
    ["bad-integer max connections"],
  );
});
