// examples/modules-with-secrets under mocks: modules with auth users, secrets files and hostsAllow.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { isSecret, MockedProgram } from "./program-mocks";

let program: MockedProgram;

before(async () => {
  program = await MockedProgram.start(
    "xinetd-modules-with-secrets",
    {
      host: "192.0.2.1",
      privateKey: "key text",
      backupPassword: "b-pw",
      restorePassword: "r-pw",
      reportsReaderPassword: "rr-pw",
      officeNetworks: ["10.1.0.0/16"],
    },
    ["privateKey", "backupPassword", "restorePassword", "reportsReaderPassword"],
  );
  await import("../../examples/modules-with-secrets/index");
  await program.settled();
});

test("registers the server with its secrets and modules, and a standalone module with its own secrets", () => {
  assert.deepEqual(
    program.summary().filter(([type]) => type !== "pulumi:pulumi:Stack"),
    [
      ["pulumi-xinetd:index:RsyncServer", "files"],
      ["RsyncModule", "files-backup"],
      ["RsyncdConfig", "files-config"],
      ["RsyncListing", "files-listing"],
      ["RsyncModule", "files-mirror"],
      ["RsyncSecrets", "files-secrets"],
      ["XinetdService", "files-xinetd"],
      ["command:remote:Command", "prepare-host"],
      ["RsyncModule", "reports"],
      ["RsyncSecrets", "reports-secrets"],
    ],
  );
  // A dependency on a component is one on each of its children.
  assert.ok(
    program.get("reports").dependencies.includes(program.get("files-xinetd").urn),
    "the standalone module follows the server",
  );
  assert.ok(program.get("reports-secrets").dependencies.includes(program.get("prepare-host").urn));
});

test("passwords are secret inputs; auth users, secrets files and hostsAllow are set", () => {
  const users = program.get("files-secrets").inputs.users;
  assert.ok(isSecret(users));
  assert.deepEqual(users.value, { backup: "b-pw", restore: "r-pw" });
  assert.ok(isSecret(program.get("reports-secrets").inputs.users));
  const backup = program.get("files-backup").inputs;
  assert.deepEqual(
    [backup.authUsers, backup.secretsFile, backup.hostsAllow, backup.hostsDeny, backup.list],
    [["backup", "restore:ro"], "/etc/rsyncd.secrets", ["10.1.0.0/16"], ["*"], false],
  );
  const reports = program.get("reports").inputs;
  assert.deepEqual(
    [reports.authUsers, reports.secretsFile, reports.hostsAllow],
    [["reader:ro"], "/etc/rsyncd.reports.secrets", ["10.1.0.0/16"]],
  );
});

test("every dynamic resource's provider serializes", () => {
  program.assertProvidersSerialized();
});
