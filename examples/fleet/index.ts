/**
 * The same rsync modules on several hosts, listed in stack config. One SSH key (secret) serves
 * every host; each host may override the user and turn on sudo. For groups of hosts with
 * different settings, checked field by field, see the package's `Fleet` (examples/declarative-fleet).
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { RsyncServer } from "pulumi-xinetd";

/** One entry of the `hosts` config list. */
interface HostEntry {
  /** Unique name, used in resource names. */
  name: string;
  /** Address or DNS name. */
  host: string;
  /** Login user. Default: `root`. */
  user?: string;
  /** Run the library's commands through `sudo -n`. Default: `false`. */
  sudo?: boolean;
  /**
   * Expected host key (`ssh-ed25519 AAAA…`). Default: the host must be in the known_hosts files of the user running
   * Pulumi.
   */
  hostKey?: string;
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostEntry[]>("hosts");
const privateKey = config.requireSecret("privateKey");

const installScript = (sudo: boolean) => {
  const root = sudo ? "sudo -n " : "";
  return [
    "set -e",
    "command -v xinetd >/dev/null && command -v rsync >/dev/null ||",
    `  { ${root}apt-get update -q && ${root}env DEBIAN_FRONTEND=noninteractive apt-get install -y -q xinetd rsync; }`,
    // Debian's standalone rsync daemon would take port 873 from xinetd.
    `if command -v systemctl >/dev/null; then ${root}systemctl disable --now rsync.service >/dev/null 2>&1 || true; fi`,
    `${root}mkdir -p /srv/releases /srv/logs`,
  ].join("\n");
};

export const listedModules: Record<string, pulumi.Output<string[]>> = {};
for (const entry of hosts) {
  const sudo = entry.sudo ?? false;
  const connection: command.types.input.remote.ConnectionArgs = {
    host: entry.host,
    user: entry.user ?? "root",
    privateKey,
    hostKey: entry.hostKey,
  };
  const prepareHost = new command.remote.Command(`${entry.name}-prepare-host`, {
    connection,
    create: installScript(sudo),
  });
  const server = new RsyncServer(
    entry.name,
    {
      connection,
      sudo,
      global: { logFile: "/var/log/rsyncd.log" },
      modules: {
        releases: { path: "/srv/releases", comment: "Release artifacts", readOnly: true },
        logs: {
          path: "/srv/logs",
          comment: "Log uploads",
          readOnly: false,
          writeOnly: true,
          list: false,
          hostsAllow: ["10.0.0.0/8"],
        },
      },
    },
    { dependsOn: [prepareHost] },
  );
  listedModules[entry.name] = server.listedModules;
}
