#!/usr/bin/env bash
# `npm test` (after its pretest, scripts/test-deps.sh): compile, then the unit, integration, real-editor, packaged-VSIX
# and Wine suites, in that order, stopping at the first that fails.
#
# What the last three need first takes 6-7 minutes on 2 cores, most of it compiling: code-server and Node 24 for the
# editor suites (scripts/e2e-setup.sh); Wine, Windows node.exe and the MinGW-w64 cross-build of the win32-x64 package's
# native parts (scripts/wine-setup.sh, scripts/build-win32.js); and the two VSIXes the VSIX and Wine suites test,
# packaged by scripts/package-vsix.js as those suites package them (this machine's, then win32-x64's). That work starts
# here, once compiled (the win32 build and the packaging once the unit suite has passed: its VSIX plans read this
# checkout's files, which they change), in the background at idle priority (SCHED_IDLE: it runs only on CPU the tests leave, and a test
# that wants the CPU takes it back at once), while the unit and integration suites run: those leave about one of the 2
# cores idle (whisper decodes with 1 thread there: daemon/config.ts defaultThreads; much of the integration suite waits
# on real-time audio). Before a suite that needs a part, the script waits for it and prints its output. The suites then
# run their own set-up as before, which finds it done, and test the packaged VSIXes (EARSHOT_VSIX, EARSHOT_WIN32_VSIX:
# the release workflow's way of handing them a VSIX). A part that failed is left to the suite, which sets up or
# packages by itself and reports the failure. Only set-up and packaging run in the background, never a test.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run compile

prep=$(mktemp -d "${TMPDIR:-/tmp}/earshot-test-prep.XXXXXX")
idle=(nice -n 19)
chrt --idle 0 true 2> /dev/null && idle=(chrt --idle 0)
# Its own process group (setsid), so that all it started can be stopped at once: when this script ends (its EXIT
# trap), or, should this script be killed outright (CI's time limit), by its watchdog within 5 s (with its folder).
# shellcheck disable=SC2016 # expanded by the inner bash
setsid "${idle[@]}" bash -c '
  (while kill -0 "$2" 2> /dev/null; do sleep 5; done; rm -rf "$1"; kill 0) &
  bash scripts/e2e-setup.sh > "$1/e2e.log" 2>&1; echo $? > "$1/e2e.rc"
  # The win32 overlay and the packaging change what the unit suite reads (the VSIX plans of this checkout): they
  # start once it has passed.
  while [ ! -f "$1/unit.done" ]; do sleep 2; done
  { bash scripts/wine-setup.sh && node scripts/build-win32.js; } > "$1/win32.log" 2>&1; echo $? > "$1/win32.rc"
  { node scripts/package-vsix.js --out "$1/earshot.vsix" &&
    node scripts/package-vsix.js --target win32-x64 --out "$1/earshot-win32-x64.vsix"; } > "$1/vsix.log" 2>&1
  echo $? > "$1/vsix.rc"
  kill 0
' _ "$prep" $$ < /dev/null &
background=$!
stop_background() { kill -- -"$background" 2> /dev/null || true; }
trap 'stop_background; rm -rf "$prep"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# background_priority other|idle: sets every process of the background to that scheduling policy. While a suite waits
# for it, the background has the CPU the tests left to it at normal priority (on a machine others share, idle priority
# would leave it only what they leave).
background_priority() {
  local p
  for p in $(pgrep -g "$background" 2> /dev/null); do
    chrt -a "--$1" -p 0 "$p" > /dev/null 2>&1 || true
  done
}

# wait_for PART: waits until the background part PART has ended (at most 30 minutes: then it is stopped, and the
# suite's own set-up does the rest), then prints its output.
wait_for() {
  local part=$1 started=$SECONDS
  while [ ! -f "$prep/$part.rc" ] && kill -0 "$background" 2> /dev/null; do
    if [ $((SECONDS - started)) -ge 1800 ]; then
      echo "test: the background set-up ($part) still ran after 30 minutes of waiting: stopped" >&2
      stop_background
      break
    fi
    background_priority other
    sleep 2
  done
  background_priority idle
  echo "test: background set-up ($part), exit $(cat "$prep/$part.rc" 2> /dev/null || echo '-'), ready $((SECONDS - started)) s after the suites needed it:"
  sed 's/^/  | /' "$prep/$part.log" 2> /dev/null || true
}

npm run test:unit
touch "$prep/unit.done"
npm run test:integration
wait_for e2e
npm run test:editor
wait_for win32
wait_for vsix
if [ "$(cat "$prep/vsix.rc" 2> /dev/null)" = 0 ]; then
  EARSHOT_VSIX=$prep/earshot.vsix npm run test:vsix
  EARSHOT_WIN32_VSIX=$prep/earshot-win32-x64.vsix npm run test:wine
else
  npm run test:vsix
  npm run test:wine
fi
