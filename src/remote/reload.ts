/**
 * Reloading xinetd on a host and checking the result: one round trip runs the reload, waits for
 * xinetd to finish reconfiguring, and reports whether it still runs, which services listen, and
 * what xinetd logged meanwhile.
 */
import { RemoteError, commandFailedError } from "./errors";
import { shellQuote } from "./shell";
import type { CommandRunner } from "./transport";

export type ReloadStrategy = "systemctl" | "service" | "signal" | "none" | { command: string };

/** Where xinetd's messages go on a host. */
export type XinetdLogSource =
  | { kind: "file"; path: string }
  | { kind: "syslog"; path: string }
  | { kind: "journal" }
  | { kind: "none" };

export interface XinetdHostFacts {
  strategy: Exclude<ReloadStrategy, "none" | { command: string }>;
  logSource: XinetdLogSource;
}

/** Debian's init script and unit write this; `signal` only ever signals a process named xinetd. */
const PID_FILE = "/run/xinetd.pid";

const DETECT_SCRIPT = String.raw`if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && systemctl cat xinetd.service >/dev/null 2>&1; then
  echo "STRATEGY systemctl"
elif command -v service >/dev/null 2>&1 && [ -x /etc/init.d/xinetd ]; then
  echo "STRATEGY service"
else
  echo "STRATEGY signal"
fi
filelog=$(sed -n 's/^[[:space:]]*XINETD_OPTS=//p' /etc/default/xinetd 2>/dev/null |
  sed -n 's/.*-filelog[[:space:]]\{1,\}\([^[:space:]"'\'']\{1,\}\).*/\1/p' | tail -n 1)
if [ -n "$filelog" ]; then echo "LOG file $filelog"
elif [ -d /run/systemd/system ] && command -v journalctl >/dev/null 2>&1; then echo "LOG journal"
elif [ -f /var/log/syslog ]; then echo "LOG syslog /var/log/syslog"
elif [ -f /var/log/messages ]; then echo "LOG syslog /var/log/messages"
else echo "LOG none"; fi
`;

/** How to reload xinetd on this host and where it logs (one round trip). */
export async function detectXinetdHost(runner: CommandRunner): Promise<XinetdHostFacts> {
  const result = await runner.run(DETECT_SCRIPT);
  if (result.exitCode !== 0) throw commandFailedError(runner.label, DETECT_SCRIPT, result);
  const strategy = /^STRATEGY (\S+)$/m.exec(result.stdout)?.[1];
  const log = /^LOG (\S+)(?: (.+))?$/m.exec(result.stdout);
  if ((strategy !== "systemctl" && strategy !== "service" && strategy !== "signal") || !log) {
    throw new RemoteError({ code: "command-failed", host: runner.label, command: DETECT_SCRIPT, summary: "could not tell how xinetd runs", stdout: result.stdout });
  }
  const kind = log[1];
  const logSource: XinetdLogSource = kind === "file" || kind === "syslog"
    ? { kind, path: log[2] ?? "" }
    : kind === "journal" ? { kind: "journal" } : { kind: "none" };
  return { strategy, logSource };
}

export function reloadCommand(strategy: Exclude<ReloadStrategy, "none">): string {
  if (typeof strategy === "object") return strategy.command;
  switch (strategy) {
    case "systemctl":
      return "systemctl reload xinetd";
    case "service":
      return "service xinetd reload";
    case "signal":
      // Never a blind HUP: a standalone rsync daemon dies of it.
      return `pid=$(cat ${PID_FILE}) && [ "$(cat /proc/$pid/comm)" = xinetd ] && kill -HUP "$pid"`;
  }
}

/** How to bring xinetd back after a failed reload killed it, when the strategy knows one. */
export function startCommand(strategy: Exclude<ReloadStrategy, "none">): string | undefined {
  if (strategy === "systemctl") return "systemctl start xinetd";
  if (strategy === "service") return "service xinetd start";
  return undefined;
}

/** A service to find listening after the reload. */
export interface ServiceProbe {
  name: string;
  protocol: string;
  /** Undefined: looked up in the host's /etc/services. */
  port?: number;
}

export type ServiceState =
  | { state: "listening" }
  | { state: "missing" }
  | { state: "unchecked" }
  | { state: "unknown-port" }
  /** Something other than xinetd holds the port (a standalone daemon, typically). */
  | { state: "held"; holder: string; pid?: number };

export type ServiceCheck = { name: string; protocol: string; port?: number } & ServiceState;

export interface ReloadObservation {
  /** Exit status of the reload command. */
  reloadStatus: number;
  reloadOutput: string;
  xinetdRunning: boolean;
  services: ServiceCheck[];
  /** What xinetd logged from just before the reload until the checks ended. */
  log: string;
}

function logWindowFunction(source: XinetdLogSource): string {
  switch (source.kind) {
    case "file":
      return `log_window() { tail -c +$((offset + 1)) ${shellQuote(source.path)} 2>/dev/null; }`;
    case "syslog":
      return `log_window() { tail -c +$((offset + 1)) ${shellQuote(source.path)} 2>/dev/null | grep -i xinetd; }`;
    case "journal":
      return `log_window() { journalctl -q --no-pager -u xinetd --since "@$((since - 1))" 2>/dev/null; }`;
    case "none":
      return "log_window() { true; }";
  }
}

/**
 * Runs `command` (a reload or a start; `undefined` only observes), waits until xinetd logs that
 * it has reconfigured (or exits), then until every probed service listens (bounded), and reports.
 */
export async function reloadAndObserve(
  runner: CommandRunner,
  command: string | undefined,
  logSource: XinetdLogSource,
  probes: readonly ServiceProbe[],
): Promise<ReloadObservation> {
  const logPath = logSource.kind === "file" || logSource.kind === "syslog" ? shellQuote(logSource.path) : "/dev/null";
  const script = `services=$(cat)
out=$(mktemp /tmp/.xinetd-reload.XXXXXX) || exit 2
trap 'rm -f -- "$out"' EXIT
offset=$(wc -c <${logPath} 2>/dev/null) || offset=0
since=$(date +%s)
${logWindowFunction(logSource)}
xinetd_alive() {
  pid=$(cat ${PID_FILE} 2>/dev/null) || pid=$(pidof xinetd 2>/dev/null) || return 1
  pid=\${pid%% *}
  [ -n "$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = xinetd ]
}
check_services() {
  printf '%s\\n' "$services" | while read -r name protocol port; do
    [ -n "$name" ] || continue
    if [ "$port" = - ]; then
      port=$(getent services "$name/$protocol" | awk '{ split($2, a, "/"); print a[1]; exit }')
    fi
    if [ -z "$port" ]; then echo "SERVICE $name $protocol - unknown-port"; continue; fi
    case $protocol in tcp) flag=-t ;; udp) flag=-u ;; *) echo "SERVICE $name $protocol $port unchecked"; continue ;; esac
    sockets=$(ss -Hlnp $flag "sport = :$port" 2>/dev/null)
    if [ -z "$sockets" ]; then echo "SERVICE $name $protocol $port missing"; continue; fi
    holder=$(printf '%s\\n' "$sockets" | sed -n 's/.*users:(("\\([^"]*\\)",pid=\\([0-9]*\\).*/\\1 \\2/p' | head -n 1)
    case $holder in
    ""|"xinetd "*) echo "SERVICE $name $protocol $port listening" ;;
    *) echo "SERVICE $name $protocol $port held $holder" ;;
    esac
  done
}
status=0
${command === undefined ? "" : `{ ${command}
} >"$out" 2>&1 </dev/null
status=$?`}
tries=0
${command === undefined || logSource.kind === "none" ? "" : `while [ $status -eq 0 ] && [ $tries -lt 400 ]; do
  log_window | grep -q 'Reconfigured\\|Started working' && break
  xinetd_alive || break
  sleep 0.025
  tries=$((tries + 1))
done`}
tries=0
while [ $tries -lt 80 ] && xinetd_alive && check_services | grep -qv ' listening$\\| unchecked$'; do
  sleep 0.025
  tries=$((tries + 1))
done
echo "RELOAD $status"
if xinetd_alive; then echo "XINETD running"; else echo "XINETD stopped"; fi
check_services
echo LOG
log_window | tail -n 200
echo RELOAD_OUTPUT
cat -- "$out"
`;
  const input = probes.map((probe) => `${probe.name} ${probe.protocol} ${probe.port ?? "-"}\n`).join("");
  const result = await runner.run(script, { stdin: input });
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
  return parseObservation(result.stdout);
}

function parseObservation(stdout: string): ReloadObservation {
  const logStart = stdout.indexOf("\nLOG\n");
  const outputStart = stdout.lastIndexOf("\nRELOAD_OUTPUT\n");
  const head = stdout.slice(0, logStart).split("\n");
  const services: ServiceCheck[] = [];
  for (const line of head) {
    const [tag, name, protocol, port, state, holder, pid] = line.split(" ");
    if (tag !== "SERVICE" || !name || !protocol || !state) continue;
    const base = { name, protocol, ...(port === "-" || port === undefined ? {} : { port: Number(port) }) };
    if (state === "held") services.push({ ...base, state, holder: holder ?? "?", ...(pid ? { pid: Number(pid) } : {}) });
    else if (state === "listening" || state === "missing" || state === "unchecked" || state === "unknown-port") services.push({ ...base, state });
  }
  return {
    reloadStatus: Number(/^RELOAD (\d+)$/m.exec(stdout)?.[1] ?? "1"),
    xinetdRunning: /^XINETD running$/m.test(stdout),
    services,
    log: stdout.slice(logStart + "\nLOG\n".length, outputStart + 1).trimEnd(),
    reloadOutput: stdout.slice(outputStart + "\nRELOAD_OUTPUT\n".length).trimEnd(),
  };
}
