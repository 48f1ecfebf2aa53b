#!/usr/bin/env bash
# Builds the demo speaker samples for pipelines/identification.yaml, reproducibly, from the
# same espeak-ng voices as samples/meeting.wav (see scripts/make-sample.sh) but other words:
#   Alex.wav  voice en-us+m3 (speaker A of the meeting)
#   Beth.wav  voice en-us+f2 (speaker B of the meeting)
# 16 kHz mono s16, silence trimmed at both ends. Needs espeak-ng and sox.
set -euo pipefail
cd "$(dirname "$0")"
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make-speakers: $tool is not installed (apt-get install -y espeak-ng sox)" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
make() { # name voice text
  espeak-ng -v "$2" -s 150 -w "$work/$1.raw.wav" "$3"
  sox -D "$work/$1.raw.wav" -r 16000 -c 1 -b 16 "$1.wav" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
  echo "make-speakers: $1.wav ($(soxi -D "$1.wav") s)"
}
make Alex en-us+m3 "Hello, my name is Alex. I lead the planning team and I write the weekly report."
make Beth en-us+f2 "Hi, this is Beth. I look after the website and I work with the design team."
