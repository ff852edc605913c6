// known_hosts parsing and verdicts, table-driven; the hashed lines are `ssh-keygen -H` output and
// each lookup's expectation agrees with `ssh-keygen -F` on the same file.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { judgeHostKey, knownHostsName, parseKnownHosts, type HostKeyVerdict } from "../../src/remote/ssh/known-hosts";
import { fingerprintOf, parseHostKeyLine } from "../../src/remote/ssh/target";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBAXTNUQsAPOKrBcB8lvKTS+PTBW+suQiv6QwC39AUbR";
const OTHER = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBhsDd4NO5PBF+Tg7OtcJN79DaqJ9xh+iTPfti829WW9";
const blob = (line: string) => parseHostKeyLine(line)!.blob;

// `ssh-keygen -H` of "10.1.2.3 KEY", "[10.1.2.3]:2222 KEY" and "Web.Example.org KEY".
const HASHED = [
  `|1|kPDgRNwaT0JmrJab4J4g555vVDM=|NGI72WcSAfx5S1Bl09A/62G2HVs= ${KEY}`,
  `|1|0wnJyl1sgozURoUIWaRJj12yVxY=|BzITNGG/E+hciRfa/Q7cgWJy27M= ${KEY}`,
  `|1|DzCg692R1r1/Af+7izyKXte1cRQ=|0wA3fv66lB3pIbFvdZbbyjH/u/k= ${KEY}`,
].join("\n");

const verdictOf = (file: string, host: string, port: number, key = KEY): HostKeyVerdict["kind"] =>
  judgeHostKey(parseKnownHosts(file, "kh"), host, port, blob(key)).kind;

describe("known_hosts", () => {
  test("fingerprints are OpenSSH's (ssh-keygen -lf)", () => {
    assert.equal(fingerprintOf(blob(KEY)), "SHA256:0YLm0efsGhAmwdGroonBXVdu2UDNjZ72ohJ0nhW6mq8");
    assert.equal(fingerprintOf(blob(OTHER)), "SHA256:01FcKHXi0LOgvPbSbTLIRV8JqVLhXbbANn+6NtAHixc");
  });

  test("the lookup name: bare on port 22, [host]:port otherwise, lower case", () => {
    assert.equal(knownHostsName("Web.Example.org", 22), "web.example.org");
    assert.equal(knownHostsName("10.1.2.3", 2222), "[10.1.2.3]:2222");
  });

  const cases: Array<[string, string, string, number, string, HostKeyVerdict["kind"]]> = [
    ["plain name", `10.1.2.3 ${KEY}`, "10.1.2.3", 22, KEY, "known"],
    ["plain name, other key", `10.1.2.3 ${KEY}`, "10.1.2.3", 22, OTHER, "changed"],
    ["plain name, other host", `10.1.2.4 ${KEY}`, "10.1.2.3", 22, KEY, "unknown"],
    ["a bare name does not cover another port", `10.1.2.3 ${KEY}`, "10.1.2.3", 2222, KEY, "unknown"],
    ["[host]:port", `[10.1.2.3]:2222 ${KEY}`, "10.1.2.3", 2222, KEY, "known"],
    ["[host]:port does not cover port 22", `[10.1.2.3]:2222 ${KEY}`, "10.1.2.3", 22, KEY, "unknown"],
    ["comma-separated names", `a.example,10.1.2.3,b.example ${KEY}`, "10.1.2.3", 22, KEY, "known"],
    ["names are case-insensitive", `WEB.example.ORG ${KEY}`, "web.EXAMPLE.org", 22, KEY, "known"],
    ["hashed name", HASHED, "10.1.2.3", 22, KEY, "known"],
    ["hashed [host]:port", HASHED, "10.1.2.3", 2222, KEY, "known"],
    ["hashed name, looked up in another case", HASHED, "WEB.example.org", 22, KEY, "known"],
    ["hashed name, other key", HASHED, "10.1.2.3", 22, OTHER, "changed"],
    ["hashed, other host", HASHED, "10.1.2.4", 22, KEY, "unknown"],
    ["wildcard *", `10.1.2.* ${KEY}`, "10.1.2.3", 22, KEY, "known"],
    ["wildcard ?", `10.1.2.? ${KEY}`, "10.1.2.33", 22, KEY, "unknown"],
    ["wildcard in [host]:port", `[*.example]:2222 ${KEY}`, "db.example", 2222, KEY, "known"],
    ["negation wins over a match", `10.1.2.*,!10.1.2.3 ${KEY}`, "10.1.2.3", 22, KEY, "unknown"],
    ["negation of another host", `10.1.2.*,!10.1.2.4 ${KEY}`, "10.1.2.3", 22, KEY, "known"],
    ["any matching line accepts", `10.1.2.3 ${OTHER}\n10.1.2.3 ${KEY}`, "10.1.2.3", 22, KEY, "known"],
    ["@revoked key", `10.1.2.3 ${KEY}\n@revoked * ${KEY}`, "10.1.2.3", 22, KEY, "revoked"],
    ["@revoked for another host only", `10.1.2.3 ${KEY}\n@revoked 10.9.9.9 ${KEY}`, "10.1.2.3", 22, KEY, "known"],
    ["@revoked other key", `10.1.2.3 ${KEY}\n@revoked * ${OTHER}`, "10.1.2.3", 22, KEY, "known"],
    ["@cert-authority alone is not trust", `@cert-authority *.example ${KEY}`, "a.example", 22, KEY, "unknown"],
    [
      "comments, blanks, an unknown marker and bad keys are skipped",
      `# 10.1.2.3 ${OTHER}\n\n@future 10.1.2.3 ${OTHER}\n10.1.2.3 ssh-ed25519 not!base64\n10.1.2.3 ${KEY} comment`,
      "10.1.2.3",
      22,
      KEY,
      "known",
    ],
  ];
  for (const [name, file, host, port, key, expected] of cases) {
    test(name, () => assert.equal(verdictOf(file, host, port, key), expected));
  }

  test("a changed key names every expected line with its file and line number", () => {
    const verdict = judgeHostKey(
      parseKnownHosts(`# x\n10.1.2.3 ${KEY}`, "/k/known_hosts"),
      "10.1.2.3",
      22,
      blob(OTHER),
    );
    assert.equal(verdict.kind, "changed");
    assert.deepEqual(
      verdict.kind === "changed" && verdict.expected.map((entry) => [entry.key.fingerprint, entry.source]),
      [[fingerprintOf(blob(KEY)), "/k/known_hosts:2"]],
    );
  });

  test("an unknown host reports the @cert-authority lines that name it", () => {
    const verdict = judgeHostKey(
      parseKnownHosts(`@cert-authority *.example ${OTHER}`, "kh"),
      "a.example",
      22,
      blob(KEY),
    );
    assert.deepEqual(verdict.kind === "unknown" && verdict.certificateAuthorities.map((entry) => entry.source), [
      "kh:1",
    ]);
  });
});
