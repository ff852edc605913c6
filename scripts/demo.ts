/**
 * `npm run demo`: the seed scenario on one lab host, applied through @pulumi/pulumi's real
 * dynamic-provider host over gRPC exactly as `pulumi up / refresh / destroy` would drive it, with
 * no Pulumi CLI: create, list the modules with the real rsync client, edit files by hand, show the
 * drift a refresh finds, restore, destroy. Needs root (the lab uses namespaces); prints no secret.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

import { labDirFor, startLab, stopLabFromState, type LabHost } from "../test/lab/lab";
import { findMissingLabRequirements } from "../test/lab/requirements";
import {
  fieldDrift,
  ProgramResource,
  providerTexts,
  rootConnection,
  temporaryFilesIn,
  TYPE_NAMES,
  xinetdReloads,
} from "../test/support/program-resources";
import { startProviderHost, type ProviderHost } from "../test/support/provider-host";
import { RSYNC_PORT, SEED_CONFIG_PATH, SEED_SECRETS_PATH, seedSteps } from "../test/support/seed-scenario";

const XINETD_FILE = "/etc/xinetd.d/rsync";
const ROOT = resolve(__dirname, "..");
/** What the provider host loads (`pulumi-xinetd/provider`); tsc writes every output on each build. */
const BUILT_PROVIDER = join(ROOT, "dist/provider/index.js");

const started = Date.now();
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const heading = (text: string) => console.log(`\n== ${text} ==`);
const indented = (text: string) =>
  console.log(
    text
      .replace(/\n$/, "")
      .split("\n")
      .map((line) => `    | ${line}`)
      .join("\n"),
  );
const label = (resource: ProgramResource) => `${TYPE_NAMES[resource.kind].padEnd(13)} ${resource.name.padEnd(14)}`;
const shown = (value: unknown) => (value === undefined ? "(not set)" : JSON.stringify(value));

/** What the demo started, so any exit path can stop it: the provider host and the lab, by pid. */
const running: { host?: ProviderHost; labId?: string } = {};
/** Set by Ctrl-C, SIGTERM or a closed output: the demo stops at its next step. */
let interruption: { reason: string; exitCode: number } | undefined;
let stopping = Promise.resolve();

/** Stops what runs now; calls queue up, so a stop never races another and each sees what started meanwhile. */
function stopEverything(): Promise<void> {
  stopping = stopping.then(async () => {
    const { host, labId } = running;
    running.host = undefined;
    running.labId = undefined;
    await host?.stop();
    // From the lab's state file: also covers a lab interrupted while starting.
    if (labId) await stopLabFromState(labDirFor(labId));
  });
  return stopping;
}

function interrupt(reason: string, exitCode: number): void {
  if (interruption) return;
  interruption = { reason, exitCode };
  process.stderr.write(`\n${reason}: stopping the provider host and the lab\n`);
  // Stopping them also makes the step in progress fail at once.
  void stopEverything();
}

function checkpoint(): void {
  if (interruption) throw new Error(interruption.reason);
}

function newestSourceChange(directory: string): number {
  return Math.max(
    ...readdirSync(directory, { withFileTypes: true }).map((entry) => {
      const path = join(directory, entry.name);
      return entry.isDirectory() ? newestSourceChange(path) : statSync(path).mtimeMs;
    }),
  );
}

/** Builds dist/ when it is missing (a fresh clone) or older than src/. */
function buildIfStale(): void {
  if (existsSync(BUILT_PROVIDER) && statSync(BUILT_PROVIDER).mtimeMs >= newestSourceChange(join(ROOT, "src"))) return;
  console.log("building dist/ (the provider host loads the built package) ...");
  const build = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (build.status !== 0) throw new Error("building dist/ failed");
}

async function cat(target: LabHost, path: string): Promise<string> {
  const result = await target.exec(["cat", path]);
  if (result.code !== 0) throw new Error(`cat ${path} on ${target.name}: ${result.stderr.trim()}`);
  return result.stdout;
}

async function handEdit(target: LabHost, description: string, script: string): Promise<void> {
  console.log(`  ${description}`);
  console.log(`    $ ${script}`);
  const result = await target.exec(["sh", "-c", script]);
  if (result.code !== 0) throw new Error(`${script}: ${result.stderr.trim()}`);
}

/** `pulumi up` for one resource, with what it wrote and whether xinetd re-read its configuration. */
async function up(target: LabHost, resource: ProgramResource, inputs: Record<string, unknown>): Promise<void> {
  checkpoint();
  const reloads = await xinetdReloads(target);
  const since = Date.now();
  const step = await resource.up(inputs);
  const reloaded = (await xinetdReloads(target)) - reloads;
  const reloadNote = reloaded > 0 ? `, xinetd reloaded ${reloaded}x` : "";
  console.log(`${step === "create" ? "+" : "~"} ${label(resource)} ${step} (${seconds(since)}${reloadNote})`);
  const outputs = resource.outputs;
  if (step !== "create") return;
  if (resource.kind === "rsyncSecrets") {
    console.log(
      `    ${String(outputs.path)}: users ${JSON.stringify(outputs.userNames)}, mode ${String(outputs.permissions)} (passwords are never printed or stored in outputs)`,
    );
  } else if (resource.kind === "rsyncListing") {
    console.log(`    rsync://localhost:${RSYNC_PORT}/ on the host lists ${JSON.stringify(outputs.modules)}`);
  } else {
    const where =
      resource.kind === "xinetdService"
        ? String(outputs.path)
        : resource.kind === "rsyncModule"
          ? `its section of ${SEED_CONFIG_PATH}`
          : `the global part of ${SEED_CONFIG_PATH}`;
    console.log(`    wrote ${where}:`);
    indented(String(outputs.content));
  }
}

function listWithRsyncClient(target: LabHost): void {
  const listing = spawnSync("rsync", [`rsync://${target.address}/`], { encoding: "utf8", timeout: 10_000 });
  if (listing.status !== 0) throw new Error(`rsync rsync://${target.address}/ failed: ${listing.stderr.trim()}`);
  console.log(`  $ rsync rsync://${target.address}/`);
  indented(listing.stdout);
}

/** `pulumi refresh` for every resource; prints the drift field by field. */
async function refresh(resources: ProgramResource[]): Promise<void> {
  let drifted = 0;
  for (const resource of resources) {
    const stored = resource.outputs;
    await resource.refresh();
    if ((await resource.drift()).changes === "none") continue;
    drifted++;
    for (const field of fieldDrift(stored, resource.outputs)) {
      console.log(
        `  ${label(resource)} ${field.property.padEnd(10)} stored ${shown(field.stored).padEnd(10)} host ${shown(field.host)}`,
      );
    }
  }
  if (drifted === 0) console.log(`  no drift in any of the ${resources.length} resources`);
}

/** Runs the built `pulumi-xinetd doctor` on the host: what serves rsync, the secrets finding, the count. */
function doctor(identity: string, knownHosts: string, target: LabHost): void {
  const args = ["doctor", target.address, "--identity", identity, "--known-hosts", knownHosts];
  console.log(`  $ pulumi-xinetd ${args.join(" ")}`);
  const result = spawnSync(process.execPath, [join(ROOT, "dist/cli.js"), ...args], {
    encoding: "utf8",
    timeout: 120_000,
  });
  const blocks = result.stdout.split("\n\n");
  const secrets = blocks.find((block) => block.startsWith("ERROR secrets-file-mode")) ?? "(not found)";
  indented([blocks[0], secrets, blocks.at(-1)].join("\n\n"));
  console.log(`  exit code ${result.status ?? "none"}: 0 only when no finding is an error`);
}

async function demo(): Promise<void> {
  buildIfStale();
  console.log(
    "pulumi-xinetd demo: the seed scenario through @pulumi/pulumi's dynamic-provider host over gRPC (no Pulumi CLI)",
  );
  running.labId = randomBytes(3).toString("hex");
  const lab = await startLab({ hosts: 1, id: running.labId });
  checkpoint();
  const target = lab.hosts[0]!;
  console.log(
    `lab host ${target.name} at ${target.address}: sshd and xinetd in namespaces of their own (${seconds(started)})`,
  );
  const texts = await providerTexts();
  running.host = await startProviderHost();
  const host = running.host;
  checkpoint();
  console.log(
    `dynamic-provider host pid ${host.pid}, gRPC on 127.0.0.1:${host.port}; every call carries __provider as registration serializes it`,
  );

  // The modules' directories, as the operator's host would have them (the doctor step finds one fault).
  const made = await target.exec("mkdir -p /srv/pub /srv/backup");
  if (made.code !== 0) throw new Error(`mkdir on ${target.name}: ${made.stderr}`);
  const connection = rootConnection(lab, target);
  const steps = seedSteps(connection, randomBytes(12).toString("base64url"));
  const resources = steps.map((step) => new ProgramResource(host, step.kind, step.name, texts));
  const inputsOf = new Map(resources.map((resource, i) => [resource, steps[i]!.inputs]));
  const listing = new ProgramResource(host, "rsyncListing", "seed-listing", texts);
  inputsOf.set(listing, {
    connection,
    port: RSYNC_PORT,
    configPath: SEED_CONFIG_PATH,
    expectedModules: ["pub", "backup"],
    revision: [],
  });
  const all = [...resources, listing];

  heading("pulumi up: check, then create, one resource after another as RsyncServer orders them");
  for (const resource of all) await up(target, resource, inputsOf.get(resource)!);

  heading("the real rsync client, from this machine's (root) network namespace");
  listWithRsyncClient(target);

  heading("someone edits the host by hand");
  const configBefore = await cat(target, SEED_CONFIG_PATH);
  const serviceBefore = await cat(target, XINETD_FILE);
  await handEdit(
    target,
    "makes module [pub] writable:",
    `sed -i 's/read only = yes/read only = no/' ${SEED_CONFIG_PATH}`,
  );
  await handEdit(
    target,
    "caps the rsync service at 4 connections:",
    String.raw`sed -i 's/^}/\tinstances = 4\n}/' ${XINETD_FILE}`,
  );

  heading("pulumi refresh: what the host has, against what the program wants");
  await refresh(resources);

  heading("pulumi up: put the program's values back");
  for (const resource of resources) {
    if ((await resource.drift()).changes === "some") await up(target, resource, inputsOf.get(resource)!);
  }
  if ((await cat(target, SEED_CONFIG_PATH)) !== configBefore || (await cat(target, XINETD_FILE)) !== serviceBefore) {
    throw new Error("update did not restore the files as first written");
  }
  console.log(`  ${SEED_CONFIG_PATH} and ${XINETD_FILE} are byte for byte as first written`);
  console.log("  refresh again:");
  await refresh(resources);

  heading("pulumi-xinetd doctor: someone makes the secrets file world-readable; logins to `backup` now fail");
  await handEdit(target, "loosens the secrets file:", `chmod 644 ${SEED_SECRETS_PATH}`);
  doctor(lab.rootKeyPath, lab.knownHostsPath, target);
  await handEdit(target, "puts it back:", `chmod 600 ${SEED_SECRETS_PATH}`);

  heading("pulumi destroy: in reverse order");
  for (const resource of [...all].reverse()) {
    checkpoint();
    const reloads = await xinetdReloads(target);
    const since = Date.now();
    await resource.destroy();
    const reloaded = (await xinetdReloads(target)) - reloads;
    console.log(
      `- ${label(resource)} delete (${seconds(since)}${reloaded > 0 ? `, xinetd reloaded ${reloaded}x` : ""})`,
    );
  }
  for (const path of [XINETD_FILE, SEED_CONFIG_PATH, SEED_SECRETS_PATH]) {
    if ((await target.exec(["test", "-e", path])).code === 0)
      throw new Error(`${path} is still on the host after destroy`);
  }
  const leftovers = [
    ...(await temporaryFilesIn(target, "/etc/xinetd.d")),
    ...(await temporaryFilesIn(target, "/etc/rsyncd")),
  ];
  if (leftovers.length > 0) throw new Error(`temporary files left on the host: ${leftovers.join(", ")}`);
  console.log(`  ${XINETD_FILE}, ${SEED_CONFIG_PATH}, ${SEED_SECRETS_PATH}: gone; no temporary files left`);
  const after = spawnSync("rsync", [`rsync://${target.address}/`], { encoding: "utf8", timeout: 10_000 });
  if (after.status === 0) throw new Error(`rsync://${target.address}/ still answers after destroy`);
  console.log(`  $ rsync rsync://${target.address}/`);
  indented(after.stderr.split("\n")[0]!);
}

async function main(): Promise<number> {
  const missing = findMissingLabRequirements();
  if (missing.length > 0) {
    console.error(
      `npm run demo cannot start its lab host: ${missing.join("; ")}. Run it as root on Linux with xinetd, rsync and openssh-server installed.`,
    );
    return 1;
  }
  process.once("SIGINT", () => interrupt("SIGINT", 130));
  process.once("SIGTERM", () => interrupt("SIGTERM", 143));
  // `npm run demo | head`: once nobody reads the output, stop early, and still clean up.
  for (const stream of [process.stdout, process.stderr]) stream.once("error", () => interrupt("output closed", 1));
  try {
    await demo();
    return 0;
  } catch (error) {
    if (interruption) return interruption.exitCode;
    console.error(`\ndemo failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await stopEverything();
    console.log(`\nprovider host and lab stopped; ${seconds(started)} in all`);
  }
}

void main().then((code) => process.exit(code));
