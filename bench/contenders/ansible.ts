/**
 * Ansible (Debian's ansible-core) running bench/ansible/site.yml with its default forks and SSH
 * settings (ControlMaster=auto, ControlPersist=60s); `--check --diff` for the refresh phases.
 * Round trips are counted by wrappers around ssh, sftp and scp: one line per invocation, each a
 * command over the persistent connection (or the dial that opens it).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";

import type { Contender, PhaseResult } from "../contender";
import { CpuMeter, measured } from "../cpu-meter";
import {
  CONFIG_PATH,
  endpointOf,
  globalInputs,
  moduleInputs,
  moduleName,
  SECRETS_PATH,
  SECRETS_USER,
  secretsPassword,
  XINETD_PATH,
  xinetdInputs,
  type Fleet,
  type Generation,
  type Phase,
} from "../workload";

const PLAYBOOK_DIR = path.resolve(__dirname, "../ansible");
const TASKS = ["rsyncd.conf", "rsync secrets", "xinetd rsync service"];
/** The tasks the drift check must find changed on every host: the two files edited by hand. */
const DRIFTED_TASKS = ["rsyncd.conf", "xinetd rsync service"];
const PLAYBOOK_TIMEOUT_MS = 30 * 60_000;

interface PlaybookRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Extra vars for site.yml, from the same workload definition the other contenders use. */
function playbookVars(fleet: Fleet, generation: Generation): Record<string, unknown> {
  const global = globalInputs();
  const service = xinetdInputs(generation);
  return {
    rsyncd: {
      config_path: CONFIG_PATH,
      pid_file: global.pidFile,
      lock_file: global.lockFile,
      log_file: global.logFile,
      port: global.port,
    },
    rsync_modules: Array.from({ length: fleet.modules }, (_, index) => {
      const inputs = moduleInputs(moduleName(index), generation);
      return {
        name: inputs.moduleName,
        path: inputs.path,
        comment: inputs.comment,
        read_only: inputs.readOnly,
        auth_users: inputs.authUsers,
        secrets_file: inputs.secretsFile,
        max_connections: inputs.maxConnections,
      };
    }),
    secrets_path: SECRETS_PATH,
    secrets_user: SECRETS_USER,
    xinetd: {
      path: XINETD_PATH,
      service_name: service.serviceName,
      disable: service.disable,
      flags: service.flags,
      socket_type: service.socketType,
      wait: service.wait,
      user: service.user,
      server: service.server,
      server_args: service.serverArgs,
      log_on_failure_add: (service.logOnFailure as { add: string[] }).add,
      instances: service.instances,
      per_source: service.perSource,
    },
  };
}

function inventory(fleet: Fleet): string {
  return [
    "[fleet]",
    ...fleet.hosts.map(
      (host) =>
        `h${host.number} ansible_host=${endpointOf(fleet, host).address} ansible_port=${endpointOf(fleet, host).port}` +
        ` secrets_password=${secretsPassword(host)}`,
    ),
    "",
    "[fleet:vars]",
    "ansible_user=root",
    `ansible_ssh_private_key_file=${fleet.rootKeyPath}`,
    `ansible_ssh_common_args='-o UserKnownHostsFile=${fleet.knownHostsPath} -o StrictHostKeyChecking=yes'`,
    // Interpreter discovery would only add a round trip and a warning per host.
    "ansible_python_interpreter=/usr/bin/python3",
    "",
  ].join("\n");
}

/** `changed` task results as `h<n>.<task>`, and failed plus unreachable counts from the recap. */
function parseOutput(stdout: string): { changed: string[]; failures: number; recapHosts: number } {
  const changed: string[] = [];
  let task = "";
  let failures = 0;
  let recapHosts = 0;
  let inRecap = false;
  for (const line of stdout.split("\n")) {
    const taskHeader = /^(?:TASK|RUNNING HANDLER) \[(.+?)\]/.exec(line);
    if (taskHeader) task = taskHeader[1]!;
    if (line.startsWith("PLAY RECAP")) inRecap = true;
    const result = /^changed: \[([^\]]+)\]/.exec(line);
    if (result && !inRecap && TASKS.includes(task)) changed.push(`${result[1]}.${task}`);
    const recap = inRecap ? /^(\S+)\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)/.exec(line) : null;
    if (recap) {
      recapHosts++;
      failures += Number(recap[2]) + Number(recap[3]);
    }
  }
  return { changed: changed.sort(), failures, recapHosts };
}

export function ansibleContender(fleet: Fleet, report: (message: string) => void): Contender {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pxbench-ansible-"));
  const callLog = path.join(workDir, "ssh-calls.log");
  // Ansible and every process it starts (workers, ssh clients, the ControlPersist masters that detach).
  const meter = new CpuMeter("ansible", false, `${path.join(workDir, "cp")}/`);
  const expectedDrift = fleet.hosts.flatMap((host) => DRIFTED_TASKS.map((task) => `h${host.number}.${task}`)).sort();

  fs.writeFileSync(path.join(workDir, "inventory.ini"), inventory(fleet));
  for (const generation of [0, 1] as const) {
    fs.writeFileSync(path.join(workDir, `vars-${generation}.json`), JSON.stringify(playbookVars(fleet, generation)));
  }
  const wrappers: Record<string, string> = {};
  for (const tool of ["ssh", "sftp", "scp"]) {
    const wrapper = path.join(workDir, `${tool}-counted`);
    fs.writeFileSync(wrapper, `#!/bin/sh\necho ${tool} >>"$PXBENCH_SSH_CALLS"\nexec /usr/bin/${tool} "$@"\n`, {
      mode: 0o755,
    });
    wrappers[tool] = wrapper;
  }

  function runPlaybook(playbook: string, generation: Generation, check: boolean): Promise<PlaybookRun> {
    const args = [
      "-i",
      path.join(workDir, "inventory.ini"),
      path.join(PLAYBOOK_DIR, playbook),
      "-e",
      `@${path.join(workDir, `vars-${generation}.json`)}`,
    ];
    if (check) args.push("--check", "--diff");
    const child = spawn("ansible-playbook", args, {
      cwd: workDir,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/root",
        LANG: "C.UTF-8",
        ANSIBLE_HOME: path.join(workDir, "home"),
        ANSIBLE_LOCAL_TEMP: path.join(workDir, "tmp"),
        ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(workDir, "cp"),
        ANSIBLE_SSH_EXECUTABLE: wrappers.ssh!,
        ANSIBLE_SFTP_EXECUTABLE: wrappers.sftp!,
        ANSIBLE_SCP_EXECUTABLE: wrappers.scp!,
        ANSIBLE_NOCOLOR: "1",
        PXBENCH_SSH_CALLS: callLog,
        ...meter.environment,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), PLAYBOOK_TIMEOUT_MS);
    return new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (exitCode) => {
        clearTimeout(timer);
        resolve({
          exitCode,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
        });
      });
    });
  }

  const callsSoFar = () =>
    fs.existsSync(callLog) ? fs.readFileSync(callLog, "utf8").split("\n").filter(Boolean).length : 0;

  return {
    name: "ansible",
    changesHosts: true,
    async prepare() {},
    async runPhase(phase: Phase): Promise<PhaseResult> {
      const check = phase === "noopRefresh" || phase === "driftCheck";
      const playbook = phase === "destroy" ? "destroy.yml" : "site.yml";
      const generation: Generation = phase === "update" ? 1 : 0;
      const callsBefore = callsSoFar();
      const { ms, cpuMs, value: run } = await measured(meter, () => runPlaybook(playbook, generation, check));
      const roundTrips = callsSoFar() - callsBefore;
      const parsed = parseOutput(run.stdout);
      let failedOperations = parsed.failures;
      if (parsed.recapHosts < fleet.hosts.length) {
        // No recap for some hosts: the run broke off; count every task of those hosts as failed.
        failedOperations += (fleet.hosts.length - parsed.recapHosts) * TASKS.length;
      }
      if (failedOperations > 0 || run.exitCode !== 0) {
        report(
          `ansible ${phase}: exit ${run.exitCode}, ${failedOperations} failed; ${(run.stderr || run.stdout).trim().split("\n").slice(-5).join(" | ")}`,
        );
      }
      if (!check) return { ms, cpuMs, roundTrips, failedOperations };
      const findingsAsExpected = isDeepStrictEqual(parsed.changed, phase === "noopRefresh" ? [] : expectedDrift);
      return { ms, cpuMs, roundTrips, failedOperations, findings: parsed.changed, findingsAsExpected };
    },
    async close() {
      // Ends the persistent master connections (ControlPersist) this contender's runs left behind.
      const controlDir = path.join(workDir, "cp");
      if (fs.existsSync(controlDir)) {
        for (const socket of fs.readdirSync(controlDir)) {
          await new Promise((resolve) => {
            spawn("/usr/bin/ssh", ["-o", `ControlPath=${path.join(controlDir, socket)}`, "-O", "exit", "placeholder"], {
              stdio: "ignore",
            })
              .on("close", resolve)
              .on("error", resolve);
          });
        }
      }
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}
