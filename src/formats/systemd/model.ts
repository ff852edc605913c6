/**
 * The typed view of one inetd-style service run by systemd socket activation: `NAME.socket` plus
 * `NAME@.service` (`Accept=yes`, one process per connection, for `wait: false`) or `NAME.service`
 * (`Accept=no`, the server gets the listening socket, for `wait: true`). Field names and shapes
 * are XinetdService's wherever systemd has the meaning. Values are literal: whatever is written
 * is escaped (`%` as `%%`, `$` as `$$` in `ExecStart=`, quotes and `\` inside quotes), so no
 * value can name a specifier, a variable or another word than it says.
 */

export type SystemdSocketType = "stream" | "dgram" | "seqpacket";

/** A byte count: a number, a number with a K/M suffix (`"64M"`), or `"UNLIMITED"` (`infinity`). */
export type SystemdResourceLimit = number | string;

/** Further settings, in systemd's own value syntax, written as given (`%i` stays a specifier there). */
export type SystemdExtraSettings = Record<string, string | string[]>;

export interface SystemdSocketServiceModel {
  /** The unit name stem: `NAME.socket`, `NAME@.service` or `NAME.service`. */
  name: string;
  /** `Description=` of both units. */
  description?: string;
  /** The port to listen on (`ListenStream=`/`ListenDatagram=`/`ListenSequentialPacket=`). */
  port: number;
  /** `stream` (default), `dgram` or `seqpacket`; xinetd's `raw` has no socket unit equivalent. */
  socketType?: SystemdSocketType;
  /** `false` (default): `Accept=yes` and a template service; `true`: `Accept=no`, one service. */
  wait?: boolean;
  user?: string;
  group?: string;
  /** The absolute path of the program (`ExecStart=`, with `-`: its exit status is ignored, as xinetd does). */
  server: string;
  /** Its arguments, each one word whatever it holds. With the `NAMEINARGS` flag the first is argv[0]. */
  serverArgs?: string[];
  /** A numeric IPv4 address, or an IPv6 one with the `IPv6` flag: `ListenStream=ADDR:PORT` / `[ADDR]:PORT`. */
  bind?: string;
  /**
   * xinetd flags systemd can express: `IPv4` (the default: `0.0.0.0:PORT`), `IPv6` (`[::]:PORT` with
   * `BindIPv6Only=both`, or `ipv6-only` with `v6only`), `KEEPALIVE` (`KeepAlive=yes`), `NODELAY`
   * (`NoDelay=yes`), `NAMEINARGS` (`ExecStart=@…`), and `REUSE` and `NOLIBWRAP`, which are what
   * systemd always does (it sets SO_REUSEADDR and has no libwrap). Any other flag is refused.
   */
  flags?: string[];
  v6only?: boolean;
  /** Addresses or prefixes allowed (`IPAddressAllow=` with `IPAddressDeny=any`), or `any`, `localhost`, … */
  onlyFrom?: string[];
  /** Addresses or prefixes refused (`IPAddressDeny=`). Not together with `onlyFrom`. */
  noAccess?: string[];
  /** `MaxConnections=` (`wait: false` only). Without it systemd allows 64, unlike xinetd's unlimited. */
  instances?: number;
  /** `MaxConnectionsPerSource=` (`wait: false` only). */
  perSource?: number;
  /**
   * Connections per second, approximated by `TriggerLimitIntervalSec=1s` and `TriggerLimitBurst=`:
   * past it systemd puts the socket in a failed state until it is started again, where xinetd
   * pauses the service for a number of seconds (xinetd's second `cps` number has no equivalent).
   */
  cps?: number;
  /** `NAME=value` items (`Environment=`, one line each). */
  env?: string[];
  nice?: number;
  /** Octal, as xinetd writes it (`022`); read back as four digits (`0022`). */
  umask?: string;
  rlimitAs?: SystemdResourceLimit;
  /** Seconds of CPU time, or `"UNLIMITED"`. */
  rlimitCpu?: number | "UNLIMITED";
  rlimitData?: SystemdResourceLimit;
  rlimitFiles?: SystemdResourceLimit;
  rlimitRss?: SystemdResourceLimit;
  rlimitStack?: SystemdResourceLimit;
  /** Settings of the `[Socket]` and `[Service]` sections no field covers. */
  extra?: { socket?: SystemdExtraSettings; service?: SystemdExtraSettings };
}

/** Every model key that holds a setting (all but `name` and `extra`). */
export type SystemdSocketServiceKey = Exclude<keyof SystemdSocketServiceModel, "name" | "extra">;
