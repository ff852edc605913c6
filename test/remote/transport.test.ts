// The SSH transport against the lab's real sshd hosts. Host 1 and 2 stay healthy; host 3 takes the
// disruptive cases (stopped sshd, killed sessions, a second sshd that accepts passwords).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { inspect } from "node:util";
import { after, before, describe, test } from "node:test";

import type { RemoteError } from "../../src/remote/errors";
import { ConnectionPool, fingerprintOf, openHost, parseHostKeyLine, type PoolOptions } from "../../src/remote/ssh";
import type { CommandRunner, ConnectionArgs, HostTarget } from "../../src/remote/transport";
import { startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { linkForBastion } from "./support";

const skip = labSkipReason();

const PASSWORD_SSHD_PORT = 2222;
const CLOSED_PORT = 2;
const LAB_PASSWORD = "lab-Pa55word-'\"$(x)";
// Runs one command through the default pool and returns, leaving the pooled connection idle.
const RUN_ONCE_AND_RETURN = `
const { openHost } = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => (input += chunk)).on("end", async () => {
  const result = await openHost({ connection: JSON.parse(input) }).run("echo ok");
  process.stdout.write(result.stdout);
});
`;

describe("ssh transport on a lab of 3 hosts", { skip }, () => {
  let lab: Lab;
  let first: LabHost;
  let second: LabHost;
  let third: LabHost;
  let secrets: string[];
  const pools: ConnectionPool[] = [];

  before(async () => {
    lab = await startLab({ hosts: 3 });
    [first, second, third] = lab.hosts as [LabHost, LabHost, LabHost];
    secrets = [lab.rootPrivateKey, lab.sudoUser.privateKey, lab.noSudoUser.privateKey, LAB_PASSWORD];
    await Promise.all([linkForBastion(lab, first, second), startPasswordSshd(third)]);
  });

  after(async () => {
    await Promise.all(pools.map((pool) => pool.closeAll()));
    await lab?.stop();
  });

  /** A pool of the test's own, so its stats count only the test's work. */
  const newPool = (options: PoolOptions = {}) => {
    const pool = new ConnectionPool(options);
    pools.push(pool);
    return pool;
  };
  const asRoot = (host: LabHost, extra: Partial<ConnectionArgs> = {}): ConnectionArgs => ({
    host: host.address,
    privateKey: lab.rootPrivateKey,
    hostKey: host.hostKeyLine,
    ...extra,
  });
  const labelOf = (connection: ConnectionArgs) =>
    `${connection.user ?? "root"}@${connection.host}:${connection.port ?? 22}`;

  /** The secrets must appear nowhere the error may be printed or serialized. */
  const assertNoSecrets = (error: unknown) => {
    const remote = error as RemoteError;
    const cause = remote.cause as Error | undefined;
    const texts = [
      remote.message,
      remote.shortMessage,
      String(remote.stack),
      JSON.stringify(remote),
      inspect(remote, { depth: 5 }),
      String(cause?.message),
      String(cause?.stack),
    ];
    const fragments = secrets.flatMap((secret) => [secret, ...secret.split("\n").filter((line) => line.length >= 8)]);
    for (const text of texts) {
      for (const fragment of fragments) assert.equal(text.includes(fragment), false, `a secret leaked into: ${text}`);
    }
  };
  const rejectsWith = async (promise: Promise<unknown>, code: string): Promise<RemoteError> => {
    const error = await promise.then(
      () => assert.fail(`expected a ${code} error`),
      (caught: unknown) => caught as RemoteError,
    );
    assert.equal(error.code, code, error.message);
    assertNoSecrets(error);
    return error;
  };

  test("runs a script as root with a key and the pinned host key: output, exit code, signal", async () => {
    const runner = openHost({ connection: asRoot(first) }, newPool());
    const result = await runner.run("hostname; printf 'to stderr' >&2; exit 3");
    assert.deepEqual(result, { stdout: `${first.name}\n`, stderr: "to stderr", exitCode: 3, signal: null });
    assert.equal(runner.label, `root@${first.address}:22`);
    const killed = await runner.run("kill -TERM $$");
    assert.equal(killed.exitCode, null);
    assert.equal(killed.signal, "SIGTERM");
  });

  test("a process whose pooled connection is idle exits at once, without closeAll", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "-e", RUN_ONCE_AND_RETURN, path.join(__dirname, "../../src/remote/ssh/index.ts")],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    // The key travels on stdin, never on a command line.
    child.stdin.end(JSON.stringify(asRoot(first)));
    let output = "";
    let answeredAt = 0;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      answeredAt = Date.now();
    });
    const exitCode = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(exitCode, 0);
    assert.equal(output, "ok\n");
    // Well below the default idle close (2 s): the idle socket does not hold the process.
    assert.ok(Date.now() - answeredAt < 1_000, `exited ${Date.now() - answeredAt} ms after answering`);
  });

  test("a wrong pinned host key is refused with both fingerprints, without retrying", async () => {
    const pool = newPool();
    const connection = asRoot(first, { hostKey: `${second.hostKeyLine} some comment`, dialErrorLimit: 5 });
    const error = await rejectsWith(openHost({ connection }, pool).run("true"), "host-key-mismatch");
    assert.ok(error.message.includes(fingerprintOf(parseHostKeyLine(second.hostKeyLine)!.blob)), error.message);
    assert.ok(error.message.includes(fingerprintOf(parseHostKeyLine(first.hostKeyLine)!.blob)), error.message);
    assert.equal(pool.stats(labelOf(connection)).dials, 1);
  });

  test("a closed port fails with dial-failed naming the host, after dialErrorLimit + 1 quick attempts", async () => {
    const pool = newPool();
    const connection = asRoot(third, { port: CLOSED_PORT, perDialTimeout: 1, dialErrorLimit: 1 });
    const started = Date.now();
    const error = await rejectsWith(openHost({ connection }, pool).run("true"), "dial-failed");
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    assert.ok(
      error.shortMessage.startsWith(`root@${third.address}:${CLOSED_PORT}: could not connect after 2 attempts`),
      error.shortMessage,
    );
    assert.match(error.message, /ECONNREFUSED/);
    assert.equal(pool.stats(labelOf(connection)).dials, 2);
  });

  test("a host that accepts TCP but never speaks SSH fails within perDialTimeout × dialErrorLimit", async () => {
    const pool = newPool({ dialBackoffMs: 100 });
    const connection = asRoot(third, { perDialTimeout: 1, dialErrorLimit: 1 });
    process.kill(third.sshdPid, "SIGSTOP");
    try {
      const started = Date.now();
      const error = await rejectsWith(openHost({ connection }, pool).run("true"), "dial-failed");
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 2_000 && elapsed < 3_000, `took ${elapsed} ms`);
      assert.match(error.message, /no SSH session within 1 s/);
      assert.equal(pool.stats(labelOf(connection)).dials, 2);
    } finally {
      process.kill(third.sshdPid, "SIGCONT");
    }
  });

  test("a key the server does not accept fails with auth-failed, without retrying", async () => {
    const pool = newPool();
    const connection = asRoot(first, { privateKey: lab.noSudoUser.privateKey, dialErrorLimit: 5 });
    const error = await rejectsWith(openHost({ connection }, pool).run("true"), "auth-failed");
    assert.match(error.shortMessage, /authentication as root failed/);
    assert.equal(pool.stats(labelOf(connection)).dials, 1);
  });

  test("a wrong key fails even while a connection made with the right key is open and pooled", async () => {
    const pool = newPool();
    const good = asRoot(first);
    const runner = openHost({ connection: good }, pool);
    const held = runner.run("sleep 0.5");
    assert.equal((await runner.run("id -u")).stdout, "0\n");
    await rejectsWith(
      openHost({ connection: asRoot(first, { privateKey: lab.noSudoUser.privateKey }) }, pool).run("true"),
      "auth-failed",
    );
    await held;
    assert.equal(pool.stats(labelOf(good)).dials, 2, "the wrong key dialed its own connection");
  });

  test("password authentication works, and a wrong password fails without showing either", async () => {
    const pool = newPool();
    const connection = {
      host: third.address,
      port: PASSWORD_SSHD_PORT,
      user: lab.noSudoUser.name,
      password: LAB_PASSWORD,
      hostKey: third.hostKeyLine,
    };
    assert.equal((await openHost({ connection }, pool).run("id -un")).stdout, `${lab.noSudoUser.name}\n`);
    const wrong = { ...connection, user: lab.sudoUser.name };
    await rejectsWith(openHost({ connection: wrong }, pool).run("true"), "auth-failed");
  });

  test("sudo: labuser becomes root; labnosudo gets sudo-needs-password, saying what to do", async () => {
    const pool = newPool();
    const withSudo: HostTarget = {
      connection: {
        host: first.address,
        user: lab.sudoUser.name,
        privateKey: lab.sudoUser.privateKey,
        hostKey: first.hostKeyLine,
      },
      sudo: true,
    };
    const result = await openHost(withSudo, pool).run("id -u; echo 'it'\\''s $HOME'");
    assert.equal(result.stdout, "0\nit's $HOME\n");
    assert.equal(result.exitCode, 0);

    const withoutSudo: HostTarget = {
      connection: {
        host: first.address,
        user: lab.noSudoUser.name,
        privateKey: lab.noSudoUser.privateKey,
        hostKey: first.hostKeyLine,
      },
      sudo: true,
    };
    const error = await rejectsWith(openHost(withoutSudo, pool).run("id -u"), "sudo-needs-password");
    assert.match(error.message, /passwordless sudo \(NOPASSWD/);
    assert.match(error.message, /a password is required/);
  });

  test("30 concurrent runs share 1 dial and never exceed the channel cap", async () => {
    const pool = newPool();
    const connection = asRoot(first);
    const runners = Array.from({ length: 30 }, () => openHost({ connection }, pool));
    const results = await Promise.all(runners.map((runner, index) => runner.run(`sleep 0.2; echo ${index}`)));
    assert.deepEqual(
      results.map((result) => result.stdout),
      runners.map((_, index) => `${index}\n`),
    );
    const stats = pool.stats(labelOf(connection));
    assert.equal(stats.dials, 1);
    assert.equal(stats.channels, 30);
    assert.equal(stats.maxConcurrentChannels, pool.maxChannelsPerConnection);
    assert.equal(stats.activeChannels, 0);
  });

  test("with the cap at sshd's MaxSessions, channel opens refused while sessions close are retried", async () => {
    const pool = newPool({ maxChannelsPerConnection: 10 });
    const connection = asRoot(first);
    const runner = openHost({ connection }, pool);
    const results = await Promise.all(Array.from({ length: 100 }, () => runner.run("true")));
    assert.deepEqual(new Set(results.map((result) => result.exitCode)), new Set([0]));
    assert.equal(pool.stats(labelOf(connection)).channels, 100);
  });

  test("an idle connection is closed, and the next run dials again", async () => {
    const pool = newPool({ idleCloseMs: 200 });
    const connection = asRoot(first);
    const runner = openHost({ connection }, pool);
    const stats = pool.stats(labelOf(connection));
    await runner.run("true");
    assert.equal(stats.openConnections, 1);
    await sleep(400);
    assert.equal(stats.openConnections, 0);
    assert.equal((await runner.run("echo again")).stdout, "again\n");
    assert.equal(stats.dials, 2);
  });

  test("stdin arrives byte-exact: NUL bytes, quotes, newlines, every byte value", async () => {
    const runner = openHost({ connection: asRoot(first) }, newPool());
    const content = Buffer.concat([
      Buffer.from("line 1\n'single' \"double\" $(not run) `nor this`\r\n\0after NUL\n"),
      Buffer.from(Array.from({ length: 256 }, (_, byte) => byte)),
      Buffer.from("größe 日本\n"),
    ]);
    const written = await runner.run("cat > /tmp/pxt-stdin && wc -c < /tmp/pxt-stdin", { stdin: content });
    assert.equal(written.stdout.trim(), String(content.length));
    const readBack = await runner.run("base64 -w0 /tmp/pxt-stdin");
    assert.equal(Buffer.from(readBack.stdout, "base64").compare(content), 0);
    assert.equal((await runner.run("cat", { stdin: "größe\n" })).stdout, "größe\n");
    assert.equal((await runner.run("cat")).stdout, "");
    assert.equal((await runner.run("exit 0", { stdin: Buffer.alloc(4 * 1024 * 1024) })).exitCode, 0);
  });

  test("secret stdin is kept out of a timeout error; the command is stopped", async () => {
    const runner = openHost({ connection: asRoot(first) }, newPool());
    const secretFile = "alice:wonderland-secret\n";
    const started = Date.now();
    const error = await rejectsWith(
      runner.run("tee /dev/stderr; exec sleep 20", { stdin: secretFile, secretStdin: true, timeoutMs: 500 }),
      "timeout",
    );
    assert.ok(Date.now() - started < 2_000);
    assert.equal(`${error.message}${error.stdout}${JSON.stringify(error)}`.includes("wonderland-secret"), false);
    const deadline = Date.now() + 3_000;
    while ((await first.exec(["pgrep", "-fx", "sleep 20"])).code === 0) {
      assert.ok(Date.now() < deadline, "the timed-out command still runs");
      await sleep(50);
    }
  });

  test("spawn streams both ways on one channel", async () => {
    const runner: CommandRunner = openHost({ connection: asRoot(first) }, newPool());
    const remote = await runner.spawn('while read line; do echo "got $line"; echo "err $line" >&2; done');
    const replies: string[] = [];
    remote.stdout.setEncoding("utf8").on("data", (chunk: string) => replies.push(chunk));
    remote.stderr.resume();
    remote.stdin.write("one\n");
    remote.stdin.end("two\n");
    const result = await remote.done;
    assert.equal(replies.join(""), "got one\ngot two\n");
    assert.deepEqual(result, { stdout: "", stderr: "err one\nerr two\n", exitCode: 0, signal: null });
  });

  test("a killed server session fails the running command with connection-lost; the next run redials", async () => {
    const pool = newPool();
    const connection = asRoot(third);
    const runner = openHost({ connection }, pool);
    const running = runner.run("echo $$ > /tmp/pxt-session-shell; exec sleep 30");
    const shellPid = await waitForPidFile(third, "/tmp/pxt-session-shell");
    // The child of the listening sshd is this connection's monitor process: killing it drops the TCP connection.
    process.kill(ancestorBelow(shellPid, third.sshdPid), "SIGKILL");
    const error = await rejectsWith(running, "connection-lost");
    assert.match(error.shortMessage, /the connection broke while the command ran/);
    assert.equal((await runner.run("echo back")).stdout, "back\n");
    assert.equal(pool.stats(labelOf(connection)).dials, 2);
  });

  test("a proxy: host 2 reached through host 1 as the bastion", async () => {
    const pool = newPool();
    const bastion = asRoot(first);
    const connection = asRoot(second, { proxy: bastion });
    const results = await Promise.all(Array.from({ length: 3 }, () => openHost({ connection }, pool).run("hostname")));
    assert.deepEqual(
      results.map((result) => result.stdout),
      Array(3).fill(`${second.name}\n`),
    );
    assert.equal(pool.stats(labelOf(connection)).dials, 1);
    assert.equal(pool.stats(labelOf(bastion)).dials, 1);
    assert.equal(pool.stats(labelOf(bastion)).channels, 1);

    const wrongTarget = asRoot(second, { proxy: bastion, hostKey: first.hostKeyLine });
    await rejectsWith(openHost({ connection: wrongTarget }, pool).run("true"), "host-key-mismatch");
  });
});

/** A second sshd on the host that takes passwords, and a password for labnosudo (passed on stdin only). */
async function startPasswordSshd(host: LabHost): Promise<void> {
  const setPassword = await host.exec(
    `set -e
hash=$(openssl passwd -6 -stdin)
HASH=$hash awk -F: 'BEGIN { OFS = ":" } $1 == "labnosudo" { $2 = ENVIRON["HASH"] } { print }' /etc/shadow > /tmp/pxt-shadow
cat /tmp/pxt-shadow > /etc/shadow
rm /tmp/pxt-shadow
sed -e 's/^ListenAddress .*/ListenAddress ${host.address}:${PASSWORD_SSHD_PORT}/' \\
  -e 's/^PasswordAuthentication no/PasswordAuthentication yes/' \\
  -e 's|^PidFile .*|PidFile /run/sshd-password.pid|' /etc/ssh/sshd_config > /etc/ssh/sshd_password_config
/usr/sbin/sshd -f /etc/ssh/sshd_password_config`,
    { input: LAB_PASSWORD },
  );
  assert.equal(setPassword.code, 0, setPassword.stderr);
}

async function waitForPidFile(host: LabHost, file: string): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const read = await host.exec(["cat", file]);
    if (read.code === 0 && /^\d+\n$/.test(read.stdout)) return Number(read.stdout);
    if (Date.now() > deadline) throw new Error(`${file} did not appear on ${host.name}`);
    await sleep(50);
  }
}

/** The ancestor of `pid` whose parent is `top` (the hosts share the machine's pid namespace). */
function ancestorBelow(pid: number, top: number): number {
  let current = pid;
  for (;;) {
    const stat = fs.readFileSync(`/proc/${current}/stat`, "utf8");
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (parent === top) return current;
    if (parent <= 1) throw new Error(`${pid} does not descend from ${top}`);
    current = parent;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
