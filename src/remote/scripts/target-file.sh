# Shared by the scripts that look at the target file before reading or changing it.
# Parameters: target.

# A symbolic link at the target is refused: a change never writes through one, so a read never
# shows what one points to either.
refuse_linked_target() {
  if [ -L "$target" ]; then
    echo "refusing $target: it is a symbolic link (to $(readlink -- "$target")); set the path to the file it points to" >&2
    exit 2
  fi
}

# `<mode> <owner> <group>` of the target, as the caller's parseFileHeader reads them. The format is
# also the tail of change-file's one stat of the target.
target_header_format='%a %U %G'
target_header() {
  stat -c "$target_header_format" -- "$target"
}

# Sets sum to the sha256 of the salt ($1) followed by the target's content, hex: a secret file's
# checksum.
salted_target_sum() {
  sum=$({ printf '%s' "$1"; cat -- "$target"; } | sha256sum) || return 1
  sum=${sum%% *}
}
