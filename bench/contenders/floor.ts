/**
 * The floor: the library's own connection pool (one connection per host) running one `true` per
 * resource operation. No implementation of the one-operation-per-resource model can do less.
 */
import { ConnectionPool, openHost } from "../../src/remote/ssh";
import { describeError, settleAll, type Contender, type PhaseResult } from "../contender";
import { CpuMeter, measured } from "../cpu-meter";
import { connectionOf, resourcesOf, type Fleet, type Phase } from "../workload";

export function floorContender(fleet: Fleet, report: (message: string) => void): Contender {
  const resources = resourcesOf(fleet);
  const meter = new CpuMeter("floor", true);
  return {
    name: "floor",
    changesHosts: false,
    async prepare() {},
    async runPhase(_phase: Phase): Promise<PhaseResult> {
      // A fresh pool per phase, as every `pulumi` command starts a fresh provider host.
      const pool = new ConnectionPool();
      try {
        const runners = new Map(
          fleet.hosts.map((host) => [host, openHost({ connection: connectionOf(fleet, host) }, pool)]),
        );
        const {
          ms,
          cpuMs,
          value: failedOperations,
        } = await measured(meter, () =>
          settleAll(
            resources.map(async (resource) => {
              const result = await runners.get(resource.host)!.run("true");
              if (result.exitCode !== 0) throw new Error(`${resource.name}: true exited ${result.exitCode}`);
            }),
            (error) => report(`floor: ${describeError(error)}`),
          ),
        );
        const roundTrips = [...runners.values()].reduce((sum, runner) => sum + pool.stats(runner.label).channels, 0);
        return { ms, cpuMs, roundTrips, failedOperations };
      } finally {
        await pool.closeAll();
      }
    },
    async close() {},
  };
}
