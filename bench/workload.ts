/**
 * The benchmark's workload, shared by every contender: per host one RsyncdConfig, one
 * RsyncSecrets, M RsyncModules in one rsyncd.conf and the rsync XinetdService, in two
 * generations (as converged, and after the update phase), plus the hand edits of the drift check.
 */
import type { LabHost } from "../test/lab/lab";

export const PHASES = ["converge", "noopRefresh", "driftCheck", "update", "destroy"] as const;
export type Phase = (typeof PHASES)[number];

export const CONTENDERS = ["library", "ansible", "dialPerCommand", "floor"] as const;
export type ContenderName = (typeof CONTENDERS)[number];

export const CONFIG_PATH = "/etc/rsyncd/rsyncd.conf";
export const SECRETS_PATH = "/etc/rsyncd/rsyncd.secrets";
export const XINETD_DIR = "/etc/xinetd.d";
export const SERVICE_NAME = "rsync";
export const XINETD_PATH = `${XINETD_DIR}/${SERVICE_NAME}`;
export const XINETD_LOG = "/var/log/xinetd.log";
export const SECRETS_USER = "backup";

/** 0: as converged; 1: after the update phase. */
export type Generation = 0 | 1;

export interface Connection {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  hostKey: string;
}

/** Where contenders dial a host: its sshd, or the latency relay's listener in front of it. */
export interface Endpoint {
  address: string;
  port: number;
}

export interface Fleet {
  hosts: LabHost[];
  modules: number;
  rootPrivateKey: string;
  rootKeyPath: string;
  /** One per host, in `hosts` order: every contender dials these, never the hosts directly. */
  endpoints: Endpoint[];
  /** known_hosts naming the endpoints (`[address]:port` when the port is not 22). */
  knownHostsPath: string;
}

export function endpointOf(fleet: Fleet, host: LabHost): Endpoint {
  return fleet.endpoints[host.number - 1]!;
}

/** `user@address:port`, as the library's pool labels a host. */
export function endpointLabel(fleet: Fleet, host: LabHost): string {
  const endpoint = endpointOf(fleet, host);
  return `root@${endpoint.address}:${endpoint.port}`;
}

/** The known_hosts line for a host reached at `endpoint`, as OpenSSH looks it up. */
export function knownHostsLine(endpoint: Endpoint, hostKeyLine: string): string {
  const name = endpoint.port === 22 ? endpoint.address : `[${endpoint.address}]:${endpoint.port}`;
  return `${name} ${hostKeyLine}\n`;
}

export type ResourceKind = "RsyncdConfig" | "RsyncSecrets" | "RsyncModule" | "XinetdService";

/** One resource of the workload: what a Pulumi program would declare. */
export interface WorkloadResource {
  kind: ResourceKind;
  /** Unique in the fleet; the resource's name in the program. */
  name: string;
  host: LabHost;
  /** The resource's inputs (camelCase, as the public API takes them), without `connection`. */
  inputs(generation: Generation): Record<string, unknown>;
}

export function moduleName(index: number): string {
  return `mod${String(index + 1).padStart(2, "0")}`;
}

/** The comment the drift check edits by hand is that of the first module. */
export function moduleComment(name: string): string {
  return `bench module ${name}`;
}

export const HAND_EDITED_COMMENT = "edited by hand";
export const HAND_EDITED_PER_SOURCE = 5;

export function globalInputs(): Record<string, unknown> {
  return {
    configPath: CONFIG_PATH,
    pidFile: "/var/run/rsyncd.pid",
    lockFile: "/var/run/rsync.lock",
    logFile: "/var/log/rsync.log",
    port: 873,
  };
}

export function moduleInputs(name: string, generation: Generation): Record<string, unknown> {
  return {
    configPath: CONFIG_PATH,
    moduleName: name,
    path: `/srv/${name}`,
    comment: moduleComment(name),
    readOnly: true,
    authUsers: [SECRETS_USER],
    secretsFile: SECRETS_PATH,
    // The parameter the update phase changes in every module.
    maxConnections: generation === 0 ? 4 : 8,
  };
}

export function secretsPassword(host: LabHost): string {
  return `bench-secret-${host.number}`;
}

export function secretsInputs(host: LabHost): Record<string, unknown> {
  return { path: SECRETS_PATH, users: { [SECRETS_USER]: secretsPassword(host) } };
}

export function secretsContent(host: LabHost): string {
  return `${SECRETS_USER}:${secretsPassword(host)}\n`;
}

/** The seed's rsync service, with the attribute the update phase changes (`instances`). */
export function xinetdInputs(generation: Generation): Record<string, unknown> {
  return {
    serviceName: SERVICE_NAME,
    disable: false,
    flags: ["IPv6"],
    socketType: "stream",
    wait: false,
    user: "root",
    server: "/usr/bin/rsync",
    serverArgs: ["--daemon", `--config=${CONFIG_PATH}`],
    logOnFailure: { add: ["USERID"] },
    instances: generation === 0 ? 30 : 40,
    perSource: 10,
  };
}

export function connectionOf(fleet: Fleet, host: LabHost): Connection {
  const endpoint = endpointOf(fleet, host);
  return {
    host: endpoint.address,
    port: endpoint.port,
    user: "root",
    privateKey: fleet.rootPrivateKey,
    hostKey: host.hostKeyLine,
  };
}

export function resourcesOf(fleet: Fleet): WorkloadResource[] {
  return fleet.hosts.flatMap((host): WorkloadResource[] => [
    { kind: "RsyncdConfig", name: `h${host.number}-rsyncd`, host, inputs: () => globalInputs() },
    { kind: "RsyncSecrets", name: `h${host.number}-secrets`, host, inputs: () => secretsInputs(host) },
    ...Array.from({ length: fleet.modules }, (_, index): WorkloadResource => {
      const name = moduleName(index);
      return {
        kind: "RsyncModule",
        name: `h${host.number}-${name}`,
        host,
        inputs: (generation) => moduleInputs(name, generation),
      };
    }),
    {
      kind: "XinetdService",
      name: `h${host.number}-xinetd-rsync`,
      host,
      inputs: (generation) => xinetdInputs(generation),
    },
  ]);
}

/** What the drift check must find on every host: these properties of these resources. */
export function expectedDrift(fleet: Fleet): Map<string, string[]> {
  return new Map(
    fleet.hosts.flatMap((host) => [
      [`h${host.number}-${moduleName(0)}`, ["comment"]],
      [`h${host.number}-xinetd-rsync`, ["perSource"]],
    ]),
  );
}

/**
 * The hand edits before the drift check: the first module's comment and the service's
 * `per_source`, rewritten in place as an operator with sed would. Fails if either is not found.
 */
export async function editByHand(host: LabHost): Promise<void> {
  const script = `set -e
sed -i 's/${moduleComment(moduleName(0))}$/${HAND_EDITED_COMMENT}/' ${CONFIG_PATH}
grep -q '${HAND_EDITED_COMMENT}$' ${CONFIG_PATH}
sed -i -E 's/^([[:space:]]*per_source[[:space:]]*=[[:space:]]*)[0-9]+/\\1${HAND_EDITED_PER_SOURCE}/' ${XINETD_PATH}
grep -Eq '^[[:space:]]*per_source[[:space:]]*=[[:space:]]*${HAND_EDITED_PER_SOURCE}$' ${XINETD_PATH}
`;
  const result = await host.exec(script);
  if (result.code !== 0) throw new Error(`${host.name}: hand edit failed: ${result.stderr.trim()}`);
}

/** Removes whatever a contender left, so the next one converges from empty. Reloads only if needed. */
export async function resetHost(host: LabHost): Promise<void> {
  const script = `rm -f ${CONFIG_PATH} ${SECRETS_PATH} /etc/rsyncd/.rsyncd.* ${XINETD_DIR}/.${SERVICE_NAME}.*
if [ -e ${XINETD_PATH} ]; then rm -f ${XINETD_PATH}; service xinetd reload >/dev/null; fi
`;
  const result = await host.exec(script);
  if (result.code !== 0) throw new Error(`${host.name}: reset failed: ${result.stderr.trim()}`);
}

/**
 * Checks from inside the host that the phase really left what it should: after converge and
 * update, xinetd starts the rsync daemon and the files hold every module with the generation's
 * values; after destroy, nothing is left. Returns problems, empty when all is well.
 */
export async function verifyHost(
  host: LabHost,
  modules: number,
  expected: { generation: Generation } | "absent",
): Promise<string[]> {
  if (expected === "absent") {
    const result = await host.exec(
      `for f in ${CONFIG_PATH} ${SECRETS_PATH} ${XINETD_PATH}; do [ ! -e "$f" ] || echo "$f"; done`,
    );
    return result.stdout
      .split("\n")
      .filter(Boolean)
      .map((file) => `${host.name}: ${file} left after destroy`);
  }
  const { generation } = expected;
  const instances = xinetdInputs(generation).instances;
  const maxConnections = moduleInputs(moduleName(0), generation).maxConnections;
  // rsync 3.5 leaves modules with `auth users` out of an anonymous listing, so the listing only
  // proves that xinetd starts the daemon; the module count comes from the section headers.
  const script = `rsync --no-motd --contimeout=5 rsync://127.0.0.1/ >/dev/null && echo served || echo not-served
grep -Ec '^\\[mod[0-9]+\\]' ${CONFIG_PATH}
grep -Ec '^[[:space:]]*max connections[[:space:]]*=[[:space:]]*${maxConnections}[[:space:]]*$' ${CONFIG_PATH}
grep -Ec '^[[:space:]]*instances[[:space:]]*=[[:space:]]*${instances}[[:space:]]*$' ${XINETD_PATH}
stat -c %a ${SECRETS_PATH}
`;
  const result = await host.exec(script);
  const [served, sections, moduleLines, instanceLines, secretsMode] = result.stdout.trim().split("\n");
  const problems: string[] = [];
  if (served !== "served") problems.push(`${host.name}: the rsync daemon does not answer through xinetd`);
  if (Number(sections) !== modules)
    problems.push(`${host.name}: ${CONFIG_PATH} has ${sections ?? 0} module sections, expected ${modules}`);
  if (Number(moduleLines) !== modules)
    problems.push(`${host.name}: ${moduleLines ?? 0} modules say max connections = ${maxConnections}`);
  if (Number(instanceLines) !== 1) problems.push(`${host.name}: ${XINETD_PATH} does not say instances = ${instances}`);
  if (secretsMode !== "600")
    problems.push(`${host.name}: ${SECRETS_PATH} has mode ${secretsMode ?? "?"}, expected 600`);
  return problems;
}
