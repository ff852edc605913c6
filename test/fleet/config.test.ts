// parseFleetConfig: a good config comes back normalized; every bad one names the exact field path
// and rule, and all problems of a config are reported together.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, test } from "node:test";

import { parseFleetConfig, type FleetProblem, type RawFleetConfig } from "../../src/fleet/config";

const PROJECT_ROOT = path.resolve(__dirname, "../..");

function goodConfig(): { hosts: any[]; groups: any } {
  return {
    hosts: [
      { name: "backup-1", connection: { host: "192.0.2.10", privateKeySecret: "opsKey" }, groups: ["backup", "tools"] },
      {
        name: "mirror-1",
        connection: { host: "mirror-1.example.net", user: "deploy", privateKeyPath: "~/.ssh/id_ed25519" },
        sudo: true,
        groups: ["backup"],
      },
    ],
    groups: {
      backup: {
        rsync: {
          configPath: "/etc/rsyncd/rsyncd.conf",
          global: { pidFile: "/var/run/rsyncd.pid", port: 873 },
          secrets: { path: "/etc/rsyncd.secrets", users: { alice: "rsyncAlice" } },
          modules: {
            home: { path: "/srv/home", readOnly: false, authUsers: ["alice:rw"], hostsAllow: ["10.0.0.0/8"] },
          },
        },
      },
      tools: { xinetd: { services: { daytime: { type: ["INTERNAL"], socketType: "stream", wait: false } } } },
    },
  };
}

function problemsOf(raw: RawFleetConfig, options = {}): FleetProblem[] {
  const result = parseFleetConfig(raw, options);
  assert.equal(result.ok, false, "the config is rejected");
  return result.ok ? [] : result.problems;
}

describe("parseFleetConfig: a good config", () => {
  test("comes back with defaults filled in and module secrets files defaulted", () => {
    const result = parseFleetConfig(goodConfig());
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    const [backup, mirror] = result.fleet.hosts;
    assert.deepEqual(backup, {
      name: "backup-1",
      connection: { host: "192.0.2.10", port: 22, user: "root", privateKeySecret: "opsKey" },
      sudo: false,
      groups: ["backup", "tools"],
      installPackages: true,
    });
    assert.deepEqual(mirror?.connection, {
      host: "mirror-1.example.net",
      port: 22,
      user: "deploy",
      privateKeyPath: "~/.ssh/id_ed25519",
    });
    assert.equal(mirror?.sudo, true);
    const rsync = result.fleet.groups.backup?.rsync;
    assert.equal(rsync?.configPath, "/etc/rsyncd/rsyncd.conf");
    assert.equal(rsync?.modules.home?.secretsFile, "/etc/rsyncd.secrets", "authUsers get the group secrets file");
    assert.deepEqual(rsync?.xinetd, {});
    assert.deepEqual(result.fleet.groups.tools, {
      xinetd: { services: { daytime: { type: ["INTERNAL"], socketType: "stream", wait: false } } },
    });
    assert.deepEqual(result.warnings, []);
  });

  test("keeps the host-key checking policy and known_hosts files, for the proxy too", () => {
    const config = goodConfig();
    const trust = { hostKeyChecking: "accept-new", knownHostsFiles: ["/srv/ops/known_hosts"] };
    Object.assign(config.hosts[1].connection, trust, {
      proxy: { host: "bastion", agentSocketPath: "/a", hostKeyChecking: "off" },
    });
    const result = parseFleetConfig(config);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    const connection = result.fleet.hosts[1]?.connection;
    assert.deepEqual(
      [connection?.hostKeyChecking, connection?.knownHostsFiles, connection?.proxy?.hostKeyChecking],
      ["accept-new", ["/srv/ops/known_hosts"], "off"],
    );
  });

  test("an rsync group without configPath gets /etc/rsyncd.conf; unused and empty groups are warnings only", () => {
    const result = parseFleetConfig({
      hosts: [{ name: "a", connection: { host: "a.example", agentSocketPath: "/run/ssh-agent.sock" }, groups: ["m"] }],
      groups: { m: { rsync: { modules: { pub: { path: "/srv/pub" } } } }, spare: {} },
    });
    assert.ok(result.ok);
    assert.equal(result.fleet.groups.m?.rsync?.configPath, "/etc/rsyncd.conf");
    assert.deepEqual(
      result.warnings.map((w) => [w.path, w.rule]),
      [
        ["groups.spare", "empty-group"],
        ["groups.spare", "unused-group"],
      ],
    );
  });

  test("an rsync server launched by systemd keeps its launcher and socket overrides", () => {
    const config = goodConfig();
    const socket = { port: 8873, instances: 30, extra: { service: { ProtectSystem: "full" } } };
    Object.assign(config.groups.backup.rsync, { launcher: "systemd", socket, xinetd: { configDir: "/etc/xinetd.d" } });
    const result = parseFleetConfig(config);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    const rsync = result.fleet.groups.backup?.rsync;
    assert.equal(rsync?.launcher, "systemd");
    assert.deepEqual(rsync?.socket, socket);
    assert.deepEqual(rsync?.xinetd, { configDir: "/etc/xinetd.d" }, "where the file to take over is");
    const plain = parseFleetConfig(goodConfig());
    assert.ok(plain.ok);
    assert.equal(plain.fleet.groups.backup?.rsync?.launcher, "xinetd", "the default");
    assert.deepEqual(plain.fleet.groups.backup?.rsync?.socket, {});
  });

  test("misplaced launcher overrides: one problem per key, in RsyncServer's words", () => {
    const config = goodConfig();
    Object.assign(config.groups.backup.rsync, {
      launcher: "systemd",
      xinetd: { flags: ["IPv6"], serviceName: "rsync", bind: "10.0.0.1" },
    });
    const misplaced = problemsOf(config).filter((p) => p.rule === "misplaced-override");
    assert.deepEqual(
      misplaced.map((p) => p.path),
      ["groups.backup.rsync.xinetd.flags", "groups.backup.rsync.xinetd.bind"],
    );
    assert.match(
      misplaced[0]!.message,
      /^with `launcher: "systemd"`, `xinetd.flags` would not apply; set it under `socket` \(`xinetd` may only hold `serviceName`, `configDir`, `reload`/,
    );
  });

  test("the sample stack file parses", () => {
    const yaml = createRequire(require.resolve("@pulumi/pulumi"))("js-yaml") as { load(text: string): any };
    const stack = yaml.load(readFileSync(path.join(PROJECT_ROOT, "Pulumi.sample.yaml"), "utf8"));
    const result = parseFleetConfig({
      hosts: stack.config["pulumi-xinetd:hosts"],
      groups: stack.config["pulumi-xinetd:groups"],
    });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.deepEqual(result.warnings, []);
  });
});

type Mutation = (config: ReturnType<typeof goodConfig>) => void;

const BAD_CONFIGS: Array<[string, Mutation, string, string]> = [
  [
    "a host without an address",
    (c) => {
      delete c.hosts[1].connection.host;
    },
    "hosts[1].connection.host",
    "required",
  ],
  [
    "a host without a connection",
    (c) => {
      delete c.hosts[0].connection;
    },
    "hosts[0].connection",
    "required",
  ],
  [
    "a port out of range",
    (c) => {
      c.hosts[0].connection.port = 70000;
    },
    "hosts[0].connection.port",
    "range",
  ],
  [
    "a private key written inline",
    (c) => {
      c.hosts[0].connection.privateKey = "-----BEGIN";
    },
    "hosts[0].connection.privateKey",
    "inline-secret",
  ],
  [
    "a key both as secret and as path",
    (c) => {
      c.hosts[0].connection.privateKeyPath = "/k";
    },
    "hosts[0].connection.privateKeyPath",
    "exclusive",
  ],
  [
    "no way to authenticate",
    (c) => {
      delete c.hosts[0].connection.privateKeySecret;
    },
    "hosts[0].connection",
    "no-credentials",
  ],
  [
    "a host-key checking policy ssh does not have",
    (c) => {
      c.hosts[0].connection.hostKeyChecking = "yes";
    },
    "hosts[0].connection.hostKeyChecking",
    "format",
  ],
  [
    "known_hosts files as one string",
    (c) => {
      c.hosts[0].connection.knownHostsFiles = "/etc/ssh/ssh_known_hosts";
    },
    "hosts[0].connection.knownHostsFiles",
    "type",
  ],
  [
    "a relative known_hosts file",
    (c) => {
      c.hosts[0].connection.knownHostsFiles = ["/etc/ssh/ssh_known_hosts", "known_hosts"];
    },
    "hosts[0].connection.knownHostsFiles[1]",
    "absolute-path",
  ],
  [
    "a proxy with an inline password",
    (c) => {
      c.hosts[0].connection.proxy = { host: "bastion", password: "pw", agentSocketPath: "/a" };
    },
    "hosts[0].connection.proxy.password",
    "inline-secret",
  ],
  [
    "a host name with a colon",
    (c) => {
      c.hosts[0].name = "a:b";
    },
    "hosts[0].name",
    "format",
  ],
  [
    "two hosts with one name",
    (c) => {
      c.hosts[1].name = "backup-1";
    },
    "hosts[1].name",
    "duplicate",
  ],
  [
    "an unknown group",
    (c) => {
      c.hosts[1].groups = ["backup", "mirror"];
    },
    "hosts[1].groups[1]",
    "unknown-group",
  ],
  [
    "sudo as text",
    (c) => {
      c.hosts[0].sudo = "yes";
    },
    "hosts[0].sudo",
    "type",
  ],
  [
    "a misspelt host field",
    (c) => {
      c.hosts[0].group = ["backup"];
    },
    "hosts[0].group",
    "unknown-field",
  ],
  [
    "a module boolean as text",
    (c) => {
      c.groups.backup.rsync.modules.home.readOnly = "no";
    },
    "groups.backup.rsync.modules.home.readOnly",
    "bad-boolean",
  ],
  [
    "a module parameter spelt the rsync way",
    (c) => {
      c.groups.backup.rsync.modules.home["read only"] = false;
    },
    'groups.backup.rsync.modules.home["read only"]',
    "unknown-field",
  ],
  [
    "a module name with a slash",
    (c) => {
      c.groups.backup.rsync.modules["a/b"] = { path: "/srv/ab" };
    },
    'groups.backup.rsync.modules["a/b"]',
    "module-name-slash",
  ],
  [
    "a module named like an RsyncServer child",
    (c) => {
      c.groups.backup.rsync.modules.config = { path: "/srv/c" };
    },
    "groups.backup.rsync.modules.config",
    "reserved-module-name",
  ],
  [
    "a hostsAllow entry with a blank",
    (c) => {
      c.groups.backup.rsync.modules.home.hostsAllow = ["10.0.0.0/8 192.168.0.0/16"];
    },
    "groups.backup.rsync.modules.home.hostsAllow",
    "list-entry",
  ],
  [
    "an auth user missing from the secrets file",
    (c) => {
      c.groups.backup.rsync.modules.home.authUsers = ["alice", "bob:ro"];
    },
    "groups.backup.rsync.modules.home.authUsers[1]",
    "unknown-auth-user",
  ],
  [
    "auth users and no secrets file at all",
    (c) => {
      delete c.groups.backup.rsync.secrets;
    },
    "groups.backup.rsync.modules.home.authUsers",
    "auth-users-without-secrets",
  ],
  [
    "a global port as text",
    (c) => {
      c.groups.backup.rsync.global.port = "873";
    },
    "groups.backup.rsync.global.port",
    "bad-integer",
  ],
  [
    "a relative config path",
    (c) => {
      c.groups.backup.rsync.configPath = "rsyncd.conf";
    },
    "groups.backup.rsync.configPath",
    "absolute-path",
  ],
  [
    "a secrets file without users",
    (c) => {
      c.groups.backup.rsync.secrets.users = {};
    },
    "groups.backup.rsync.secrets.users",
    "required",
  ],
  [
    "a password reference that is not a key name",
    (c) => {
      c.groups.backup.rsync.secrets.users.alice = "my password";
    },
    "groups.backup.rsync.secrets.users.alice",
    "format",
  ],
  [
    "an xinetd enum value",
    (c) => {
      c.groups.tools.xinetd.services.daytime.socketType = "tcp";
    },
    "groups.tools.xinetd.services.daytime.socketType",
    "enum",
  ],
  [
    "an xinetd service without wait",
    (c) => {
      delete c.groups.tools.xinetd.services.daytime.wait;
    },
    "groups.tools.xinetd.services.daytime.wait",
    "mandatory",
  ],
  [
    "an xinetd reload that does not exist",
    (c) => {
      c.groups.tools.xinetd.services.daytime.reload = "restart";
    },
    "groups.tools.xinetd.services.daytime.reload",
    "enum",
  ],
  [
    "an rsync xinetd override xinetd rejects",
    (c) => {
      c.groups.backup.rsync.xinetd = { serverArgs: [] };
    },
    "groups.backup.rsync.xinetd.serverArgs",
    "empty-server-args",
  ],
  [
    "an rsync xinetd override with serverArgs as a blank line",
    (c) => {
      c.groups.backup.rsync.xinetd = { serverArgs: " \t " };
    },
    "groups.backup.rsync.xinetd.serverArgs",
    "empty-server-args",
  ],
  [
    "two groups writing one rsyncd.conf on a host",
    (c) => {
      c.groups.second = {
        rsync: {
          configPath: "/etc/rsyncd/rsyncd.conf",
          xinetd: { serviceName: "rsync2", port: 8873, type: ["UNLISTED"] },
        },
      };
      c.hosts[0].groups.push("second");
    },
    "hosts[0].groups[2]",
    "conflicting-rsync-config",
  ],
  [
    "two groups of one host asking for different xinetd reloads",
    (c) => {
      c.groups.tools.xinetd.services.daytime.reload = "none";
    },
    "hosts[0].groups[1]",
    "conflicting-reload",
  ],
  [
    "two services of one group asking for different xinetd reloads",
    (c) => {
      c.groups.tools.xinetd.services.echo = {
        type: ["INTERNAL"],
        socketType: "stream",
        wait: false,
        user: "root",
        reload: "signal",
      };
      c.hosts[1].groups = ["tools"];
    },
    "hosts[1].groups[0]",
    "conflicting-reload",
  ],
  [
    "two groups writing one xinetd service file on a host",
    (c) => {
      c.groups.second = {
        xinetd: {
          services: {
            rsync: {
              type: ["UNLISTED"],
              port: 8873,
              socketType: "stream",
              wait: false,
              user: "root",
              server: "/usr/bin/rsync",
            },
          },
        },
      };
      c.hosts[0].groups.push("second");
    },
    "hosts[0].groups[2]",
    "conflicting-xinetd-service",
  ],
  [
    "a launcher the server does not have",
    (c) => {
      c.groups.backup.rsync.launcher = "inetd";
    },
    "groups.backup.rsync.launcher",
    "enum",
  ],
  [
    "an xinetd attribute for a socket-launched server",
    (c) => {
      Object.assign(c.groups.backup.rsync, { launcher: "systemd", xinetd: { flags: ["IPv6"], reload: "signal" } });
    },
    "groups.backup.rsync.xinetd.flags",
    "misplaced-override",
  ],
  [
    "a socket setting for an xinetd-launched server",
    (c) => {
      c.groups.backup.rsync.socket = { unitDir: "/run/systemd/system", instances: 30 };
    },
    "groups.backup.rsync.socket.instances",
    "misplaced-override",
  ],
  [
    "a socket override systemd cannot express",
    (c) => {
      Object.assign(c.groups.backup.rsync, { launcher: "systemd", socket: { socketType: "raw" } });
    },
    "groups.backup.rsync.socket.socketType",
    "no-systemd-equivalent",
  ],
  [
    "a socket override that is not a SystemdSocketService input",
    (c) => {
      Object.assign(c.groups.backup.rsync, { launcher: "systemd", socket: { logOnFailure: ["HOST"] } });
    },
    "groups.backup.rsync.socket.logOnFailure",
    "unknown-field",
  ],
  [
    "a relative unit directory",
    (c) => {
      Object.assign(c.groups.backup.rsync, { launcher: "systemd", socket: { unitDir: "units" } });
    },
    "groups.backup.rsync.socket.unitDir",
    "absolute-path",
  ],
  [
    "a socket extra setting with a newline",
    (c) => {
      Object.assign(c.groups.backup.rsync, {
        launcher: "systemd",
        socket: { extra: { service: { ProtectSystem: "full\nExecStartPre=/bin/sh" } } },
      });
    },
    "groups.backup.rsync.socket.extra.service.ProtectSystem",
    "control-character",
  ],
  [
    "two socket-launched groups on one port of a host",
    (c) => {
      Object.assign(c.groups.backup.rsync, { launcher: "systemd", socket: { port: 8873 } });
      c.groups.second = {
        rsync: {
          launcher: "systemd",
          configPath: "/etc/rsyncd/second.conf",
          socket: { port: 8873, serviceName: "r2" },
        },
      };
      c.hosts[0].groups.push("second");
    },
    "hosts[0].groups[2]",
    "conflicting-port",
  ],
  [
    "two groups with one socket unit on a host",
    (c) => {
      c.groups.second = {
        rsync: { launcher: "systemd", configPath: "/etc/rsyncd/second.conf", socket: { port: 8873 } },
      };
      c.hosts[0].groups.push("second");
    },
    "hosts[0].groups[2]",
    "conflicting-socket-unit",
  ],
];

describe("parseFleetConfig: bad configs", () => {
  for (const [title, mutate, expectedPath, expectedRule] of BAD_CONFIGS) {
    test(`${title}: ${expectedPath} [${expectedRule}]`, () => {
      const config = goodConfig();
      mutate(config);
      const problems = problemsOf(config);
      assert.ok(
        problems.some((p) => p.path === expectedPath && p.rule === expectedRule),
        `expected ${expectedPath} [${expectedRule}], got ${JSON.stringify(problems.map((p) => `${p.path} [${p.rule}]`))}`,
      );
    });
  }

  test("xinetd's `id` is the `serviceId` field (Pulumi strips `id` from inputs): `id` is refused with that hint", () => {
    const config = goodConfig();
    config.groups.tools.xinetd.services.daytime.id = "daytime-stream";
    const problems = problemsOf(config);
    assert.deepEqual(
      problems.map((p) => [p.path, p.rule, p.message]),
      [
        [
          "groups.tools.xinetd.services.daytime.id",
          "unknown-field",
          "`id` is not a field of `groups.tools.xinetd.services.daytime`. Did you mean `serviceId`?",
        ],
      ],
    );
    const renamed = goodConfig();
    renamed.groups.tools.xinetd.services.daytime.serviceId = "daytime-stream";
    const result = parseFleetConfig(renamed);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.equal(result.fleet.groups.tools?.xinetd.services.daytime?.serviceId, "daytime-stream");
  });

  test("`serverArgs` may be xinetd's own line, checked as the tokens xinetd splits it into", () => {
    const config = goodConfig();
    config.groups.backup.rsync.xinetd = { serverArgs: "--daemon  --config=/etc/rsyncd/rsyncd.conf" };
    const result = parseFleetConfig(config);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.equal(
      result.fleet.groups.backup?.rsync?.xinetd.serverArgs,
      "--daemon  --config=/etc/rsyncd/rsyncd.conf",
      "passed on as given; XinetdService splits it",
    );
    const bad = goodConfig();
    bad.groups.backup.rsync.xinetd = { serverArgs: "--daemon --config=/etc/rsyncd/rsyncd.conf\\" };
    assert.deepEqual(
      problemsOf(bad).map((p) => [p.path, p.rule]),
      [["groups.backup.rsync.xinetd.serverArgs", "value-continuation"]],
    );
  });

  test("hosts that are not a list, and groups that are not an object", () => {
    assert.deepEqual(
      problemsOf({ hosts: { name: "a" }, groups: [] }).map((p) => [p.path, p.rule]),
      [
        ["groups", "type"],
        ["hosts", "type"],
      ],
    );
    assert.deepEqual(
      problemsOf({ hosts: undefined, groups: undefined }).map((p) => [p.path, p.rule]),
      [["hosts", "required"]],
    );
  });

  test("a secret key the stack does not set, when the program can tell", () => {
    const problems = problemsOf(goodConfig(), { configKeyExists: (key: string) => key !== "rsyncAlice" });
    assert.deepEqual(
      problems.map((p) => [p.path, p.rule]),
      [["groups.backup.rsync.secrets.users.alice", "missing-secret"]],
    );
  });

  test("every problem of a config is reported at once", () => {
    const config = goodConfig();
    delete config.hosts[1].connection.host;
    config.hosts[0].connection.port = 0;
    config.groups.backup.rsync.modules.home.readOnly = "no";
    config.groups.tools.xinetd.services.daytime.socketType = "tcp";
    assert.deepEqual(
      problemsOf(config)
        .map((p) => p.path)
        .sort(),
      [
        "groups.backup.rsync.modules.home.readOnly",
        // xinetd's built-in daytime exists for stream and dgram only: the cross-attribute rule names the service.
        "groups.tools.xinetd.services.daytime",
        "groups.tools.xinetd.services.daytime.socketType",
        "hosts[0].connection.port",
        "hosts[1].connection.host",
      ],
    );
  });
});
