// examples/seed under mocks: the install command first, then the seed's RsyncServer with the
// appendix's global part and xinetd service.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { isSecret, MockedProgram } from "./program-mocks";

let program: MockedProgram;

before(async () => {
  program = await MockedProgram.start("xinetd-seed", { host: "192.0.2.1", privateKey: "key text" }, ["privateKey"]);
  await import("../../examples/seed/index");
  await program.settled();
});

test("registers the install command and the seed RsyncServer with its children", () => {
  assert.deepEqual(
    program.summary().filter(([type]) => type !== "pulumi:pulumi:Stack"),
    [
      ["command:remote:Command", "prepare-host"],
      ["pulumi-xinetd:index:RsyncServer", "seed"],
      ["RsyncdConfig", "seed-config"],
      ["RsyncListing", "seed-listing"],
      ["RsyncModule", "seed-pub"],
      ["XinetdService", "seed-xinetd"],
    ],
  );
  assert.ok(
    program.get("seed").dependencies.includes(program.get("prepare-host").urn),
    "the server waits for the install",
  );
  assert.match(program.get("prepare-host").inputs.create, /apt-get install -y -q xinetd rsync/);
  assert.ok(isSecret(program.get("prepare-host").inputs.connection));
});

test("the seed files: global part, xinetd service with log_on_failure += USERID and flags IPv6", () => {
  const config = program.get("seed-config").inputs;
  assert.deepEqual(
    [config.configPath, config.pidFile, config.lockFile, config.logFile, config.port],
    ["/etc/rsyncd/rsyncd.conf", "/var/run/rsyncd.pid", "/var/run/rsync.lock", "/var/log/rsync.log", 873],
  );
  const xinetd = program.get("seed-xinetd").inputs;
  assert.deepEqual(
    [
      xinetd.serviceName,
      xinetd.disable,
      xinetd.flags,
      xinetd.socketType,
      xinetd.wait,
      xinetd.user,
      xinetd.server,
      xinetd.serverArgs,
      xinetd.logOnFailure,
    ],
    [
      "rsync",
      false,
      ["IPv6"],
      "stream",
      false,
      "root",
      "/usr/bin/rsync",
      ["--daemon", "--config=/etc/rsyncd/rsyncd.conf"],
      { add: ["USERID"] },
    ],
  );
  assert.deepEqual(
    [program.get("seed-pub").inputs.moduleName, program.get("seed-pub").inputs.path],
    ["pub", "/srv/rsync/pub"],
  );
});

test("every dynamic resource's provider serializes", () => {
  program.assertProvidersSerialized();
});
