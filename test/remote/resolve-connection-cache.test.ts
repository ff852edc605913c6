// resolveConnection keeps its results: equal arguments share one resolution, and every input the
// resolution depends on (each argument, the keys accepted earlier, SSH_AUTH_SOCK, the home
// directory) gives a fresh one when it changes. Arguments that JSON would conflate with valid ones
// (NaN, a function) are still refused.
import assert from "node:assert/strict";
import { test } from "node:test";

import { RemoteError } from "../../src/remote/errors";
import { resolveConnection } from "../../src/remote/ssh/target";
import type { ConnectionArgs } from "../../src/remote/transport";

const BASE: ConnectionArgs = {
  host: "192.0.2.7",
  port: 2222,
  user: "deploy",
  password: "pw-1",
  hostKeyChecking: "accept-new",
  knownHostsFiles: ["~/known_hosts"],
  proxy: { host: "192.0.2.8", password: "pw-proxy" },
};
const ACCEPTED = "[192.0.2.7]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

function withEnv<T>(name: string, value: string | undefined, run: () => T): T {
  const saved = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

function refused(args: unknown): boolean {
  try {
    resolveConnection(args as ConnectionArgs);
    return false;
  } catch (error) {
    assert.ok(error instanceof RemoteError && error.code === "invalid-connection-args", String(error));
    return true;
  }
}

test("equal arguments share one resolution", () => {
  const first = resolveConnection(structuredClone(BASE), { host: ACCEPTED });
  const second = resolveConnection(structuredClone(BASE), { host: ACCEPTED });
  assert.equal(second, first);
  assert.equal(first.trust.policy === "accept-new" && first.trust.accepted?.line, ACCEPTED);
});

test("a change of any input resolves afresh, and the result follows the change", () => {
  const base = resolveConnection(structuredClone(BASE));
  const changes: [string, () => ReturnType<typeof resolveConnection>, (r: typeof base) => boolean][] = [
    ["port", () => resolveConnection({ ...BASE, port: 2223 }), (r) => r.port === 2223],
    ["user", () => resolveConnection({ ...BASE, user: "other" }), (r) => r.user === "other"],
    ["password", () => resolveConnection({ ...BASE, password: "pw-2" }), (r) => r.password === "pw-2"],
    [
      "knownHostsFiles",
      () => resolveConnection({ ...BASE, knownHostsFiles: ["/etc/kh"] }),
      (r) => r.trust.policy === "accept-new" && r.trust.knownHostsFiles[0] === "/etc/kh",
    ],
    [
      "proxy",
      () => resolveConnection({ ...BASE, proxy: { host: "192.0.2.9", password: "pw-proxy" } }),
      (r) => r.proxy?.host === "192.0.2.9",
    ],
    [
      "acceptedHostKeys",
      () => resolveConnection(BASE, { host: ACCEPTED }),
      (r) => r.trust.policy === "accept-new" && r.trust.accepted?.line === ACCEPTED,
    ],
    [
      "SSH_AUTH_SOCK",
      () => withEnv("SSH_AUTH_SOCK", "/run/agent.sock", () => resolveConnection(BASE)),
      (r) => r.agentSocketPath === "/run/agent.sock",
    ],
    [
      "HOME",
      () => withEnv("HOME", "/home/elsewhere", () => resolveConnection(BASE)),
      (r) => r.trust.policy === "accept-new" && r.trust.knownHostsFiles[0] === "/home/elsewhere/known_hosts",
    ],
  ];
  for (const [what, resolve, follows] of changes) {
    const changed = resolve();
    assert.notEqual(changed, base, what);
    assert.ok(follows(changed), what);
    assert.equal(resolveConnection(structuredClone(BASE)), base, `${what}: the first resolution is still kept`);
  }
});

test("values JSON would conflate with valid ones are not taken for them", () => {
  assert.equal(refused(BASE), false);
  assert.equal(refused({ ...BASE, port: Number.NaN }), true);
  assert.equal(refused({ ...BASE, port: null }), true);
  const { user: _user, ...withoutUser } = BASE;
  assert.equal(
    resolveConnection({ ...BASE, user: undefined }),
    resolveConnection(withoutUser),
    "an undefined field reads as an absent one",
  );
  const { password: _password, ...withKey } = { ...BASE, privateKey: "key text" };
  const keyOnly = resolveConnection(withKey);
  // JSON.stringify leaves a function out: keyed by it, these arguments would be taken for `withKey`.
  const withFunction = resolveConnection({ ...withKey, password: () => "pw-1" } as unknown as ConnectionArgs);
  assert.notEqual(withFunction, keyOnly);
  assert.equal(typeof withFunction.password, "function");
});
