// What is shared between callers (reads, edit batches, the xinetd reloader, pooled connections) is
// shared only between runners of one identity: a credential or host key the host would refuse never
// rides on another caller's work. Each case runs the bad caller concurrently beside good ones.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  changeRemoteFileBatched,
  changeXinetdService,
  readRemoteFile,
  readRemoteFileShared,
  RemoteError,
} from "../../src/remote";
import { ConnectionPool, openHost } from "../../src/remote/ssh";
import type { CommandRunner, ConnectionArgs } from "../../src/remote/transport";
import { startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { linkForBastion } from "./support";

const skip = labSkipReason();
const RSYNCD_CONF = "/etc/rsyncd/pxid.conf";

describe("identity: nothing shared between runners that reach a host differently", { skip }, () => {
  let lab: Lab;
  let bastion: LabHost;
  let host: LabHost;
  const pool = new ConnectionPool();

  before(async () => {
    lab = await startLab({ hosts: 2 });
    [bastion, host] = lab.hosts as [LabHost, LabHost];
    await linkForBastion(lab, bastion, host);
  });

  after(async () => {
    await pool.closeAll();
    await lab?.stop();
  });

  const rootOn = (target: LabHost, extra: Partial<ConnectionArgs> = {}): ConnectionArgs => ({
    host: target.address,
    privateKey: lab.rootPrivateKey,
    hostKey: target.hostKeyLine,
    ...extra,
  });
  const good = () => openHost({ connection: rootOn(host) }, pool);
  // labnosudo's key: root's authorized_keys does not hold it.
  const refusedKey = () => openHost({ connection: rootOn(host, { privateKey: lab.noSudoUser.privateKey }) }, pool);
  const isAuthFailed = (error: unknown) => error instanceof RemoteError && error.code === "auth-failed";
  const onHost = async (script: string) => (await host.exec(["sh", "-c", script])).stdout;

  test("the identity differs with the credential, sudo, the host-key pin and the proxy; equal arguments give equal identities", () => {
    const identities = [
      good(),
      refusedKey(),
      openHost({ connection: rootOn(host), sudo: true }, pool),
      openHost({ connection: rootOn(host, { hostKey: bastion.hostKeyLine }) }, pool),
      openHost({ connection: rootOn(host, { hostKey: undefined, hostKeyChecking: "accept-new" }) }, pool),
      openHost({ connection: rootOn(host, { proxy: rootOn(bastion) }) }, pool),
      openHost({ connection: rootOn(host, { proxy: rootOn(bastion, { hostKey: host.hostKeyLine }) }) }, pool),
    ].map((runner) => runner.identity);
    assert.equal(new Set(identities).size, identities.length, "every identity is distinct");
    assert.equal(good().identity, good().identity);
    assert.equal(good().label, refusedKey().label, "the label alone cannot tell them apart");
    assert.equal(
      identities.some((identity) => identity.includes(lab.rootPrivateKey.split("\n")[1]!)),
      false,
      "no key material in an identity",
    );
  });

  test("a shared read: the refused key fails with auth-failed while good readers of the same file succeed", async () => {
    await host.exec(["sh", "-c", `printf '[shared]\\n\\tpath = /srv\\n' > ${RSYNCD_CONF}`]);
    const [first, refused, third] = await Promise.allSettled([
      readRemoteFileShared(good(), RSYNCD_CONF),
      readRemoteFileShared(refusedKey(), RSYNCD_CONF),
      readRemoteFileShared(good(), RSYNCD_CONF),
    ]);
    assert.equal(first.status, "fulfilled");
    assert.equal(third.status, "fulfilled");
    assert.ok(
      refused.status === "rejected" && isAuthFailed(refused.reason),
      String(refused.status === "rejected" && refused.reason),
    );
  });

  test("a change made with one identity outdates the reads under way of another that logs in as the same user", async () => {
    await host.exec(["sh", "-c", `printf '[before]\n\tpath = /srv\n' > ${RSYNCD_CONF}`]);
    const reader = good();
    const writer = openHost(
      { connection: rootOn(host, { hostKey: undefined, knownHostsFiles: [lab.knownHostsPath] }) },
      pool,
    );
    assert.notEqual(reader.identity, writer.identity);
    // A read of the reader's identity held in flight until the change is done.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: CommandRunner = {
      label: reader.label,
      identity: reader.identity,
      run: async (script, options) => {
        const result = await reader.run(script, options);
        await released;
        return result;
      },
      spawn: (script) => reader.spawn(script),
    };
    const during = readRemoteFileShared(held, RSYNCD_CONF);
    await changeRemoteFileBatched(writer, RSYNCD_CONF, () => "[after]\n\tpath = /srv\n", { validate: "rsyncd" });
    const asked = readRemoteFileShared(reader, RSYNCD_CONF);
    release();
    const afterChange = await asked;
    assert.ok(
      afterChange.exists && afterChange.content.includes("[after]"),
      "the read asked for after the change sees it",
    );
    const stale = await during;
    assert.ok(stale.exists && stale.content.includes("[before]"), "the held read was the old one");
  });

  test("a batched change: the refused key fails with auth-failed and its edit never reaches the host", async () => {
    await host.exec(["sh", "-c", `printf '[base]\\n\\tpath = /srv\\n' > ${RSYNCD_CONF}`]);
    const append = (runner: CommandRunner, name: string) =>
      changeRemoteFileBatched(runner, RSYNCD_CONF, (current) => `${current ?? ""}[${name}]\n\tpath = /srv\n`, {
        validate: "rsyncd",
      });
    const [one, refused, two] = await Promise.allSettled([
      append(good(), "one"),
      append(refusedKey(), "intruder"),
      append(good(), "two"),
    ]);
    assert.equal(one.status, "fulfilled");
    assert.equal(two.status, "fulfilled");
    assert.ok(
      refused.status === "rejected" && isAuthFailed(refused.reason),
      String(refused.status === "rejected" && refused.reason),
    );
    const content = await onHost(`cat ${RSYNCD_CONF}`);
    assert.match(content, /\[one\]/);
    assert.match(content, /\[two\]/);
    assert.doesNotMatch(content, /intruder/);
  });

  test("the xinetd reloader: the refused key fails with auth-failed, its service never written, the good ones reloaded", async () => {
    const service = (name: string, port: number) => () =>
      `service ${name}\n{\n\ttype = INTERNAL UNLISTED\n\tid = ${name}\n\tsocket_type = stream\n\tprotocol = tcp\n\tport = ${port}\n\twait = no\n}\n`;
    const [one, refused, two] = await Promise.allSettled([
      changeXinetdService(good(), "/etc/xinetd.d/pxid-one", service("echo", 17401)),
      changeXinetdService(refusedKey(), "/etc/xinetd.d/pxid-intruder", service("echo", 17402)),
      changeXinetdService(good(), "/etc/xinetd.d/pxid-two", service("echo", 17403)),
    ]);
    assert.ok(one.status === "fulfilled" && one.value.reload?.services[0]?.state === "listening", JSON.stringify(one));
    assert.ok(two.status === "fulfilled" && two.value.reload?.services[0]?.state === "listening", JSON.stringify(two));
    assert.ok(
      refused.status === "rejected" && isAuthFailed(refused.reason),
      String(refused.status === "rejected" && refused.reason),
    );
    assert.deepEqual(await readRemoteFile(good(), "/etc/xinetd.d/pxid-intruder"), { exists: false });
  });

  test("a wrong proxy.hostKey is refused even while a good connection through the same bastion is open", async () => {
    const viaGood = openHost({ connection: rootOn(host, { proxy: rootOn(bastion) }) }, pool);
    const viaWrong = openHost(
      { connection: rootOn(host, { proxy: rootOn(bastion, { hostKey: host.hostKeyLine }) }) },
      pool,
    );
    const busy = viaGood.run("sleep 1; hostname");
    await viaGood.run("true");
    assert.equal(pool.stats(`root@${bastion.address}:22`).openConnections, 1, "the good bastion connection is open");
    await assert.rejects(
      viaWrong.run("hostname"),
      (error: RemoteError) => error.code === "host-key-mismatch" && error.host === `root@${bastion.address}:22`,
    );
    assert.equal((await busy).stdout, `${host.name}\n`);
  });

  test("a refused key beside an open good connection to the same host and user is still refused", async () => {
    const busy = good().run("sleep 1; echo done");
    await good().run("true");
    await assert.rejects(refusedKey().run("true"), isAuthFailed);
    assert.equal((await busy).stdout, "done\n");
  });
});
