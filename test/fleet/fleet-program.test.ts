// The fleet program (fleet/index.ts, the package's Fleet on stack config) under mocks, on a sample config of two hosts
// and two groups:
// which resources it registers, their names, inputs, parents and order, and that secrets stay secret.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { before, describe, test } from "node:test";

import * as pulumi from "@pulumi/pulumi";

import { connectionArgs } from "../../src/fleet/fleet";
import { isSecret, MockedProgram, valueOf } from "./program-mocks";

const keyFile = path.join(mkdtempSync(path.join(tmpdir(), "fleet-key-")), "id_ed25519");

const HOSTS = [
  { name: "backup-1", connection: { host: "192.0.2.10", privateKeySecret: "opsKey" }, groups: ["backup", "tools"] },
  {
    name: "mirror-1",
    connection: {
      host: "192.0.2.20",
      user: "deploy",
      privateKeyPath: keyFile,
      hostKeyChecking: "accept-new",
      knownHostsFiles: ["/srv/ops/known_hosts"],
      proxy: { host: "bastion.example", agentSocketPath: "/run/agent.sock", hostKeyChecking: "off" },
    },
    sudo: true,
    groups: ["backup"],
  },
];
const GROUPS = {
  backup: {
    rsync: {
      configPath: "/etc/rsyncd/rsyncd.conf",
      global: { pidFile: "/var/run/rsyncd.pid", logFile: "/var/log/rsync.log" },
      secrets: { path: "/etc/rsyncd.secrets", users: { alice: "rsyncAlice" } },
      modules: {
        home: { path: "/srv/home", authUsers: ["alice"], hostsAllow: ["10.0.0.0/8"] },
        pub: { path: "/srv/pub" },
      },
    },
  },
  tools: {
    xinetd: {
      services: { daytime: { type: ["INTERNAL"], socketType: "stream", wait: false, onlyFrom: ["127.0.0.1"] } },
    },
  },
};

let program: MockedProgram;
let exported: Record<string, unknown>;

before(async () => {
  writeFileSync(keyFile, "key read from a file");
  program = await MockedProgram.start(
    "pulumi-xinetd",
    { hosts: HOSTS, groups: GROUPS, opsKey: "ops key text", rsyncAlice: "alice password" },
    ["opsKey", "rsyncAlice"],
  );
  exported = await import("../../fleet/index");
  await program.settled();
});

describe("the fleet program", () => {
  test("registers one Host component per host and, per group it lists, an RsyncServer or XinetdService", () => {
    const perServer = (name: string): Array<[string, string]> => [
      ["pulumi-xinetd:index:RsyncServer", name],
      ["RsyncdConfig", `${name}-config`],
      ["RsyncSecrets", `${name}-secrets`],
      ["RsyncModule", `${name}-home`],
      ["RsyncModule", `${name}-pub`],
      ["XinetdService", `${name}-xinetd`],
      ["RsyncListing", `${name}-listing`],
    ];
    const expected: Array<[string, string]> = [
      ["pulumi-xinetd:index:Fleet", "fleet"],
      ["pulumi-xinetd:fleet:Host", "backup-1"],
      ["command:remote:Command", "backup-1:install"],
      ...perServer("backup-1:backup"),
      ["XinetdService", "backup-1:tools:daytime"],
      ["pulumi-xinetd:fleet:Host", "mirror-1"],
      ["command:remote:Command", "mirror-1:install"],
      ...perServer("mirror-1:backup"),
    ];
    const sort = (list: Array<[string, string]>) =>
      [...list].sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
    assert.deepEqual(
      program.summary().filter(([type]) => type !== "pulumi:pulumi:Stack"),
      sort(expected),
    );
  });

  test("each Host is the Fleet's child, aliased to its URN from before the Fleet component (a child of the stack)", () => {
    for (const host of ["backup-1", "mirror-1"]) {
      const component = program.get(host);
      assert.equal(component.parent, program.get("fleet").urn);
      // Same name, type, stack and project; no parent: the URN the root program gave hosts before.
      assert.deepEqual(component.aliases, [
        { spec: { name: "", type: "", stack: "", project: "", noparent: true, parenturn: undefined }, urn: undefined },
      ]);
    }
  });

  test("everything of a host is its Host component's child and waits for the package install", () => {
    for (const host of ["backup-1", "mirror-1"]) {
      const component = program.get(host);
      const install = program.get(`${host}:install`);
      assert.equal(install.parent, component.urn);
      const server = program.get(`${host}:backup`);
      assert.equal(server.parent, component.urn);
      assert.ok(server.dependencies.includes(install.urn), `${host}:backup depends on the install`);
    }
    const daytime = program.get("backup-1:tools:daytime");
    assert.equal(daytime.parent, program.get("backup-1").urn);
    assert.ok(daytime.dependencies.includes(program.get("backup-1:install").urn));
    assert.equal(program.get("backup-1:backup-home").parent, program.get("backup-1:backup").urn);
  });

  test("group settings reach each host's resources, with the host's sudo and the group's config path", () => {
    const module = program.get("mirror-1:backup-home").inputs;
    assert.deepEqual(
      [
        module.moduleName,
        module.path,
        module.configPath,
        module.sudo,
        module.authUsers,
        module.secretsFile,
        module.hostsAllow,
      ],
      ["home", "/srv/home", "/etc/rsyncd/rsyncd.conf", true, ["alice"], "/etc/rsyncd.secrets", ["10.0.0.0/8"]],
    );
    assert.equal(program.get("backup-1:backup-home").inputs.sudo, false);
    const xinetd = program.get("backup-1:backup-xinetd").inputs;
    assert.deepEqual(
      [xinetd.serviceName, xinetd.serverArgs],
      ["rsync", ["--daemon", "--config=/etc/rsyncd/rsyncd.conf"]],
    );
    const config = program.get("backup-1:backup-config").inputs;
    assert.deepEqual(
      [config.pidFile, config.logFile, config.configPath],
      ["/var/run/rsyncd.pid", "/var/log/rsync.log", "/etc/rsyncd/rsyncd.conf"],
    );
    const daytime = program.get("backup-1:tools:daytime").inputs;
    assert.deepEqual(
      [daytime.serviceName, daytime.type, daytime.socketType, daytime.wait, daytime.onlyFrom],
      ["daytime", ["INTERNAL"], "stream", false, ["127.0.0.1"]],
    );
  });

  test("the install command runs as root: directly for root, through sudo -n for a sudo host", () => {
    const direct = program.get("backup-1:install").inputs.create as string;
    const viaSudo = program.get("mirror-1:install").inputs.create as string;
    assert.match(direct, /^set -e\n/);
    assert.match(direct, /apt-get install -y -q xinetd rsync/);
    assert.match(viaSudo, /^sudo -n sh -c 'set -e\n/);
  });

  test("private keys and rsync passwords stay secret; the proxy and the key file reach the connection", async () => {
    const commandConnection = program.get("backup-1:install").inputs.connection;
    assert.ok(isSecret(commandConnection), "the connection travels as a secret");
    assert.equal(commandConnection.value.privateKey, "ops key text");
    const mirrorConnection = program.get("mirror-1:install").inputs.connection.value;
    assert.equal(mirrorConnection.privateKey, "key read from a file");
    assert.deepEqual(
      [mirrorConnection.user, mirrorConnection.proxy.host, mirrorConnection.proxy.agentSocketPath],
      ["deploy", "bastion.example", "/run/agent.sock"],
    );
    // Host-key checking is this package's: the resources get it, @pulumi/command's connection does not.
    assert.equal(
      "hostKeyChecking" in mirrorConnection ||
        "knownHostsFiles" in mirrorConnection ||
        "hostKeyChecking" in mirrorConnection.proxy,
      false,
    );
    const moduleConnection = program.get("mirror-1:backup-home").inputs.connection.value;
    assert.deepEqual(
      [moduleConnection.hostKeyChecking, moduleConnection.knownHostsFiles, moduleConnection.proxy.hostKeyChecking],
      ["accept-new", ["/srv/ops/known_hosts"], "off"],
    );
    // Each secret is a secret on its own, not only because the resources wrap the whole connection.
    const args = connectionArgs(
      { host: "192.0.2.20", port: 22, user: "deploy", privateKeyPath: keyFile, passwordSecret: "rsyncAlice" },
      (key) => pulumi.secret(`value of ${key}`),
    );
    assert.equal(await pulumi.isSecret(pulumi.output(args.privateKey)), true);
    assert.equal(await pulumi.isSecret(pulumi.output(args.password)), true);
    const users = program.get("backup-1:backup-secrets").inputs.users;
    assert.ok(isSecret(users));
    assert.deepEqual(users.value, { alice: "alice password" });
  });

  test("every dynamic resource's provider serializes, with its connection secret", () => {
    program.assertProvidersSerialized();
  });

  test("exports, per host and group, the module listing output", async () => {
    const listed = exported.listedModules as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(listed), ["backup-1", "mirror-1"]);
    assert.deepEqual(Object.keys(listed["backup-1"] ?? {}), ["backup"]);
    // Under mocks the listing echoes its inputs, which have no `modules`.
    assert.equal(await valueOf(listed["backup-1"]?.backup as never), undefined);
  });
});
