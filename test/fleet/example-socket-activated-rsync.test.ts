// examples/socket-activated-rsync under mocks: the install command, then an RsyncServer whose
// launcher is a SystemdSocketService with the example's overrides, after the host's systemd check.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { MockedProgram } from "./program-mocks";

let program: MockedProgram;

before(async () => {
  program = await MockedProgram.start("xinetd-socket-activated-rsync", { host: "192.0.2.1", privateKey: "key" }, [
    "privateKey",
  ]);
  await import("../../examples/socket-activated-rsync/index");
  await program.settled();
});

test("registers the install command and the server with a socket service, no xinetd service", () => {
  assert.deepEqual(
    program.summary().filter(([type]) => type !== "pulumi:pulumi:Stack"),
    [
      ["command:remote:Command", "prepare-host"],
      ["pulumi-xinetd:index:RsyncServer", "socket-rsync"],
      ["RsyncdConfig", "socket-rsync-config"],
      ["RsyncListing", "socket-rsync-listing"],
      ["RsyncModule", "socket-rsync-pub"],
      ["SystemdSocketService", "socket-rsync-systemd"],
      ["RsyncLauncherCheck", "socket-rsync-systemd-check"],
    ],
  );
  assert.ok(program.get("socket-rsync").dependencies.includes(program.get("prepare-host").urn));
  assert.doesNotMatch(program.get("prepare-host").inputs.create, /xinetd/, "systemd is the launcher");
  const check = program.get("socket-rsync-systemd-check").urn;
  for (const child of ["socket-rsync-config", "socket-rsync-pub"])
    assert.ok(program.get(child).dependencies.includes(check), `${child} waits on the systemd check`);
});

test("the socket service: rsync's defaults under the example's overrides", () => {
  const socket = program.get("socket-rsync-systemd").inputs;
  assert.deepEqual(
    [socket.serviceName, socket.port, socket.wait, socket.user, socket.server, socket.serverArgs],
    ["rsync", 873, false, "root", "/usr/bin/rsync", ["--daemon", "--config=/etc/rsyncd/rsyncd.conf"]],
  );
  assert.deepEqual([socket.instances, socket.perSource], [50, 5]);
  assert.deepEqual(socket.extra, { service: { ProtectSystem: "full", PrivateTmp: "yes" } });
  assert.equal(program.get("socket-rsync-listing").inputs.port, 873);
});

test("every dynamic resource's provider serializes", () => {
  program.assertProvidersSerialized();
});
