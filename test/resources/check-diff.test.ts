// The providers' pure methods: check names every failing property in camelCase and touches no
// host; diff replaces exactly on the listed properties and shows hand edits as exactly that field.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  rsyncdConfig,
  rsyncListing,
  rsyncModule,
  rsyncSecrets,
  secretsFileContent,
  UNKNOWN,
  xinetdService,
} from "../../src/provider";
import { sha256 } from "../../src/provider/outputs";
import { saltedChecksum } from "../../src/remote/change-file";

// A connection that resolves but points nowhere: check must never dial it.
const connection = { host: "192.0.2.1", privateKey: "not used by check" };
// An agent in the environment is a credential (as in @pulumi/command): `no credentials` needs none.
delete process.env.SSH_AUTH_SOCK;

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

function failingProperties(result: { failures: { property: string }[] }): string[] {
  return result.failures.map((failure) => failure.property).sort();
}

/** Old outputs as create would store them for these inputs. */
function stateOf(inputs: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...inputs, schemaVersion: 1, content: "x", checksum: "y", ...extra };
}

describe("XinetdService check", () => {
  test("valid inputs pass, with configDir and reload defaulted", () => {
    const result = xinetdService.check({}, rsyncService);
    assert.deepEqual(result.failures, []);
    assert.equal(result.inputs.configDir, "/etc/xinetd.d");
    assert.equal(result.inputs.reload, "auto");
  });

  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ["bad enum", { socketType: "strem" }, ["socketType"]],
    ["bad list value", { logOnFailure: { add: ["NOPE"] } }, ["logOnFailure"]],
    ["-= on env", { env: { remove: ["A=1"] } }, ["env"]],
    ["file name xinetd skips", { serviceName: "rsync.old" }, ["serviceName"]],
    ["blank in a token", { serverArgs: ["--config=/a b"] }, ["serverArgs"]],
    ["missing mandatory", { user: undefined, server: undefined }, ["server", "user"]],
    ["dgram without wait", { socketType: "dgram" }, ["wait"]],
    ["known attribute in extra", { extra: { socket_type: ["stream"] } }, ["extra.socket_type"]],
    ["bad reload", { reload: "restart" }, ["reload"]],
    ["relative configDir", { configDir: "xinetd.d" }, ["configDir"]],
    ["unknown property", { logOnFailur: ["HOST"] }, ["logOnFailur"]],
    ["no credentials", { connection: { host: "h" } }, ["connection"]],
    ["sudo not a boolean", { sudo: "yes" }, ["sudo"]],
  ];
  for (const [name, change, properties] of cases) {
    test(`${name} fails on exactly ${properties.join(", ")}`, () => {
      assert.deepEqual(failingProperties(xinetdService.check({}, { ...rsyncService, ...change })), properties);
    });
  }

  test("unknown values during preview fail nothing, yet known bad values still fail", () => {
    const preview = {
      ...rsyncService,
      user: UNKNOWN,
      server: UNKNOWN,
      serviceName: UNKNOWN,
      connection: { host: UNKNOWN, privateKey: UNKNOWN },
    };
    assert.deepEqual(xinetdService.check({}, preview).failures, []);
    assert.deepEqual(failingProperties(xinetdService.check({}, { ...preview, socketType: "strem" })), ["socketType"]);
  });

  test("serverArgs as one string is split as xinetd splits it (blanks and tabs, no quoting) into the checked inputs", () => {
    const split = (serverArgs: unknown) => xinetdService.check({}, { ...rsyncService, serverArgs });
    assert.deepEqual(split("--daemon  --config=/etc/rsyncd/rsyncd.conf").inputs.serverArgs, [
      "--daemon",
      "--config=/etc/rsyncd/rsyncd.conf",
    ]);
    assert.deepEqual(split(' \t-v\t"two words" ').inputs.serverArgs, ["-v", '"two', 'words"']);
    assert.deepEqual(split("--daemon").failures, []);
    assert.deepEqual(failingProperties(split("")), ["serverArgs"]);
    assert.deepEqual(failingProperties(split(" \t ")), ["serverArgs"]);
    // A newline is no separator: it stays in the token, refused as in the array.
    assert.deepEqual(failingProperties(split("--daemon\n--x -v")), failingProperties(split(["--daemon\n--x", "-v"])));
    assert.ok(failingProperties(split("--daemon\n--x -v")).includes("serverArgs[0]"));
    assert.equal(split(UNKNOWN).inputs.serverArgs, UNKNOWN, "an unknown value is left for later");
    assert.deepEqual(split(UNKNOWN).failures, []);
  });

  test("an unmodelled attribute in extra passes through", () => {
    assert.deepEqual(xinetdService.check({}, { ...rsyncService, extra: { mdns: ["yes"] } }).failures, []);
  });
});

describe("XinetdService diff", () => {
  const state = stateOf(xinetdService.check({}, rsyncService).inputs);
  const news = xinetdService.check({}, rsyncService).inputs;

  test("same inputs: no change", () => {
    assert.deepEqual(xinetdService.diff("id", state, news), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  const cases: Array<[string, Record<string, unknown>, string[], boolean]> = [
    ["attribute", { user: "nobody" }, [], false],
    ["reload", { reload: "none" }, [], false],
    ["sudo", { sudo: true }, [], false],
    ["private key", { connection: { ...connection, privateKey: "other" } }, [], false],
    ["serviceName", { serviceName: "rsync2" }, ["serviceName"], false],
    ["configDir", { configDir: "/etc/xinetd.other" }, ["configDir"], false],
    ["host", { connection: { ...connection, host: "192.0.2.2" } }, ["connection"], false],
    ["port", { connection: { ...connection, port: 2222 } }, ["connection"], false],
    // Same host and file: the new resource's create would find the old one's file.
    ["user", { connection: { ...connection, user: "admin" } }, ["connection"], true],
  ];
  for (const [name, change, replaces, deleteBeforeReplace] of cases) {
    test(`a change of ${name} ${replaces.length > 0 ? "replaces" : "updates in place"}`, () => {
      const result = xinetdService.diff("id", state, { ...news, ...change });
      assert.deepEqual(result, { changes: true, replaces, deleteBeforeReplace });
    });
  }

  test("serverArgs given as a string diffs equal to the array in the state (no perpetual diff), and a different string is a change", () => {
    const asLine = xinetdService.check(
      {},
      { ...rsyncService, serverArgs: "--daemon --config=/etc/rsyncd.conf" },
    ).inputs;
    assert.equal(xinetdService.diff("id", state, asLine).changes, false);
    assert.equal(xinetdService.diff("id", stateOf(asLine), news).changes, false);
    const other = xinetdService.check(
      {},
      { ...rsyncService, serverArgs: "--daemon --config=/etc/rsyncd.other" },
    ).inputs;
    assert.equal(xinetdService.diff("id", state, other).changes, true);
  });

  test("the default port and user equal the explicit ones", () => {
    const explicit = { ...news, connection: { ...connection, port: 22, user: "root" } };
    assert.equal(xinetdService.diff("id", state, explicit).changes, false);
  });

  test("an attribute added by hand (read puts it in the state) is a change, not a replacement", () => {
    const drifted = { ...state, instances: 30 };
    assert.deepEqual(xinetdService.diff("id", drifted, news), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  test("a state from a newer schema is refused with a clear message", () => {
    assert.throws(
      () => xinetdService.diff("id", { ...state, schemaVersion: 2 }, news),
      /schema version 2.*reads version 1/,
    );
  });
});

describe("RsyncModule check and diff", () => {
  const module = {
    connection,
    moduleName: "backup",
    path: "/srv/backup/",
    readOnly: false,
    authUsers: ["alice"],
    secretsFile: "/etc/rsyncd.secrets",
  };

  test("valid inputs pass; configPath defaults; a path loses its trailing slash as rsync reads it", () => {
    const result = rsyncModule.check({}, module);
    assert.deepEqual(result.failures, []);
    assert.equal(result.inputs.configPath, "/etc/rsyncd.conf");
    assert.equal(result.inputs.path, "/srv/backup");
  });

  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ["a boolean as text", { readOnly: "no" }, ["readOnly"]],
    ["an integer out of range", { maxConnections: 2 ** 40 }, ["maxConnections"]],
    ["a list entry with a comma", { hostsAllow: ["10.0.0.1,10.0.0.2"] }, ["hostsAllow"]],
    ["a reserved module name", { moduleName: "global" }, ["moduleName"]],
    ["a slash in the module name", { moduleName: "a/b" }, ["moduleName"]],
    ["auth users without secrets file", { secretsFile: undefined }, ["authUsers"]],
    ["a global parameter in extra", { extra: { port: "874" } }, ["extra.port"]],
    ["an unknown parameter in extra", { extra: { "max verbosty": "2" } }, ["extra.max verbosty"]],
    ["a typed parameter also in extra", { extra: { "read only": "yes" } }, ["extra.read only"]],
    ["a line break in a value", { comment: "a\nb" }, ["comment"]],
    ["a relative configPath", { configPath: "rsyncd.conf" }, ["configPath"]],
    ["a configPath naming a directory", { configPath: "/etc/rsyncd/" }, ["configPath"]],
    ["a configPath with `..`", { configPath: "/etc/rsyncd/../hosts" }, ["configPath"]],
    ["a configPath with a doubled slash", { configPath: "/etc//rsyncd.conf" }, ["configPath"]],
  ];
  for (const [name, change, properties] of cases) {
    test(`${name} fails on exactly ${properties.join(", ")}`, () => {
      assert.deepEqual(failingProperties(rsyncModule.check({}, { ...module, ...change })), properties);
    });
  }

  test("auth users with an unknown secrets file is not decided during preview", () => {
    assert.deepEqual(rsyncModule.check({}, { ...module, secretsFile: UNKNOWN }).failures, []);
  });

  const news = rsyncModule.check({}, module).inputs;
  const state = stateOf(news);
  const diffs: Array<[string, Record<string, unknown>, string[], boolean]> = [
    ["a parameter", { comment: "nightly" }, [], false],
    ["moduleName", { moduleName: "archive" }, ["moduleName"], false],
    // rsync merges [Backup] into [backup]: the same section.
    ["moduleName in case only", { moduleName: "Backup" }, ["moduleName"], true],
    ["configPath", { configPath: "/etc/rsyncd/rsyncd.conf" }, ["configPath"], false],
    ["connection user", { connection: { ...connection, user: "admin" } }, ["connection"], true],
  ];
  for (const [name, change, replaces, deleteBeforeReplace] of diffs) {
    test(`a change of ${name}: replaces ${JSON.stringify(replaces)}`, () => {
      assert.deepEqual(rsyncModule.diff("id", state, { ...news, ...change }), {
        changes: true,
        replaces,
        deleteBeforeReplace,
      });
    });
  }

  test("a parameter edited by hand shows as exactly that change", () => {
    assert.deepEqual(rsyncModule.diff("id", state, news).changes, false);
    assert.deepEqual(rsyncModule.diff("id", { ...state, readOnly: true }, news), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
});

describe("RsyncdConfig check and diff", () => {
  const global = { connection, pidFile: "/run/rsyncd.pid", useChroot: true, maxConnections: 4 };

  test("valid inputs pass", () => assert.deepEqual(rsyncdConfig.check({}, global).failures, []));

  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ["a port as text", { port: "873" }, ["port"]],
    ["a port out of range", { port: 70000 }, ["port"]],
    ["a configPath with `.`", { configPath: "/etc/./rsyncd.conf" }, ["configPath"]],
    ["a bad syslog facility", { syslogFacility: "daemons" }, ["syslogFacility"]],
    ["an unknown parameter in extra", { extra: { "pid fille": "x" } }, ["extra.pid fille"]],
  ];
  for (const [name, change, properties] of cases) {
    test(`${name} fails on exactly ${properties.join(", ")}`, () => {
      assert.deepEqual(failingProperties(rsyncdConfig.check({}, { ...global, ...change })), properties);
    });
  }

  test("configPath replaces, a parameter updates", () => {
    const news = rsyncdConfig.check({}, global).inputs;
    const state = stateOf(news, { managedParameters: ["pid file"] });
    assert.deepEqual(rsyncdConfig.diff("id", state, { ...news, configPath: "/etc/other.conf" }), {
      changes: true,
      replaces: ["configPath"],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(rsyncdConfig.diff("id", state, { ...news, motdFile: "/etc/motd" }), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
});

describe("RsyncSecrets check and diff", () => {
  const password = "correct horse battery staple";
  const secrets = { connection, path: "/etc/rsyncd.secrets", users: { bob: "pw2", alice: password } };

  test("valid inputs pass; the content is sorted user:password lines", () => {
    assert.deepEqual(rsyncSecrets.check({}, secrets).failures, []);
    assert.equal(secretsFileContent(secrets.users), `alice:${password}\nbob:pw2\n`);
  });

  test("failures name the user, never the password", () => {
    const result = rsyncSecrets.check({}, { ...secrets, users: { "a:b": "x", carol: `${password}\nline two` } });
    assert.deepEqual(failingProperties(result), ["users", "users.carol"]);
    assert.ok(!JSON.stringify(result.failures).includes(password));
  });

  test("a password change is a change (by checksum), a path change replaces the same-host file first", () => {
    const state = {
      connection,
      path: secrets.path,
      userNames: ["alice", "bob"],
      checksum: sha256(secretsFileContent(secrets.users)),
      permissions: "600 root:root",
      schemaVersion: 1,
    };
    assert.deepEqual(rsyncSecrets.diff("id", state, secrets), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(
      rsyncSecrets.diff("id", state, { ...secrets, users: { ...secrets.users, bob: "pw3" } }).changes,
      true,
    );
    assert.deepEqual(rsyncSecrets.diff("id", { ...state, permissions: "644 root:root" }, secrets).changes, true);
    assert.deepEqual(rsyncSecrets.diff("id", state, { ...secrets, path: "/etc/other.secrets" }), {
      changes: true,
      replaces: ["path"],
      deleteBeforeReplace: false,
    });
  });

  test("a salted state: the checksum is keyed with its salt, so the unsalted sha256 no longer matches it", () => {
    const salt = "a".repeat(64);
    const content = secretsFileContent(secrets.users);
    const state = {
      connection,
      path: secrets.path,
      userNames: ["alice", "bob"],
      checksum: saltedChecksum(salt, content),
      salt,
      permissions: "600 root:root",
      schemaVersion: 1,
    };
    assert.equal(rsyncSecrets.diff("id", state, secrets).changes, false);
    assert.equal(rsyncSecrets.diff("id", state, { ...secrets, users: { ...secrets.users, bob: "pw3" } }).changes, true);
    assert.notEqual(saltedChecksum(salt, content), sha256(content));
    assert.notEqual(saltedChecksum(salt, content), saltedChecksum("b".repeat(64), content));
    // The same checksum under another salt stands for other content.
    assert.equal(rsyncSecrets.diff("id", { ...state, salt: "b".repeat(64) }, secrets).changes, true);
  });
});

describe("RsyncListing diff", () => {
  test("a refreshed listing that lacks an expected module is a change, so the next update checks again", () => {
    const news = {
      connection,
      port: 873,
      configPath: "/etc/rsyncd.conf",
      expectedModules: ["a", "b"],
      revision: ["1"],
    };
    const state = { ...news, modules: ["a", "b"], schemaVersion: 1 };
    assert.equal(rsyncListing.diff("id", state, news).changes, false);
    assert.equal(rsyncListing.diff("id", { ...state, modules: ["a"] }, news).changes, true);
    assert.equal(rsyncListing.diff("id", state, { ...news, revision: ["2"] }).changes, true);
  });
});
