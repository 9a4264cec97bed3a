#!/usr/bin/env bash
# `npm test`: the Debian packages the tests use (scripts/test-deps.sh), compile, then the unit, integration,
# real-editor, packaged-VSIX and Wine suites, stopping at the first that fails, and a table of each step's time.
#
# What the later suites need first takes much of the CPU, most of it compiling (the Vulkan module 472 s and the win32
# whisper build, two CPU variants, 136 s at idle priority beside the integration suite, 2026-11-29): code-server and
# Node 24 for the editor suites (scripts/e2e-setup.sh); whisper's Vulkan module (the integration suite's
# whisper-backends test and the packaged VSIX run it on Mesa's software device); Wine, Windows node.exe and the
# MinGW-w64 cross-build of the win32-x64 package's native parts (scripts/wine-setup.sh, scripts/build-win32.js); and the two VSIXes the VSIX and
# Wine suites test, packaged by scripts/package-vsix.js as those suites package them. That work runs here in the
# background at idle priority (SCHED_IDLE: it runs only on CPU the tests leave, and a test that wants the CPU takes it
# back at once) while the unit and integration suites run: those leave part of the 2 cores idle though they run
# several files at a time (whisper decodes with 1 thread there: daemon/config.ts defaultThreads; much of the integration
# suite waits on real-time audio).
# The Vulkan module is built in whisper's stage folder without touching the installed addon (build-whisper.js
# --stage) and installed (seconds) after the editor suite, before the integration suite's whisper-backends test, when no
# daemon runs;
# the win32 build and the packaging start once the unit suite has passed (its VSIX plans read this checkout's files,
# which they change). Before a step that needs a part, the script waits for it and prints its output. The suites then
# run their own set-up as before, which finds it done, and test the packaged VSIXes (EARSHOT_VSIX,
# EARSHOT_WIN32_VSIX: the release workflow's way of handing them a VSIX). A part that failed is left to the suite,
# which sets up or packages by itself and reports the failure. Only set-up and packaging run in the background. The
# editor suite runs right after the integration suite, while the background finishes; the Wine suite runs beside the
# VSIX suite (each its own Wine prefix or code-server, on free ports).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's name, seconds and outcome, printed as a table when the script ends (passed, failed or stopped).
steps=()
# shellcheck disable=SC2317 # called by the EXIT trap
print_times() {
  [ ${#steps[@]} -gt 0 ] || return 0
  echo
  echo "test: time per step (total $((SECONDS / 60)) min $((SECONDS % 60)) s):"
  printf '  %-26s %7s  %s\n' step seconds result
  local s name seconds result
  for s in "${steps[@]}"; do
    read -r name seconds result <<< "$s"
    printf '  %-26s %7s  %s\n' "$name" "$seconds" "$result"
  done
}
# step NAME COMMAND...: runs it, records its time; a failure ends the script with its status.
step() {
  local name=$1 started=$SECONDS status=0
  shift
  "$@" || status=$?
  steps+=("$name $((SECONDS - started)) $([ "$status" -eq 0 ] && echo passed || echo "failed($status)")")
  return "$status"
}

step test-deps bash scripts/test-deps.sh --vulkan-later
step compile npm run compile

# The win32 package's whisper build compiles only the CPU variants the Wine suite can load on this machine: ggml's
# baseline (x64, which every package must carry) and the one the Linux build picks on this CPU (the Wine suite checks
# that Windows picks the same). Every variant, 13 modules, took 900 s of the 2 cores in the background (2026-11-29);
# the release workflow builds and tests every one (.github/workflows/release.yml runs build-win32.js without it).
# Exported: the Wine suite's own build-win32.js finds the same build done.
if [ -z "${EARSHOT_WIN32_CPU_VARIANTS:-}" ]; then
  host_variant=$(node bin/earshot.js build-info --json 2> /dev/null | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).cpuVariant ?? ""))' || true)
  if [ -n "$host_variant" ]; then export EARSHOT_WIN32_CPU_VARIANTS="x64,$host_variant"; fi
fi
echo "test: the win32 package's CPU variants: ${EARSHOT_WIN32_CPU_VARIANTS:-all}"

# The Vulkan module is built in the background when the installed core lacks it and its SDK is here.
vulkan_sdk=$(bash scripts/vulkan-sdk.sh)
build_vulkan=0
node -e "process.exit((require('./scripts/whisper-core/build-core.js').installedCore()?.gpuBackends ?? []).includes('vulkan') ? 0 : 1)" ||
  build_vulkan=1
vulkan_env=(env VULKAN_SDK="$vulkan_sdk" EARSHOT_WHISPER_GPU=vulkan EARSHOT_WHISPER_NO_FALLBACK=1)

prep=$(mktemp -d "${TMPDIR:-/tmp}/earshot-test-prep.XXXXXX")
idle=(nice -n 19)
chrt --idle 0 true 2> /dev/null && idle=(chrt --idle 0)
# Its own process group (setsid), so that all it started can be stopped at once: when this script ends (its EXIT
# trap), or, should this script be killed outright (CI's time limit), by its watchdog within 5 s (with its folder).
# shellcheck disable=SC2016 # expanded by the inner bash
setsid "${idle[@]}" bash -c '
  prep=$1 parent=$2 build_vulkan=$3
  shift 3
  (while kill -0 "$parent" 2> /dev/null; do sleep 5; done; rm -rf "$prep"; kill 0) &
  bash scripts/e2e-setup.sh > "$prep/e2e.log" 2>&1; echo $? > "$prep/e2e.rc"
  # What follows changes what the unit suite reads (the VSIX plans of this checkout): it starts once that has passed.
  while [ ! -f "$prep/unit.done" ]; do sleep 2; done
  if [ "$build_vulkan" = 1 ]; then
    "$@" node scripts/build-whisper.js --stage > "$prep/vulkan.log" 2>&1; echo $? > "$prep/vulkan.rc"
  else
    echo "the installed core has it" > "$prep/vulkan.log"; echo 0 > "$prep/vulkan.rc"
  fi
  { bash scripts/wine-setup.sh && node scripts/build-win32.js; } > "$prep/win32.log" 2>&1; echo $? > "$prep/win32.rc"
  node scripts/package-vsix.js --target win32-x64 --out "$prep/earshot-win32-x64.vsix" > "$prep/vsix-win32.log" 2>&1
  echo $? > "$prep/vsix-win32.rc"
  # This machine'"'"'s VSIX ships the installed core: packaged once the Vulkan module is installed.
  while [ ! -f "$prep/core.installed" ]; do sleep 2; done
  node scripts/package-vsix.js --out "$prep/earshot.vsix" > "$prep/vsix.log" 2>&1; echo $? > "$prep/vsix.rc"
  kill 0
' _ "$prep" $$ "$build_vulkan" "${vulkan_env[@]}" < /dev/null &
background=$!
stop_background() { kill -- -"$background" 2> /dev/null || true; }
trap 'stop_background; rm -rf "$prep"; print_times' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# background_priority other|idle: sets every process of the background to that scheduling policy. While a step waits
# for it, the background has the CPU the tests left to it at normal priority (on a machine others share, idle priority
# would leave it only what they leave).
background_priority() {
  local p
  for p in $(pgrep -g "$background" 2> /dev/null); do
    chrt -a "--$1" -p 0 "$p" > /dev/null 2>&1 || true
  done
}

# wait_for PART: waits until the background part PART has ended (at most 30 minutes: then it is stopped, and the
# suite's own set-up does the rest), then prints its output and how long the suites waited for it.
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
  steps+=("wait:$part $((SECONDS - started)) exit-$(cat "$prep/$part.rc" 2> /dev/null || echo none)")
}

# packaged NAME: the background's VSIX NAME when it was packaged, else nothing (the suite packages its own).
packaged() {
  if [ "$(cat "$prep/$1.rc" 2> /dev/null)" = 0 ]; then
    if [ "$1" = vsix-win32 ]; then echo "$prep/earshot-win32-x64.vsix"; else echo "$prep/earshot.vsix"; fi
  fi
}

mocha=(npx mocha --config .mocharc.json)
# The unit and integration suites run several files at a time (mocha's parallel mode, a worker per file). The unit
# suite runs four: two left 58 % of the 2 cores idle, which nothing else wanted then (the background only downloads
# code-server until the unit suite has passed), and four took it from 400 to 248 s here (2026-11-29). The integration
# suite runs two: much of it waits on real-time audio and whisper decodes with one thread, so two keep about 1.2 of
# the 2 cores busy (1,075 CPU-s in 888 s here, 2026-11-28), and the background set-up, which the suites after it wait
# for, takes the rest. Each test starts its own daemon, sound server and folders, and the shared fixtures are made once
# before the workers start (test/setup.ts mochaGlobalSetup), so files do not meet.
parallel=(--parallel --jobs 2)
step unit "${mocha[@]}" --parallel --jobs 4 "out/test/unit/**/*.test.js"
touch "$prep/unit.done"
# whisper-backends runs the Vulkan module: after it is installed, below.
step integration "${mocha[@]}" "${parallel[@]}" --ignore out/test/integration/whisper-backends.test.js "out/test/integration/**/*.test.js"

# The editor suite needs only code-server (ready long before): it runs next, while the background finishes the Vulkan
# module and the win32 package on the CPU the editor leaves, instead of after waiting for them (that wait was 6-7
# minutes of the suites' time: 360 and 417 s in the last two passing runs here). Its daemons load the installed whisper
# addon, so the Vulkan module is installed only once the editor suite has ended; packaging only reads the checkout.
wait_for e2e
step editor npm run test:editor
wait_for vulkan
# The win32 packaging reads node_modules: the installed core changes only once it is done.
wait_for vsix-win32
if [ "$build_vulkan" = 1 ]; then step install-vulkan "${vulkan_env[@]}" node scripts/build-whisper.js; fi
touch "$prep/core.installed"
step integration:backends "${mocha[@]}" out/test/integration/whisper-backends.test.js

# The Wine suite beside the VSIX suite: its output is kept and printed when it ends.
wait_for win32
wine_log=$prep/wine-suite.log
(
  started=$SECONDS status=0
  EARSHOT_WIN32_VSIX=$(packaged vsix-win32) npm run test:wine > "$wine_log" 2>&1 || status=$?
  echo "$((SECONDS - started)) $status" > "$prep/wine-suite.rc"
) &
wine_suite=$!
vsix_status=0
wait_for vsix
step vsix env EARSHOT_VSIX="$(packaged vsix)" npm run test:vsix || vsix_status=$?
wait "$wine_suite" || true
echo "test: the Wine suite (run beside the VSIX suite):"
cat "$wine_log"
read -r wine_seconds wine_status < "$prep/wine-suite.rc" || { wine_seconds=0; wine_status=1; }
steps+=("wine $wine_seconds $([ "$wine_status" -eq 0 ] && echo passed || echo "failed($wine_status)")")
[ "$vsix_status" -eq 0 ] || exit "$vsix_status"
exit "$wine_status"
