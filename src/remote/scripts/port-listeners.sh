# The processes listening on a TCP port, as ss shows them. Parameters: port.
set -u
exec ss -Hltnp "sport = :$port"
