/**
 * The hostile-input table of `SystemdSocketService`, in the style of cases.ts: one row per hostile
 * value put into one input, with what a demanding user expects (`refused`, `harmless`, `either`,
 * `refusedOrRejected`; see cases.ts). A harmless value is observed as the real systemd on the host
 * took it: the server (a dump script) reports the argv, identity, umask, niceness and environment
 * it was started with, and `systemctl show` the units' settings.
 * Injection attempts write /tmp/pwned-<id>; the suite checks that no such file appears anywhere.
 */
import type { PropertyBag } from "../support/provider-host";

/** What the server was started with, as it reports it to a client of the socket. */
export interface Served {
  /** Its arguments, argv[1] on. */
  args: string[];
  user: string;
  group: string;
  umask: string;
  nice: string;
  /** `NAME=value` items. */
  env: string[];
}

export interface SystemdObserver {
  readonly id: string;
  /** The inputs as sent to create (base inputs with the hostile value put in). */
  readonly inputs: PropertyBag;
  readonly outputs: PropertyBag;
  /** One property of a unit as `systemctl show -p NAME --value` prints it (trailing newline removed). */
  show(unit: string, property: string): Promise<string>;
  /** Connects to the socket's port from the root namespace: what the server reports. */
  serve(): Promise<Served>;
}

export type SystemdObservation = (o: SystemdObserver) => Promise<void>;

export type SystemdExpectation =
  | { outcome: "refused"; property: string }
  | { outcome: "harmless"; observe: SystemdObservation }
  | { outcome: "either"; property: string; observe: SystemdObservation }
  | { outcome: "refusedOrRejected"; property: string };

export interface SystemdHostileCase {
  /** Short, unique, `[a-z0-9]`: names the case's units, port and marker. */
  id: string;
  /** Dotted path into the inputs (see `withValue` in cases.ts). */
  property: string;
  value: unknown;
  what: string;
  expect: SystemdExpectation;
  /** Changes to the base inputs this case needs (`null` removes a property). */
  base?: PropertyBag;
  /** A product bug this case shows and that is not fixed yet: the case runs as a TODO, its failure reported. */
  knownBug?: string;
}

/** The server every case runs: it prints what it was started with, NUL-separated, to the connection. */
export const DUMP = "/usr/local/bin/hs-dump";
export const DUMP_SCRIPT = [
  "#!/bin/sh",
  "for a do printf 'arg=%s\\0' \"$a\"; done",
  'printf \'user=%s\\0group=%s\\0umask=%s\\0nice=%s\\0\' "$(id -un)" "$(id -gn)" "$(umask)" "$(nice)"',
  "env -0 | sed -z 's/^/env=/'",
  "",
].join("\n");
/** Copies of the dump script under names a unit file must quote or escape. */
export const DUMP_COPIES = [
  "/usr/local/bin/hs dump",
  "/usr/local/bin/hs%dump",
  "/usr/local/bin/hs;dump",
  "/usr/local/bin/hs-düмp",
];
export const SYSTEMD_PORT_BASE = 7600;

export function systemdBaseInputs(c: { id: string; n: number; connection: PropertyBag }): PropertyBag {
  return {
    connection: c.connection,
    serviceName: `hs${c.id}`,
    description: `guard ${c.id}`,
    port: SYSTEMD_PORT_BASE + c.n,
    user: "nobody",
    server: DUMP,
    serverArgs: [`guard-${c.id}`],
  };
}

/** The service unit `systemctl show` reads for a case: an instance of the template. */
export const serviceUnit = (o: SystemdObserver) => `${String(o.inputs.serviceName)}@probe.service`;
export const socketUnit = (o: SystemdObserver) => `${String(o.inputs.serviceName)}.socket`;

const fail = (message: string): never => {
  throw new Error(message);
};

function eq(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export function all(...observations: SystemdObservation[]): SystemdObservation {
  return async (o) => {
    for (const observe of observations) await observe(o);
  };
}

/**
 * The server runs with exactly these arguments (default: the case's guard) and what else is given;
 * `env` items must all be in its environment. systemd's `ExecStart=` reading ignores the exit status
 * and runs `server` (as `systemctl show` reports it).
 */
export function serves(
  want: { args?: string[]; user?: string; group?: string; umask?: string; nice?: string; env?: string[] } = {},
): SystemdObservation {
  return async (o) => {
    const served = await o.serve();
    eq(served.args, want.args ?? [`guard-${o.id}`], "the server's arguments");
    eq(served.user, want.user ?? "nobody", "the server's user");
    if (want.group !== undefined) eq(served.group, want.group, "the server's group");
    if (want.umask !== undefined) eq(served.umask, want.umask, "the server's umask");
    if (want.nice !== undefined) eq(served.nice, want.nice, "the server's nice value");
    for (const item of want.env ?? [])
      if (!served.env.includes(item))
        fail(`the server's environment lacks ${JSON.stringify(item)}: ${JSON.stringify(served.env)}`);
    const exec = await o.show(serviceUnit(o), "ExecStart");
    const path = /path=(.*?) ; argv\[\]=/.exec(exec)?.[1];
    eq(path, String(o.inputs.server), "ExecStart's path");
    if (!/ignore_errors=yes/.test(exec)) fail(`ExecStart does not ignore the exit status: ${exec}`);
  };
}

/** `systemctl show` of the unit reads `property` as exactly `value`. */
export function shows(unit: (o: SystemdObserver) => string, property: string, value: string): SystemdObservation {
  return async (o) => eq(await o.show(unit(o), property), value, `${unit(o)} ${property}`);
}

/** `systemctl show` of the unit reads `property` as these blank-separated words, in any order. */
function showsWords(unit: (o: SystemdObserver) => string, property: string, words: string[]): SystemdObservation {
  return async (o) =>
    eq((await o.show(unit(o), property)).split(" ").sort(), [...words].sort(), `${unit(o)} ${property}`);
}

/** Both units' `Description=` reads exactly as the input says, and the service serves. */
const describes = (text: string) =>
  all(shows(socketUnit, "Description", text), shows(serviceUnit, "Description", text), serves());

const refused = (property: string): SystemdExpectation => ({ outcome: "refused", property });
const harmless = (observe: SystemdObservation): SystemdExpectation => ({ outcome: "harmless", observe });
const either = (property: string, observe: SystemdObservation): SystemdExpectation => ({
  outcome: "either",
  property,
  observe,
});
const refusedOrRejected = (property: string): SystemdExpectation => ({ outcome: "refusedOrRejected", property });

type Row = [
  id: string,
  property: string,
  value: unknown,
  what: string,
  expect: SystemdExpectation,
  base?: PropertyBag,
  knownBug?: string,
];

const KIB64 = "x".repeat(64 * 1024);
const ENV_ITEMS = [
  "A=$X ${Y} $(touch /tmp/pwned-d50) `touch /tmp/pwned-d50`",
  "B=%n %% % %i",
  "C='q' \"d\" \\ ; # x",
  "D=",
  "E=a=b",
  "F=\\",
  "G=a\tb",
];

const ROWS: Row[] = [
  // serviceName: the units' name stem.
  ["d01", "serviceName", "hsd01.x_y", "`.` and `_` (valid in unit names)", harmless(serves())],
  // systemd takes `:` in a unit name, but `systemd-analyze verify` fails on it ("Couldn't process aliases").
  ["d01b", "serviceName", "hsd01b:x", "`:` (valid in unit names)", refusedOrRejected("serviceName")],
  // Was a product bug: check passed it, then systemctl read `-hsd02.socket` as options at create.
  ["d02", "serviceName", "-hsd02", "leading `-` (an option to systemctl)", refused("serviceName")],
  ["d03", "serviceName", "hsd03\n[Service]", "newline", refused("serviceName")],
  ["d04", "serviceName", "../hsd04", "`..` and `/`", refused("serviceName")],
  ["d05", "serviceName", "hs$(touch /tmp/pwned-d05)", "`$()`", refused("serviceName")],
  ["d06", "serviceName", "hsd06@x", "`@` (a template's instance)", refused("serviceName")],
  ["d07", "serviceName", ".hsd07", "leading `.` (a hidden file name)", either("serviceName", serves())],
  ["d08", "serviceName", "hsd08\u200b", "zero-width space", refused("serviceName")],
  ["d09", "serviceName", "x".repeat(250), "over systemd's 255-byte unit name", refused("serviceName")],
  ["d10", "serviceName", "", "empty", refused("serviceName")],
  ["d10b", "serviceName", "hs\\x2dd10b", "`\\x2d` (systemd's escape)", refused("serviceName")],
  [
    "d10c",
    "serviceName",
    "rsync",
    "the name of the host's packaged rsync.service (`wait: true` would shadow it)",
    refusedOrRejected("serviceName"),
    { wait: true, serverArgs: null },
  ],
  // unitDir
  ["d11", "unitDir", "etc/systemd/system", "relative directory", refused("unitDir")],
  ["d12", "unitDir", "/etc/systemd/system/../system", "`..`", refused("unitDir")],
  ["d13", "unitDir", "/etc/systemd/system\n", "newline", refused("unitDir")],
  [
    "d14",
    "unitDir",
    "/etc/hs'$(touch /tmp/pwned-d14)'`touch /tmp/pwned-d14`",
    "`'`, `$()` and backticks (outside systemd's search path)",
    refusedOrRejected("unitDir"),
  ],
  ["d15", "unitDir", "/run/systemd/system", "systemd's runtime directory", harmless(serves())],
  ["d16", "unitDir", "-rf", "option-like", refused("unitDir")],
  // server
  ["d17", "server", "/usr/local/bin/hs dump", "blank in the path (quoted)", harmless(serves())],
  ["d18", "server", "/usr/local/bin/hs%dump", "`%` in the path (a specifier)", harmless(serves())],
  ["d19", "server", "/usr/local/bin/hs;dump", "`;` in the path", harmless(serves())],
  ["d19b", "server", "/usr/local/bin/hs-düмp", "non-ASCII path", harmless(serves())],
  [
    "d20",
    "server",
    "/usr/local/bin/hs-dump;touch /tmp/pwned-d20",
    "`;` and a command (no such file)",
    refusedOrRejected("server"),
  ],
  ["d21", "server", "/usr/local/bin/hs$dump", "`$` (expanded in argv[0])", refused("server")],
  ["d22", "server", `-${DUMP}`, "leading `-` prefix", refused("server")],
  ["d23", "server", `@${DUMP}`, "leading `@` prefix", refused("server")],
  ["d23b", "server", `+${DUMP}`, "leading `+` prefix (full privileges)", refused("server")],
  ["d23c", "server", `!!${DUMP}`, "leading `!!` prefix", refused("server")],
  ["d24", "server", `${DUMP}\n`, "trailing newline", refused("server")],
  ["d25", "server", '/usr/local/bin/hs"dump', "double quote", refused("server")],
  ["d26", "server", "/usr/local/bin/hs\\dump", "backslash", refused("server")],
  ["d27", "server", `${DUMP} `, "trailing blank (no such file)", refusedOrRejected("server")],
  ["d28", "server", "/usr/local/bin//hs-dump", "`//` (systemd simplifies it)", refused("server")],
  ["d29", "server", "/usr/local/bin/hs\u202edump", "RTL override", refused("server")],
  // serverArgs as a list: one word each, whatever it holds.
  [
    "d30",
    "serverArgs",
    ["$", "$$", "$$$", "a$", "$1", "$@", "$*"],
    "`$` and `$$` as words",
    harmless(serves({ args: ["$", "$$", "$$$", "a$", "$1", "$@", "$*"] })),
  ],
  [
    "d31",
    "serverArgs",
    ["%", "%%", "%n", "%i", "100%"],
    "`%` and `%%` (specifiers)",
    harmless(serves({ args: ["%", "%%", "%n", "%i", "100%"] })),
  ],
  [
    "d32",
    "serverArgs",
    [";", "a;", ";b", "\\;", "&&", "|", "; touch /tmp/pwned-d32"],
    "`;` (systemd's command separator) and shell operators",
    harmless(serves({ args: [";", "a;", ";b", "\\;", "&&", "|", "; touch /tmp/pwned-d32"] })),
  ],
  [
    "d33",
    "serverArgs",
    ["'", '"', "'a b'", '"c d"', "it's", "\"'"],
    "quotes",
    harmless(serves({ args: ["'", '"', "'a b'", '"c d"', "it's", "\"'"] })),
  ],
  [
    "d34",
    "serverArgs",
    ["\\", "a\\", "\\\\", "a\\nb", "\\x41", "\\s"],
    "backslashes, `\\` at the end, escapes systemd knows",
    harmless(serves({ args: ["\\", "a\\", "\\\\", "a\\nb", "\\x41", "\\s"] })),
  ],
  [
    "d35",
    "serverArgs",
    ["${PATH}", "$PATH", "${VAR}", "$(touch /tmp/pwned-d35)", "`touch /tmp/pwned-d35`"],
    "`${VAR}`, `$VAR`, `$()`, backticks",
    harmless(serves({ args: ["${PATH}", "$PATH", "${VAR}", "$(touch /tmp/pwned-d35)", "`touch /tmp/pwned-d35`"] })),
  ],
  [
    "d36",
    "serverArgs",
    ["-", "-x", "@x", "+x", "!x", "!!x", ":x", "--", "-@+!"],
    "leading `-`, `@`, `+`, `!`, `:` (prefixes of a command's first word)",
    harmless(serves({ args: ["-", "-x", "@x", "+x", "!x", "!!x", ":x", "--", "-@+!"] })),
  ],
  [
    "d37",
    "serverArgs",
    ["a\tb", " lead", "trail ", "in side", "#x"],
    "TAB, outer and inner blanks, leading `#`",
    harmless(serves({ args: ["a\tb", " lead", "trail ", "in side", "#x"] })),
  ],
  ["d37b", "serverArgs", ["", "x"], "empty word", either("serverArgs", serves({ args: ["", "x"] }))],
  ["d38", "serverArgs", ["a\nb"], "newline", refused("serverArgs")],
  ["d39", "serverArgs", ["a\rb"], "CR", refused("serverArgs")],
  ["d40", "serverArgs", ["a\u0000b"], "NUL", refused("serverArgs")],
  ["d41", "serverArgs", ["ls\u2028ep"], "U+2028 line separator", refused("serverArgs")],
  ["d41b", "serverArgs", ["para\u2029sep"], "U+2029 paragraph separator", refused("serverArgs")],
  ["d42", "serverArgs", ["rtl\u202eevil"], "bidi override", refused("serverArgs")],
  ["d42b", "serverArgs", ["\u2066isolate\u2069"], "bidi isolate", refused("serverArgs")],
  ["d42c", "serverArgs", ["nel\u0085"], "C1 control (NEL)", refused("serverArgs")],
  ["d42d", "serverArgs", ["esc\u001b[31m"], "ESC", refused("serverArgs")],
  [
    "d43",
    "serverArgs",
    ["ｆｕｌｌ", "аdmin", "é", "日本", "zero\u200bwidth"],
    "fullwidth, Cyrillic, CJK, zero-width",
    harmless(serves({ args: ["ｆｕｌｌ", "аdmin", "é", "日本", "zero\u200bwidth"] })),
  ],
  ["d44", "serverArgs", [KIB64], "64 KiB word", either("serverArgs", serves({ args: [KIB64] }))],
  // serverArgs as one line: split at blanks as XinetdService splits it, then one word each.
  [
    "d45",
    "serverArgs",
    "a 'b c' $(touch /tmp/pwned-d45) %n $$ \\ ; ${X}",
    "one line with quotes, `$()`, `%`, `$$`, `\\`, `;`, `${}`",
    harmless(serves({ args: ["a", "'b", "c'", "$(touch", "/tmp/pwned-d45)", "%n", "$$", "\\", ";", "${X}"] })),
  ],
  ["d46", "serverArgs", "a\nb", "one line with a newline", refused("serverArgs")],
  ["d47", "serverArgs", "a\tb", "one line with a TAB", either("serverArgs", serves({ args: ["a", "b"] }))],
  ["d48", "serverArgs", "x\u0000", "one line with NUL", refused("serverArgs")],
  // env
  [
    "d50",
    "env",
    ENV_ITEMS,
    "`$`, `${}`, `$()`, backticks, `%`, quotes, `\\`, TAB in values",
    harmless(serves({ env: ENV_ITEMS })),
  ],
  ["d51", "env", ["A=ｆｕｌｌ аdmin é"], "non-ASCII value", harmless(serves({ env: ["A=ｆｕｌｌ аdmin é"] }))],
  ["d52", "env", ["A B=c"], "blank in the name", refused("env")],
  ["d53", "env", ["=x"], "empty name", refused("env")],
  ["d54", "env", ["1A=x"], "name starting with a digit", refused("env")],
  ["d55", "env", ["A=x\ny"], "newline in the value", refused("env")],
  ["d56", "env", ["A=\u2028"], "U+2028 in the value", refused("env")],
  ["d57", "env", ["A-B=x"], "`-` in the name", refused("env")],
  ["d58", "env", ["NOEQUALS"], "no `=`", refused("env")],
  ["d59", "env", ["A=b\u0000c"], "NUL in the value", refused("env")],
  ["d59b", "env", ["A%n=x"], "`%` in the name", refused("env")],
  ["d59c", "env", ["A$B=x"], "`$` in the name", refused("env")],
  ["d59d", "env", "A=b", "a string for the list", refused("env")],
  // user and group
  ["d60", "user", "nobody;touch /tmp/pwned-d60", "shell operators", refused("user")],
  ["d61", "user", "0", "a number (root)", harmless(serves({ user: "root" }))],
  ["d62", "user", "-x", "leading `-`", refused("user")],
  ["d63", "user", "+x", "leading `+`", refused("user")],
  ["d64", "user", "@x", "leading `@`", refused("user")],
  ["d65", "user", "nobody\n", "newline", refused("user")],
  ["d66", "user", "nobody ", "trailing blank", refused("user")],
  ["d67", "user", "nobody\u200b", "zero-width space", refused("user")],
  ["d67b", "user", "%u", "a specifier", refused("user")],
  // systemd-analyze verify does not look users up; the change script does, before any swap.
  ["d68", "user", "hsnosuchuser", "a user the host does not have", refusedOrRejected("user")],
  ["d68b", "group", "hsnosuchgroup", "a group the host does not have", refusedOrRejected("group")],
  ["d69", "group", "nogroup", "a plain group", harmless(serves({ group: "nogroup" }))],
  ["d70", "group", "nogroup;id", "shell operators", refused("group")],
  ["d71", "group", "%g", "a specifier", refused("group")],
  ["d71b", "group", "nogroup\r", "CR", refused("group")],
  // description
  ["d72", "description", "x\n[Service]\nExecStart=/bin/sh", "newline opening `[Service]`", refused("description")],
  ["d73", "description", "[Service]", "a section header as text", harmless(describes("[Service]"))],
  [
    "d74",
    "description",
    "%n %% $X ${Y} $(touch /tmp/pwned-d74) \\ \"q\" 'r' ; # x",
    "`%`, `$`, `$()`, `\\`, quotes, `;`, `#`",
    harmless(describes("%n %% $X ${Y} $(touch /tmp/pwned-d74) \\ \"q\" 'r' ; # x")),
  ],
  ["d75", "description", "x\\", "`\\` at the end (joins the next line)", refused("description")],
  ["d76", "description", "x\ry", "CR", refused("description")],
  ["d77", "description", "a\u202eb", "bidi override", refused("description")],
  ["d78", "description", "  padded ", "outer blanks (systemd strips them)", refused("description")],
  ["d79", "description", "#not a comment", "leading `#`", harmless(describes("#not a comment"))],
  ["d79b", "description", "ｆｕｌｌ аdmin", "fullwidth and Cyrillic", harmless(describes("ｆｕｌｌ аdmin"))],
  // bind
  [
    "d80",
    "bind",
    "127.0.0.1",
    "loopback only",
    harmless(async (o) => shows(socketUnit, "Listen", `127.0.0.1:${Number(o.inputs.port)} (Stream)`)(o)),
  ],
  ["d81", "bind", "0.0.0.0 ", "trailing blank", refused("bind")],
  ["d82", "bind", "localhost", "a host name", refused("bind")],
  ["d83", "bind", "::1", "IPv6 without the flag", refused("bind")],
  ["d84", "bind", "10.0.0.1\n", "newline", refused("bind")],
  ["d85", "bind", "$(touch /tmp/pwned-d85)", "`$()`", refused("bind")],
  ["d86", "bind", "[::1]", "brackets", refused("bind")],
  ["d86b", "bind", "10.0.0.1:22", "a port in the address", refused("bind")],
  // onlyFrom
  ["d87", "onlyFrom", ["10.0.0.0/8 any"], "two items in one", refused("onlyFrom")],
  ["d88", "onlyFrom", ["example.com"], "a host name", refused("onlyFrom")],
  ["d89", "onlyFrom", ["10.0.0.1\n"], "newline", refused("onlyFrom")],
  ["d89b", "onlyFrom", [], "empty list", refused("onlyFrom")],
  ["d89c", "onlyFrom", ["10.0.0.1/33"], "prefix too long", refused("onlyFrom")],
  [
    "d90",
    "onlyFrom",
    ["192.0.2.1", "198.51.100.0/24"],
    "addresses only (nobody from the lab is allowed)",
    harmless(
      all(
        showsWords(socketUnit, "IPAddressAllow", ["192.0.2.1/32", "198.51.100.0/24"]),
        showsWords(socketUnit, "IPAddressDeny", ["0.0.0.0/0", "::/0"]),
      ),
    ),
  ],
  // extra: names and values
  ["d91", "extra", { service: { "A=B": "c" } }, "`=` in a setting name", refused("extra")],
  ["d92", "extra", { service: { "A]": "c" } }, "`]` in a setting name", refused("extra")],
  [
    "d93",
    "extra",
    { socket: { "]\n[Service]\nExecStart": "/bin/sh" } },
    "newline and section in a name",
    refused("extra"),
  ],
  [
    "d94",
    "extra",
    { service: { SyslogIdentifier: "x\n[Service]\nExecStartPre=/bin/touch /tmp/pwned-d94" } },
    "`[Service]` injection through a value's newline",
    refused("extra"),
  ],
  ["d95", "extra", { socket: { "[Service]": "x" } }, "a section header as a name", refused("extra")],
  ["d96", "extra", { service: { ExecStart: "/bin/sh" } }, "a setting the typed fields write", refused("extra")],
  ["d96b", "extra", { socket: { Accept: "no" } }, "`Accept=` in extra", refused("extra")],
  ["d96c", "extra", { service: { User: "root" } }, "`User=` in extra", refused("extra")],
  [
    "d97",
    "extra",
    { service: { execstart: "/bin/sh -c 'touch /tmp/pwned-d97'" } },
    "a setting name in the wrong case (systemd ignores it)",
    refusedOrRejected("extra"),
  ],
  [
    "d98",
    "extra",
    { service: { SyslogIdentifier: "id%%x" } },
    "`%%` in a value (systemd's own syntax: `%`)",
    harmless(all(shows(serviceUnit, "SyslogIdentifier", "id%x"), serves())),
  ],
  [
    "d98b",
    "extra",
    { service: { SyslogIdentifier: "#x ; y" } },
    "leading `#` and `;` in a value",
    harmless(all(shows(serviceUnit, "SyslogIdentifier", "#x ; y"), serves())),
  ],
  [
    "d99",
    "extra",
    { socket: { Service: "ssh.service" } },
    "`Service=` on an accepting socket",
    refusedOrRejected("extra"),
  ],
  ["d99b", "extra", { service: { SyslogIdentifier: "x\\" } }, "`\\` at the end of a value", refused("extra")],
  ["d99c", "extra", { service: { SyslogIdentifier: "x\r" } }, "CR in a value", refused("extra")],
  ["d99d", "extra", { service: { SyslogIdentifier: " x" } }, "leading blank (systemd strips it)", refused("extra")],
  ["d99e", "extra", { unit: { After: "x" } }, "a part other than socket and service", refused("extra")],
  ["d99f", "extra", { service: { "#x": "y" } }, "a name read as a comment", refused("extra")],
  ["d99g", "extra", { service: { ProtectSystem: ["full", ""] } }, "empty item (resets the list)", refused("extra")],
  // umask and nice
  ["d100", "umask", "022\n", "newline", refused("umask")],
  ["d101", "umask", "999", "not octal", refused("umask")],
  ["d102", "umask", "-1", "negative", refused("umask")],
  ["d103", "umask", "0o22", "`0o` prefix", refused("umask")],
  ["d104", "umask", 18, "a number", refused("umask")],
  ["d105", "umask", "", "empty", refused("umask")],
  ["d106", "umask", "0777", "everything masked", harmless(serves({ umask: "0777" }))],
  ["d107", "nice", "5; id", "a string", refused("nice")],
  ["d108", "nice", 20, "above 19", refused("nice")],
  ["d109", "nice", -21, "below -20", refused("nice")],
  ["d110", "nice", 1.5, "a fraction", refused("nice")],
  ["d111", "nice", Number.NaN, "NaN", refused("nice")],
  ["d112", "nice", -5, "negative (only root may)", harmless(serves({ nice: "-5" }))],
  // the connection's host
  [
    "d113",
    "connection.host",
    "-oProxyCommand=touch /tmp/pwned-d113",
    "option-like host",
    refusedOrRejected("connection"),
  ],
  [
    "d114",
    "connection.host",
    "10.0.0.1\nProxyCommand touch /tmp/pwned-d114",
    "newline in the host",
    refused("connection"),
  ],
  ["d115", "connection.host", "$(touch /tmp/pwned-d115)", "`$()` as the host", refusedOrRejected("connection")],
  ["d116", "connection.host", "10.0.0.1\u0000", "NUL in the host", refused("connection")],
];

export const SYSTEMD_CASES: readonly SystemdHostileCase[] = ROWS.map(
  ([id, property, value, what, expect, base, knownBug]) => ({
    id,
    property,
    value,
    what,
    expect,
    ...(base ? { base } : {}),
    ...(knownBug ? { knownBug } : {}),
  }),
);
