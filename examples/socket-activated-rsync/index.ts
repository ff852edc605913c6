/**
 * An rsync daemon started by systemd socket activation: `rsync.socket` listens on 873 and starts
 * one `rsync@.service` per connection, for hosts without xinetd (RHEL 9, Fedora 34+) or by choice.
 * The rsyncd.conf and its module are as in the seed example.
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

// Only rsync is needed: systemd is the launcher. A host without systemd is refused before any file is written.
const prepareHost = new command.remote.Command("prepare-host", {
  connection,
  create: [
    "set -e",
    "command -v rsync >/dev/null ||",
    "  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync; }",
    // Debian's standalone rsync daemon would take port 873 from the socket.
    "systemctl disable --now rsync.service >/dev/null 2>&1 || true",
    `mkdir -p ${configPath.replace(/\/[^/]*$/, "")} ${modulePath}`,
  ].join("\n"),
});

const server = new RsyncServer(
  "socket-rsync",
  {
    connection,
    configPath,
    launcher: "systemd",
    global: { logFile: "/var/log/rsync.log" },
    modules: {
      pub: { path: modulePath, comment: "Public files", readOnly: true, useChroot: true },
    },
    // Overrides of the socket service; the defaults are xinetd's rsync service as systemd says it.
    socket: {
      instances: 50,
      perSource: 5,
      extra: { service: { ProtectSystem: "full", PrivateTmp: "yes" } },
    },
  },
  { dependsOn: [prepareHost] },
);

/** What `rsync rsync://localhost/` lists on the host once everything applied. */
export const listedModules = server.listedModules;
/** The socket unit's path on the host. */
export const socketUnit = server.service.socketPath;
/** The drop-ins (`systemctl edit rsync.socket`) a refresh found; their settings show as drift. */
export const dropIns = server.service.dropIns;
