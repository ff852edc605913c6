import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import {
  listRsyncModules,
  parseRsyncdDocument,
  readRsyncdGlobal,
  readRsyncModule,
  renderRsyncdGlobal,
  renderRsyncModule,
  RSYNC_PARAMETERS,
} from "../../../src/formats/rsyncd";
import { validModuleModel } from "./arbitraries";

const FIXTURES = join(__dirname, "../../fixtures/rsyncd");
const docOf = (name: string) => parseRsyncdDocument(readFileSync(join(FIXTURES, name), "utf8"));

test("the parameter table lists rsync 3.5.0's parameters", () => {
  assert.equal(RSYNC_PARAMETERS.length, 59);
  // Each row also carries the one line of doc the resources' TSDoc and the README reference use.
  const { doc, ...preXferExec } = RSYNC_PARAMETERS.find((p) => p.name === "pre-xfer exec")!;
  assert.deepEqual(preXferExec, { name: "pre-xfer exec", key: "preXferExec", kind: "string", scope: "module" });
  assert.equal(doc, "Command run before the transfer; a failure refuses it");
  assert.deepEqual(
    RSYNC_PARAMETERS.filter((p) => p.scope === "global").map((p) => p.key),
    [
      "address",
      "daemonChroot",
      "daemonGid",
      "daemonUid",
      "listenBacklog",
      "motdFile",
      "pidFile",
      "port",
      "proxyProtocol",
      "proxyProtocolHosts",
      "socketOptions",
    ],
  );
});

test("readRsyncModule reads the module's own lines only", () => {
  const doc = docOf("global-middle.conf");
  assert.deepEqual(readRsyncModule(doc, "b"), { name: "b", path: "/srv/b" });
  assert.equal(readRsyncModule(doc, "nope"), undefined);
});

test("readRsyncModule merges duplicate sections and finds them case-insensitively", () => {
  const doc = docOf("duplicates.conf");
  assert.deepEqual(readRsyncModule(doc, "backup"), {
    name: "Backup",
    path: "/srv/backup",
    comment: "third",
    readOnly: false,
  });
  assert.deepEqual(listRsyncModules(doc), ["Backup"]);
});

test("values the model cannot type go to extra", () => {
  const doc = docOf("badly-formed.conf");
  assert.deepEqual(readRsyncModule(doc, "ok"), {
    name: "ok",
    path: "/srv/ok",
    comment: "after a stray backslash",
    extra: { read_only: "no", "pre xfer exec": "/bin/true", list: "maybe", "max connections": "10x" },
  });
  assert.deepEqual(readRsyncModule(parseRsyncdDocument("[m]\nuse chroot = unset\nport = 1\nname = m\n"), "m"), {
    name: "m",
    extra: { "use chroot": "unset", port: "1" },
  });
});

test("readRsyncdGlobal: the appendix, and globals after [global]", () => {
  assert.deepEqual(readRsyncdGlobal(docOf("appendix.conf")), {
    pidFile: "/var/run/rsyncd.pid",
    lockFile: "/var/run/rsync.lock",
    logFile: "/var/log/rsync.log",
    port: 873,
  });
  assert.deepEqual(readRsyncdGlobal(docOf("global-middle.conf")), {
    comment: "late default",
    uid: "nobody",
    readOnly: false,
    path: "/srv/default",
  });
});

test("renderRsyncModule: stable layout", () => {
  assert.equal(
    renderRsyncModule({
      name: "backup",
      uid: "nobody",
      readOnly: false,
      path: "/srv/backup",
      hostsAllow: ["10.0.0.1", "10.0.0.2"],
      comment: "",
      extra: { "x-custom": "1" },
    }),
    "[backup]\n\tpath = /srv/backup\n\tcomment =\n\thosts allow = 10.0.0.1 10.0.0.2\n\tread only = no\n\tuid = nobody\n\tx-custom = 1\n",
  );
});

test("renderRsyncdGlobal: global-only first, then module defaults", () => {
  assert.equal(
    renderRsyncdGlobal({
      logFile: "/var/log/rsync.log",
      port: 873,
      pidFile: "/var/run/rsyncd.pid",
      lockFile: "/var/run/rsync.lock",
    }),
    "pid file = /var/run/rsyncd.pid\nport = 873\nlock file = /var/run/rsync.lock\nlog file = /var/log/rsync.log\n",
  );
});

test("reading back a rendered model gives the same model", () => {
  fc.assert(
    fc.property(validModuleModel, (model) => {
      const expected = { ...model, extra: { ...model.extra } };
      if (Object.keys(expected.extra).length === 0) delete (expected as { extra?: unknown }).extra;
      assert.deepEqual(readRsyncModule(parseRsyncdDocument(renderRsyncModule(model)), model.name), expected);
    }),
    { numRuns: 300 },
  );
});
