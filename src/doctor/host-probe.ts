/**
 * The doctor's first round trip: who listens on the rsync port, xinetd's state, files and log,
 * systemd's socket units and journal, and the host's IPv6, as `doctor-probe.sh` reports them.
 */
import { randomBytes } from "node:crypto";

import { commandFailedError } from "../remote/errors";
import { remoteScript } from "../remote/scripts";
import type { CommandRunner } from "../remote/transport";
import { contentLines, parseFramed } from "./framing";
import type { LogExcerpt } from "./types";

const LOG_LINES = 300;
const MAX_XINETD_FILES = 500;

export interface HostProcess {
  pid: number;
  uid: number;
  name: string;
  argv: string[];
}

export interface Listener {
  /** `*:873`, `0.0.0.0:873`, `[::]:873`, `10.0.0.5:873`. */
  address: string;
  holder?: HostProcess;
}

export interface HostFile {
  path: string;
  content: string;
}

export interface HostEvidence {
  uid: number;
  systemd: boolean;
  /** `available`, `disabled` (every interface has `disable_ipv6 = 1`) or `none` (the kernel has no IPv6). */
  ipv6: "available" | "disabled" | "none";
  /** Undefined when the host has no `ss` to ask. */
  listeners?: Listener[];
  xinetd: { state: "running" | "stopped" | "absent"; process?: HostProcess };
  xinetdMain?: HostFile;
  /** The files named by `include` lines and those in `includedir` directories, in xinetd's order. */
  xinetdFiles: Array<HostFile & { fromDir: boolean }>;
  chkconfig?: string[];
  /** systemd units by name: their `systemctl show` properties. */
  units: Map<string, Record<string, string>>;
  /** The service units that sockets on the port start, by name: their `systemctl cat` text. */
  unitFiles: Map<string, string>;
  logs: LogExcerpt[];
}

export function newNonce(): string {
  return randomBytes(8).toString("hex");
}

/** One round trip; throws a RemoteError when the script itself fails. */
export async function probeHost(runner: CommandRunner, port: number, timeoutMs: number): Promise<HostEvidence> {
  const nonce = newNonce();
  const script = remoteScript("doctor-probe", {
    port: String(port),
    nonce,
    lines: String(LOG_LINES),
    max_files: String(MAX_XINETD_FILES),
  });
  const result = await runner.run(script, { timeoutMs });
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
  return parseProbe(result.stdout, nonce);
}

function parseProbe(stdout: string, nonce: string): HostEvidence {
  const { lines, blocks } = parseFramed(stdout, nonce);
  const value = (tag: string) => lines.find((line) => line.startsWith(`${tag} `))?.slice(tag.length + 1);
  const processes = new Map<number, HostProcess>();
  for (const line of lines.filter((l) => l.startsWith("PROCESS "))) {
    const [, pid, uid, ...name] = line.split(" ");
    const commandLine = blocks.find((b) => b.kind === "cmdline" && b.name === pid)?.content ?? "";
    processes.set(Number(pid), {
      pid: Number(pid),
      uid: Number(uid),
      name: name.join(" "),
      argv: commandLine === "" ? [] : commandLine.replace(/\n$/, "").split("\n"),
    });
  }
  const ipv6 = value("IPV6");
  const xinetdLine = value("XINETD") ?? "absent";
  const [xinetdState, xinetdPid] = xinetdLine.split(" ");
  const files = blocks.filter((b) => b.kind === "xinetd-file" || b.kind === "xinetd-include");
  const main = blocks.find((b) => b.kind === "xinetd-main");
  const chkconfig = blocks.find((b) => b.kind === "chkconfig");
  return {
    uid: Number(value("UID") ?? "0"),
    systemd: value("SYSTEMD") === "yes",
    ipv6: ipv6 === "none" ? "none" : ipv6 === "kernel 1" ? "disabled" : "available",
    ...(lines.some((l) => l.startsWith("LISTEN_UNKNOWN")) ? {} : { listeners: listenersOf(lines, processes) }),
    xinetd: {
      state: xinetdState === "running" || xinetdState === "stopped" ? xinetdState : "absent",
      ...(xinetdPid && processes.has(Number(xinetdPid)) ? { process: processes.get(Number(xinetdPid))! } : {}),
    },
    ...(main ? { xinetdMain: { path: main.name, content: main.content } } : {}),
    xinetdFiles: files.map((b) => ({ path: b.name, content: b.content, fromDir: b.kind === "xinetd-file" })),
    ...(chkconfig ? { chkconfig: contentLines(chkconfig.content) } : {}),
    units: new Map(blocks.filter((b) => b.kind === "unit").map((b) => [b.name, unitProperties(b.content)])),
    unitFiles: new Map(blocks.filter((b) => b.kind === "unit-file").map((b) => [b.name, b.content])),
    logs: blocks
      .filter((b) => b.kind === "log")
      .map((b) => ({ source: b.name, lines: contentLines(b.content) }))
      .filter((log) => log.lines.length > 0),
  };
}

/** `ss -Hltnp` lines: `LISTEN 0 64 *:873 *:* users:(("xinetd",pid=30481,fd=6))`. */
function listenersOf(lines: string[], processes: Map<number, HostProcess>): Listener[] {
  return lines
    .filter((line) => line.startsWith("LISTEN "))
    .map((line) => {
      const fields = line.slice("LISTEN ".length).trim().split(/\s+/);
      const pid = /pid=(\d+)/.exec(line)?.[1];
      const holder = pid === undefined ? undefined : processes.get(Number(pid));
      return { address: fields[3] ?? "?", ...(holder ? { holder } : {}) };
    });
}

function unitProperties(content: string): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const line of contentLines(content)) {
    const eq = line.indexOf("=");
    if (eq > 0) properties[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return properties;
}
