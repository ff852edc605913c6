/**
 * Migration: an xinetd service model as a socket-service model, so an `/etc/xinetd.d` service
 * can move to socket activation. Attributes systemd cannot express are refused naming them
 * (`no-systemd-equivalent`); those it expresses only roughly (`cps`, logging) give warnings.
 */
import { problem, type Problem } from "../problems";
import type { ListValue, XinetdServiceModel } from "../xinetd/model";
import type { ServicesTable } from "../xinetd/services-table";
import type { SystemdSocketServiceModel } from "./model";
import { NO_SYSTEMD_EQUIVALENT, validateSystemdSocketService } from "./validate";

export interface SystemdMigration {
  model: SystemdSocketServiceModel;
  /** Refusals (errors) and approximations (warnings), each naming the xinetd attribute. */
  problems: Problem[];
}

/** xinetd attributes without any socket-unit meaning, by model key and xinetd name. */
const REFUSED: Array<[keyof XinetdServiceModel, string, string]> = [
  ["redirect", "redirect", "systemd sockets do not forward connections"],
  ["accessTimes", "access_times", "systemd sockets have no time-of-day access"],
  ["banner", "banner", "systemd sends no banner"],
  ["bannerSuccess", "banner_success", "systemd sends no banner"],
  ["bannerFail", "banner_fail", "systemd sends no banner"],
  ["denyTime", "deny_time", "systemd has no deny time for sensors"],
  ["maxLoad", "max_load", "systemd sockets do not refuse by load average"],
  ["rpcVersion", "rpc_version", "systemd sockets do not register RPC services"],
  ["rpcNumber", "rpc_number", "systemd sockets do not register RPC services"],
  ["libwrap", "libwrap", "systemd has no TCP wrappers"],
];

/** Logging attributes: systemd logs every start and exit to the journal instead. */
const JOURNALED: Array<[keyof XinetdServiceModel, string]> = [
  ["logType", "log_type"],
  ["logOnSuccess", "log_on_success"],
  ["logOnFailure", "log_on_failure"],
];

function absoluteList(value: ListValue | undefined, field: string, problems: Problem[]): string[] | undefined {
  if (value === undefined || Array.isArray(value)) return value;
  problems.push(
    problem(
      field,
      NO_SYSTEMD_EQUIVALENT,
      `\`${field}\` with \`+=\`/\`-=\` changes xinetd's defaults, which systemd does not have; give the whole list.`,
    ),
  );
  return undefined;
}

/**
 * The socket-service model for an xinetd service. `services` (the host's /etc/services) gives the
 * port of a service that names none. The model is returned whatever the problems; use it only
 * when none is an error.
 */
export function systemdSocketServiceFromXinetd(
  xinetd: XinetdServiceModel,
  options: { services?: ServicesTable } = {},
): SystemdMigration {
  const problems: Problem[] = [];
  const refuse = (field: string, why: string) =>
    problems.push(problem(field, NO_SYSTEMD_EQUIVALENT, `\`${field}\` has no systemd equivalent: ${why}.`));
  for (const [key, field, why] of REFUSED) if (xinetd[key] !== undefined) refuse(field, why);
  for (const [key, field] of JOURNALED) {
    if (xinetd[key] !== undefined)
      problems.push(
        problem(
          field,
          NO_SYSTEMD_EQUIVALENT,
          `\`${field}\` is left out: systemd logs starts and exits to the journal.`,
          {
            severity: "warning",
          },
        ),
      );
  }
  if (xinetd.disable === true) refuse("disable", "a disabled service is one whose socket is not started");
  for (const type of xinetd.type ?? []) {
    if (type.toUpperCase() !== "UNLISTED") refuse("type", `\`${type}\` services are xinetd's own`);
  }
  if (xinetd.extra !== undefined && Object.keys(xinetd.extra).length > 0)
    refuse("extra", "attributes outside the typed ones cannot be translated");
  if (xinetd.groups === false)
    problems.push(
      problem(
        "groups",
        NO_SYSTEMD_EQUIVALENT,
        "systemd always gives `User=` its supplementary groups (as `groups = yes`).",
        {
          severity: "warning",
        },
      ),
    );
  const socketType = xinetd.socketType;
  if (socketType === "raw") refuse("socket_type", "a raw socket has no socket unit");
  const protocol = xinetd.protocol?.toLowerCase();
  const expected = socketType === "dgram" ? "udp" : "tcp";
  if (protocol !== undefined && protocol !== expected)
    refuse("protocol", `systemd's ${socketType ?? "stream"} sockets use ${expected}`);
  let port = xinetd.port;
  if (port === undefined) port = options.services?.get(xinetd.name)?.get(expected);
  if (port === undefined)
    problems.push(
      problem("port", "mandatory", `\`port\` is required: \`${xinetd.name}\` is not in the given /etc/services.`),
    );
  const model: SystemdSocketServiceModel = { name: xinetd.name, port: port ?? 0, server: xinetd.server ?? "" };
  if (xinetd.server === undefined) problems.push(problem("server", "mandatory", "`server` is required."));
  if (socketType !== undefined && socketType !== "raw") model.socketType = socketType;
  if (xinetd.wait !== undefined) model.wait = xinetd.wait;
  if (xinetd.user !== undefined) model.user = xinetd.user;
  if (xinetd.group !== undefined) model.group = xinetd.group;
  if (xinetd.serverArgs !== undefined) model.serverArgs = xinetd.serverArgs;
  if (xinetd.bind !== undefined) model.bind = xinetd.bind;
  if (xinetd.flags !== undefined)
    model.flags = xinetd.flags.map((flag) =>
      flag.toUpperCase() === "IPV6" ? "IPv6" : flag.toUpperCase() === "IPV4" ? "IPv4" : flag.toUpperCase(),
    );
  if (xinetd.v6only !== undefined) model.v6only = xinetd.v6only;
  const onlyFrom = absoluteList(xinetd.onlyFrom, "only_from", problems);
  // xinetd reads 0.0.0.0 (and 0.0.0.0/0) as every address.
  if (onlyFrom !== undefined)
    model.onlyFrom = onlyFrom.map((item) => (item === "0.0.0.0" || item === "0.0.0.0/0" ? "any" : item));
  const noAccess = absoluteList(xinetd.noAccess, "no_access", problems);
  if (noAccess !== undefined) model.noAccess = noAccess;
  if (xinetd.instances !== undefined) {
    if (xinetd.instances === "UNLIMITED")
      refuse("instances", "systemd always limits connections (64 unless `instances` is a number)");
    else model.instances = xinetd.instances;
  }
  if (xinetd.perSource !== undefined) {
    if (xinetd.perSource === "UNLIMITED") refuse("per_source", "give a number; systemd's default is `instances`");
    else model.perSource = xinetd.perSource;
  }
  if (xinetd.cps !== undefined) {
    model.cps = xinetd.cps[0];
    problems.push(
      problem(
        "cps",
        "approximation",
        `\`cps\` becomes \`TriggerLimitBurst=${xinetd.cps[0]}\` per second; past it systemd stops the socket ` +
          `until it is started again instead of pausing ${xinetd.cps[1]} s.`,
        {
          severity: "warning",
        },
      ),
    );
  }
  if (xinetd.env !== undefined) model.env = Array.isArray(xinetd.env) ? xinetd.env : (xinetd.env.add ?? []);
  const passenv = absoluteList(xinetd.passenv, "passenv", problems);
  if (passenv !== undefined && passenv.length > 0) model.extra = { service: { PassEnvironment: passenv.join(" ") } };
  if (xinetd.nice !== undefined) model.nice = xinetd.nice;
  if (xinetd.umask !== undefined) model.umask = xinetd.umask;
  for (const key of ["rlimitAs", "rlimitCpu", "rlimitData", "rlimitFiles", "rlimitRss", "rlimitStack"] as const) {
    if (xinetd[key] !== undefined) (model as unknown as Record<string, unknown>)[key] = xinetd[key];
  }
  const mandatory = new Set(problems.filter((p) => p.rule === "mandatory").map((p) => p.field));
  problems.push(...validateSystemdSocketService(model).filter((p) => !mandatory.has(p.field)));
  return { model, problems };
}
