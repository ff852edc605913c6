/**
 * This library, as Pulumi runs it: the real dynamic-provider host process driven over gRPC with
 * the `__provider` text registration produces, every resource's steps issued at once (Pulumi's
 * default unbounded parallelism). Each phase gets a fresh host, as each `pulumi` command does;
 * the host's start is not timed (the engine's own start is not measured either).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";

import { providerShim } from "../../src/resources/provider-shim";
import type { ResourceKind as ProviderKind } from "../../src/provider";
import {
  dynamicUrn,
  registeredInputs,
  serializeProvider,
  startProviderHost,
  PROVIDER_KEY,
  type PropertyBag,
  type ProviderHost,
} from "../../test/support/provider-host";
import { describeError, settleAll, timed, type Contender, type PhaseResult } from "../contender";
import { CpuMeter, measured } from "../cpu-meter";
import {
  connectionOf,
  endpointLabel,
  expectedDrift,
  resourcesOf,
  type Fleet,
  type Generation,
  type Phase,
  type ResourceKind,
  type WorkloadResource,
} from "../workload";

export const PROJECT_ROOT = path.resolve(__dirname, "../..");
const PROBE = path.join(__dirname, "pool-stats-probe.cjs");
const PROBE_TIMEOUT_MS = 5_000;

const PROVIDER_KINDS: Record<ResourceKind, ProviderKind> = {
  RsyncdConfig: "rsyncdConfig",
  RsyncSecrets: "rsyncSecrets",
  RsyncModule: "rsyncModule",
  XinetdService: "xinetdService",
};

/** What the engine keeps in the state for one resource. */
interface ResourceState {
  id: string;
  inputs: PropertyBag;
  outputs: PropertyBag;
}

export interface LibraryMeasures {
  /** Highest VmHWM of any provider host process of the run, in MiB. */
  providerPeakRssMb: number;
  /** Provider host start (spawn to Configure answered), per phase, not part of the phase times. */
  hostStartMs: number[];
}

export function libraryContender(
  fleet: Fleet,
  report: (message: string) => void,
  measures: LibraryMeasures,
  /** With `--profile`: where each phase's provider host writes `<rep>-<phase>.cpuprofile`. */
  profileDir?: string,
): Contender {
  const resources = resourcesOf(fleet);
  const urnOf = (resource: WorkloadResource) =>
    dynamicUrn({ module: "pulumi-xinetd", type: resource.kind, name: resource.name });
  const labels = fleet.hosts.map((host) => endpointLabel(fleet, host));
  // The provider host process (and anything it would start); the engine's side, here the driver, is not charged.
  const meter = new CpuMeter("library", false);
  const profileRuns = new Map<Phase, number>();
  const expected = [...expectedDrift(fleet)].flatMap(([name, keys]) => keys.map((key) => `${name}.${key}`)).sort();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pxbench-library-"));
  const statsFile = path.join(workDir, "pool-stats.json");
  const providerTexts = new Map<ResourceKind, string>();
  const states = new Map<string, ResourceState>();
  let host: ProviderHost | undefined;

  const programInputs = (resource: WorkloadResource, generation: Generation): PropertyBag =>
    registeredInputs(providerTexts.get(resource.kind)!, {
      connection: connectionOf(fleet, resource.host),
      ...resource.inputs(generation),
    });

  async function startHost(phase: Phase): Promise<ProviderHost> {
    const run = (profileRuns.get(phase) ?? 0) + 1;
    profileRuns.set(phase, run);
    const { ms, value } = await timed(() =>
      startProviderHost({
        cwd: PROJECT_ROOT,
        env: {
          NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${PROBE}`].filter(Boolean).join(" "),
          PXBENCH_POOL_STATS_FILE: statsFile,
          PXBENCH_POOL_LABELS: labels.join(","),
          ...(profileDir ? { PXBENCH_PROFILE_FILE: path.join(profileDir, `${run}-${phase}.cpuprofile`) } : {}),
          ...meter.environment,
        },
      }),
    );
    measures.hostStartMs.push(ms);
    return value;
  }

  /** SSH channels the provider host's pool opened so far, over all hosts. */
  async function channelsSoFar(running: ProviderHost): Promise<number> {
    fs.rmSync(statsFile, { force: true });
    process.kill(running.pid, "SIGUSR2");
    const deadline = Date.now() + PROBE_TIMEOUT_MS;
    while (!fs.existsSync(statsFile)) {
      if (Date.now() > deadline) throw new Error("the provider host did not report its pool counters");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const stats = JSON.parse(fs.readFileSync(statsFile, "utf8")) as Record<string, { channels: number }>;
    return Object.values(stats).reduce((sum, hostStats) => sum + hostStats.channels, 0);
  }

  function peakRssMb(pid: number): number {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kilobytes = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
    return kilobytes / 1024;
  }

  /** One resource's steps in a phase; returns drift findings for the refresh phases. */
  async function step(running: ProviderHost, phase: Phase, resource: WorkloadResource): Promise<string[]> {
    const urn = urnOf(resource);
    const state = states.get(resource.name);
    if (phase === "converge") {
      const checked = await running.check(urn, {}, programInputs(resource, 0));
      if (checked.failures.length > 0)
        throw new Error(`${resource.name}: check failed: ${JSON.stringify(checked.failures)}`);
      const created = await running.create(urn, checked.inputs);
      states.set(resource.name, { id: created.id, inputs: checked.inputs, outputs: created.outs });
      return [];
    }
    if (!state) throw new Error(`${resource.name} is not in the state (its create failed)`);
    if (phase === "destroy") {
      await running.delete(state.id, urn, state.outputs, state.inputs);
      states.delete(resource.name);
      return [];
    }
    if (phase === "update") {
      const checked = await running.check(urn, state.inputs, programInputs(resource, 1));
      if (checked.failures.length > 0)
        throw new Error(`${resource.name}: check failed: ${JSON.stringify(checked.failures)}`);
      const diff = await running.diff(state.id, urn, state.outputs, checked.inputs, state.inputs);
      if (diff.replaces.length > 0)
        throw new Error(`${resource.name}: the update would replace it (${diff.replaces.join(", ")})`);
      if (diff.changes !== "some") {
        states.set(resource.name, { ...state, inputs: checked.inputs });
        return [];
      }
      const updated = await running.update(state.id, urn, state.outputs, checked.inputs, { oldInputs: state.inputs });
      states.set(resource.name, { id: state.id, inputs: checked.inputs, outputs: updated.outs });
      return [];
    }
    // `pulumi refresh`: read with the stored outputs, then the engine asks the provider's diff
    // whether what the host has still matches what the program wants.
    const read = await running.read(state.id, urn, state.outputs, state.inputs);
    if (read.id === "") return [`${resource.name}.(gone)`];
    const diff = await running.diff(read.id, urn, read.props, state.inputs, state.inputs);
    states.set(resource.name, { id: read.id, inputs: read.inputs ?? state.inputs, outputs: read.props });
    if (diff.changes !== "some") return [];
    // The engine shows drift per input property; outputs such as content and checksum follow them.
    const changed = Object.keys(state.inputs)
      .filter((key) => key !== PROVIDER_KEY && !isDeepStrictEqual(read.props[key], state.inputs[key]))
      .map((key) => `${resource.name}.${key}`);
    return changed.length > 0 ? changed : [`${resource.name}.(unnamed change)`];
  }

  return {
    name: "library",
    changesHosts: true,
    async prepare() {
      states.clear();
      if (providerTexts.size === 0) {
        for (const kind of Object.keys(PROVIDER_KINDS) as ResourceKind[]) {
          providerTexts.set(kind, await serializeProvider(providerShim(PROVIDER_KINDS[kind])));
        }
      }
    },
    async runPhase(phase: Phase): Promise<PhaseResult> {
      const running = await startHost(phase);
      host = running;
      try {
        const channelsBefore = await channelsSoFar(running);
        const findings: string[] = [];
        const {
          ms,
          cpuMs,
          value: failedOperations,
        } = await measured(meter, () =>
          settleAll(
            resources.map(async (resource) => findings.push(...(await step(running, phase, resource)))),
            (error) => report(`library ${phase}: ${describeError(error)}`),
          ),
        );
        const roundTrips = (await channelsSoFar(running)) - channelsBefore;
        measures.providerPeakRssMb = Math.max(measures.providerPeakRssMb, peakRssMb(running.pid));
        if (phase !== "noopRefresh" && phase !== "driftCheck") return { ms, cpuMs, roundTrips, failedOperations };
        findings.sort();
        const findingsAsExpected = isDeepStrictEqual(findings, phase === "noopRefresh" ? [] : expected);
        return { ms, cpuMs, roundTrips, failedOperations, findings, findingsAsExpected };
      } finally {
        await running.stop();
        host = undefined;
      }
    },
    async close() {
      await host?.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}
