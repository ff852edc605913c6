/**
 * The typed parameters of `SystemdSocketService`: XinetdService's names and shapes where systemd
 * has the meaning, each with the systemd setting it becomes. The provider's key list, the args'
 * TSDoc and the README's reference come from this table.
 */

export interface SystemdParameter {
  readonly key: string;
  /** The systemd setting(s) written, as the reference shows them. */
  readonly name: string;
  readonly type: string;
  /** `socket`, `service` or `socket, service`: which unit holds it. */
  readonly scope: string;
  readonly doc: string;
  readonly default?: string;
}

export const SYSTEMD_SOCKET_SERVICE_PARAMETERS = [
  {
    key: "description",
    name: "Description=",
    type: "string",
    scope: "socket, service",
    doc: "Both units' description.",
    default: "unset",
  },
  {
    key: "port",
    name: "ListenStream=",
    type: "number",
    scope: "socket",
    doc: "The port to listen on (`ListenDatagram=` for dgram, `ListenSequentialPacket=` for seqpacket). Required.",
  },
  {
    key: "socketType",
    name: "ListenStream=",
    type: "SystemdSocketType",
    scope: "socket",
    doc: "`stream`, `dgram` or `seqpacket`; xinetd's `raw` is refused.",
    default: '`"stream"`',
  },
  {
    key: "wait",
    name: "Accept=",
    type: "boolean",
    scope: "socket",
    doc:
      "`false`: `Accept=yes` and the template `NAME@.service`, one process per connection; `true`: `Accept=no` and " +
      "`NAME.service`, which gets the listening socket.",
    default: "`false`",
  },
  {
    key: "user",
    name: "User=",
    type: "string",
    scope: "service",
    doc: "The user the server runs as.",
    default: "unset (root)",
  },
  {
    key: "group",
    name: "Group=",
    type: "string",
    scope: "service",
    doc: "The group the server runs as.",
    default: "unset (the user's group)",
  },
  {
    key: "server",
    name: "ExecStart=",
    type: "string",
    scope: "service",
    doc: "The server program's absolute path; it must be an executable file on the host. Required.",
  },
  {
    key: "serverArgs",
    name: "ExecStart=",
    type: "string | string[]",
    scope: "service",
    doc:
      "Its arguments: one word per element whatever it holds (quoted and escaped as needed), or one line split at " +
      "blanks as XinetdService splits it. The state holds the list either way.",
    default: "unset",
  },
  {
    key: "bind",
    name: "ListenStream=",
    type: "string",
    scope: "socket",
    doc: "A numeric address to listen on (IPv6 with the `IPv6` flag).",
    default: "unset (all addresses)",
  },
  {
    key: "flags",
    name: "BindIPv6Only=, KeepAlive=, NoDelay=",
    type: "string[]",
    scope: "socket, service",
    doc:
      "xinetd flags systemd expresses: `IPv4`, `IPv6`, `KEEPALIVE`, `NODELAY`, `NAMEINARGS` (`ExecStart=@`), and " +
      "`REUSE`/`NOLIBWRAP` (what systemd always does); any other is refused by `check`.",
    default: "unset",
  },
  {
    key: "v6only",
    name: "BindIPv6Only=",
    type: "boolean",
    scope: "socket",
    doc: "With `IPv6`: `ipv6-only` instead of `both`.",
    default: "unset (`false`)",
  },
  {
    key: "onlyFrom",
    name: "IPAddressAllow=",
    type: "string[]",
    scope: "socket",
    doc: "Addresses or prefixes allowed (with `IPAddressDeny=any`); no host names.",
    default: "unset (everyone)",
  },
  {
    key: "noAccess",
    name: "IPAddressDeny=",
    type: "string[]",
    scope: "socket",
    doc: "Addresses or prefixes refused; not together with `onlyFrom`.",
    default: "unset",
  },
  {
    key: "instances",
    name: "MaxConnections=",
    type: "number",
    scope: "socket",
    doc: "Simultaneous connections (`wait: false` only).",
    default: "unset (systemd: 64)",
  },
  {
    key: "perSource",
    name: "MaxConnectionsPerSource=",
    type: "number",
    scope: "socket",
    doc: "Simultaneous connections per client address (`wait: false` only).",
    default: "unset",
  },
  {
    key: "cps",
    name: "TriggerLimitBurst=",
    type: "number",
    scope: "socket",
    doc:
      "Connections per second, only approximated: `TriggerLimitIntervalSec=1s` and `TriggerLimitBurst=`; past it " +
      "systemd fails the socket until it is started again, where xinetd pauses the service (xinetd's second number " +
      "has no equivalent).",
    default: "unset (systemd's trigger limit)",
  },
  {
    key: "env",
    name: "Environment=",
    type: "string[]",
    scope: "service",
    doc: "`NAME=value` items for the server.",
    default: "unset",
  },
  { key: "nice", name: "Nice=", type: "number", scope: "service", doc: "The server's nice value.", default: "unset" },
  {
    key: "umask",
    name: "UMask=",
    type: "string",
    scope: "service",
    doc: 'Octal text such as `"022"`; read back as four digits.',
    default: "unset",
  },
  {
    key: "rlimitAs",
    name: "LimitAS=",
    type: "SystemdResourceLimit",
    scope: "service",
    doc: 'Bytes, `"64M"`, or `"UNLIMITED"`.',
    default: "unset",
  },
  {
    key: "rlimitCpu",
    name: "LimitCPU=",
    type: 'number | "UNLIMITED"',
    scope: "service",
    doc: 'Seconds, or `"UNLIMITED"`.',
    default: "unset",
  },
  {
    key: "rlimitData",
    name: "LimitDATA=",
    type: "SystemdResourceLimit",
    scope: "service",
    doc: 'Bytes, `"64M"`, or `"UNLIMITED"`.',
    default: "unset",
  },
  {
    key: "rlimitFiles",
    name: "LimitNOFILE=",
    type: "SystemdResourceLimit",
    scope: "service",
    doc: 'Open files, or `"UNLIMITED"`.',
    default: "unset",
  },
  {
    key: "rlimitRss",
    name: "LimitRSS=",
    type: "SystemdResourceLimit",
    scope: "service",
    doc: 'Bytes, `"64M"`, or `"UNLIMITED"`.',
    default: "unset",
  },
  {
    key: "rlimitStack",
    name: "LimitSTACK=",
    type: "SystemdResourceLimit",
    scope: "service",
    doc: 'Bytes, `"64M"`, or `"UNLIMITED"`.',
    default: "unset",
  },
] as const satisfies readonly SystemdParameter[];

export const SYSTEMD_PARAMETER_KEYS: readonly string[] = SYSTEMD_SOCKET_SERVICE_PARAMETERS.map((p) => p.key);

/** `extra` of `SystemdSocketService`: settings by section, a value or a list of values each. */
export type SystemdExtra = { socket?: Record<string, string | string[]>; service?: Record<string, string | string[]> };
