/**
 * Findings about the rsync daemon's own files: rsyncd.conf, each module's directory, secrets file,
 * chroot and log file, and a real connection to each module from the host. Pure: the requests to
 * send are planned here, and the answers judged here.
 */
import {
  errorsOf,
  formatProblem,
  parseRsyncdDocument,
  rsyncdBoolean,
  rsyncdList,
  rsyncdSemantics,
  rsyncdValue,
  validateRsyncdDocument,
  type RsyncdSemantics,
} from "../formats";
import type { FramedAnswer } from "./framing";
import { finding } from "./findings";
import { answers, fitsRequest, type InspectRequest } from "./host-inspect";
import type { Finding, ModuleReport, ServerReport } from "./types";

/** Modules connected to from the host, at most: each may take the connect timeout. */
const MAX_CONNECTS = 20;
const LOG_EVIDENCE_LINES = 6;

export interface ModulePlan {
  name: string;
  path?: string;
  comment?: string;
  /** Who the module's files are read as: its `uid`/`gid`, else rsync's `nobody` when the daemon is root. */
  user: string;
  group: string;
  /** Plain user names of `auth users` (`@group` entries and `:ro`/`:rw`/`:deny` suffixes dropped). */
  authUsers: string[];
  secretsFile?: string;
  strictModes: boolean;
  useChroot: boolean;
}

export interface RsyncConfig {
  path: string;
  text: string;
  semantics: RsyncdSemantics;
}

/** The rsyncd.conf as the FILE request answered it; undefined when it is missing. */
export function configOf(answer: FramedAnswer, path: string): RsyncConfig | undefined {
  const block = answer.blocks.find((b) => b.kind === "file" && b.name === path);
  if (block === undefined) return undefined;
  return { path, text: block.content, semantics: rsyncdSemantics(parseRsyncdDocument(block.content)) };
}

export function planModules(config: RsyncConfig, daemonUser: string): ModulePlan[] {
  const sem = config.semantics;
  const root = daemonUser === "root" || daemonUser === "0";
  return sem.modules.map(({ name }) => {
    const path = rsyncdValue(sem, "path", name);
    const comment = rsyncdValue(sem, "comment", name);
    const secretsFile = rsyncdValue(sem, "secrets file", name);
    return {
      name,
      ...(path === undefined ? {} : { path }),
      ...(comment === undefined ? {} : { comment }),
      user: root ? (rsyncdValue(sem, "uid", name) ?? "nobody") : daemonUser,
      group: root ? (rsyncdValue(sem, "gid", name) ?? "nogroup") : daemonUser,
      authUsers: (rsyncdList(sem, "auth users", name) ?? [])
        .filter((user) => !user.startsWith("@"))
        .map((user) => user.replace(/:(ro|rw|deny)$/i, "")),
      ...(secretsFile === undefined ? {} : { secretsFile }),
      strictModes: rsyncdBoolean(sem, "strict modes", name) !== false,
      useChroot: rsyncdBoolean(sem, "use chroot", name) === true,
    };
  });
}

/** The log files the daemon writes: the global `log file` and any module's own. */
export function logFilesOf(config: RsyncConfig): string[] {
  const sem = config.semantics;
  const files = [rsyncdValue(sem, "log file"), ...sem.modules.map((m) => rsyncdValue(sem, "log file", m.name))];
  return [...new Set(files.filter((file): file is string => file !== undefined && file !== ""))];
}

/** Where a client on the host reaches the daemon, from the address it listens on. */
export function connectAddress(listening: readonly string[]): string | undefined {
  const address = listening[0]?.replace(/:\d+$/, "");
  if (address === undefined) return undefined;
  if (address === "*" || address === "0.0.0.0") return "127.0.0.1";
  if (address === "[::]") return "[::1]";
  return address.replace(/%\w+$/, "");
}

const CONFIG_SOURCES: Record<ServerReport["configFrom"], string> = {
  option: "--config",
  launcher: "the launcher's --config",
  default: "rsync's default",
};

const USER_NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;

/** The secrets-file user a real connection logs in as: the first auth user the file has a line for. */
function loginUser(plan: ModulePlan, answer: FramedAnswer | undefined): string | undefined {
  const names = answer && secretsUsers(answer, plan.name);
  return plan.authUsers.find((user) => USER_NAME.test(user) && names?.includes(user));
}

function secretsUsers(answer: FramedAnswer, key: string): string[] {
  return answer.blocks
    .filter((b) => b.kind === "users" && b.name === key)
    .flatMap((b) => b.content.split("\n").filter(Boolean));
}

/** Requests about the modules' files (round trip 3); connections need its secrets answer, so they go last. */
export function fileRequests(plans: readonly ModulePlan[], logFiles: readonly string[], daemonUser: string) {
  const requests: InspectRequest[] = [];
  for (const plan of plans) {
    if (plan.path !== undefined && fitsRequest(plan.path) && fitsRequest(plan.user) && fitsRequest(plan.group)) {
      requests.push(["ACCESS", plan.name, plan.user, plan.group, plan.path]);
    }
    if (plan.authUsers.length > 0 && plan.secretsFile !== undefined && fitsRequest(plan.secretsFile)) {
      requests.push(["SECRETS", plan.name, plan.secretsFile]);
    }
  }
  for (const file of logFiles) if (fitsRequest(file)) requests.push(["WRITABLE", file, daemonUser, file]);
  if (plans.some((plan) => plan.useChroot)) requests.push(["CHROOT"]);
  return requests.filter((request) => request.slice(1).every((field) => !/[\t\n]/.test(field)));
}

/** The list, a real connection to each module, then the log tails (which then show those connections). */
export function connectRequests(
  plans: readonly ModulePlan[],
  files: FramedAnswer,
  address: string | undefined,
  logFiles: readonly string[],
): InspectRequest[] {
  const requests: InspectRequest[] = [];
  if (address !== undefined) {
    requests.push(["LIST", address]);
    for (const plan of plans.slice(0, MAX_CONNECTS)) {
      if (!fitsRequest(plan.name) || plan.name.startsWith("#") || plan.name.startsWith("-")) continue;
      const user = plan.authUsers.length > 0 ? loginUser(plan, files) : undefined;
      if (plan.authUsers.length > 0 && user === undefined) continue;
      requests.push(["CONNECT", plan.name, address, user ?? "-", user ? plan.secretsFile! : "-"]);
    }
  }
  for (const file of logFiles.length > 0 ? logFiles : ["syslog"]) if (fitsRequest(file)) requests.push(["TAIL", file]);
  return requests;
}

export function configFindings(
  server: ServerReport,
  configAnswer: FramedAnswer,
  config: RsyncConfig | undefined,
): Finding[] {
  if (config === undefined) {
    const notFile = answers(configAnswer, "NOTFILE").length > 0;
    return [
      finding(
        "config-missing",
        "error",
        `The rsyncd.conf \`${server.configPath}\` ${notFile ? "is not a readable file" : "does not exist"}: every ` +
          "connection fails before the greeting (clients see code 5 or a reset).",
        [
          `${server.configPath}: ${notFile ? "not a regular readable file" : "no such file"}`,
          `chosen from ${CONFIG_SOURCES[server.configFrom]}`,
        ],
        `Create ${server.configPath}, or point the launcher's \`--config=\` at the file that holds the modules.`,
      ),
    ];
  }
  const problems = validateRsyncdDocument(parseRsyncdDocument(config.text));
  if (problems.length === 0) return [];
  const errors = errorsOf(problems);
  return [
    finding(
      "config-invalid",
      errors.length > 0 ? "error" : "warning",
      `rsync rejects or ignores ${problems.length} line(s) of \`${config.path}\`` +
        (errors.length > 0 ? "; what they say does not apply." : "."),
      problems.map((p) => `${config.path}:${formatProblem(p).replace(/^line /, "")}`),
      "Fix the lines named above (unknown parameters come with the nearest name rsync knows).",
    ),
  ];
}

export function moduleFindings(
  plans: readonly ModulePlan[],
  server: ServerReport,
  files: FramedAnswer,
  connects: FramedAnswer | undefined,
): Finding[] {
  const findings: Finding[] = [];
  const root = server.daemonUser === "root" || server.daemonUser === "0";
  const access = new Map(answers(files, "ACCESS").map(([key, verdict]) => [key, verdict]));
  const secrets = new Map(answers(files, "SECRETS").map(([key, ...rest]) => [key, rest]));
  for (const plan of plans) {
    const verdict = access.get(plan.name);
    if (verdict === "missing" || verdict === "not-directory") {
      findings.push(
        finding(
          "module-path-missing",
          "error",
          `The path of module \`${plan.name}\`, \`${plan.path}\`, ` +
            `${verdict === "missing" ? "does not exist" : "is not a directory"}: ` +
            "clients get `@ERROR: chroot failed` or `chdir failed`.",
          [`${plan.path}: ${verdict === "missing" ? "no such file or directory" : "not a directory"}`],
          `Create the directory (\`mkdir -p ${plan.path}\`) or fix \`path\` of \`[${plan.name}]\`.`,
        ),
      );
    } else if (verdict === "unreadable") {
      findings.push(
        finding(
          "module-path-unreadable",
          "error",
          `Module \`${plan.name}\` runs as user \`${plan.user}\` (group \`${plan.group}\`), who cannot read and ` +
            "enter " +
            `\`${plan.path}\`: clients get \`change_dir … failed: Permission denied\`.`,
          [`${plan.path}: not readable and searchable by ${plan.user}:${plan.group}`],
          `Let \`${plan.user}\` read it (\`chmod o+rx ${plan.path}\`, or a group it is in), or set ` +
            "`uid`/`gid` of " +
            `\`[${plan.name}]\` to an owner of the files.`,
        ),
      );
    }
    if (plan.authUsers.length === 0 || plan.secretsFile === undefined) continue;
    const facts = secrets.get(plan.name);
    if (facts?.[0] === "missing" || facts?.[0] === "unreadable") {
      findings.push(
        finding(
          "secrets-file-missing",
          "error",
          `Module \`${plan.name}\` has \`auth users\`, but its secrets file \`${plan.secretsFile}\` ` +
            `${facts[0] === "missing" ? "does not exist" : "cannot be read"}: ` +
            "every login fails with `@ERROR: auth failed`.",
          [`${plan.secretsFile}: ${facts[0] === "missing" ? "no such file" : "not a readable regular file"}`],
          `Create it with one \`user:password\` line per user, owned by root, mode 0600.`,
        ),
      );
      continue;
    }
    if (facts?.[0] !== "file") continue;
    const [mode = "", owner = ""] = (facts[1] ?? "").split(" ");
    const crs = Number(facts[2] ?? "0");
    const otherAccess = (Number.parseInt(mode, 8) & 0o006) !== 0;
    const notRootOwned = root && owner !== "root";
    if (plan.strictModes && (otherAccess || notRootOwned)) {
      findings.push(
        finding(
          "secrets-file-mode",
          "error",
          `The secrets file \`${plan.secretsFile}\` of module \`${plan.name}\` is ` +
            (otherAccess ? `mode ${mode}, accessible to other users` : `owned by \`${owner}\`, not root`) +
            ": with `strict modes` rsync ignores it, and every login fails with `@ERROR: auth failed`.",
          [`${plan.secretsFile}: mode ${mode}, owner ${owner}`, ...rsyncLogLines(connects, plan.name, /secrets file/)],
          `\`chown root:root ${plan.secretsFile} && chmod 600 ${plan.secretsFile}\`.`,
        ),
      );
    }
    if (crs > 0) {
      findings.push(
        finding(
          "secrets-file-crlf",
          "error",
          `The secrets file \`${plan.secretsFile}\` has ${crs} carriage return(s) (CRLF line ends): rsync takes the ` +
            "`\\r` as part of each password, so those logins fail.",
          [`${plan.secretsFile}: ${crs} CR character(s)`],
          `Strip them: \`sed -i 's/\\r$//' ${plan.secretsFile}\`.`,
        ),
      );
    }
    const names = secretsUsers(files, plan.name);
    for (const user of plan.authUsers.filter((u) => !names.includes(u))) {
      findings.push(
        finding(
          "secrets-user-missing",
          "error",
          `\`${user}\` is in \`auth users\` of module \`${plan.name}\` but has no line in \`${plan.secretsFile}\`: ` +
            "that user cannot log in.",
          [`${plan.secretsFile} names: ${names.length > 0 ? names.join(", ") : "nobody"}`],
          `Add a \`${user}:PASSWORD\` line to ${plan.secretsFile}, or drop \`${user}\` from \`auth users\`.`,
        ),
      );
    }
  }

  const chrooting = plans.filter((plan) => plan.useChroot);
  const chrootFails = answers(files, "CHROOT")[0]?.[0] === "failed";
  if (chrooting.length > 0 && (!root || chrootFails)) {
    findings.push(
      finding(
        "chroot-unavailable",
        "error",
        `${chrooting.map((p) => `\`${p.name}\``).join(", ")} set${chrooting.length === 1 ? "s" : ""} ` +
          "`use chroot = yes`, " +
          `but the daemon ${root ? "cannot chroot on this host" : `runs as \`${server.daemonUser}\`, not root`}: ` +
          "clients get `@ERROR: chroot failed`.",
        [root ? "chroot / true failed (no CAP_SYS_CHROOT)" : `the daemon's user: ${server.daemonUser}`],
        root
          ? "Set `use chroot = no` (and consider `munge symlinks`), or give the daemon CAP_SYS_CHROOT."
          : "Run the daemon as root (xinetd `user = root`) and let it drop to `uid`, or set `use chroot = no`.",
      ),
    );
  }

  for (const [file, verdict] of answers(files, "WRITABLE")) {
    if (verdict === "writable" || file === undefined) continue;
    findings.push(
      finding(
        "log-file-unwritable",
        "warning",
        `The daemon (user \`${server.daemonUser}\`) cannot write its \`log file\` \`${file}\`` +
          (verdict === "no-directory" ? " (its directory does not exist)" : "") +
          ": its messages, the reasons for failures included, go to syslog or nowhere.",
        [`${file}: ${verdict === "no-directory" ? "directory missing" : `not writable by ${server.daemonUser}`}`],
        verdict === "no-directory"
          ? `Create the directory, or point \`log file\` at an existing one.`
          : `Let \`${server.daemonUser}\` write it (\`chown ${server.daemonUser} ${file}\`), ` +
              "or choose another `log file`.",
      ),
    );
  }

  for (const [module, status] of connects ? answers(connects, "CONNECT") : []) {
    if (status === "0" || module === undefined) continue;
    const output = connects!.blocks.find((b) => b.kind === "connect" && b.name === module)?.content ?? "";
    const errorLines = output.split("\n").filter((line) => /^@ERROR|^rsync(:| error)/.test(line));
    const denied = errorLines.some((line) => /access denied/.test(line));
    findings.push(
      finding(
        "module-connect-failed",
        denied ? "warning" : "error",
        `A connection from the host to module \`${module}\` failed (rsync exit ${status})` +
          (denied ? ": the host itself is not in `hosts allow`, so remote clients may still get in." : "."),
        [...errorLines.slice(0, 4), ...rsyncLogLines(connects, module)],
        denied
          ? "Nothing to do if the host is not meant to be a client; otherwise add it to `hosts allow`."
          : "The daemon's own words are above and in its log; fix what they name.",
      ),
    );
  }
  return findings;
}

/** Lines of the rsync log from the daemon processes that served `module` (same `[pid]`), last few. */
function rsyncLogLines(answer: FramedAnswer | undefined, module: string, only?: RegExp): string[] {
  const lines = (answer?.blocks ?? []).filter((b) => b.kind === "log").flatMap((b) => b.content.split("\n"));
  const pidOf = (line: string) => /\[(\d+)\]/.exec(line)?.[1];
  const pids = new Set(
    lines.filter((line) => line.includes(`module ${module} `) || line.includes(`(in ${module})`)).map(pidOf),
  );
  return lines
    .filter((line) => pids.has(pidOf(line)) && /failed|error|denied|secrets|refused|unable/i.test(line))
    .filter((line) => only === undefined || only.test(line))
    .slice(-LOG_EVIDENCE_LINES);
}

/** The modules as the report shows them, with what the host's own listing and connections said. */
export function moduleReports(plans: readonly ModulePlan[], connects: FramedAnswer | undefined): ModuleReport[] {
  const listing = connects?.blocks.find((b) => b.kind === "list")?.content ?? "";
  const listed = new Set(
    listing
      .split("\n")
      .filter((line) => line.includes("\t"))
      .map((line) => line.slice(0, line.indexOf("\t")).trimEnd()),
  );
  const connected = new Map((connects ? answers(connects, "CONNECT") : []).map(([module, status]) => [module, status]));
  return plans.map((plan) => {
    const status = connected.get(plan.name);
    return {
      name: plan.name,
      ...(plan.path === undefined ? {} : { path: plan.path }),
      ...(plan.comment === undefined ? {} : { comment: plan.comment }),
      listed: listed.has(plan.name),
      authUsers: plan.authUsers,
      ...(status === undefined ? {} : { connect: status === "0" ? ("ok" as const) : ("failed" as const) }),
    };
  });
}
