// The agent desktop: state with one click to change, the current call's card and controls, preview leads.
"use strict";

let agentId = null;
let lead = null;

function agentAction(action, body) { return api("POST", `/api/agents/${encodeURIComponent(agentId)}/${action}`, body); }
function callAction(action, body) { return api("POST", `/api/calls/${encodeURIComponent(agentId)}/${action}`, body); }

function field(label, value, id) {
  return el("div", {class: "field"}, el("span", {class: "label"}, t(label)), el("span", {class: "value", id}, value));
}

function stateSection(desk) {
  const reasons = el("select", {id: "reason"}, ...desk.reasons.map((reason) => el("option", {value: reason}, reason)));
  const state = `${t(desk.state)}${desk.reason ? ` (${desk.reason})` : ""}${desk.kept ? ` (${t("kept")})` : ""}`;
  return el("section", {id: "state-panel"},
    el("h2", {}, t("state")),
    el("div", {class: `state ${desk.state}`, id: "state"}, state, " · ", seconds(desk.in_state_s)),
    el("div", {class: "buttons"},
      el("button", {id: "ready", onclick: () => agentAction("ready")}, t("ready")),
      reasons, el("button", {id: "break", onclick: () => agentAction("break", {reason: reasons.value})}, t("break")),
      desk.state === "logged_out"
        ? el("button", {id: "agent-login", onclick: () => agentAction("login")}, t("agentLogin"))
        : el("button", {id: "agent-logout", onclick: () => agentAction("logout")}, t("agentLogout"))),
    el("div", {class: "handled"}, `${t("handled")}: ${desk.calls_handled}`));
}

function cardSection(call, timeZone) {
  if (!call) return el("section", {id: "card", class: "idle"}, el("h2", {}, t("noCall")));
  const previous = call.previous.length
    ? el("ul", {id: "previous"}, ...call.previous.map((contact) => el("li", {},
        `${new Date(contact.started_at * 1000).toLocaleString(lang, {timeZone})} · ${contact.channel} · `
        + `${contact.queue || "-"} · ${contact.agent || "-"} · ${contact.outcome}${contact.disposition ? ` · ${contact.disposition}` : ""}`)))
    : el("p", {id: "previous"}, t("none"));
  const badges = [call.vip ? el("span", {class: "badge vip", id: "vip"}, t("vip")) : null,
                  call.held ? el("span", {class: "badge"}, t("hold")) : null,
                  call.muted ? el("span", {class: "badge"}, t("mute")) : null,
                  call.consulting ? el("span", {class: "badge"}, t(call.consulting)) : null];
  return el("section", {id: "card", class: call.connected ? "talking" : "ringing"},
    el("h2", {}, call.connected ? t("talking") : t("ringing"), " ", ...badges),
    field("caller", `${call.caller_number}${call.caller_name ? ` — ${call.caller_name}` : ""}`, "caller"),
    field("did", call.did, "did"), field("rule", call.rule || "-", "rule"),
    field("ivr", call.ivr_path.length ? call.ivr_path.join(" → ") : "-", "ivr-path"),
    field("queue", call.queue || "-", "queue"), field("waited", seconds(call.waited_s), "waited"),
    field("priority", call.priority, "priority"),
    el("h3", {}, t("previous")), previous);
}

function controlsSection(call) {
  if (!call || !call.connected) return el("section", {id: "controls", hidden: ""});
  const button = (id, label, action, body) => el("button", {id, onclick: () => callAction(action, body)}, t(label));
  const recording = call.recording === "recording"
    ? el("button", {id: "pause-recording", onclick: () => api("POST", `/api/calls/${call.uuid}/recording/pause`)},
         t("pauseRec"))
    : call.recording === "paused"
      ? el("button", {id: "resume-recording", onclick: () => api("POST", `/api/calls/${call.uuid}/recording/resume`)},
           t("resumeRec"))
      : null;
  const consulting = call.consulting
    ? [button("complete", "complete", "complete"), button("cancel", "cancel", "cancel"),
       button("conference", "conference", "conference")]
    : [];
  return el("section", {id: "controls"}, el("div", {class: "buttons"},
    call.held ? button("unhold", "unhold", "unhold") : button("hold", "hold", "hold"),
    call.muted ? button("unmute", "unmute", "unmute") : button("mute", "mute", "mute"),
    ...consulting, recording, button("hangup", "hangup", "hangup")));
}

// Kept across snapshots so what the agent types is not lost: where to transfer, the preview lead.
function transferSection() {
  const to = el("input", {id: "transfer-to", placeholder: "1000 / queue:support"});
  const destination = () => (to.value.startsWith("queue:") ? {queue: to.value.slice(6)} : {to: to.value});
  return el("section", {id: "transfer"}, el("label", {}, t("to"), to), el("div", {class: "buttons"},
    el("button", {id: "transfer-blind", onclick: () => callAction("transfer", destination())}, t("transfer")),
    el("button", {id: "transfer-consult", onclick: () => callAction("consult", destination())}, t("consult"))));
}

// Send the caller a picture or PDF: a file, or one of the configured documents, and a few words before the link.
// Kept across snapshots, like the transfer, so a chosen file is not lost.
function documentSection(library) {
  const file = el("input", {id: "document-file", type: "file",
                            accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf"});
  const text = el("input", {id: "document-text", maxlength: "200", placeholder: t("documentText")});
  const saved = el("select", {id: "document-pick"}, el("option", {value: ""}, "—"),
                   ...library.map((name) => el("option", {value: name}, name)));
  const outcome = el("div", {id: "document-outcome"});
  const send = async () => {
    const form = new FormData();
    form.append("text", text.value);
    if (saved.value) form.append("document", saved.value);
    else if (file.files.length) form.append("file", file.files[0]);
    else return;
    const reply = await fetch(`/api/calls/${encodeURIComponent(parts.callUuid)}/document`,
                              {method: "POST", body: form, credentials: "same-origin", headers: {"X-CSRF-Token": csrf}});
    const found = await reply.json();
    if (!reply.ok) { showError(`${t("refused")}: ${found.message || reply.status}`); return; }
    replace(outcome, found.sent ? `${t("documentSent")}: ${found.name}` : `${t("documentNotSent")}: ${found.reason}`);
    if (found.sent) { file.value = ""; text.value = ""; saved.value = ""; }
  };
  return el("section", {id: "document"}, el("h3", {}, t("sendDocument")), text,
    el("div", {class: "buttons"}, file, library.length ? el("label", {}, t("pickDocument"), " ", saved) : null,
       el("button", {id: "document-send", onclick: send}, t("send"))), outcome);
}

function previewSection(campaigns) {
  const shown = el("div", {id: "lead"});
  const show = (found) => {
    lead = found;
    replace(shown, lead ? `${t("lead")}: ${lead.phone}${lead.name ? ` — ${lead.name}` : ""}` : "");
  };
  const run = (campaign, action) => api("POST", `/api/campaigns/${encodeURIComponent(campaign)}/${action}`,
                                        {agent: agentId}).then(show);
  return el("section", {id: "preview"}, el("h2", {}, t("preview")),
    ...campaigns.map((campaign) => el("div", {class: "buttons"}, el("strong", {}, campaign),
      el("button", {id: `next-${campaign}`, onclick: () => run(campaign, "preview")}, t("nextLead")),
      el("button", {id: `dial-${campaign}`, onclick: () => run(campaign, "dial")}, t("dial")),
      el("button", {id: `skip-${campaign}`, onclick: () => run(campaign, "skip").then(() => show(null))},
         t("skip")))), shown);
}

// The after-call disposition: offered for the last call whose queue has dispositions, during it and after it
// (in wrap-up and until the next call), so the agent can set it when the card is gone.
let lastCall = null;

function dispositionSection() {
  if (!lastCall) return el("section", {id: "after-call", hidden: ""});
  const choices = el("select", {id: "disposition"},
                     ...lastCall.choices.map((choice) => el("option",
                       choice === lastCall.saved ? {value: choice, selected: ""} : {value: choice}, choice)));
  const call = lastCall;
  const save = () => api("POST", `/api/agents/${encodeURIComponent(agentId)}/disposition`,
                         {call: call.uuid, disposition: choices.value})
    .then((done) => { call.saved = done.disposition; replace(parts.disposition, dispositionSection()); });
  return el("section", {id: "after-call"}, el("h2", {}, t("disposition")),
    el("div", {class: "buttons"}, choices, el("button", {id: "dispose", onclick: save}, t("save"))),
    el("div", {id: "disposition-saved"}, call.saved ? `${t("saved")}: ${call.saved}` : ""));
}

const parts = {};

function render(desk, me) {
  if (desk.kind !== "desk") { location.href = `/wallboard${location.search}`; return; }
  const main = document.getElementById("main");
  if (!parts.transfer) {
    agentId = me.agent;
    parts.state = el("div");
    parts.card = el("div");
    parts.controls = el("div");
    parts.transfer = transferSection();
    parts.disposition = el("div");
    parts.document = desk.documents ? documentSection(desk.documents) : el("div");
    parts.preview = desk.preview_campaigns.length ? previewSection(desk.preview_campaigns) : null;
    replace(main, parts.state, el("div", {class: "call"}, parts.card, parts.controls, parts.transfer,
                                  parts.document, parts.disposition), parts.preview);
  }
  const chats = chatPanel(agentId, desk.chat, desk.timezone);  // once the agent takes chats (a reload may say so)
  if (chats && !chats.isConnected) main.append(chats);
  const call = desk.call;
  replace(parts.state, stateSection(desk));
  replace(parts.card, cardSection(call, desk.timezone));  // times in the contact centre's configured zone
  replace(parts.controls, controlsSection(call));
  parts.transfer.hidden = !(call && call.connected);
  parts.document.hidden = !(call && call.connected);
  parts.callUuid = call ? call.uuid : null;
  if (call && call.connected && call.dispositions.length && (!lastCall || lastCall.uuid !== call.uuid)) {
    lastCall = {uuid: call.uuid, choices: call.dispositions, saved: null};  // redrawn only when the call changes:
    replace(parts.disposition, dispositionSection());                       // the agent's choice stays selected
  }
}

document.getElementById("title").textContent = t("desk");
start("desk", render);
