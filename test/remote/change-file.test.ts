import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";

import { parseRsyncdDocument, readRsyncModule, renderRsyncdDocument, setRsyncModule } from "../../src/formats";
import {
  changeRemoteFile,
  changeRsyncdConfig,
  discardPreviousVersionShared,
  readRemoteFile,
  readRemoteFileShared,
  RemoteError,
} from "../../src/remote";
import { ConnectionPool, openHost } from "../../src/remote/ssh";
import { StreamReader } from "../../src/remote/stream-reader";
import { startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { countingRunner, sshRunner } from "./support";

const skip = labSkipReason();

const RSYNCD_CONF = "/etc/rsyncd/rsyncd.conf";
const ORIGINAL_RSYNCD = [
  "# managed by hand until now",
  "log file = /var/log/rsyncd.log",
  "",
  "[existing]",
  "\tpath = /srv/existing",
  "\tcomment = keep me ; and this",
  "",
].join("\n");
const HOSTILE_DIR = `/srv/dir with blanks 'single' "double" $(touch /tmp/pwned) ; touch /tmp/pwned2`;

describe("changing files on a lab host", { skip }, () => {
  let lab: Lab;
  let host: LabHost;
  const pool = new ConnectionPool();

  before(async () => {
    lab = await startLab({ hosts: 1 });
    host = lab.hosts[0]!;
  });

  after(async () => {
    await pool.closeAll();
    await lab?.stop();
  });

  test("a read is one round trip; an absent file is an answer", async () => {
    const runner = countingRunner(sshRunner(lab, host, pool));
    const echo = await readRemoteFile(runner, "/etc/xinetd.d/echo");
    assert.equal(runner.calls, 1);
    assert.ok(echo.exists);
    assert.match(echo.content, /service echo/);
    assert.deepEqual([echo.mode, echo.owner, echo.group], [0o644, "root", "root"]);
    assert.deepEqual(await readRemoteFile(runner, "/etc/xinetd.d/absent"), { exists: false });
  });

  test("a change is one round trip, keeps the previous version and leaves only dot-files beside it", async () => {
    const runner = countingRunner(sshRunner(lab, host, pool));
    const path = "/etc/rsyncd/one.conf";
    const first = await changeRemoteFile(runner, path, () => "[a]\n\tpath = /srv\n", {
      validate: "rsyncd",
      mode: 0o640,
    });
    assert.equal(runner.calls, 1);
    assert.deepEqual([first.changed, first.previous, first.validation.method], [true, undefined, "host"]);
    const second = await changeRemoteFile(runner, path, (current) => `${current}\tcomment = two\n`, {
      validate: "rsyncd",
    });
    assert.equal(runner.calls, 2);
    assert.equal(second.previous, "[a]\n\tpath = /srv\n");
    const unchanged = await changeRemoteFile(runner, path, () => undefined, { validate: "rsyncd" });
    assert.equal(unchanged.changed, false);
    const listing = await host.exec("cd /etc/rsyncd && ls -A && stat -c %a one.conf && cat .one.conf.previous");
    assert.equal(listing.stdout, ".one.conf.lock\n.one.conf.previous\none.conf\n640\n[a]\n\tpath = /srv\n");
  });

  test("50 parallel edits of different modules of one rsyncd.conf, each its own round trip: all present, nothing else lost", async () => {
    // changeRemoteFile unbatched: the host-side lock alone keeps every update (as between processes).
    await host.exec(["sh", "-c", `cat > ${RSYNCD_CONF}`], { input: ORIGINAL_RSYNCD });
    const runner = countingRunner(sshRunner(lab, host, pool));
    const names = Array.from({ length: 50 }, (_, i) => `module${i}`);
    await Promise.all(
      names.map((name) =>
        changeRemoteFile(
          runner,
          RSYNCD_CONF,
          (current) =>
            renderRsyncdDocument(
              setRsyncModule(parseRsyncdDocument(current ?? ""), { name, path: `/srv/${name}`, readOnly: true }),
            ),
          { validate: "rsyncd" },
        ),
      ),
    );
    assert.equal(runner.calls, 50);
    const after = await readRemoteFile(runner, RSYNCD_CONF);
    assert.ok(after.exists);
    assert.ok(after.content.startsWith(ORIGINAL_RSYNCD), "the original text is kept as it was");
    const doc = parseRsyncdDocument(after.content);
    for (const name of names) assert.equal(readRsyncModule(doc, name)?.path, `/srv/${name}`, name);
  });

  test("concurrent rsyncd.conf edits in one process are batched; a bad edit fails alone", async () => {
    await host.exec(["sh", "-c", `cat > ${RSYNCD_CONF}`], { input: ORIGINAL_RSYNCD });
    const runner = countingRunner(sshRunner(lab, host, pool));
    const names = Array.from({ length: 20 }, (_, i) => `batched${i}`);
    const edits = names.map((name) =>
      changeRsyncdConfig(runner, RSYNCD_CONF, (doc) => setRsyncModule(doc!, { name, path: `/srv/${name}` })),
    );
    const throwing = changeRsyncdConfig(runner, RSYNCD_CONF, () => {
      throw new Error("this edit refuses");
    });
    // A path rsync itself rejects (`/` in a module name is fatal for the whole file) fails alone too.
    const fatal = changeRsyncdConfig(runner, RSYNCD_CONF, (doc) =>
      parseRsyncdDocument(`${renderRsyncdDocument(doc!)}[a/b]\n\tpath = /srv\n`),
    );
    const results = await Promise.allSettled([...edits, throwing, fatal]);
    assert.deepEqual(
      results.slice(0, 20).map((r) => r.status),
      names.map(() => "fulfilled"),
    );
    assert.equal(results[20]!.status, "rejected");
    assert.match(String((results[20] as PromiseRejectedResult).reason), /this edit refuses/);
    assert.equal(results[21]!.status, "rejected");
    const doc = parseRsyncdDocument(((await readRemoteFile(runner, RSYNCD_CONF)) as { content: string }).content);
    for (const name of names) assert.equal(readRsyncModule(doc, name)?.path, `/srv/${name}`, name);
    assert.equal(readRsyncModule(doc, "a/b"), undefined);
  });

  test("concurrent good edits of one file share round trips", async () => {
    await host.exec(["sh", "-c", `cat > ${RSYNCD_CONF}`], { input: ORIGINAL_RSYNCD });
    const runner = countingRunner(sshRunner(lab, host, pool));
    const names = Array.from({ length: 20 }, (_, i) => `shared${i}`);
    await Promise.all(
      names.map((name) =>
        changeRsyncdConfig(runner, RSYNCD_CONF, (doc) => setRsyncModule(doc!, { name, path: `/srv/${name}` })),
      ),
    );
    assert.equal(runner.calls, 1, "edits made within the burst window go in one batch");
    const doc = parseRsyncdDocument(((await readRemoteFile(runner, RSYNCD_CONF)) as { content: string }).content);
    for (const name of names) assert.equal(readRsyncModule(doc, name)?.path, `/srv/${name}`, name);
  });

  test("edits made while a batch's round trip waits for the host join that batch", async () => {
    await host.exec(["sh", "-c", `cat > ${RSYNCD_CONF}`], { input: ORIGINAL_RSYNCD });
    // Another holder of the file's lock keeps the batch's round trip waiting for the current file.
    const holder = await sshRunner(lab, host, pool).spawn(
      `lock=/etc/rsyncd/.rsyncd.conf.lock; : >>"$lock"; exec 9<"$lock"; flock 9; echo locked; sleep 1`,
    );
    assert.equal(await new StreamReader(holder.stdout).readLine(), "locked");
    const runner = countingRunner(sshRunner(lab, host, pool));
    const names = Array.from({ length: 5 }, (_, i) => `late${i}`);
    const edits: Array<Promise<unknown>> = [];
    for (const name of names) {
      edits.push(
        changeRsyncdConfig(runner, RSYNCD_CONF, (doc) => setRsyncModule(doc!, { name, path: `/srv/${name}` })),
      );
      // Well past the burst window: only the late taking of the batch puts these edits in it.
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    await Promise.all(edits);
    await holder.done;
    assert.equal(runner.calls, 1, "every edit made before the current file arrived is in the one batch");
    const doc = parseRsyncdDocument(((await readRemoteFile(runner, RSYNCD_CONF)) as { content: string }).content);
    for (const name of names) assert.equal(readRsyncModule(doc, name)?.path, `/srv/${name}`, name);
  });

  test("one discard of the previous copy serves every caller after one change; a later change gets its own", async () => {
    const runner = countingRunner(sshRunner(lab, host, pool));
    const path = "/etc/rsyncd/discard.conf";
    const previousExists = async () =>
      (await host.exec(["sh", "-c", "test -e /etc/rsyncd/.discard.conf.previous && echo yes || echo no"])).stdout;
    await changeRemoteFile(runner, path, () => "[a]\n\tpath = /srv\n", { validate: "rsyncd" });
    await changeRemoteFile(runner, path, () => "[b]\n\tpath = /srv\n", { validate: "rsyncd" });
    assert.equal(await previousExists(), "yes\n");
    const before = runner.calls;
    await Promise.all(Array.from({ length: 5 }, () => discardPreviousVersionShared(runner, path)));
    assert.equal(runner.calls - before, 1, "five callers after one change: one round trip");
    assert.equal(await previousExists(), "no\n");
    await changeRemoteFile(runner, path, () => "[c]\n\tpath = /srv\n", { validate: "rsyncd" });
    const during = discardPreviousVersionShared(runner, path);
    await changeRemoteFile(runner, path, () => "[d]\n\tpath = /srv\n", { validate: "rsyncd" });
    await Promise.all([during, discardPreviousVersionShared(runner, path)]);
    assert.equal(runner.calls - before, 5, "a discard asked for after a later change is not the earlier one");
    assert.equal(await previousExists(), "no\n");
  });

  test("concurrent shared reads of one file are one round trip; none is shared past a change", async () => {
    await host.exec(["sh", "-c", `cat > ${RSYNCD_CONF}`], { input: ORIGINAL_RSYNCD });
    const runner = countingRunner(sshRunner(lab, host, pool));
    const reads = await Promise.all(Array.from({ length: 10 }, () => readRemoteFileShared(runner, RSYNCD_CONF)));
    assert.equal(runner.calls, 1);
    assert.ok(reads.every((read) => read.exists && read.content === ORIGINAL_RSYNCD));
    const during = readRemoteFileShared(runner, RSYNCD_CONF);
    await changeRemoteFile(runner, RSYNCD_CONF, (current) => `${current}[late]\n\tpath = /srv\n`, {
      validate: "rsyncd",
    });
    const after = await readRemoteFileShared(runner, RSYNCD_CONF);
    assert.ok(
      after.exists && after.content.endsWith("[late]\n\tpath = /srv\n"),
      "a read asked for after the change sees it",
    );
    await during;
  });

  test("paths with blanks, quotes, $(...) and ; are quoted everywhere", async () => {
    assert.equal((await host.exec(["mkdir", "-p", HOSTILE_DIR])).code, 0);
    const runner = sshRunner(lab, host, pool);
    const path = `${HOSTILE_DIR}/it's "a" $(file);.conf`;
    const written = await changeRemoteFile(runner, path, () => "[odd]\n\tpath = /srv\n", { validate: "rsyncd" });
    assert.equal(written.validation.method, "host");
    const read = await readRemoteFile(runner, path);
    assert.ok(read.exists);
    assert.equal(read.content, "[odd]\n\tpath = /srv\n");
    await changeRemoteFile(runner, path, () => ({ delete: true }), { validate: "rsyncd" });
    assert.deepEqual(await readRemoteFile(runner, path), { exists: false });
    const listing = await host.exec(["ls", "-A", HOSTILE_DIR]);
    assert.equal(listing.stdout, `.it's "a" $(file);.conf.lock\n.it's "a" $(file);.conf.previous\n`);
    assert.equal((await host.exec("ls /tmp/pwned /tmp/pwned2 /srv/file 2>/dev/null")).stdout, "");
  });

  test("a candidate the format layer rejects fails with every problem before anything is written", async () => {
    const runner = sshRunner(lab, host, pool);
    const before = await readRemoteFile(runner, RSYNCD_CONF);
    await assert.rejects(
      changeRemoteFile(runner, RSYNCD_CONF, () => "[bad/name]\n[]\n", { validate: "rsyncd" }),
      (error: Error) => error.name === "FormatError" && /2 problem|problem\(s\)/.test(error.message),
    );
    assert.deepEqual(await readRemoteFile(runner, RSYNCD_CONF), before);
  });

  test("without root the host cannot validate an xinetd candidate: library-only, and it says so", async () => {
    const runner = openHost(
      {
        connection: {
          host: host.address,
          user: lab.noSudoUser.name,
          privateKey: lab.noSudoUser.privateKey,
          hostKey: host.hostKeyLine,
        },
      },
      pool,
    );
    const path = `/home/${lab.noSudoUser.name}/myecho`;
    const change = await changeRemoteFile(runner, path, () => echoService("e-nonroot", 17300), {
      validate: "xinetd-service",
    });
    assert.equal(change.validation.method, "library-only");
    assert.match(change.validation.log ?? "", /not root/);
  });

  test("a non-root user with sudo changes root files, validated on the host", async () => {
    const runner = openHost(
      {
        connection: {
          host: host.address,
          user: lab.sudoUser.name,
          privateKey: lab.sudoUser.privateKey,
          hostKey: host.hostKeyLine,
        },
        sudo: true,
      },
      pool,
    );
    const change = await changeRemoteFile(runner, "/etc/xinetd.d/sudoecho", () => echoService("e-sudo", 17301), {
      validate: "xinetd-service",
    });
    assert.equal(change.validation.method, "host");
    assert.equal((await host.exec(["stat", "-c", "%U %a", "/etc/xinetd.d/sudoecho"])).stdout, "root 644\n");
  });

  test("a connection cut while the script waits for the new content: old file, lock released, retry works", async () => {
    const runner = sshRunner(lab, host, pool);
    const path = "/etc/rsyncd/cut.conf";
    await host.exec(["sh", "-c", `printf '[old]\\n\\tpath = /srv\\n' > ${path}`]);
    await assert.rejects(
      changeRemoteFile(
        runner,
        path,
        (current) => {
          // The script holds the lock and waits on stdin now: kill its sshd session process.
          killSshSessionOf(host, "cut.conf");
          return `${current}[new]\n\tpath = /srv\n`;
        },
        { validate: "rsyncd" },
      ),
      (error: unknown) => error instanceof RemoteError && error.code === "connection-lost",
    );
    const afterCut = await host.exec([
      "sh",
      "-c",
      `cat ${path}; ls -A /etc/rsyncd | grep -c tmp; flock -n -E 9 ${"/etc/rsyncd/.cut.conf.lock"} true; echo lock=$?`,
    ]);
    assert.equal(afterCut.stdout, "[old]\n\tpath = /srv\n0\nlock=0\n");
    const retry = await changeRemoteFile(runner, path, (current) => `${current}[new]\n\tpath = /srv\n`, {
      validate: "rsyncd",
    });
    assert.equal(retry.changed, true);
    assert.equal((await host.exec(["cat", path])).stdout, "[old]\n\tpath = /srv\n[new]\n\tpath = /srv\n");
  });
});

/** Kills, by pid, the sshd process that serves the session running the change script for `marker`. */
function killSshSessionOf(host: LabHost, marker: string): void {
  const table = execFileSync(
    "nsenter",
    ["-t", String(host.anchorPid), "-m", "-u", "-n", "--", "ps", "-eo", "pid=,ppid=,args="],
    { encoding: "utf8" },
  );
  const processes = table
    .trim()
    .split("\n")
    .map((line) => {
      const [pid, ppid, ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), args: args.join(" ") };
    });
  const script = processes.find(
    (p) => p.args.startsWith("sh -c") && p.args.includes(marker) && p.args.includes("flock"),
  );
  assert.ok(script, "the change script runs");
  // The script runs under coreutils `timeout`, which the session's shell became.
  let session = processes.find((p) => p.pid === script.ppid);
  while (session && !session.args.startsWith("sshd")) session = processes.find((p) => p.pid === session!.ppid);
  assert.ok(session, `the session of ${script.pid} is an sshd process`);
  process.kill(session.pid, "SIGKILL");
}

function echoService(id: string, port: number): string {
  return `service echo\n{\n\ttype = INTERNAL UNLISTED\n\tid = ${id}\n\tsocket_type = stream\n\tprotocol = tcp\n\tport = ${port}\n\twait = no\n}\n`;
}
