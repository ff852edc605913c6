// `npm run lab -- up N | down [--all] | status`: a lab to poke at by hand, recorded in a fixed place.
import { findLabDirs, labDirFor, readLabStatus, startLab, stopLabFromState } from "./lab";
import { findMissingLabRequirements } from "./requirements";

const CLI_LAB_ID = "cli";
const CLI_LAB_DIR = labDirFor(CLI_LAB_ID);

const USAGE = `usage: npm run lab -- <command>
  up N          start N hosts (state in ${CLI_LAB_DIR})
  down          stop the lab started by "up"
  down --all    stop every lab on this machine (also those left by killed test runs)
  status        show what runs of the lab started by "up"`;

async function main(args: string[]): Promise<number> {
  const [command, argument] = args;
  switch (command) {
    case "up":
      return up(argument);
    case "down":
      return down(argument === "--all");
    case "status":
      return status();
    default:
      console.error(USAGE);
      return 2;
  }
}

async function up(hostCountArgument: string | undefined): Promise<number> {
  const hostCount = Number(hostCountArgument);
  if (!Number.isInteger(hostCount) || hostCount < 1) {
    console.error(USAGE);
    return 2;
  }
  const missing = findMissingLabRequirements();
  if (missing.length > 0) {
    console.error(`cannot start the lab: ${missing.join("; ")}`);
    return 1;
  }
  const startedAt = performance.now();
  const lab = await startLab({ hosts: hostCount, id: CLI_LAB_ID });
  const elapsed = performance.now() - startedAt;
  console.log(`lab ${lab.id}: ${lab.hosts.length} hosts ready in ${formatMs(elapsed)} (state: ${lab.dir})`);
  for (const host of lab.hosts) {
    console.log(`  ${host.name.padEnd(16)} ${host.address.padEnd(14)} sshd ${host.sshdPid}  xinetd ${host.xinetdPid}`);
  }
  const first = lab.hosts[0]!;
  const pinned = `-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes`;
  console.log("ssh in:");
  console.log(`  ssh -i ${lab.rootKeyPath} ${pinned} root@${first.address}`);
  console.log(
    `  ssh -i ${lab.sudoUser.keyPath} ${pinned} ${lab.sudoUser.name}@${first.address}    # passwordless sudo`,
  );
  console.log(`  ssh -i ${lab.noSudoUser.keyPath} ${pinned} ${lab.noSudoUser.name}@${first.address}  # no sudo`);
  console.log(`or without ssh: nsenter -t ${first.anchorPid} -m -u -n -- bash`);
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
  const running = (flag: boolean) => (flag ? "up  " : "DOWN");
  console.log(`lab ${lab.id} in ${CLI_LAB_DIR}:`);
  for (const host of lab.hosts) {
    console.log(
      `  ${host.name.padEnd(16)} ${host.address.padEnd(14)} namespaces ${running(host.anchorRunning)}` +
        `  sshd ${running(host.sshdRunning)}  xinetd ${running(host.xinetdRunning)}`,
    );
  }
  const healthy = lab.hosts.every((host) => host.anchorRunning && host.sshdRunning && host.xinetdRunning);
  return healthy ? 0 : 1;
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
