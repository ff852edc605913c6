// Guard for tests that need the lab: root, Linux namespaces, overlayfs and the host binaries.
// Self-contained on purpose (test/support has its own guard for other suites).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { HostKind } from "./lab";
import { rootFsPath, SUITE_OF_KIND, type SystemdHostKind } from "./rootfs";

const REQUIRED_EXECUTABLES = [
  "/usr/sbin/sshd",
  "/usr/bin/ssh",
  "/usr/bin/ssh-keygen",
  "/usr/sbin/xinetd",
  "/etc/init.d/xinetd",
  "/usr/sbin/service",
  "/usr/sbin/start-stop-daemon",
  "/usr/bin/sudo",
  "/usr/bin/rsync",
  "/usr/bin/nsenter",
  "/usr/bin/unshare",
  "/usr/bin/mount",
  "/usr/sbin/ip",
  // Login shells of the hostile-host tests, and what they use to act as another user.
  "/usr/bin/fish",
  "/usr/bin/tcsh",
  "/usr/bin/setpriv",
  "/usr/bin/flock",
];

// Directories the lab bind-mounts over inside each host: they must exist as mount points.
const REQUIRED_DIRECTORIES = ["/etc", "/srv", "/var/log", "/run", "/root", "/home", "/tmp"];

// What systemd hosts need besides: nspawn to boot them, debootstrap to build a root fs not cached yet.
const SYSTEMD_HOST_EXECUTABLES = ["/usr/bin/systemd-nspawn"];
const ROOT_FS_BUILD_EXECUTABLES = ["/usr/sbin/debootstrap"];

/**
 * Everything missing on this machine for a lab with hosts of `kinds` to run; empty when it can.
 */
export function findMissingLabRequirements(kinds: readonly HostKind[] = ["namespace"]): string[] {
  if (process.platform !== "linux") return [`needs Linux, this is ${process.platform}`];
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("needs root (network and mount namespaces, veth, mounts)");
  const systemdKinds = [...new Set(kinds)].filter((kind): kind is SystemdHostKind => kind in SUITE_OF_KIND);
  const executables = [...REQUIRED_EXECUTABLES];
  if (systemdKinds.length > 0) executables.push(...SYSTEMD_HOST_EXECUTABLES);
  if (systemdKinds.some((kind) => !fs.existsSync(rootFsPath(kind)))) executables.push(...ROOT_FS_BUILD_EXECUTABLES);
  for (const executable of executables) {
    if (!isExecutable(executable)) missing.push(`missing ${executable}`);
  }
  for (const directory of REQUIRED_DIRECTORIES) {
    if (!fs.existsSync(directory)) missing.push(`missing directory ${directory}`);
  }
  if (missing.length === 0) {
    const probeFailure = probeNamespacesAndOverlay();
    if (probeFailure) missing.push(probeFailure);
  }
  return missing;
}

/**
 * Returns undefined when the lab can run. Otherwise prints one loud line and returns the reason,
 * to pass as `{ skip }` to node:test; with CI=true it throws instead, so CI never skips silently.
 */
export function labSkipReason(kinds: readonly HostKind[] = ["namespace"]): string | undefined {
  const missing = findMissingLabRequirements(kinds);
  if (missing.length === 0) return undefined;
  const reason = `lab unavailable: ${missing.join("; ")}`;
  if (process.env.CI === "true") throw new Error(`${reason} (CI=true, so lab tests fail instead of skipping)`);
  console.error(`!!!!! LAB TESTS SKIPPED: ${reason} !!!!!`);
  return reason;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// Root alone is not enough inside some containers: try what the lab does, in a throwaway namespace.
function probeNamespacesAndOverlay(): string | undefined {
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), "pxlab-probe."));
  try {
    for (const sub of ["lower", "upper", "work", "merged"]) fs.mkdirSync(path.join(probeDir, sub));
    const options = `lowerdir=${probeDir}/lower,upperdir=${probeDir}/upper,workdir=${probeDir}/work`;
    const probe = spawnSync(
      "unshare",
      [
        "--net",
        "--mount",
        "--uts",
        "--propagation",
        "private",
        "--",
        "mount",
        "-t",
        "overlay",
        "pxlab-probe",
        "-o",
        options,
        path.join(probeDir, "merged"),
      ],
      { encoding: "utf8", timeout: 10_000 },
    );
    if (probe.status === 0) return undefined;
    return `cannot create namespaces or mount overlayfs: ${(probe.stderr || probe.error?.message || "").trim()}`;
  } finally {
    fs.rmSync(probeDir, { recursive: true, force: true });
  }
}
