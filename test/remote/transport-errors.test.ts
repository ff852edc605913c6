import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, test } from "node:test";

import { commandFailedError, RemoteError, secretRedactor, summarizeCommand } from "../../src/remote/errors";
import { ConnectionPool, openHost } from "../../src/remote/ssh";

const PRIVATE_KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "QyNTUxOQAAACDkSecretKeyBodyLineNumberTwoXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");
const PASSWORD = "hunter2-pa$$word";
const PASSPHRASE = "correct horse battery staple";
const SECRET_STDIN = "alice:s3cr3t-alice\nbob:s3cr3t-bob\n";
const SECRET_FRAGMENTS = [
  PASSWORD,
  PASSPHRASE,
  "s3cr3t-alice",
  "s3cr3t-bob",
  ...PRIVATE_KEY.split("\n").filter((line) => line.length > 0),
];

/** Every way an error gets printed or shipped. */
function renderings(error: unknown): string[] {
  const remote = error as RemoteError;
  const cause = remote.cause as Error | undefined;
  return [
    remote.message,
    remote.shortMessage,
    String(remote.stack),
    JSON.stringify(remote),
    String(remote),
    inspect(remote, { depth: 5 }),
    String(remote.stderr),
    String(remote.stdout),
    remote.command,
    String(cause?.message),
    String(cause?.stack),
  ];
}

function assertNoSecret(error: unknown): void {
  for (const text of renderings(error)) {
    for (const fragment of SECRET_FRAGMENTS)
      assert.equal(text.includes(fragment), false, `"${fragment}" leaked into: ${text}`);
  }
}

describe("RemoteError", () => {
  test("is shaped like execa's errors: code, host, command, shortMessage, full message", () => {
    const error = commandFailedError("root@h:22", "test -d /etc/rsyncd\nrsync --daemon", {
      stdout: "out",
      stderr: "first\nrsync: bad config\n",
      exitCode: 2,
      signal: null,
    });
    assert.ok(error instanceof Error);
    assert.equal(error.name, "RemoteError");
    assert.equal(error.code, "command-failed");
    assert.equal(error.host, "root@h:22");
    assert.equal(error.command, "test -d /etc/rsyncd\nrsync --daemon");
    assert.equal(error.exitCode, 2);
    assert.equal(error.signal, null);
    assert.equal(error.stdout, "out");
    assert.equal(error.shortMessage, "root@h:22: command failed with exit code 2: test -d /etc/rsyncd …");
    assert.equal(error.message, `${error.shortMessage}\nstderr:\nfirst\nrsync: bad config`);
    assert.match(String(error.stack), /^RemoteError: root@h:22: command failed/);
  });

  test("keeps only the tail of a long stderr in the message", () => {
    const stderr = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n");
    const error = commandFailedError("root@h:22", "x", { stdout: "", stderr, exitCode: 1, signal: null });
    assert.match(error.message, /stderr:\n…\nline 80\n/);
    assert.doesNotMatch(error.message, /line 79\n/);
    assert.equal(error.stderr, stderr);
  });

  test("appends the cause and a signal", () => {
    const error = commandFailedError("u@h:22", "sleep 9", {
      stdout: "",
      stderr: "",
      exitCode: null,
      signal: "SIGTERM",
    });
    assert.equal(error.shortMessage, "u@h:22: command was killed by SIGTERM: sleep 9");
    const dial = new RemoteError({
      code: "dial-failed",
      host: "u@h:22",
      command: "connect",
      summary: "no",
      cause: new Error("ECONNREFUSED"),
    });
    assert.equal(dial.message, "u@h:22: no\ncause: ECONNREFUSED");
  });

  test("summarizes a long first line", () => {
    assert.equal(summarizeCommand(`echo ${"x".repeat(200)}`).length, 121);
    assert.equal(summarizeCommand("  one line  "), "one line");
  });

  test("redacts secrets an underlying library put anywhere, the cause included", () => {
    const cause = Object.assign(new Error(`Cannot parse privateKey: ${PRIVATE_KEY} (passphrase "${PASSPHRASE}")`), {
      level: "client-authentication",
      config: { password: PASSWORD, privateKey: PRIVATE_KEY },
    });
    cause.stack = `Error: password=${PASSWORD}\n    at ${PRIVATE_KEY.split("\n")[2]}`;
    const error = new RemoteError({
      code: "auth-failed",
      host: "root@h:22",
      command: "connect",
      summary: `denied with ${PASSWORD}`,
      stderr: `echoed: ${SECRET_STDIN}`,
      stdout: JSON.stringify({ key: PRIVATE_KEY }),
      cause,
      secrets: [PASSWORD, PRIVATE_KEY, PASSPHRASE, Buffer.from(SECRET_STDIN)],
    });
    assertNoSecret(error);
    assert.match(error.shortMessage, /denied with \[REDACTED\]/);
    assert.equal((error.cause as { level?: string }).level, "client-authentication");
    assert.equal("config" in (error.cause as object), false);
  });

  test("redacts any private key block, even one it was not told about", () => {
    assert.equal(secretRedactor([])(`x ${PRIVATE_KEY} y`), "x [REDACTED]\n y");
  });

  test("an unparsable private key fails as invalid-connection-args, without the key in it", async () => {
    const pool = new ConnectionPool();
    const runner = openHost(
      {
        connection: {
          host: "127.0.0.1",
          port: 9,
          privateKey: `not a key ${PRIVATE_KEY.slice(40)}`,
          privateKeyPassword: PASSPHRASE,
          password: PASSWORD,
          dialErrorLimit: 0,
        },
      },
      pool,
    );
    await assert.rejects(runner.run("true"), (error: RemoteError) => {
      assert.equal(error.code, "invalid-connection-args");
      assertNoSecret(error);
      return true;
    });
    await pool.closeAll();
  });

  test("a malformed host key line is refused before dialing", () => {
    assert.throws(
      () => openHost({ connection: { host: "h", privateKey: PRIVATE_KEY, hostKey: "ssh-ed25519 not-base64!" } }),
      (error: RemoteError) =>
        error.code === "invalid-connection-args" &&
        !renderings(error).some((text) => text.includes(PRIVATE_KEY.split("\n")[1]!)),
    );
  });
});
