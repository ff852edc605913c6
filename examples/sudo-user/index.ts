/**
 * A host reached as a non-root user with passwordless sudo: `sudo: true` runs every command of
 * the library through `sudo -n`, and the install command goes through sudo as well.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { RsyncServer, XinetdService } from "pulumi-xinetd";

const config = new pulumi.Config();
const connection: command.types.input.remote.ConnectionArgs = {
  host: config.require("host"),
  // Needs `<user> ALL=(root) NOPASSWD: ALL` (or the commands the library runs) in sudoers.
  user: config.require("user"),
  privateKey: config.requireSecret("privateKey"),
  hostKey: config.get("hostKey"),
};

const prepareHost = new command.remote.Command("prepare-host", {
  connection,
  // `sudo -n` fails at once instead of waiting for a password prompt nobody answers.
  create: [
    "set -e",
    "command -v xinetd >/dev/null && command -v rsync >/dev/null ||",
    "  { sudo -n apt-get update -q && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q xinetd rsync; }",
    // Debian's standalone rsync daemon would take port 873 from xinetd.
    "if command -v systemctl >/dev/null; then sudo -n systemctl disable --now rsync.service >/dev/null 2>&1 || true; " +
      "fi",
    "sudo -n mkdir -p /srv/share",
  ].join("\n"),
});

const server = new RsyncServer(
  "share",
  {
    connection,
    sudo: true,
    modules: { share: { path: "/srv/share", comment: "Team share", readOnly: true } },
  },
  { dependsOn: [prepareHost] },
);

// An xinetd built-in next to rsync, reachable from the host itself only.
const daytime = new XinetdService(
  "daytime",
  {
    connection,
    sudo: true,
    serviceName: "daytime",
    type: ["INTERNAL"],
    socketType: "stream",
    wait: false,
    onlyFrom: ["127.0.0.1"],
  },
  { dependsOn: [prepareHost] },
);

export const listedModules = server.listedModules;
export const daytimeServiceFile = daytime.path;
