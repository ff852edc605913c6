// examples/declarative-fleet under mocks: a user's project (`my-infra`) runs the package's Fleet on
// the example's own stack file; fleet keys come from `pulumi-xinetd:`, secrets from `my-infra:`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { before, test } from "node:test";

import { isSecret, MockedProgram } from "./program-mocks";

const EXAMPLE = path.resolve(__dirname, "../../examples/declarative-fleet");

let program: MockedProgram;
let exported: Record<string, unknown>;

before(async () => {
  const yaml = createRequire(require.resolve("@pulumi/pulumi"))("js-yaml") as { load(text: string): any };
  const stack = yaml.load(readFileSync(path.join(EXAMPLE, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  program = await MockedProgram.start(
    "my-infra",
    { ...stack.config, opsKey: "ops key text", rsyncAlicePassword: "alice password" },
    ["opsKey", "rsyncAlicePassword"],
  );
  exported = await import("../../examples/declarative-fleet/index");
  await program.settled();
});

test("registers the Fleet, a Host per host, and per group an RsyncServer or XinetdService", () => {
  const fleet = program.get("fleet");
  assert.equal(fleet.type, "pulumi-xinetd:index:Fleet");
  for (const host of ["backup-1", "backup-2"]) {
    assert.equal(program.get(host).parent, fleet.urn);
    const server = program.get(`${host}:backup`);
    assert.equal(server.type, "pulumi-xinetd:index:RsyncServer");
    assert.ok(server.dependencies.includes(program.get(`${host}:install`).urn));
  }
  assert.equal(program.get("backup-2:tools:daytime").inputs.serviceName, "daytime");
  assert.equal(
    program.registrations.some((r) => r.name === "backup-1:tools:daytime"),
    false,
    "backup-1 does not list tools",
  );
  assert.deepEqual(Object.keys(exported.listedModules as object), ["backup-1", "backup-2"]);
});

test("the secrets named in the stack file are read from the user's project, and stay secret", () => {
  const connection = program.get("backup-2:install").inputs.connection;
  assert.ok(isSecret(connection));
  assert.deepEqual([connection.value.privateKey, connection.value.user], ["ops key text", "deploy"]);
  assert.match(program.get("backup-2:install").inputs.create as string, /^sudo -n sh -c /);
  const users = program.get("backup-1:backup-secrets").inputs.users;
  assert.ok(isSecret(users));
  assert.deepEqual(users.value, { alice: "alice password" });
  assert.equal(program.get("backup-1:backup-home").inputs.secretsFile, "/etc/rsyncd.secrets");
});

test("every dynamic resource's provider serializes", () => {
  program.assertProvidersSerialized();
});
