// Secret values never sit in plain outputs (issue 8, item 8), through the real dynamic-provider
// host on a lab host. The host receives inputs without their secret marks; the resources tell it
// with `secretContent` (registration.test.ts proves when they set it), and the provider answers
// `content` and `checksum` in the wire form of a secret, which the engine keeps on outputs
// (UnmarshalProperties with KeepSecrets). Outputs named like a secret input (`env`) the engine
// marks itself (annotateSecrets), so the test applies that rule too: what is left in plain
// must not hold the secret, on create, refresh and update.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { ProgramResource, providerTexts, rootConnection, type ProviderTexts } from "../support/program-resources";
import { isSecretValue, startProviderHost, type PropertyBag, type ProviderHost } from "../support/provider-host";

const skip = labSkipReason();

const TOKEN = "Sekr1t-token-in-a-file";

/** The outputs as the engine stores them in plain: secret envelopes and outputs named like a secret input left out. */
function plainPart(outputs: PropertyBag, secretInputs: readonly string[]): PropertyBag {
  return Object.fromEntries(
    Object.entries(outputs).filter(([key, value]) => !isSecretValue(value) && !secretInputs.includes(key)),
  );
}

describe("content and checksum outputs of resources with a secret input", { skip }, () => {
  let lab: Lab;
  let target: LabHost;
  let host: ProviderHost;
  let texts: ProviderTexts;
  let connection: Record<string, unknown>;

  before(async () => {
    texts = await providerTexts();
    lab = await startLab({ hosts: 1 });
    target = lab.hosts[0]!;
    connection = rootConnection(lab, target);
    host = await startProviderHost();
  });

  after(async () => {
    await host?.stop();
    await lab?.stop();
  });

  const expectSecretContent = (resource: ProgramResource, secretInputs: readonly string[]) => {
    const { content, checksum } = resource.outputs;
    assert.ok(isSecretValue(content) && String(content.value).includes(TOKEN), "content is a secret holding the value");
    assert.ok(isSecretValue(checksum) && /^[0-9a-f]{64}$/.test(String(checksum.value)), "checksum is a secret");
    assert.doesNotMatch(
      JSON.stringify(plainPart(resource.outputs, ["connection", ...secretInputs])),
      new RegExp(TOKEN),
    );
  };

  test("XinetdService with a secret env: content and checksum secret on create, refresh and update; plain without a secret", async () => {
    const service = new ProgramResource(host, "xinetdService", "secret-env", texts);
    const inputs: PropertyBag = {
      connection,
      serviceName: "pxenv",
      type: ["UNLISTED"],
      port: 7351,
      socketType: "stream",
      wait: false,
      user: "nobody",
      server: "/bin/cat",
      env: [`TOKEN=${TOKEN}`],
      secretContent: true,
    };
    assert.equal(await service.up(inputs), "create");
    expectSecretContent(service, ["env"]);
    assert.equal(await service.refresh(), "refreshed");
    expectSecretContent(service, ["env"]);
    assert.equal((await service.drift()).changes, "none");
    assert.equal(await service.up({ ...inputs, user: "daemon" }), "update");
    expectSecretContent(service, ["env"]);

    // The same program without the secret: the outputs are plain again (an update, since the flag changed).
    assert.equal(
      await service.up({ ...inputs, user: "daemon", env: ["TOKEN=public"], secretContent: false }),
      "update",
    );
    assert.equal(typeof service.outputs.content, "string");
    assert.equal(typeof service.outputs.checksum, "string");
    await service.destroy();
    assert.equal((await target.exec(["test", "-e", "/etc/xinetd.d/pxenv"])).code, 1);
  });

  test("XinetdService with secret serverArgs, RsyncModule with a secret preXferExec, RsyncdConfig with a secret motdFile", async () => {
    const service = new ProgramResource(host, "xinetdService", "secret-args", texts);
    assert.equal(
      await service.up({
        connection,
        serviceName: "pxargs",
        type: ["UNLISTED"],
        port: 7352,
        socketType: "stream",
        wait: false,
        user: "nobody",
        server: "/bin/echo",
        serverArgs: ["--token", TOKEN],
        secretContent: true,
      }),
      "create",
    );
    expectSecretContent(service, ["serverArgs"]);

    const config = new ProgramResource(host, "rsyncdConfig", "secret-motd", texts);
    assert.equal(
      await config.up({
        connection,
        configPath: "/etc/rsyncd/secret.conf",
        motdFile: `/etc/${TOKEN}`,
        secretContent: true,
      }),
      "create",
    );
    expectSecretContent(config, ["motdFile"]);

    const module = new ProgramResource(host, "rsyncModule", "secret-exec", texts);
    assert.equal(
      await module.up({
        connection,
        configPath: "/etc/rsyncd/secret.conf",
        moduleName: "hooked",
        path: "/srv",
        preXferExec: `/bin/check --token ${TOKEN}`,
        secretContent: true,
      }),
      "create",
    );
    expectSecretContent(module, ["preXferExec"]);
    assert.equal(await module.refresh(), "refreshed");
    expectSecretContent(module, ["preXferExec"]);

    await module.destroy();
    await config.destroy();
    await service.destroy();
  });

  test("check refuses a secretContent that is not a boolean", async () => {
    const checked = await host.check(
      new ProgramResource(host, "rsyncModule", "bad-flag", texts).urn,
      {},
      {
        __provider: texts.rsyncModule,
        connection,
        moduleName: "m",
        path: "/srv",
        secretContent: "yes",
      },
    );
    assert.deepEqual(checked.failures, [
      { property: "secretContent", reason: "`secretContent` must be true or false." },
    ]);
  });
});
