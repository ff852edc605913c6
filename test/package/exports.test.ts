// The built package as a user's program loads it: what each entry point pulls in at require time,
// and that every subpath resolves to JavaScript and its types under the module resolutions users set.
// Needs `npm run build` first (as `npm test` and `npm run test:fast` do); a stale dist/ fails here.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import * as ts from "typescript";

const PROJECT_ROOT = path.resolve(__dirname, "../..");
const DIST = path.join(PROJECT_ROOT, "dist");
const SSH2 = /[/\\]node_modules[/\\]ssh2[/\\]/;
const PULUMI = /[/\\]node_modules[/\\]@pulumi[/\\]/;
const PROVIDER = /[/\\]dist[/\\]provider[/\\]/;
const REMOTE = /[/\\]dist[/\\]remote[/\\]/;
const RESOURCES = /[/\\]dist[/\\]resources[/\\]/;
const SCHEMA = /[/\\]dist[/\\]schema[/\\]/;

/** Every file a fresh node process has loaded after `require(specifier)` from the project directory. */
function filesLoadedBy(specifier: string): string[] {
  const program = `require(${JSON.stringify(specifier)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const output = execFileSync(process.execPath, ["-e", program], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  return JSON.parse(output) as string[];
}

function newestMtime(dir: string, suffix: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix))
      newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

describe("the package's entry points", () => {
  before(() => {
    assert.ok(fs.existsSync(path.join(DIST, "index.js")), "dist/ is missing: run `npm run build` first");
    assert.ok(
      fs.statSync(path.join(DIST, "index.js")).mtimeMs >= newestMtime(path.join(PROJECT_ROOT, "src"), ".ts"),
      "dist/ is older than src/: run `npm run build` first",
    );
  });

  test("pulumi-xinetd resolves to dist/ and loads Pulumi but neither ssh2 nor the provider nor the remote layer", () => {
    const loaded = filesLoadedBy("pulumi-xinetd");
    assert.ok(loaded.includes(path.join(DIST, "index.js")), "the root is this checkout's dist/index.js");
    assert.ok(
      loaded.some((file) => RESOURCES.test(file)),
      "the resources are loaded",
    );
    assert.ok(
      loaded.some((file) => PULUMI.test(file)),
      "the resources load @pulumi/pulumi",
    );
    assert.deepEqual(
      loaded.filter((file) => SSH2.test(file)),
      [],
      "ssh2 is not loaded",
    );
    assert.deepEqual(
      loaded.filter((file) => PROVIDER.test(file)),
      [],
      "the provider is not loaded",
    );
    assert.deepEqual(
      loaded.filter((file) => REMOTE.test(file)),
      [],
      "no file under dist/remote is loaded",
    );
    assert.ok(
      loaded.some((file) => SCHEMA.test(file)),
      "the shared checks the resources and the Fleet use come from dist/schema",
    );
  });

  test("pulumi-xinetd/formats loads neither Pulumi nor ssh2 nor any other layer", () => {
    const loaded = filesLoadedBy("pulumi-xinetd/formats");
    assert.ok(loaded.includes(path.join(DIST, "formats", "index.js")));
    const ours = loaded.filter((file) => file.startsWith(`${DIST}${path.sep}`));
    assert.deepEqual(
      ours.filter((file) => !file.startsWith(path.join(DIST, "formats") + path.sep)),
      [],
      "only dist/formats/ of ours",
    );
    assert.deepEqual(
      loaded.filter((file) => file.includes(`${path.sep}node_modules${path.sep}`)),
      [],
      "no dependency at all",
    );
  });

  test("pulumi-xinetd/provider is what the shims load, and it does load ssh2 (the check above can fail)", () => {
    const loaded = filesLoadedBy("pulumi-xinetd/provider");
    assert.ok(loaded.includes(path.join(DIST, "provider", "index.js")));
    assert.ok(
      loaded.some((file) => SSH2.test(file)),
      "the provider loads ssh2",
    );
    assert.ok(
      loaded.some((file) => REMOTE.test(file)),
      "the provider loads dist/remote",
    );
    assert.deepEqual(
      loaded.filter((file) => PULUMI.test(file) || RESOURCES.test(file)),
      [],
      "the provider is Pulumi-free",
    );
  });

  test("pulumi-xinetd/doctor loads the SSH transport but not Pulumi, the resources or the provider", () => {
    const loaded = filesLoadedBy("pulumi-xinetd/doctor");
    assert.ok(loaded.includes(path.join(DIST, "doctor", "index.js")));
    assert.ok(
      loaded.some((file) => SSH2.test(file)),
      "the doctor reaches hosts over ssh2",
    );
    assert.deepEqual(
      loaded.filter((file) => PULUMI.test(file) || RESOURCES.test(file) || PROVIDER.test(file)),
      [],
      "the doctor is Pulumi-free",
    );
    const program = `process.stdout.write(JSON.stringify(Object.keys(require("pulumi-xinetd/doctor")).sort()))`;
    const names = JSON.parse(execFileSync(process.execPath, ["-e", program], { cwd: PROJECT_ROOT, encoding: "utf8" }));
    assert.deepEqual(names, ["diagnoseRsyncHost", "diagnoseWithRunner", "probeRsyncGreeting", "renderReport"]);
  });

  test("the package's bin runs the doctor: usage on no command, exit 2", () => {
    const bin = (
      JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { bin: Record<string, string> }
    ).bin["pulumi-xinetd"]!;
    const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, bin)], { encoding: "utf8" });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /usage: pulumi-xinetd doctor HOST/);
  });

  test("the root exports the resources, and the format layer only under pulumi-xinetd/formats", () => {
    const program = `const root = require("pulumi-xinetd"), formats = require("pulumi-xinetd/formats");
      process.stdout.write(JSON.stringify({ root: Object.keys(root).sort(), formats: Object.keys(formats) }));`;
    const { root, formats } = JSON.parse(
      execFileSync(process.execPath, ["-e", program], { cwd: PROJECT_ROOT, encoding: "utf8" }),
    ) as Record<string, string[]>;
    assert.deepEqual(root, [
      "Fleet",
      "RsyncModule",
      "RsyncSecrets",
      "RsyncServer",
      "RsyncdConfig",
      "SystemdSocketService",
      "XinetdService",
    ]);
    for (const name of [
      "parseXinetdDocument",
      "setRsyncModule",
      "validateXinetdService",
      "FormatError",
      "rsyncAtoi",
      "MAX_LINE_BYTES",
    ]) {
      assert.ok(formats!.includes(name), `pulumi-xinetd/formats exports ${name}`);
    }
  });
});

describe("the package's types, as a user's project resolves them", () => {
  // A project with this package installed: node_modules/pulumi-xinetd is this checkout.
  let project: string;
  before(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-xinetd-types-"));
    fs.mkdirSync(path.join(project, "node_modules"));
    fs.symlinkSync(PROJECT_ROOT, path.join(project, "node_modules", "pulumi-xinetd"), "dir");
  });
  after(() => fs.rmSync(project, { recursive: true, force: true }));

  const resolutions: Record<string, ts.CompilerOptions> = {
    node10: { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 },
    node16: { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 },
    bundler: { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
  };
  const expected: Record<string, string> = {
    "pulumi-xinetd": "dist/index.d.ts",
    "pulumi-xinetd/formats": "dist/formats/index.d.ts",
    "pulumi-xinetd/provider": "dist/provider/index.d.ts",
    "pulumi-xinetd/doctor": "dist/doctor/index.d.ts",
  };
  for (const [resolution, options] of Object.entries(resolutions)) {
    test(`moduleResolution ${resolution} finds the declarations of every entry point`, () => {
      for (const [specifier, declarations] of Object.entries(expected)) {
        const { resolvedModule } = ts.resolveModuleName(
          specifier,
          path.join(project, "index.ts"),
          { ...options, preserveSymlinks: true },
          ts.sys,
        );
        assert.ok(resolvedModule, `${specifier} resolves under ${resolution}`);
        assert.equal(
          resolvedModule.resolvedFileName,
          path.join(project, "node_modules", "pulumi-xinetd", declarations),
          specifier,
        );
        assert.ok(fs.existsSync(resolvedModule.resolvedFileName), `${declarations} is built`);
      }
    });
  }
});
