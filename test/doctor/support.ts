// The healthy rsync-under-xinetd host the broken-host tests start from, and how they break it.
import assert from "node:assert/strict";

import { run, type AnyLabHost } from "../lab/lab";

export const RSYNC_CONF = "/etc/rsyncd/rsyncd.conf";
export const SECRETS = "/etc/rsyncd/rsyncd.secrets";
export const SERVICE_FILE = "/etc/xinetd.d/rsync";
/** The socket-activated rsync an operator makes by hand on a systemd host (systemd-socket tests). */
export const SOCKET_UNIT = "rsyncd.socket";
export const SERVICE_TEMPLATE = "rsyncd@.service";

// Line 13 is `read only = no` of [backup]: the config-invalid test names it.
const RSYNCD_CONF_TEXT = `pid file = /var/run/rsyncd.pid
lock file = /var/run/rsync.lock
log file = /var/log/rsync.log
port = 873

[pub]
\tpath = /srv/pub
\tcomment = public files
\tread only = yes

[backup]
\tpath = /srv/backup
\tread only = no
\tauth users = backup
\tsecrets file = ${SECRETS}
`;

const SERVICE_TEXT = `service rsync
{
\tdisable = no
\tflags = IPv6
\tsocket_type = stream
\twait = no
\tuser = root
\tserver = /usr/bin/rsync
\tserver_args = --daemon --config=${RSYNC_CONF}
\tlog_on_failure += USERID
}
`;

// What a break may leave on any kind of host: stray daemons and files, a socket unit, a listener.
const HEAL_FILES = `set -e
if [ -f /var/run/rsyncd.pid ]; then kill "$(cat /var/run/rsyncd.pid)" 2>/dev/null || true; rm -f /var/run/rsyncd.pid; fi
if [ -f /run/doctor-squatter.pid ]; then kill "$(cat /run/doctor-squatter.pid)" 2>/dev/null || true; fi
rm -f /run/doctor-squatter.pid
rm -rf /etc/xinetd.d/rsync.conf /etc/xinetd.d/arsync /etc/xinetd.d/.rsync.previous /srv/pub.gone /srv/pub /srv/backup
mkdir -p /srv/pub /srv/backup && echo hello > /srv/pub/file && chmod 755 /srv/pub /srv/backup
cat > ${RSYNC_CONF} <<'END'
${RSYNCD_CONF_TEXT}END
cat > ${SERVICE_FILE} <<'END'
${SERVICE_TEXT}END
printf 'backup:s3cret\\n' > ${SECRETS} && chmod 600 ${SECRETS}
: > /var/log/rsync.log && chown root:root /var/log/rsync.log
`;

const WAIT_FOR_PORT =
  "for i in $(seq 100); do ss -Hltn 'sport = :873' | grep -q . && exit 0; sleep 0.05; done\nexit 1\n";

/** A namespace host: xinetd writes its own log file (`-filelog`), emptied as the host restarts it. */
const HEAL_NAMESPACE = `${HEAL_FILES}sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
service xinetd stop >/dev/null 2>&1 || true
: > /var/log/xinetd.log
service xinetd start >/dev/null
${WAIT_FOR_PORT}`;

/**
 * A systemd host: no socket unit of ours, xinetd restarted, and a journal that starts afresh (as the
 * namespace host's log file does), so no test reads the lines an earlier break left.
 */
const HEAL_SYSTEMD = `${HEAL_FILES}systemctl disable --now ${SOCKET_UNIT} >/dev/null 2>&1 || true
rm -f /etc/systemd/system/${SOCKET_UNIT} /etc/systemd/system/${SERVICE_TEMPLATE}
systemctl daemon-reload
systemctl reset-failed
systemctl stop xinetd
journalctl -q --rotate && journalctl -q --vacuum-time=1s
systemctl start xinetd
${WAIT_FOR_PORT}`;

export async function makeHealthy(host: AnyLabHost): Promise<void> {
  if (host.kind !== "namespace") await setIpv6Disabled(host, false);
  const healed = await host.exec(host.kind === "namespace" ? HEAL_NAMESPACE : HEAL_SYSTEMD);
  assert.equal(healed.code, 0, `healing ${host.name}: ${healed.stderr}`);
}

/**
 * Sets `disable_ipv6` on every interface of the host. nspawn mounts /proc/sys read-only inside a
 * systemd host, so there it is set from the machine, in the host's network namespace.
 */
export async function setIpv6Disabled(host: AnyLabHost, disabled: boolean): Promise<void> {
  const sysctl = [
    "sysctl",
    "-qw",
    ...["all", "default"].map((i) => `net.ipv6.conf.${i}.disable_ipv6=${disabled ? 1 : 0}`),
  ];
  const result =
    host.kind === "namespace" ? await host.exec(sysctl) : await run(["ip", "netns", "exec", host.netns, ...sysctl]);
  assert.equal(result.code, 0, `sysctl on ${host.name}: ${result.stderr}`);
}

/** Runs the operator's commands on the host; they must succeed. */
export async function breakHost(host: AnyLabHost, commands: string): Promise<void> {
  const result = await host.exec(commands);
  assert.equal(result.code, 0, `breaking ${host.name} with \`${commands}\`: ${result.stderr}`);
}
