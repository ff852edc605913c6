# Shows unit files and the `*.conf` drop-ins of their `.d` directories, for reading or (from the
# change script, under the lock) for editing: `FILE <size> <path>` and the bytes, or `ABSENT <path>`.
# Parameters: files, dropin_dirs (one path a line).

show_file() {
  if [ -L "$1" ]; then
    echo "refusing $1: it is a symbolic link (to $(readlink -- "$1")); the units managed here are regular files" >&2
    exit 2
  fi
  if [ -f "$1" ]; then
    size=$(wc -c <"$1") || exit 2
    printf 'FILE %s %s\n' "$size" "$1"
    head -c "$size" -- "$1"
  elif [ -e "$1" ]; then
    echo "$1 is not a regular file" >&2
    exit 2
  else
    printf 'ABSENT %s\n' "$1"
  fi
}

show_units() {
  # Each loop runs in a subshell (a pipeline): its failure is passed on explicitly.
  printf '%s\n' "$files" | while IFS= read -r file; do [ -z "$file" ] || show_file "$file"; done || return 1
  printf '%s\n' "$dropin_dirs" | while IFS= read -r dropin_dir; do
    if [ -z "$dropin_dir" ] || [ ! -d "$dropin_dir" ]; then continue; fi
    for conf in "$dropin_dir"/*.conf; do [ ! -e "$conf" ] || show_file "$conf"; done
  done || return 1
}
