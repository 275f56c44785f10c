// Shared by the agent desktop and the wallboard: words in Russian and English, the API with the session's CSRF
// token, the log-in form, the live stream. Data reaches the page only as text nodes and textContent, never parsed
// as markup.
"use strict";

const WORDS = {
  en: {
    user: "User", password: "Password", login: "Log in", logout: "Log out", wrong: "Wrong user name or password",
    state: "State", ready: "Ready", break: "Break", agentLogin: "Log in to queues", agentLogout: "Log out of queues",
    noCall: "No call", caller: "Caller", did: "Number dialled", rule: "Rule", ivr: "IVR path", queue: "Queue",
    waited: "Waited", priority: "Priority", vip: "VIP", previous: "Previous contacts", none: "none",
    hold: "Hold", unhold: "Resume", mute: "Mute", unmute: "Unmute", transfer: "Transfer", consult: "Consult",
    complete: "Complete transfer", cancel: "Cancel consult", conference: "Conference", hangup: "Hang up",
    pauseRec: "Pause recording", resumeRec: "Resume recording", to: "Extension, number or queue:",
    preview: "Preview leads", nextLead: "Next lead", dial: "Dial", skip: "Skip", lead: "Lead",
    waiting: "Waiting", longest: "Longest wait", sl: "Service level", asa: "ASA", abandon: "Abandoned",
    agents: "Agents", agent: "Agent", inState: "In state", contact: "Current contact", handled: "Handled",
    listen: "Listen", whisper: "Whisper", barge: "Barge", stop: "Stop", big: "Large screen", refused: "Refused",
    available: "available", on_break: "on break", reserved: "reserved", on_call: "on call", wrap_up: "wrap-up",
    logged_out: "logged out", ringing: "Ringing", talking: "Talking", consulting: "consulting",
    three_way: "three-way", monitoring: "Monitoring", seconds: "s", wallboard: "Wallboard", desk: "Agent desktop",
    disposition: "After-call disposition", save: "Save", saved: "Saved", signInWith: "Sign in with",
    sso: "single sign-on", noUsers: "No users are configured yet (ccswitch user add)",
    chats: "Chats", noChats: "No chats", offer: "Offer", accept: "Accept", decline: "Decline", send: "Send",
    attach: "File", closeChat: "Close chat", typing: "The customer is typing…", email: "E-mail", phone: "Phone",
    topic: "Topic", customer: "Customer", bot: "Bot", channel: "Channel", voice: "calls", chat: "chats",
    slWithin: "within", sendDocument: "Send a document", documentText: "Message to the caller",
    pickDocument: "or a saved document", documentSent: "Sent to the caller", documentNotSent: "Not sent",
    kept: "kept for campaign calls",
  },
  ru: {
    user: "Пользователь", password: "Пароль", login: "Войти", logout: "Выйти",
    wrong: "Неверное имя пользователя или пароль", state: "Статус", ready: "Готов", break: "Перерыв",
    agentLogin: "Войти в очереди", agentLogout: "Выйти из очередей", noCall: "Нет звонка", caller: "Звонящий",
    did: "Набранный номер", rule: "Правило", ivr: "Путь в IVR", queue: "Очередь", waited: "Ожидание",
    priority: "Приоритет", vip: "VIP", previous: "Прошлые обращения", none: "нет", hold: "Удержание",
    unhold: "Снять с удержания", mute: "Выключить микрофон", unmute: "Включить микрофон", transfer: "Перевести",
    consult: "Консультация", complete: "Завершить перевод", cancel: "Отменить консультацию",
    conference: "Конференция", hangup: "Завершить", pauseRec: "Пауза записи", resumeRec: "Продолжить запись",
    to: "Внутренний номер, телефон или очередь:", preview: "Обзвон с предпросмотром", nextLead: "Следующий контакт",
    dial: "Позвонить", skip: "Пропустить", lead: "Контакт", waiting: "Ждут", longest: "Дольше всех",
    sl: "Уровень сервиса", asa: "Ср. время ответа", abandon: "Потеряно", agents: "Операторы", agent: "Оператор",
    inState: "В статусе", contact: "Текущий контакт", handled: "Обработано", listen: "Слушать",
    whisper: "Суфлёр", barge: "Вмешаться", stop: "Стоп", big: "Большой экран", refused: "Отказано",
    available: "свободен", on_break: "перерыв", reserved: "зарезервирован", on_call: "разговор",
    wrap_up: "постобработка", logged_out: "не в сети", ringing: "Входящий", talking: "Разговор",
    consulting: "консультация", three_way: "конференция", monitoring: "Прослушивание", seconds: "с",
    wallboard: "Табло", desk: "Рабочее место оператора",
    disposition: "Результат обращения", save: "Сохранить", saved: "Сохранено", signInWith: "Войти через",
    sso: "единый вход (SSO)", noUsers: "Пользователи ещё не заведены (ccswitch user add)",
    chats: "Чаты", noChats: "Нет чатов", offer: "Предложен", accept: "Принять", decline: "Отклонить",
    send: "Отправить", attach: "Файл", closeChat: "Закрыть чат", typing: "Клиент печатает…", email: "Эл. почта",
    phone: "Телефон", topic: "Тема", customer: "Клиент", bot: "Бот", channel: "Канал", voice: "звонки",
    chat: "чаты", slWithin: "за", sendDocument: "Отправить документ", documentText: "Сообщение клиенту",
    pickDocument: "или готовый документ", documentSent: "Отправлено клиенту", documentNotSent: "Не отправлено",
    kept: "ждёт звонка обзвона",
  },
};

const params = new URLSearchParams(location.search);
let lang = params.get("lang") || (navigator.language || "en").slice(0, 2);
if (!(lang in WORDS)) lang = "en";
const t = (key) => WORDS[lang][key] || key;
let csrf = null;

// An element with text (never markup) and attributes; children appended in order.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function replace(parent, ...children) {
  parent.replaceChildren(...children.filter((child) => child !== null && child !== undefined));
}

async function api(method, path, body) {
  const headers = {"Content-Type": "application/json"};
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const reply = await fetch(path, {method, headers, credentials: "same-origin",
                                   body: method === "GET" ? undefined : JSON.stringify(body || {})});
  const document_ = await reply.json();
  if (!reply.ok) {
    showError(`${t("refused")}: ${document_.message || reply.status}`);
    throw new Error(document_.error);
  }
  return document_;
}

function showError(text) {
  const box = document.getElementById("error");
  box.textContent = text;
  box.hidden = false;
  setTimeout(() => { box.hidden = true; }, 5000);
}

function seconds(value) {
  const s = Math.max(0, Math.round(value || 0));
  return s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` : `${s} ${t("seconds")}`;
}

// Log in (or find the session), then follow the stream; `render` gets each snapshot. The ways to log in are the
// controller's: a password form when there are users, a link to the provider when single sign-on is configured.
async function start(title, render) {
  document.title = t(title);
  document.documentElement.lang = lang;
  const reply = await fetch("/api/session", {credentials: "same-origin"});
  if (reply.ok) {
    const me = await reply.json();
    csrf = me.csrf;
    return follow(me, render);
  }
  const methods = await (await fetch("/api/session/methods", {credentials: "same-origin"})).json();
  const sso = el("a", {id: "sso-login", class: "button", href: `/api/sso/login?next=${encodeURIComponent(location.pathname + location.search)}`},
                 `${t("signInWith")} ${methods.sso_label || t("sso")}`);
  replace(document.getElementById("main"), el("div", {id: "log-in-ways"},
    methods.password ? passwordForm(render) : null, methods.sso ? sso : null,
    methods.password || methods.sso ? null : el("p", {id: "no-users"}, t("noUsers"))));
}

function passwordForm(render) {
  const user = el("input", {id: "user", autocomplete: "username"});
  const password = el("input", {id: "password", type: "password", autocomplete: "current-password"});
  const form = el("form", {id: "login"}, el("label", {}, t("user"), user), el("label", {}, t("password"), password),
                  el("button", {id: "login-button", type: "submit"}, t("login")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const me = await api("POST", "/api/session", {user: user.value, password: password.value});
      csrf = me.csrf;
      follow(me, render);
    } catch (error) { /* said by showError */ }
  });
  return form;
}

function follow(me, render) {
  const out = el("button", {id: "logout", onclick: async () => { await api("DELETE", "/api/session"); location.reload(); }},
                 t("logout"));
  replace(document.getElementById("who"), `${me.user} (${me.agent || me.supervisor || me.role})`, " ", out);
  const source = new EventSource("/api/events");
  source.onmessage = (event) => render(JSON.parse(event.data), me);
  // The stream ends every few minutes and EventSource reconnects by itself; a session that ended meanwhile (logged
  // out elsewhere, expired, the user removed) shows the log-in form again instead of stale figures.
  source.onerror = async () => {
    if ((await fetch("/api/session", {credentials: "same-origin"})).status === 401) location.reload();
  };
}

// The page's own scripts, by its path: /desk or /wallboard (one HTML shell for both), run in this order.
const PAGE = location.pathname.replace(/^\//, "");
const SCRIPTS = {desk: ["deskchat", "desk"], wallboard: ["wallboard"]};
document.body.classList.add(PAGE);
for (const name of SCRIPTS[PAGE] || []) {
  const script = el("script", {src: `/static/${name}.js`});
  script.async = false;  // inserted scripts run as they load unless told to keep their order
  document.head.append(script);
}
