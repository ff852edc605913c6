/** What the doctor reports: the shape of `--json` and of `diagnoseRsyncHost`'s answer. */

/** `error`: rsync cannot serve as configured. `warning`: it serves, with a fault. `info`: worth knowing. */
export type FindingSeverity = "error" | "warning" | "info";

/** Stable identifiers of what the doctor finds; callers and tests branch on these, never on text. */
export type FindingCode =
  | "nothing-listening"
  | "port-held-by-other"
  | "xinetd-not-running"
  | "xinetd-service-disabled"
  | "xinetd-service-not-loaded"
  | "xinetd-cps-deactivated"
  | "standalone-daemon"
  | "socket-unit-inactive"
  | "config-missing"
  | "config-invalid"
  | "module-path-missing"
  | "module-path-unreadable"
  | "secrets-file-missing"
  | "secrets-file-mode"
  | "secrets-user-missing"
  | "secrets-file-crlf"
  | "chroot-unavailable"
  | "log-file-unwritable"
  | "ipv6-unavailable"
  | "module-connect-failed"
  | "refused-here-answers-on-host"
  | "not-answering-here";

export interface Finding {
  code: FindingCode;
  severity: FindingSeverity;
  /** One sentence: what is wrong, naming files, services and modules in backticks. */
  message: string;
  /** What on the host shows it: log lines, file lines with their numbers, command output. */
  evidence: string[];
  /** The operator's next step. */
  fix: string;
}

/** What serves the rsync port: xinetd, a socket unit, a standalone `rsync --daemon`, another program, or nothing. */
export type Launcher = "xinetd" | "systemd-socket" | "standalone" | "other" | "none";

export interface ServerReport {
  launcher: Launcher;
  /** The addresses the port is bound on (`*:873`, `10.0.0.5:873`). */
  listening: string[];
  /** The process holding the port. */
  process?: { pid: number; name: string; commandLine: string };
  /** The xinetd entry meant to serve the port (present also when xinetd does not serve it). */
  xinetdService?: { file: string; name: string; id: string; enabled: boolean };
  /** The systemd socket unit on the port, and the service it starts (when it serves the port). */
  unit?: { name: string; active: string; service?: string };
  /** The rsyncd.conf the doctor read, and why that one: `--config`, the launcher's command line, or the default. */
  configPath: string;
  configFrom: "option" | "launcher" | "default";
  /** The user the daemon starts as (xinetd's `user`, the process's owner; root otherwise). */
  daemonUser: string;
}

export interface ModuleReport {
  name: string;
  path?: string;
  comment?: string;
  /** In the daemon's module list as the host itself sees it. */
  listed: boolean;
  authUsers: string[];
  /** The real connection from the host: undefined when not tried. */
  connect?: "ok" | "failed";
}

export interface LogExcerpt {
  /** `xinetd:/var/log/xinetd.log`, `rsync:/var/log/rsync.log`, `xinetd:journal`, … */
  source: string;
  lines: string[];
}

/** The rsync greeting spoken from the machine running the doctor. */
export interface ClientProbe {
  address: string;
  port: number;
  outcome: "listed" | "refused" | "timeout" | "closed" | "error";
  /** The daemon's `@RSYNCD:` version line, when it sent one. */
  greeting?: string;
  modules: string[];
  /** The network error, or the daemon's `@ERROR` line. */
  detail?: string;
}

export interface Diagnosis {
  /** The host as the connection names it. */
  host: string;
  /** The rsync port examined. */
  port: number;
  server: ServerReport;
  modules: ModuleReport[];
  /** Errors first, then warnings, then info. */
  findings: Finding[];
  logs: LogExcerpt[];
  client?: ClientProbe;
}
