"""What happens to the lines in flight: the switch's events and the lines' deadlines move them along their table
(``lines.move``), settle their leads and feed the pacer's estimates.

A person (detection said HUMAN or NOTSURE) is handed to the ACD, which must connect an agent within
``CONNECT_WITHIN_S`` (2 s, counted from the end of detection, i.e. of the person's greeting, as the US TSR counts
it). The dialler decides connected / abandoned from the same events and ticks as the ACD, so they always agree:
CHANNEL_BRIDGE before the deadline's tick is connected, anything else is abandoned (also a person who hangs up
while waiting). Both go into the campaign's ledger; blast and machine calls do not. A blast person whose campaign
names an IVR menu is handed to the ACD with ``take_outbound_step(..., ToIvr(menu), now)`` once the prompt has
played; without a menu the call ends.

A line with no outcome in time (a lost event, a command that never left) is taken back: hung up, and its lead
FAILED. A line whose ``amd`` the switch hung up DESTINATION_OUT_OF_ORDER within ``MISSING_APP_WINDOW_S``
(FreeSWITCH's "Invalid Application", trace m) is not "a person who hung up during detection": it is logged as an
error, the lead FAILED, and the module reported missing (``module_gate``).

History: every line leaves one contact record. A person handed to the ACD is the ACD's to record (answered,
overflowed = abandoned by the deadline, abandoned = hung up waiting, or where a blast menu led them). A line that
ends here is recorded here (``lines.history_outcome``): busy, no answer or failed from the cause, no answer when
hung up during detection, machine, and ``announced`` for a blast person who heard the prompt and was not sent to a
menu.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import replace

from ccswitch.channel_events import AmdCompleted, AppCompleted, Bridged, ChannelEvent, HungUp, JobFailed, Parked
from ccswitch.dialer.campaign_state import CampaignState, DialerState
from ccswitch.dialer.leads import DialOutcome, Lead
from ccswitch.dialer.lines import Line, LineEvent, LineState, history_outcome, move, outcome_of_cause
from ccswitch.dialer.module_gate import ModuleGate
from ccswitch.dialer.pacing import ABANDON_GRACE_SECONDS
from ccswitch.effects import DetectMachine, Effect, Hangup, Play
from ccswitch.errors import CcswitchError, InvalidTransition
from ccswitch.routing.steps import ToAnnouncement, ToIvr
from ccswitch.switch_modules import AMD_MODULE

log = logging.getLogger(__name__)

CONNECT_WITHIN_S = ABANDON_GRACE_SECONDS  # a person answered must have an agent by then, else the abandon message
LINE_GRACE_S = 30.0  # beyond the ring timeout, before a line with no outcome is taken back
DETECTION_TIMEOUT_S = 10.0  # mod_amd decides within its total_analysis_time (5 s by default)
MESSAGE_TIMEOUT_S = 300.0  # a message or blast prompt that never reports its end is cut off
# FreeSWITCH hangs a channel up ~20 ms after being told to run an application it does not have (trace m).
MISSING_APP_WINDOW_S = 1.0
DETECTION_APP = "amd"


class LineKeeper:
    def __init__(self, state: DialerState, gate: ModuleGate) -> None:
        self.state = state
        self.gate = gate

    # ----------------------------------------------------------------- events
    def handle(self, event: ChannelEvent, now: float) -> None:
        lines = self.state.lines
        if isinstance(event, Parked):
            line = lines.get(event.uuid)
            if line is not None and line.state is LineState.RINGING:
                self.answered(line, now)
            elif line is not None and line.state is LineState.CANCELLING:  # picked up as our hang-up went out
                self._replace(replace(line, answered_at=now))
        elif isinstance(event, AmdCompleted):
            line = lines.get(event.uuid)
            if line is not None and line.state is LineState.DETECTING and line.tag == event.tag:
                log.info("line %s (%s): detection %s (%s)", line.uuid, line.phone, event.result, event.cause)
                self._detected(line, event.result, now)
        elif isinstance(event, AppCompleted):
            line = lines.get(event.uuid)
            if line is not None and line.state is LineState.MESSAGE and event.tag == line.tag:
                self._played(line, now)
        elif isinstance(event, Bridged):
            line = lines.get(event.uuid) or lines.get(event.other_leg)
            if line is not None and (line.state is LineState.WAITING or (
                    line.state is LineState.RINGING and self._campaign(line).preview)):  # bridged from the agent
                self._connected(line, now)
        elif isinstance(event, HungUp):
            line = lines.get(event.uuid)
            if line is not None:
                self.gone(line, event.cause, now)
        elif isinstance(event, JobFailed):
            line = lines.get(event.job)
            if line is not None and line.state in (LineState.RINGING, LineState.CANCELLING):
                self.gone(line, event.reason, now)

    def answered(self, line: Line, now: float) -> None:
        """The callee picked up and the leg parked: is it a person or a machine?"""
        self._campaign(line).estimates.answered(now, now - line.dialled_at)
        tag = str(uuidlib.uuid4())
        self._replace(move(line, LineEvent.ANSWERED, answered_at=now, tag=tag))
        self.state.emit(line.node, [DetectMachine(line.uuid, tag)])

    def _detected(self, line: Line, result: str, now: float) -> None:
        """HUMAN or NOTSURE: a person (a person taken for a machine and hung up on would be an abandoned call);
        MACHINE: the campaign's message, or a hang-up."""
        campaign = self._campaign(line)
        config = campaign.config
        machine = result == "MACHINE"
        line = replace(line, person=not machine)
        self.state.lines[line.uuid] = line
        # the pacer counts a line in detection as a person by persons' share of the time lines spend there
        campaign.estimates.classified(now, machine, now - line.answered_at if line.answered_at is not None else 0.0)
        if machine:
            campaign.lead_outcome(line, DialOutcome.MACHINE, now)
            if config.machine_message is not None:
                self._play(line, config.machine_message)
            else:
                self._hang_up(line, LineEvent.ENDED, now)
        elif config.mode == "blast":
            campaign.lead_outcome(line, DialOutcome.PERSON_ANSWERED, now)
            blast = config.blast
            if blast is not None and blast.prompt is not None:
                self._play(line, blast.prompt)
            else:
                self._after_blast_prompt(line, now, LineEvent.HANDED_OVER)
        else:
            self._to_agent(campaign, line, now)

    def _to_agent(self, campaign: CampaignState, line: Line, now: float) -> None:
        """A person: the ACD's, to be connected within ``CONNECT_WITHIN_S`` or to hear the abandon message."""
        config = campaign.config
        assert config.abandon_message is not None  # required by the config unless blast
        lead = campaign.leads.get(line.phone)
        self._replace(move(line, LineEvent.TO_AGENT, handed_at=now, tag=None))
        try:
            self.state.acd.take_outbound(line.node, line.uuid, line.phone, lead.name if lead else "", config.queue,
                                         config.name, CONNECT_WITHIN_S, ToAnnouncement(config.abandon_message), now)
        except CcswitchError:
            log.exception("line %s (%s): the engine refused the person: hanging up", line.uuid, line.phone)
            hangup = Hangup(line.uuid)
            self.state.emit(line.node, [hangup])
            waiting = self.state.lines[line.uuid]
            self._abandoned(waiting, now, "the engine refused the call")
            if line.uuid not in self.state.acd.calls:  # else the ACD has it, and records it
                self.state.record(campaign.contact(waiting, "abandoned", hangup.cause, now))

    def _play(self, line: Line, prompt: str) -> None:
        tag = str(uuidlib.uuid4())
        self._replace(move(line, LineEvent.TO_MESSAGE, tag=tag))
        self.state.emit(line.node, [Play(line.uuid, self.state.config.prompt_path(prompt), tag)])

    def _played(self, line: Line, now: float) -> None:
        if self._campaign(line).config.mode == "blast" and line.person:
            self._after_blast_prompt(line, now, LineEvent.PLAYED)
        else:
            self._hang_up(line, LineEvent.PLAYED, now)

    def _after_blast_prompt(self, line: Line, now: float, event: LineEvent) -> None:
        """A blast person has heard the prompt (if any): into the campaign's IVR menu, if it has one, else the call
        ends."""
        campaign = self._campaign(line)
        config = campaign.config
        menu = config.blast.ivr if config.blast is not None else None
        if menu is None:
            self._hang_up(line, event, now)
            return
        self._end(line, event, [])
        lead = campaign.leads.get(line.phone)
        self.state.acd.take_outbound_step(line.node, line.uuid, line.phone, lead.name if lead else "", config.name,
                                          ToIvr(menu), now)

    def _connected(self, line: Line, now: float) -> None:
        campaign = self._campaign(line)
        if not campaign.preview:
            campaign.record_answer(line, now, abandoned=False)
        campaign.lead_outcome(line, DialOutcome.PERSON_ANSWERED, now)
        self._replace(move(line, LineEvent.CONNECTED, connected_at=now))

    def _abandoned(self, line: Line, now: float, why: str) -> None:
        campaign = self._campaign(line)
        log.info("line %s (%s): abandoned: %s", line.uuid, line.phone, why)
        campaign.record_answer(line, now, abandoned=True)
        campaign.lead_outcome(line, DialOutcome.ABANDONED, now)
        self._end(line, LineEvent.ABANDONED, [])

    def gone(self, line: Line, cause: str, now: float) -> None:
        """The line's channel ended (or the originate failed, or we lost it): what that means depends on where
        the line was."""
        campaign = self._campaign(line)
        if line.state is LineState.RINGING:
            outcome = outcome_of_cause(cause)
            campaign.estimates.unanswered(now)
            log.info("line %s (%s): not answered: %s (%s)", line.uuid, line.phone, cause, outcome.value)
            campaign.lead_outcome(line, outcome, now)
        elif line.state is LineState.CANCELLING and line.answered_at is not None:
            # Answered in the instant our hang-up was on its way: a person hung up on, which counts as abandoned
            # (in the ledger, and the 72-hour rule), though nobody can tell a person from a machine now.
            log.info("line %s (%s): answered as it was cancelled: counted abandoned", line.uuid, line.phone)
            campaign.record_answer(line, now, abandoned=True)
            campaign.lead_outcome(line, DialOutcome.ABANDONED, now)
        elif line.state is LineState.CANCELLING:
            # We hung it up unanswered: a no-answer for the lead; the estimators took its expected outcome when we
            # hung it up (had it rung on, it might have been answered; counted as a no-answer, the answer rate
            # would lean low).
            log.info("line %s (%s): cancelled after the minimum ring (%s)", line.uuid, line.phone, cause)
            campaign.lead_outcome(line, DialOutcome.NO_ANSWER, now)
        elif line.state is LineState.DETECTING and cause == "DESTINATION_OUT_OF_ORDER" \
                and line.answered_at is not None and now - line.answered_at <= MISSING_APP_WINDOW_S:
            self._application_missing(campaign, line, cause, now)
            return
        elif line.state is LineState.DETECTING:
            # Hung up while we listened: most likely a person who heard silence, or a machine cut short. Not
            # countable as either: dialled again after the no-answer delay.
            log.info("line %s (%s): hung up during detection (%s)", line.uuid, line.phone, cause)
            campaign.lead_outcome(line, DialOutcome.NO_ANSWER, now)
        elif line.state is LineState.WAITING:
            self._abandoned(line, now, f"hung up before an agent was connected ({cause})")
            return
        elif line.state is LineState.CONNECTED:  # the ACD's call: the ACD records it
            assert line.connected_at is not None
            campaign.estimates.talked(now, now - line.connected_at)
            self._end(line, LineEvent.ENDED, [])
            return
        self._finish(line, LineEvent.ENDED, cause, now)

    def _application_missing(self, campaign: CampaignState, line: Line, cause: str, now: float) -> None:
        """FreeSWITCH hung the answered line up right after ``amd`` was sent: it has no such application (trace m).
        Not a person who hung up, not a no-answer: an error, counted, the lead failed, and the campaign paused
        until the module is back."""
        log.error("line %s (%s): FreeSWITCH node %s hung up the answered call right after `%s` was sent "
                  "(DESTINATION_OUT_OF_ORDER): it has no %s application (is mod_amd loaded?)", line.uuid, line.phone,
                  line.node, DETECTION_APP, DETECTION_APP)
        campaign.lead_outcome(line, DialOutcome.FAILED, now)
        self._end(line, LineEvent.ENDED, [])
        self.state.record(campaign.contact(line, "failed", cause, now))
        self.gate.application_missing(line.node, DETECTION_APP, AMD_MODULE, now)

    # ----------------------------------------------------------------- deadlines
    def deadlines(self, now: float) -> None:
        """Lines whose deadline passed: a person with no agent in time, a line with no outcome, detection or a
        message that never ended."""
        for line in list(self.state.lines.values()):
            self._deadline(line, now)

    def _deadline(self, line: Line, now: float) -> None:
        campaign = self._campaign(line)
        if line.state is LineState.WAITING and line.handed_at is not None and now >= line.handed_at + CONNECT_WITHIN_S:
            self._abandoned(line, now, f"no agent within {CONNECT_WITHIN_S:g} s")
        elif line.state in (LineState.RINGING, LineState.CANCELLING) \
                and now > line.dialled_at + campaign.ring_s + LINE_GRACE_S \
                and not campaign.preview:
            log.warning("line %s (%s): no outcome of the originate in time: taken back", line.uuid, line.phone)
            self.state.emit(line.node, [Hangup(line.uuid, "ORIGINATOR_CANCEL")])
            self.gone(line, "LOST", now)
        elif line.state is LineState.DETECTING and line.answered_at is not None \
                and now > line.answered_at + DETECTION_TIMEOUT_S:
            log.warning("line %s (%s): no detection result in %g s (is mod_amd loaded?): taken for a person",
                        line.uuid, line.phone, DETECTION_TIMEOUT_S)
            self._detected(line, "NOTSURE", now)
        elif line.state is LineState.MESSAGE and line.answered_at is not None \
                and now > line.answered_at + MESSAGE_TIMEOUT_S:
            self._hang_up(line, LineEvent.ENDED, now)

    # ----------------------------------------------------------------- restart
    def follow(self, campaign: CampaignState, lead: Lead, node: str, parked: bool, with_agent: bool,
               now: float) -> None:
        """A call of the previous run that ``node`` still has, followed again: talking to an agent (answered),
        parked (detection again), or still ringing."""
        assert lead.call is not None
        line = Line(lead.call, node, campaign.config.name, lead.phone, LineState.RINGING, now)
        self.state.lines[line.uuid] = line
        if with_agent:
            log.info("line %s (%s): talking to an agent, taken back", line.uuid, lead.phone)
            self._replace(replace(line, state=LineState.CONNECTED, answered_at=now, handed_at=now, connected_at=now))
            if not campaign.preview:
                campaign.record_answer(line, now, abandoned=False)
            campaign.lead_outcome(line, DialOutcome.PERSON_ANSWERED, now)
        elif parked:
            log.info("line %s (%s): answered and parked: detecting again", line.uuid, lead.phone)
            self.answered(line, now)
        else:
            log.info("line %s (%s): still up: followed again", line.uuid, lead.phone)

    # ----------------------------------------------------------------- helpers
    def _campaign(self, line: Line) -> CampaignState:
        return self.state.campaigns[line.campaign]

    def _replace(self, line: Line | None) -> None:
        assert line is not None
        self.state.lines[line.uuid] = line

    def _end(self, line: Line, event: LineEvent, effects: Sequence[Effect]) -> None:
        """The line is over for the dialler (its call may go on in the ACD, which then records it)."""
        if move(line, event) is not None:
            raise InvalidTransition(f"line {line.uuid}: {event.value} does not end a {line.state.value} line")
        self.state.lines.pop(line.uuid, None)
        if effects:
            self.state.emit(line.node, effects)

    def _finish(self, line: Line, event: LineEvent, cause: str, now: float, effects: Sequence[Effect] = ()) -> None:
        """The line's call ends here, never handed to the ACD: the dialler writes its history record."""
        self._end(line, event, effects)
        self.state.record(self._campaign(line).contact(line, history_outcome(line, cause), cause, now))

    def _hang_up(self, line: Line, event: LineEvent, now: float) -> None:
        """We end the call: a machine (after its message, if any), a blast person after the prompt."""
        hangup = Hangup(line.uuid)
        self._finish(line, event, hangup.cause, now, [hangup])
