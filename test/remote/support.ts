// Runners for the lab tests: the real SSH transport, and a wrapper that counts round trips.
import type { Lab, LabHost } from '../lab/lab';
import { openHost, type ConnectionPool } from '../../src/remote/ssh';
import type { CommandRunner } from '../../src/remote/transport';

/** Counts what went to the host, for round-trip measurements. */
export interface CountingRunner extends CommandRunner {
  calls: number;
}

/** Counts the commands (one channel each) that go through `runner`. */
export function countingRunner(runner: CommandRunner): CountingRunner {
  const counting: CountingRunner = {
    label: runner.label,
    identity: runner.identity,
    calls: 0,
    run(script, options) {
      counting.calls++;
      return runner.run(script, options);
    },
    spawn(script, options) {
      counting.calls++;
      return runner.spawn(script, options);
    },
  };
  return counting;
}

/** A root runner over the real SSH transport, with the host key pinned. */
export function sshRunner(lab: Lab, host: LabHost, pool: ConnectionPool): CommandRunner {
  return openHost({ connection: { host: host.address, privateKey: lab.rootPrivateKey, hostKey: host.hostKeyLine } }, pool);
}
