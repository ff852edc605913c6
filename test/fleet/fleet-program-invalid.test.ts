// The fleet program stops on a bad config with every problem listed, before any resource exists.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as pulumi from "@pulumi/pulumi";

import { MockedProgram } from "./program-mocks";

test("a bad fleet config fails the program with every problem and registers nothing", async () => {
  const program = await MockedProgram.start("pulumi-xinetd", {
    hosts: [{ name: "a", connection: { host: "a.example", privateKey: "inline" }, groups: ["missing"] }],
    groups: { g: { rsync: { modules: { pub: { path: "/srv/pub", readOnly: "yes" } } } } },
  });
  await assert.rejects(import("../../fleet/index"), (error: Error) => {
    assert.ok(pulumi.RunError.isInstance(error), "a RunError: Pulumi prints it without a stack trace");
    for (const expected of [
      "hosts[0].connection.privateKey: ",
      "[inline-secret]",
      "hosts[0].connection: ",
      "[no-credentials]",
      "hosts[0].groups[0]: ",
      "[unknown-group]",
      "groups.g.rsync.modules.pub.readOnly: ",
      "[bad-boolean]",
    ])
      assert.ok(error.message.includes(expected), `the message has ${expected}:\n${error.message}`);
    assert.match(error.message, /^The fleet config has 4 problem\(s\):/);
    return true;
  });
  await program.settled();
  assert.deepEqual(
    program.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack"),
    [],
  );
});
