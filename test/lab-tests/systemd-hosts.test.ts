import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import { LAB_LINK_PREFIX, run, startLab, type AnyLabHost, type Lab } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { rootFsPath } from "../lab/rootfs";

const skip = labSkipReason(["namespace", "debian12", "debian13"]);

const RELEASE_OF_KIND = { debian12: "12", debian13: "13" } as const;

describe("a mixed lab: a debian12, a debian13 and a namespace host", { skip }, () => {
  let lab: Lab<AnyLabHost>;

  before(async () => {
    lab = await startLab({ hosts: [{ kind: "debian12" }, { kind: "debian13" }, { kind: "namespace" }] });
  });

  after(async () => {
    await lab?.stop();
  });

  const ssh = (host: AnyLabHost, user: string, keyPath: string, remoteCommand: string) =>
    run([
      "ssh",
      ...["-F", "/dev/null", "-i", keyPath, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"],
      ...["-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=yes"],
      ...["-o", `UserKnownHostsFile=${lab.knownHostsPath}`, "-o", "GlobalKnownHostsFile=/dev/null"],
      ...["-p", String(host.port), `${user}@${host.address}`, remoteCommand],
    ]);

  test("the hosts are of the kinds asked for, in order", () => {
    assert.deepEqual(
      lab.hosts.map((host) => host.kind),
      ["debian12", "debian13", "namespace"],
    );
  });

  test("each systemd host is its Debian release booted by systemd, with xinetd and ssh active", async () => {
    for (const host of lab.hosts) {
      if (host.kind === "namespace") continue;
      assert.equal(host.systemState, "running", `failed units on ${host.name}: ${host.failedUnits.join(", ")}`);
      const facts = await ssh(
        host,
        "root",
        lab.rootKeyPath,
        ". /etc/os-release && echo $VERSION_ID && cat /proc/1/comm && systemctl is-active xinetd ssh",
      );
      assert.equal(facts.code, 0, facts.stderr);
      assert.deepEqual(facts.stdout.trim().split("\n"), [RELEASE_OF_KIND[host.kind], "systemd", "active", "active"]);
    }
  });

  test("root, the sudo user and the user without sudo log in to every host by key, host key pinned", async () => {
    for (const host of lab.hosts) {
      const root = await ssh(host, "root", lab.rootKeyPath, "id -u && hostname");
      assert.equal(root.code, 0, `${host.name}: ${root.stderr}`);
      assert.deepEqual(root.stdout.trim().split("\n"), ["0", host.name]);

      const sudo = await ssh(host, lab.sudoUser.name, lab.sudoUser.keyPath, "id -un && sudo -n id -u");
      assert.equal(sudo.code, 0, `${host.name}: ${sudo.stderr}`);
      assert.deepEqual(sudo.stdout.trim().split("\n"), [lab.sudoUser.name, "0"]);

      const noSudo = await ssh(host, lab.noSudoUser.name, lab.noSudoUser.keyPath, "id -un && sudo -n true");
      assert.equal(noSudo.stdout.trim(), lab.noSudoUser.name, `${host.name}: ${noSudo.stderr}`);
      assert.notEqual(noSudo.code, 0, `${host.name}: sudo worked for ${lab.noSudoUser.name}`);
    }
    assert.equal(new Set(lab.hosts.map((host) => host.hostKeyLine)).size, lab.hosts.length);
  });

  test("a systemd host writes to its own overlay: not to the cached root fs, not to another host", async () => {
    const [debian12, debian13] = lab.hosts as [AnyLabHost, AnyLabHost];
    assert(debian12.kind === "debian12" && debian13.kind === "debian13");
    const marker = `/etc/pxlab-marker-${lab.id}`;
    const written = await debian12.exec(`echo host-one > ${marker}`);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(fs.readFileSync(path.join(debian12.dir, "upper", marker), "utf8"), "host-one\n");
    assert.equal(fs.readFileSync(path.join(debian12.rootPath, marker), "utf8"), "host-one\n");
    assert.equal(fs.existsSync(path.join(rootFsPath("debian12"), marker)), false);
    assert.equal((await debian13.exec(["test", "-e", marker])).code, 1);
    const machineIds = await Promise.all([debian12, debian13].map((host) => host.exec("cat /etc/machine-id")));
    assert.notEqual(machineIds[0]!.stdout, machineIds[1]!.stdout);
  });

  test("stop leaves no nspawn process, mount, network namespace, link or directory behind", async () => {
    const traces = recordTraces(lab);
    assert.equal(traces.netNamespaces.length, 2);
    assert.equal(processesOf(traces).length > 0, true, "the trace finds the running hosts' processes");
    await lab.stop();
    await assertNothingLeft(traces);
  });
});

describe("a lab of two debian13 hosts", { skip }, () => {
  test("starts two distinct hosts by `kind` and stops them without a trace", async () => {
    const lab = await startLab({ hosts: 2, kind: "debian13" });
    try {
      assert.deepEqual(
        lab.hosts.map((host) => host.kind),
        ["debian13", "debian13"],
      );
      const names = await Promise.all(lab.hosts.map((host) => host.exec("hostname && systemctl is-active xinetd")));
      assert.deepEqual(
        names.map((result) => result.stdout),
        lab.hosts.map((host) => `${host.name}\nactive\n`),
      );
    } finally {
      const traces = recordTraces(lab);
      await lab.stop();
      await assertNothingLeft(traces);
    }
  });
});

interface LabTraces {
  id: string;
  dir: string;
  pids: number[];
  netns: string[];
  machines: string[];
  /** `net:[inode]` of each systemd host's network namespace. */
  netNamespaces: string[];
}

function recordTraces(lab: Lab<AnyLabHost>): LabTraces {
  const systemdHosts = lab.hosts.flatMap((host) => (host.kind === "namespace" ? [] : [host]));
  return {
    id: lab.id,
    dir: lab.dir,
    pids: lab.hosts.flatMap((host) =>
      host.kind === "namespace" ? [host.anchorPid, host.sshdPid] : [host.nspawnPid, host.initPid],
    ),
    netns: systemdHosts.map((host) => host.netns),
    machines: systemdHosts.map((host) => host.name),
    netNamespaces: systemdHosts.map((host) => `net:[${fs.statSync(`/run/netns/${host.netns}`).ino}]`),
  };
}

/** Live processes of the lab: nspawns by machine name, anything in a systemd host's network namespace. */
function processesOf(traces: LabTraces): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const commandLine = readOrEmpty(`/proc/${entry}/cmdline`).split("\0");
    const inNamespace = traces.netNamespaces.includes(readLinkOrEmpty(`/proc/${entry}/ns/net`));
    if (inNamespace || commandLine.some((argument) => argument.startsWith(`--machine=pxlab-${traces.id}-`))) {
      found.push(`${entry} ${commandLine.join(" ").trim()}`);
    }
  }
  return found;
}

async function assertNothingLeft(traces: LabTraces): Promise<void> {
  for (const pid of traces.pids) assert.equal(isLiveProcess(pid), false, `process ${pid} still runs`);
  assert.deepEqual(processesOf(traces), []);
  // Any process's view: a mount left in some mount namespace would show there.
  for (const entry of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const mounts = readOrEmpty(`/proc/${entry}/mounts`);
    assert.equal(mounts.includes(traces.dir), false, `process ${entry} sees a mount under ${traces.dir}`);
    for (const netns of traces.netns) {
      assert.equal(mounts.includes(`/run/netns/${netns} `), false, `process ${entry} sees /run/netns/${netns}`);
    }
  }
  for (const machine of traces.machines) {
    assert.equal(fs.existsSync(`/run/systemd/nspawn/propagate/${machine}`), false, `nspawn's directory of ${machine}`);
  }
  const namedNamespaces = await run(["ip", "netns", "list"]);
  for (const netns of traces.netns) assert.doesNotMatch(namedNamespaces.stdout, new RegExp(`^${netns}\\b`, "m"));
  const links = await run(["ip", "-o", "link", "show"]);
  assert.doesNotMatch(links.stdout, new RegExp(`: ${LAB_LINK_PREFIX}${traces.id}-`));
  assert.equal(fs.existsSync(traces.dir), false);
}

/** A zombie has exited; only its parent's wait() is missing. */
function isLiveProcess(pid: number): boolean {
  const stat = readOrEmpty(`/proc/${pid}/stat`);
  return stat !== "" && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function readLinkOrEmpty(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch {
    return "";
  }
}
