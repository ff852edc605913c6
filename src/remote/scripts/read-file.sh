# Reads one file: `ABSENT`, or `FILE <mode> <owner> <group>` and the content.
# A symbolic link is refused, as the change script refuses it. Parameters: target.
set -u
refuse_linked_target
if [ ! -e "$target" ]; then echo ABSENT; exit 0; fi
[ -f "$target" ] || { echo "$target is not a regular file" >&2; exit 2; }
# The header comes from the same shell that then cats the file; cat's bytes are all the rest.
header=$(target_header) || exit 2
printf 'FILE %s\n' "$header"
exec cat -- "$target"
