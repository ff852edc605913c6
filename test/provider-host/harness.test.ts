/**
 * Proves the provider-host harness against the real @pulumi/pulumi dynamic-provider host with
 * small providers defined here. Run: node --import tsx --test test/provider-host/harness.test.ts
 *
 * The test providers are serialized by value (this file is not under node_modules), so their
 * methods may use only what they capture explicitly: `require` of Node builtins inside a method,
 * and plain values from the factory's parameters.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  DynamicResourceLifecycle,
  PROVIDER_KEY,
  ProviderHostError,
  UNKNOWN,
  dynamicUrn,
  registeredInputs,
  serializeProvider,
  startProviderHost,
  unknown,
  type ProviderHost,
} from "../support/provider-host";

type Bag = Record<string, any>;

/**
 * Manages one file; `version` is baked into the serialized text so two versions differ. The methods
 * require their modules inside: Pulumi serializes each closure on its own.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
function makeFileProvider(version: string) {
  return {
    async check(_olds: Bag, news: Bag) {
      const failures = [];
      if (typeof news.path !== "string" || news.path === "")
        failures.push({ property: "path", reason: "path is required" });
      if (news.content === "") failures.push({ property: "content", reason: "content must not be empty" });
      // Defaults are filled in check, as a real provider would.
      return { inputs: { mode: "0644", ...news }, failures };
    },
    async create(inputs: Bag) {
      const fs = require("node:fs");
      fs.writeFileSync(inputs.path, inputs.content);
      return {
        id: inputs.path,
        outs: { path: inputs.path, content: inputs.content, mode: inputs.mode, writtenBy: version },
      };
    },
    async read(id: string, props: Bag) {
      const fs = require("node:fs");
      if (!fs.existsSync(id)) return { id: "", props: {} };
      return { id, props: { ...props, content: fs.readFileSync(id, "utf8") } };
    },
    async diff(_id: string, olds: Bag, news: Bag) {
      const replaces = olds.path !== news.path ? ["path"] : [];
      const changes = replaces.length > 0 || olds.content !== news.content || olds.mode !== news.mode;
      return { changes, replaces, deleteBeforeReplace: news.deleteBeforeReplace === true };
    },
    async update(id: string, _olds: Bag, news: Bag) {
      const fs = require("node:fs");
      fs.writeFileSync(id, news.content);
      return { outs: { path: id, content: news.content, mode: news.mode, writtenBy: version } };
    },
    async delete(id: string) {
      const fs = require("node:fs");
      fs.rmSync(id, { force: true });
      // Leaves a trace of which provider text ran the delete.
      fs.writeFileSync(`${id}.deleted-by`, version);
    },
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

const slowProvider = {
  async create(inputs: Bag) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { id: inputs.name, outs: { name: inputs.name } };
  },
};

const failingProvider = {
  async check(_olds: Bag, news: Bag) {
    if (news.throwInCheck) throw new Error("check exploded");
    return { inputs: news };
  },
  async create(inputs: Bag) {
    if (inputs.partial) {
      throw Object.assign(new Error("created but not healthy"), {
        id: "half-made",
        properties: { name: inputs.name, healthy: false },
        reasons: ["service did not start"],
      });
    }
    // An undefined anywhere in outs cannot become a protobuf Struct.
    return { id: "with-undefined", outs: { name: inputs.name, missing: undefined } };
  },
};

const configuredProvider = {
  greeting: "unset",
  token: "unset",
  async configure(req: { config: { get(key: string): string | undefined } }) {
    this.greeting = req.config.get("greeting") ?? "missing";
    this.token = req.config.get("token") ?? "missing";
  },
  async create() {
    // Only a fingerprint of the secret goes out, so the test can also check it is never logged.
    return { id: "configured", outs: { greeting: this.greeting, tokenLength: this.token.length } };
  },
};

/** Reports the Node binary that runs the host's providers. */
const nodeReportingProvider = {
  async create() {
    return { id: "node", outs: { execPath: process.execPath, version: process.version } };
  },
};

const SECRET_TOKEN = "t0ken-that-must-never-be-logged";

describe("provider host harness", () => {
  let host: ProviderHost;
  let dir: string;
  let fileV1: string;
  let fileV2: string;
  const urn = (name: string) => dynamicUrn({ module: "test", type: "File", name });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "provider-host-"));
    [host, fileV1, fileV2] = await Promise.all([
      startProviderHost({ config: { greeting: "hello", token: SECRET_TOKEN }, secretConfigKeys: ["token"] }),
      serializeProvider(makeFileProvider("v1")),
      serializeProvider(makeFileProvider("v2")),
    ]);
  });

  after(async () => {
    await host?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("GetPluginInfo reports the @pulumi/pulumi version", async () => {
    const info = await host.getPluginInfo();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed version, as the host reads it
    assert.equal(info.version, require("@pulumi/pulumi/package.json").version);
  });

  test("the host runs on the tests' own Node binary, not whichever node PATH finds", async () => {
    const text = await serializeProvider(nodeReportingProvider);
    const created = await host.create(urn("node"), registeredInputs(text, {}));
    assert.deepEqual(created.outs, { execPath: process.execPath, version: process.version, [PROVIDER_KEY]: text });
  });

  test("Configure: the host refuses secrets and previews; provider.configure sees the stack config", async () => {
    assert.deepEqual(host.configured, {
      acceptSecrets: false,
      supportsPreview: false,
      acceptResources: false,
      acceptOutputs: false,
    });
    const text = await serializeProvider(configuredProvider);
    const created = await host.create(urn("configured"), registeredInputs(text, {}));
    // "greeting" resolved as "<project>:greeting"; the secret arrived unwrapped.
    assert.deepEqual(created.outs, { greeting: "hello", tokenLength: SECRET_TOKEN.length, [PROVIDER_KEY]: text });
  });

  test("__provider is the serializeFunction text with a handler export", () => {
    assert.match(fileV1, /exports\.handler = /);
    assert.notEqual(fileV1, fileV2, "two versions serialize to different texts");
  });

  test("Check returns the provider's failures and checked inputs, __provider kept", async () => {
    const news = registeredInputs(fileV1, { path: "", content: "" });
    const checked = await host.check(urn("bad"), {}, news);
    assert.deepEqual(checked.failures, [
      { property: "path", reason: "path is required" },
      { property: "content", reason: "content must not be empty" },
    ]);
    assert.deepEqual(checked.inputs, { mode: "0644", ...news });
  });

  test("Create returns the id and exactly the provider's outs plus __provider", async () => {
    const path = join(dir, "create.txt");
    const { inputs } = await host.check(urn("create"), {}, registeredInputs(fileV1, { path, content: "one" }));
    const created = await host.create(urn("create"), inputs);
    assert.equal(created.id, path);
    assert.deepEqual(created.outs, { path, content: "one", mode: "0644", writtenBy: "v1", [PROVIDER_KEY]: fileV1 });
    assert.equal(readFileSync(path, "utf8"), "one");
  });

  test("Read returns current outputs, and an empty id once the thing is gone", async () => {
    const path = join(dir, "read.txt");
    const created = await host.create(urn("read"), registeredInputs(fileV1, { path, content: "a", mode: "0644" }));
    const read = await host.read(created.id, urn("read"), created.outs);
    assert.equal(read.id, path);
    assert.equal(read.props.content, "a");
    assert.equal(read.props[PROVIDER_KEY], fileV1, "__provider survives a refresh");
    assert.equal(read.inputs, undefined, "no inputs unless the provider returns them");
    unlinkSync(path);
    const gone = await host.read(created.id, urn("read"), created.outs);
    assert.equal(gone.id, "");
  });

  test("Diff returns changes, replaces and deleteBeforeReplace", async () => {
    const olds = { path: "/a", content: "x", mode: "0644", [PROVIDER_KEY]: fileV1 };
    assert.deepEqual(await host.diff("/a", urn("d"), olds, { ...olds }), {
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(await host.diff("/a", urn("d"), olds, { ...olds, content: "y" }), {
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(await host.diff("/a", urn("d"), olds, { ...olds, path: "/b", deleteBeforeReplace: true }), {
      changes: "some",
      replaces: ["path"],
      deleteBeforeReplace: true,
    });
  });

  test("Update runs the new provider text and its outs replace all outputs", async () => {
    const path = join(dir, "update.txt");
    const created = await host.create(urn("update"), registeredInputs(fileV1, { path, content: "old", mode: "0644" }));
    const news = registeredInputs(fileV2, { path, content: "new", mode: "0600" });
    const updated = await host.update(created.id, urn("update"), created.outs, news);
    assert.deepEqual(updated.outs, { path, content: "new", mode: "0600", writtenBy: "v2", [PROVIDER_KEY]: fileV2 });
    assert.equal(readFileSync(path, "utf8"), "new");
  });

  test("Delete runs the OLD provider text stored in the state, not the current one", async () => {
    const path = join(dir, "delete.txt");
    const created = await host.create(urn("delete"), registeredInputs(fileV1, { path, content: "x", mode: "0644" }));
    // The program now uses v2 (and the host has v2 loaded); the state still holds v1's outputs.
    await host.create(
      urn("other"),
      registeredInputs(fileV2, { path: join(dir, "other.txt"), content: "y", mode: "0644" }),
    );
    await host.delete(created.id, urn("delete"), created.outs);
    assert.equal(existsSync(path), false);
    assert.equal(readFileSync(`${path}.deleted-by`, "utf8"), "v1");
  });

  test("Preview: unknowns pass through Check, and Create is not sent to the host", async () => {
    const path = join(dir, "preview.txt");
    const { inputs, failures } = await host.check(
      urn("preview"),
      {},
      registeredInputs(fileV1, { path, content: unknown() }),
    );
    assert.deepEqual(failures, []);
    assert.equal(inputs.content, UNKNOWN);
    const planned = await host.create(urn("preview"), inputs, { preview: true });
    assert.deepEqual(planned, { id: "", outs: inputs, calledHost: false });
    assert.equal(existsSync(path), false);
  });

  test("the host serves calls concurrently: two 200 ms creates take well under 400 ms", async (t) => {
    const text = await serializeProvider(slowProvider);
    await host.create(urn("warm"), registeredInputs(text, { name: "warm" })); // deserialize once
    const started = performance.now();
    const results = await Promise.all([
      host.create(urn("slow-a"), registeredInputs(text, { name: "a" })),
      host.create(urn("slow-b"), registeredInputs(text, { name: "b" })),
    ]);
    const elapsed = performance.now() - started;
    assert.deepEqual(
      results.map((r) => r.id),
      ["a", "b"],
    );
    t.diagnostic(`two concurrent 200 ms creates: ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < 330, `two concurrent 200 ms creates took ${elapsed.toFixed(0)} ms`);
  });

  test("an error thrown from a method is gRPC UNKNOWN with the provider's message", async () => {
    const text = await serializeProvider(failingProvider);
    const failure = await host.check(urn("boom"), {}, registeredInputs(text, { throwInCheck: true })).catch((e) => e);
    assert.ok(failure instanceof ProviderHostError);
    assert.equal(failure.grpcCode, grpc.status.UNKNOWN);
    assert.equal(failure.message, "check exploded");
    assert.equal(failure.partial, undefined);
  });

  test("a create error carrying .id surfaces as a partial create", async () => {
    const text = await serializeProvider(failingProvider);
    const failure = await host
      .create(urn("partial"), registeredInputs(text, { name: "p", partial: true }))
      .catch((e) => e);
    assert.ok(failure instanceof ProviderHostError);
    assert.equal(failure.grpcCode, grpc.status.UNKNOWN);
    assert.equal(failure.message, "created but not healthy");
    assert.deepEqual(failure.partial, {
      id: "half-made",
      properties: { name: "p", healthy: false },
      reasons: ["service did not start"],
    });
  });

  test("an undefined in outs fails the create with 'Unexpected struct type.'", async (t) => {
    const text = await serializeProvider(failingProvider);
    const failure = await host.create(urn("undef"), registeredInputs(text, { name: "u" })).catch((e) => e);
    assert.ok(failure instanceof ProviderHostError);
    assert.equal(failure.grpcCode, grpc.status.UNKNOWN);
    // google-protobuf's Struct.fromJavaScript rejects undefined; no partial state is recorded.
    t.diagnostic(`message: ${failure.message}`);
    assert.match(failure.message, /^Unexpected struct type/);
    assert.equal(failure.partial, undefined);
  });

  test("lifecycle: create, same, update, replace (old text deletes), refresh, destroy", async () => {
    const first = join(dir, "life-1.txt");
    const second = join(dir, "life-2.txt");
    const life = new DynamicResourceLifecycle(host, urn("life"));
    assert.equal(await life.up(fileV1, { path: first, content: "1" }), "create");
    assert.equal(await life.up(fileV1, { path: first, content: "1" }), "same");
    assert.equal(await life.up(fileV1, { path: first, content: "2" }), "update");
    assert.equal(await life.up(fileV2, { path: second, content: "2" }), "replace");
    assert.equal(readFileSync(`${first}.deleted-by`, "utf8"), "v1", "the replaced resource is deleted by v1");
    assert.equal(life.state?.outputs.writtenBy, "v2");
    assert.equal(await life.refresh(), "refreshed");
    await life.destroy();
    assert.equal(readFileSync(`${second}.deleted-by`, "utf8"), "v2");
    assert.equal(life.state, undefined);
  });

  test("the harness refuses secret envelopes, which the engine never sends to this host", async () => {
    const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "x" };
    await assert.rejects(host.check(urn("secret"), {}, registeredInputs(fileV1, { path: "/x", content: secret })), {
      message: /never sends signature values/,
    });
  });

  test("Cancel is accepted", async () => {
    await host.cancel();
  });

  test("nothing logged so far contains the secret config value", () => {
    assert.equal(host.hasLogged(SECRET_TOKEN), false);
    // The errors thrown above were logged by the host (console.error in check): capture works.
    assert.match(host.output().stderr, /check exploded/);
  });
});

test("stop() kills the host by pid and leaves no process", async () => {
  const host = await startProviderHost();
  const pid = host.pid;
  assert.doesNotThrow(() => process.kill(pid, 0), "host is running");
  await host.stop();
  assert.throws(() => process.kill(pid, 0), { code: "ESRCH" });
  await host.stop(); // idempotent
});
