// `npm run lab -- up N [--kind K[,K...]] | down [--all] | status | rootfs [K...]`: a lab to poke at by
// hand, recorded in a fixed place.
import { findLabDirs, HOST_KINDS, labDirFor, readLabStatus, startLab, stopLabFromState, type HostKind } from "./lab";
import { findMissingLabRequirements } from "./requirements";
import { ensureRootFs, SUITE_OF_KIND, type SystemdHostKind } from "./rootfs";

const CLI_LAB_ID = "cli";
const CLI_LAB_DIR = labDirFor(CLI_LAB_ID);

const SYSTEMD_KINDS = Object.keys(SUITE_OF_KIND) as SystemdHostKind[];

const USAGE = `usage: npm run lab -- <command>
  up N [--kind K]       start N hosts of kind K (${HOST_KINDS.join(", ")}; default namespace),
                        state in ${CLI_LAB_DIR}
  up N --kind K1,K2...  start N hosts, one kind each (a mixed lab)
  down                  stop the lab started by "up"
  down --all            stop every lab on this machine (also those left by killed test runs)
  status                show what runs of the lab started by "up"
  rootfs [K...]         build the root file systems of systemd kinds (default all) if not cached`;

async function main(args: string[]): Promise<number> {
  const [command, argument, ...rest] = args;
  switch (command) {
    case "up":
      return up(argument, rest);
    case "down":
      return down(argument === "--all");
    case "status":
      return status();
    case "rootfs":
      return rootfs(args.slice(1));
    default:
      console.error(USAGE);
      return 2;
  }
}

async function up(hostCountArgument: string | undefined, options: string[]): Promise<number> {
  const hostCount = Number(hostCountArgument);
  const kinds = parseKinds(hostCount, options);
  if (!Number.isInteger(hostCount) || hostCount < 1 || kinds === undefined) {
    console.error(USAGE);
    return 2;
  }
  const missing = findMissingLabRequirements(kinds);
  if (missing.length > 0) {
    console.error(`cannot start the lab: ${missing.join("; ")}`);
    return 1;
  }
  const startedAt = performance.now();
  const lab = await startLab({ hosts: kinds.map((kind) => ({ kind })), id: CLI_LAB_ID });
  const elapsed = performance.now() - startedAt;
  console.log(`lab ${lab.id}: ${lab.hosts.length} hosts ready in ${formatMs(elapsed)} (state: ${lab.dir})`);
  for (const host of lab.hosts) {
    const what =
      host.kind === "namespace"
        ? `sshd ${host.sshdPid}  xinetd ${host.xinetdPid}`
        : `nspawn ${host.nspawnPid}  ${host.systemState}${host.failedUnits.length > 0 ? ` (failed: ${host.failedUnits.join(", ")})` : ""}`;
    console.log(`  ${host.name.padEnd(16)} ${host.kind.padEnd(9)} ${host.address.padEnd(14)} ${what}`);
  }
  const first = lab.hosts[0]!;
  const pinned = `-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes`;
  console.log("ssh in:");
  console.log(`  ssh -i ${lab.rootKeyPath} ${pinned} root@${first.address}`);
  console.log(
    `  ssh -i ${lab.sudoUser.keyPath} ${pinned} ${lab.sudoUser.name}@${first.address}    # passwordless sudo`,
  );
  console.log(`  ssh -i ${lab.noSudoUser.keyPath} ${pinned} ${lab.noSudoUser.name}@${first.address}  # no sudo`);
  const enter = first.kind === "namespace" ? `-t ${first.anchorPid} -m -u -n` : `-t ${first.initPid} --all --root --wd`;
  console.log(`or without ssh: nsenter ${enter} -- bash`);
  console.log("stop with: npm run lab -- down");
  return 0;
}

async function down(all: boolean): Promise<number> {
  const dirs = all ? findLabDirs() : [CLI_LAB_DIR];
  for (const dir of dirs) {
    const startedAt = performance.now();
    const stopped = readLabStatus(dir);
    await stopLabFromState(dir);
    const what = stopped ? `lab ${stopped.id} (${stopped.hosts.length} hosts)` : "nothing running";
    console.log(`${dir}: ${what} stopped in ${formatMs(performance.now() - startedAt)}`);
  }
  return 0;
}

function status(): number {
  const lab = readLabStatus(CLI_LAB_DIR);
  if (!lab) {
    console.log(`no lab recorded in ${CLI_LAB_DIR}`);
    return 0;
  }
  console.log(`lab ${lab.id} in ${CLI_LAB_DIR}:`);
  for (const host of lab.hosts) {
    const parts = Object.entries(host.parts).map(([part, running]) => `${part} ${running ? "up  " : "DOWN"}`);
    console.log(`  ${host.name.padEnd(16)} ${host.kind.padEnd(9)} ${host.address.padEnd(14)} ${parts.join("  ")}`);
  }
  const healthy = lab.hosts.every((host) => Object.values(host.parts).every((running) => running));
  return healthy ? 0 : 1;
}

async function rootfs(kindArguments: string[]): Promise<number> {
  const kinds = kindArguments.length === 0 ? SYSTEMD_KINDS : kindArguments;
  const unknown = kinds.filter((kind) => !(SYSTEMD_KINDS as string[]).includes(kind));
  if (unknown.length > 0) {
    console.error(`not a systemd host kind: ${unknown.join(", ")} (kinds: ${SYSTEMD_KINDS.join(", ")})`);
    return 2;
  }
  const missing = findMissingLabRequirements(kinds as SystemdHostKind[]);
  if (missing.length > 0) {
    console.error(`cannot build root file systems: ${missing.join("; ")}`);
    return 1;
  }
  for (const kind of kinds as SystemdHostKind[]) {
    const built = await ensureRootFs(kind);
    const how = built.buildMs === undefined ? "cached" : `built in ${formatMs(built.buildMs)}`;
    console.log(`${kind} (${SUITE_OF_KIND[kind]}): ${how}: ${built.path}`);
  }
  return 0;
}

/** `--kind K` for every host or `--kind K1,...,KN` for each; undefined when the options are wrong. */
function parseKinds(hostCount: number, options: string[]): HostKind[] | undefined {
  if (options.length === 0) return Array.from({ length: hostCount }, () => "namespace");
  if (options.length !== 2 || options[0] !== "--kind") return undefined;
  const kinds = options[1]!.split(",");
  if (!kinds.every((kind): kind is HostKind => (HOST_KINDS as string[]).includes(kind))) return undefined;
  if (kinds.length === 1) return Array.from({ length: hostCount }, () => kinds[0]!);
  return kinds.length === hostCount ? kinds : undefined;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
