/**
 * The seed scenario: the rsync daemon operators run today from /etc/xinetd.d/rsync and
 * /etc/rsyncd/rsyncd.conf, managed as code on one host.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { RsyncServer } from "pulumi-xinetd";

const config = new pulumi.Config();
const connection: command.types.input.remote.ConnectionArgs = {
  host: config.require("host"),
  port: config.getNumber("port") ?? 22,
  user: config.get("user") ?? "root",
  privateKey: config.requireSecret("privateKey"),
  // Without it the host must be listed in ~/.ssh/known_hosts (or /etc/ssh/ssh_known_hosts) for
  // this package's resources; @pulumi/command does not check the key at all.
  hostKey: config.get("hostKey"),
};

const configPath = "/etc/rsyncd/rsyncd.conf";
const modulePath = "/srv/rsync/pub";

// A fresh host has neither daemon, nor the directories the files and the module live in.
const prepareHost = new command.remote.Command("prepare-host", {
  connection,
  create: [
    "set -e",
    "command -v xinetd >/dev/null && command -v rsync >/dev/null ||",
    "  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q xinetd rsync; }",
    // Debian's standalone rsync daemon would take port 873 from xinetd.
    "if command -v systemctl >/dev/null; then systemctl disable --now rsync.service >/dev/null 2>&1 || true; fi",
    `mkdir -p ${configPath.replace(/\/[^/]*$/, "")} ${modulePath}`,
  ].join("\n"),
});

const server = new RsyncServer(
  "seed",
  {
    connection,
    configPath,
    // The global part of the seed's rsyncd.conf.
    global: {
      pidFile: "/var/run/rsyncd.pid",
      lockFile: "/var/run/rsync.lock",
      logFile: "/var/log/rsync.log",
      port: 873,
    },
    modules: {
      pub: { path: modulePath, comment: "Public files", readOnly: true, useChroot: true },
    },
    // RsyncServer writes the seed's xinetd service by default (`log_on_failure += USERID`
    // included); the seed also sets `flags = IPv6`.
    xinetd: { flags: ["IPv6"] },
  },
  { dependsOn: [prepareHost] },
);

/** What `rsync rsync://localhost/` lists on the host once everything applied. */
export const listedModules = server.listedModules;
/** The xinetd service file as written. */
export const xinetdServiceFile = server.service.content;
