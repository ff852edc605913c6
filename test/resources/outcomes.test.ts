// How a failed change is reported to the engine (no host needed): a partial failure with the id
// whenever the host may have changed, a plain error when nothing reached it or it shows nothing;
// and a state without `content` (outcome unknown) diffs as a change, so the next `up` updates.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FormatError } from "../../src/formats";
import { rsyncdConfig, rsyncModule, xinetdService } from "../../src/provider";
import { applyFailure, alreadyExistsError } from "../../src/provider/errors";
import { contentOutputs } from "../../src/provider/outputs";
import type { Props } from "../../src/provider/props";
import { RemoteError } from "../../src/remote";

const ID = "192.0.2.1:22:/etc/rsyncd.conf[m]";
const inputs: Props = {
  connection: { host: "192.0.2.1", privateKey: "k" },
  moduleName: "m",
  path: "/srv",
  __provider: "text",
};
const cut = () =>
  new RemoteError({
    code: "connection-lost",
    host: "root@192.0.2.1:22",
    command: "script",
    summary: "the connection broke while the command ran",
  });
const asInputs = (props: Props): Props => ({ ...props, unknown: true });

const hostShows = (props: Props | undefined) => async (): Promise<{ id: string; props: Props }> =>
  props ? { id: ID, props } : { id: "", props: {} };
const hostUnreachable = async (): Promise<never> => {
  throw new RemoteError({ code: "dial-failed", host: "root@192.0.2.1:22", command: "connect", summary: "no route" });
};

describe("applyFailure", () => {
  test("a cut connection and an unreadable host: partial failure with the id and the inputs, no content", async () => {
    const original = cut();
    const error = (await applyFailure(original, ID, inputs, hostUnreachable, asInputs)) as Error & {
      id?: string;
      properties?: Props;
    };
    assert.equal(error.message, original.message);
    assert.equal(error.cause, original);
    assert.equal(error.id, ID);
    assert.deepEqual(error.properties, { ...inputs, unknown: true });
  });

  test("a cut connection and a host that has the resource: partial failure with what the host has", async () => {
    const error = (await applyFailure(
      cut(),
      ID,
      inputs,
      hostShows({ moduleName: "m", content: "[m]\n" }),
      asInputs,
    )) as Error & { id?: string; properties?: Props };
    assert.equal(error.id, ID);
    assert.deepEqual(error.properties, { moduleName: "m", content: "[m]\n", __provider: "text" });
  });

  test("one error shared by several resources (a batch reload) gives each its own id and properties", async () => {
    const shared = cut();
    const first = (await applyFailure(shared, "a", inputs, hostUnreachable, () => ({
      moduleName: "a",
    }))) as Error & { id?: string; properties?: Props };
    const second = (await applyFailure(shared, "b", inputs, hostUnreachable, () => ({
      moduleName: "b",
    }))) as Error & { id?: string; properties?: Props };
    assert.deepEqual(
      [first.id, first.properties?.moduleName, second.id, second.properties?.moduleName],
      ["a", "a", "b", "b"],
    );
    assert.equal((shared as Error & { id?: string }).id, undefined);
  });

  test("plain errors: a refusal, a host that shows nothing, nothing sent (format layer, dial), no way to state the inputs", async () => {
    const plain = async (
      error: unknown,
      readHost: Parameters<typeof applyFailure>[3],
      outputs?: (inputs: Props) => Props,
    ) => {
      const thrown = (await applyFailure(error, ID, inputs, readHost, outputs)) as Error & { id?: string };
      assert.ok(thrown === error, "the original error");
      assert.equal(thrown.id, undefined);
    };
    await plain(alreadyExistsError("the file", "h"), hostShows({ content: "x" }), asInputs);
    await plain(cut(), hostShows(undefined), asInputs);
    await plain(new FormatError("candidate", []), hostUnreachable, asInputs);
    for (const code of [
      "dial-failed",
      "host-key-unknown",
      "host-key-revoked",
      "host-key-mismatch",
      "auth-failed",
      "channel-failed",
    ] as const) {
      await plain(new RemoteError({ code, host: "h", command: "connect", summary: code }), hostUnreachable, asInputs);
    }
    await plain(cut(), hostUnreachable);
  });
});

describe("a state whose outcome is unknown", () => {
  test("diffs as a change (no replacement) for every file-backed kind", () => {
    const connection = { host: "192.0.2.1", privateKey: "k" };
    const module = { connection, configPath: "/etc/rsyncd.conf", moduleName: "m", path: "/srv", schemaVersion: 1 };
    assert.deepEqual(rsyncModule.diff(ID, module, module), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.equal(rsyncModule.diff(ID, { ...module, content: "[m]\n\tpath = /srv\n" }, module).changes, false);
    const global = { connection, configPath: "/etc/rsyncd.conf", useChroot: false, schemaVersion: 1 };
    assert.equal(rsyncdConfig.diff(ID, global, global).changes, true);
    const service = {
      connection,
      serviceName: "s",
      configDir: "/etc/xinetd.d",
      reload: "auto",
      socketType: "stream",
      wait: false,
      schemaVersion: 1,
    };
    assert.equal(xinetdService.diff(ID, service, service).changes, true);
    assert.equal(xinetdService.diff(ID, { ...service, content: "service s\n{\n}\n" }, service).changes, false);
  });
});

describe("a state written before `secretContent` existed", () => {
  test("diffs as no change against `secretContent: false`, and as a change against `true`", () => {
    const connection = { host: "192.0.2.1", privateKey: "k" };
    const old = {
      connection,
      configPath: "/etc/rsyncd.conf",
      moduleName: "m",
      path: "/srv",
      content: "[m]\n\tpath = /srv\n",
      schemaVersion: 1,
    };
    assert.equal(rsyncModule.diff(ID, old, { ...old, secretContent: false }).changes, false);
    assert.equal(rsyncModule.diff(ID, old, { ...old, secretContent: true }).changes, true);
  });
});

describe("contentOutputs", () => {
  test("plain without secretContent; the wire form of a secret with it", () => {
    assert.deepEqual(Object.keys(contentOutputs({}, "text")), ["content", "checksum"]);
    assert.equal(contentOutputs({ secretContent: false }, "text").content, "text");
    const secret = contentOutputs({ secretContent: true }, "text");
    assert.deepEqual(secret.content, {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "text",
    });
    assert.equal((secret.checksum as Props)["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
  });
});
