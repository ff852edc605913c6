// examples/sudo-user under mocks: every resource carries sudo and a non-root user; installs go through sudo -n.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { DYNAMIC_TYPE_PREFIX, MockedProgram } from "./program-mocks";

let program: MockedProgram;

before(async () => {
  program = await MockedProgram.start(
    "xinetd-sudo-user",
    { host: "192.0.2.1", user: "deploy", privateKey: "key text" },
    ["privateKey"],
  );
  await import("../../examples/sudo-user/index");
  await program.settled();
});

test("registers the install command, the share server and the daytime service", () => {
  assert.deepEqual(
    program.summary().filter(([type]) => type !== "pulumi:pulumi:Stack"),
    [
      ["XinetdService", "daytime"],
      ["command:remote:Command", "prepare-host"],
      ["pulumi-xinetd:index:RsyncServer", "share"],
      ["RsyncListing", "share-listing"],
      ["RsyncModule", "share-share"],
      ["XinetdService", "share-xinetd"],
    ],
  );
  assert.ok(program.get("daytime").dependencies.includes(program.get("prepare-host").urn));
});

test("the library runs through sudo as the non-root user; the install command uses sudo -n", () => {
  for (const registration of program.registrations.filter((r) => r.type.startsWith(DYNAMIC_TYPE_PREFIX))) {
    assert.equal(registration.inputs.sudo, true, `${registration.name} has sudo`);
    assert.equal(registration.inputs.connection.value.user, "deploy");
  }
  const install = program.get("prepare-host").inputs.create as string;
  assert.match(install, /sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q xinetd rsync/);
  // apt-get update, apt-get install, systemctl disable and mkdir: each through sudo.
  assert.equal(install.match(/sudo -n /g)?.length, 4);
});

test("every dynamic resource's provider serializes", () => {
  program.assertProvidersSerialized();
});
