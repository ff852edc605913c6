# What the rsync daemon on a port of this host lists to a client. Not --no-motd: it also
# suppresses the module list (a protocol limitation rsync documents). Parameters: port,
# connect_timeout (seconds).
set -u
exec rsync --contimeout="$connect_timeout" "rsync://localhost:$port/"
