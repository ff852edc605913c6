// ConnectionArgs as @pulumi/command defines them (node_modules/@pulumi/command/types/input.d.ts):
// `dialErrorLimit` -1 is no limit, `perDialTimeout` 0 no maximum, `agentSocketPath` defaults to
// SSH_AUTH_SOCK. The pure rules the transport and the fleet share, then the real transport on a lab host.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import type { types } from "@pulumi/command";

import { parseFleetConfig } from "../../src/fleet/config";
import { agentSocketPathOf, connectionValueProblems, maxDialAttempts } from "../../src/schema/connection-rules";
import { RemoteError } from "../../src/remote/errors";
import { ConnectionPool, openHost } from "../../src/remote/ssh";
import { resolveConnection } from "../../src/remote/ssh/target";
import type { ConnectionArgs } from "../../src/remote/transport";
import { startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";

const CLOSED_PORT = 2;

/** Whether the transport takes the connection (it throws `invalid-connection-args` otherwise). */
function transportAccepts(connection: ConnectionArgs): boolean {
  try {
    resolveConnection(connection);
    return true;
  } catch (error) {
    assert.ok(error instanceof RemoteError && error.code === "invalid-connection-args", String(error));
    return false;
  }
}

/** Whether the fleet config parser takes the same connection fields. */
function fleetAccepts(fields: Record<string, unknown>): boolean {
  const hosts = [{ name: "h", connection: { host: "192.0.2.1", privateKeyPath: "/k", ...fields } }];
  return parseFleetConfig({ hosts, groups: {} }).ok;
}

describe("connection values and defaults, as @pulumi/command's", () => {
  // Compile-time: every field of @pulumi/command's connection is a field of ours, of the same type.
  type Plain<T> = {
    [K in keyof T]-?: Exclude<T[K], undefined> extends infer V ? (V extends { then: unknown } ? never : V) : never;
  };
  const commandFields: Array<keyof types.input.remote.ConnectionArgs> = [
    "host",
    "port",
    "user",
    "password",
    "privateKey",
    "privateKeyPassword",
    "agentSocketPath",
    "hostKey",
    "dialErrorLimit",
    "perDialTimeout",
    "proxy",
  ];
  const sameTypes: { [K in Exclude<keyof types.input.remote.ConnectionArgs, "proxy">]: Plain<ConnectionArgs>[K] } = {
    host: "h",
    port: 22,
    user: "u",
    password: "p",
    privateKey: "k",
    privateKeyPassword: "pp",
    agentSocketPath: "/a",
    hostKey: "ssh-ed25519 AAAA",
    dialErrorLimit: -1,
    perDialTimeout: 0,
  };

  test("the fields are @pulumi/command's", () => {
    assert.deepEqual(Object.keys(sameTypes).sort(), commandFields.filter((f) => f !== "proxy").sort());
  });

  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ["dialErrorLimit -1 (no limit)", { dialErrorLimit: -1 }, true],
    ["dialErrorLimit 0", { dialErrorLimit: 0 }, true],
    ["dialErrorLimit 10", { dialErrorLimit: 10 }, true],
    ["dialErrorLimit 5000", { dialErrorLimit: 5000 }, true],
    ["dialErrorLimit -2", { dialErrorLimit: -2 }, false],
    ["dialErrorLimit 1.5", { dialErrorLimit: 1.5 }, false],
    ["dialErrorLimit as text", { dialErrorLimit: "10" }, false],
    ["perDialTimeout 0 (no maximum)", { perDialTimeout: 0 }, true],
    ["perDialTimeout 15", { perDialTimeout: 15 }, true],
    ["perDialTimeout 7200", { perDialTimeout: 7200 }, true],
    ["perDialTimeout -1", { perDialTimeout: -1 }, false],
    ["perDialTimeout Infinity", { perDialTimeout: Number.POSITIVE_INFINITY }, false],
    ["port 1", { port: 1 }, true],
    ["port 0", { port: 0 }, false],
    ["port 65536", { port: 65_536 }, false],
  ];
  for (const [name, fields, accepted] of cases) {
    test(`${name}: ${accepted ? "accepted" : "refused"} alike by the transport and the fleet config`, () => {
      assert.equal(transportAccepts({ host: "192.0.2.1", privateKey: "k", ...fields }), accepted, "transport");
      assert.equal(
        transportAccepts({
          host: "192.0.2.1",
          privateKey: "k",
          proxy: { host: "192.0.2.2", privateKey: "k", ...fields },
        }),
        accepted,
        "transport, proxy",
      );
      assert.equal(fleetAccepts(fields), accepted, "fleet");
      assert.equal(
        fleetAccepts({ proxy: { host: "192.0.2.2", agentSocketPath: "/a", ...fields } }),
        accepted,
        "fleet, proxy",
      );
    });
  }

  test("a refused value is named with its field and the rule, for the proxy too", () => {
    assert.deepEqual(
      connectionValueProblems({ dialErrorLimit: -2, perDialTimeout: 0, port: 22 }).map((p) => [p.field, p.rule]),
      [["dialErrorLimit", "range"]],
    );
    assert.throws(
      () =>
        resolveConnection({ host: "h", privateKey: "k", proxy: { host: "b", privateKey: "k", perDialTimeout: -1 } }),
      (error: RemoteError) =>
        error.shortMessage.includes(
          "`proxy.perDialTimeout` must be a number of seconds of at least 0 (0: no limit), got -1",
        ),
    );
    const fleet = parseFleetConfig({
      hosts: [{ name: "h", connection: { host: "h", privateKeyPath: "/k", dialErrorLimit: -2 } }],
      groups: {},
    });
    assert.deepEqual(fleet.ok ? [] : fleet.problems.map((p) => [p.path, p.rule]), [
      ["hosts[0].connection.dialErrorLimit", "range"],
    ]);
  });

  test("defaults: 11 dials (10 errors allowed), 15 s each; -1 is no limit and 0 is one dial; 0 s is no time limit", () => {
    const resolve = (fields: Partial<ConnectionArgs>) => resolveConnection({ host: "h", privateKey: "k", ...fields });
    assert.deepEqual([resolve({}).maxDialAttempts, resolve({}).perDialTimeoutMs], [11, 15_000]);
    assert.deepEqual(
      [resolve({ dialErrorLimit: -1 }).maxDialAttempts, resolve({ dialErrorLimit: 0 }).maxDialAttempts],
      [Number.POSITIVE_INFINITY, 1],
    );
    assert.equal(resolve({ perDialTimeout: 0 }).perDialTimeoutMs, 0);
    // @pulumi/command dials limit + 1 times (its TestDialWithRetry: limit 3, four attempts).
    assert.equal(maxDialAttempts(3), 4);
  });

  test("agentSocketPath defaults to SSH_AUTH_SOCK when set and not empty, in the transport and the fleet", () => {
    assert.equal(agentSocketPathOf(undefined, { SSH_AUTH_SOCK: "/run/agent" }), "/run/agent");
    assert.equal(agentSocketPathOf("/given", { SSH_AUTH_SOCK: "/run/agent" }), "/given");
    assert.equal(agentSocketPathOf(undefined, { SSH_AUTH_SOCK: "" }), undefined);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      delete process.env.SSH_AUTH_SOCK;
      assert.equal(transportAccepts({ host: "h" }), false, "no credentials at all");
      process.env.SSH_AUTH_SOCK = "/run/agent";
      assert.equal(resolveConnection({ host: "h" }).agentSocketPath, "/run/agent");
      assert.notEqual(
        resolveConnection({ host: "h" }).key,
        resolveConnection({ host: "h", agentSocketPath: "/other" }).key,
        "the socket is part of the identity",
      );
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
    }
    const hosts = [{ name: "h", connection: { host: "h" } }];
    assert.equal(parseFleetConfig({ hosts, groups: {} }).ok, false, "no environment: no credentials");
    assert.equal(parseFleetConfig({ hosts, groups: {} }, { environment: { SSH_AUTH_SOCK: "/run/agent" } }).ok, true);
  });
});

describe("the transport with @pulumi/command's limits on a lab host", { skip: labSkipReason() }, () => {
  let lab: Lab;
  let host: LabHost;
  const pools: ConnectionPool[] = [];
  const newPool = (dialBackoffMs = 200) => {
    const pool = new ConnectionPool({ dialBackoffMs });
    pools.push(pool);
    return pool;
  };
  const asRoot = (extra: Partial<ConnectionArgs> = {}): ConnectionArgs => ({
    host: host.address,
    privateKey: lab.rootPrivateKey,
    hostKey: host.hostKeyLine,
    ...extra,
  });

  before(async () => {
    lab = await startLab({ hosts: 1 });
    host = lab.hosts[0]!;
  });

  after(async () => {
    await Promise.all(pools.map((pool) => pool.closeAll()));
    await lab?.stop();
  });

  test("dialErrorLimit -1 and perDialTimeout 0 connect", async () => {
    const result = await openHost({ connection: asRoot({ dialErrorLimit: -1, perDialTimeout: 0 }) }, newPool()).run(
      "echo ok",
    );
    assert.equal(result.stdout, "ok\n");
  });

  test("dialErrorLimit 0 is one attempt", async () => {
    const pool = newPool();
    const connection = asRoot({ port: CLOSED_PORT, dialErrorLimit: 0, perDialTimeout: 0 });
    const error = await openHost({ connection }, pool)
      .run("true")
      .then(
        () => assert.fail("connected"),
        (e: RemoteError) => e,
      );
    assert.equal(error.code, "dial-failed");
    assert.ok(
      error.shortMessage.startsWith(
        `root@${host.address}:${CLOSED_PORT}: could not connect after 1 attempt without a time limit`,
      ),
      error.shortMessage,
    );
    assert.equal(pool.stats(`root@${host.address}:${CLOSED_PORT}`).dials, 1);
  });

  test("dialErrorLimit -1 keeps dialing past the default limit until the host answers", async () => {
    // A loopback port that refuses until a forwarder to the host's sshd starts listening on it.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const pool = newPool(1);
    const label = `root@127.0.0.1:${port}`;
    const running = openHost({ connection: asRoot({ host: "127.0.0.1", port, dialErrorLimit: -1 }) }, pool).run(
      "echo ok",
    );
    while (pool.stats(label).dials <= 10) await new Promise((resolve) => setTimeout(resolve, 20));
    const forwarder = net.createServer((client) => {
      const upstream = net.connect(22, host.address);
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => forwarder.listen(port, "127.0.0.1", resolve));
    try {
      assert.equal((await running).stdout, "ok\n");
      assert.ok(pool.stats(label).dials > 10, `${pool.stats(label).dials} dials`);
    } finally {
      await pool.closeAll();
      await new Promise((resolve) => forwarder.close(resolve));
    }
  });

  test("without credentials, the key comes from the agent at SSH_AUTH_SOCK", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pxagent-"));
    const socket = path.join(dir, "agent.sock");
    const agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      while (!fs.existsSync(socket)) await new Promise((resolve) => setTimeout(resolve, 20));
      const added = spawnSync("ssh-add", [lab.rootKeyPath], {
        env: { ...process.env, SSH_AUTH_SOCK: socket },
        encoding: "utf8",
      });
      assert.equal(added.status, 0, added.stderr);
      process.env.SSH_AUTH_SOCK = socket;
      const result = await openHost({ connection: { host: host.address, hostKey: host.hostKeyLine } }, newPool()).run(
        "id -un",
      );
      assert.equal(result.stdout, "root\n");
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      agent.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
