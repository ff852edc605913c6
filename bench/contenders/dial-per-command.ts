/**
 * Dial per command: what a program of @pulumi/command `remote.Command`s costs. Every resource
 * operation opens a fresh OpenSSH connection (no multiplexing) and does the library's own remote
 * work through it: the same locked read-validate-swap of the file, the same reads, one reload
 * per host after its changes. Only the transport differs from the library.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";

import {
  applyXinetdService,
  parseRsyncdDocument,
  parseXinetdDocument,
  readRsyncdGlobal,
  readRsyncModule,
  readXinetdService,
  removeRsyncModule,
  renderRsyncdDocument,
  renderXinetdDocument,
  renderXinetdService,
  setRsyncdGlobal,
  setRsyncModule,
  type RsyncdDocument,
  type RsyncdGlobalModel,
  type RsyncModuleModel,
  type XinetdServiceModel,
} from "../../src/formats";
import { walkRsyncdDocument } from "../../src/formats/rsyncd/sections";
import { changeRemoteFile, readRemoteFile, type EditResult } from "../../src/remote";
import { bootstrapPreamble, DEFAULT_TIME_LIMIT_MS } from "../../src/remote/bootstrap";
import { remoteCommandLine } from "../../src/remote/ssh";
import { reloadAndObserve } from "../../src/remote/reload";
import { inspectSecretsFile } from "../../src/remote/secrets-file";
import type { CommandRunner, RemoteProcess, RunOptions, RunResult, SpawnOptions } from "../../src/remote/transport";
import { describeError, settleAll, type Contender, type PhaseResult } from "../contender";
import { CpuMeter, measured } from "../cpu-meter";
import {
  CONFIG_PATH,
  endpointOf,
  expectedDrift,
  globalInputs,
  resourcesOf,
  SECRETS_PATH,
  secretsContent,
  SERVICE_NAME,
  XINETD_LOG,
  XINETD_PATH,
  xinetdInputs,
  type Fleet,
  type Generation,
  type Endpoint,
  type Phase,
  type WorkloadResource,
} from "../workload";

// remote.Command's defaults: 10 dial attempts, 15 s per dial.
const DIAL_ATTEMPTS = 10;
const DIAL_TIMEOUT_SECONDS = 15;
const DIAL_RETRY_BASE_MS = 100;
const DIAL_RETRY_MAX_MS = 1_000;
// What ssh prints when sshd drops a connection before authentication (MaxStartups) or refuses it.
const DIAL_FAILURE =
  /kex_exchange_identification|Connection (?:closed|reset) by|Connection refused|Connection timed out|banner exchange/;

/** A `CommandRunner` that runs every command over its own new `ssh` connection. */
export class DialPerCommandRunner implements CommandRunner {
  readonly label: string;
  /** One key and one known_hosts file per fleet: the label says it all. */
  readonly identity: string;
  /** ssh invocations, failed dials included: each is a connection and a round trip. */
  invocations = 0;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly keyPath: string,
    private readonly knownHostsPath: string,
  ) {
    this.label = `root@${endpoint.address}:${endpoint.port}`;
    this.identity = this.label;
  }

  async run(script: string, options: RunOptions = {}): Promise<RunResult> {
    for (let attempt = 1; ; attempt++) {
      const child = this.startSsh();
      child.stdin!.on("error", () => undefined);
      const preamble = bootstrapPreamble(script, options.timeoutMs ?? DEFAULT_TIME_LIMIT_MS);
      child.stdin!.end(options.stdin === undefined ? preamble : Buffer.concat([preamble, Buffer.from(options.stdin)]));
      const result = await collect(child);
      if (!isDialFailure(result) || attempt >= DIAL_ATTEMPTS) return result;
      await sleep(backoff(attempt));
    }
  }

  /**
   * The caller gets the streams once the remote side has written something, which is when the
   * connection is known to stand: a dial that fails before that is retried with the same script.
   * So a spawned script must print before it reads its stdin (the change-file script does).
   */
  async spawn(script: string, options: SpawnOptions = {}): Promise<RemoteProcess> {
    for (let attempt = 1; ; attempt++) {
      const child = this.startSsh();
      child.stdin!.on("error", () => undefined);
      child.stdin!.write(bootstrapPreamble(script, options.timeoutMs ?? DEFAULT_TIME_LIMIT_MS));
      const stderr: Buffer[] = [];
      child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
      const done = new Promise<RunResult>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code, signal) =>
          resolve({ stdout: "", stderr: Buffer.concat(stderr).toString("utf8"), exitCode: code, signal }),
        );
      });
      const connected = await new Promise<boolean>((resolve) => {
        const onReadable = () => {
          if (child.stdout!.readableLength > 0) finish(true);
        };
        const finish = (value: boolean) => {
          child.stdout!.off("readable", onReadable);
          resolve(value);
        };
        child.stdout!.on("readable", onReadable);
        void done.then(
          () => finish(false),
          () => finish(false),
        );
      });
      if (!connected) {
        const result = await done.catch((error: unknown) => ({
          stdout: "",
          stderr: describeError(error),
          exitCode: null,
          signal: null,
        }));
        if (isDialFailure(result) && attempt < DIAL_ATTEMPTS) {
          await sleep(backoff(attempt));
          continue;
        }
      }
      return { stdin: child.stdin!, stdout: child.stdout!, stderr: child.stderr!, done };
    }
  }

  private startSsh(): ChildProcess {
    this.invocations++;
    return spawn(
      "ssh",
      [
        "-o",
        "BatchMode=yes",
        "-o",
        "ControlMaster=no",
        "-o",
        "ControlPath=none",
        "-o",
        "IdentitiesOnly=yes",
        "-i",
        this.keyPath,
        "-o",
        `UserKnownHostsFile=${this.knownHostsPath}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `ConnectTimeout=${DIAL_TIMEOUT_SECONDS}`,
        "-o",
        "LogLevel=ERROR",
        "-p",
        String(this.endpoint.port),
        "-l",
        "root",
        this.endpoint.address,
        remoteCommandLine(false),
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
  }
}

function collect(child: ChildProcess): Promise<RunResult> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        exitCode: code,
        signal,
      }),
    );
  });
}

function isDialFailure(result: RunResult): boolean {
  return result.exitCode === 255 && result.stdout === "" && DIAL_FAILURE.test(result.stderr);
}

function backoff(attempt: number): number {
  return Math.min(DIAL_RETRY_BASE_MS * 2 ** (attempt - 1), DIAL_RETRY_MAX_MS);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// The workload's operations, written against the format and remote layers

function moduleModel(inputs: Record<string, unknown>): RsyncModuleModel {
  const { configPath: _configPath, moduleName, ...parameters } = inputs;
  return { name: String(moduleName), ...parameters } as RsyncModuleModel;
}

function globalModel(): RsyncdGlobalModel {
  const { configPath: _configPath, ...parameters } = globalInputs();
  return parameters as RsyncdGlobalModel;
}

function xinetdModel(generation: Generation): XinetdServiceModel {
  const { serviceName, ...attributes } = xinetdInputs(generation);
  return { name: String(serviceName), ...attributes } as XinetdServiceModel;
}

function editRsyncd(runner: CommandRunner, edit: (doc: RsyncdDocument) => RsyncdDocument) {
  return changeRemoteFile(
    runner,
    CONFIG_PATH,
    (current): EditResult => {
      const text = renderRsyncdDocument(edit(parseRsyncdDocument(current ?? "")));
      if (text.trim() !== "") return text;
      return current === undefined ? undefined : { delete: true };
    },
    { validate: "rsyncd" },
  );
}

function withoutGlobalParameters(doc: RsyncdDocument): RsyncdDocument {
  const { contexts } = walkRsyncdDocument(doc);
  return parseRsyncdDocument(
    doc.entries
      .filter((entry, index) => !(contexts[index] === "global" && entry.kind === "parameter"))
      .map((entry) => entry.raw)
      .join(""),
  );
}

/** The keys of `wanted` whose value differs from what was read (`(gone)` when nothing was). */
function differingKeys(read: Record<string, unknown> | undefined, wanted: Record<string, unknown>): string[] {
  if (read === undefined) return ["(gone)"];
  return Object.keys(wanted).filter((key) => key !== "name" && !isDeepStrictEqual(read[key], wanted[key]));
}

/** Changes one resource; resolves to whether the xinetd service file changed (a reload is due). */
async function apply(
  runner: CommandRunner,
  resource: WorkloadResource,
  generation: Generation,
  removing: boolean,
): Promise<boolean> {
  const inputs = resource.inputs(generation);
  switch (resource.kind) {
    case "RsyncdConfig":
      await editRsyncd(runner, (doc) =>
        removing ? withoutGlobalParameters(doc) : setRsyncdGlobal(doc, globalModel()),
      );
      return false;
    case "RsyncModule": {
      const model = moduleModel(inputs);
      await editRsyncd(runner, (doc) => (removing ? removeRsyncModule(doc, model.name) : setRsyncModule(doc, model)));
      return false;
    }
    case "RsyncSecrets":
      await changeRemoteFile(
        runner,
        SECRETS_PATH,
        () => (removing ? { delete: true } : secretsContent(resource.host)),
        {
          mode: 0o600,
          owner: "root",
          group: "root",
          validate: "none",
        },
      );
      return false;
    case "XinetdService": {
      const model = xinetdModel(generation);
      const change = await changeRemoteFile(
        runner,
        XINETD_PATH,
        (current): EditResult => {
          if (removing) return { delete: true };
          return current === undefined
            ? renderXinetdService(model)
            : renderXinetdDocument(applyXinetdService(parseXinetdDocument(current), model));
        },
        { validate: "xinetd-service" },
      );
      return change.changed;
    }
  }
}

/** Reads one resource back; returns `<resource>.<property>` for every property that differs. */
async function inspect(runner: CommandRunner, resource: WorkloadResource, generation: Generation): Promise<string[]> {
  const differing = await (async (): Promise<string[]> => {
    switch (resource.kind) {
      case "RsyncSecrets": {
        const summary = await inspectSecretsFile(runner, SECRETS_PATH);
        if (!summary.exists) return ["(gone)"];
        const checksum = createHash("sha256").update(secretsContent(resource.host)).digest("hex");
        return [...(summary.checksum === checksum ? [] : ["users"]), ...(summary.mode === 0o600 ? [] : ["mode"])];
      }
      case "XinetdService": {
        const file = await readRemoteFile(runner, XINETD_PATH);
        const wanted = xinetdModel(generation) as unknown as Record<string, unknown>;
        return differingKeys(
          file.exists
            ? (readXinetdService(parseXinetdDocument(file.content), SERVICE_NAME).model as unknown as Record<
                string,
                unknown
              >)
            : undefined,
          wanted,
        );
      }
      case "RsyncdConfig":
      case "RsyncModule": {
        const file = await readRemoteFile(runner, CONFIG_PATH);
        const doc = parseRsyncdDocument(file.exists ? file.content : "");
        if (resource.kind === "RsyncdConfig") {
          return differingKeys(
            file.exists ? (readRsyncdGlobal(doc) as Record<string, unknown>) : undefined,
            globalModel() as Record<string, unknown>,
          );
        }
        const wanted = moduleModel(resource.inputs(generation));
        return differingKeys(
          readRsyncModule(doc, wanted.name) as Record<string, unknown> | undefined,
          wanted as unknown as Record<string, unknown>,
        );
      }
    }
  })();
  return differing.map((key) => `${resource.name}.${key}`);
}

export function dialPerCommandContender(fleet: Fleet, report: (message: string) => void): Contender {
  const resources = resourcesOf(fleet);
  const expected = [...expectedDrift(fleet)].flatMap(([name, keys]) => keys.map((key) => `${name}.${key}`)).sort();
  // Its remote work runs in this process; its ssh clients are children this process reaps.
  const meter = new CpuMeter("dialPerCommand", true);
  return {
    name: "dialPerCommand",
    changesHosts: true,
    async prepare() {},
    async runPhase(phase: Phase): Promise<PhaseResult> {
      const runners = new Map(
        fleet.hosts.map((host) => [
          host,
          new DialPerCommandRunner(endpointOf(fleet, host), fleet.rootKeyPath, fleet.knownHostsPath),
        ]),
      );
      const onFailure = (error: unknown) => report(`dialPerCommand ${phase}: ${describeError(error)}`);
      const roundTrips = () => [...runners.values()].reduce((sum, runner) => sum + runner.invocations, 0);

      if (phase === "noopRefresh" || phase === "driftCheck") {
        const findings: string[] = [];
        const {
          ms,
          cpuMs,
          value: failedOperations,
        } = await measured(meter, () =>
          settleAll(
            resources.map(async (resource) => {
              findings.push(...(await inspect(runners.get(resource.host)!, resource, 0)));
            }),
            onFailure,
          ),
        );
        findings.sort();
        const findingsAsExpected = isDeepStrictEqual(findings, phase === "noopRefresh" ? [] : expected);
        return { ms, cpuMs, roundTrips: roundTrips(), failedOperations, findings, findingsAsExpected };
      }

      const generation: Generation = phase === "converge" ? 0 : 1;
      const removing = phase === "destroy";
      let failedOperations = 0;
      const { ms, cpuMs } = await measured(meter, () =>
        Promise.all(
          fleet.hosts.map(async (host) => {
            const runner = runners.get(host)!;
            const hostResources = resources.filter((resource) => resource.host === host);
            let reloadDue = false;
            failedOperations += await settleAll(
              hostResources.map(async (resource) => {
                if (await apply(runner, resource, generation, removing)) reloadDue = true;
              }),
              onFailure,
            );
            if (!reloadDue) return;
            const probes = removing ? [] : [{ name: SERVICE_NAME, protocol: "tcp" }];
            failedOperations += await settleAll(
              [
                reloadAndObserve(runner, "service xinetd reload", { kind: "file", path: XINETD_LOG }, probes).then(
                  (observation) => {
                    if (!observation.xinetdRunning) throw new Error(`${host.name}: xinetd stopped after the reload`);
                  },
                ),
              ],
              onFailure,
            );
          }),
        ),
      );
      return { ms, cpuMs, roundTrips: roundTrips(), failedOperations };
    },
    async close() {},
  };
}
