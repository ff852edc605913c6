// Read-only Debian root file systems for the lab's systemd hosts, built once per machine with
// debootstrap and kept in the user's cache. Every host boots an overlay over one of them, so hosts
// never change it. The directory name carries a hash of everything that shapes the tree (suite,
// packages, mirror, build script): change any of them and the next lab builds a new one.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { run } from "./system";

export type SystemdHostKind = "debian12" | "debian13";

export const SUITE_OF_KIND: Record<SystemdHostKind, string> = { debian12: "bookworm", debian13: "trixie" };

const MIRROR = "http://deb.debian.org/debian";

/** What a host needs beyond minbase: an init, the daemons under test, and the tools the library runs. */
export const ROOT_FS_PACKAGES = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "xinetd",
  "rsync",
  "openssh-server",
  "iproute2",
  "sudo",
  "procps",
] as const;

const LOCK_WAIT_SECONDS = 30 * 60;

// $1 final directory, $2 suite, $3 comma-separated packages, $4 mirror. Runs under flock on
// "$1.lock", so one builder at a time per root fs; it builds next to the final directory and renames,
// so a reader sees a whole tree or none. debootstrap runs in a mount namespace of its own: a killed
// build leaves no /proc or /sys mounted in the cache.
const BUILD_SCRIPT = `set -eu
final=$1
if [ -d "$final" ]; then echo present; exit 0; fi
for stale in "$final".build.*; do
  if [ -d "$stale" ]; then rm -rf --one-file-system "$stale"; fi
done
build=$(mktemp -d "$final.build.XXXXXX")
if ! unshare --mount --propagation private -- \\
  debootstrap --variant=minbase --include="$3" "$2" "$build/root" "$4" >"$build/debootstrap.out" 2>&1; then
  tail -n 40 "$build/debootstrap.out" >&2
  if [ -f "$build/root/debootstrap/debootstrap.log" ]; then tail -n 40 "$build/root/debootstrap/debootstrap.log" >&2; fi
  rm -rf --one-file-system "$build"
  exit 1
fi
# Each host gets its own host keys, machine id and hostname in its overlay.
rm -f "$build"/root/etc/ssh/ssh_host_*
: >"$build/root/etc/machine-id"
rm -f "$build/root/etc/hostname" "$build"/root/var/cache/apt/archives/*.deb
mv -T "$build/root" "$final"
rm -rf "$build"
echo built
`;

export function rootFsCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-xinetd", "rootfs");
}

/** Where the root fs of `kind` lives (or will), e.g. ~/.cache/pulumi-xinetd/rootfs/bookworm-0123456789ab. */
export function rootFsPath(kind: SystemdHostKind): string {
  const suite = SUITE_OF_KIND[kind];
  const recipe = JSON.stringify({ suite, packages: ROOT_FS_PACKAGES, mirror: MIRROR, script: BUILD_SCRIPT });
  const hash = createHash("sha256").update(recipe).digest("hex").slice(0, 12);
  return path.join(rootFsCacheDir(), `${suite}-${hash}`);
}

export interface RootFs {
  kind: SystemdHostKind;
  path: string;
  /** How long this call took to build it; undefined when it was cached or another builder made it. */
  buildMs?: number;
}

/**
 * Returns the root fs of `kind`, building it first when the cache lacks it (under a minute here; a
 * concurrent builder of the same tree is waited for, not repeated).
 */
export async function ensureRootFs(kind: SystemdHostKind): Promise<RootFs> {
  const target = rootFsPath(kind);
  if (fs.existsSync(target)) return { kind, path: target };
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const startedAt = performance.now();
  const built = await run(
    [
      "flock",
      "-w",
      String(LOCK_WAIT_SECONDS),
      `${target}.lock`,
      "/bin/sh",
      "-c",
      BUILD_SCRIPT,
      "pxlab-rootfs",
      target,
      SUITE_OF_KIND[kind],
      ROOT_FS_PACKAGES.join(","),
      MIRROR,
    ],
    { timeoutMs: (LOCK_WAIT_SECONDS + 15 * 60) * 1000 },
  );
  if (built.code !== 0 || !fs.existsSync(target)) {
    throw new Error(
      `building the ${kind} root fs in ${target} failed (${built.code ?? built.signal}): ${built.stderr.trim()}`,
    );
  }
  return built.stdout.trim() === "built"
    ? { kind, path: target, buildMs: performance.now() - startedAt }
    : { kind, path: target };
}
