/**
 * Several rsync modules on one host: a public read-only mirror, and two modules that ask for a
 * password (users in an RsyncSecrets file) and accept clients from the office network only.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { RsyncModule, RsyncSecrets, RsyncServer } from "pulumi-xinetd";

const config = new pulumi.Config();
const connection: command.types.input.remote.ConnectionArgs = {
  host: config.require("host"),
  user: config.get("user") ?? "root",
  privateKey: config.requireSecret("privateKey"),
  hostKey: config.get("hostKey"),
};
/** Networks allowed to the password-protected modules. */
const officeNetworks = config.getObject<string[]>("officeNetworks") ?? ["10.0.0.0/8", "192.168.0.0/16"];
const secretsPath = "/etc/rsyncd.secrets";

const prepareHost = new command.remote.Command("prepare-host", {
  connection,
  create: [
    "set -e",
    "command -v xinetd >/dev/null && command -v rsync >/dev/null ||",
    "  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q xinetd rsync; }",
    // Debian's standalone rsync daemon would take port 873 from xinetd.
    "if command -v systemctl >/dev/null; then systemctl disable --now rsync.service >/dev/null 2>&1 || true; fi",
    "mkdir -p /srv/mirror /srv/backup /srv/reports",
  ].join("\n"),
});

// Passwords come from secret config; RsyncServer hands them to an RsyncSecrets child (root, 0600).
const server = new RsyncServer(
  "files",
  {
    connection,
    global: { logFile: "/var/log/rsyncd.log", maxConnections: 10 },
    secrets: {
      path: secretsPath,
      users: { backup: config.requireSecret("backupPassword"), restore: config.requireSecret("restorePassword") },
    },
    modules: {
      mirror: { path: "/srv/mirror", comment: "Public mirror", readOnly: true, refuseOptions: ["delete"] },
      backup: {
        path: "/srv/backup",
        comment: "Nightly backups",
        readOnly: false,
        list: false,
        // No secretsFile: a module with authUsers gets the server's secrets file.
        authUsers: ["backup", "restore:ro"],
        hostsAllow: officeNetworks,
        hostsDeny: ["*"],
      },
    },
  },
  { dependsOn: [prepareHost] },
);

// A module can also live outside the component, here with a secrets file of its own.
const reportsSecrets = new RsyncSecrets(
  "reports-secrets",
  {
    connection,
    path: "/etc/rsyncd.reports.secrets",
    users: { reader: config.requireSecret("reportsReaderPassword") },
  },
  { dependsOn: [prepareHost] },
);

new RsyncModule(
  "reports",
  {
    connection,
    moduleName: "reports",
    path: "/srv/reports",
    comment: "Monthly reports (read only)",
    authUsers: ["reader:ro"],
    secretsFile: reportsSecrets.path,
    hostsAllow: officeNetworks,
    strictModes: true,
  },
  { dependsOn: [server] },
);

export const listedModules = server.listedModules;
/** The users in each secrets file (the passwords stay secret). */
export const secretsUsers = { files: server.secrets?.userNames, reports: reportsSecrets.userNames };
