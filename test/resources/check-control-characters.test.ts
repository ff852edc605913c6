// Issue 8, item 2: every provider's check refuses a control character in any string input,
// naming the exact property, and never quotes the value (it may be a password or a key).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { rsyncdConfig, rsyncListing, rsyncModule, rsyncSecrets, xinetdService } from "../../src/provider";

const connection = { host: "192.0.2.1", privateKey: "not used by check" };
const rsyncService = {
  connection,
  serviceName: "rsync",
  disable: false,
  socketType: "stream",
  wait: false,
  user: "root",
  server: "/usr/bin/rsync",
  serverArgs: ["--daemon", "--config=/etc/rsyncd.conf"],
  logOnFailure: { add: ["USERID"] },
};
const module = { connection, moduleName: "backup", path: "/srv/backup", readOnly: true };
const secrets = { connection, path: "/etc/rsyncd.secrets", users: { alice: "pw-alice" } };
const listing = { connection, port: 873, configPath: "/etc/rsyncd.conf", expectedModules: ["backup"], revision: "r" };

const SECRET = "S3cr3t-value";
type Check = (
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
) => { failures: { property: string; reason: string }[] };

const CONTROLS: Array<[string, string]> = [
  ["NUL", "\0"],
  ["SOH", "\u0001"],
  ["ESC", "\u001b"],
  ["vertical tab", "\v"],
  ["DEL", "\u007f"],
  ["C1 NEL", "\u0085"],
  ["U+2028", "\u2028"],
  ["bidi override", "\u202e"],
];

// [resource, check, base inputs, property path, inputs with `bad` placed at that path]
const CASES: Array<[string, Check, Record<string, unknown>, string, (bad: string) => Record<string, unknown>]> = [
  [
    "XinetdService",
    xinetdService.check,
    rsyncService,
    "serverArgs[1]",
    (bad) => ({ serverArgs: ["--daemon", `--config=/etc/rsyncd.conf${bad}`] }),
  ],
  ["XinetdService", xinetdService.check, rsyncService, "noAccess[0]", (bad) => ({ noAccess: [`10.0.0.1${bad}`] })],
  [
    "XinetdService",
    xinetdService.check,
    rsyncService,
    "onlyFrom.add[0]",
    (bad) => ({ onlyFrom: { add: [`10.0.0.1${bad}`] } }),
  ],
  ["XinetdService", xinetdService.check, rsyncService, "env[0]", (bad) => ({ env: [`A=${bad}`] })],
  [
    "XinetdService",
    xinetdService.check,
    rsyncService,
    "extra.x-note[0]",
    (bad) => ({ extra: { "x-note": [`a${bad}`] } }),
  ],
  ["XinetdService", xinetdService.check, rsyncService, "configDir", (bad) => ({ configDir: `/etc/xinetd.d${bad}` })],
  [
    "XinetdService",
    xinetdService.check,
    rsyncService,
    "reload.command",
    (bad) => ({ reload: { command: `systemctl reload xinetd${bad}` } }),
  ],
  [
    "XinetdService",
    xinetdService.check,
    rsyncService,
    "connection.host",
    (bad) => ({ connection: { ...connection, host: `192.0.2.1${bad}` } }),
  ],
  [
    "XinetdService",
    xinetdService.check,
    rsyncService,
    "connection.user",
    (bad) => ({ connection: { ...connection, user: `root${bad}` } }),
  ],
  ["RsyncModule", rsyncModule.check, module, "comment", (bad) => ({ comment: `nightly${bad}` })],
  [
    "RsyncModule",
    rsyncModule.check,
    module,
    "hostsAllow[1]",
    (bad) => ({ hostsAllow: ["10.0.0.1", `10.0.0.2${bad}`] }),
  ],
  ["RsyncModule", rsyncModule.check, module, "dontCompress[0]", (bad) => ({ dontCompress: [`*.gz${bad}`] })],
  [
    "RsyncModule",
    rsyncModule.check,
    module,
    "extra.max verbosity",
    (bad) => ({ extra: { "max verbosity": `1${bad}` } }),
  ],
  ["RsyncModule", rsyncModule.check, module, "moduleName", (bad) => ({ moduleName: `back${bad}up` })],
  ["RsyncModule", rsyncModule.check, module, "configPath", (bad) => ({ configPath: `/etc/rsyncd.conf${bad}` })],
  [
    "RsyncModule",
    rsyncModule.check,
    module,
    "connection.proxy.host",
    (bad) => ({ connection: { ...connection, proxy: { host: `bastion${bad}`, password: "p" } } }),
  ],
  [
    "RsyncdConfig",
    rsyncdConfig.check,
    { connection, port: 873 },
    "motdFile",
    (bad) => ({ motdFile: `/etc/motd${bad}` }),
  ],
  [
    "RsyncdConfig",
    rsyncdConfig.check,
    { connection, port: 873 },
    "refuseOptions[0]",
    (bad) => ({ refuseOptions: [`delete${bad}`] }),
  ],
  ["RsyncSecrets", rsyncSecrets.check, secrets, "users.alice", (bad) => ({ users: { alice: `${SECRET}${bad}` } })],
  ["RsyncSecrets", rsyncSecrets.check, secrets, "path", (bad) => ({ path: `/etc/rsyncd.secrets${bad}` })],
  [
    "RsyncSecrets",
    rsyncSecrets.check,
    secrets,
    "connection.password",
    (bad) => ({ connection: { host: "192.0.2.1", password: `${SECRET}${bad}` } }),
  ],
  ["RsyncListing", rsyncListing.check, listing, "expectedModules[0]", (bad) => ({ expectedModules: [`backup${bad}`] })],
  ["RsyncListing", rsyncListing.check, listing, "configPath", (bad) => ({ configPath: `/etc/rsyncd.conf${bad}` })],
];

describe("check refuses control characters in every string input", () => {
  for (const [resource, check, base] of CASES.filter((c, i, all) => all.findIndex((d) => d[0] === c[0]) === i)) {
    test(`${resource}: the base inputs pass`, () => assert.deepEqual(check({}, base).failures, []));
  }
  for (const [resource, check, base, property, place] of CASES) {
    test(`${resource}: ${property}`, () => {
      for (const [label, bad] of CONTROLS) {
        const { failures } = check({}, { ...base, ...place(bad) });
        assert.ok(
          failures.some((f) => f.property === property),
          `${label}: ${JSON.stringify(failures)}`,
        );
        for (const f of failures)
          assert.ok(
            !f.reason.includes(SECRET) && !f.reason.includes(bad),
            `${label}: the reason quotes the value: ${f.reason}`,
          );
      }
    });
  }

  test("secrets user names: a control or invisible character in a name fails on `users`, never quoting a password", () => {
    for (const name of ["ali\0ce", "ali\u200bce", "ali\u0085ce"]) {
      const { failures } = rsyncSecrets.check({}, { ...secrets, users: { [name]: SECRET } });
      assert.ok(
        failures.some((f) => f.property === "users"),
        JSON.stringify(failures),
      );
      assert.ok(failures.every((f) => !f.reason.includes(SECRET)));
    }
  });

  test("names also refuse invisible characters (zero-width, BOM): `moduleName`, `serviceName`, `extra` names", () => {
    for (const ch of ["\u200b", "\ufeff", "\u00ad"]) {
      assert.ok(
        rsyncModule
          .check({}, { ...module, moduleName: `back${ch}up` })
          .failures.some((f) => f.property === "moduleName"),
        ch,
      );
      assert.ok(
        xinetdService
          .check({}, { ...rsyncService, serviceName: `rs${ch}ync` })
          .failures.some((f) => f.property === "serviceName"),
        ch,
      );
      assert.ok(
        xinetdService
          .check({}, { ...rsyncService, extra: { [`x${ch}note`]: ["a"] } })
          .failures.some((f) => f.property.startsWith("extra")),
        ch,
      );
    }
  });

  test("private keys keep their line breaks; a TAB is left to each format", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n";
    assert.deepEqual(
      rsyncModule.check({}, { ...module, connection: { host: "192.0.2.1", privateKey: key } }).failures,
      [],
    );
    assert.deepEqual(
      rsyncModule.check(
        {},
        { ...module, connection: { host: "192.0.2.1", password: "p", proxy: { host: "b", privateKey: key } } },
      ).failures,
      [],
    );
    assert.deepEqual(rsyncModule.check({}, { ...module, comment: "tab\tinside" }).failures, []);
    assert.deepEqual(
      xinetdService.check({}, { ...rsyncService, serverArgs: ["a\tb"] }).failures.map((f) => f.property),
      ["serverArgs"],
    );
  });
});
