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

word() {  # word <language> <name under numbers/<language>/> <text>: silence trimmed, as it is played in a row
    mkdir -p "$(dirname "$sounds/numbers/$1/$2.wav")"
    espeak-ng -v "$1" -s 150 -w "$tmp/speech.wav" "$3"
    sox "$tmp/speech.wav" -r 8000 -c 1 -b 16 "$sounds/numbers/$1/$2.wav" \
        silence 1 0.02 1% reverse silence 1 0.02 1% reverse pad 0 0.08
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
prompt queue/callback_offer "To be called back when an agent is free, without losing your place, press 1. \
To speak to an operator instead, press 0."
prompt queue/callback_confirm "Thank you. We will call you back on the number you are calling from, \
as soon as an agent is free. Goodbye."
prompt queue/agent_support "Support call."
prompt queue/agent_sales "Sales call."
prompt queue/leave_message "Sorry, all our operators are busy. Please leave your name, number and message \
after the tone, and we will call you back."

# Spoken numbers (ccswitch/media/numbers.py picks them; the names are mod_say_en's and mod_say_ru's).
rm -rf "$sounds/numbers"
set -- zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen \
    seventeen eighteen nineteen
n=0
for text in "$@"; do word en "digits/$n" "$text"; n=$((n + 1)); done
set -- ноль один два три четыре пять шесть семь восемь девять десять одиннадцать двенадцать тринадцать \
    четырнадцать пятнадцать шестнадцать семнадцать восемнадцать девятнадцать
n=0
for text in "$@"; do word ru "digits/$n" "$text"; n=$((n + 1)); done
set -- twenty thirty forty fifty sixty seventy eighty ninety
n=2
for text in "$@"; do word en "digits/${n}0" "$text"; n=$((n + 1)); done
set -- двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто
n=2
for text in "$@"; do word ru "digits/${n}0" "$text"; n=$((n + 1)); done
set -- сто двести триста четыреста пятьсот шестьсот семьсот восемьсот девятьсот
n=1
for text in "$@"; do word ru "digits/${n}00" "$text"; n=$((n + 1)); done
word en digits/hundred hundred
word en digits/thousand thousand
word en time/minute minute
word en time/minutes minutes
word ru digits/1f одна
word ru digits/2f две
word ru digits/thousand тысяча
word ru digits/thousands-i тысячи
word ru digits/thousands тысяч
word ru time/minute минута
word ru time/minutes-i минуты
word ru time/minutes минут

# Hold music for FreeSWITCH's local_stream (config/freeswitch/local_stream.conf.xml): 16 s that loop, a soft pad
# under a plucked arpeggio, C - Am - F - G at 120 bpm.
mkdir -p "$sounds/music"
bar=0
for chord in "C4 E4 G4 C5" "A3 C4 E4 A4" "F3 A3 C4 F4" "G3 B3 D4 G4"; do
    set -- $chord
    sox -n -r 8000 -c 3 "$tmp/triad.wav" synth 4 sine "$1" sine "$2" sine "$3"
    sox "$tmp/triad.wav" -c 1 "$tmp/pad.wav" remix - fade q 0.6 4 0.8 gain -18
    notes=""
    for note in "$@" "$3" "$2" "$1" "$2"; do
        sox -n -r 8000 -c 1 "$tmp/note$notes.wav" synth 0.5 pluck "$note" fade q 0.01 0.5 0.3 gain -14
        notes="${notes}x"
    done
    sox "$tmp"/note*.wav "$tmp/arpeggio.wav"
    rm -f "$tmp"/note*.wav
    sox -m "$tmp/pad.wav" "$tmp/arpeggio.wav" "$tmp/bar$bar.wav"
    bar=$((bar + 1))
done
sox "$tmp/bar0.wav" "$tmp/bar1.wav" "$tmp/bar2.wav" "$tmp/bar3.wav" -r 8000 -c 1 -b 16 "$sounds/music/hold.wav" \
    norm -6
