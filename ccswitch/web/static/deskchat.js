// The agent desktop's chats: one list with unread counts, offers to accept or decline, the open conversation's
// transcript (the bot's part included) and its customer's previous contacts across channels, answering in place
// with quick replies and files, transfer, close with a disposition.
//
// Theory of operation: the list (when the stream opens or reopens) and a transcript (when opened) are read from
// the chat routes (/api/agents/<agent>/chats…), then kept current by the agent's own stream (…/chats/events): an
// "offer" adds a conversation, a "message" lands in the open transcript or counts as unread, "connected" makes an
// offer active, "withdrawn" / "requeued" / "transferred" / "ended" take it off the list. A message the stream sends
// twice (after a reconnection) is kept once, by its seq. Customer text only ever reaches the page as text nodes.
"use strict";

const chatDesk = {agent: null, settings: null, timezone: undefined, chats: new Map(), open: null, parts: null,
                  typingUntil: 0};

function chatPath(suffix = "") {
  return `/api/agents/${encodeURIComponent(chatDesk.agent)}/chats${suffix}`;
}

function conversationPath(id, suffix = "") {
  return chatPath(`/${encodeURIComponent(id)}${suffix}`);
}

// Called by the desk on each snapshot with the agent's chat settings (null: they take no chats): the panel, built
// by the first snapshot that has settings.
function chatPanel(agent, settings, timeZone) {
  chatDesk.timezone = timeZone;
  if (settings) chatDesk.settings = settings;
  if (chatDesk.parts || !settings) return chatDesk.parts ? chatDesk.parts.section : null;
  chatDesk.agent = agent;
  const parts = {list: el("ul", {id: "chat-list"}), view: el("div", {id: "chat-view"})};
  parts.section = el("section", {id: "chats"}, el("h2", {}, t("chats")), parts.list, parts.view);
  chatDesk.parts = parts;
  const source = new EventSource(chatPath("/events"));
  source.onopen = readList;  // at first and after each reconnection: what happened meanwhile is in the list
  for (const kind of ["offer", "message", "typing", "connected", "withdrawn", "requeued", "transferred", "ended"]) {
    source.addEventListener(kind, (event) => chatNews(kind, JSON.parse(event.data)));
  }
  return parts.section;
}

// The list as the server has it, keeping the unread counts and the offers the stream brought during the read.
function readList() {
  const asked = Date.now();
  api("GET", chatPath()).then((found) => {
    const before = chatDesk.chats;
    const unread = (id) => (before.get(id) || {}).unread || 0;
    chatDesk.chats = new Map(found.map((chat) => [chat.id, {...chat, unread: unread(chat.id)}]));
    for (const [id, chat] of before) {
      if (chat.offeredAt > asked && !chatDesk.chats.has(id)) chatDesk.chats.set(id, chat);
    }
    drawList();
  });
}

function chatNews(kind, data) {
  const chat = chatDesk.chats.get(data.id);
  if (kind === "offer") {
    chatDesk.chats.set(data.id, {...(chat || {unread: 0}), id: data.id, status: "offered", customer: data.customer,
                                 topic: data.topic, queue: data.queue, offeredAt: Date.now()});
  } else if (kind === "connected" && chat) {
    chat.status = "active";
  } else if (["withdrawn", "requeued", "transferred", "ended"].includes(kind)) {
    chatDesk.chats.delete(data.id);
    if (chatDesk.open && chatDesk.open.id === data.id) closeView();
  } else if (kind === "message" && chat) {
    if (chatDesk.open && chatDesk.open.id === data.id) addMessage(data);
    else if (data.sender === "customer") chat.unread += 1;
  } else if (kind === "typing" && chatDesk.open && chatDesk.open.id === data.id) {
    chatDesk.parts.typing.textContent = t("typing");
    setTimeout(() => { if (chatDesk.parts.typing) chatDesk.parts.typing.textContent = ""; }, 4000);
  }
  drawList();
}

function customerName(customer) {
  return customer.name || customer.email || customer.phone || "?";
}

function drawList() {
  const items = [...chatDesk.chats.values()].map((chat) => {
    const offered = chat.status === "offered";
    const unread = chat.unread ? el("span", {class: "badge unread", id: `unread-${chat.id}`}, chat.unread) : null;
    const buttons = offered
      ? el("span", {class: "buttons"},
          el("button", {id: `accept-${chat.id}`, onclick: () => chatAct(chat.id, "accept")}, t("accept")),
          el("button", {id: `decline-${chat.id}`, onclick: () => chatAct(chat.id, "decline")}, t("decline")))
      : null;
    const opened = chatDesk.open && chatDesk.open.id === chat.id;
    return el("li", {id: `chat-${chat.id}`, class: `${offered ? "offered" : "active"}${opened ? " open" : ""}`},
      el("button", {class: "link", id: `open-${chat.id}`, onclick: () => openChat(chat.id)},
         customerName(chat.customer), " · ", chat.topic || chat.queue),
      offered ? el("span", {class: "badge"}, t("offer")) : null, unread, buttons);
  });
  replace(chatDesk.parts.list, ...(items.length ? items : [el("li", {class: "empty"}, t("noChats"))]));
}

function chatAct(id, action, body) {
  return api("POST", conversationPath(id, `/${action}`), body).then((status) => {
    const chat = chatDesk.chats.get(id);
    if (action === "accept" && chat) { chat.status = "active"; openChat(id); }
    if (["decline", "close", "transfer"].includes(action)) {
      chatDesk.chats.delete(id);
      if (chatDesk.open && chatDesk.open.id === id) closeView();
    }
    drawList();
    return status;
  });
}

function closeView() {
  chatDesk.open = null;
  replace(chatDesk.parts.view);
}

// Messages the stream brings while the transcript is being read are kept aside and added after it (once each).
async function openChat(id) {
  const open = {id, seen: new Set(), early: [], transcript: null, queue: null};
  chatDesk.open = open;
  const conversation = await api("GET", conversationPath(id));
  if (chatDesk.open !== open) return;  // another conversation was opened meanwhile
  const chat = chatDesk.chats.get(id);
  if (chat) chat.unread = 0;
  open.queue = conversation.queue;
  open.transcript = el("div", {id: "transcript", role: "log"});
  const parts = chatDesk.parts;
  parts.typing = el("div", {id: "chat-typing", class: "muted"});
  const active = chat && chat.status === "active";  // an offer shows its transcript; answering comes with accepting
  replace(parts.view, customerCard(conversation), open.transcript, parts.typing,
          active ? composer(id) : null, active ? chatControls(id, conversation.queue) : null);
  for (const message of [...conversation.messages, ...open.early]) addMessage(message);
  drawList();
}

function customerCard(conversation) {
  const customer = conversation.customer;
  const previous = el("ul", {id: "chat-previous"});
  const query = new URLSearchParams(Object.entries({phone: customer.phone, email: customer.email})
                                          .filter(([, value]) => value));
  if (query.toString()) {
    api("GET", `/api/customers/history?${query}`).then((items) => {
      const earlier = items.filter((item) => item.ref !== conversation.id);
      const timeZone = chatDesk.timezone;
      replace(previous, ...(earlier.length ? earlier.map((item) => el("li", {},
        `${new Date(item.started_at * 1000).toLocaleString(lang, {timeZone})} · ${item.channel} · `
        + `${item.queue || "-"} · ${item.agent || "-"} · ${item.outcome || "-"}`)) : [el("li", {}, t("none"))]));
    });
  }
  return el("div", {id: "chat-card"},
    el("h3", {}, customerName(customer)),
    field("email", customer.email || "-", "chat-email"), field("phone", customer.phone || "-", "chat-phone"),
    field("topic", conversation.topic || "-", "chat-topic"), field("queue", conversation.queue, "chat-queue"),
    el("h3", {}, t("previous")), previous);
}

function addMessage(message) {
  const open = chatDesk.open;
  if (!open) return;
  if (!open.transcript) { open.early.push(message); return; }
  if (open.seen.has(message.seq)) return;
  open.seen.add(message.seq);
  const attachment = message.attachment
    ? el("a", {href: conversationPath(open.id, `/attachments/${encodeURIComponent(message.attachment.id)}`),
               target: "_blank", rel: "noopener", class: "attachment"},
         `${message.attachment.name} (${Math.ceil(message.attachment.size / 1024)} KB)`)
    : null;
  const author = message.sender === "system" ? "" : `${message.author || t(message.sender)}: `;
  open.transcript.append(el("div", {class: `message ${message.sender}`},
    el("span", {class: "author"}, author), message.text, attachment));
  open.transcript.scrollTop = open.transcript.scrollHeight;
}

function composer(id) {
  const text = el("textarea", {id: "chat-text", rows: "2"});
  text.addEventListener("input", () => {  // the customer sees "typing…" for a few seconds, said at most that often
    if (Date.now() > chatDesk.typingUntil) {
      chatDesk.typingUntil = Date.now() + 3000;
      api("POST", conversationPath(id, "/typing")).catch(() => {});
    }
  });
  const send = () => {
    if (!text.value.trim()) return;
    api("POST", conversationPath(id, "/messages"), {text: text.value}).then((message) => {
      text.value = "";
      addMessage(message);
    });
  };
  const file = el("input", {id: "chat-file", type: "file", accept: "image/*,application/pdf"});
  file.addEventListener("change", () => upload(id, file));
  const queue = chatDesk.settings.queues[chatDesk.open.queue];
  const quick = queue && queue.quick_replies.length
    ? el("div", {id: "quick-replies", class: "buttons"}, ...queue.quick_replies.map((reply, n) =>
        el("button", {id: `quick-${n}`, class: "quick", onclick: () => { text.value = reply; text.focus(); }},
           reply)))
    : null;
  return el("div", {id: "composer"}, quick, text,
    el("div", {class: "buttons"}, el("button", {id: "chat-send", onclick: send}, t("send")),
       el("label", {class: "file"}, t("attach"), " ", file)));
}

async function upload(id, input) {
  if (!input.files.length) return;
  const form = new FormData();
  form.append("file", input.files[0]);
  const reply = await fetch(conversationPath(id, "/attachments"),
                            {method: "POST", body: form, credentials: "same-origin", headers: {"X-CSRF-Token": csrf}});
  const found = await reply.json();
  input.value = "";
  if (!reply.ok) showError(`${t("refused")}: ${found.message || reply.status}`);
  else addMessage(found);
}

function chatControls(id, queueName) {
  const queue = chatDesk.settings.queues[queueName] || {dispositions: []};
  const toQueue = el("select", {id: "chat-transfer-queue"},
                     ...chatDesk.settings.transfer_queues.map((name) => el("option", {value: name}, name)));
  const toAgent = el("input", {id: "chat-transfer-agent", placeholder: "1002", size: "6"});
  const disposition = queue.dispositions.length
    ? el("select", {id: "chat-disposition"}, ...queue.dispositions.map((name) => el("option", {value: name}, name)))
    : null;
  return el("div", {id: "chat-controls"},
    el("div", {class: "buttons"}, t("transfer"), " ", toQueue,
       el("button", {id: "chat-transfer-to-queue", onclick: () => chatAct(id, "transfer", {queue: toQueue.value})},
          t("queue")),
       toAgent,
       el("button", {id: "chat-transfer-to-agent", onclick: () => chatAct(id, "transfer", {agent: toAgent.value})},
          t("agent"))),
    el("div", {class: "buttons"}, disposition,
       el("button", {id: "chat-close", onclick: () => chatAct(id, "close",
                                                             disposition ? {disposition: disposition.value} : {})},
          t("closeChat"))));
}
