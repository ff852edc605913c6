/** `XinetdService`: one xinetd service entry, in its own file under `/etc/xinetd.d`. */
import * as pulumi from "@pulumi/pulumi";

import type { EnvValue, ListValue, LogType, ResourceLimit, SocketType } from "../formats";
import type { XinetdReload } from "../schema";
import { secretContentOf, withSecretOutputs, type ConnectionArgs, type InputOutputs } from "./connection";
import { providerShim } from "./provider-shim";

/** A list xinetd lets you extend: an array sets it (`=`); `{ add, remove }` writes `+=` / `-=` lines. */
export type ListInput = pulumi.Input<string>[] | { add?: pulumi.Input<string>[]; remove?: pulumi.Input<string>[] };

export type { XinetdReload };

export interface XinetdServiceArgs {
  /** How to reach the host (same shape as @pulumi/command's `remote.ConnectionArgs`). Required; secret in the state. */
  connection: pulumi.Input<ConnectionArgs>;
  /**
   * Run every command through `sudo -n` (for a non-root `connection.user` with passwordless sudo). Default: `false`.
   */
  sudo?: pulumi.Input<boolean>;
  /** Take over a service file that already exists on the host instead of refusing to. Default: `false`. */
  adopt?: pulumi.Input<boolean>;
  /**
   * The `service` name, and the file's name (no `.`, no trailing `~`: xinetd skips those). Required; a change replaces.
   */
  serviceName: pulumi.Input<string>;
  /** Directory of the service file. A change replaces. Default: `/etc/xinetd.d`. */
  configDir?: pulumi.Input<string>;
  /**
   * How xinetd is reloaded after a change. One reload covers every service changed on a host, so all
   * XinetdServices on one host (same connection identity) must set the same value: a create, update
   * or delete whose `reload` differs from the one the host's reloader already uses in this run
   * fails, naming both values and the other service, before touching the host. Default: `"auto"`.
   */
  reload?: pulumi.Input<XinetdReload>;
  /** `disable`. Default: unset (xinetd: enabled). */
  disable?: pulumi.Input<boolean>;
  /** `type`: RPC, INTERNAL, UNLISTED, SPECIAL, TCPMUX, TCPMUXPLUS. Default: unset (listed in /etc/services). */
  type?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * `id`, to tell apart entries with one service name. Not named `id`: Pulumi strips `id` and
   * `urn` from every resource's inputs. Default: unset (the service name).
   */
  serviceId?: pulumi.Input<string>;
  /** `flags` (REUSE, IPv4, IPv6, NODELAY, KEEPALIVE, ...). Default: unset. */
  flags?: pulumi.Input<pulumi.Input<string>[]>;
  /** `socket_type`. Required by xinetd (the resource has no default). */
  socketType?: pulumi.Input<SocketType>;
  /** `protocol`. Default: unset (from /etc/services). */
  protocol?: pulumi.Input<string>;
  /** `port`. Default: unset (from /etc/services; required with UNLISTED). */
  port?: pulumi.Input<number>;
  /** `wait`: `true` for single-threaded services. Required by xinetd (the resource has no default). */
  wait?: pulumi.Input<boolean>;
  /** `user` the server runs as. Required by xinetd unless INTERNAL. */
  user?: pulumi.Input<string>;
  /** `group` the server runs as. Default: unset (the user's group). */
  group?: pulumi.Input<string>;
  /** `groups`: give the server the user's supplementary groups. Default: unset (xinetd: no). */
  groups?: pulumi.Input<boolean>;
  /** `server` program. Required by xinetd unless INTERNAL or `redirect`. */
  server?: pulumi.Input<string>;
  /**
   * `server_args`: one token per element, or xinetd's own line (`"--daemon --config=/etc/rsyncd.conf"`),
   * split as xinetd splits it: at blanks and tabs, with no quoting (`"a b"` is two tokens, quotes kept).
   * The state holds the list either way. Default: unset.
   */
  serverArgs?: pulumi.Input<string> | pulumi.Input<pulumi.Input<string>[]>;
  /** `redirect` connections to another host and port. Default: unset. */
  redirect?: pulumi.Input<{ host: pulumi.Input<string>; port: pulumi.Input<number> }>;
  /** `instances`: simultaneous servers. Default: unset (xinetd's defaults section, else no limit). */
  instances?: pulumi.Input<number | "UNLIMITED">;
  /** `per_source`: simultaneous servers per client address. Default: unset (defaults section). */
  perSource?: pulumi.Input<number | "UNLIMITED">;
  /** `cps`: [connections per second, seconds disabled after]. Default: unset (xinetd: [50, 10]). */
  cps?: pulumi.Input<[number, number]>;
  /** `max_load`: refuse connections above this load average. Default: unset. */
  maxLoad?: pulumi.Input<number>;
  /** `log_type`: SYSLOG facility [level] or FILE path [limits]. Default: unset (defaults section). */
  logType?: pulumi.Input<LogType>;
  /** `log_on_success` (PID, HOST, USERID, EXIT, DURATION, TRAFFIC). Default: unset (defaults section). */
  logOnSuccess?: pulumi.Input<ListInput>;
  /**
   * `log_on_failure` (HOST, USERID, ATTEMPT); `{ add: ["USERID"] }` writes `+= USERID`. Default: unset (defaults
   * section).
   */
  logOnFailure?: pulumi.Input<ListInput>;
  /** `only_from`: clients allowed. Default: unset (defaults section, else everyone). */
  onlyFrom?: pulumi.Input<ListInput>;
  /** `no_access`: clients refused. Default: unset (defaults section). */
  noAccess?: pulumi.Input<ListInput>;
  /** `access_times`: hh:mm-hh:mm intervals when the service is available. Default: unset (always). */
  accessTimes?: pulumi.Input<pulumi.Input<string>[]>;
  /** `bind` (alias `interface`): address to listen on. Default: unset (all addresses). */
  bind?: pulumi.Input<string>;
  /** `v6only`. Default: unset (xinetd: no). */
  v6only?: pulumi.Input<boolean>;
  /** `env`: NAME=value entries for the server; `{ add }` writes `+=` (no `-=`). Default: unset. */
  env?: pulumi.Input<pulumi.Input<string>[] | { add?: pulumi.Input<string>[] }>;
  /** `passenv`: variables passed through from xinetd's environment. Default: unset. */
  passenv?: pulumi.Input<ListInput>;
  /** `nice` of the server. Default: unset. */
  nice?: pulumi.Input<number>;
  /** `umask` of the server, octal text such as `"022"`. Default: unset (defaults section). */
  umask?: pulumi.Input<string>;
  /** `rlimit_as`: bytes, `"64M"`, or `"UNLIMITED"`. Default: unset. */
  rlimitAs?: pulumi.Input<ResourceLimit>;
  /** `rlimit_cpu`: seconds, or `"UNLIMITED"`. Default: unset. */
  rlimitCpu?: pulumi.Input<number | "UNLIMITED">;
  /** `rlimit_data`. Default: unset. */
  rlimitData?: pulumi.Input<ResourceLimit>;
  /** `rlimit_files`. Default: unset. */
  rlimitFiles?: pulumi.Input<ResourceLimit>;
  /** `rlimit_rss`. Default: unset. */
  rlimitRss?: pulumi.Input<ResourceLimit>;
  /** `rlimit_stack`. Default: unset. */
  rlimitStack?: pulumi.Input<ResourceLimit>;
  /** `deny_time`: minutes a SENSOR-flagged client stays refused, `"FOREVER"` or `"NEVER"`. Default: unset. */
  denyTime?: pulumi.Input<number | "FOREVER" | "NEVER">;
  /** `banner`: file shown to every client. Default: unset. */
  banner?: pulumi.Input<string>;
  /** `banner_success`: file shown to accepted clients. Default: unset. */
  bannerSuccess?: pulumi.Input<string>;
  /** `banner_fail`: file shown to refused clients. Default: unset. */
  bannerFail?: pulumi.Input<string>;
  /** `rpc_version` of an RPC service. Default: unset. */
  rpcVersion?: pulumi.Input<string>;
  /** `rpc_number` of an unlisted RPC service. Default: unset. */
  rpcNumber?: pulumi.Input<number>;
  /** `libwrap` service name for TCP wrappers. Default: unset (the service name). */
  libwrap?: pulumi.Input<string>;
  /** Attributes this library does not model, by name as xinetd spells them; validated like the rest. Default: none. */
  extra?: pulumi.Input<Record<string, pulumi.Input<EnvValue | ListValue>>>;
}

/** Inputs the provider stores in a form of its own: defaulted, or `serverArgs` as the list xinetd reads. */
interface XinetdServiceStored {
  configDir: string;
  reload: XinetdReload;
  serverArgs: string[] | undefined;
}

/** Every input as an output (`connection` secret), and what the provider wrote. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the outputs' types, declared only
export interface XinetdService extends InputOutputs<XinetdServiceArgs, XinetdServiceStored> {
  /** The service file's path on the host. */
  readonly path: pulumi.Output<string>;
  /**
   * The whole file as written (or as found by the last refresh); secret whenever an input other than `connection` is.
   */
  readonly content: pulumi.Output<string>;
  /** sha256 of `content`, hex; secret with it. */
  readonly checksum: pulumi.Output<string>;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface
export class XinetdService extends pulumi.dynamic.Resource {
  constructor(name: string, args: XinetdServiceArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      connection: pulumi.secret(args.connection),
      secretContent: secretContentOf(args),
      path: undefined,
      content: undefined,
      checksum: undefined,
    };
    super(
      providerShim("xinetdService"),
      name,
      props,
      withSecretOutputs(opts, ["connection"]),
      "pulumi-xinetd",
      "XinetdService",
    );
  }
}
