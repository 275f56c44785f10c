// The supervisor wallboard: per queue and per agent, live; listen/whisper/barge; thresholds turn a figure red.
"use strict";

// Thresholds (URL: ?wait=60&sl=80&abandon=5&waiting=3): a figure beyond its threshold is shown red.
const limits = {wait: Number(params.get("wait") || 60), sl: Number(params.get("sl") || 80),
                abandon: Number(params.get("abandon") || 5), waiting: Number(params.get("waiting") || 5)};

function figure(id, label, value, text, bad, note = "") {
  return el("div", {class: `figure${bad ? " red" : ""}`, id},
            el("div", {class: "number"}, text ?? value ?? "—"), el("div", {class: "label"}, t(label), note));
}

// A queue's card: one row of figures per channel its agents take (calls, chats …); each channel's service level is
// against its own threshold, shown beside it.
function queueCard(queue) {
  const states = Object.entries(queue.agents).map(([state, count]) => `${t(state)} ${count}`).join(" · ");
  return el("section", {class: "queue", id: `queue-${queue.name}`}, el("h2", {}, queue.name),
    ...queue.channels.map((row) => channelRow(queue.name, row)),
    el("div", {class: "states"}, states));
}

function channelRow(queueName, row) {
  const id = (figureName) => `${figureName}-${queueName}-${row.channel}`;
  const sl = row.service_level === null ? "—" : `${row.service_level}%`;
  return el("div", {class: "figures channel", id: id("channel")},
    el("div", {class: "channel-name"}, t(row.channel)),
    figure(id("waiting"), "waiting", row.waiting, null, row.waiting >= limits.waiting),
    figure(id("longest"), "longest", null, seconds(row.longest_wait_s), row.longest_wait_s >= limits.wait),
    figure(id("sl"), "sl", null, sl, row.service_level !== null && row.service_level < limits.sl,
           ` (${t("slWithin")} ${seconds(row.service_level_s)})`),
    figure(id("asa"), "asa", null, row.asa_s === null ? "—" : seconds(row.asa_s), false),
    figure(id("abandon"), "abandon", null, row.abandon_rate === null ? "—" : `${row.abandon_rate}%`,
           row.abandon_rate !== null && row.abandon_rate > limits.abandon));
}

function monitorButtons(agent, monitors, me) {
  if (!agent.call || !me.supervisor) return null;
  const mine = monitors.find((session) => session.agent === agent.id && session.supervisor === me.supervisor);
  const modes = ["listen", "whisper", "barge"].map((mode) => el("button", {
    id: `${mode}-${agent.id}`, class: mine && mine.mode === mode ? "active" : "",
    onclick: () => (mine ? api("POST", `/api/monitor/${mine.id}/mode`, {mode})
                         : api("POST", "/api/monitor", {agent: agent.id, mode})),
  }, t(mode)));
  const stop = mine ? el("button", {id: `stop-${agent.id}`, onclick: () => api("DELETE", `/api/monitor/${mine.id}`)},
                         t("stop")) : null;
  return el("span", {class: "buttons"}, ...modes, stop);
}

function agentRow(agent, monitors, me) {
  return el("tr", {id: `agent-${agent.id}`, class: agent.state},
    el("td", {}, agent.id), el("td", {}, agent.name),
    el("td", {class: "agent-state"}, `${t(agent.state)}${agent.reason ? ` (${agent.reason})` : ""}`
                                     + `${agent.kept ? ` (${t("kept")})` : ""}`),
    el("td", {class: agent.state === "on_call" && agent.in_state_s >= 600 ? "red" : ""}, seconds(agent.in_state_s)),
    el("td", {}, agent.caller ? `${agent.caller} · ${agent.queue || ""}` : "",
       agent.texts ? ` ${t("chats")}: ${agent.texts}` : ""), el("td", {}, agent.handled),
    el("td", {}, monitorButtons(agent, monitors, me)));
}

function render(board, me) {
  if (board.kind !== "wallboard") { location.href = `/desk${location.search}`; return; }
  const header = el("tr", {}, ...["agent", "", "state", "inState", "contact", "handled", ""].map(
    (key) => el("th", {}, key ? t(key) : "")));
  replace(document.getElementById("main"),
    el("div", {class: "queues"}, ...board.queues.map(queueCard)),
    el("table", {id: "agents"}, el("thead", {}, header),
       el("tbody", {}, ...board.agents.map((agent) => agentRow(agent, board.monitors, me)))));
}

if (params.get("big") === "1") document.body.classList.add("big");
const toggle = el("button", {id: "big", onclick: () => document.body.classList.toggle("big")}, t("big"));
document.getElementById("title").replaceChildren(t("wallboard"), " ", toggle);
start("wallboard", render);
