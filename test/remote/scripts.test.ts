// The remote scripts without SSH or root: every script file is valid sh and clean under
// shellcheck as sent; the constant bootstrap runs identically in sh, bash, dash, zsh, fish and
// tcsh; and the read, change and secrets scripts do what they promise, through the local runner
// on a temp directory (locks, symlinks, directory permissions, secrets that never leave).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { BOOTSTRAP_SCRIPT, bootstrapCommandLine, bootstrapPreamble } from "../../src/remote/bootstrap";
import {
  changeRemoteFile,
  discardPreviousVersion,
  saltedChecksum,
  SECRET_CONTENT_WITHHELD,
} from "../../src/remote/change-file";
import { RemoteError } from "../../src/remote/errors";
import { LocalCommandRunner } from "../../src/remote/local-runner";
import { readRemoteFile } from "../../src/remote/read-file";
import { rsyncDiagnostics } from "../../src/remote/rsync";
import { REMOTE_SCRIPTS_DIR, remoteScript, type RemoteScriptName } from "../../src/remote/scripts";
import { inspectSecretsFile } from "../../src/remote/secrets-file";
import type { CommandRunner, RemoteProcess, RunResult } from "../../src/remote/transport";
import { findExecutable } from "../support/requirements";

const SHELLS = ["sh", "bash", "dash", "zsh", "fish", "tcsh"];
const missingTools = ["shellcheck", ...SHELLS, "flock", "timeout"].filter((name) => findExecutable(name) === null);
// Locally a missing tool skips loudly; on CI it fails.
const skip =
  missingTools.length > 0 && process.env.CI !== "true"
    ? `missing ${missingTools.join(", ")} (install them to run these tests)`
    : false;
if (skip) console.error(`SKIPPED test/remote/scripts.test.ts: ${skip}`);

/** Each script with exactly the parameters its caller gives it (shellcheck flags any unused one). */
const SCRIPTS_AS_SENT: Record<RemoteScriptName, Record<string, string>> = {
  "change-file": {
    target: "/etc/x",
    dir: "/etc",
    lock: "/etc/.x.lock",
    lock_wait: "60",
    previous: "/etc/.x.previous",
    temp_prefix: "/etc/.x.tmp.",
    mode: "644",
    owner: "",
    group: "",
    validate: "rsyncd",
    secret: "",
  },
  "discard-previous": { dir: "/etc", lock: "/etc/.x.lock", lock_wait: "60", previous: "/etc/.x.previous" },
  "restore-previous": {
    target: "/etc/x",
    dir: "/etc",
    lock: "/etc/.x.lock",
    lock_wait: "60",
    previous: "/etc/.x.previous",
    expect: "content",
    restore: "previous",
  },
  "read-file": { target: "/etc/x" },
  "inspect-secrets": { target: "/etc/x" },
  "detect-xinetd": { pid_file: "/run/xinetd.pid" },
  "reload-observe": {
    reload_command: "service xinetd reload",
    log_kind: "file",
    log_path: "/var/log/xinetd.log",
    pid_file: "/run/xinetd.pid",
  },
  "rsync-log-tail": { log_file: "/var/log/rsyncd.log", lines: "20" },
  "rsync-list-modules": { port: "873", connect_timeout: "10" },
  "doctor-probe": { port: "873", nonce: "0123abcd", lines: "300", max_files: "200" },
  "doctor-inspect": { nonce: "0123abcd", port: "873", lines: "40", connect_timeout: "5" },
  "systemd-read-units": {
    files: "/etc/systemd/system/x.socket\n/etc/systemd/system/x@.service",
    dropin_dirs: "/etc/systemd/system/x.socket.d",
  },
  "systemd-change-units": {
    lock: "/etc/systemd/system/.x.socket.lock",
    lock_wait: "60",
    unit_dir: "/etc/systemd/system",
    files: "/etc/systemd/system/x.socket\n/etc/systemd/system/x@.service",
    dropin_dirs: "/etc/systemd/system/x.socket.d",
    units: "x.socket\nx@.service",
    socket_unit: "x.socket",
    verify_unit: "x@verify.service",
    server: "/usr/bin/rsync",
    user: "root",
    group: "",
    unit_names: "x(\\.socket|@)",
  },
  "systemd-activate": { reload: "1" },
  "systemd-restore-units": { lock: "/etc/systemd/system/.x.socket.lock", lock_wait: "60", unit_dir: "/etc" },
  "systemd-remove-units": {
    lock: "/etc/systemd/system/.x.socket.lock",
    lock_wait: "60",
    unit_dir: "/etc/systemd/system",
    files: "/etc/systemd/system/x.socket\n/etc/systemd/system/x@.service",
    dropin_dirs: "/etc/systemd/system/x.socket.d",
    socket_unit: "x.socket",
    service_unit: "x@*.service",
  },
  "launcher-handover": {
    action: "to-systemd",
    xinetd_file: "/etc/xinetd.d/rsync",
    dir: "/etc/xinetd.d",
    lock: "/etc/xinetd.d/.rsync.lock",
    lock_wait: "60",
    previous: "/etc/xinetd.d/.rsync.previous",
    pid_file: "/run/xinetd.pid",
    reload: "systemctl reload xinetd",
    socket: "rsync.socket",
    service: "rsync@*.service",
    enable: "enable",
    port: "873",
    answer_timeout: "5",
    restore: "keep",
  },
};

describe("the remote scripts as artifacts", { skip }, () => {
  test("every script file is valid sh (sh -n)", () => {
    const files = fs.readdirSync(REMOTE_SCRIPTS_DIR).filter((name) => name.endsWith(".sh"));
    // Every script a caller sends plus the shared libraries, and no orphan file.
    const libraries = ["common", "target-file", "validators", "xinetd-pid", "systemd-show-units"];
    const expected = [...Object.keys(SCRIPTS_AS_SENT), ...libraries].map((name) => `${name}.sh`);
    assert.deepEqual(files.sort(), expected.sort());
    for (const file of files) {
      const result = spawnSync("sh", ["-n", join(REMOTE_SCRIPTS_DIR, file)], { encoding: "utf8" });
      assert.equal(result.status, 0, `${file}: ${result.stderr}`);
    }
  });

  for (const [name, parameters] of Object.entries(SCRIPTS_AS_SENT)) {
    test(`${name}.sh as sent passes sh -n and shellcheck`, () => {
      const script = remoteScript(name as RemoteScriptName, parameters);
      assert.ok(script.startsWith(`# ${name}.sh\n`), "the first line names the script (error summaries show it)");
      const syntax = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
      assert.equal(syntax.status, 0, syntax.stderr);
      const lint = spawnSync("shellcheck", ["--shell=sh", "--format=gcc", "-"], { input: script, encoding: "utf8" });
      assert.equal(lint.stdout + lint.stderr, "", "shellcheck is silent");
      assert.equal(lint.status, 0);
    });
  }

  test("a parameter value is only ever a quoted assignment, never code", () => {
    const marker = join(tmpdir(), `pxs-marker-${randomBytes(4).toString("hex")}`);
    const hostile = `/tmp/x'; touch ${marker}; '$(touch ${marker})\`touch ${marker}\`\ntouch ${marker}`;
    const result = spawnSync("sh", ["-c", `${remoteScript("read-file", { target: hostile })}`], { encoding: "utf8" });
    assert.equal(result.stdout, "ABSENT\n");
    assert.equal(fs.existsSync(marker), false);
    assert.throws(() => remoteScript("read-file", { "x; touch /tmp/y": "v" }), TypeError);
  });
});

describe("the constant bootstrap in every login shell", { skip }, () => {
  test("the command line holds nothing any of the shells would interpret inside its quotes", () => {
    for (const sudo of [false, true]) {
      const line = bootstrapCommandLine(sudo);
      const inner = line.slice(line.indexOf("'") + 1, -1);
      assert.equal(inner, BOOTSTRAP_SCRIPT);
      assert.doesNotMatch(inner, /['\\!`\n]/);
    }
  });

  // A script that shows its name, its arguments, one stdin line, then counts the rest of stdin.
  const probe = `# probe\nprintf '[%s] [%s]\\n' "$0" "$#"\nIFS= read -r first\nprintf 'first=%s\\n' "$first"\nrest=$(wc -c)\necho "rest=$rest"\n`;
  const expected = "[pulumi-xinetd] [0]\nfirst=it's $HOME `x` !1 \\n\nrest=1048576\n";

  for (const shell of SHELLS) {
    test(`${shell} runs it as sh does, with the script's stdin intact after the script`, async () => {
      const runner = new LocalCommandRunner({ shell });
      // A long script (past any pipe buffer) and 1 MiB of data after the first line.
      const padding = `# ${"p".repeat(200)}\n`.repeat(500);
      const stdin = Buffer.concat([Buffer.from("it's $HOME `x` !1 \\n\n"), Buffer.alloc(1024 * 1024, 0x61)]);
      const result = await runner.run(padding + probe, { stdin });
      assert.equal(result.stderr, "");
      assert.equal(result.stdout, expected);
      assert.equal(result.exitCode, 0);
    });
  }

  test("the interactive exchange of a spawned script works in fish and tcsh too", async () => {
    for (const shell of ["fish", "tcsh"]) {
      const remote = await new LocalCommandRunner({ shell }).spawn('echo ready; read -r answer; echo "got $answer"');
      const output = collectStream(remote.stdout);
      remote.stdin.end("yes\n");
      await remote.done;
      assert.equal(await output, "ready\ngot yes\n", shell);
    }
  });

  test("the host stops a script at its time limit (timeout in the bootstrap), its children too", async () => {
    const pidFile = join(tmpdir(), `pxs-pid-${randomBytes(4).toString("hex")}`);
    // Straight through the bootstrap with a 1 s limit in the header: nothing on the client side.
    const child = spawn("sh", ["-c", bootstrapCommandLine(false)], { stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end(bootstrapPreamble(`sleep 300 & echo $! > ${pidFile}; wait`, 1000));
    const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    assert.equal(status, 124, "coreutils timeout's status");
    const sleeper = Number(fs.readFileSync(pidFile, "utf8"));
    await waitUntil(() => !processRuns(sleeper));
    fs.rmSync(pidFile);
  });

  test("the client gives up at the time limit with a timeout error", async () => {
    const error = await new LocalCommandRunner().run("sleep 300", { timeoutMs: 500 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RemoteError && error.code === "timeout", String(error));
  });

  test("a header or script cut short runs nothing and ends the bootstrap with 125", async () => {
    const marker = join(tmpdir(), `pxs-cut-${randomBytes(4).toString("hex")}`);
    const whole = bootstrapPreamble(`touch ${marker}\necho more`, 5000);
    for (const cut of [Buffer.alloc(0), whole.subarray(0, 3), whole.subarray(0, whole.length - 4)]) {
      const child = spawn("sh", ["-c", bootstrapCommandLine(false)], { stdio: ["pipe", "ignore", "ignore"] });
      child.stdin.end(cut);
      assert.equal(await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code))), 125);
      assert.equal(fs.existsSync(marker), false);
    }
  });
});

describe("read, change and secrets scripts through the local runner", { skip }, () => {
  let base: string;
  const runner = new LocalCommandRunner();
  let dir: string;

  before(() => {
    base = fs.mkdtempSync(join(tmpdir(), "pxs-"));
    fs.chmodSync(base, 0o755);
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  const freshDir = (mode = 0o755): string => {
    dir = fs.mkdtempSync(join(base, "d-"));
    fs.chmodSync(dir, mode);
    return dir;
  };

  test("create, read back, change with the previous version kept, delete", async () => {
    const path = join(freshDir(), "one.conf");
    assert.deepEqual(await readRemoteFile(runner, path), { exists: false });
    const first = await changeRemoteFile(runner, path, () => "[a]\n\tpath = /srv\n", {
      validate: "rsyncd",
      mode: 0o640,
    });
    assert.equal(first.changed, true);
    const read = await readRemoteFile(runner, path);
    assert.ok(read.exists);
    assert.deepEqual([read.content, read.mode], ["[a]\n\tpath = /srv\n", 0o640]);
    const second = await changeRemoteFile(runner, path, (current) => `${current}\tcomment = two\n`, {
      validate: "rsyncd",
    });
    assert.equal(second.previous, "[a]\n\tpath = /srv\n");
    assert.equal(fs.readFileSync(join(dir, ".one.conf.previous"), "utf8"), "[a]\n\tpath = /srv\n");
    assert.equal(fs.statSync(join(dir, ".one.conf.lock")).mode & 0o7777, 0o600);
    await changeRemoteFile(runner, path, () => ({ delete: true }), { validate: "rsyncd" });
    assert.equal(fs.existsSync(path), false);
  });

  test("quotes, $(), backticks and newlines in a path are data: no command runs", async () => {
    // Relative: a file name cannot hold a `/`. The scripts run in this process's directory.
    const marker = `pxs-marker-${randomBytes(4).toString("hex")}`;
    const name = `a'b $(touch ${marker}) \`touch ${marker}\` ;touch ${marker}\nc.conf`;
    const path = join(freshDir(), name);
    try {
      await changeRemoteFile(runner, path, () => "hello\n", { validate: "none" });
      assert.equal(fs.readFileSync(path, "utf8"), "hello\n");
      const read = await readRemoteFile(runner, path);
      assert.ok(read.exists && read.content === "hello\n");
      assert.equal(fs.existsSync(marker), false);
    } finally {
      fs.rmSync(marker, { force: true });
    }
  });

  test("a pre-existing 0644 lock becomes 0600", async () => {
    const path = join(freshDir(), "locked.conf");
    fs.writeFileSync(join(dir, ".locked.conf.lock"), "", { mode: 0o644 });
    fs.chmodSync(join(dir, ".locked.conf.lock"), 0o644);
    await changeRemoteFile(runner, path, () => "x\n", { validate: "none" });
    assert.equal(fs.statSync(join(dir, ".locked.conf.lock")).mode & 0o7777, 0o600);
  });

  test("a held lock is waited for at most lockWaitSeconds, and the error names the lock file", async () => {
    const path = join(freshDir(), "held.conf");
    const lock = join(dir, ".held.conf.lock");
    fs.writeFileSync(lock, "", { mode: 0o600 });
    const holder = spawn("flock", [lock, "sleep", "300"], { stdio: "ignore" });
    try {
      await waitUntil(() => spawnSync("flock", ["-n", lock, "true"]).status !== 0);
      const error = await changeRemoteFile(runner, path, () => "x\n", { validate: "none", lockWaitSeconds: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof RemoteError, String(error));
      assert.match(error.message, /gave up after 1 s waiting for the lock file .*\.held\.conf\.lock/);
      assert.equal(fs.existsSync(path), false);
    } finally {
      holder.kill("SIGKILL");
    }
  });

  test("a symlink at the lock is refused and what it points to is untouched", async () => {
    const path = join(freshDir(), "s.conf");
    const victim = join(base, "victim-lock");
    fs.writeFileSync(victim, "victim\n", { mode: 0o644 });
    fs.symlinkSync(victim, join(dir, ".s.conf.lock"));
    const error = await changeRemoteFile(runner, path, () => "x\n", { validate: "none" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RemoteError);
    assert.match(error.message, /refusing .*\.s\.conf\.lock: it is a symbolic link/);
    assert.equal(fs.readFileSync(victim, "utf8"), "victim\n");
    assert.equal(fs.statSync(victim).mode & 0o7777, 0o644);
    assert.equal(fs.existsSync(path), false);
  });

  test("a symlink at the previous version is refused and what it points to is untouched", async () => {
    const path = join(freshDir(), "p.conf");
    fs.writeFileSync(path, "old\n");
    const victim = join(base, "victim-previous");
    fs.writeFileSync(victim, "victim\n");
    fs.symlinkSync(victim, join(dir, ".p.conf.previous"));
    const error = await changeRemoteFile(runner, path, () => "new\n", { validate: "none" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RemoteError);
    assert.match(error.message, /refusing .*\.p\.conf\.previous: it is a symbolic link/);
    assert.equal(fs.readFileSync(victim, "utf8"), "victim\n");
    assert.equal(fs.readFileSync(path, "utf8"), "old\n");
  });

  test("a target that is a symlink is refused for reads and changes; the file it points to is untouched", async () => {
    const real = join(freshDir(), "real.conf");
    fs.writeFileSync(real, "real\n");
    const link = join(dir, "link.conf");
    fs.symlinkSync(real, link);
    const change = await changeRemoteFile(runner, link, () => "new\n", { validate: "none" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(change instanceof RemoteError);
    assert.match(
      change.message,
      /refusing .*link\.conf: it is a symbolic link \(to .*real\.conf\); set the path to the file it points to/,
    );
    const read = await readRemoteFile(runner, link).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(read instanceof RemoteError);
    assert.match(read.message, /symbolic link/);
    assert.equal(fs.readFileSync(real, "utf8"), "real\n");
    assert.ok(fs.lstatSync(link).isSymbolicLink());
  });

  test("a group- or other-writable directory without the sticky bit is refused; with it, accepted", async () => {
    for (const mode of [0o777, 0o775, 0o757]) {
      const path = join(freshDir(mode), "w.conf");
      const error = await changeRemoteFile(runner, path, () => "x\n", { validate: "none" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof RemoteError, mode.toString(8));
      assert.match(error.message, /refusing to change files in .*: its mode \d+ lets other users replace them/);
      assert.equal(fs.readdirSync(dir).length, 0, "nothing was created, not even the lock");
    }
    const sticky = join(freshDir(0o1777), "t.conf");
    const change = await changeRemoteFile(runner, sticky, () => "x\n", { validate: "none" });
    assert.equal(change.changed, true);
  });

  test("secret: the old content never reaches the caller, no previous version at any point, salted checksum", async () => {
    const path = join(freshDir(), "rsyncd.secrets");
    const recording = recordingRunner(runner);
    const salt = randomBytes(16).toString("hex");
    const oldContent = "alice:old-password-1\n";
    const first = await changeRemoteFile(
      recording,
      path,
      (current) => {
        assert.equal(current, undefined);
        return oldContent;
      },
      { validate: "none", mode: 0o600, secret: { salt } },
    );
    assert.equal(first.changed, true);
    let seen: string | undefined;
    const second = await changeRemoteFile(
      recording,
      path,
      (current) => {
        seen = current;
        return "alice:new-password-2\n";
      },
      { validate: "none", mode: 0o600, secret: { salt } },
    );
    assert.equal(seen, SECRET_CONTENT_WITHHELD);
    assert.equal(second.previous, SECRET_CONTENT_WITHHELD);
    assert.equal(fs.readFileSync(path, "utf8"), "alice:new-password-2\n");
    assert.deepEqual(fs.readdirSync(dir).sort(), [".rsyncd.secrets.lock", "rsyncd.secrets"]);
    // Unchanged content is recognized by its salted checksum: no write.
    const same = await changeRemoteFile(recording, path, () => "alice:new-password-2\n", {
      validate: "none",
      mode: 0o600,
      secret: { salt },
    });
    assert.equal(same.changed, false);
    const inspected = await inspectSecretsFile(recording, path, salt);
    assert.ok(inspected.exists);
    assert.equal(inspected.checksum, saltedChecksum(salt, "alice:new-password-2\n"));
    const otherSalt = await inspectSecretsFile(recording, path, randomBytes(16).toString("hex"));
    assert.ok(
      otherSalt.exists && otherSalt.checksum !== inspected.checksum,
      "another salt, another checksum for the same content",
    );
    const legacy = await inspectSecretsFile(recording, path);
    assert.ok(
      legacy.exists && legacy.checksum === saltedChecksum("", "alice:new-password-2\n"),
      "no salt: the plain sha256 of old states",
    );
    await changeRemoteFile(recording, path, () => ({ delete: true }), { validate: "none", secret: { salt } });
    assert.deepEqual(fs.readdirSync(dir), [".rsyncd.secrets.lock"]);
    const received = recording.received();
    for (const secret of ["old-password-1", "new-password-2", salt])
      assert.equal(received.includes(secret), false, `${secret} never came back`);
    assert.equal(
      recording.scripts().some((script) => script.includes(salt)),
      false,
      "the salt is never in a script",
    );
  });

  test("rsync diagnostics tail the daemon's log file", async () => {
    const config = join(freshDir(), "rsyncd.conf");
    const log = join(dir, "rsyncd.log");
    fs.writeFileSync(config, `log file = ${log}\n`);
    fs.writeFileSync(log, Array.from({ length: 30 }, (_, i) => `line ${i}\n`).join(""));
    const diagnostics = await rsyncDiagnostics(runner, config);
    assert.equal(
      diagnostics,
      `last lines of ${log} (rsync daemon of ${config}):\n${Array.from({ length: 20 }, (_, i) => `line ${i + 10}`).join("\n")}`,
    );
  });

  test("discarding the previous version removes a symlink itself, never what it points to", async () => {
    const path = join(freshDir(), "d.conf");
    const victim = join(base, "victim-discard");
    fs.writeFileSync(victim, "victim\n");
    fs.symlinkSync(victim, join(dir, ".d.conf.previous"));
    await discardPreviousVersion(runner, path);
    assert.equal(fs.existsSync(join(dir, ".d.conf.previous")), false);
    assert.equal(fs.readFileSync(victim, "utf8"), "victim\n");
  });
});

/** A runner that keeps every script it sends and everything the scripts print. */
function recordingRunner(inner: CommandRunner): CommandRunner & { received(): string; scripts(): string[] } {
  const output: Buffer[] = [];
  const sent: string[] = [];
  return {
    label: inner.label,
    identity: inner.identity,
    received: () => Buffer.concat(output).toString("utf8"),
    scripts: () => sent,
    async run(script, options) {
      sent.push(script);
      const result: RunResult = await inner.run(script, options);
      output.push(Buffer.from(result.stdout), Buffer.from(result.stderr));
      return result;
    },
    async spawn(script, options) {
      sent.push(script);
      const remote: RemoteProcess = await inner.spawn(script, options);
      remote.stdout.on("data", (chunk: Buffer) => output.push(Buffer.from(chunk)));
      remote.stderr.on("data", (chunk: Buffer) => output.push(Buffer.from(chunk)));
      return remote;
    },
  };
}

function collectStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8"))));
}

/** Alive and not a zombie waiting for its new parent to reap it. */
function processRuns(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("condition not reached within 5 s");
}
