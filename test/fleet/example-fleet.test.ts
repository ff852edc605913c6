// examples/fleet under mocks: one install command and one RsyncServer per host from config.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { MockedProgram } from "./program-mocks";

let program: MockedProgram;
let exported: Record<string, unknown>;

before(async () => {
  program = await MockedProgram.start(
    "xinetd-fleet",
    {
      hosts: [
        { name: "web-1", host: "192.0.2.1" },
        { name: "web-2", host: "192.0.2.2", user: "deploy", sudo: true },
      ],
      privateKey: "key text",
    },
    ["privateKey"],
  );
  exported = await import("../../examples/fleet/index");
  await program.settled();
});

test("registers, per host, an install command and an RsyncServer that waits for it", () => {
  for (const host of ["web-1", "web-2"]) {
    const server = program.get(host);
    assert.equal(server.type, "pulumi-xinetd:index:RsyncServer");
    assert.ok(server.dependencies.includes(program.get(`${host}-prepare-host`).urn));
    for (const child of ["config", "releases", "logs", "xinetd", "listing"])
      assert.equal(program.get(`${host}-${child}`).parent, server.urn);
  }
  assert.equal(program.registrations.filter((r) => r.type === "command:remote:Command").length, 2);
  assert.deepEqual(Object.keys(exported.listedModules as object), ["web-1", "web-2"]);
});

test("each host keeps its own user and sudo; the modules are the same everywhere", () => {
  assert.equal(program.get("web-1-logs").inputs.sudo, false);
  assert.equal(program.get("web-2-logs").inputs.sudo, true);
  assert.equal(program.get("web-2-logs").inputs.connection.value.user, "deploy");
  assert.match(program.get("web-2-prepare-host").inputs.create, /sudo -n apt-get update/);
  assert.doesNotMatch(program.get("web-1-prepare-host").inputs.create, /sudo/);
  const logs = program.get("web-1-logs").inputs;
  assert.deepEqual([logs.writeOnly, logs.list, logs.hostsAllow], [true, false, ["10.0.0.0/8"]]);
});

test("every dynamic resource's provider serializes", () => {
  program.assertProvidersSerialized();
});
