#!/usr/bin/env bash
# Builds the committed sample meeting recording, media/sample/standup.wav: a
# short developer standup spoken by three synthetic voices, plus its script
# (standup.txt, "Speaker: text" lines) and the exact time of every turn
# (standup.json: [{speaker, voice, text, start, end, startSample, endSample}],
# start/end in seconds, exact; the samples are offsets into the 16 kHz data).
#
# Why synthetic: no recorded voices to license, and the output is byte-identical
# on every run (espeak-ng is deterministic; sox runs with -R, repeatable, and
# -D, no dither), so the file can be regenerated and checked in CI.
# Turn times come from the real sample counts of the parts, not from estimates,
# so tests can check segment boundaries and speaker order against them.
#
# Usage: scripts/make-sample.sh [OUT_DIR]   (default: media/sample in the repo)
# Needs espeak-ng and sox; installs them with apt-get when missing.
set -euo pipefail

RATE=16000
LEAD_SILENCE=0.5   # seconds of digital silence at the start and at the end
OUT_DIR=${1:-"$(cd "$(dirname "$0")/.." && pwd)/media/sample"}

# speaker|espeak-ng voice|words per minute|text|silence after the turn (s)
# Content a notes pipeline should find: an action item with owner and due date
# (Bob, login timeout, Friday), a decision (ship version two on Monday), and filler.
TURNS=(
  "Alice|en-us+f2|165|Morning everyone. Let's keep this quick. Bob, how is the login work going?|0.8"
  "Bob|en-us+m3|155|Um, so, yeah. I found the problem with the session token. I'll fix the login timeout by Friday.|0.7"
  "Carol|en-gb+f3|165|Great, thanks. About the release: we decided to ship version two on Monday.|1.0"
  "Alice|en-us+f2|165|Okay, sounds good. Uh, is anything blocking anyone?|0.9"
  "Bob|en-us+m3|155|Nope, I think we're fine.|0.75"
  "Carol|en-gb+f3|165|Same here. Thanks, everyone.|0"
)

ensure_tools() {
  command -v espeak-ng >/dev/null && command -v sox >/dev/null && command -v soxi >/dev/null && return
  SETUP_LABEL=make-sample
  # shellcheck source=scripts/apt-lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"
  install_apt_packages espeak-ng sox >&2
}

# Digital silence (all-zero samples) of the given length in seconds.
make_silence() {
  sox -R -D -n -r "$RATE" -c 1 -b 16 "$2" trim 0 "$1"
}

# Speaks one turn into a 16 kHz mono 16-bit WAV. espeak-ng pads its output
# with a little near-silence: trimming it (silence effect, forwards then
# reversed) makes the recorded turn boundaries the real speech boundaries.
# Each turn is normalized to -3 dBFS peak so the voices are equally loud.
make_turn() {
  local voice=$1 wpm=$2 text=$3 out=$4
  espeak-ng -v "$voice" -s "$wpm" -w "$out.raw.wav" "$text"
  sox -R -D "$out.raw.wav" -b 16 "$out" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse \
    rate -v "$RATE" channels 1 gain -n -3
}

samples() { soxi -s "$1"; }

# Exact seconds for a sample offset: at 16 kHz that takes up to 7 decimals.
seconds() {
  awk -v s="$1" -v r="$RATE" 'BEGIN { x = sprintf("%.7f", s / r); sub(/0+$/, "", x); sub(/\.$/, "", x); print x }'
}

json_escape() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '%s' "$s"
}

main() {
  ensure_tools
  mkdir -p "$OUT_DIR"
  work=$(mktemp -d) # global: the EXIT trap runs after main's locals are gone
  trap 'rm -rf "$work"' EXIT

  make_silence "$LEAD_SILENCE" "$work/edge.wav"
  local parts=("$work/edge.wav")
  local pos
  pos=$(samples "$work/edge.wav")
  local i=0 json="[" txt=""
  for turn in "${TURNS[@]}"; do
    IFS='|' read -r speaker voice wpm text gap <<<"$turn"
    local wav="$work/turn$i.wav"
    make_turn "$voice" "$wpm" "$text" "$wav"
    local n start end
    n=$(samples "$wav")
    start=$(seconds "$pos")
    end=$(seconds "$((pos + n))")
    [ "$i" -gt 0 ] && json+=","
    json+=$'\n'"  {\"speaker\": \"$speaker\", \"voice\": \"$voice\", \"text\": \"$(json_escape "$text")\", \"start\": $start, \"end\": $end, \"startSample\": $pos, \"endSample\": $((pos + n))}"
    txt+="$speaker: $text"$'\n'
    parts+=("$wav")
    pos=$((pos + n))
    if [ "$gap" != "0" ]; then
      make_silence "$gap" "$work/gap$i.wav"
      parts+=("$work/gap$i.wav")
      pos=$((pos + $(samples "$work/gap$i.wav")))
    fi
    i=$((i + 1))
  done
  parts+=("$work/edge.wav")
  json+=$'\n'"]"$'\n'

  # All parts share one format, so sox just concatenates them.
  sox -R -D "${parts[@]}" -r "$RATE" -c 1 -b 16 -e signed-integer "$work/standup.wav"
  local total expected
  total=$(samples "$work/standup.wav")
  expected=$((pos + $(samples "$work/edge.wav")))
  if [ "$total" -ne "$expected" ]; then
    echo "make-sample: concatenated $total samples, expected $expected" >&2
    exit 1
  fi

  mv "$work/standup.wav" "$OUT_DIR/standup.wav"
  printf '%s' "$txt" >"$OUT_DIR/standup.txt"
  printf '%s' "$json" >"$OUT_DIR/standup.json"
  echo "wrote $OUT_DIR/standup.wav ($(seconds "$total") s), standup.txt, standup.json" >&2
}

main "$@"
