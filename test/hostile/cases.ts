/**
 * The hostile-input table: one row per hostile value put into one input of one resource kind.
 *
 * Each row names the kind, the property path the value goes to (over the kind's base inputs) and
 * what a demanding user expects:
 * - `refused`: `check` refuses it naming the property (nothing reaches the host);
 * - `harmless`: it applies through create, and the real daemons on the host read exactly what the
 *   value says (the observation proves it);
 * - `either`: both are acceptable (the format could hold the value, or refusing it is as fair);
 * - `refusedOrRejected`: refused by `check`, or create fails and the host is byte-identical (what
 *   check cannot know: which users exist on the host).
 * Injection attempts write /tmp/pwned-<id>; the suite checks that no such file appears anywhere.
 */
import type { PropertyBag } from "../support/provider-host";

export type HostileKind = "xinetdService" | "rsyncModule" | "rsyncdConfig" | "rsyncSecrets" | "rsyncServer";

/** What an observation can ask of the lab host a case ran on. */
export interface Observer {
  /** The case's id, as in its names and marker file. */
  readonly id: string;
  /** The inputs as sent to create (base inputs with the hostile value put in). */
  readonly inputs: PropertyBag;
  /** The outputs create returned. */
  readonly outputs: PropertyBag;
  /** A file's bytes on the host, undefined when it is absent; `exec` argv, no shell. */
  file(path: string): Promise<string | undefined>;
  /** The module list the real rsync daemon gives the real client in the root namespace for this config file. */
  rsyncModules(configPath: string): Promise<{ name: string; comment: string }[]>;
  /** A module root's entry names as the real client lists them, or the daemon's `@ERROR`. */
  rsyncEntries(
    configPath: string,
    module: string,
    auth?: { user: string; password: string },
  ): Promise<string[] | { error: string }>;
  /** `true` when a (dry-run) upload to the module is refused as read only, else the client's stderr. */
  rsyncReadOnly(configPath: string, module: string): Promise<true | string>;
  /** Everything the xinetd service on `port` sends to a client in the root namespace, until it closes. */
  tcp(port: number): Promise<string>;
  /** xinetd's ERROR/WARNING lines about a file since the lab started. */
  xinetdProblems(path: string): Promise<string[]>;
}

export type Observation = (o: Observer) => Promise<void>;

export type Expectation =
  | { outcome: "refused"; property: string }
  | { outcome: "harmless"; observe: Observation }
  | { outcome: "either"; property: string; observe: Observation }
  | { outcome: "refusedOrRejected"; property: string };

export interface HostileCase {
  /** Short, unique, `[a-z0-9]`: names the case's files, module, service and marker. */
  id: string;
  kind: HostileKind;
  /** Dotted path into the inputs; the value replaces (or adds) exactly that property. */
  property: string;
  value: unknown;
  /** Why this value is hostile, one phrase. */
  what: string;
  expect: Expectation;
  /** Changes to the base inputs this case needs (`null` removes a property). */
  base?: PropertyBag;
}

/** Context the base inputs are built from: the case's id and number, and the lab host's facts. */
export interface BaseContext {
  id: string;
  /** 0-based row number, for ports. */
  n: number;
  connection: PropertyBag;
  /** The root-namespace address the host sees clients come from. */
  gateway: string;
}

export const MARKER = (id: string) => `/tmp/pwned-${id}`;
export const RSYNC_CONFIG = (id: string) => `/etc/rsyncd/h-${id}.conf`;
export const MODULE_DIR = (id: string) => `/srv/hostile/${id}`;
export const XINETD_PORT_BASE = 7400;

/** Base inputs per kind; a module serves a directory holding one file named after the case. */
export function baseInputs(kind: HostileKind, c: BaseContext): PropertyBag {
  switch (kind) {
    case "rsyncModule":
      return {
        connection: c.connection,
        configPath: RSYNC_CONFIG(c.id),
        moduleName: `m${c.id}`,
        path: MODULE_DIR(c.id),
        comment: `guard ${c.id}`,
        hostsAllow: [c.gateway],
        readOnly: true,
      };
    case "rsyncdConfig":
      // A guard module is created in the same file first (see the suite): the global part must not swallow or add one.
      return { connection: c.connection, configPath: RSYNC_CONFIG(c.id), logFile: `/var/log/rsyncd-${c.id}.log` };
    case "rsyncSecrets":
      return { connection: c.connection, path: `/etc/rsyncd/h-${c.id}.secrets`, users: { [`u${c.id}`]: `pw-${c.id}` } };
    case "xinetdService":
      return {
        connection: c.connection,
        serviceName: `hx${c.id}`,
        type: ["UNLISTED"],
        port: XINETD_PORT_BASE + c.n,
        socketType: "stream",
        wait: false,
        user: "nobody",
        server: "/bin/echo",
        serverArgs: [`guard-${c.id}`],
        onlyFrom: [c.gateway],
      };
    case "rsyncServer":
      return {
        connection: c.connection,
        configPath: RSYNC_CONFIG(c.id),
        modules: {
          [`s${c.id}`]: { path: MODULE_DIR(c.id), comment: `guard ${c.id}`, hostsAllow: [c.gateway, "127.0.0.1"] },
        },
        xinetd: { serviceName: `rs${c.id}`, type: ["UNLISTED"], port: XINETD_PORT_BASE + c.n },
      };
  }
}

/** `inputs` with `value` put at the dotted `property` path (objects on the way are copied). */
export function withValue(inputs: PropertyBag, property: string, value: unknown): PropertyBag {
  const [head, ...rest] = splitPath(property);
  if (rest.length === 0) return { ...inputs, [head!]: value };
  const inner = (inputs[head!] ?? {}) as PropertyBag;
  return { ...inputs, [head!]: withValue(inner, joinPath(rest), value) };
}

/** Dotted path segments; a segment in `«»` may hold dots and blanks (an `extra` or `users` key). */
export function splitPath(property: string): string[] {
  return [...property.matchAll(/«([^»]*)»|([^.«]+)/g)].map((m) => m[1] ?? m[2]!);
}

function joinPath(segments: string[]): string {
  return segments.map((s) => (/^[A-Za-z0-9_]+$/.test(s) ? s : `«${s}»`)).join(".");
}

/** The property name a failure must carry: the path with `«»` removed. */
export function propertyName(property: string): string {
  return splitPath(property).join(".");
}

// ---------------------------------------------------------------------------------------------
// Observations

const fail = (message: string): never => {
  throw new Error(message);
};

function eq(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** The module is listed alone with `comment`, serves its directory read-only, and nothing else is served. */
export function moduleServed(
  options: { name?: string; comment?: string; configPath?: string; dir?: string } = {},
): Observation {
  return async (o) => {
    const name = options.name ?? String(o.inputs.moduleName);
    const configPath = options.configPath ?? String(o.inputs.configPath);
    // A global part's guard module is commented `guard <id>`; a module case's comment is its input.
    const comment =
      options.comment ?? (o.inputs.moduleName === undefined ? `guard ${o.id}` : String(o.inputs.comment ?? ""));
    eq(await o.rsyncModules(configPath), [{ name, comment }], "module list");
    eq(await o.rsyncEntries(configPath, name), [o.id], `entries of ${name} (its path, nothing else)`);
    eq(await o.rsyncReadOnly(configPath, name), true, `${name} stays read only (an upload is refused)`);
  };
}

/**
 * The file at `configPath` holds this exact line (a parameter with its value, as rsync will read it, no continuation).
 */
export function hasRsyncLine(line: string, configPath?: (o: Observer) => string): Observation {
  return async (o) => {
    const path = configPath?.(o) ?? String(o.inputs.configPath);
    const text = (await o.file(path)) ?? fail(`${path} is missing`);
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.trim() === line);
    if (at < 0) fail(`${path} has no line ${JSON.stringify(line)}:\n${text}`);
    if (at > 0 && lines[at - 1]!.endsWith("\\")) fail(`the line before ${JSON.stringify(line)} continues into it`);
    if (lines[at]!.endsWith("\\")) fail(`${JSON.stringify(line)} continues into the next line`);
  };
}

export function all(...observations: Observation[]): Observation {
  return async (o) => {
    for (const observe of observations) await observe(o);
  };
}

/** The xinetd service answers the root namespace with exactly `expected`, and xinetd logged nothing about its file. */
export function serviceSays(expected: (o: Observer) => string): Observation {
  return async (o) => {
    const port = Number(o.inputs.port);
    eq(await o.xinetdProblems(String(o.outputs.path)), [], `xinetd's problems with ${String(o.outputs.path)}`);
    eq(await o.tcp(port), expected(o), `what port ${port} answers`);
  };
}

const echoes = (tokens: (o: Observer) => string[]) => serviceSays((o) => `${tokens(o).join(" ")}\n`);
const guardEcho = echoes((o) => [`guard-${o.id}`]);

/**
 * The secrets file holds exactly the users' lines, 0600 root, and the real daemon authenticates `user` with `password`.
 */
export function secretsHold(auth?: { user: string; password: string }): Observation {
  return async (o) => {
    const users = o.inputs.users as Record<string, string>;
    const expected = Object.keys(users)
      .sort()
      .map((name) => `${name}:${users[name]}\n`)
      .join("");
    eq(await o.file(String(o.inputs.path)), expected, "the secrets file");
    if (auth) {
      const config = RSYNC_CONFIG(o.id);
      const entries = await o.rsyncEntries(config, `a${o.id}`, auth);
      eq(entries, [o.id], `${auth.user} authenticates with the password and sees the module`);
      const wrong = await o.rsyncEntries(config, `a${o.id}`, { user: auth.user, password: `${auth.password}x` });
      if (Array.isArray(wrong)) fail("a wrong password was accepted");
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Values

const KIB64 = "x".repeat(64 * 1024 + 7);
const refused = (property: string): Expectation => ({ outcome: "refused", property });
const harmless = (observe: Observation): Expectation => ({ outcome: "harmless", observe });
const either = (property: string, observe: Observation): Expectation => ({ outcome: "either", property, observe });
const refusedOrRejected = (property: string): Expectation => ({ outcome: "refusedOrRejected", property });

type Row = [id: string, property: string, value: unknown, what: string, expect: Expectation, base?: PropertyBag];
const rows = (kind: HostileKind, list: Row[]): HostileCase[] =>
  list.map(([id, property, value, what, expect, base]) => ({
    id,
    kind,
    property,
    value,
    what,
    expect,
    ...(base ? { base } : {}),
  }));

/** A module parameter written verbatim: listed as before, and its line reads exactly `name = value`. */
/** The module is listed alone with its comment, and its `hosts allow` and `read only` lines are intact. */
const moduleListedAndGuarded: Observation = async (o) => {
  const name = String(o.inputs.moduleName);
  eq(await o.rsyncModules(String(o.inputs.configPath)), [{ name, comment: String(o.inputs.comment) }], "module list");
  await hasRsyncLine(`hosts allow = ${(o.inputs.hostsAllow as string[]).join(" ")}`)(o);
  await hasRsyncLine("read only = yes")(o);
};
/**
 * A module parameter written verbatim: its line reads exactly `name = value` and nothing else
 * changed; `served`: the module also still serves its directory read-only (false where the value's
 * meaning is that serving fails, e.g. a `uid` that does not exist).
 */
const verbatimObservation = (name: string, value: string, served = true) =>
  all(served ? moduleServed() : moduleListedAndGuarded, hasRsyncLine(`${name} = ${value}`));
const verbatim = (name: string, value: string, served = true) => harmless(verbatimObservation(name, value, served));
/** The same for the global part, with the guard module in the file (served unless the value stops the daemon). */
const globalVerbatim = (name: string, value: string, served = true) =>
  all(
    served
      ? moduleServed({ name: "guard" })
      : async (o: Observer) =>
          eq(await o.rsyncModules(String(o.inputs.configPath)).catch(() => "no listing"), "no listing", "listing"),
    hasRsyncLine(`${name} = ${value}`),
    hasRsyncLine("[guard]"),
  );

const MODULE_CASES = rows("rsyncModule", [
  // The item 1, both forms: a list item ending in `\` swallows the next line.
  [
    "m01",
    "dontCompress",
    ["*.gz\\"],
    "item ending in `\\` (issue item 1: swallows `hosts allow`)",
    refused("dontCompress"),
  ],
  ["m02", "authUsers", ["alice\\"], "item ending in `\\` (issue item 1: swallows `read only`)", refused("authUsers")],
  ["m03", "comment", "# not a comment", "leading `#`", harmless(moduleServed({ comment: "# not a comment" }))],
  [
    "m04",
    "comment",
    "; not a comment either",
    "leading `;`",
    harmless(moduleServed({ comment: "; not a comment either" })),
  ],
  [
    "m05",
    "comment",
    'it\'s "$(touch /tmp/pwned-m05)" `touch /tmp/pwned-m05`',
    "quotes, `$()`, backticks",
    harmless(moduleServed({ comment: 'it\'s "$(touch /tmp/pwned-m05)" `touch /tmp/pwned-m05`' })),
  ],
  ["m06", "comment", "x\n[evil]\npath = /etc", "newline that opens a module", refused("comment")],
  ["m07", "comment", "x\rhosts allow = *", "CR", refused("comment")],
  ["m08", "comment", "x\u0000y", "NUL", refused("comment")],
  ["m09", "comment", "x\u001b[31my", "ESC (terminal control)", refused("comment")],
  ["m10", "comment", "trailing\\", "trailing `\\`", refused("comment")],
  ["m11", "comment", "\\", "`\\` alone", refused("comment")],
  ["m12", "comment", "doubled\\\\", "doubled trailing `\\`", refused("comment")],
  [
    "m13",
    "comment",
    "a\\b ] [x] {y} = z += w",
    "inner `\\`, brackets, braces, `=`, `+=`",
    harmless(moduleServed({ comment: "a\\b ] [x] {y} = z += w" })),
  ],
  [
    "m14",
    "comment",
    "ｆｕｌｌｗｉｄｔｈ аdmin zero\u200bwidth rtl\u202eevil",
    "fullwidth, Cyrillic, zero-width, RTL override (refused: a bidi override shows the reviewer another text)",
    refused("comment"),
  ],
  [
    "m14b",
    "comment",
    "ｆｕｌｌｗｉｄｔｈ аdmin zero\u200bwidth",
    "fullwidth, Cyrillic and zero-width in a comment",
    harmless(moduleServed({ comment: "ｆｕｌｌｗｉｄｔｈ аdmin zero\u200bwidth" })),
  ],
  [
    "m15",
    "comment",
    "line\u2028separator",
    "U+2028 (a line break to a reviewer, not to rsync: refused)",
    refused("comment"),
  ],
  [
    "m16",
    "comment",
    "  padded  ",
    "outer blanks (rsync trims them)",
    either("comment", moduleServed({ comment: "  padded  " })),
  ],
  ["m17", "comment", "tab\there", "TAB inside", either("comment", moduleServed({ comment: "tab\there" }))],
  ["m18", "comment", "", "empty string", either("comment", moduleServed({ comment: "" }))],
  ["m19", "moduleName", "a]b", "`]` in the name", refused("moduleName")],
  ["m20", "moduleName", "global", "the reserved name", refused("moduleName")],
  ["m21", "moduleName", " GLOBAL ", "the reserved name, padded", refused("moduleName")],
  // rsync clients send `#...` as a protocol command and a leading `-` as an option: such modules are listed but
  // unreachable.
  [
    "m22",
    "moduleName",
    "#hash",
    "leading `#` (`[#hash]` is a section, not a comment; listed but unreachable)",
    refused("moduleName"),
  ],
  ["m23", "moduleName", "а-cyrillic", "Cyrillic homoglyph", harmless(moduleServed({ name: "а-cyrillic" }))],
  ["m24", "moduleName", "x\nhosts allow = *", "newline", refused("moduleName")],
  ["m25", "moduleName", "$(touch /tmp/pwned-m25)", "`$()` (holds `/`)", refused("moduleName")],
  ["m26", "moduleName", "-rf", "option-like (listed but unreachable)", refused("moduleName")],
  ["m27", "moduleName", "x".repeat(300), "long name", either("moduleName", moduleServed({ name: "x".repeat(300) }))],
  ["m28", "moduleName", "", "empty", refused("moduleName")],
  ["m29", "path", "/srv/hostile/../hostile/m29", "`..` path", harmless(moduleServed())],
  ["m30", "path", "srv/hostile/m30", "relative path", refused("path")],
  ["m31", "path", "/srv/hostile/m31\nuse chroot = no", "newline in a path", refused("path")],
  ["m32", "hostsAllow", ["*\n"], "newline after `*`", refused("hostsAllow")],
  ["m33", "hostsAllow", ["10.0.0.1 0.0.0.0/0"], "two addresses in one item", refused("hostsAllow")],
  [
    "m34",
    "hostsAllow",
    ["#nobody"],
    "leading `#` item (rsync reads a name, not a comment)",
    harmless(async (o) => {
      const entries = await o.rsyncEntries(String(o.inputs.configPath), String(o.inputs.moduleName));
      if (Array.isArray(entries))
        fail(`the module is served although \`hosts allow\` names only "#nobody": ${entries.join(", ")}`);
    }),
  ],
  ["m35", "hostsDeny", ["\u0000"], "NUL item", refused("hostsDeny")],
  ["m36", "authUsers", ["alice,bob"], "comma inside one item", refused("authUsers")],
  ["m37", "refuseOptions", ["delete\\"], "item ending in `\\`", refused("refuseOptions")],
  ["m38", "readOnly", "no\nhosts allow = *", "a string for a boolean", refused("readOnly")],
  ["m39", "timeout", "30; touch /tmp/pwned-m39", "a string for a number", refused("timeout")],
  ["m40", "maxConnections", Number.NaN, "NaN", refused("maxConnections")],
  [
    "m41",
    "preXferExec",
    "/bin/echo '$(touch /tmp/pwned-m41)'",
    "a quoted `$()` for the shell",
    harmless(all(moduleServed(), hasRsyncLine("pre-xfer exec = /bin/echo '$(touch /tmp/pwned-m41)'"))),
  ],
  ["m42", "postXferExec", "/bin/true\nlist = no", "newline", refused("postXferExec")],
  ["m43", "earlyExec", "\u0007", "BEL", refused("earlyExec")],
  ["m44", "exclude", KIB64, "64 KiB value", either("exclude", all(moduleServed(), hasRsyncLine(`exclude = ${KIB64}`)))],
  [
    "m45",
    "filter",
    "- *.tmp ; touch /tmp/pwned-m45",
    "`;` inside",
    verbatim("filter", "- *.tmp ; touch /tmp/pwned-m45", false),
  ],
  ["m46", "include", "`touch /tmp/pwned-m46`", "backticks", verbatim("include", "`touch /tmp/pwned-m46`")],
  [
    "m47",
    "excludeFrom",
    "../../etc/shadow",
    "relative `..` path",
    either("excludeFrom", verbatimObservation("exclude from", "../../etc/shadow", false)),
  ],
  [
    "m48",
    "includeFrom",
    "/etc/with space/list",
    "path with spaces",
    verbatim("include from", "/etc/with space/list", false),
  ],
  [
    "m49",
    "incomingChmod",
    "Du=rwx,Fu=rw # x",
    "`=` and `#` inside",
    verbatim("incoming chmod", "Du=rwx,Fu=rw # x", false),
  ],
  ["m50", "outgoingChmod", "o-rwx\u0085", "C1 control (NEL)", refused("outgoingChmod")],
  ["m51", "lockFile", "/var/run/rsyncd.lock\\", "trailing `\\`", refused("lockFile")],
  ["m52", "logFile", "--config=/etc/shadow", "option-like value (not an absolute path: refused)", refused("logFile")],
  ["m53", "logFormat", '%h %a $(id) "%f"', "`$()` and quotes", verbatim("log format", '%h %a $(id) "%f"')],
  ["m54", "nameConverter", "\u0000/bin/sh", "NUL", refused("nameConverter")],
  ["m55", "secretsFile", "/etc/rsyncd/s\r", "CR", refused("secretsFile")],
  [
    "m56",
    "syslogFacility",
    "daemon\tlocal0",
    "TAB",
    either("syslogFacility", verbatimObservation("syslog facility", "daemon\tlocal0", false)),
  ],
  ["m57", "syslogTag", "rsyncd]", "`]`", verbatim("syslog tag", "rsyncd]")],
  ["m58", "tempDir", "/tmp/../tmp", "`..` path", verbatim("temp dir", "/tmp/../tmp")],
  [
    "m59",
    "uid",
    "nobody\u200b",
    "zero-width space after a user name",
    either("uid", verbatimObservation("uid", "nobody\u200b", false)),
  ],
  ["m60", "gid", "+=nogroup", "`+=` token", verbatim("gid", "+=nogroup", false)],
  [
    "m61",
    "charset",
    "utf-8\u2028hosts allow = *",
    "U+2028 before a parameter (refused: the reviewer sees a `hosts allow` line rsync does not)",
    refused("charset"),
  ],
  ["m62", "authDigest", "md5\n", "trailing newline", refused("authDigest")],
  ["m63", "extra", { "hosts allow": "*" }, "`extra` repeating a modelled parameter", refused("extra")],
  ["m64", "extra", { "#x": "y" }, "`extra` name that rsync reads as a comment", refused("extra")],
  ["m65", "extra", { "a=b": "c" }, "`=` in an `extra` name", refused("extra")],
  ["m66", "extra", { name: "other" }, "`extra.name` renames the module", refused("extra")],
  ["m67", "extra", { "max verbosity": "2\n[evil]" }, "newline in an `extra` value", refused("extra")],
  ["m68", "extra", { "&include": "/etc/rsyncd" }, "a directive as an `extra` name", refused("extra")],
  [
    "m69",
    "dontCompress",
    ["*.gz", ""],
    "empty item",
    either("dontCompress", all(moduleServed(), hasRsyncLine("dont compress = *.gz"))),
  ],
  ["m70", "configPath", "etc/rsyncd.conf", "relative configPath", refused("configPath")],
  [
    "m71",
    "configPath",
    "/etc/rsyncd/h-m71'$(touch /tmp/pwned-m71)'.conf",
    "`'` and `$()` in configPath",
    harmless(moduleServed()),
  ],
  [
    "m72",
    "configPath",
    "/etc/rsyncd/h m72 `touch /tmp/pwned-m72`.conf",
    "spaces and backticks in configPath",
    harmless(moduleServed()),
  ],
  [
    "m73",
    "configPath",
    "/etc/rsyncd/../rsyncd/h-m73.conf",
    "`..` in configPath: two spellings of one file would escape the one-file checks",
    refused("configPath"),
  ],
  ["m74", "configPath", "/etc/rsyncd/h-m74.conf\n", "newline in configPath", refused("configPath")],
  ["m75", "configPath", "/etc/rsyncd/", "a directory", refused("configPath")],
  ["m76", "configPath", "-rf", "option-like configPath", refused("configPath")],
  ["m77", "sudo", "true; touch /tmp/pwned-m77", "a string for `sudo`", refused("sudo")],
  ["m78", "adopt", "yes", "a string for `adopt`", refused("adopt")],
  [
    "m79",
    "connection.host",
    "-oProxyCommand=touch /tmp/pwned-m79",
    "option-like host",
    refusedOrRejected("connection"),
  ],
  ["m80", "connection.user", "root\u0000", "NUL in the user", refused("connection")],
  ["m81", "connection.port", "22 -oProxyCommand=x", "a string port", refused("connection")],
  ["m82", "connection.hostKey", "ssh-ed25519 AAAA\nssh-rsa AAAA", "newline in the pinned key", refused("connection")],
  ["m83", "listenOnly", true, "a property RsyncModule does not have", refused("listenOnly")],
  ["m84", "mungeSymlinks", "maybe", "a string for a tri-state", refused("mungeSymlinks")],
  ["m85", "fakeSuper", "yes\nuid = root", "a string for a boolean, with a line", refused("fakeSuper")],
  ["m86", "forwardLookup", 1, "a number for a boolean", refused("forwardLookup")],
  ["m87", "ignoreErrors", "true", "a string for a boolean", refused("ignoreErrors")],
  ["m88", "ignoreNonreadable", [true], "a list for a boolean", refused("ignoreNonreadable")],
  ["m89", "insecureLinks", "on", "a string for a boolean", refused("insecureLinks")],
  ["m90", "list", "no]", "a string for a boolean", refused("list")],
  ["m91", "maxVerbosity", "1\n[evil]", "a string for a number", refused("maxVerbosity")],
  ["m92", "numericIds", "unset\\", "a string for a tri-state, trailing `\\`", refused("numericIds")],
  ["m93", "openNoatime", {}, "an object for a tri-state", refused("openNoatime")],
  ["m94", "reverseLookup", "no", "a string for a boolean", refused("reverseLookup")],
  ["m95", "strictModes", "false", "a string for a boolean (would expose the secrets file)", refused("strictModes")],
  ["m96", "transferLogging", "yes", "a string for a boolean", refused("transferLogging")],
  ["m97", "useChroot", 0, "a number for a tri-state", refused("useChroot")],
  ["m98", "writeOnly", "yes", "a string for a boolean", refused("writeOnly")],
  [
    "m99",
    "list",
    false,
    "an unlisted module is not listed, and still guarded",
    harmless(async (o) => {
      eq(await o.rsyncModules(String(o.inputs.configPath)), [], "module list");
      eq(await o.rsyncEntries(String(o.inputs.configPath), String(o.inputs.moduleName)), [o.id], "entries");
      eq(await o.rsyncReadOnly(String(o.inputs.configPath), String(o.inputs.moduleName)), true, "read only");
    }),
  ],
]);

const CONFIG_CASES = rows("rsyncdConfig", [
  ["g01", "motdFile", "/etc/motd\\", "trailing `\\` (would swallow the next global line)", refused("motdFile")],
  ["g02", "address", "0.0.0.0\n[evil]\npath = /", "newline opening a module", refused("address")],
  [
    "g03",
    "proxyProtocolHosts",
    "$(touch /tmp/pwned-g03)",
    "`$()`",
    harmless(globalVerbatim("proxy protocol hosts", "$(touch /tmp/pwned-g03)")),
  ],
  ["g19", "daemonChroot", "/srv\\", "trailing `\\`", refused("daemonChroot")],
  ["g20", "adopt", "yes", "a string for `adopt`", refused("adopt")],
  ["g21", "sudo", "true", "a string for `sudo`", refused("sudo")],
  [
    "g22",
    "connection.host",
    "10.0.0.1\nProxyCommand touch /tmp/pwned-g22",
    "newline in the host",
    refused("connection"),
  ],
  ["g04", "daemonGid", "nogroup\u0000", "NUL", refused("daemonGid")],
  ["g05", "daemonUid", "\u202eroot", "RTL override", refusedOrRejected("daemonUid")],
  ["g06", "listenBacklog", "5\n", "a string for a number", refused("listenBacklog")],
  ["g07", "pidFile", "run/rsyncd.pid", "relative path (the daemon would resolve it against /)", refused("pidFile")],
  ["g08", "port", 70_000, "out of range", refused("port")],
  ["g09", "proxyProtocol", "yes", "a string for a boolean", refused("proxyProtocol")],
  ["g10", "proxyProtocolHosts", "10.0.0.1\r", "CR", refused("proxyProtocolHosts")],
  [
    "g11",
    "socketOptions",
    "SO_KEEPALIVE # ; [x]",
    "`#`, `;`, `[]` inside",
    harmless(globalVerbatim("socket options", "SO_KEEPALIVE # ; [x]")),
  ],
  ["g12", "hostsAllow", ["*\\"], "module default list item ending in `\\`", refused("hostsAllow")],
  ["g13", "comment", "}\n{", "newline between braces", refused("comment")],
  [
    "g14",
    "logFile",
    "/var/log/rsyncd log",
    "path with a space",
    harmless(globalVerbatim("log file", "/var/log/rsyncd log")),
  ],
  ["g15", "extra", { read_only: "no" }, "underscore spelling rsync ignores", refused("extra")],
  [
    "g16",
    "configPath",
    "/etc/rsyncd/g16 '$(touch /tmp/pwned-g16)'.conf",
    "`'` and `$()` in configPath",
    harmless(moduleServed({ name: "guard" })),
  ],
  ["g17", "useChroot", "no", "a string for a tri-state", refused("useChroot")],
  [
    "g18",
    "logFormat",
    "x".repeat(70_000),
    "70 KB value",
    either("logFormat", globalVerbatim("log format", "x".repeat(70_000))),
  ],
]);

const SECRETS_CASES = rows("rsyncSecrets", [
  ["s01", "users", { "a\u0000b": "pw" }, "NUL in a user name", refused("users")],
  ["s02", "users", { alice: "pw\u0000rest" }, "NUL in a password", refused("users.alice")],
  ["s03", "users", { alice: "pw\rrest" }, "CR in a password", refused("users.alice")],
  ["s04", "users", { "alice\nbob": "pw" }, "newline in a user name", refused("users")],
  ["s05", "users", { "#alice": "pw" }, "leading `#` (a comment line)", refused("users")],
  ["s06", "users", { "a:b": "pw" }, "`:` in a user name", refused("users")],
  [
    "s07",
    "users",
    { s07: "$(touch /tmp/pwned-s07)'\"`id`" },
    "quotes, `$()`, backticks in a password",
    harmless(secretsHold({ user: "s07", password: "$(touch /tmp/pwned-s07)'\"`id`" })),
  ],
  [
    "s08",
    "users",
    { s08: "ends with\\" },
    "password ending in `\\` (no continuation in secrets files)",
    harmless(secretsHold({ user: "s08", password: "ends with\\" })),
  ],
  [
    "s09",
    "users",
    { s09: "#not-a-comment:with:colons" },
    "`#` and `:` in a password",
    harmless(secretsHold({ user: "s09", password: "#not-a-comment:with:colons" })),
  ],
  [
    "s10",
    "users",
    { s10: "pässwörd-аdmin\u200b" },
    "non-ASCII and zero-width in a password",
    harmless(secretsHold({ user: "s10", password: "pässwörd-аdmin\u200b" })),
  ],
  ["s11", "users", { s11: "x".repeat(65_600) }, "64 KiB password", either("users.s11", secretsHold())],
  ["s12", "users", { ｓ12: "pw" }, "fullwidth user name", harmless(secretsHold())],
  ["s13", "users", { s13: "pw\u001b" }, "ESC in a password", refused("users.s13")],
  [
    "s14",
    "users",
    { s14: "pw\t" },
    "TAB at the end of a password",
    either("users.s14", secretsHold({ user: "s14", password: "pw\t" })),
  ],
  ["s15", "path", "etc/rsyncd.secrets", "relative path", refused("path")],
  [
    "s16",
    "path",
    "/etc/rsyncd/s16 '$(touch /tmp/pwned-s16)'",
    "spaces, `'`, `$()` in the path",
    harmless(secretsHold()),
  ],
  ["s17", "path", "/etc/rsyncd/s17\n", "newline in the path", refused("path")],
  [
    "s18",
    "path",
    "/etc/rsyncd/../rsyncd/h-s18.secrets",
    "`..` in the path: two spellings of one file would escape the one-file checks",
    refused("path"),
  ],
  ["s19", "users", "alice:pw", "a string for the map", refused("users")],
  ["s20", "adopt", 1, "a number for `adopt`", refused("adopt")],
  ["s21", "sudo", "no", "a string for `sudo`", refused("sudo")],
  ["s22", "connection.password", "pw\u0000", "NUL in the password", refused("connection")],
  [
    "s23",
    "connection.proxy",
    { host: "$(touch /tmp/pwned-s23)", privateKey: "x" },
    "`$()` as the bastion",
    refusedOrRejected("connection"),
  ],
]);

const SERVICE_CASES = rows("xinetdService", [
  ["x01", "serverArgs", ["$(id>/tmp/pwned-x01)"], "`$()` token", harmless(echoes(() => ["$(id>/tmp/pwned-x01)"]))],
  [
    "x02",
    "serverArgs",
    ["`id>/tmp/pwned-x02`", ";id", "|id", "&&id"],
    "backticks and shell operators",
    harmless(echoes(() => ["`id>/tmp/pwned-x02`", ";id", "|id", "&&id"])),
  ],
  [
    "x03",
    "serverArgs",
    ["'", '"', "}", "{", "]", "["],
    "quotes, braces, brackets as tokens",
    harmless(echoes(() => ["'", '"', "}", "{", "]", "["])),
  ],
  [
    "x82",
    "serverArgs",
    ["#x", ";y"],
    "tokens starting with `#` and `;`",
    either(
      "serverArgs",
      echoes(() => ["#x", ";y"]),
    ),
  ],
  ["x04", "serverArgs", ["a b"], "blank inside a token (xinetd has no quoting)", refused("serverArgs")],
  ["x05", "serverArgs", ["a\tb"], "TAB inside a token", refused("serverArgs")],
  ["x06", "serverArgs", ["a\nserver = /bin/sh"], "newline", refused("serverArgs")],
  ["x07", "serverArgs", ["a\u0000b"], "NUL (xinetd reads lines as C strings)", refused("serverArgs")],
  ["x08", "serverArgs", ["a\rb"], "CR", refused("serverArgs")],
  ["x09", "serverArgs", [""], "empty token", refused("serverArgs")],
  [
    "x10",
    "serverArgs",
    ["-rf", "--config=/etc/shadow", "../../etc/passwd"],
    "option-like and `..` tokens",
    harmless(echoes(() => ["-rf", "--config=/etc/shadow", "../../etc/passwd"])),
  ],
  [
    "x11b",
    "serverArgs",
    ["ｆｕｌｌ", "аdmin", "zero\u200bwidth"],
    "unicode look-alikes and zero-width",
    harmless(echoes(() => ["ｆｕｌｌ", "аdmin", "zero\u200bwidth"])),
  ],
  [
    "x11",
    "serverArgs",
    ["ｆｕｌｌ", "аdmin", "zero\u200bwidth", "rtl\u202eevil", "ls\u2028ep"],
    "unicode look-alikes with a bidi override and U+2028 (refused)",
    refused("serverArgs"),
  ],
  ["x12", "serverArgs", ["x".repeat(17 * 1024)], "beyond xinetd's 16 KiB line", refused("serverArgs")],
  [
    "x13",
    "serverArgs",
    ["trailing\\"],
    "token ending in `\\`",
    either(
      "serverArgs",
      echoes(() => ["trailing\\"]),
    ),
  ],
  [
    "x14",
    "serverArgs",
    ["a\\\\b", "\\"],
    "inner doubled `\\`, `\\` alone",
    either(
      "serverArgs",
      echoes(() => ["a\\\\b", "\\"]),
    ),
  ],
  ["x15", "noAccess", ["10.0.0.1\u0000"], "NUL in no_access", refused("noAccess")],
  ["x16", "onlyFrom", ["0.0.0.0/0\n"], "newline after a network", refused("onlyFrom")],
  ["x17", "onlyFrom", { add: ["0.0.0.0/0 #"] }, "blank and `#` in a `+=` item", refused("onlyFrom")],
  ["x18", "extra", { server_args: "x" }, "`extra` repeating a modelled attribute", refused("extra")],
  ["x19", "extra", { "#x": "y" }, "`extra` name read as a comment", refused("extra")],
  ["x20", "extra", { "a = b": "c" }, "`=` in an `extra` name", refused("extra")],
  ["x21", "extra", { mdns: "yes\u0000" }, "NUL in an `extra` value", refused("extra")],
  ["x22", "extra", { "}": "x" }, "`}` as an `extra` name", refused("extra")],
  ["x23", "serviceName", "hx23.conf", "`.` (xinetd skips the file)", refused("serviceName")],
  ["x24", "serviceName", "hx24~", "trailing `~`", refused("serviceName")],
  ["x25", "serviceName", "../cron.d/hx25", "`..` and `/`", refused("serviceName")],
  ["x26", "serviceName", "hx26\n{", "newline", refused("serviceName")],
  ["x27", "serviceName", "$(id)", "`$()` as the name", either("serviceName", guardEcho)],
  ["x28", "configDir", "etc/xinetd.d", "relative directory", refused("configDir")],
  [
    "x29",
    "configDir",
    "/etc/xinetd.d/x29'$(touch /tmp/pwned-x29)'",
    "`'` and `$()` in configDir (not included by xinetd)",
    refusedOrRejected("configDir"),
  ],
  ["x30", "reload", { command: "true\u0000" }, "NUL in the reload command", refused("reload")],
  ["x31", "reload", "auto; touch /tmp/pwned-x31", "not a reload strategy", refused("reload")],
  ["x32", "user", "nobody;id>/tmp/pwned-x32", "shell operators in the user", refusedOrRejected("user")],
  ["x33", "user", "nobody\n}", "newline in the user", refused("user")],
  ["x34", "group", "nogroup x", "blank in the group", refused("group")],
  ["x35", "server", "/bin/echo -e", "blank in the server", refused("server")],
  ["x36", "server", "bin/echo", "relative server", refusedOrRejected("server")],
  ["x37", "id", "x37\u0000", "NUL in the id", refused("id")],
  ["x38", "protocol", "tcp\r", "CR in the protocol", refused("protocol")],
  ["x39", "socketType", "stream\n}", "newline in an enumeration", refused("socketType")],
  ["x40", "port", "7440\n", "a string port", refused("port")],
  ["x41", "wait", "no", "a string for a boolean", refused("wait")],
  ["x42", "type", ["UNLISTED INTERNAL"], "two values in one item", refused("type")],
  ["x43", "flags", ["REUSE\u0000"], "NUL in a flag", refused("flags")],
  ["x44", "instances", "UNLIMITED\n", "newline after UNLIMITED", refused("instances")],
  ["x45", "perSource", -1, "negative", refused("perSource")],
  ["x46", "cps", [10, "5 x"], "a string in cps", refused("cps")],
  ["x47", "maxLoad", Number.POSITIVE_INFINITY, "infinity", refused("maxLoad")],
  ["x48", "logType", { kind: "FILE", path: "/var/log/x 48" }, "blank in a log file path", refused("logType")],
  ["x49", "logOnSuccess", ["PID\n"], "newline in a log item", refused("logOnSuccess")],
  ["x50", "logOnFailure", { add: ["+= HOST"] }, "`+=` as an item", refused("logOnFailure")],
  ["x51", "accessTimes", ["00:00-23:59 #"], "blank and `#`", refused("accessTimes")],
  ["x52", "bind", "0.0.0.0\u200b", "zero-width after an address", refusedOrRejected("bind")],
  ["x53", "v6only", "yes", "a string for a boolean", refused("v6only")],
  [
    "x54",
    "env",
    ["X53=$(id>/tmp/pwned-x54)", "Y=a#b", "Z=}"],
    "`$()`, `#`, `}` in env values (served by /usr/bin/env)",
    harmless(async (o) => {
      const lines = (await o.tcp(Number(o.inputs.port))).split("\n");
      for (const entry of ["X53=$(id>/tmp/pwned-x54)", "Y=a#b", "Z=}"])
        if (!lines.includes(entry)) fail(`the server's environment lacks ${entry}: ${lines.join(" | ")}`);
    }),
    { server: "/usr/bin/env", serverArgs: null },
  ],
  ["x55", "env", ["NOEQUALS"], "env item without `=`", refused("env")],
  ["x56", "env", { add: ["A=b c"] }, "blank in an env value", refused("env")],
  ["x57", "passenv", ["PATH\u0000"], "NUL in passenv", refused("passenv")],
  ["x58", "nice", "5; id", "a string for a number", refused("nice")],
  ["x59", "umask", "022\n", "newline in the umask", refused("umask")],
  ["x60", "umask", "999", "not octal", refused("umask")],
  ["x61", "rlimitAs", "64M\u0000", "NUL in a limit", refused("rlimitAs")],
  ["x62", "rlimitCpu", "UNLIMITED x", "blank in a limit", refused("rlimitCpu")],
  ["x63", "rlimitData", "1e99", "exponent", refused("rlimitData")],
  ["x64", "rlimitFiles", "-1", "negative", refused("rlimitFiles")],
  ["x65", "rlimitRss", "", "empty", refused("rlimitRss")],
  ["x66", "rlimitStack", "8M\\", "trailing `\\`", refused("rlimitStack")],
  ["x67", "denyTime", "FOREVER\n", "newline after a keyword", refused("denyTime")],
  ["x68", "banner", "/etc/banner x", "blank in a file name", refused("banner")],
  ["x69", "bannerSuccess", "/etc/`id>/tmp/pwned-x69`", "backticks in a file name", harmless(guardEcho)],
  ["x70", "bannerFail", "/etc/fail\r", "CR in a file name", refused("bannerFail")],
  ["x71", "rpcVersion", "1-2\n", "newline", refused("rpcVersion")],
  ["x72", "rpcNumber", 1.5, "a fraction", refused("rpcNumber")],
  ["x73", "libwrap", "hx73\u0000", "NUL", refused("libwrap")],
  ["x74", "redirect", { host: "10.0.0.1 9", port: 1 }, "blank in the redirect host", refused("redirect")],
  ["x75", "redirect", { host: "10.0.0.1", port: "22\n" }, "a string redirect port", refused("redirect")],
  ["x76", "groups", "yes", "a string for a boolean", refused("groups")],
  ["x77", "disable", "no\n", "a string for a boolean", refused("disable")],
  ["x78", "connection.host", " 10.213.0.2", "leading blank in the host", refusedOrRejected("connection")],
  ["x79", "adopt", "true", "a string for `adopt`", refused("adopt")],
  ["x80", "sudo", 1, "a number for `sudo`", refused("sudo")],
  [
    "x81",
    "onlyFrom",
    ["\u0430.example"],
    "Cyrillic host name in only_from (xinetd cannot resolve it)",
    refusedOrRejected("onlyFrom"),
  ],
]);

const SERVER_CASES = rows("rsyncServer", [
  [
    "r01",
    "configPath",
    "/etc/rsyncd/h r01.conf",
    "blank in configPath: server_args cannot hold it",
    refused("serverArgs|configPath"),
  ],
  ["r02", "configPath", "/etc/rsyncd/../rsyncd/h-r02.conf", "`..` in configPath", refused("configPath")],
  ["r03", "modules.«x]y»", { path: "/srv" }, "`]` in a module name (a key of `modules`)", refused("moduleName")],
  [
    "r04",
    "secrets",
    { path: "/etc/rsyncd/h-r04.secrets", users: { "a\nb": "pw" } },
    "newline in a user name",
    refused("users"),
  ],
  [
    "r05",
    "modules.sr05.comment",
    "# served $(touch /tmp/pwned-r05)",
    "`#` and `$()` in a module comment",
    harmless(moduleServed({ name: "sr05", comment: "# served $(touch /tmp/pwned-r05)" })),
  ],
  ["r06", "global", { motdFile: "/etc/motd\\" }, "global value ending in `\\`", refused("motdFile")],
  [
    "r10",
    "configPath",
    "/etc/rsyncd/r10'`id>/tmp/pwned-r10`'.conf",
    "`'` and backticks in configPath, through xinetd's server_args and the listing check",
    harmless(moduleServed({ name: "sr10", comment: "guard r10" })),
  ],
  ["r08", "sudo", "yes", "a string for `sudo`", refused("sudo")],
  [
    "r09",
    "connection.hostKey",
    "ssh-ed25519 AAAA\n@cert-authority * ssh-ed25519 AAAA",
    "newline in the pinned key",
    refused("connection"),
  ],
  [
    "r07",
    "xinetd.serverArgs",
    ["--daemon", "--config=/etc/rsyncd/h-r07.conf\n"],
    "newline in an overriding server_args",
    refused("serverArgs"),
  ],
]);

export const CASES: readonly HostileCase[] = [
  ...MODULE_CASES,
  ...CONFIG_CASES,
  ...SECRETS_CASES,
  ...SERVICE_CASES,
  ...SERVER_CASES,
];
