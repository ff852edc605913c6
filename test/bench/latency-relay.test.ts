// The benchmark's latency relay (bench/latency-relay.ts), a process of its own: round trips take at
// least the configured time (a lower bound only: how much longer depends on the machine's load),
// bytes arrive intact and in order in both directions, the relay pushes back instead of buffering
// without bound, and ssh sessions (OpenSSH and the library's pool) work through it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { knownHostsLine } from "../../bench/workload";
import { RELAY_WINDOW_BYTES, startLatencyRelay } from "../../bench/latency-relay";
import { ConnectionPool, openHost } from "../../src/remote/ssh";
import { startLab } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";

const ONE_WAY_MS = 25;
const BLOCK = randomBytes(2 ** 20);

async function listen(onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true, allowHalfOpen: true });
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  return socket;
}

/** Block `index` of a stream: the random block with its index in front, so a lost, repeated or swapped block shows. */
function blockOf(index: number): Buffer {
  const block = Buffer.from(BLOCK);
  block.writeUInt32BE(index, 0);
  return block;
}

/** Hash and length of everything `socket` receives until its end. */
function received(socket: net.Socket): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  return new Promise((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    socket.once("end", () => resolve({ bytes, sha256: hash.digest("hex") }));
    socket.once("error", reject);
  });
}

/**
 * Writes `blocks` blocks, honouring backpressure. Resolves `stalled` with the bytes the network had
 * taken when a write waited `stallMs` for a drain; `done` with what was sent.
 */
function send(socket: net.Socket, blocks: number, stallMs: number) {
  const hash = createHash("sha256");
  let onStall: (taken: number) => void = () => undefined;
  const stalled = new Promise<number>((resolve) => (onStall = resolve));
  const done = (async () => {
    for (let index = 0; index < blocks; index++) {
      const block = blockOf(index);
      hash.update(block);
      if (socket.write(block)) continue;
      const timer = setTimeout(() => onStall((index + 1) * BLOCK.length - socket.writableLength), stallMs);
      await new Promise((resolve) => socket.once("drain", resolve));
      clearTimeout(timer);
    }
    socket.end();
    return { bytes: blocks * BLOCK.length, sha256: hash.digest("hex") };
  })();
  return { stalled, done };
}

test("latency relay: every round trip takes at least twice the one-way delay", async (t) => {
  const echo = await listen((socket) => socket.pipe(socket));
  const relay = await startLatencyRelay({
    targets: [{ host: "127.0.0.1", port: portOf(echo) }],
    oneWayDelayMs: ONE_WAY_MS,
  });
  try {
    const started = performance.now();
    const socket = await connect(relay.endpoints[0]!.port);
    const roundTrips: number[] = [];
    for (let ping = 0; ping < 20; ping++) {
      const sent = performance.now();
      socket.write("x");
      await new Promise((resolve) => socket.once("data", resolve));
      roundTrips.push(performance.now() - sent);
      if (ping === 0) {
        // The first exchange also pays for the connection, as TCP's handshake would.
        assert.ok(
          performance.now() - started >= 4 * ONE_WAY_MS,
          `first exchange took ${performance.now() - started} ms`,
        );
      }
    }
    socket.destroy();
    const later = roundTrips.slice(1).sort((a, b) => a - b);
    for (const ms of later) assert.ok(ms >= 2 * ONE_WAY_MS, `a round trip took ${ms.toFixed(2)} ms`);
    t.diagnostic(
      `configured RTT ${2 * ONE_WAY_MS} ms; measured min ${later[0]!.toFixed(2)}, median ` +
        `${later[Math.floor(later.length / 2)]!.toFixed(2)}, max ${later[later.length - 1]!.toFixed(2)} ms ` +
        `(first, with the handshake: ${roundTrips[0]!.toFixed(2)} ms)`,
    );
  } finally {
    await relay.stop();
    echo.close();
  }
});

test("latency relay: large transfers arrive intact both ways, and a reader that stops reading stops the writer", async (t) => {
  const upstreamBlocks = 256;
  const downstreamBlocks = 32;
  let serverSide: net.Socket | undefined;
  let onAccepted: (socket: net.Socket) => void = () => undefined;
  const accepted = new Promise<net.Socket>((resolve) => (onAccepted = resolve));
  const sink = await listen((socket) => {
    socket.pause();
    onAccepted(socket);
  });
  const relay = await startLatencyRelay({
    targets: [{ host: "127.0.0.1", port: portOf(sink) }],
    oneWayDelayMs: ONE_WAY_MS,
  });
  try {
    const client = await connect(relay.endpoints[0]!.port);
    const downstream = received(client);
    const upload = send(client, upstreamBlocks, 1_000);
    serverSide = await accepted;

    // The server reads nothing yet: the writer must get stuck well before everything is taken.
    const taken = await Promise.race([upload.stalled, upload.done.then(() => Infinity)]);
    assert.ok(taken < upstreamBlocks * BLOCK.length, `the relay took all ${taken} bytes while nobody read`);

    const upstream = received(serverSide);
    serverSide.resume();
    const download = send(serverSide, downstreamBlocks, 60_000);
    const [sentUp, gotUp, sentDown, gotDown] = await Promise.all([upload.done, upstream, download.done, downstream]);
    assert.deepEqual(gotUp, sentUp, "client to server");
    assert.deepEqual(gotDown, sentDown, "server to client");
    client.destroy();

    const counters = await relay.stop();
    assert.ok(counters.peakHeldBytes < RELAY_WINDOW_BYTES + 2 ** 20, `the relay held ${counters.peakHeldBytes} bytes`);
    assert.equal(counters.bytes, sentUp.bytes + sentDown.bytes);
    t.diagnostic(
      `stalled after ${(taken / 2 ** 20).toFixed(1)} of ${upstreamBlocks} MiB; ` +
        `relay held at most ${(counters.peakHeldBytes / 2 ** 20).toFixed(2)} MiB per direction`,
    );
  } finally {
    await relay.stop();
    serverSide?.destroy();
    sink.close();
  }
});

test(
  "latency relay: ssh sessions work through it (OpenSSH and the library's pool)",
  { skip: labSkipReason(), timeout: 120_000 },
  async () => {
    const lab = await startLab({ hosts: 1 });
    const relay = await startLatencyRelay({
      targets: [{ host: lab.hosts[0]!.address, port: lab.hosts[0]!.port }],
      oneWayDelayMs: 10,
    });
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pxrelay-test-"));
    const pool = new ConnectionPool();
    try {
      const host = lab.hosts[0]!;
      const endpoint = relay.endpoints[0]!;
      const knownHosts = path.join(workDir, "known_hosts");
      fs.writeFileSync(knownHosts, knownHostsLine(endpoint, host.hostKeyLine));
      const openssh = spawnSync(
        "ssh",
        [
          ...["-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=yes"],
          ...["-i", lab.rootKeyPath, "-p", String(endpoint.port), `root@${endpoint.address}`],
          "hostname; head -c 3000000 /dev/zero | sha256sum",
        ],
        { encoding: "utf8", timeout: 60_000 },
      );
      assert.equal(openssh.status, 0, openssh.stderr);
      const zeros = createHash("sha256").update(Buffer.alloc(3_000_000)).digest("hex");
      assert.equal(openssh.stdout, `${host.name}\n${zeros}  -\n`);

      const runner = openHost(
        {
          connection: {
            host: endpoint.address,
            port: endpoint.port,
            user: "root",
            privateKey: lab.rootPrivateKey,
            hostKey: host.hostKeyLine,
          },
        },
        pool,
      );
      const payload = randomBytes(2_000_000);
      const result = await runner.run("sha256sum", { stdin: payload });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(result.stdout, `${createHash("sha256").update(payload).digest("hex")}  -\n`);
    } finally {
      await pool.closeAll();
      await relay.stop();
      await lab.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  },
);
