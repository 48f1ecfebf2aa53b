#!/usr/bin/env bash
# Builds the shipped quick-start sample reproducibly from espeak-ng voices:
#   samples/meeting.wav      two synthetic speakers taking turns (33 s), 16 kHz mono s16
#   samples/panel.wav        three synthetic speakers taking turns (~30 s)
#   samples/<name>.ref.txt   reference transcript, one turn per line
#   samples/<name>.ref.rttm  reference speaker turns, measured from each rendered piece
# Each turn is rendered alone, its leading/trailing silence trimmed, resampled, and
# its duration measured with soxi, so the RTTM times are exact, not estimated.
# Needs espeak-ng and sox (Debian packages). Same tools, same output.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT_DIR="${1:-samples}"
RATE=16000
SPEED=150          # espeak-ng words per minute (its default is 175)

for tool in espeak-ng sox soxi; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make-sample: $tool is not installed (apt-get install -y espeak-ng sox)" >&2; exit 1; }
done

# speaker|voice|pause after (s)|text
MEETING=(
  "A|en-us+m3|0.6|Good morning everyone. Let us start the weekly planning meeting."
  "B|en-us+f2|0.5|Thank you. The new website went live on Monday and the traffic looks good."
  "A|en-us+m3|0.7|That is great news. Did we get any complaints from the customers?"
  "B|en-us+f2|0.5|Only a few. Some people could not find the search button on the first page."
  "A|en-us+m3|0.6|Then we should move the button to the top of the page this week."
  "B|en-us+f2|0.6|I agree. I will ask the design team to send a new version by Friday."
  "A|en-us+m3|0.0|Good. Please send me the report when it is ready."
)
PANEL=(
  "A|en-us+m3|0.5|Welcome to the show. Today we talk about gardens in the city."
  "B|en-us+f2|0.6|Thanks for having me. I grow tomatoes and beans on my small balcony."
  "C|en-gb+m1|0.5|I live in a flat too, and I plant herbs in the kitchen window."
  "A|en-us+m3|0.6|How much water do the plants need in the summer?"
  "B|en-us+f2|0.4|A little every morning is enough for most of them."
  "C|en-gb+m1|0.7|And never water the leaves when the sun is high."
  "A|en-us+m3|0.0|Thank you both for the good advice."
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT_DIR"
# Half a second of silence before the first turn and after the last.
sox -D -n -r "$RATE" -c 1 -b 16 "$work/lead.wav" trim 0 0.5

# build NAME TURN... : renders the turns and writes NAME.wav, NAME.ref.txt, NAME.ref.rttm.
build() {
  local name="$1"
  shift
  local ref_txt="$OUT_DIR/$name.ref.txt" ref_rttm="$OUT_DIR/$name.ref.rttm"
  : >"$ref_txt"
  : >"$ref_rttm"
  local pieces=("$work/lead.wav") t=0.5 i=0 turn speaker voice pause text raw piece dur
  for turn in "$@"; do
    IFS='|' read -r speaker voice pause text <<<"$turn"
    raw="$work/$name-raw$i.wav"
    piece="$work/$name-piece$i.wav"
    espeak-ng -v "$voice" -s "$SPEED" -w "$raw" "$text"
    # Trim silence at both ends (threshold well below speech level), then resample.
    sox -D "$raw" -r "$RATE" -c 1 -b 16 "$piece" \
      silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
    dur="$(soxi -D "$piece")"
    printf 'SPEAKER %s 1 %.3f %.3f <NA> <NA> %s <NA> <NA>\n' "$name" "$t" "$dur" "$speaker" >>"$ref_rttm"
    printf '%s\n' "$text" >>"$ref_txt"
    pieces+=("$piece")
    t="$(echo "$t + $dur" | bc -l)"
    if [ "$pause" != "0.0" ]; then
      sox -D -n -r "$RATE" -c 1 -b 16 "$work/$name-gap$i.wav" trim 0 "$pause"
      pieces+=("$work/$name-gap$i.wav")
      t="$(echo "$t + $pause" | bc -l)"
    fi
    i=$((i + 1))
  done
  pieces+=("$work/lead.wav")
  sox -D "${pieces[@]}" -r "$RATE" -c 1 -b 16 "$OUT_DIR/$name.wav"
  echo "make-sample: $OUT_DIR/$name.wav ($(soxi -D "$OUT_DIR/$name.wav") s, $i turns)"
}

build meeting "${MEETING[@]}"
build panel "${PANEL[@]}"
