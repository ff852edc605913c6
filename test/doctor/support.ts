// The healthy rsync-under-xinetd host the broken-host tests start from, and how they break it.
import assert from "node:assert/strict";

import type { AnyLabHost } from "../lab/lab";

export const RSYNC_CONF = "/etc/rsyncd/rsyncd.conf";
export const SECRETS = "/etc/rsyncd/rsyncd.secrets";
export const SERVICE_FILE = "/etc/xinetd.d/rsync";

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

/** Undoes every break: stray files and daemons gone, the files as above, xinetd restarted. */
const HEAL = `set -e
if [ -f /var/run/rsyncd.pid ]; then kill "$(cat /var/run/rsyncd.pid)" 2>/dev/null || true; rm -f /var/run/rsyncd.pid; fi
sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
rm -rf /etc/xinetd.d/rsync.conf /etc/xinetd.d/arsync /etc/xinetd.d/.rsync.previous /srv/pub.gone /srv/pub /srv/backup
mkdir -p /srv/pub /srv/backup && echo hello > /srv/pub/file && chmod 755 /srv/pub /srv/backup
cat > ${RSYNC_CONF} <<'END'
${RSYNCD_CONF_TEXT}END
cat > ${SERVICE_FILE} <<'END'
${SERVICE_TEXT}END
printf 'backup:s3cret\\n' > ${SECRETS} && chmod 600 ${SECRETS}
: > /var/log/rsync.log && chown root:root /var/log/rsync.log
service xinetd stop >/dev/null 2>&1 || true
: > /var/log/xinetd.log
service xinetd start >/dev/null
for i in $(seq 100); do ss -Hltn 'sport = :873' | grep -q . && exit 0; sleep 0.05; done
exit 1
`;

export async function makeHealthy(host: AnyLabHost): Promise<void> {
  const healed = await host.exec(HEAL);
  assert.equal(healed.code, 0, `healing ${host.name}: ${healed.stderr}`);
}

/** Runs the operator's commands on the host; they must succeed. */
export async function breakHost(host: AnyLabHost, commands: string): Promise<void> {
  const result = await host.exec(commands);
  assert.equal(result.code, 0, `breaking ${host.name} with \`${commands}\`: ${result.stderr}`);
}
