# Inspects a secrets file without its passwords leaving the host: `ABSENT`, or
# `FILE <mode> <owner> <group> <sha256 of salt and content>` and then the user names.
# Parameters: target. Stdin: the salt, one line (empty: the unsalted checksum of old states).
set -u
IFS= read -r salt || salt=
refuse_linked_target
if [ ! -e "$target" ]; then echo ABSENT; exit 0; fi
if [ ! -f "$target" ] || [ ! -r "$target" ]; then echo "$target is not a readable regular file" >&2; exit 2; fi
header=$(target_header) || exit 2
salted_target_sum "$salt" || exit 2
printf 'FILE %s %s\n' "$header" "$sum"
# Only what precedes the first `:` of each entry line (not a comment): the user names.
sed -n -e '/^[[:space:]]*#/d' -e 's/^\([^:]*\):.*/\1/p' -- "$target"
