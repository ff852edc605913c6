/**
 * Gate for tests that run the real daemons: they need root (namespaces, chroot) and the binaries.
 * Locally a missing requirement skips the test; on CI (`CI=true`) it fails, so an oracle suite can
 * never pass by silently doing nothing.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { TestContext } from "node:test";

// Daemons live in sbin directories, which a non-login PATH often lacks.
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** Absolute path of an executable found on PATH or in the sbin directories, or null. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), ...EXTRA_DIRS].filter((d) => d !== "");
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

let namespacesWork: boolean | undefined;

// Root inside a container may still be denied new namespaces; find out once.
function canUnshare(): boolean {
  if (namespacesWork === undefined) {
    const r = spawnSync("unshare", ["-n", "-m", "true"], { stdio: "ignore", timeout: 5000 });
    namespacesWork = r.status === 0;
  }
  return namespacesWork;
}

/** Why the daemon oracles cannot run here, or null when they can. */
export function missingRequirement(tools: string[]): string | null {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "not running as root";
  const missing = tools.filter((tool) => findExecutable(tool) === null);
  if (missing.length > 0) return `missing ${missing.join(", ")}`;
  if (tools.includes("unshare") && !canUnshare()) return "`unshare -n -m` is not permitted here";
  return null;
}

const skipped: string[] = [];

function reportSkipsOnExit(): void {
  process.stderr.write(`\n!!! DAEMON ORACLE TESTS SKIPPED (set CI=true to make this fatal): ${skipped.join("; ")}\n`);
}

/**
 * Returns true when the test may go on. Otherwise skips it (one summary line on stderr when the
 * process exits) or, with `CI=true`, throws so the test fails.
 */
export function requireRoot(t: TestContext, tools: string[]): boolean {
  const reason = missingRequirement(tools);
  if (reason === null) return true;
  if (process.env.CI === "true") {
    throw new Error(`daemon oracle test "${t.name}" cannot run on CI: ${reason}`);
  }
  if (skipped.length === 0) process.once("exit", reportSkipsOnExit);
  skipped.push(`"${t.name}" (${reason})`);
  t.skip(reason);
  return false;
}
