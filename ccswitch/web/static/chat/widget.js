// The ccswitch web-chat widget: one script tag on any site adds a launcher button and a chat panel.
//
//   <script src="https://contact.example.com/chat/widget.js" data-topic="sales" async></script>
//
// Theory of operation: the widget lives in a Shadow DOM of its own (the site's styles do not reach it, its styles do
// not reach the site) and talks to the controller it was loaded from (the API base is read from its own src). It
// asks GET /chat/api/topics whether anyone is there: the pre-chat form (name, e-mail or phone, topic) when so, the
// offline form otherwise. A started conversation's id and bearer token stay in localStorage, so a reload (or the
// next page of the site) resumes it and shows the history. New messages, typing and status arrive over an
// EventSource (which cannot send headers, hence ?token= on the events and attachment URLs only); when the stream
// breaks, the widget reads the conversation again and follows from the last message it has. Whatever the customer,
// the bot or the agent wrote reaches the page as text (textContent), never as markup.
// Data attributes: data-topic (the topic preselected), data-lang ("en" or "ru"; else the browser's language).
"use strict";

(() => {
  const script = document.currentScript || document.querySelector('script[src*="/chat/widget.js"]');
  if (!script || document.getElementById("ccswitch-chat")) return;  // loaded twice: one widget
  const API = new URL("api/", script.src).href;
  const STORAGE_KEY = `ccswitch-chat ${new URL(script.src).origin}`;
  const TYPING_EVERY_MS = 2000;  // the customer's typing is sent at most this often
  const TYPING_SHOWN_MS = 5000;  // the other side's typing is shown this long after their last sign
  const RECONNECT_MS = 2000;
  const MAX_RECONNECT_MS = 30000;
  // What the server accepts unless GET /chat/api/topics says otherwise; the server checks again and decides.
  const LIMITS = {max_bytes: 10 * 2 ** 20,
                  types: ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"]};

  const WORDS = {
    en: {
      launcher: "Chat with us", title: "Chat", minimise: "Minimise the chat", name: "Your name",
      email: "E-mail", phone: "Phone", topic: "Topic", start: "Start chat", needContact: "Give an e-mail or a phone",
      offlineClosed: "We are closed now. Leave a message and we will answer as soon as we open.",
      offlineAway: "Nobody can chat right now. Leave a message and we will get back to you.",
      offlineText: "Your message", sendMessage: "Send message", thanks: "Thank you! We will get back to you.",
      message: "Message", send: "Send", attach: "Attach a file", person: "Talk to a person", end: "End chat",
      newChat: "New chat", you: "You", bot: "Assistant", agent: "Agent", system: "", typing: "is typing…",
      bot_status: "You are chatting with our assistant.", queued: "Waiting for a person",
      position: "place in line", wait: "about", minutes: "min", with_agent: "You are chatting with",
      ended: "This chat has ended.", tooBig: "The file is too big: at most", mb: "MB",
      wrongType: "Only pictures (PNG, JPEG, GIF, WebP) and PDF files can be sent.", failed: "Not sent",
      messages: "Messages", unread: "new", reconnecting: "Connection lost, trying again…",
    },
    ru: {
      launcher: "Написать нам", title: "Чат", minimise: "Свернуть чат", name: "Ваше имя", email: "E-mail",
      phone: "Телефон", topic: "Тема", start: "Начать чат", needContact: "Укажите e-mail или телефон",
      offlineClosed: "Сейчас мы не работаем. Оставьте сообщение, и мы ответим, как только откроемся.",
      offlineAway: "Сейчас никто не может ответить в чате. Оставьте сообщение, и мы с вами свяжемся.",
      offlineText: "Ваше сообщение", sendMessage: "Отправить сообщение", thanks: "Спасибо! Мы с вами свяжемся.",
      message: "Сообщение", send: "Отправить", attach: "Прикрепить файл", person: "Позвать оператора",
      end: "Завершить чат", newChat: "Новый чат", you: "Вы", bot: "Помощник", agent: "Оператор", system: "",
      typing: "печатает…", bot_status: "Вы общаетесь с помощником.", queued: "Ожидание оператора",
      position: "место в очереди", wait: "примерно", minutes: "мин", with_agent: "Вы общаетесь с",
      ended: "Чат завершён.", tooBig: "Файл слишком большой: не больше", mb: "МБ",
      wrongType: "Можно отправлять только картинки (PNG, JPEG, GIF, WebP) и PDF.", failed: "Не отправлено",
      messages: "Сообщения", unread: "новых", reconnecting: "Нет связи, пробуем снова…",
    },
  };
  const asked = (script.dataset.lang || navigator.language || "en").slice(0, 2);
  const lang = asked in WORDS ? asked : "en";
  const t = (key) => WORDS[lang][key] ?? key;

  // An element with text (never markup) and attributes; children appended in order, null ones skipped.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (value !== false && value !== null) node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // --- the browser's memory: the visitor's lasting id, the conversation and whether the panel was open ---
  function remembered() {
    try { return JSON.parse(localStorage.getItem(STORAGE_KEY)) || {}; } catch { return {}; }
  }
  function remember(changes) {
    try { localStorage.setItem(STORAGE_KEY, JSON.stringify({...remembered(), ...changes})); } catch { /* private */ }
  }
  function visitor() {
    let id = remembered().visitor;
    if (!id) {
      id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
      remember({visitor: id});
    }
    return id;
  }

  // --- the API ---
  class Refused extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  async function call(method, path, body, token) {
    const headers = token ? {Authorization: `Bearer ${token}`} : {};
    let data;
    if (body instanceof FormData) data = body;
    else if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      data = JSON.stringify(body || {});
    }
    const reply = await fetch(API + path, {method, headers, body: data, credentials: "omit"});
    const text = await reply.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: said by the status */ }
    if (!reply.ok) throw new Refused(reply.status, (json && json.message) || `${reply.status} ${reply.statusText}`);
    return json;
  }
  const conversationPath = (id) => `conversations/${encodeURIComponent(id)}`;
  const withToken = (path, token) => `${API}${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;

  // --- the frame: launcher, panel, the alert line; each view replaces the panel's body ---
  const host = el("div", {id: "ccswitch-chat"});
  const root = host.attachShadow({mode: "open"});
  const launcher = el("button", {type: "button", class: "launcher", "aria-expanded": "false",
                                 "aria-controls": "panel", onclick: () => setOpen(panel.hidden)}, t("launcher"));
  const alertLine = el("div", {class: "alert", role: "alert", hidden: true});
  const body = el("div", {class: "body"});
  const panel = el("section", {id: "panel", class: "panel", role: "dialog", "aria-labelledby": "title", hidden: true,
                               tabindex: "-1",
                               onkeydown: (event) => { if (event.key === "Escape") setOpen(false, true); }},
                   el("header", {}, el("h2", {id: "title"}, t("title")),
                      el("button", {type: "button", class: "minimise", "aria-label": t("minimise"),
                                    onclick: () => setOpen(false, true)}, "–")),
                   alertLine, body);
  root.append(el("link", {rel: "stylesheet", href: new URL("widget.css", script.src).href}), panel, launcher);
  let unread = 0;

  function setOpen(open, focusLauncher = false) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    remember({open});
    if (open) {
      unread = 0;
      launcher.textContent = t("launcher");
      (body.querySelector("input, textarea, select") || panel).focus();
      if (!started) start();
    } else if (focusLauncher) launcher.focus();
  }
  function say(text) {
    alertLine.textContent = text;
    alertLine.hidden = !text;
  }
  function show(...children) {
    say("");
    body.replaceChildren(...children);
  }
  function field(label, input) {
    return el("label", {}, el("span", {}, label), input);
  }

  // --- before the chat: the pre-chat form, or the offline one when nobody is there ---
  let started = false;
  let limits = LIMITS;
  async function start() {
    started = true;
    try {
      const {id, token} = remembered();
      if (id && token && await resume(id, token)) return;
      const topics = await call("GET", "topics");
      limits = {...LIMITS, ...(topics.attachments || {})};
      if (topics.open) prechat(topics.topics);
      else offline(topics.topics, topics.reason);
    } catch (error) {
      started = false;
      say(error.message);
    }
  }

  function topicSelect(topics) {
    const wanted = script.dataset.topic;
    return el("select", {name: "topic", required: true},
              ...topics.map((topic) => el("option", {value: topic.name, selected: topic.name === wanted},
                                          topic.label || topic.name)));
  }
  function whoFields() {
    return {name: el("input", {name: "name", autocomplete: "name", required: true, maxlength: 120}),
            email: el("input", {name: "email", type: "email", autocomplete: "email", maxlength: 254}),
            phone: el("input", {name: "phone", type: "tel", autocomplete: "tel", maxlength: 32})};
  }
  function who(fields, topic) {
    return {name: fields.name.value.trim(), email: fields.email.value.trim(), phone: fields.phone.value.trim(),
            topic: topic.value};
  }
  function form(className, onsubmit, ...children) {
    return el("form", {class: className, onsubmit: async (event) => {
      event.preventDefault();
      const button = event.target.querySelector("button[type=submit]");
      button.disabled = true;
      try { await onsubmit(); } catch (error) { say(error.message); } finally { button.disabled = false; }
    }}, ...children);
  }

  function prechat(topics) {
    const fields = whoFields();
    const topic = topicSelect(topics);
    show(form("prechat", async () => {
      const customer = who(fields, topic);
      if (!customer.email && !customer.phone) {
        say(t("needContact"));
        fields.email.focus();
        return;
      }
      const opened = await call("POST", "conversations", {...customer, visitor: visitor()});
      remember({id: opened.id, token: opened.token});
      if (!await resume(opened.id, opened.token)) say(t("failed"));
    }, field(t("name"), fields.name), field(t("email"), fields.email), field(t("phone"), fields.phone),
    field(t("topic"), topic), el("button", {type: "submit", class: "primary"}, t("start"))));
    if (!panel.hidden) fields.name.focus();
  }

  function offline(topics, reason) {
    const fields = whoFields();
    const topic = topicSelect(topics);
    const text = el("textarea", {name: "text", required: true, rows: 4, maxlength: 2000});
    show(el("p", {class: "note"}, t(reason === "closed" ? "offlineClosed" : "offlineAway")),
         form("offline", async () => {
           const customer = who(fields, topic);
           if (!customer.email && !customer.phone) {
             say(t("needContact"));
             return;
           }
           await call("POST", "offline", {...customer, text: text.value.trim()});
           show(el("p", {class: "note thanks", role: "status"}, t("thanks")));
         }, field(t("name"), fields.name), field(t("email"), fields.email), field(t("phone"), fields.phone),
         field(t("topic"), topic), field(t("offlineText"), text),
         el("button", {type: "submit", class: "primary"}, t("sendMessage"))));
  }

  // --- the conversation ---
  let chat = null;  // {id, token, log, seqs, lastSeq, stream, status, agent, ...the view's elements}

  // Show the conversation and follow it; false when the server no longer knows it (the memory is dropped then).
  async function resume(id, token) {
    let conversation;
    try {
      conversation = await call("GET", conversationPath(id), undefined, token);
    } catch (error) {
      if (error instanceof Refused && [401, 403, 404].includes(error.status)) {
        remember({id: null, token: null});
        return false;
      }
      throw error;
    }
    if (!chat || chat.id !== id) conversationView(id, token);
    for (const message of conversation.messages || []) addMessage(message);
    setStatus(conversation);
    if (conversation.status !== "ended") follow();
    return true;
  }

  function conversationView(id, token) {
    const log = el("ol", {class: "log", role: "log", "aria-live": "polite", "aria-label": t("messages"),
                          tabindex: "0"});
    const status = el("p", {class: "status", role: "status"});
    const typing = el("p", {class: "typing", "aria-live": "polite", hidden: true});
    const text = el("textarea", {id: "text", name: "text", rows: 2, maxlength: 2000, oninput: sendTyping,
                                 onkeydown: (event) => {
                                   if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
                                     event.preventDefault();
                                     composer.requestSubmit();
                                   }
                                 }});
    const file = el("input", {id: "file", type: "file", class: "visually-hidden", accept: limits.types.join(","),
                              onchange: () => { if (file.files[0]) attach(file.files[0]); file.value = ""; }});
    const composer = el("form", {class: "composer", onsubmit: (event) => { event.preventDefault(); send(); }},
                        el("label", {for: "text", class: "visually-hidden"}, t("message")), text,
                        el("button", {type: "submit", class: "primary send"}, t("send")));
    const person = el("button", {type: "button", class: "person", onclick: askForPerson}, t("person"));
    const end = el("button", {type: "button", class: "end", onclick: endChat}, t("end"));
    const newChat = el("button", {type: "button", class: "new-chat primary", hidden: true, onclick: forget},
                       t("newChat"));
    const tools = el("div", {class: "tools"}, file, el("label", {for: "file", class: "button attach"}, t("attach")),
                     person, end, newChat);
    chat?.stream?.close();
    chat = {id, token, log, status, typing, text, composer, person, end, newChat, tools, seqs: new Map(),
            lastSeq: 0, stream: null, state: null, agent: null, typingSentAt: 0, typingDue: null, typingTimer: null};
    show(status, log, typing, composer, tools);
    if (!panel.hidden) text.focus();
  }

  // `live`: it came over the stream now (counted as unread while the panel is closed), not with the history.
  function addMessage(message, live = false) {
    if (!chat || chat.seqs.has(message.seq)) return;  // the stream may repeat what a reply already brought
    const item = messageItem(message);
    chat.seqs.set(message.seq, item);
    chat.lastSeq = Math.max(chat.lastSeq, message.seq);
    const later = [...chat.seqs.entries()].filter(([seq]) => seq > message.seq).sort(([a], [b]) => a - b)[0];
    chat.log.insertBefore(item, later ? later[1] : null);
    chat.log.scrollTop = chat.log.scrollHeight;
    if (message.sender !== "customer") hideTyping();
    if (live && panel.hidden && message.sender !== "customer") {
      unread += 1;
      launcher.textContent = `${t("launcher")} (${unread} ${t("unread")})`;
    }
  }

  function messageItem(message) {
    // The bot's author is its configuration key, not a name for customers; an agent's is what the service gives.
    const author = message.sender === "agent" ? (message.author || t("agent"))
      : t(message.sender === "customer" ? "you" : message.sender);
    const at = new Date(message.at * 1000).toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit"});
    return el("li", {class: `message ${message.sender}`, "data-seq": message.seq},
              el("span", {class: "meta"}, author ? `${author} · ${at}` : at),
              message.text ? el("p", {class: "text"}, message.text) : null,
              message.attachment ? attachmentLink(message.attachment) : null);
  }

  function attachmentLink(attachment) {
    const log = chat.log;  // scrolled again once a picture has its height
    const url = withToken(`${conversationPath(chat.id)}/attachments/${encodeURIComponent(attachment.id)}`,
                          chat.token);
    const size = attachment.size >= 2 ** 20 ? `${(attachment.size / 2 ** 20).toFixed(1)} MB`
      : `${Math.max(1, Math.round(attachment.size / 1024))} KB`;
    return el("a", {class: "attachment", href: url, target: "_blank", rel: "noopener noreferrer"},
              attachment.media_type.startsWith("image/")
                ? el("img", {src: url, alt: attachment.name, onload: () => { log.scrollTop = log.scrollHeight; }})
                : null,
              el("span", {}, `${attachment.name} (${size})`));
  }

  function setStatus(status) {
    chat.state = status.status;
    chat.agent = status.agent || chat.agent;
    let line = t(`${status.status}_status`);
    if (status.status === "queued") {
      line = t("queued");
      if (status.position) line += ` · ${t("position")} ${status.position}`;
      const minutes = Math.max(1, Math.round(status.expected_wait_s / 60));
      if (status.expected_wait_s) line += ` · ${t("wait")} ${minutes} ${t("minutes")}`;
    } else if (status.status === "with_agent") line = `${t("with_agent")} ${status.agent || t("agent")}.`;
    else if (status.status === "ended") line = t("ended");
    chat.status.textContent = line;
    chat.person.hidden = status.status !== "bot";
    const ended = status.status === "ended";
    for (const control of [chat.text, ...chat.composer.querySelectorAll("button"), chat.end,
                           chat.tools.querySelector("input")]) control.disabled = ended;
    chat.tools.querySelector(".attach").classList.toggle("disabled", ended);
    chat.newChat.hidden = !ended;
    if (ended) {
      chat.stream?.close();
      hideTyping();
    }
  }

  function follow() {
    chat.stream?.close();
    const stream = new EventSource(withToken(`${conversationPath(chat.id)}/events?after=${chat.lastSeq}`, chat.token));
    const mine = chat;
    chat.stream = stream;
    stream.addEventListener("message", (event) => addMessage(JSON.parse(event.data), true));
    stream.addEventListener("typing", (event) => showTyping(JSON.parse(event.data)));
    stream.addEventListener("status", (event) => setStatus(JSON.parse(event.data)));
    // EventSource would reconnect from where it first started: read the conversation again (messages missed
    // meanwhile, the status now) and follow from the last message instead.
    stream.addEventListener("error", () => {
      stream.close();
      reconnect(mine, RECONNECT_MS);
    });
  }

  // Try again after `delay`, twice as long after each failure (the controller restarting, the network gone).
  function reconnect(mine, delay) {
    setTimeout(async () => {
      if (chat !== mine || chat.state === "ended") return;
      try {
        if (await resume(mine.id, mine.token)) say("");
        else forget();
      } catch {
        say(t("reconnecting"));
        reconnect(mine, Math.min(2 * delay, MAX_RECONNECT_MS));
      }
    }, delay);
  }

  function showTyping(sign) {
    if (!chat || sign.sender === "customer") return;
    const name = sign.sender === "agent" ? (chat.agent || t("agent")) : t(sign.sender);
    chat.typing.textContent = `${name} ${t("typing")}`;
    chat.typing.hidden = false;
    clearTimeout(chat.typingTimer);
    chat.typingTimer = setTimeout(hideTyping, TYPING_SHOWN_MS);
  }
  function hideTyping() {
    if (chat) chat.typing.hidden = true;
  }

  // At most one sign every TYPING_EVERY_MS: the first key at once, the keys within the interval as one sign at its
  // end (a quick burst still shows), none once the message is sent.
  function sendTyping() {
    if (chat.typingDue) return;
    const wait = chat.typingSentAt + TYPING_EVERY_MS - Date.now();
    if (wait > 0) {
      const mine = chat;
      chat.typingDue = setTimeout(() => { mine.typingDue = null; if (chat === mine) sendTyping(); }, wait);
      return;
    }
    chat.typingSentAt = Date.now();
    call("POST", `${conversationPath(chat.id)}/typing`, {}, chat.token).catch(() => { /* only a hint */ });
  }

  async function send() {
    const text = chat.text.value.trim();
    if (!text) return;
    chat.text.value = "";
    clearTimeout(chat.typingDue);
    chat.typingDue = null;
    try {
      addMessage(await call("POST", `${conversationPath(chat.id)}/messages`, {text}, chat.token));
    } catch (error) {
      chat.text.value = text;
      say(`${t("failed")}: ${error.message}`);
    }
  }

  // A first check here, so that a customer is told at once; the server checks again and decides.
  async function attach(file) {
    if (!limits.types.includes(file.type)) return say(t("wrongType"));
    if (file.size > limits.max_bytes) return say(`${t("tooBig")} ${Math.floor(limits.max_bytes / 2 ** 20)} ${t("mb")}`);
    say("");
    const data = new FormData();
    data.append("file", file, file.name);
    try {
      addMessage(await call("POST", `${conversationPath(chat.id)}/attachments`, data, chat.token));
    } catch (error) {
      say(`${t("failed")}: ${error.message}`);
    }
  }

  async function askForPerson() {
    try {
      await call("POST", `${conversationPath(chat.id)}/person`, {}, chat.token);
      chat.person.hidden = true;
    } catch (error) {
      say(error.message);
    }
  }

  async function endChat() {
    try {
      await call("POST", `${conversationPath(chat.id)}/end`, {}, chat.token);
      setStatus({status: "ended"});
    } catch (error) {
      say(error.message);
    }
  }

  function forget() {
    chat?.stream?.close();
    chat = null;
    remember({id: null, token: null});
    started = false;
    start();
  }

  function mount() {
    document.body.append(host);
    if (remembered().open) setOpen(true);
    else if (remembered().id) start();  // follow it closed: new messages show on the launcher
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
