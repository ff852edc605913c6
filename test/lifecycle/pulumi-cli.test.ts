// The one test the real engine runs: `pulumi up / refresh / destroy` on examples/seed against a lab
// host, with a local file backend. It needs a `pulumi` binary on PATH, which no package registry
// these machines reach provides (npm's `pulumi` only downloads it at run time), so without one it
// prints a single line and skips; the real-host lifecycle tests cover everything below the engine.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { accessSync, constants, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, test } from "node:test";

import { startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { PROJECT_ROOT, SECRET_SIG, SPECIAL_SIG_KEY } from "../support/provider-host";

const EXAMPLE = join(PROJECT_ROOT, "examples/seed");
const CONFIG_PATH = "/etc/rsyncd/rsyncd.conf";
const PULUMI_TIMEOUT_MS = 180_000;

function findOnPath(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(directory, name), constants.X_OK);
      return join(directory, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const pulumiBinary = findOnPath("pulumi");
const skip = pulumiBinary
  ? labSkipReason()
  : "no `pulumi` binary on PATH (the Pulumi CLI cannot be installed on these machines, so this skip is allowed in CI)";
if (!pulumiBinary) console.log(`pulumi CLI end-to-end test SKIPPED: ${skip}`);

/**
 * The example as a user would have it after `npm install`: its files, and a node_modules where
 * `pulumi-xinetd` is this checkout (dist/) and every other package is this checkout's.
 */
function installExample(dir: string): void {
  for (const file of ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"])
    cpSync(join(EXAMPLE, file), join(dir, file));
  const modules = join(dir, "node_modules");
  mkdirSync(modules);
  for (const entry of readdirSync(join(PROJECT_ROOT, "node_modules")))
    symlinkSync(join(PROJECT_ROOT, "node_modules", entry), join(modules, entry));
  symlinkSync(PROJECT_ROOT, join(modules, "pulumi-xinetd"));
}

describe("pulumi up / refresh / destroy on examples/seed with a file backend", { skip }, () => {
  let lab: Lab;
  let target: LabHost;
  let workDir: string;
  let programDir: string;

  const pulumi = (args: string[], input?: string) => {
    const result = spawnSync(pulumiBinary!, [...args, "--non-interactive", "--cwd", programDir], {
      encoding: "utf8",
      input,
      timeout: PULUMI_TIMEOUT_MS,
      env: {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${join(workDir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "x",
        PULUMI_SKIP_UPDATE_CHECK: "true",
      },
    });
    return { code: result.status, output: `${result.stdout}${result.stderr}` };
  };
  const pulumiOk = (args: string[], input?: string): string => {
    const result = pulumi(args, input);
    assert.equal(result.code, 0, `pulumi ${args.join(" ")}:\n${result.output}`);
    return result.output;
  };
  const sh = async (script: string): Promise<string> => {
    const result = await target.exec(["sh", "-c", script]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const listModules = () => spawnSync("rsync", [`rsync://${target.address}/`], { encoding: "utf8", timeout: 10_000 });

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), "pulumi-cli-"));
    programDir = join(workDir, "program");
    mkdirSync(programDir);
    mkdirSync(join(workDir, "state"));
    installExample(programDir);
    lab = await startLab({ hosts: 1 });
    target = lab.hosts[0]!;
    pulumiOk(["stack", "init", "lab"]);
    pulumiOk(["config", "set", "host", target.address]);
    pulumiOk(["config", "set", "hostKey", target.hostKeyLine]);
    // From stdin: a key on the command line would be visible to every process.
    pulumiOk(["config", "set", "--secret", "privateKey"], lab.rootPrivateKey);
  });

  after(async () => {
    if (lab && programDir) pulumi(["stack", "rm", "--yes", "--force"]);
    await lab?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  test(
    "up lists the module from the root namespace; the state keeps connection secret; refresh shows a hand edit; up restores; destroy removes",
    { timeout: 5 * 60_000 },
    async () => {
      pulumiOk(["up", "--yes", "--skip-preview"]);
      const listed = listModules();
      assert.equal(listed.status, 0, listed.stderr);
      assert.deepEqual(
        listed.stdout
          .trim()
          .split("\n")
          .map((line) => line.split(/\s+/)[0]),
        ["pub"],
      );
      const written = await sh(`cat ${CONFIG_PATH}`);
      assert.match(await sh("cat /etc/xinetd.d/rsync"), /log_on_failure\s+\+= USERID/);

      const state = pulumiOk(["stack", "export"]);
      const keyLines = lab.rootPrivateKey.split("\n").filter((line) => line.length > 20 && !line.startsWith("-----"));
      assert.ok(!keyLines.some((line) => state.includes(line)), "the private key is in the state in plain text");
      const resources = (
        JSON.parse(state) as { deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> } }
      ).deployment.resources;
      const service = resources.find((r) => r.type === "pulumi-nodejs:dynamic/pulumi-xinetd:XinetdService");
      assert.equal(
        (service?.outputs?.connection as Record<string, unknown> | undefined)?.[SPECIAL_SIG_KEY],
        SECRET_SIG,
        "connection is a secret output",
      );

      await sh(`sed -i 's/read only = yes/read only = no/' ${CONFIG_PATH}`);
      assert.match(pulumiOk(["refresh", "--yes", "--diff"]), /readOnly/);
      assert.notEqual(pulumi(["preview", "--expect-no-changes"]).code, 0, "the drift is a pending change");
      pulumiOk(["up", "--yes", "--skip-preview"]);
      assert.equal(await sh(`cat ${CONFIG_PATH}`), written, "the file is back byte for byte");
      pulumiOk(["preview", "--expect-no-changes"]);

      pulumiOk(["destroy", "--yes", "--skip-preview"]);
      assert.equal((await target.exec(["test", "-e", "/etc/xinetd.d/rsync"])).code, 1);
      assert.equal((await target.exec(["test", "-e", CONFIG_PATH])).code, 1);
      assert.notEqual(listModules().status, 0);
    },
  );
});
