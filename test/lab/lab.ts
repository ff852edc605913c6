// The lab: K hosts on this machine for integration tests and benchmarks, each running a real sshd
// and a real xinetd. Needs root (see requirements.ts). Hosts are of one of these kinds:
// - "namespace": a set of namespaces sharing the machine's binaries (below);
// - "debian12", "debian13": a whole Debian system booted by systemd in systemd-nspawn (systemd-host.ts).
//
// Every host has a veth pair, root side `pxl-<id>-<n>` = 10.213.B.(4k+1)/30, host side `eth0` =
// 10.213.B.(4k+2)/30. A /30 per host keeps hosts unable to reach each other (no bridge, no
// forwarding, no default route): they talk only to the root namespace.
//
// A namespace host:
// - an "anchor" process (`unshare --net --mount --uts ... sleep infinity`) owns the host's network,
//   mount and UTS namespaces; sshd and xinetd are started inside them with nsenter, so every
//   process of the host (and every ssh session) shares them;
// - mounts, all inside the host's own mount namespace (they vanish with its last process):
//   /etc is an overlay of the machine's /etc, so no write by a host reaches the machine and missing
//   mount points such as /etc/rsyncd can exist per host; its upper dir is seeded with the host's
//   identity (hostname, hosts, ssh/, default/xinetd). Over it, per-host copies are bind-mounted on
//   /etc/{xinetd.d,rsyncd,sudoers.d,passwd,group,shadow}, and per-host dirs on
//   /srv, /var/log, /run, /root, /home and /tmp.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";

import {
  buildAccountFiles,
  generateHostKey,
  generateUserKey,
  NO_SUDO_USER_NAME,
  SUDO_USER_NAME,
  writeAccounts,
  type AccountFiles,
  type LabKeys,
  type LabUser,
} from "./accounts";
import { ensureRootFs, type SystemdHostKind } from "./rootfs";
import {
  hostEnvironment,
  readFileOrEmpty,
  readNamespace,
  readProcFile,
  receivesSshBanner,
  requirePid,
  run,
  runChecked,
  sleep,
  waitFor,
  writeFile,
  listPids,
  type ExecOptions,
  type ExecResult,
} from "./system";
import {
  deleteNetworkNamespaces,
  readSystemdHostStatus,
  startSystemdHost,
  stopSystemdHosts,
  type SystemdHostState,
  type SystemdLabHost,
} from "./systemd-host";

export { NO_SUDO_USER_NAME, SUDO_USER_NAME, run, type ExecOptions, type ExecResult, type LabUser, type SystemdLabHost };

export const LAB_PARENT_DIR = "/tmp";
export const LAB_DIR_PREFIX = "pxlab-";
/** Root-namespace veth names are `pxl-<lab id>-<host number>` (at most 15 characters). */
export const LAB_LINK_PREFIX = "pxl-";
export const SSH_PORT = 22;

// 10.213.0.0/16 is split in 256 blocks (/24) of 64 hosts (/30 each); a lab takes whole blocks.
const ADDRESS_PREFIX = "10.213";
const HOSTS_PER_BLOCK = 64;
const BLOCK_COUNT = 256;
const MAX_HOSTS = 999; // keeps link names within 15 characters
const START_CONCURRENCY = 8;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 3_000;
const ALLOCATION_LOCK = path.join(LAB_PARENT_DIR, "pxlab.alloc.lock");
const STATE_FILE = "lab.json";

export type HostKind = "namespace" | SystemdHostKind;
export const HOST_KINDS: readonly HostKind[] = ["namespace", "debian12", "debian13"];

/** One host of a mixed lab. */
export interface HostSpec {
  kind: HostKind;
}

/** A namespace host. */
export interface LabHost {
  kind: "namespace";
  /** 1-based position in `Lab.hosts`. */
  number: number;
  /** Also the host's hostname. */
  name: string;
  address: string;
  port: typeof SSH_PORT;
  /** The host's public key as in known_hosts, without the host name: `ssh-ed25519 AAAA...`. */
  hostKeyLine: string;
  /** The host's files on the machine (hosts/<n>/etc/xinetd.d is its /etc/xinetd.d, and so on). */
  dir: string;
  anchorPid: number;
  sshdPid: number;
  /** The pid at start; `service xinetd restart` in the host changes it (see /run/xinetd.pid). */
  xinetdPid: number;
  /** Runs a command as root inside the host's namespaces (nsenter), bypassing ssh. */
  exec(command: string[] | string, options?: ExecOptions): Promise<ExecResult>;
}

/** A host of any kind: narrow on `kind`. */
export type AnyLabHost = LabHost | SystemdLabHost;

/** A lab whose hosts are all namespace hosts (the default) or, with `AnyLabHost`, of any kind. */
export interface Lab<Host extends AnyLabHost = LabHost> {
  id: string;
  dir: string;
  hosts: Host[];
  rootKeyPath: string;
  rootPrivateKey: string;
  /** `labuser`: passwordless sudo. */
  sudoUser: LabUser;
  /** `labnosudo`: no sudo rights at all. */
  noSudoUser: LabUser;
  /** known_hosts file with one `ADDRESS KEY` line per host. */
  knownHostsPath: string;
  /** Stops every process of the lab and removes its namespaces, links, mounts and directory. */
  stop(): Promise<void>;
}

/** What every host records in the state file; each kind adds its own fields. */
export interface BaseHostState {
  number: number;
  name: string;
  address: string;
  gatewayAddress: string;
  link: string;
  dir: string;
  /** The namespaces of the host's processes (a systemd host: nspawn's mount namespace). */
  mountNamespace?: string;
  netNamespace?: string;
}

interface NamespaceHostState extends BaseHostState {
  kind: "namespace";
  anchorPid?: number;
  sshdPid?: number;
  xinetdPid?: number;
}

type HostState = NamespaceHostState | SystemdHostState;

interface LabState {
  id: string;
  dir: string;
  addressBlocks: number[];
  hosts: HostState[];
}

/**
 * Makes `shell` the login shell of `user` on `host` (sshd runs every command line through it).
 * The host's /etc/passwd is a bind mount of its own copy: rewritten in place, as usermod's
 * rename could not replace a mount point.
 */
export function setLoginShell(host: LabHost, user: string, shell: string): void {
  const file = path.join(host.dir, "etc", "passwd");
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const index = lines.findIndex((line) => line.startsWith(`${user}:`));
  if (index < 0) throw new Error(`no user ${user} on ${host.name}`);
  lines[index] = [...lines[index]!.split(":").slice(0, 6), shell].join(":");
  fs.writeFileSync(file, lines.join("\n"));
}

export function labDirFor(id: string): string {
  return path.join(LAB_PARENT_DIR, `${LAB_DIR_PREFIX}${id}`);
}

export interface LabOptions {
  /** How many hosts of `kind`, or one spec per host (a mixed lab). */
  hosts: number | readonly HostSpec[];
  /** The kind of every host when `hosts` is a number; default "namespace". */
  kind?: HostKind;
  id?: string;
}

/**
 * Starts a lab and waits until every host answers ssh. Root file systems of systemd hosts are built
 * first if this machine has none yet (about a minute each, once).
 */
export function startLab(options: { hosts: number; kind?: "namespace"; id?: string }): Promise<Lab>;
export function startLab(options: LabOptions): Promise<Lab<AnyLabHost>>;
export async function startLab(options: LabOptions): Promise<Lab<AnyLabHost>> {
  const kinds = hostKindsOf(options);
  const id = options.id ?? randomBytes(3).toString("hex");
  if (!/^[a-z0-9]{1,6}$/.test(id)) throw new Error(`lab id must match [a-z0-9]{1,6}, got ${JSON.stringify(id)}`);
  const rootFsPaths = new Map<SystemdHostKind, string>();
  for (const kind of new Set(kinds)) {
    if (kind === "namespace") continue;
    const rootFs = await ensureRootFs(kind);
    if (rootFs.buildMs !== undefined) {
      console.error(`pxlab: ${kind} root fs ready in ${(rootFs.buildMs / 1000).toFixed(1)} s: ${rootFs.path}`);
    }
    rootFsPaths.set(kind, rootFs.path);
  }
  const dir = labDirFor(id);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new Error(`lab ${id} already exists at ${dir}; stop it first (stopLabFromState or \`npm run lab down\`)`, {
        cause: error,
      });
    }
    throw error;
  }

  const stateStore = new StateStore(dir);
  try {
    const state = await allocateAddresses(id, dir, kinds);
    stateStore.save(state);
    const [rootKey, sudoUser, noSudoUser] = await Promise.all([
      generateUserKey(dir, "root", id),
      generateUserKey(dir, SUDO_USER_NAME, id),
      generateUserKey(dir, NO_SUDO_USER_NAME, id),
    ]);
    const keys = { rootKey, sudoUser, noSudoUser };
    const saveState = () => stateStore.save(state);
    const machineAccounts = kinds.includes("namespace") ? buildAccountFiles("/etc") : undefined;
    const hosts = await mapWithConcurrency(state.hosts, START_CONCURRENCY, (hostState): Promise<AnyLabHost> => {
      if (hostState.kind === "namespace") return startHost(hostState, keys, machineAccounts!, saveState);
      return startSystemdHost(hostState, rootFsPaths.get(hostState.kind)!, keys, saveState);
    });
    const knownHostsPath = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHostsPath, hosts.map((host) => `${host.address} ${host.hostKeyLine}\n`).join(""));
    return {
      id,
      dir,
      hosts,
      rootKeyPath: rootKey.keyPath,
      rootPrivateKey: rootKey.privateKey,
      sudoUser,
      noSudoUser,
      knownHostsPath,
      stop: () => stopLabFromState(dir),
    };
  } catch (startError) {
    try {
      await stopLabFromState(dir);
    } catch (stopError) {
      throw new Error(`${(startError as Error).message}; cleaning up also failed: ${(stopError as Error).message}`, {
        cause: stopError,
      });
    }
    throw startError;
  }
}

/** One kind per host, or an error naming every problem with `hosts` and `kind`. */
function hostKindsOf(options: LabOptions): HostKind[] {
  const problems: string[] = [];
  let kinds: HostKind[];
  if (typeof options.hosts === "number") {
    const hostCount = options.hosts;
    if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > MAX_HOSTS) {
      problems.push(`\`hosts\` must be an integer from 1 to ${MAX_HOSTS}, got ${hostCount}`);
    }
    kinds = Array.from({ length: Number.isInteger(hostCount) && hostCount > 0 ? hostCount : 0 }, () => {
      return options.kind ?? "namespace";
    });
  } else {
    if (options.kind !== undefined) problems.push("`kind` goes in each host's spec when `hosts` is a list");
    if (options.hosts.length < 1 || options.hosts.length > MAX_HOSTS) {
      problems.push(`\`hosts\` must list 1 to ${MAX_HOSTS} hosts, got ${options.hosts.length}`);
    }
    kinds = options.hosts.map((spec) => spec.kind);
  }
  for (const [index, kind] of kinds.entries()) {
    if (!HOST_KINDS.includes(kind)) {
      problems.push(
        `\`kind\` of host ${index + 1} must be one of ${HOST_KINDS.join(", ")}, got ${JSON.stringify(kind)}`,
      );
    }
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return kinds;
}

/**
 * Stops the lab whose state is in `dir`: every process in its hosts' namespaces (TERM, then KILL
 * after a grace period), its links, and its directory. Does nothing if `dir` does not exist.
 */
export async function stopLabFromState(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  const statePath = path.join(dir, STATE_FILE);
  if (!fs.existsSync(statePath)) {
    if (!path.basename(dir).startsWith(LAB_DIR_PREFIX)) throw new Error(`${dir} is not a lab directory`);
    // Left by a start that failed before recording anything: nothing runs, nothing is linked.
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  const state = readState(dir);
  const systemdHosts = state.hosts.filter(isSystemdHostState);
  // Each systemd host shuts down on nspawn's TERM; what survives is swept with the rest.
  await stopSystemdHosts(systemdHosts);
  await terminateLabProcesses(state.hosts);
  await deleteNetworkNamespaces(systemdHosts);
  await deleteLabLinks(state.id);
  // Mounts live only in the hosts' namespaces; one in ours would make rm -rf reach into it.
  const leakedMounts = mountsUnder(dir);
  if (leakedMounts.length > 0)
    throw new Error(`lab mounts found in the root mount namespace: ${leakedMounts.join(", ")}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Lab directories (with a state file) present on this machine, for `down --all`. */
export function findLabDirs(): string[] {
  return fs
    .readdirSync(LAB_PARENT_DIR)
    .filter((entry) => entry.startsWith(LAB_DIR_PREFIX))
    .map((entry) => path.join(LAB_PARENT_DIR, entry))
    .filter((dir) => fs.existsSync(path.join(dir, STATE_FILE)));
}

export interface HostStatus {
  name: string;
  kind: HostKind;
  address: string;
  /** Whether each part of the host runs: namespaces, sshd, xinetd; a systemd host's nspawn, sshd, xinetd. */
  parts: Record<string, boolean>;
}

/** What is still running of the lab recorded in `dir`, or undefined if there is none. */
export function readLabStatus(dir: string): { id: string; hosts: HostStatus[] } | undefined {
  if (!fs.existsSync(path.join(dir, STATE_FILE))) return undefined;
  const state = readState(dir);
  return {
    id: state.id,
    hosts: state.hosts.map((host) => ({
      name: host.name,
      kind: host.kind,
      address: host.address,
      parts:
        host.kind === "namespace"
          ? {
              namespaces: isRunningInNamespace(host.anchorPid, host.mountNamespace),
              sshd: isRunningInNamespace(host.sshdPid, host.mountNamespace),
              xinetd: isRunningInNamespace(readXinetdPid(host.dir), host.mountNamespace),
            }
          : readSystemdHostStatus(host),
    })),
  };
}

/** The state file; a lab recorded before host kinds existed has namespace hosts only. */
function readState(dir: string): LabState {
  const state = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), "utf8")) as LabState;
  return {
    ...state,
    hosts: state.hosts.map(
      (host) => ({ ...host, kind: (host.kind as HostKind | undefined) ?? "namespace" }) as HostState,
    ),
  };
}

function isSystemdHostState(host: HostState): host is SystemdHostState {
  return host.kind !== "namespace";
}

// ---------------------------------------------------------------------------------------------
// Starting a namespace host

// Runs as root inside the new namespaces, before any daemon starts. $1 host dir, $2 host name,
// $3 host address. /tmp goes last: the bind sources live under it.
const HOST_SETUP_SCRIPT = `set -eu
host_dir=$1
mount -t overlay pxlab-etc -o "lowerdir=/etc,upperdir=$host_dir/etc-overlay/upper,workdir=$host_dir/etc-overlay/work" /etc
for entry in xinetd.d rsyncd sudoers.d; do
  mkdir -p "/etc/$entry"
  mount --bind "$host_dir/etc/$entry" "/etc/$entry"
done
for entry in passwd group shadow; do
  mount --bind "$host_dir/etc/$entry" "/etc/$entry"
done
for entry in srv var/log run root home tmp; do
  mount --bind "$host_dir/$entry" "/$entry"
done
hostname "$2"
ip link set lo up
ip address add "$3/30" dev eth0
ip link set eth0 up
`;

async function startHost(
  state: NamespaceHostState,
  keys: LabKeys,
  accounts: AccountFiles,
  saveState: () => void,
): Promise<LabHost> {
  const hostKeyLine = await prepareHostFiles(state, keys, accounts);

  const anchor = spawn(
    "unshare",
    ["--net", "--mount", "--uts", "--propagation", "private", "--", "sleep", "infinity"],
    { detached: true, stdio: "ignore", cwd: "/" },
  );
  const anchorPid = requirePid(anchor, "unshare");
  anchor.unref();
  state.anchorPid = anchorPid;
  saveState();
  // unshare execs sleep only after the namespaces exist.
  await waitFor(`${state.name}: namespaces`, 10_000, () => readProcFile(anchorPid, "comm") === "sleep\n");
  state.mountNamespace = readNamespace(anchorPid, "mnt");
  state.netNamespace = readNamespace(anchorPid, "net");
  if (!state.mountNamespace || state.mountNamespace === readNamespace(process.pid, "mnt")) {
    throw new Error(`${state.name}: anchor ${anchorPid} has no mount namespace of its own`);
  }
  saveState();

  await runChecked(["ip", "-batch", "-"], {
    input: [
      `link add ${state.link} type veth peer name eth0 netns ${anchorPid}`,
      `address add ${state.gatewayAddress}/30 dev ${state.link}`,
      `link set ${state.link} up`,
      "",
    ].join("\n"),
  });
  const inHost = (command: string[]) => ["nsenter", "-t", String(anchorPid), "-m", "-u", "-n", "--", ...command];
  await runChecked(inHost(["/bin/sh", "-c", HOST_SETUP_SCRIPT, "pxlab-setup", state.dir, state.name, state.address]));

  const sshdLog = fs.openSync(path.join(state.dir, "var/log/sshd.log"), "a");
  const [nsenter, ...sshdArguments] = inHost(["/usr/sbin/sshd", "-D", "-e", "-f", "/etc/ssh/sshd_config"]);
  const sshd = spawn(nsenter!, sshdArguments, {
    detached: true,
    stdio: ["ignore", sshdLog, sshdLog],
    cwd: "/",
    env: hostEnvironment(),
  });
  fs.closeSync(sshdLog);
  const sshdPid = requirePid(sshd, "sshd");
  sshd.unref();
  state.sshdPid = sshdPid;
  saveState();

  // The Debian way: `service` runs /etc/init.d/xinetd, which writes /run/xinetd.pid.
  await runChecked(inHost(["service", "xinetd", "start"]), { env: hostEnvironment() });
  const xinetdLog = path.join(state.dir, "var/log/xinetd.log");
  // A SIGHUP before xinetd has set up its handlers would kill it: wait for its "ready" line.
  await waitFor(
    `${state.name}: xinetd`,
    READY_TIMEOUT_MS,
    () =>
      isRunningInNamespace(readXinetdPid(state.dir), state.mountNamespace) &&
      readFileOrEmpty(xinetdLog).includes("Started working"),
  );
  const xinetdPid = readXinetdPid(state.dir)!;
  state.xinetdPid = xinetdPid;
  saveState();

  await waitFor(`${state.name}: sshd banner on ${state.address}:${SSH_PORT}`, READY_TIMEOUT_MS, async () => {
    if (!isRunningInNamespace(sshdPid, state.mountNamespace)) {
      throw new Error(
        `${state.name}: sshd exited: ${readFileOrEmpty(path.join(state.dir, "var/log/sshd.log")).trim()}`,
      );
    }
    return receivesSshBanner(state.address, SSH_PORT);
  });

  return {
    kind: "namespace",
    number: state.number,
    name: state.name,
    address: state.address,
    port: SSH_PORT,
    hostKeyLine,
    dir: state.dir,
    anchorPid,
    sshdPid,
    xinetdPid,
    exec: (command, options) =>
      run(inHost(typeof command === "string" ? ["/bin/sh", "-c", command] : command), {
        ...options,
        env: { ...hostEnvironment(), ...options?.env },
      }),
  };
}

/** Writes the host's directory tree; returns its public host key line. */
async function prepareHostFiles(state: NamespaceHostState, keys: LabKeys, accounts: AccountFiles): Promise<string> {
  const hostDir = state.dir;
  const at = (relative: string) => path.join(hostDir, relative);
  for (const [relative, mode] of [
    ["etc", 0o755],
    ["etc/rsyncd", 0o755],
    ["etc/sudoers.d", 0o750],
    ["etc-overlay/upper/ssh", 0o755],
    ["etc-overlay/upper/default", 0o755],
    ["etc-overlay/work", 0o700],
    ["srv", 0o755],
    ["var/log", 0o755],
    ["run/sshd", 0o755],
    ["run/lock", 0o1777],
    ["root/.ssh", 0o700],
    ["home", 0o755],
    ["tmp", 0o1777],
  ] as const) {
    await fsp.mkdir(at(relative), { recursive: true });
    await fsp.chmod(at(relative), mode);
  }
  await fsp.chmod(at("root"), 0o700);

  // A fresh Debian xinetd install: the machine's (all disabled) service files.
  await fsp.cp("/etc/xinetd.d", at("etc/xinetd.d"), { recursive: true, preserveTimestamps: true });
  if (fs.existsSync("/etc/sudoers.d")) await fsp.cp("/etc/sudoers.d", at("etc/sudoers.d"), { recursive: true });
  await writeAccounts(hostDir, "/etc/skel", keys, accounts);

  await writeFile(at("etc-overlay/upper/hostname"), `${state.name}\n`, 0o644);
  await writeFile(
    at("etc-overlay/upper/hosts"),
    `127.0.0.1\tlocalhost\n127.0.1.1\t${state.name}\n${state.address}\t${state.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    0o644,
  );
  // Debian's defaults, plus a log file: the hosts have no syslog, and tests read xinetd's messages.
  const debianDefaults = readFileOrEmpty("/etc/default/xinetd");
  await writeFile(
    at("etc-overlay/upper/default/xinetd"),
    `${debianDefaults}\n# pxlab: no syslog in the lab hosts\nXINETD_OPTS="$XINETD_OPTS -filelog /var/log/xinetd.log"\n`,
    0o644,
  );
  await writeFile(at("etc-overlay/upper/ssh/sshd_config"), sshdConfig(state), 0o644);
  return generateHostKey(at("etc-overlay/upper/ssh/ssh_host_ed25519_key"), state.name);
}

function sshdConfig(state: NamespaceHostState): string {
  return [
    `# pxlab host ${state.name}`,
    `ListenAddress ${state.address}:${SSH_PORT}`,
    "HostKey /etc/ssh/ssh_host_ed25519_key",
    "PidFile /run/sshd.pid",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "AuthorizedKeysFile .ssh/authorized_keys",
    "AcceptEnv LANG LC_*",
    "Subsystem sftp /usr/lib/openssh/sftp-server",
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Addresses

/**
 * Reserves whole /24 blocks of 10.213.0.0/16 for the lab and records them in its state file.
 * Other labs' state files and the machine's own addresses mark blocks as taken; a lock directory
 * makes the check-and-record atomic between labs started concurrently.
 */
async function allocateAddresses(id: string, dir: string, kinds: HostKind[]): Promise<LabState> {
  const blocksNeeded = Math.ceil(kinds.length / HOSTS_PER_BLOCK);
  return withAllocationLock(async () => {
    const taken = new Set<number>();
    for (const otherDir of findLabDirs()) {
      const other = JSON.parse(fs.readFileSync(path.join(otherDir, STATE_FILE), "utf8")) as LabState;
      other.addressBlocks.forEach((block) => taken.add(block));
    }
    const addresses = await runChecked(["ip", "-4", "-o", "address", "show"]);
    for (const match of addresses.stdout.matchAll(/inet 10\.213\.(\d+)\./g)) taken.add(Number(match[1]));
    let first = 0;
    while (
      first + blocksNeeded <= BLOCK_COUNT &&
      Array.from({ length: blocksNeeded }, (_, i) => first + i).some((block) => taken.has(block))
    ) {
      first++;
    }
    if (first + blocksNeeded > BLOCK_COUNT) throw new Error(`no free address block left in ${ADDRESS_PREFIX}.0.0/16`);
    const state: LabState = {
      id,
      dir,
      addressBlocks: Array.from({ length: blocksNeeded }, (_, i) => first + i),
      hosts: kinds.map((kind, index): HostState => {
        const block = first + Math.floor(index / HOSTS_PER_BLOCK);
        const subnet = (index % HOSTS_PER_BLOCK) * 4;
        const number = index + 1;
        return {
          kind,
          number,
          name: `pxlab-${id}-${number}`,
          address: `${ADDRESS_PREFIX}.${block}.${subnet + 2}`,
          gatewayAddress: `${ADDRESS_PREFIX}.${block}.${subnet + 1}`,
          link: `${LAB_LINK_PREFIX}${id}-${number}`,
          dir: path.join(dir, "hosts", String(number)),
        };
      }),
    };
    new StateStore(dir).save(state);
    return state;
  });
}

async function withAllocationLock<T>(body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      fs.mkdirSync(ALLOCATION_LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A lock older than any allocation can take was left by a killed process.
      const age = Date.now() - (fs.statSync(ALLOCATION_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 20_000) fs.rmSync(ALLOCATION_LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${ALLOCATION_LOCK}`, { cause: error });
      else await sleep(50);
    }
  }
  try {
    return await body();
  } finally {
    fs.rmSync(ALLOCATION_LOCK, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Stopping

/**
 * Kills every process in the lab's namespaces: the recorded anchors, sshds and xinetds, and what
 * they started (ssh sessions, xinetd servers, a restarted xinetd). When the last one exits, the
 * kernel frees the namespaces, and with them the hosts' mounts and veths.
 */
async function terminateLabProcesses(hosts: HostState[]): Promise<void> {
  const namespaces = new Set(hosts.flatMap((host) => [host.mountNamespace, host.netNamespace]).filter(isDefined));
  const ownNamespaces = new Set([readNamespace(process.pid, "mnt"), readNamespace(process.pid, "net")]);
  for (const own of ownNamespaces) if (own) namespaces.delete(own);
  // An anchor whose namespaces were never recorded (start interrupted) is known by pid alone.
  const unverifiedAnchors = hosts.flatMap((host) =>
    host.kind === "namespace" && host.anchorPid !== undefined && host.mountNamespace === undefined
      ? [host.anchorPid]
      : [],
  );

  const findRemaining = () => {
    const remaining = new Set(unverifiedAnchors.filter(isUnshareAnchor));
    for (const pid of listPids()) {
      if (namespaces.has(readNamespace(pid, "mnt") ?? "") || namespaces.has(readNamespace(pid, "net") ?? "")) {
        remaining.add(pid);
      }
    }
    return [...remaining];
  };

  for (const [signal, waitMs] of [
    ["SIGTERM", STOP_GRACE_MS],
    ["SIGKILL", 5_000],
    ["SIGKILL", 5_000],
  ] as const) {
    const pids = findRemaining();
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
    }
    try {
      await waitFor("lab processes to exit", waitMs, () => findRemaining().length === 0);
    } catch {
      // Survivors get the next, harder round.
    }
  }
  const survivors = findRemaining();
  if (survivors.length > 0) throw new Error(`lab processes survived SIGKILL: ${survivors.join(", ")}`);
}

/** Deletes the lab's root-side veths (the kernel does it too when a host's netns goes away). */
async function deleteLabLinks(id: string): Promise<void> {
  const prefix = `${LAB_LINK_PREFIX}${id}-`;
  const listLinks = async () => {
    const links = await runChecked(["ip", "-o", "link", "show"]);
    return links.stdout
      .split("\n")
      .map((line) => line.split(": ")[1]?.split("@")[0])
      .filter((name): name is string => name !== undefined && name.startsWith(prefix));
  };
  const links = await listLinks();
  if (links.length > 0) {
    // -force: a link may vanish on its own between listing and deleting.
    await run(["ip", "-force", "-batch", "-"], { input: links.map((link) => `link delete ${link}\n`).join("") });
  }
  await waitFor(`links ${prefix}* to disappear`, 10_000, async () => (await listLinks()).length === 0);
}

function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`));
}

// ---------------------------------------------------------------------------------------------
// Processes

function isRunningInNamespace(pid: number | undefined, mountNamespace: string | undefined): boolean {
  return pid !== undefined && mountNamespace !== undefined && readNamespace(pid, "mnt") === mountNamespace;
}

function isUnshareAnchor(pid: number): boolean {
  const commandLine = readProcFile(pid, "cmdline");
  return commandLine.startsWith("unshare\0") || commandLine === "sleep\0infinity\0";
}

function readXinetdPid(hostDir: string): number | undefined {
  const pid = Number.parseInt(readFileOrEmpty(path.join(hostDir, "run/xinetd.pid")), 10);
  return Number.isInteger(pid) ? pid : undefined;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

async function mapWithConcurrency<T, R>(items: T[], limit: number, worker: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** Writes the state file atomically, so `down` always reads a whole one. */
class StateStore {
  constructor(private readonly dir: string) {}

  save(state: LabState): void {
    const target = path.join(this.dir, STATE_FILE);
    fs.writeFileSync(`${target}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    fs.renameSync(`${target}.tmp`, target);
  }
}
