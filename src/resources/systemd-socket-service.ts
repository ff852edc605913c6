/**
 * `SystemdSocketService`: one inetd-style service run by systemd socket activation, `NAME.socket`
 * plus `NAME@.service` (`wait: false`) or `NAME.service` (`wait: true`), for hosts without xinetd.
 * Arguments are XinetdService's where systemd has the meaning; `check` refuses the attributes it
 * has not (`redirect`, `banner*`, `accessTimes`, `maxLoad`, `libwrap`, ...), naming them.
 * Approximation: `cps` becomes `TriggerLimitIntervalSec=1s` + `TriggerLimitBurst=`; past it systemd
 * fails the socket until it is started again, where xinetd pauses the service for a while.
 */
import * as pulumi from "@pulumi/pulumi";

import type { SystemdResourceLimit, SystemdSocketType } from "../formats";
import type { SystemdExtra } from "../schema";
import { secretContentOf, withSecretOutputs, type ConnectionArgs, type InputOutputs } from "./connection";
import { providerShim } from "./provider-shim";

export type { SystemdExtra };

export interface SystemdSocketServiceArgs {
  /**
   * How to reach the host (same shape as @pulumi/command's `remote.ConnectionArgs`). Required; secret in the state.
   */
  connection: pulumi.Input<ConnectionArgs>;
  /**
   * Run every command through `sudo -n` (for a non-root `connection.user` with passwordless sudo). Default: `false`.
   */
  sudo?: pulumi.Input<boolean>;
  /** Take over unit files that already exist on the host instead of refusing to. Default: `false`. */
  adopt?: pulumi.Input<boolean>;
  /**
   * The units' name stem: `NAME.socket` with `NAME@.service` (`wait: false`) or `NAME.service`. Required; a change
   * replaces.
   */
  serviceName: pulumi.Input<string>;
  /** Directory of the unit files. A change replaces. Default: `/etc/systemd/system`. */
  unitDir?: pulumi.Input<string>;
  /**
   * Further `[Socket]` and `[Service]` settings in systemd's own syntax (`{ service: { ProtectSystem: "full" } }`),
   * written as given; `systemd-analyze verify` on the host refuses what systemd would ignore or reject. Default:
   * none.
   */
  extra?: pulumi.Input<SystemdExtra>;
  /** Both units' description. Default: unset. */
  description?: pulumi.Input<string>;
  /** The port to listen on (`ListenDatagram=` for dgram, `ListenSequentialPacket=` for seqpacket). Required. */
  port: pulumi.Input<number>;
  /** `stream`, `dgram` or `seqpacket`; xinetd's `raw` is refused. Default: `"stream"`. */
  socketType?: pulumi.Input<SystemdSocketType>;
  /**
   * `false`: `Accept=yes` and the template `NAME@.service`, one process per connection; `true`: `Accept=no` and
   * `NAME.service`, which gets the listening socket. Default: `false`.
   */
  wait?: pulumi.Input<boolean>;
  /** The user the server runs as. Default: unset (root). */
  user?: pulumi.Input<string>;
  /** The group the server runs as. Default: unset (the user's group). */
  group?: pulumi.Input<string>;
  /** The server program's absolute path; it must be an executable file on the host. Required. */
  server: pulumi.Input<string>;
  /**
   * Its arguments: one word per element whatever it holds (quoted and escaped as needed), or one line split at
   * blanks as XinetdService splits it. The state holds the list either way. Default: unset.
   */
  serverArgs?: pulumi.Input<string> | pulumi.Input<pulumi.Input<string>[]>;
  /** A numeric address to listen on (IPv6 with the `IPv6` flag). Default: unset (all addresses). */
  bind?: pulumi.Input<string>;
  /**
   * xinetd flags systemd expresses: `IPv4`, `IPv6`, `KEEPALIVE`, `NODELAY`, `NAMEINARGS` (`ExecStart=@`), and
   * `REUSE`/`NOLIBWRAP` (what systemd always does); any other is refused by `check`. Default: unset.
   */
  flags?: pulumi.Input<pulumi.Input<string>[]>;
  /** With `IPv6`: `ipv6-only` instead of `both`. Default: unset (`false`). */
  v6only?: pulumi.Input<boolean>;
  /** Addresses or prefixes allowed (with `IPAddressDeny=any`); no host names. Default: unset (everyone). */
  onlyFrom?: pulumi.Input<pulumi.Input<string>[]>;
  /** Addresses or prefixes refused; not together with `onlyFrom`. Default: unset. */
  noAccess?: pulumi.Input<pulumi.Input<string>[]>;
  /** Simultaneous connections (`wait: false` only). Default: unset (systemd: 64). */
  instances?: pulumi.Input<number>;
  /** Simultaneous connections per client address (`wait: false` only). Default: unset. */
  perSource?: pulumi.Input<number>;
  /**
   * Connections per second, only approximated: `TriggerLimitIntervalSec=1s` and `TriggerLimitBurst=`; past it
   * systemd fails the socket until it is started again, where xinetd pauses the service (xinetd's second number has
   * no equivalent). Default: unset (systemd's trigger limit).
   */
  cps?: pulumi.Input<number>;
  /** `NAME=value` items for the server. Default: unset. */
  env?: pulumi.Input<pulumi.Input<string>[]>;
  /** The server's nice value. Default: unset. */
  nice?: pulumi.Input<number>;
  /** Octal text such as `"022"`; read back as four digits. Default: unset. */
  umask?: pulumi.Input<string>;
  /** Bytes, `"64M"`, or `"UNLIMITED"`. Default: unset. */
  rlimitAs?: pulumi.Input<SystemdResourceLimit>;
  /** Seconds, or `"UNLIMITED"`. Default: unset. */
  rlimitCpu?: pulumi.Input<number | "UNLIMITED">;
  /** Bytes, `"64M"`, or `"UNLIMITED"`. Default: unset. */
  rlimitData?: pulumi.Input<SystemdResourceLimit>;
  /** Open files, or `"UNLIMITED"`. Default: unset. */
  rlimitFiles?: pulumi.Input<SystemdResourceLimit>;
  /** Bytes, `"64M"`, or `"UNLIMITED"`. Default: unset. */
  rlimitRss?: pulumi.Input<SystemdResourceLimit>;
  /** Bytes, `"64M"`, or `"UNLIMITED"`. Default: unset. */
  rlimitStack?: pulumi.Input<SystemdResourceLimit>;
}

/** Inputs the provider stores in a form of its own: defaulted, or read back as systemd reads them. */
interface SystemdSocketServiceStored {
  unitDir: string;
  socketType: SystemdSocketType;
  wait: boolean;
  serverArgs: string[] | undefined;
  umask: string | undefined;
  rlimitAs: number | "UNLIMITED" | undefined;
  rlimitData: number | "UNLIMITED" | undefined;
  rlimitFiles: number | "UNLIMITED" | undefined;
  rlimitRss: number | "UNLIMITED" | undefined;
  rlimitStack: number | "UNLIMITED" | undefined;
  extra: { socket?: Record<string, string[]>; service?: Record<string, string[]> } | undefined;
}

/** Every input as an output (`connection` secret), and the files on the host. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the outputs' types, declared only
export interface SystemdSocketService extends InputOutputs<SystemdSocketServiceArgs, SystemdSocketServiceStored> {
  /** The socket unit's path. */
  readonly socketPath: pulumi.Output<string>;
  /** The service unit's path (`NAME@.service` or `NAME.service`). */
  readonly servicePath: pulumi.Output<string>;
  /** The drop-ins (`NAME.socket.d/*.conf`, ...) found on the host, whose settings refresh reads too. */
  readonly dropIns: pulumi.Output<string[]>;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface
export class SystemdSocketService extends pulumi.dynamic.Resource {
  constructor(name: string, args: SystemdSocketServiceArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      connection: pulumi.secret(args.connection),
      secretContent: secretContentOf(args),
      socketPath: undefined,
      servicePath: undefined,
      dropIns: undefined,
    };
    super(
      providerShim("systemdSocketService"),
      name,
      props,
      withSecretOutputs(opts, ["connection"]),
      "pulumi-xinetd",
      "SystemdSocketService",
    );
  }
}
