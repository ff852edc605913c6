# Removes the previous version a change keeps beside a file, under the file's lock.
# Parameters: dir, lock, lock_wait, previous.
set -u
check_directory "$dir"
take_lock
# rm removes a symbolic link itself, never what it points to; nothing there, no rm to start.
if [ -e "$previous" ] || [ -L "$previous" ]; then rm -f -- "$previous"; fi
