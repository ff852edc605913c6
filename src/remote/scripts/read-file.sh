# Reads one file: `ABSENT`, or `FILE <mode> <owner> <group>` and the content.
# A symbolic link is refused, as the change script refuses it. Parameters: target.
set -u
if [ -L "$target" ]; then
  echo "refusing $target: it is a symbolic link (to $(readlink -- "$target")); set the path to the file it points to" >&2
  exit 2
fi
if [ ! -e "$target" ]; then echo ABSENT; exit 0; fi
[ -f "$target" ] || { echo "$target is not a regular file" >&2; exit 2; }
# The header comes from the same shell that then cats the file; cat's bytes are all the rest.
header=$(stat -c '%a %U %G' -- "$target") || exit 2
printf 'FILE %s\n' "$header"
exec cat -- "$target"
