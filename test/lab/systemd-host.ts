// A lab host that is a whole Debian system booted by systemd in systemd-nspawn, on an overlay over a
// cached read-only root fs (rootfs.ts), in a network namespace of its own (`ip netns`, named like
// its root-side veth) with the same veth and addresses as a namespace host.
//
// Per host, in hosts/<n>/: upper/ and work/ (the overlay's writable layer, seeded before the boot
// with the host's identity and the lab's accounts), merged/ (the overlay's mount point) and
// nspawn.log (nspawn's output: the host's console). The overlay is mounted in a mount namespace of
// nspawn's own, so it exists only while nspawn runs: no mount to undo, even after a KILL.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";

import { buildAccountFiles, generateHostKey, writeAccounts, type LabKeys } from "./accounts";
import type { BaseHostState } from "./lab";
import type { SystemdHostKind } from "./rootfs";
import {
  hostEnvironment,
  listPids,
  readFileOrEmpty,
  readNamespace,
  readProcFile,
  receivesSshBanner,
  requirePid,
  run,
  runChecked,
  sleep,
  writeFile,
  type ExecOptions,
  type ExecResult,
} from "./system";

const BOOT_TIMEOUT_MS = 120_000;
// systemd halts a host within a second here. Now and then systemd 257 (debian13) reaches
// halt.target and then waits forever; nspawn's second TERM, which signals it again, ends that.
const NSPAWN_STOP_ROUNDS = [
  ["SIGTERM", 3_000],
  ["SIGTERM", 5_000],
  ["SIGTERM", 10_000],
  ["SIGKILL", 5_000],
] as const;
const NSPAWN_LOG = "nspawn.log";
const SSH_PORT = 22;

export interface SystemdLabHost {
  kind: SystemdHostKind;
  /** 1-based position in `Lab.hosts`. */
  number: number;
  /** Also the host's hostname and nspawn's machine name. */
  name: string;
  address: string;
  port: typeof SSH_PORT;
  /** The host's public key as in known_hosts, without the host name: `ssh-ed25519 AAAA...`. */
  hostKeyLine: string;
  /** The host's directory on the machine; upper/ holds every file the host wrote or changed. */
  dir: string;
  /** The host's / seen from the machine while it runs (`/proc/<init>/root`). */
  rootPath: string;
  nspawnPid: number;
  /** systemd, PID 1 inside the host. */
  initPid: number;
  /** The host's network namespace, /run/netns/<netns>. */
  netns: string;
  /** What `systemctl is-system-running` said when the host was ready. */
  systemState: "running" | "degraded";
  /** The units that had failed when the host was ready (only when degraded). */
  failedUnits: string[];
  /** Runs a command as root inside the host (nsenter into all of init's namespaces), bypassing ssh. */
  exec(command: string[] | string, options?: ExecOptions): Promise<ExecResult>;
}

export interface SystemdHostState extends BaseHostState {
  kind: SystemdHostKind;
  netns?: string;
  nspawnPid?: number;
  /** Start time of nspawnPid (/proc/PID/stat), so that a reused pid is never taken for it. */
  nspawnStartTime?: string;
}

// Keys only, and one host key of the host's own (the root fs has none). Debian's sshd_config reads
// this directory first, and the first value of a keyword wins.
const SSHD_CONFIG = `# pxlab
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
`;

// $1 root fs, $2 host dir, then nspawn's arguments. Runs in a fresh private mount namespace.
const BOOT_SCRIPT = `set -eu
mount -t overlay pxlab-root -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/merged"
shift 2
exec systemd-nspawn "$@"
`;

/** Boots the host and returns once systemd has finished booting it and sshd answers. */
export async function startSystemdHost(
  state: SystemdHostState,
  rootFs: string,
  keys: LabKeys,
  saveState: () => void,
): Promise<SystemdLabHost> {
  const hostKeyLine = await prepareOverlay(state, rootFs, keys);

  const netns = state.link;
  state.netns = netns;
  saveState();
  await runChecked(["ip", "netns", "add", netns]);
  state.netNamespace = `net:[${fs.statSync(netnsPath(netns)).ino}]`;
  saveState();
  await runChecked(["ip", "-batch", "-"], {
    input: [
      `link add ${state.link} type veth peer name eth0 netns ${netns}`,
      `address add ${state.gatewayAddress}/30 dev ${state.link}`,
      `link set ${state.link} up`,
      "",
    ].join("\n"),
  });
  await runChecked(["ip", "-n", netns, "-batch", "-"], {
    input: ["link set lo up", `address add ${state.address}/30 dev eth0`, "link set eth0 up", ""].join("\n"),
  });

  const log = fs.openSync(path.join(state.dir, NSPAWN_LOG), "a");
  const nspawnArguments = [
    `--directory=${path.join(state.dir, "merged")}`,
    "--boot",
    `--machine=${state.name}`,
    // Without these two nspawn asks the machine's system bus, which this machine has not.
    "--register=no",
    "--keep-unit",
    "--quiet",
    "--console=read-only",
    "--link-journal=no",
    `--network-namespace-path=${netnsPath(netns)}`,
  ];
  const nspawn = spawn(
    "unshare",
    [
      ...["--mount", "--propagation", "private", "--"],
      ...["/bin/sh", "-c", BOOT_SCRIPT, "pxlab-boot", rootFs, state.dir, ...nspawnArguments],
    ],
    {
      detached: true,
      stdio: ["ignore", log, log],
      cwd: "/",
      // systemd 257 refuses cgroup v1, which nspawn would give it on this machine's hybrid hierarchy.
      env: { ...hostEnvironment(), ...(state.kind === "debian13" ? { SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: "1" } : {}) },
    },
  );
  fs.closeSync(log);
  const nspawnPid = requirePid(nspawn, "systemd-nspawn");
  nspawn.unref();
  state.nspawnPid = nspawnPid;
  state.nspawnStartTime = readStartTime(nspawnPid);
  saveState();

  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  const initPid = await untilBooted(
    state,
    deadline,
    () => "systemd to start",
    () => findInit(nspawnPid),
  );
  state.mountNamespace = readNamespace(nspawnPid, "mnt");
  saveState();
  const exec = (command: string[] | string, options?: ExecOptions) =>
    run(
      [
        "nsenter",
        ...["-t", String(initPid), "--all", "--root", "--wd", "--"],
        ...(typeof command === "string" ? ["/bin/sh", "-c", command] : command),
      ],
      { ...options, env: { ...hostEnvironment(), ...options?.env } },
    );

  let reported = "nothing yet";
  const systemState = await untilBooted(
    state,
    deadline,
    () => `\`systemctl is-system-running\` to say running or degraded (last: ${reported})`,
    async () => {
      const answer = await exec(["systemctl", "is-system-running"], { timeoutMs: 10_000 });
      reported = (answer.stdout.trim() || answer.stderr.trim()).replace(/\s+/g, " ");
      if (reported === "running" || reported === "degraded") return reported;
      if (reported === "maintenance" || reported === "stopping") {
        throw bootFailure(state, `\`systemctl is-system-running\` says ${reported}`);
      }
      return undefined;
    },
  );
  const failedUnits =
    systemState === "degraded"
      ? (await exec(["systemctl", "list-units", "--state=failed", "--plain", "--no-legend", "--no-pager"])).stdout
          .split("\n")
          .map((line) => line.split(/\s+/)[0] ?? "")
          .filter((unit) => unit !== "")
      : [];
  if (failedUnits.length > 0) {
    console.error(`pxlab: ${state.name} (${state.kind}) booted degraded; failed units: ${failedUnits.join(", ")}`);
  }
  await untilBooted(
    state,
    deadline,
    () => `sshd's banner on ${state.address}:${SSH_PORT}`,
    async () => ((await receivesSshBanner(state.address, SSH_PORT)) ? true : undefined),
  );

  return {
    kind: state.kind,
    number: state.number,
    name: state.name,
    address: state.address,
    port: SSH_PORT,
    hostKeyLine,
    dir: state.dir,
    rootPath: `/proc/${initPid}/root`,
    nspawnPid,
    initPid,
    netns,
    systemState,
    failedUnits,
    exec,
  };
}

/**
 * Shuts the hosts down: TERM to nspawn (it asks systemd in the host to halt), repeated, then KILL.
 * Their namespaces' other processes, if any survive, are the caller's sweep.
 */
export async function stopSystemdHosts(hosts: SystemdHostState[]): Promise<void> {
  const runningNspawns = () => hosts.flatMap((host) => (isNspawnRunning(host) ? [host.nspawnPid!] : []));
  for (const [signal, waitMs] of NSPAWN_STOP_ROUNDS) {
    const pids = runningNspawns();
    for (const pid of pids) signalIfAlive(pid, signal);
    const deadline = Date.now() + waitMs;
    while (runningNspawns().length > 0 && Date.now() < deadline) await sleep(50);
  }
}

/** Deletes the hosts' named network namespaces (the kernel frees each once its last process is gone). */
export async function deleteNetworkNamespaces(hosts: SystemdHostState[]): Promise<void> {
  for (const host of hosts) {
    if (host.netns !== undefined && fs.existsSync(netnsPath(host.netns))) {
      await runChecked(["ip", "netns", "delete", host.netns]);
    }
  }
}

/** Whether nspawn runs, and sshd and xinetd processes in the host's network namespace. */
export function readSystemdHostStatus(host: SystemdHostState): Record<string, boolean> {
  const commands = new Set(
    listPids()
      .filter((pid) => host.netNamespace !== undefined && readNamespace(pid, "net") === host.netNamespace)
      .map((pid) => readProcFile(pid, "comm").trim()),
  );
  return {
    nspawn: isNspawnRunning(host),
    sshd: commands.has("sshd"),
    xinetd: commands.has("xinetd"),
  };
}

/** Seeds the overlay's upper layer; returns the host key line. */
async function prepareOverlay(state: SystemdHostState, rootFs: string, keys: LabKeys): Promise<string> {
  const upper = path.join(state.dir, "upper");
  for (const sub of ["upper", "work", "merged"]) {
    await fsp.mkdir(path.join(state.dir, sub), { recursive: true });
    await fsp.chmod(path.join(state.dir, sub), 0o755);
  }
  for (const [relative, mode] of [
    ["etc/ssh/sshd_config.d", 0o755],
    ["etc/sudoers.d", 0o750],
    ["root/.ssh", 0o700],
    ["home", 0o755],
  ] as const) {
    await mkdirLikeRootFs(rootFs, upper, relative, mode);
  }
  const at = (relative: string) => path.join(upper, relative);
  await writeAccounts(upper, path.join(rootFs, "etc/skel"), keys, buildAccountFiles(path.join(rootFs, "etc")));
  await writeFile(at("etc/hostname"), `${state.name}\n`, 0o644);
  await writeFile(
    at("etc/hosts"),
    `127.0.0.1\tlocalhost\n${state.address}\t${state.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    0o644,
  );
  await writeFile(at("etc/machine-id"), `${randomBytes(16).toString("hex")}\n`, 0o444);
  await writeFile(at("etc/ssh/sshd_config.d/pxlab.conf"), SSHD_CONFIG, 0o644);
  return generateHostKey(at("etc/ssh/ssh_host_ed25519_key"), state.name);
}

/**
 * Creates `relative` and its parents in the upper layer with the owner and mode they have in the
 * root fs (the overlay shows the upper layer's); `mode` for what the root fs lacks.
 */
async function mkdirLikeRootFs(rootFs: string, upper: string, relative: string, mode: number): Promise<void> {
  const parts = relative.split("/");
  for (let depth = 1; depth <= parts.length; depth++) {
    const prefix = parts.slice(0, depth).join("/");
    const target = path.join(upper, prefix);
    if (fs.existsSync(target)) continue;
    const original = fs.statSync(path.join(rootFs, prefix), { throwIfNoEntry: false });
    await fsp.mkdir(target);
    await fsp.chown(target, original?.uid ?? 0, original?.gid ?? 0);
    await fsp.chmod(target, original ? original.mode & 0o7777 : mode);
  }
}

/** Polls `probe` until it gives a value; fails with nspawn's output if nspawn exits or time runs out. */
async function untilBooted<T>(
  state: SystemdHostState,
  deadline: number,
  what: () => string,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (!isNspawnRunning(state)) throw bootFailure(state, `nspawn exited before ${what()}`);
    if (Date.now() > deadline) throw bootFailure(state, `timed out after ${BOOT_TIMEOUT_MS} ms waiting for ${what()}`);
    await sleep(100);
  }
}

function bootFailure(state: SystemdHostState, problem: string): Error {
  const output = readFileOrEmpty(path.join(state.dir, NSPAWN_LOG))
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;]*[A-Za-z]|\r/g, "")
    .trimEnd()
    .split("\n")
    .slice(-40)
    .join("\n");
  return new Error(`${state.name} (${state.kind}): ${problem}; nspawn's output (last 40 lines):\n${output}`);
}

/** The host's init: nspawn's child that is PID 1 in its own PID namespace. */
function findInit(nspawnPid: number): number | undefined {
  const children = readFileOrEmpty(`/proc/${nspawnPid}/task/${nspawnPid}/children`).trim().split(/\s+/);
  return children
    .map(Number)
    .find((pid) => Number.isInteger(pid) && pid > 0 && /^NSpid:\s+\d+\s+1$/m.test(readProcFile(pid, "status")));
}

/**
 * True while the host's nspawn (or the unshare and sh that exec it) runs; false once it is a zombie.
 * Known by pid and start time: its command line is briefly unreadable while it execs.
 */
function isNspawnRunning(host: SystemdHostState): boolean {
  return (
    host.nspawnPid !== undefined &&
    host.nspawnStartTime !== undefined &&
    readStartTime(host.nspawnPid) === host.nspawnStartTime
  );
}

/** Field 22 of /proc/PID/stat; undefined for a process that is gone or a zombie. */
function readStartTime(pid: number): string | undefined {
  const stat = readProcFile(pid, "stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[0] === undefined || fields[0] === "" || fields[0] === "Z" ? undefined : fields[19];
}

function netnsPath(netns: string): string {
  return path.join("/run/netns", netns);
}

function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
