// Host-key trust like OpenSSH's, on the lab's real sshd: known_hosts files (plain, hashed,
// [host]:port, @revoked), hostKeyChecking strict / accept-new / off, the same for the proxy, and
// accept-new keys kept in a resource's state by the provider. Never touches ~/.ssh/known_hosts.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import * as secretsProvider from "../../src/provider/rsync-secrets";
import type { RemoteError } from "../../src/remote/errors";
import {
  acceptedHostKeys,
  closeAll,
  ConnectionPool,
  fingerprintOf,
  HOST_KEY_UNCHECKED_WARNING,
  openHost,
  parseHostKeyLine,
} from "../../src/remote/ssh";
import type { ConnectionArgs, HostTarget } from "../../src/remote/transport";
import { run, startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { linkForBastion } from "./support";

const skip = labSkipReason();
const SECOND_SSHD_PORT = 2222;

describe("host-key trust on a lab of 2 hosts (host 1 is host 2's bastion)", { skip }, () => {
  let lab: Lab;
  let bastion: LabHost;
  let host: LabHost;
  let dir: string;
  const pools: ConnectionPool[] = [];

  before(async () => {
    lab = await startLab({ hosts: 2 });
    [bastion, host] = lab.hosts as [LabHost, LabHost];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pxkh-"));
    await linkForBastion(lab, bastion, host);
    const second = await host.exec(`sed -e 's/^ListenAddress .*/ListenAddress ${host.address}:${SECOND_SSHD_PORT}/' \\
  -e 's|^PidFile .*|PidFile /run/sshd-${SECOND_SSHD_PORT}.pid|' /etc/ssh/sshd_config > /etc/ssh/sshd_${SECOND_SSHD_PORT}_config &&
/usr/sbin/sshd -f /etc/ssh/sshd_${SECOND_SSHD_PORT}_config`);
    assert.equal(second.code, 0, second.stderr);
  });

  after(async () => {
    await Promise.all(pools.map((pool) => pool.closeAll()));
    await closeAll();
    await lab?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const warnings: string[] = [];
  const newPool = () => {
    const pool = new ConnectionPool({ warn: (message) => warnings.push(message) });
    pools.push(pool);
    return pool;
  };
  let files = 0;
  /** A known_hosts file of the test's own with these lines. */
  const knownHosts = (...lines: string[]) => {
    const file = path.join(dir, `known_hosts.${++files}`);
    fs.writeFileSync(file, lines.map((line) => `${line}\n`).join(""));
    return file;
  };
  const fingerprint = (target: LabHost) => fingerprintOf(parseHostKeyLine(target.hostKeyLine)!.blob);
  const connection = (target: LabHost, extra: Partial<ConnectionArgs> = {}): ConnectionArgs => ({
    host: target.address,
    privateKey: lab.rootPrivateKey,
    dialErrorLimit: 0,
    ...extra,
  });
  const hostname = async (target: HostTarget, pool = newPool()) =>
    (await openHost(target, pool).run("hostname")).stdout.trim();
  const refused = async (target: HostTarget, code: string, pool = newPool()): Promise<RemoteError> => {
    const error = await openHost(target, pool)
      .run("true")
      .then(
        () => assert.fail(`expected ${code}`),
        (caught: unknown) => caught as RemoteError,
      );
    assert.equal(error.code, code, error.message);
    return error;
  };

  test("strict (the default) connects to a host listed in a known_hosts file: plain, hashed, [host]:port", async () => {
    assert.equal(
      await hostname({ connection: connection(host, { knownHostsFiles: [lab.knownHostsPath] }) }),
      host.name,
    );
    const hashed = knownHosts(
      `${host.address} ${host.hostKeyLine}`,
      `[${host.address}]:${SECOND_SSHD_PORT} ${host.hostKeyLine}`,
    );
    const hashing = await run(["ssh-keygen", "-H", "-f", hashed]);
    assert.equal(hashing.code, 0, hashing.stderr);
    assert.match(fs.readFileSync(hashed, "utf8"), /^\|1\|/);
    assert.doesNotMatch(fs.readFileSync(hashed, "utf8"), new RegExp(host.address.replace(/\./g, "\\.")));
    assert.equal(await hostname({ connection: connection(host, { knownHostsFiles: [hashed] }) }), host.name);
    assert.equal(
      await hostname({ connection: connection(host, { port: SECOND_SSHD_PORT, knownHostsFiles: [hashed] }) }),
      host.name,
    );
    const bracketed = knownHosts(`[${host.address}]:${SECOND_SSHD_PORT} ${host.hostKeyLine}`);
    assert.equal(
      await hostname({ connection: connection(host, { port: SECOND_SSHD_PORT, knownHostsFiles: [bracketed] }) }),
      host.name,
    );
    // Several files: a missing one counts as empty, as for ssh.
    assert.equal(
      await hostname({
        connection: connection(host, { knownHostsFiles: [path.join(dir, "missing"), lab.knownHostsPath] }),
      }),
      host.name,
    );
  });

  test("by default the known_hosts of the user running Pulumi is read; ~/ in knownHostsFiles is that home", async () => {
    const home = path.join(dir, "home");
    fs.mkdirSync(path.join(home, ".ssh"), { recursive: true });
    fs.writeFileSync(path.join(home, ".ssh", "known_hosts"), `${host.address} ${host.hostKeyLine}\n`);
    const realHome = process.env.HOME;
    const restoreHome = () => (realHome === undefined ? delete process.env.HOME : (process.env.HOME = realHome));
    // The files are decided when the runner is opened: HOME is changed for that moment only.
    process.env.HOME = home;
    let byDefault, byTilde;
    try {
      byDefault = openHost({ connection: connection(host) }, newPool());
      byTilde = openHost({ connection: connection(host, { knownHostsFiles: ["~/.ssh/known_hosts"] }) }, newPool());
    } finally {
      restoreHome();
    }
    assert.equal((await byDefault.run("hostname")).stdout.trim(), host.name);
    assert.equal((await byTilde.run("hostname")).stdout.trim(), host.name);
  });

  test("strict refuses an unknown host with its key line, fingerprint and what to do", async () => {
    const empty = knownHosts("# nothing", `${bastion.address} ${bastion.hostKeyLine}`);
    const error = await refused({ connection: connection(host, { knownHostsFiles: [empty] }) }, "host-key-unknown");
    assert.ok(error.message.includes(host.hostKeyLine), error.message);
    assert.ok(error.message.includes(fingerprint(host)), error.message);
    assert.ok(error.message.includes(`ssh-keyscan ${host.address} >> ~/.ssh/known_hosts`), error.message);
    assert.ok(error.message.includes("`hostKey`") && error.message.includes('"accept-new"'), error.message);
    assert.ok(error.message.includes(empty), "names the files it looked in");
    // A bare entry is for port 22 only.
    const bare = knownHosts(`${host.address} ${host.hostKeyLine}`);
    const other = await refused(
      { connection: connection(host, { port: SECOND_SSHD_PORT, knownHostsFiles: [bare] }) },
      "host-key-unknown",
    );
    assert.ok(other.message.includes(`ssh-keyscan -p ${SECOND_SSHD_PORT} ${host.address}`), other.message);
  });

  test("strict refuses a host listed with another key, naming both fingerprints and the line", async () => {
    const wrong = knownHosts(`${host.address} ${bastion.hostKeyLine}`);
    const error = await refused({ connection: connection(host, { knownHostsFiles: [wrong] }) }, "host-key-mismatch");
    assert.ok(error.message.includes(fingerprint(bastion)) && error.message.includes(fingerprint(host)), error.message);
    assert.ok(error.message.includes(`${wrong}:1`), error.message);
    // accept-new trusts only hosts nobody listed: a listed host with another key is refused too.
    await refused(
      { connection: connection(host, { knownHostsFiles: [wrong], hostKeyChecking: "accept-new" }) },
      "host-key-mismatch",
    );
  });

  test("a host known only by a key type its server does not offer is refused at once, listed or pinned", async () => {
    const keyPath = path.join(dir, "rsa");
    const generated = await run([
      "ssh-keygen",
      "-q",
      "-t",
      "rsa",
      "-b",
      "2048",
      "-N",
      "",
      "-C",
      "other",
      "-f",
      keyPath,
    ]);
    assert.equal(generated.code, 0, generated.stderr);
    const rsaLine = fs.readFileSync(`${keyPath}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    const rsaOnly = knownHosts(`${host.address} ${rsaLine}`);
    const listed = await refused(
      { connection: connection(host, { knownHostsFiles: [rsaOnly], dialErrorLimit: 10 }) },
      "host-key-mismatch",
    );
    assert.ok(
      listed.message.includes(`${rsaOnly}:1`) && /offers no host key of that type/.test(listed.message),
      listed.message,
    );
    await refused({ connection: connection(host, { hostKey: rsaLine, dialErrorLimit: 10 }) }, "host-key-mismatch");
  });

  test("an @revoked key is refused even when another line lists it", async () => {
    const revoked = knownHosts(`${host.address} ${host.hostKeyLine}`, `@revoked * ${host.hostKeyLine}`);
    const error = await refused(
      { connection: connection(host, { knownHostsFiles: [revoked], hostKeyChecking: "accept-new" }) },
      "host-key-revoked",
    );
    assert.ok(error.message.includes(`${revoked}:2`) && error.message.includes(fingerprint(host)), error.message);
  });

  test("accept-new trusts an unknown host on first use; a later different key is refused", async () => {
    const empty = knownHosts();
    const target: HostTarget = {
      connection: connection(host, { knownHostsFiles: [empty], hostKeyChecking: "accept-new" }),
    };
    const pool = newPool();
    assert.deepEqual(acceptedHostKeys(target, pool), {}, "nothing accepted before a connection");
    assert.equal(await hostname(target, pool), host.name);
    const line = `${host.address} ${host.hostKeyLine}`;
    assert.deepEqual(acceptedHostKeys(target, pool), { host: line });
    assert.equal(fs.readFileSync(empty, "utf8"), "", "the known_hosts file is not written");

    // Later runs bring the accepted key back: the same key connects, another is refused.
    assert.equal(await hostname({ ...target, acceptedHostKeys: { host: line } }), host.name);
    assert.deepEqual(
      acceptedHostKeys({ ...target, acceptedHostKeys: { host: line } }, newPool()),
      { host: line },
      "carried over",
    );
    const changed = await refused(
      { ...target, acceptedHostKeys: { host: `${host.address} ${bastion.hostKeyLine}` } },
      "host-key-mismatch",
    );
    assert.ok(
      changed.message.includes(fingerprint(bastion)) && changed.message.includes(fingerprint(host)),
      changed.message,
    );
    assert.ok(changed.message.includes("acceptedHostKeys"), changed.message);
    // After a legitimate change of key, listing the new key in a known_hosts file is trust again.
    const relisted = {
      connection: { ...target.connection, knownHostsFiles: [knownHosts(line)] },
      acceptedHostKeys: { host: `${host.address} ${bastion.hostKeyLine}` },
    };
    assert.equal(await hostname(relisted), host.name);
    // A key accepted for another address says nothing about this one.
    const elsewhere = { ...target, acceptedHostKeys: { host: `10.255.0.1 ${bastion.hostKeyLine}` } };
    assert.equal(await hostname(elsewhere), host.name);
  });

  test("off connects to any host and warns, naming the key it accepted", async () => {
    const before = warnings.length;
    const wrong = knownHosts(`${host.address} ${bastion.hostKeyLine}`);
    assert.equal(
      await hostname({ connection: connection(host, { knownHostsFiles: [wrong], hostKeyChecking: "off" }) }),
      host.name,
    );
    const warning = warnings.slice(before).join("\n");
    assert.match(warning, /NOT checked/);
    assert.ok(warning.includes(fingerprint(host)), warning);

    // Without a `warn` option the pool emits a process warning with a code to filter on.
    const emitted = new Promise<Error & { code?: string }>((resolve) => process.once("warning", resolve));
    const pool = new ConnectionPool();
    pools.push(pool);
    assert.equal(await hostname({ connection: connection(host, { hostKeyChecking: "off" }) }, pool), host.name);
    const processWarning = await emitted;
    assert.equal(processWarning.code, HOST_KEY_UNCHECKED_WARNING);
    assert.ok(processWarning.message.includes(fingerprint(host)), processWarning.message);
  });

  test("a pinned hostKey wins over the known_hosts files and the policy", async () => {
    const wrong = knownHosts(`${host.address} ${bastion.hostKeyLine}`);
    assert.equal(
      await hostname({ connection: connection(host, { hostKey: host.hostKeyLine, knownHostsFiles: [wrong] }) }),
      host.name,
    );
    await refused(
      { connection: connection(host, { hostKey: bastion.hostKeyLine, hostKeyChecking: "off" }) },
      "host-key-mismatch",
    );
  });

  test("the proxy follows the same rules", async () => {
    const onlyHost = knownHosts(`${host.address} ${host.hostKeyLine}`);
    const both = knownHosts(`${host.address} ${host.hostKeyLine}`, `${bastion.address} ${bastion.hostKeyLine}`);
    const via = (proxy: Partial<ConnectionArgs>, files = [onlyHost]) => ({
      connection: connection(host, { knownHostsFiles: files, proxy: connection(bastion, proxy) }),
    });

    assert.equal(await hostname(via({ knownHostsFiles: [both] })), host.name);
    const unknown = await refused(via({ knownHostsFiles: [onlyHost] }), "host-key-unknown");
    assert.equal(unknown.host, `root@${bastion.address}:22`);
    assert.ok(
      unknown.message.includes("`proxy.hostKey`") && unknown.message.includes(bastion.hostKeyLine),
      unknown.message,
    );
    const wrong = knownHosts(`${bastion.address} ${host.hostKeyLine}`);
    await refused(via({ knownHostsFiles: [wrong] }), "host-key-mismatch");
    await refused(via({ knownHostsFiles: [wrong], hostKeyChecking: "accept-new" }), "host-key-mismatch");

    const pool = newPool();
    const firstUse = via({ knownHostsFiles: [onlyHost], hostKeyChecking: "accept-new" });
    assert.equal(await hostname(firstUse, pool), host.name);
    assert.deepEqual(acceptedHostKeys(firstUse, pool), { proxy: `${bastion.address} ${bastion.hostKeyLine}` });
    await refused(
      { ...firstUse, acceptedHostKeys: { proxy: `${bastion.address} ${host.hostKeyLine}` } },
      "host-key-mismatch",
    );

    const before = warnings.length;
    assert.equal(await hostname(via({ hostKeyChecking: "off" })), host.name);
    assert.equal(warnings.length, before + 1);
    assert.ok(warnings.at(-1)!.includes(`root@${bastion.address}:22`), warnings.at(-1));
  });

  test("invalid hostKeyChecking and knownHostsFiles are refused before dialing, naming the field", () => {
    assert.throws(
      () => openHost({ connection: connection(host, { hostKeyChecking: "yes" as never }) }, newPool()),
      (error: RemoteError) =>
        error.code === "invalid-connection-args" &&
        /`hostKeyChecking` must be "strict", "accept-new" or "off", got "yes"/.test(error.message),
    );
    assert.throws(
      () =>
        openHost(
          { connection: connection(host, { proxy: connection(bastion, { hostKeyChecking: "no" as never }) }) },
          newPool(),
        ),
      (error: RemoteError) =>
        error.code === "invalid-connection-args" && /`proxy\.hostKeyChecking`/.test(error.message),
    );
    assert.throws(
      () =>
        openHost({ connection: connection(host, { knownHostsFiles: "/etc/ssh/ssh_known_hosts" as never }) }, newPool()),
      (error: RemoteError) =>
        error.code === "invalid-connection-args" && /`knownHostsFiles` must be a list/.test(error.message),
    );
  });

  test("a resource keeps the key it accepted on first use in its state; a changed key is then refused", async () => {
    const secretsPath = "/etc/pxkh.secrets";
    const inputs = {
      connection: connection(host, { knownHostsFiles: [knownHosts()], hostKeyChecking: "accept-new" }),
      path: secretsPath,
      users: { alice: "pw-alice" },
    };
    const created = await secretsProvider.create(inputs);
    const line = `${host.address} ${host.hostKeyLine}`;
    assert.deepEqual(created.outs.acceptedHostKeys, { host: line });

    const read = await secretsProvider.read(created.id, created.outs);
    assert.deepEqual(read.props.acceptedHostKeys, { host: line });
    const updated = await secretsProvider.update(created.id, created.outs, { ...inputs, users: { alice: "pw-2" } });
    assert.deepEqual(updated.outs.acceptedHostKeys, { host: line });

    const rekeyed = { ...created.outs, acceptedHostKeys: { host: `${host.address} ${bastion.hostKeyLine}` } };
    await assert.rejects(
      secretsProvider.update(created.id, rekeyed, { ...inputs, users: { alice: "pw-3" } }),
      (error: RemoteError) => error.code === "host-key-mismatch",
    );
    assert.match((await host.exec(["cat", secretsPath])).stdout, /^alice:pw-2$/m, "the refused update changed nothing");
    await assert.rejects(
      secretsProvider.remove(created.id, rekeyed),
      (error: RemoteError) => error.code === "host-key-mismatch",
    );
    await secretsProvider.remove(created.id, updated.outs);
    assert.equal((await host.exec(["test", "-e", secretsPath])).code, 1);
  });
});
