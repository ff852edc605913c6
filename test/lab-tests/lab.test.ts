import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import { LAB_LINK_PREFIX, run, startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";

const skip = labSkipReason();

// Ports outside /etc/services, so the services must be UNLISTED.
const ECHO_PORT_VIA_SSH = 17007;
const ECHO_PORT_VIA_NSENTER = 17008;

describe("lab with 2 hosts", { skip }, () => {
  let lab: Lab;
  let knownHostsPath: string;
  let machineXinetdBefore: Map<string, string>;

  before(async () => {
    machineXinetdBefore = readDirectory("/etc/xinetd.d");
    lab = await startLab({ hosts: 2 });
    knownHostsPath = path.join(lab.dir, "test_known_hosts");
    fs.writeFileSync(knownHostsPath, lab.hosts.map((host) => `${host.address} ${host.hostKeyLine}\n`).join(""));
  });

  after(async () => {
    await lab?.stop();
  });

  const ssh = (host: LabHost, user: string, keyPath: string, remoteCommand: string, input?: string) =>
    run(
      [
        "ssh",
        "-F",
        "/dev/null",
        "-i",
        keyPath,
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${knownHostsPath}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-p",
        String(host.port),
        `${user}@${host.address}`,
        remoteCommand,
      ],
      input === undefined ? {} : { input },
    );

  test("root logs in to each host by the lab key, with the host key pinned", async () => {
    for (const host of lab.hosts) {
      const result = await ssh(host, "root", lab.rootKeyPath, "hostname");
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), host.name);
    }
    assert.notEqual(lab.hosts[0]!.hostKeyLine, lab.hosts[1]!.hostKeyLine);
    assert.match(lab.rootPrivateKey, /BEGIN OPENSSH PRIVATE KEY/);
  });

  test("a host with a wrong pinned key is refused", async () => {
    const [first, second] = lab.hosts as [LabHost, LabHost];
    const wrongKnownHosts = path.join(lab.dir, "wrong_known_hosts");
    fs.writeFileSync(wrongKnownHosts, `${first.address} ${second.hostKeyLine}\n`);
    const result = await run([
      "ssh",
      "-F",
      "/dev/null",
      "-i",
      lab.rootKeyPath,
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `UserKnownHostsFile=${wrongKnownHosts}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      `root@${first.address}`,
      "true",
    ]);
    assert.equal(result.code, 255);
    assert.match(result.stderr, /HOST IDENTIFICATION HAS CHANGED/);
  });

  test("hosts have their own files, invisible to each other and to the machine", async () => {
    const [first, second] = lab.hosts as [LabHost, LabHost];
    const marker = "pxlab-marker";
    const written = await ssh(first, "root", lab.rootKeyPath, `echo host-one > /etc/xinetd.d/${marker}`);
    assert.equal(written.code, 0, written.stderr);

    assert.equal((await first.exec(["cat", `/etc/xinetd.d/${marker}`])).stdout, "host-one\n");
    assert.equal(fs.readFileSync(path.join(first.dir, "etc/xinetd.d", marker), "utf8"), "host-one\n");
    assert.notEqual((await second.exec(["test", "-e", `/etc/xinetd.d/${marker}`])).code, 0);
    assert.equal(fs.existsSync(`/etc/xinetd.d/${marker}`), false);

    // Users exist only inside the hosts; /etc/rsyncd exists only there too.
    assert.equal((await second.exec(["id", "-u", lab.sudoUser.name])).code, 0);
    assert.doesNotMatch(fs.readFileSync("/etc/passwd", "utf8"), new RegExp(`^${lab.sudoUser.name}:`, "m"));
    assert.equal((await first.exec(["test", "-d", "/etc/rsyncd"])).code, 0);
    const hostTmpFile = (await first.exec("mktemp")).stdout.trim();
    assert.equal((await second.exec(["test", "-e", hostTmpFile])).code, 1);
    assert.equal(fs.existsSync(hostTmpFile), false);
  });

  test('labuser has passwordless sudo; the other user gets "a password is required"', async () => {
    const host = lab.hosts[0]!;
    const withSudo = await ssh(host, lab.sudoUser.name, lab.sudoUser.keyPath, "sudo -n true && sudo -n id -u");
    assert.equal(withSudo.code, 0, withSudo.stderr);
    assert.equal(withSudo.stdout.trim(), "0");

    const withoutSudo = await ssh(host, lab.noSudoUser.name, lab.noSudoUser.keyPath, "sudo -n true");
    assert.equal(withoutSudo.code, 1);
    assert.match(withoutSudo.stderr, /a password is required/);
  });

  test("service xinetd reload (via ssh, then via nsenter) enables a new service in that host only", async () => {
    const [first, second] = lab.hosts as [LabHost, LabHost];
    const written = await ssh(
      first,
      "root",
      lab.rootKeyPath,
      "cat > /etc/xinetd.d/labecho && service xinetd reload",
      echoService("lab-echo-ssh", ECHO_PORT_VIA_SSH),
    );
    assert.equal(written.code, 0, written.stderr);
    assert.equal(await echoesSoon(first.address, ECHO_PORT_VIA_SSH), true);
    assert.equal(await echoes(second.address, ECHO_PORT_VIA_SSH), false);
    assert.equal(await echoes("127.0.0.1", ECHO_PORT_VIA_SSH), false);

    const added = await first.exec(["tee", "/etc/xinetd.d/labecho2"], {
      input: echoService("lab-echo-nsenter", ECHO_PORT_VIA_NSENTER),
    });
    assert.equal(added.code, 0, added.stderr);
    const reloaded = await first.exec(["service", "xinetd", "reload"]);
    assert.equal(reloaded.code, 0, reloaded.stderr);
    assert.equal(await echoesSoon(first.address, ECHO_PORT_VIA_NSENTER), true);
    assert.equal(await echoes(first.address, ECHO_PORT_VIA_SSH), true);
    // Reloaded, not restarted: the pid Debian's init script knows is still the first one.
    assert.equal(fs.readFileSync(path.join(first.dir, "run/xinetd.pid"), "utf8").trim(), String(first.xinetdPid));
  });

  test("the machine's /etc/xinetd.d is unchanged", () => {
    assert.deepEqual(readDirectory("/etc/xinetd.d"), machineXinetdBefore);
  });

  test("stop leaves no process, namespace, link, mount or directory behind", async () => {
    const traces = recordTraces(lab);
    await lab.stop();
    await assertNothingLeft(traces);
  });
});

describe("lab with 10 hosts", { skip }, () => {
  test("starts 10 hosts with distinct addresses and stops them all", async () => {
    const lab = await startLab({ hosts: 10 });
    try {
      assert.equal(lab.hosts.length, 10);
      assert.equal(new Set(lab.hosts.map((host) => host.address)).size, 10);
      const hostnames = await Promise.all(lab.hosts.map((host) => host.exec("hostname")));
      assert.deepEqual(
        hostnames.map((result) => result.stdout.trim()),
        lab.hosts.map((host) => host.name),
      );
    } finally {
      const traces = recordTraces(lab);
      await lab.stop();
      await assertNothingLeft(traces);
    }
  });
});

function echoService(id: string, port: number): string {
  return [
    "service echo",
    "{",
    "\ttype\t\t= INTERNAL UNLISTED",
    `\tid\t\t= ${id}`,
    "\tsocket_type\t= stream",
    "\tprotocol\t= tcp",
    `\tport\t\t= ${port}`,
    "\twait\t\t= no",
    "\tdisable\t\t= no",
    "}",
    "",
  ].join("\n");
}

/** xinetd rereads its configuration after `reload` has returned: give it a few seconds. */
async function echoesSoon(address: string, port: number): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (!(await echoes(address, port))) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** True when a TCP connection from the root namespace gets its message echoed back. */
function echoes(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const message = "pxlab ping\n";
    const socket = net.connect({ host: address, port, timeout: 3_000 }, () => socket.write(message));
    let received = "";
    const finish = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.on("data", (chunk) => {
      received += chunk.toString();
      if (received.length >= message.length) finish(received === message);
    });
    socket.on("timeout", () => finish(false));
    socket.on("error", () => finish(false));
    socket.on("end", () => finish(false));
  });
}

interface LabTraces {
  id: string;
  dir: string;
  pids: number[];
  namespaces: string[];
}

function recordTraces(lab: Lab): LabTraces {
  const pids = lab.hosts.flatMap((host) => [host.anchorPid, host.sshdPid, host.xinetdPid]);
  const namespaces = lab.hosts.flatMap((host) =>
    (["mnt", "net", "uts"] as const).map((kind) => fs.readlinkSync(`/proc/${host.anchorPid}/ns/${kind}`)),
  );
  return { id: lab.id, dir: lab.dir, pids, namespaces };
}

async function assertNothingLeft(traces: LabTraces): Promise<void> {
  for (const pid of traces.pids) assert.equal(isLiveProcess(pid), false, `process ${pid} still runs`);
  const labNamespaces = new Set(traces.namespaces);
  for (const entry of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    for (const kind of ["mnt", "net", "uts"]) {
      const namespace = readLinkOrUndefined(`/proc/${entry}/ns/${kind}`);
      assert.equal(
        namespace !== undefined && labNamespaces.has(namespace),
        false,
        `process ${entry} is in ${namespace}`,
      );
    }
  }
  const links = await run(["ip", "-o", "link", "show"]);
  assert.doesNotMatch(links.stdout, new RegExp(`: ${LAB_LINK_PREFIX}${traces.id}-`));
  const namedNamespaces = await run(["ip", "netns", "list"]);
  assert.doesNotMatch(namedNamespaces.stdout, new RegExp(`${LAB_LINK_PREFIX}${traces.id}-`));
  assert.equal(fs.readFileSync("/proc/mounts", "utf8").includes(traces.dir), false);
  assert.equal(fs.existsSync(traces.dir), false);
}

/** A zombie has exited; only its parent's wait() is missing. */
function isLiveProcess(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function readLinkOrUndefined(link: string): string | undefined {
  try {
    return fs.readlinkSync(link);
  } catch {
    return undefined;
  }
}

function readDirectory(dir: string): Map<string, string> {
  return new Map(
    fs
      .readdirSync(dir)
      .sort()
      .map((name) => [name, fs.readFileSync(path.join(dir, name), "utf8")]),
  );
}
