# Reads a socket service's unit files and drop-ins (see systemd-show-units.sh), then `END`.
set -u
show_units || exit 2
echo END
