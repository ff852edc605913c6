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
}

const DEFAULT_DONT_COMPRESS =
  "*.3g2 *.3gp *.7z *.aac *.ace *.apk *.avi *.bz2 *.deb *.dmg *.ear *.f4v *.flac *.flv *.gpg " +
  "*.gz *.iso *.jar *.jpeg *.jpg *.lrz *.lz *.lz4 *.lzma *.lzo *.m1a *.m1v *.m2a *.m2ts *.m2v " +
  "*.m4a *.m4b *.m4p *.m4r *.m4v *.mka *.mkv *.mov *.mp1 *.mp2 *.mp3 *.mp4 *.mpa *.mpeg *.mpg " +
  "*.mpv *.mts *.odb *.odf *.odg *.odi *.odm *.odp *.ods *.odt *.oga *.ogg *.ogm *.ogv *.ogx " +
  "*.opus *.otg *.oth *.otp *.ots *.ott *.oxt *.png *.qt *.rar *.rpm *.rz *.rzip *.spx *.squashfs " +
  "*.sxc *.sxd *.sxg *.sxm *.sxw *.sz *.tbz *.tbz2 *.tgz *.tlz *.ts *.txz *.tzo *.vob *.war " +
  "*.webm *.webp *.xz *.z *.zip *.zst";

type Row = [name: string, kind: RsyncParameterKind, extra?: Partial<RsyncParameter>];

const GLOBAL_ROWS: Row[] = [
  ["address", "string"],
  ["daemon chroot", "string"],
  ["daemon gid", "string"],
  ["daemon uid", "string"],
  ["listen backlog", "int", { defaultValue: "5" }],
  ["motd file", "string", { file: true }],
  ["pid file", "string", { file: true }],
  ["port", "int", { defaultValue: "873" }],
  ["proxy protocol", "bool", { defaultValue: "no" }],
  ["proxy protocol hosts", "string"],
  ["socket options", "string"],
];

const MODULE_ROWS: Row[] = [
  ["auth digest", "string"],
  ["auth users", "list", { commaSeparated: true }],
  ["charset", "string"],
  ["comment", "string"],
  ["dont compress", "list", { defaultValue: DEFAULT_DONT_COMPRESS }],
  ["early exec", "string"],
  ["exclude", "string"],
  ["exclude from", "string"],
  ["fake super", "bool", { defaultValue: "no" }],
  ["filter", "string"],
  ["forward lookup", "bool", { defaultValue: "yes" }],
  ["gid", "string"],
  ["hosts allow", "list", { commaSeparated: true }],
  ["hosts deny", "list", { commaSeparated: true }],
  ["ignore errors", "bool", { defaultValue: "no" }],
  ["ignore nonreadable", "bool", { defaultValue: "no" }],
  ["include", "string"],
  ["include from", "string"],
  ["incoming chmod", "string"],
  ["insecure links", "bool", { defaultValue: "no" }],
  ["list", "bool", { defaultValue: "yes" }],
  ["lock file", "string", { defaultValue: "/var/run/rsyncd.lock", file: true }],
  ["log file", "string", { file: true }],
  ["log format", "string", { defaultValue: "%o %h [%a] %m (%u) %f %l" }],
  ["max connections", "int", { defaultValue: "0" }],
  ["max verbosity", "int", { defaultValue: "1" }],
  ["munge symlinks", "bool", { unsettable: true }],
  ["name", "string"],
  ["name converter", "string"],
  ["numeric ids", "bool", { unsettable: true }],
  ["open noatime", "bool", { unsettable: true }],
  ["outgoing chmod", "string"],
  ["path", "string", { path: true }],
  ["post-xfer exec", "string"],
  ["pre-xfer exec", "string"],
  ["read only", "bool", { defaultValue: "yes" }],
  ["refuse options", "list"],
  ["reverse lookup", "bool", { defaultValue: "yes" }],
  ["secrets file", "string", { file: true }],
  ["strict modes", "bool", { defaultValue: "yes" }],
  ["syslog facility", "string", { defaultValue: "daemon" }],
  ["syslog tag", "string", { defaultValue: "rsyncd" }],
  ["temp dir", "string", { path: true }],
  ["timeout", "int", { defaultValue: "0" }],
  ["transfer logging", "bool", { defaultValue: "no" }],
  ["uid", "string"],
  ["use chroot", "bool", { unsettable: true }],
  ["write only", "bool", { defaultValue: "no" }],
];

function camelCase(name: string): string {
  return name.replace(/[ -]+(.)/g, (_, c: string) => c.toUpperCase());
}

function build(rows: Row[], scope: RsyncParameterScope): RsyncParameter[] {
  return rows.map(([name, kind, extra]) => ({ name, key: camelCase(name), kind, scope, ...extra }));
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

/** The parameter a name written in a file means to rsync, or undefined if rsync ignores it. */
export function lookupRsyncParameter(written: string): RsyncParameter | undefined {
  if (written.startsWith("-")) return undefined;
  return BY_KEY.get(rsyncNameKey(written));
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
