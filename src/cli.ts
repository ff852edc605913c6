#!/usr/bin/env node
/**
 * `pulumi-xinetd doctor HOST`: why rsync does (not) answer on HOST, from the host's own evidence.
 * Exit status: 0 when no finding is an error, 1 when one is, 2 when the host could not be examined.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { diagnoseRsyncHost, renderReport } from "./doctor";
import { closeAll } from "./remote/ssh";
import type { ConnectionArgs, HostKeyChecking } from "./remote/transport";

const USAGE = `usage: pulumi-xinetd doctor HOST [options]
  --user NAME            SSH user (default: root)
  --port N               SSH port (default: 22)
  --identity FILE        private key file (default: the ssh-agent at SSH_AUTH_SOCK)
  --host-key LINE        the host's public key (\`ssh-ed25519 AAAA…\`); the only key trusted
  --known-hosts FILE     a known_hosts file to trust (repeatable; default: ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts)
  --host-key-checking M  strict (default), accept-new or off, as OpenSSH's StrictHostKeyChecking
  --sudo                 run the checks through \`sudo -n\`
  --rsync-port N         the rsync daemon's port (default: 873)
  --config PATH          the rsyncd.conf (default: the one the serving launcher names, else /etc/rsyncd.conf)
  --no-probe-here        do not speak the rsync greeting from this machine
  --json                 print the diagnosis as JSON`;

function fail(message: string): never {
  process.stderr.write(`pulumi-xinetd: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function portOf(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`\`--${name}\` must be a TCP port (1 to 65535)`);
  return port;
}

async function doctor(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      user: { type: "string" },
      port: { type: "string" },
      identity: { type: "string" },
      "host-key": { type: "string" },
      "known-hosts": { type: "string", multiple: true },
      "host-key-checking": { type: "string" },
      sudo: { type: "boolean" },
      "rsync-port": { type: "string" },
      config: { type: "string" },
      "no-probe-here": { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const [host, ...rest] = positionals;
  if (host === undefined || rest.length > 0) fail("give exactly one HOST");
  const checking = values["host-key-checking"];
  if (checking !== undefined && !["strict", "accept-new", "off"].includes(checking)) {
    fail("`--host-key-checking` must be strict, accept-new or off");
  }
  const sshPort = portOf(values.port, "port");
  const connection: ConnectionArgs = {
    host,
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(sshPort === undefined ? {} : { port: sshPort }),
    ...(values.identity === undefined ? {} : { privateKey: readFileSync(values.identity, "utf8") }),
    ...(values["host-key"] === undefined ? {} : { hostKey: values["host-key"] }),
    ...(values["known-hosts"] === undefined ? {} : { knownHostsFiles: values["known-hosts"] }),
    ...(checking === undefined ? {} : { hostKeyChecking: checking as HostKeyChecking }),
  };
  const rsyncPort = portOf(values["rsync-port"], "rsync-port");
  try {
    const diagnosis = await diagnoseRsyncHost(connection, {
      sudo: values.sudo === true,
      ...(rsyncPort === undefined ? {} : { rsyncPort }),
      ...(values.config === undefined ? {} : { configPath: values.config }),
      probeFromHere: values["no-probe-here"] !== true,
    });
    process.stdout.write(values.json ? `${JSON.stringify(diagnosis, null, 2)}\n` : renderReport(diagnosis));
    return diagnosis.findings.some((item) => item.severity === "error") ? 1 : 0;
  } catch (error) {
    process.stderr.write(`pulumi-xinetd doctor: could not examine ${host}: ${(error as Error).message}\n`);
    return 2;
  } finally {
    await closeAll();
  }
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "doctor") return doctor(rest);
  if (command === "--help" || command === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  fail(command === undefined ? "no command" : `unknown command ${command}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`pulumi-xinetd: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
