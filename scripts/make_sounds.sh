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
prompt campaigns/abandoned "Hello, this is Example Shop. Sorry, we called you but have no one free to speak \
to you right now. To speak to us, call 8 800 555 05 56. Goodbye."
prompt campaigns/machine "Hello, this is Example Shop with our November offer. Please call us back on \
8 800 555 05 56. Thank you."
prompt queue/please_hold "Thank you for holding. Your call is important to us."
prompt queue/position "You are caller number"
prompt queue/wait_time "Your expected waiting time is about"
prompt queue/minutes "minutes."
prompt queue/callback_offer "To be called back when an agent is free, without losing your place, press 1. \
To speak to an operator instead, press 0."
prompt queue/callback_confirm "Thank you. We will call you back on the number you are calling from, \
as soon as an agent is free. Goodbye."
prompt queue/agent_support "Support call."
prompt queue/agent_sales "Sales call."
prompt queue/leave_message "Sorry, all our operators are busy. Please leave your name, number and message \
after the tone, and we will call you back."
