// The lab's accounts on every host: root, a user with passwordless sudo and one without sudo, each
// with an ed25519 key the lab generates; and each host's own ssh host key.
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";

import { chownTree, runChecked, writeFile } from "./system";

export const SUDO_USER_NAME = "labuser";
export const NO_SUDO_USER_NAME = "labnosudo";

export interface LabUser {
  name: string;
  /** ed25519 private key file, mode 0600, no passphrase. */
  keyPath: string;
  privateKey: string;
  /** `ssh-ed25519 AAAA... comment` */
  publicKey: string;
}

export interface LabKeys {
  rootKey: LabUser;
  sudoUser: LabUser;
  noSudoUser: LabUser;
}

export interface AccountFiles {
  passwd: string;
  group: string;
  shadow: string;
  shadowGid: number;
  sudoUid: number;
  noSudoUid: number;
}

/** The account files in `etcDir` plus the two lab users, with ids free there. */
export function buildAccountFiles(etcDir: string): AccountFiles {
  const passwd = fs.readFileSync(path.join(etcDir, "passwd"), "utf8");
  const group = fs.readFileSync(path.join(etcDir, "group"), "utf8");
  const shadow = fs.readFileSync(path.join(etcDir, "shadow"), "utf8");
  const usedIds = new Set(
    [passwd, group].flatMap((text) => text.split("\n").map((line) => Number(line.split(":")[2]))),
  );
  const freeIds: number[] = [];
  for (let candidate = 2001; freeIds.length < 2; candidate++) {
    if (!usedIds.has(candidate)) freeIds.push(candidate);
  }
  const [sudoUid, noSudoUid] = freeIds as [number, number];
  const shadowGroup = group.split("\n").find((line) => line.startsWith("shadow:"));
  const withNewline = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
  // `*` (no password) rather than `!` (locked): with UsePAM no, sshd refuses locked accounts.
  return {
    passwd:
      withNewline(passwd) +
      `${SUDO_USER_NAME}:x:${sudoUid}:${sudoUid}:pxlab user with sudo:/home/${SUDO_USER_NAME}:/bin/bash\n` +
      `${NO_SUDO_USER_NAME}:x:${noSudoUid}:${noSudoUid}:pxlab user without sudo:/home/${NO_SUDO_USER_NAME}:/bin/bash\n`,
    group: withNewline(group) + `${SUDO_USER_NAME}:x:${sudoUid}:\n${NO_SUDO_USER_NAME}:x:${noSudoUid}:\n`,
    shadow: withNewline(shadow) + `${SUDO_USER_NAME}:*:19000:0:99999:7:::\n${NO_SUDO_USER_NAME}:*:19000:0:99999:7:::\n`,
    shadowGid: shadowGroup ? Number(shadowGroup.split(":")[2]) : 0,
    sudoUid,
    noSudoUid,
  };
}

export async function generateUserKey(dir: string, user: string, id: string): Promise<LabUser> {
  const keysDir = path.join(dir, "keys");
  await fsp.mkdir(keysDir, { recursive: true, mode: 0o700 });
  const keyPath = path.join(keysDir, user);
  await runChecked(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `${user}@pxlab-${id}`, "-f", keyPath]);
  return {
    name: user,
    keyPath,
    privateKey: await fsp.readFile(keyPath, "utf8"),
    publicKey: (await fsp.readFile(`${keyPath}.pub`, "utf8")).trim(),
  };
}

/**
 * Writes the lab's accounts into a host's files under `root` (its etc/, root/ and home/, which must
 * exist): account files, the sudo rule, root's authorized key, and the users' homes from `skelDir`.
 */
export async function writeAccounts(
  root: string,
  skelDir: string,
  keys: LabKeys,
  accounts: AccountFiles,
): Promise<void> {
  const at = (relative: string) => path.join(root, relative);
  await writeFile(at(`etc/sudoers.d/${SUDO_USER_NAME}`), `${SUDO_USER_NAME} ALL=(ALL) NOPASSWD:ALL\n`, 0o440);
  await writeFile(at("etc/passwd"), accounts.passwd, 0o644);
  await writeFile(at("etc/group"), accounts.group, 0o644);
  await writeFile(at("etc/shadow"), accounts.shadow, 0o640);
  await fsp.chown(at("etc/shadow"), 0, accounts.shadowGid);
  await writeFile(at("root/.ssh/authorized_keys"), `${keys.rootKey.publicKey}\n`, 0o600);
  for (const [user, uid] of [
    [keys.sudoUser, accounts.sudoUid],
    [keys.noSudoUser, accounts.noSudoUid],
  ] as const) {
    const home = at(`home/${user.name}`);
    await fsp.cp(skelDir, home, { recursive: true });
    await fsp.mkdir(path.join(home, ".ssh"), { mode: 0o700 });
    await writeFile(path.join(home, ".ssh/authorized_keys"), `${user.publicKey}\n`, 0o600);
    await chownTree(home, uid, uid);
    await fsp.chmod(home, 0o750);
  }
}

/** Generates an ed25519 host key at `keyPath`; returns its known_hosts form without a host name. */
export async function generateHostKey(keyPath: string, hostName: string): Promise<string> {
  await runChecked(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `root@${hostName}`, "-f", keyPath]);
  return (await fsp.readFile(`${keyPath}.pub`, "utf8")).trim().split(/\s+/).slice(0, 2).join(" ");
}
