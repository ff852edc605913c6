// Every input of each resource is an output holding what was given (as @pulumi/command's resources
// expose theirs), checked under pulumi.runtime.setMocks with every input of the tables set.
// `connection` stays secret; RsyncSecrets' passwords have no declared output (see the tables test).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import * as pulumi from "@pulumi/pulumi";

import { RsyncdConfig, RsyncModule, RsyncSecrets, XinetdService } from "../../src";
import { referenceRows, type SettingsKind } from "../../src/schema";

const connection = { host: "192.0.2.1", privateKey: "key text" };

/** A value of each table type, different from any default. */
const SAMPLES: Record<string, unknown> = {
  ConnectionArgs: connection,
  boolean: true,
  number: 7,
  string: "/srv/x",
  "string[]": ["a", "b"],
  XinetdReload: "none",
  SocketType: "stream",
  ListValue: { add: ["HOST"] },
  EnvValue: ["A=1"],
  LogType: { kind: "SYSLOG", facility: "daemon" },
  ResourceLimit: "64M",
  "[number, number]": [50, 10],
  "{ host: string; port: number }": { host: "192.0.2.9", port: 7 },
  'number | "UNLIMITED"': "UNLIMITED",
  'number | "FOREVER" | "NEVER"': "NEVER",
  "Record<string, string>": { "max verbosity": "2" },
  "Record<string, ListValue>": { "x-note": ["a"] },
};

/** Every input of `kind` (from the tables) with a sample value. */
function everyInput(kind: SettingsKind): Record<string, unknown> {
  return Object.fromEntries(
    referenceRows(kind).map((row) => {
      assert.ok(Object.hasOwn(SAMPLES, row.type), `a sample of ${row.type} (${kind}.${row.key})`);
      return [row.key, SAMPLES[row.type]];
    }),
  );
}

function settled<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

async function checkOutputs(
  kind: SettingsKind,
  resource: object,
  inputs: Record<string, unknown>,
  skip: string[] = [],
) {
  for (const [key, value] of Object.entries(inputs)) {
    if (skip.includes(key)) continue;
    const output = (resource as Record<string, unknown>)[key];
    assert.ok(pulumi.Output.isInstance(output), `${kind}.${key} is an output`);
    assert.deepEqual(await settled(output as pulumi.Output<unknown>), value, `${kind}.${key} equals its input`);
  }
  const secret = (resource as { connection: pulumi.Output<unknown> }).connection;
  assert.equal(await pulumi.isSecret(secret), true, `${kind}.connection is secret`);
}

before(async () => {
  await pulumi.runtime.setMocks(
    { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
    "project",
    "stack",
    false,
  );
});

describe("every input is a typed output holding the input", () => {
  test("XinetdService", async () => {
    const inputs = everyInput("XinetdService");
    await checkOutputs("XinetdService", new XinetdService("svc", inputs as never), inputs);
  });

  test("RsyncModule", async () => {
    const inputs = everyInput("RsyncModule");
    await checkOutputs("RsyncModule", new RsyncModule("mod", inputs as never), inputs);
  });

  test("RsyncdConfig", async () => {
    const inputs = everyInput("RsyncdConfig");
    await checkOutputs("RsyncdConfig", new RsyncdConfig("cfg", inputs as never), inputs);
  });

  test("RsyncSecrets, but for the passwords", async () => {
    const inputs = everyInput("RsyncSecrets");
    await checkOutputs("RsyncSecrets", new RsyncSecrets("sec", inputs as never), inputs, ["users"]);
  });

  test("the check can fail: an output of another input's value is not equal", async () => {
    const inputs = everyInput("RsyncModule");
    const module = new RsyncModule("mod-2", inputs as never);
    assert.notDeepEqual(await settled(module.readOnly), await settled(module.maxConnections));
  });
});
