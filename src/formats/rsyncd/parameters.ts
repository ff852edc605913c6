/**
 * The parameters rsync 3.5.0 knows (`daemon-parm.txt`), as data. Everything else in the codec looks
 * names up here instead of hard-coding them.
 */

/** How rsync turns the text of a value into a setting. */
export type RsyncParameterKind = "bool" | "int" | "string" | "list";

/** `global`: only legal in the global part. `module`: legal in a module, and as a default globally. */
export type RsyncParameterScope = "global" | "module";

export interface RsyncParameter {
  /** rsync's spelling, e.g. `read only`. */
  readonly name: string;
  /** The model's property, e.g. `readOnly`. */
  readonly key: string;
  readonly kind: RsyncParameterKind;
  readonly scope: RsyncParameterScope;
  /** rsync strips trailing `/` from these (`path`, `temp dir`). */
  readonly path?: boolean;
  /** A file the daemon opens: a relative name resolves against its working directory (`/`). */
  readonly file?: boolean;
  /** Tri-state booleans that also accept `unset` / `-1`. */
  readonly unsettable?: boolean;
  /** Lists split by rsync at blanks and commas; the others only at blanks. */
  readonly commaSeparated?: boolean;
  /** rsync's built-in value, as text, when it has one. */
  readonly defaultValue?: string;
  /** What the reference and the args' TSDoc say rsync uses, when `defaultValue` is too long to show. */
  readonly defaultDoc?: string;
  /** One line for the args' TSDoc and the README reference: what the parameter does. */
  readonly doc: string;
}

/** The TypeScript type of each kind's value in the models and the resources' args. */
export interface RsyncKindTypes {
  bool: boolean;
  int: number;
  string: string;
  list: string[];
}

const DEFAULT_DONT_COMPRESS =
  "*.3g2 *.3gp *.7z *.aac *.ace *.apk *.avi *.bz2 *.deb *.dmg *.ear *.f4v *.flac *.flv *.gpg " +
  "*.gz *.iso *.jar *.jpeg *.jpg *.lrz *.lz *.lz4 *.lzma *.lzo *.m1a *.m1v *.m2a *.m2ts *.m2v " +
  "*.m4a *.m4b *.m4p *.m4r *.m4v *.mka *.mkv *.mov *.mp1 *.mp2 *.mp3 *.mp4 *.mpa *.mpeg *.mpg " +
  "*.mpv *.mts *.odb *.odf *.odg *.odi *.odm *.odp *.ods *.odt *.oga *.ogg *.ogm *.ogv *.ogx " +
  "*.opus *.otg *.oth *.otp *.ots *.ott *.oxt *.png *.qt *.rar *.rpm *.rz *.rzip *.spx *.squashfs " +
  "*.sxc *.sxd *.sxg *.sxm *.sxw *.sz *.tbz *.tbz2 *.tgz *.tlz *.ts *.txz *.tzo *.vob *.war " +
  "*.webm *.webp *.xz *.z *.zip *.zst";

type RowOptions = Partial<Pick<RsyncParameter, "path" | "file" | "unsettable" | "commaSeparated" | "defaultValue">> &
  Pick<RsyncParameter, "defaultDoc">;
type Row = readonly [name: string, kind: RsyncParameterKind, doc: string, options?: RowOptions];

/** One row per parameter: rsync's name, kind, one line of doc (the rest of the TSDoc is derived), options. */
const GLOBAL_ROWS = [
  ["address", "string", "Address the standalone daemon binds to (ignored under xinetd)"],
  ["daemon chroot", "string", "Directory the daemon chroots to before serving"],
  ["daemon gid", "string", "Group the daemon runs as"],
  ["daemon uid", "string", "User the daemon runs as"],
  ["listen backlog", "int", "Listen backlog of the standalone daemon", { defaultValue: "5" }],
  ["motd file", "string", "File whose text clients see before the module list", { file: true }],
  ["pid file", "string", "File the standalone daemon writes its pid to", { file: true }],
  [
    "port",
    "int",
    "Port the standalone daemon listens on (under xinetd, xinetd's port counts)",
    { defaultValue: "873" },
  ],
  ["proxy protocol", "bool", "Expect a PROXY protocol header on each connection", { defaultValue: "no" }],
  ["proxy protocol hosts", "string", "Hosts allowed to send a PROXY protocol header"],
  ["socket options", "string", "setsockopt options for the daemon's sockets"],
] as const satisfies readonly Row[];

const MODULE_ROWS = [
  ["auth digest", "string", "Digest algorithms accepted for authentication"],
  [
    "auth users",
    "list",
    "Users (or @groups) allowed to log in, with optional `:ro`/`:rw`/`:deny`; needs `secretsFile`",
    { commaSeparated: true },
  ],
  ["charset", "string", "Character set of the module's file names"],
  ["comment", "string", "Text shown next to the module in the module list"],
  [
    "dont compress",
    "list",
    "File patterns not compressed in transfer",
    { defaultValue: DEFAULT_DONT_COMPRESS, defaultDoc: "rsync's built-in list of compressed formats" },
  ],
  ["early exec", "string", "Command run before the transfer request is read"],
  ["exclude", "string", "Exclude patterns, space separated"],
  ["exclude from", "string", "File of exclude patterns"],
  ["fake super", "bool", "Store privileged attributes in extended attributes", { defaultValue: "no" }],
  ["filter", "string", "Filter rules for the module"],
  ["forward lookup", "bool", "Look up host names in `hostsAllow`/`hostsDeny`", { defaultValue: "yes" }],
  ["gid", "string", "Group (or groups) the transfer runs as"],
  ["hosts allow", "list", "Client addresses, networks or names allowed to connect", { commaSeparated: true }],
  ["hosts deny", "list", "Client addresses, networks or names refused", { commaSeparated: true }],
  ["ignore errors", "bool", "Ignore I/O errors when deciding whether to delete", { defaultValue: "no" }],
  ["ignore nonreadable", "bool", "Skip files the daemon cannot read", { defaultValue: "no" }],
  ["include", "string", "Include patterns, space separated"],
  ["include from", "string", "File of include patterns"],
  ["incoming chmod", "string", "chmod rules applied to received files"],
  ["insecure links", "bool", "Allow symlinks that leave the module", { defaultValue: "no" }],
  ["list", "bool", "Whether the module appears in the module list", { defaultValue: "yes" }],
  [
    "lock file",
    "string",
    "File used to enforce `maxConnections`",
    { defaultValue: "/var/run/rsyncd.lock", file: true },
  ],
  ["log file", "string", "File the daemon logs to instead of syslog", { file: true }],
  ["log format", "string", "Format of transfer log lines", { defaultValue: "%o %h [%a] %m (%u) %f %l" }],
  ["max connections", "int", "Simultaneous connections allowed (0: no limit)", { defaultValue: "0" }],
  ["max verbosity", "int", "Highest verbosity a client may ask for", { defaultValue: "1" }],
  ["munge symlinks", "bool", "Rewrite symlinks so they cannot escape the module", { unsettable: true }],
  [
    "name",
    "string",
    "The name rsync lists the module under; the resources take it as `moduleName`, never as a parameter",
  ],
  ["name converter", "string", "Program that converts user and group names"],
  ["numeric ids", "bool", "Transfer numeric ids instead of names", { unsettable: true }],
  ["open noatime", "bool", "Open files with O_NOATIME", { unsettable: true }],
  ["outgoing chmod", "string", "chmod rules applied to sent files"],
  ["path", "string", "Directory the module serves", { path: true }],
  ["post-xfer exec", "string", "Command run after the transfer"],
  ["pre-xfer exec", "string", "Command run before the transfer; a failure refuses it"],
  ["read only", "bool", "Refuse uploads", { defaultValue: "yes" }],
  ["refuse options", "list", "Client options the module refuses"],
  ["reverse lookup", "bool", "Look up the client's host name", { defaultValue: "yes" }],
  ["secrets file", "string", "File of `user:password` lines for `authUsers`", { file: true }],
  ["strict modes", "bool", "Refuse a secrets file that others can read", { defaultValue: "yes" }],
  ["syslog facility", "string", "Syslog facility of the daemon's messages", { defaultValue: "daemon" }],
  ["syslog tag", "string", "Syslog tag of the daemon's messages", { defaultValue: "rsyncd" }],
  ["temp dir", "string", "Directory for temporary files of received files", { path: true }],
  ["timeout", "int", "Seconds of I/O silence before the daemon drops a client (0: never)", { defaultValue: "0" }],
  ["transfer logging", "bool", "Log every transferred file", { defaultValue: "no" }],
  ["uid", "string", "User the transfer runs as"],
  ["use chroot", "bool", "chroot to `path` before the transfer", { unsettable: true }],
  ["write only", "bool", "Refuse downloads", { defaultValue: "no" }],
] as const satisfies readonly Row[];

/** `post-xfer exec` → `postXferExec`, as `CamelCase` does for the types. */
function camelCase(name: string): string {
  return name.replace(/[ -](.)/g, (_, c: string) => c.toUpperCase());
}

/** `post-xfer exec` → `postXferExec`: the model key of a parameter name, at the type level. */
export type CamelCase<Name extends string> = Name extends `${infer Head}-${infer Tail}`
  ? CamelCase<`${Head} ${Tail}`>
  : Name extends `${infer Head} ${infer Tail}`
    ? `${Head}${Capitalize<CamelCase<Tail>>}`
    : Name;

/** The typed fields of rows: camelCase key → its kind's type, each optional (`name` excluded: it is the identity). */
type FieldsOf<Rows extends readonly Row[]> = {
  [R in Rows[number] as R[0] extends "name" ? never : CamelCase<R[0]>]?: RsyncKindTypes[R[1]];
};

/** The global-only parameters as model fields (`daemonUid?: string`, …). */
export type RsyncGlobalOnlyFields = FieldsOf<typeof GLOBAL_ROWS>;
/** The module parameters as model fields (`readOnly?: boolean`, …), without `name`. */
export type RsyncModuleFields = FieldsOf<typeof MODULE_ROWS>;

function build(rows: readonly Row[], scope: RsyncParameterScope): RsyncParameter[] {
  return rows.map(([name, kind, doc, options]) => ({ name, key: camelCase(name), kind, scope, doc, ...options }));
}

/** Every parameter of rsync 3.5.0: global-only ones first, then module ones, each alphabetical. */
export const RSYNC_PARAMETERS: readonly RsyncParameter[] = [
  ...build(GLOBAL_ROWS, "global"),
  ...build(MODULE_ROWS, "module"),
];

/** rsync compares parameter (and module) names ignoring case and every blank. */
export function rsyncNameKey(name: string): string {
  return name.replace(/[ \t\n\v\f\r]/g, "").toUpperCase();
}

const BY_KEY = new Map(RSYNC_PARAMETERS.map((p) => [rsyncNameKey(p.name), p]));
const BY_MODEL_KEY = new Map(RSYNC_PARAMETERS.map((p) => [p.key, p]));

/**
 * Lookups by the name as written: every parse, walk, edit and guard looks each line's name up, and
 * a file spells few names. Bounded in number and length, since a file may spell any names.
 */
const BY_WRITTEN = new Map<string, RsyncParameter | null>();
const BY_WRITTEN_LIMIT = 4096;
const BY_WRITTEN_LONGEST = 64;

/** The parameter a name written in a file means to rsync, or undefined if rsync ignores it. */
export function lookupRsyncParameter(written: string): RsyncParameter | undefined {
  const known = BY_WRITTEN.get(written);
  if (known !== undefined) return known ?? undefined;
  const found = written.startsWith("-") ? undefined : BY_KEY.get(rsyncNameKey(written));
  if (written.length > BY_WRITTEN_LONGEST) return found;
  if (BY_WRITTEN.size >= BY_WRITTEN_LIMIT) BY_WRITTEN.clear();
  BY_WRITTEN.set(written, found ?? null);
  return found;
}

export function parameterByModelKey(key: string): RsyncParameter | undefined {
  return BY_MODEL_KEY.get(key);
}

/** Parameters a module model carries as typed fields (`name` is the model's identity instead). */
export const MODULE_MODEL_PARAMETERS: readonly RsyncParameter[] = RSYNC_PARAMETERS.filter(
  (p) => p.scope === "module" && p.name !== "name",
);

/** Parameters the global model carries: global-only ones and module defaults. */
export const GLOBAL_MODEL_PARAMETERS: readonly RsyncParameter[] = RSYNC_PARAMETERS.filter((p) => p.name !== "name");
