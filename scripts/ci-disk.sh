#!/usr/bin/env bash
# The disk under a CI run (.ci/run). A run takes about 9.5 GiB beyond the clone (the peak of a fresh clone's run,
# 2026-11-30: 9,418 MiB: Debian's packages, the whisper, Vulkan and win32 builds, code-server, Node 24, Wine's prefix).
# CI's run of 878779a6 (2026-11-30) met a full disk and failed tests far from the cause (a sox and a tee: "No space
# left on device"). So the free space is said first, its lowest point is watched through the run, and a run that
# failed with the disk nearly full says so.
#
#   ci-disk.sh start STATE   says the free space (a warning under what a run takes) and starts the watcher
#   ci-disk.sh end STATE RC  stops it, says the lowest free space, and, where RC is a failure and the disk went under
#                            512 MiB free, that the disk was nearly full
# STATE is a folder of this script's own, best on /dev/shm (a full disk can't lose what is written there).
# The folders watched: the working folder, TMPDIR (or /tmp) and HOME, the free space being the least of theirs.
# EARSHOT_DISK_WATCH_SECONDS: how often the watcher looks (default 5).
set -euo pipefail

readonly NEED_MIB=9700
readonly NEARLY_FULL_MIB=512

folders=(. "${TMPDIR:-/tmp}" "$HOME")
free_mib() { df -Pm "${folders[@]}" 2> /dev/null | awk 'NR > 1 && (min == "" || $4 < min) { min = $4 } END { print min + 0 }'; }

command=${1:?usage: ci-disk.sh start STATE | end STATE RC}
state=${2:?usage: ci-disk.sh start STATE | end STATE RC}
case $command in
  start)
    mkdir -p "$state"
    start=$(free_mib)
    echo "$start" > "$state/start"
    echo "$start" > "$state/lowest"
    echo "disk: $start MiB free where this run writes (the working folder, ${TMPDIR:-/tmp}, $HOME); a run takes about $NEED_MIB MiB"
    if [ "$start" -lt "$NEED_MIB" ]; then
      echo "disk: WARNING: less free than a run takes: tests may fail with 'No space left on device'"
    fi
    parent=$PPID
    interval=${EARSHOT_DISK_WATCH_SECONDS:-5}
    # Detached from the run's output, and gone with the run should it be killed outright.
    (
      lowest=$start
      while sleep "$interval" && kill -0 "$parent" 2> /dev/null; do
        now=$(free_mib)
        if [ "$now" -lt "$lowest" ]; then
          lowest=$now
          echo "$lowest" > "$state/lowest" || true
        fi
      done
    ) > /dev/null 2>&1 < /dev/null &
    echo $! > "$state/watcher"
    ;;
  end)
    rc=${3:?usage: ci-disk.sh end STATE RC}
    watcher=$(cat "$state/watcher" 2> /dev/null || true)
    # Its sleep first (so that no sleep outlives it), then the watcher.
    if [ -n "$watcher" ]; then
      pkill -P "$watcher" sleep 2> /dev/null || true
      kill "$watcher" 2> /dev/null || true
    fi
    start=$(cat "$state/start" 2> /dev/null || echo 0)
    lowest=$(cat "$state/lowest" 2> /dev/null || true)
    now=$(free_mib)
    # The watcher's last look may be up to one interval old: the space now counts too.
    if [ -z "$lowest" ] || [ "$now" -lt "$lowest" ]; then lowest=$now; fi
    echo "disk: lowest free during the run $lowest MiB ($start MiB at the start, $now MiB now)"
    if [ "$rc" -ne 0 ] && [ "$lowest" -lt "$NEARLY_FULL_MIB" ]; then
      echo "tests: the disk was nearly full during the run ($lowest MiB free at the lowest): failures saying 'No space left on device' are the machine's, not the code's"
    fi
    rm -rf "$state"
    ;;
  *)
    echo "ci-disk.sh: unknown command '$command' (start, end)" >&2
    exit 2
    ;;
esac
