// The Fleet component called from a user's program with a plain object: the same checks as on
// stack config (every problem by field path, nothing registered), and the same resources.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import * as pulumi from "@pulumi/pulumi";

import { Fleet } from "../../src";
import { MockedProgram } from "./program-mocks";

let program: MockedProgram;

before(async () => {
  program = await MockedProgram.start("my-infra", { opsKey: "ops key text" }, ["opsKey"]);
});

test("a bad plain-object fleet throws a RunError naming every problem, before the component registers", async () => {
  assert.throws(
    () =>
      new Fleet("bad", {
        hosts: [{ name: "a:b", connection: { host: "a.example", privateKeySecret: "unsetKey" } }],
        groups: { g: {} },
      }),
    (error: Error) => {
      assert.ok(pulumi.RunError.isInstance(error));
      for (const expected of ["hosts[0].name: ", "hosts[0].connection.privateKeySecret: "]) {
        assert.ok(error.message.includes(expected), `the message has ${expected}:\n${error.message}`);
      }
      return true;
    },
  );
  await program.settled();
  assert.equal(
    program.registrations.some((r) => r.name === "bad"),
    false,
    "the Fleet component was not registered",
  );
});

test("a plain-object fleet registers the Fleet, its hosts and their resources; stack config is not read", async () => {
  const fleet = new Fleet("plain", {
    hosts: [
      {
        name: "web-1",
        connection: { host: "192.0.2.1", privateKeySecret: "opsKey" },
        groups: ["pub"],
        installPackages: false,
      },
    ],
    groups: { pub: { rsync: { modules: { pub: { path: "/srv/pub" } } } } },
  });
  await program.settled();
  assert.deepEqual(Object.keys(fleet.hosts), ["web-1"]);
  assert.equal(program.get("web-1").parent, program.get("plain").urn);
  assert.equal(program.get("web-1:pub").type, "pulumi-xinetd:index:RsyncServer");
  assert.equal(program.get("web-1:pub-pub").inputs.path, "/srv/pub");
  assert.equal(
    program.registrations.some((r) => r.name === "web-1:install"),
    false,
    "installPackages: false",
  );
  assert.equal(program.get("web-1:pub-pub").inputs.connection.value.privateKey, "ops key text");
});

test("a group's rsync server with launcher systemd: the socket service with the group's overrides, after the check", async () => {
  const fleet = new Fleet("sockets", {
    hosts: [
      {
        name: "sock-1",
        connection: { host: "192.0.2.2", privateKeySecret: "opsKey" },
        groups: ["socket", "plain"],
        installPackages: false,
      },
    ],
    groups: {
      socket: {
        rsync: {
          modules: { pub: { path: "/srv/pub" } },
          launcher: "systemd",
          socket: { instances: 30, extra: { service: { ProtectSystem: "full" } } },
          xinetd: { configDir: "/etc/xinetd.local" },
        },
      },
      plain: {
        rsync: {
          configPath: "/etc/rsyncd/plain.conf",
          modules: { data: { path: "/srv/data" } },
          xinetd: { serviceName: "rsync-plain", type: ["UNLISTED"], port: 8873 },
          socket: { serviceName: "rsync-plain" },
        },
      },
    },
  });
  await program.settled();
  assert.equal(fleet.hosts["sock-1"]?.groups.socket?.server?.service.constructor.name, "SystemdSocketService");
  const socket = program.get("sock-1:socket-systemd");
  assert.equal(socket.type, "pulumi-nodejs:dynamic/pulumi-xinetd:SystemdSocketService");
  assert.equal(socket.inputs.instances, 30);
  assert.deepEqual(socket.inputs.extra, { service: { ProtectSystem: "full" } });
  assert.deepEqual(socket.inputs.handover, { port: 873, xinetd: { path: "/etc/xinetd.local/rsync" } });
  const check = program.get("sock-1:socket-systemd-check");
  assert.equal(check.inputs.launcher, "systemd");
  assert.ok(program.get("sock-1:socket-pub").dependencies.includes(check.urn), "the module waits on the check");
  assert.equal(
    program.registrations.some((r) => r.name === "sock-1:socket-xinetd"),
    false,
    "no xinetd service for the socket group",
  );

  const xinetd = program.get("sock-1:plain-xinetd");
  assert.equal(xinetd.inputs.port, 8873);
  assert.equal(xinetd.inputs.handover.systemd.serviceName, "rsync-plain", "the units to take over");
  assert.equal(
    program.registrations.some((r) => r.name.startsWith("sock-1:plain-systemd")),
    false,
    "no socket service nor check for the xinetd group",
  );
});

test("a group's misplaced launcher override stops the Fleet, as RsyncServer would", () => {
  assert.throws(
    () =>
      new Fleet("misplaced", {
        hosts: [{ name: "m-1", connection: { host: "192.0.2.3", privateKeySecret: "opsKey" }, groups: ["g"] }],
        groups: { g: { rsync: { launcher: "systemd", xinetd: { flags: ["IPv6"] } } } },
      }),
    /groups\.g\.rsync\.xinetd\.flags: with `launcher: "systemd"`, `xinetd.flags` would not apply; set it under `socket`/,
  );
});
