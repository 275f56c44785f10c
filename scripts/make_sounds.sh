#!/bin/sh
# Regenerate the prompts the shipped configuration plays: 8 kHz mono 16-bit WAV under sounds/.
# Needs espeak-ng and sox. Run from anywhere: scripts/make_sounds.sh
set -eu
sounds="$(cd "$(dirname "$0")/.." && pwd)/sounds"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

prompt() {  # prompt <name> <text>
    mkdir -p "$(dirname "$sounds/$1.wav")"
    espeak-ng -s 150 -w "$tmp/speech.wav" "$2"
    sox "$tmp/speech.wav" -r 8000 -c 1 -b 16 "$sounds/$1.wav"
}

prompt ivr/main_menu "Welcome. For sales, press 1. For support, press 2. For our opening hours, press 3. \
For an operator, press 0. To hear this again, press 9."
prompt ivr/invalid "Sorry, that is not a valid choice."
prompt ivr/no_input "Sorry, we did not hear your choice."
prompt info/opening_hours "We are open Monday to Friday, from 9 a.m. to 6 p.m., Moscow time."
prompt announce/closed "Thank you for calling. We are closed now. Please call again during our opening hours."
prompt queue/all_busy "All our agents are still busy. Please call again later. Goodbye."
prompt announce/recorded "This call may be recorded for quality purposes."
