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
