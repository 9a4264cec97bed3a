#!/usr/bin/env bash
# Builds whisper.cpp natively, for the benchmarks' anchors, from the very sources Earshot's addon is built from
# (node_modules/smart-whisper/whisper.cpp) and with the addon's compiler flags. Output goes to .bench/whisper.cpp
# (never committed):
#
#   .bench/whisper.cpp/bin/main                    whisper.cpp's CLI example
#   .bench/whisper.cpp/bin/stream                  its live-microphone example, figure 2's anchor (it captures through
#                                                  SDL2: libsdl2-dev is installed when missing, as the setup scripts
#                                                  install their Debian packages; without it, stream is not built)
#   .bench/whisper.cpp/bin/earshot-whisper-bench   test/bench/native/whisper-bench.cpp: the C API timed like the engine
#   .bench/whisper.cpp/build-info.json             flags, compile commands, source version
#
# Idempotent: nothing is rebuilt when the sources, the flags and the SDL availability are unchanged.
#
# Flags: the ones scripts/build-whisper.js gives the addon on this CPU (x86-64 with AVX2:
# -O3 -march=x86-64-v3 -DNDEBUG -D_GNU_SOURCE) plus -fno-omit-frame-pointer, which node-gyp adds to every addon
# build. The Makefile's own -march=native/-mtune=native is kept out (UNAME_M is overridden so its x86 branch does
# not apply) and so is OpenMP (GGML_NO_OPENMP: the addon uses ggml's own thread pool). Override everything with
# WHISPER_CPP_FLAGS="...". The npm copy of whisper.cpp lacks scripts/get-flags.mk; an empty one is enough.
#
# --newest: the driver only, linked with the static whisper.cpp/ggml libraries of the new core (the newest sources,
# from the nodejs-whisper package; scripts/whisper-core/build-core.js builds them with the addon's CMake options, or
# reuses the ones built before), into .bench/whisper.cpp-newest-KIND/bin/earshot-whisper-bench. KIND is the static
# build the install made for this CPU before its CPU backend became modules (x86-64-v3 on CPUs with AVX2, else portable:
# build-whisper.js's staticKind()), or WHISPER_CORE_KIND=native-static for -march=native.
#
# Usage: bash scripts/build-whisper-cpp.sh [--force] [--newest]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "${1:-}" = "--newest" ] || [ "${2:-}" = "--newest" ]; then
  KIND=${WHISPER_CORE_KIND:-$(cd "$ROOT" && node -p "require('./scripts/build-whisper.js').staticKind()")}
  LIBS_JSON=$(cd "$ROOT" && node scripts/whisper-core/build-core.js "$KIND" --libraries-only)
  OUT=${WHISPER_CPP_DIR:-$ROOT/.bench/whisper.cpp-newest-$KIND}
  mkdir -p "$OUT/bin"
  # The driver's own flags matter little (it calls the library); the libraries carry the kind's.
  DRIVER_FLAGS="-O3 -DNDEBUG -std=c++17 -DEARSHOT_WHISPER_SUPPRESS_NST"
  case "$KIND" in x86-64-v3) DRIVER_FLAGS="$DRIVER_FLAGS -march=x86-64-v3";; native-static) DRIVER_FLAGS="$DRIVER_FLAGS -march=native";; esac
  node -e '
const info = JSON.parse(process.argv[1]);
const { systemLibraries } = require(process.argv[2] + "/scripts/whisper-core/build-core.js");
const group = process.platform === "linux";
process.stdout.write([`-I${info.srcDir}/include`, `-I${info.srcDir}/ggml/include`, "--",
  ...(group ? ["-Wl,--start-group"] : []), ...info.libs, ...(group ? ["-Wl,--end-group"] : []), ...systemLibraries(process.argv[3])].join("\n"));
' "$LIBS_JSON" "$ROOT" "$KIND" > "$OUT/link-args"
  INCLUDES=$(sed '/^--$/,$d' "$OUT/link-args" | tr '\n' ' ')
  LINK=$(sed '1,/^--$/d' "$OUT/link-args" | tr '\n' ' ')
  # shellcheck disable=SC2086
  c++ $DRIVER_FLAGS $INCLUDES "$ROOT/test/bench/native/whisper-bench.cpp" $LINK -o "$OUT/bin/earshot-whisper-bench"
  node -e '
const info = JSON.parse(process.argv[1]);
require("fs").writeFileSync(process.argv[2] + "/build-info.json", JSON.stringify({
  whisperCpp: info.version, source: info.srcDir, kind: process.argv[3], cmakeOptions: info.options, libraries: info.libs,
  driverFlags: process.argv[4], openmp: false, builtAt: new Date().toISOString(),
}, null, 2) + "\n");
' "$LIBS_JSON" "$OUT" "$KIND" "$DRIVER_FLAGS"
  echo "build-whisper-cpp: built $OUT/bin/earshot-whisper-bench (whisper.cpp $(node -p "JSON.parse(process.argv[1]).version" "$LIBS_JSON"), $KIND)" >&2
  exit 0
fi
SRC=$ROOT/node_modules/smart-whisper/whisper.cpp
OUT=${WHISPER_CPP_DIR:-$ROOT/.bench/whisper.cpp}
DRIVER=$ROOT/test/bench/native/whisper-bench.cpp
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

[ -f "$SRC/Makefile" ] || { echo "build-whisper-cpp: $SRC not found (run npm ci first)" >&2; exit 1; }

if [ -z "${WHISPER_CPP_FLAGS:-}" ]; then
  WANTED=$(cd "$ROOT" && node -e "process.stdout.write(require('./scripts/build-whisper.js').wantedBuild().flags || '')")
  [ -n "$WANTED" ] || WANTED="-O3 -DNDEBUG -D_GNU_SOURCE"   # smart-whisper's own build (Metal/Windows): portable -O3
  WHISPER_CPP_FLAGS="$WANTED -fno-omit-frame-pointer"
fi
FLAGS=$WHISPER_CPP_FLAGS

# Figure 2 needs stream, stream needs SDL2's headers: installed like the setup scripts' packages (root or sudo).
if ! command -v sdl2-config >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  SETUP_LABEL=build-whisper-cpp
  # shellcheck source=scripts/setup-lib.sh
  source "$ROOT/scripts/setup-lib.sh"
  install_apt_packages libsdl2-dev >&2 || echo "build-whisper-cpp: could not install libsdl2-dev (figure 2 runs without stream)" >&2
fi
HAVE_SDL=0
if command -v sdl2-config >/dev/null 2>&1; then HAVE_SDL=1; fi

SW_VERSION=$(node -p "require('$ROOT/node_modules/smart-whisper/package.json').version")
# Fingerprint of everything that decides the binaries.
FINGERPRINT=$( {
  echo "smart-whisper $SW_VERSION"; echo "flags $FLAGS"; echo "sdl $HAVE_SDL"; echo "stream patch ${WHISPER_CPP_STREAM_PATCH:-1}"; cc --version | head -1; c++ --version | head -1
  cat "$0" "$DRIVER"
  (cd "$SRC" && find Makefile include src ggml examples/main examples/stream examples/common* examples/grammar-parser* \
      examples/dr_wav.h -type f \( -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' -o -name Makefile \) \
      -print0 | sort -z | xargs -0 sha256sum)
} | sha256sum | cut -c1-16)

STAMP=$OUT/.fingerprint
want_bins="main earshot-whisper-bench"; [ $HAVE_SDL = 1 ] && want_bins="$want_bins stream"
if [ "${1:-}" != "--force" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$FINGERPRINT" ]; then
  ok=1; for b in $want_bins; do [ -x "$OUT/bin/$b" ] || ok=0; done
  if [ $ok = 1 ]; then echo "build-whisper-cpp: up to date ($OUT, flags: $FLAGS)"; exit 0; fi
fi

echo "build-whisper-cpp: building whisper.cpp (smart-whisper $SW_VERSION) into $OUT with: $FLAGS" >&2
rm -rf "$OUT"
mkdir -p "$OUT/bin"
cp -R "$SRC" "$OUT/src"
rm -f "$OUT/src/examples/addon.node" 2>/dev/null || true
mkdir -p "$OUT/src/scripts"; : > "$OUT/src/scripts/get-flags.mk"
# Two one-line changes to the copy of stream.cpp (WHISPER_CPP_STREAM_PATCH=0 leaves it untouched), both needed
# because a generated --emit model never ends a text by itself:
# - its sliding-window mode sets params.no_timestamps but never passes it to whisper_full, so the decoder samples
#   timestamp tokens (Earshot decodes without timestamps): give whisper_full the no_timestamps stream already chose;
# - it overrides --max-tokens with 0 (no cap), so every decode ran to whisper's 220-token limit: honour -mt, and
#   read a negative -mt -R as Earshot's cap, ceil(R tokens per second of the window) + 4 (daemon/asr/streaming.ts).
if [ "${WHISPER_CPP_STREAM_PATCH:-1}" = 1 ]; then
  node - "$OUT/src/examples/stream/stream.cpp" <<'JS'
const fs = require('fs');
const file = process.argv[2];
let s = fs.readFileSync(file, 'utf8');
const edits = [
  ['    params.max_tokens     = 0;\n', '    // earshot bench patch: -mt is honoured (was: params.max_tokens = 0)\n'],
  ['            wparams.max_tokens       = params.max_tokens;\n',
   '            wparams.max_tokens       = params.max_tokens >= 0 ? params.max_tokens : // earshot bench patch\n' +
   '                (int) std::ceil(pcmf32.size() * (-params.max_tokens) / (double) WHISPER_SAMPLE_RATE) + 4 - 1;\n'],
  ['            wparams.print_timestamps = !params.no_timestamps;\n',
   '            wparams.print_timestamps = !params.no_timestamps;\n            wparams.no_timestamps    = params.no_timestamps; // earshot bench patch\n'],
];
for (const [from, to] of edits) {
  if (!s.includes(from)) { console.error(`build-whisper-cpp: stream.cpp patch does not apply: ${JSON.stringify(from)}`); process.exit(1); }
  s = s.replace(from, to);
}
if (!s.includes('#include <cmath>')) s = '#include <cmath>\n' + s;
fs.writeFileSync(file, s);
JS
fi

targets="main"; [ $HAVE_SDL = 1 ] && targets="$targets stream"
MAKE_ARGS=(WHISPER_NO_CCACHE=1 GGML_NO_OPENMP=1 UNAME_M=generic-bench "CFLAGS=$FLAGS" "CXXFLAGS=$FLAGS")
make -C "$OUT/src" -j"$JOBS" "${MAKE_ARGS[@]}" $targets > "$OUT/make.log" 2>&1 || { tail -40 "$OUT/make.log" >&2; exit 1; }
for t in $targets; do cp "$OUT/src/$t" "$OUT/bin/$t"; done

# The driver: compiled and linked exactly like `main` (same CXXFLAGS, same ggml/whisper objects).
CXXFLAGS_LINE=$(sed -n 's/^I CXXFLAGS: *//p' "$OUT/make.log" | awk 'NR == 1')
LDFLAGS_LINE=$(sed -n 's/^I LDFLAGS: *//p' "$OUT/make.log" | awk 'NR == 1')
( cd "$OUT/src" && c++ $CXXFLAGS_LINE "$DRIVER" ggml/src/ggml.o ggml/src/ggml-alloc.o ggml/src/ggml-backend.o \
    ggml/src/ggml-quants.o ggml/src/ggml-aarch64.o src/whisper.o -o "$OUT/bin/earshot-whisper-bench" $LDFLAGS_LINE )

GGML_CMD=$(grep -m1 -E '^(cc|gcc|clang).* -c ggml/src/ggml.c' "$OUT/make.log" || true)
node -e '
const [out, flags, sw, sdl, fp, cflags, cxxflags, ggml] = process.argv.slice(1);
require("fs").writeFileSync(out + "/build-info.json", JSON.stringify({
  smartWhisper: sw, source: "node_modules/smart-whisper/whisper.cpp", flags, cflags, cxxflags, ggmlCommand: ggml,
  openmp: false, sdl: sdl === "1", streamPatched: process.env.WHISPER_CPP_STREAM_PATCH !== "0", fingerprint: fp, builtAt: new Date().toISOString(),
}, null, 2) + "\n");
' "$OUT" "$FLAGS" "$SW_VERSION" "$HAVE_SDL" "$FINGERPRINT" "$(sed -n 's/^I CFLAGS: *//p' "$OUT/make.log" | awk 'NR == 1')" "$CXXFLAGS_LINE" "$GGML_CMD"
echo "$FINGERPRINT" > "$STAMP"
[ $HAVE_SDL = 1 ] || echo "build-whisper-cpp: sdl2-config not found: stream not built (apt-get install libsdl2-dev)" >&2
echo "build-whisper-cpp: built $(cd "$OUT/bin" && echo *) in $OUT/bin" >&2
