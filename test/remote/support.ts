// Runners for the lab tests: the real SSH transport, a wrapper that counts round trips, and a
// link that lets one lab host be another's bastion.
import assert from "node:assert/strict";

import { run, type AnyLabHost, type Lab, type LabHost } from "../lab/lab";
import { openHost, type ConnectionPool } from "../../src/remote/ssh";
import type { CommandRunner } from "../../src/remote/transport";

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
export function sshRunner(lab: Lab<AnyLabHost>, host: AnyLabHost, pool: ConnectionPool): CommandRunner {
  return openHost(
    { connection: { host: host.address, privateKey: lab.rootPrivateKey, hostKey: host.hostKeyLine } },
    pool,
  );
}

/**
 * Lab hosts cannot reach each other. A veth pair straight between the two hosts' namespaces (never in
 * the machine's) plus a route lets the bastion reach the target's address; it vanishes with the lab.
 */
export async function linkForBastion(lab: Lab, bastion: LabHost, target: LabHost): Promise<void> {
  const [bastionEnd, targetEnd] = [`pxb${lab.id}a`, `pxb${lab.id}b`];
  const added = await run([
    "ip",
    "link",
    "add",
    bastionEnd,
    "netns",
    String(bastion.anchorPid),
    "type",
    "veth",
    "peer",
    "name",
    targetEnd,
    "netns",
    String(target.anchorPid),
  ]);
  assert.equal(added.code, 0, added.stderr);
  for (const [host, script] of [
    [
      bastion,
      `ip address add 169.254.213.1/30 dev ${bastionEnd} && ip link set ${bastionEnd} up && ip route add ${target.address}/32 via 169.254.213.2`,
    ],
    [target, `ip address add 169.254.213.2/30 dev ${targetEnd} && ip link set ${targetEnd} up`],
  ] as const) {
    const configured = await host.exec(script);
    assert.equal(configured.code, 0, configured.stderr);
  }
}
