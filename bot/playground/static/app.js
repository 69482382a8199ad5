// The playground page: shows every chat, sends what you type or tap as one of the people.
// Everything from the bot is put in the page as text (textContent), never as HTML.
"use strict";

const LABELS = {
  en: {
    title: "Vertaisbot playground",
    pageLanguage: "Page language",
    localOnly: "Everything runs only on this computer ({address}). Nothing is sent to Telegram, and everything is forgotten when the playground stops.",
    intro: "This is the real bot with four made-up people. Type or tap buttons as any of them and see what each one sees.",
    botTime: "The bot's time",
    plusHour: "+1 hour",
    dayBefore: "The day before the meetup",
    nextMorning: "Next morning",
    offline: "The playground is not answering. Is it still running?",
    privateChat: "{name}: private chat with the bot",
    groupChat: "Peer group: {title}",
    staffChat: "Staff chat: {title}",
    role_member: "member",
    role_facilitator: "facilitator",
    role_admin: "organisation admin",
    botLanguage: "The bot speaks {language}",
    status_member: "in the group",
    status_left: "not in the group",
    status_requested: "has asked to join",
    status_restricted: "in the group, cannot write yet",
    status_kicked: "removed from the group",
    status_administrator: "group admin",
    status_creator: "group owner",
    askToJoin: "Ask to join the group (invite link)",
    leaveGroup: "Leave the group",
    writeAs: "You are:",
    send: "Send",
    placeholder: "Write a message or a command, e.g. /help",
    reply: "Reply",
    replyingTo: "Replying to: {text}",
    cancel: "Cancel",
    empty: "No messages yet.",
    joined: "{name} joined the group",
    left: "{name} left the group",
    pinned: "{name} pinned a message",
    topic: "{name} created a topic",
    edited: "edited",
    pinnedMark: "📌 pinned",
    download: "Download {name}",
    movingTime: "Moving the time and running the bot's scheduled jobs…",
    timeMoved: "Time moved.",
    externalLink: "This link would open Telegram, so the playground does not follow it.",
    lang_fi: "Finnish", lang_sv: "Swedish", lang_se: "Northern Sámi", lang_en: "English",
    "person_member-a": "Member A", "person_member-b": "Member B",
    person_facilitator: "Facilitator", person_admin: "Admin",
  },
  fi: {
    title: "Vertaisbotin kokeilu",
    pageLanguage: "Sivun kieli",
    localOnly: "Kaikki toimii vain tällä tietokoneella ({address}). Mitään ei lähetetä Telegramiin, ja kaikki unohtuu, kun kokeilu suljetaan.",
    intro: "Tässä on oikea botti ja neljä kuviteltua ihmistä. Kirjoita tai paina painikkeita kenenä tahansa heistä ja katso, mitä kukin näkee.",
    botTime: "Botin aika",
    plusHour: "+1 tunti",
    dayBefore: "Tapaamista edeltävä päivä",
    nextMorning: "Seuraava aamu",
    offline: "Kokeilu ei vastaa. Onko se vielä käynnissä?",
    privateChat: "{name}: yksityinen keskustelu botin kanssa",
    groupChat: "Vertaisryhmä: {title}",
    staffChat: "Ohjaajien ryhmä: {title}",
    role_member: "jäsen",
    role_facilitator: "ohjaaja",
    role_admin: "organisaation ylläpitäjä",
    botLanguage: "Botti puhuu: {language}",
    status_member: "ryhmässä",
    status_left: "ei ryhmässä",
    status_requested: "pyytänyt pääsyä ryhmään",
    status_restricted: "ryhmässä, ei voi vielä kirjoittaa",
    status_kicked: "poistettu ryhmästä",
    status_administrator: "ryhmän ylläpitäjä",
    status_creator: "ryhmän omistaja",
    askToJoin: "Pyydä pääsyä ryhmään (kutsulinkki)",
    leaveGroup: "Poistu ryhmästä",
    writeAs: "Olet:",
    send: "Lähetä",
    placeholder: "Kirjoita viesti tai komento, esim. /help",
    reply: "Vastaa",
    replyingTo: "Vastaat viestiin: {text}",
    cancel: "Peru",
    empty: "Ei vielä viestejä.",
    joined: "{name} liittyi ryhmään",
    left: "{name} poistui ryhmästä",
    pinned: "{name} kiinnitti viestin",
    topic: "{name} loi aiheen",
    edited: "muokattu",
    pinnedMark: "📌 kiinnitetty",
    download: "Lataa {name}",
    movingTime: "Siirretään aikaa ja ajetaan botin ajastetut tehtävät…",
    timeMoved: "Aika siirretty.",
    externalLink: "Tämä linkki avaisi Telegramin, joten kokeilussa sitä ei avata.",
    lang_fi: "suomea", lang_sv: "ruotsia", lang_se: "pohjoissaamea", lang_en: "englantia",
    "person_member-a": "Jäsen A", "person_member-b": "Jäsen B",
    person_facilitator: "Ohjaaja", person_admin: "Ylläpitäjä",
  },
  sv: {
    title: "Prova Vertaisbot",
    pageLanguage: "Sidans språk",
    localOnly: "Allt körs bara på den här datorn ({address}). Inget skickas till Telegram, och allt glöms när provet stängs.",
    intro: "Här finns den riktiga botten och fyra påhittade personer. Skriv eller tryck på knappar som vem som helst av dem och se vad var och en ser.",
    botTime: "Bottens tid",
    plusHour: "+1 timme",
    dayBefore: "Dagen före träffen",
    nextMorning: "Nästa morgon",
    offline: "Provet svarar inte. Körs det fortfarande?",
    privateChat: "{name}: privat chatt med botten",
    groupChat: "Kamratgrupp: {title}",
    staffChat: "Handledarnas grupp: {title}",
    role_member: "medlem",
    role_facilitator: "handledare",
    role_admin: "organisationens administratör",
    botLanguage: "Botten talar {language}",
    status_member: "i gruppen",
    status_left: "inte i gruppen",
    status_requested: "har bett att få gå med",
    status_restricted: "i gruppen, kan inte skriva ännu",
    status_kicked: "borttagen ur gruppen",
    status_administrator: "gruppens administratör",
    status_creator: "gruppens ägare",
    askToJoin: "Be att få gå med i gruppen (inbjudningslänk)",
    leaveGroup: "Lämna gruppen",
    writeAs: "Du är:",
    send: "Skicka",
    placeholder: "Skriv ett meddelande eller ett kommando, t.ex. /help",
    reply: "Svara",
    replyingTo: "Du svarar på: {text}",
    cancel: "Avbryt",
    empty: "Inga meddelanden ännu.",
    joined: "{name} gick med i gruppen",
    left: "{name} lämnade gruppen",
    pinned: "{name} fäste ett meddelande",
    topic: "{name} skapade ett ämne",
    edited: "redigerat",
    pinnedMark: "📌 fäst",
    download: "Ladda ner {name}",
    movingTime: "Flyttar tiden och kör bottens schemalagda uppgifter…",
    timeMoved: "Tiden har flyttats.",
    externalLink: "Den här länken skulle öppna Telegram, så den öppnas inte här.",
    lang_fi: "finska", lang_sv: "svenska", lang_se: "nordsamiska", lang_en: "engelska",
    "person_member-a": "Medlem A", "person_member-b": "Medlem B",
    person_facilitator: "Handledare", person_admin: "Administratör",
  },
  // Northern Sámi labels wait for a native speaker's review.
  se: {
    title: "Geahččal Vertaisbot",
    pageLanguage: "Siiddu giella",
    localOnly: "Buot doaibmá dušše dán dihtoris ({address}). Mihkkege ii sáddejuvvo Telegramii, ja buot vajálduvvo go geahččaleapmi heaittihuvvo.",
    intro: "Dás lea duohta bot ja njeallje jurddašuvvon olbmo. Čále dahje deaddil boaluid geasa beare sis ja geahča maid juohkehaš oaidná.",
    botTime: "Bota áigi",
    plusHour: "+1 diibmu",
    dayBefore: "Deaivvadeami ovddit beaivi",
    nextMorning: "Boahtte iđit",
    offline: "Geahččaleapmi ii vástit. Doaibmágo dat ain?",
    privateChat: "{name}: priváhta ságastallan bottain",
    groupChat: "Joavku: {title}",
    staffChat: "Bagadalliid joavku: {title}",
    role_member: "miellahttu",
    role_facilitator: "bagadalli",
    role_admin: "organisašuvnna administráhtor",
    botLanguage: "Bot hállá: {language}",
    status_member: "joavkkus",
    status_left: "ii leat joavkkus",
    status_requested: "lea bivdán searvat",
    status_restricted: "joavkkus, ii sáhte vel čállit",
    status_kicked: "sihkkojuvvon joavkkus",
    status_administrator: "joavkku administráhtor",
    status_creator: "joavkku eaiggát",
    askToJoin: "Bivdde searvat joavkku (bovdejumi liŋka)",
    leaveGroup: "Guođe joavkku",
    writeAs: "Don leat:",
    send: "Sádde",
    placeholder: "Čále dieđu dahje gohččuma, omd. /help",
    reply: "Vástit",
    replyingTo: "Vástidat dieđu: {text}",
    cancel: "Gaskkalduhte",
    empty: "Ii vel leat dieđut.",
    joined: "{name} searvvai joavkku",
    left: "{name} guđii joavkku",
    pinned: "{name} giddii dieđu",
    topic: "{name} ráhkadii fáttá",
    edited: "rievdaduvvon",
    pinnedMark: "📌 giddejuvvon",
    download: "Viečča {name}",
    movingTime: "Sirdá áiggi ja vuojeha bota plánejuvvon bargguid…",
    timeMoved: "Áigi sirdojuvvui.",
    externalLink: "Dát liŋka rahpá Telegrama, nu ahte dat ii rahpasa dás.",
    lang_fi: "suomagiela", lang_sv: "ruoŧagiela", lang_se: "davvisámegiela", lang_en: "eaŋgalsgiela",
    "person_member-a": "Miellahttu A", "person_member-b": "Miellahttu B",
    person_facilitator: "Bagadalli", person_admin: "Administráhtor",
  },
};
const LOCALES = { fi: "fi-FI", sv: "sv-FI", se: "se-FI", en: "en-GB" };

const page = {
  language: pickLanguage(),
  state: null,
  version: "",
  panels: new Map(), // chat id -> panel record
  active: null, // chat id shown on a phone-sized window
  seenNotices: -1,
};

function pickLanguage() {
  const saved = localStorage.getItem("playground-language");
  if (saved && LABELS[saved]) return saved;
  const browser = (navigator.language || "").slice(0, 2);
  return LABELS[browser] ? browser : "en";
}

function label(key, values = {}) {
  const text = LABELS[page.language][key] ?? LABELS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function personName(key, fallback) {
  return key ? label(`person_${key}`) : fallback;
}

function formatTime(seconds) {
  const zone = page.state ? page.state.zone : undefined;
  const options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: zone };
  try {
    return new Intl.DateTimeFormat(LOCALES[page.language], options).format(new Date(seconds * 1000));
  } catch {
    return new Intl.DateTimeFormat("fi-FI", options).format(new Date(seconds * 1000));
  }
}

// --- talking to the playground ---------------------------------------------------------------

async function post(path, body, panel) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: response.statusText }));
  if (!answer.ok && panel) showNotice(panel, answer.error || "error", true);
  return answer;
}

async function follow() {
  for (;;) {
    try {
      const response = await fetch(`/api/state?seen=${encodeURIComponent(page.version)}`);
      if (!response.ok) throw new Error(response.statusText);
      const state = await response.json();
      document.getElementById("offline").hidden = true;
      page.state = state;
      page.version = state.version;
      render();
    } catch {
      document.getElementById("offline").hidden = false;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

// --- drawing ------------------------------------------------------------------------------

function render() {
  const state = page.state;
  if (!state) return;
  applyLabels();
  document.getElementById("clock-now").textContent = formatTime(state.now);
  if (page.active === null) page.active = state.chats[0].id;
  for (const chat of state.chats) {
    const panel = page.panels.get(chat.id) || createPanel(chat);
    updatePanel(panel, chat);
  }
  renderTabs();
  renderNotices(state.notices);
}

function applyLabels() {
  document.documentElement.lang = page.language;
  document.title = label("title");
  for (const node of document.querySelectorAll("[data-label]")) {
    const address = page.state ? page.state.address : "127.0.0.1";
    node.textContent = label(node.dataset.label, { address });
  }
  document.getElementById("page-language").value = page.language;
}

function chatTitle(chat) {
  if (chat.kind === "private") return label("privateChat", { name: personName(chat.owner, chat.title) });
  return label(chat.kind === "group" ? "groupChat" : "staffChat", { title: chat.title });
}

function createPanel(chat) {
  const key = chat.kind === "private" ? `private:${chat.owner}` : chat.kind;
  const panel = { chat, key, replyTo: null, count: 0, unread: 0 };
  panel.title = element("h2");
  panel.meta = element("p", { class: "meta" });
  panel.actions = element("div", { class: "actions" });
  panel.list = element("ol", { class: "messages", "aria-live": "polite" });
  panel.notice = element("p", { class: "notice", role: "status" });
  panel.as = element("select", { "aria-label": "person", "data-testid": "write-as" });
  panel.replying = element("div", { class: "replying", hidden: true });
  panel.input = element("textarea", { rows: "2" });
  panel.send = element("button", { type: "submit" });
  panel.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      panel.form.requestSubmit();
    }
  });
  panel.asRow = element("label", { class: "as" }, element("span"), panel.as);
  panel.asRow.hidden = chat.kind === "private";
  panel.form = element(
    "form",
    { class: "composer", onsubmit: (event) => { event.preventDefault(); sendText(panel); } },
    panel.asRow,
    panel.replying,
    element("div", { class: "send-row" }, panel.input, panel.send),
  );
  panel.section = element(
    "section",
    { class: "chat", "data-chat": key, "aria-label": chat.title },
    element("header", {}, panel.title, panel.meta, panel.actions),
    panel.list,
    panel.notice,
    panel.form,
  );
  document.getElementById("chats").append(panel.section);
  page.panels.set(chat.id, panel);
  return panel;
}

function actingPerson(panel) {
  return panel.chat.kind === "private" ? panel.chat.owner : panel.as.value;
}

function updatePanel(panel, chat) {
  panel.chat = chat;
  panel.title.textContent = chatTitle(chat);
  panel.input.placeholder = label("placeholder");
  panel.send.textContent = label("send");
  panel.asRow.firstChild.textContent = label("writeAs");
  updateWriteAs(panel, chat);
  updateMeta(panel, chat);
  drawMessages(panel, chat);
  drawReplying(panel);
  panel.section.classList.toggle("active", page.active === chat.id);
}

function updateWriteAs(panel, chat) {
  if (chat.kind === "private") return;
  const chosen = panel.as.value;
  panel.as.replaceChildren(
    ...chat.present.map((key) => element("option", { value: key, text: personName(key, key) })),
  );
  const fallback = chat.kind === "staff" ? "facilitator" : chat.present[0];
  panel.as.value = chat.present.includes(chosen) ? chosen : fallback;
}

function updateMeta(panel, chat) {
  panel.actions.replaceChildren();
  if (chat.kind !== "private") {
    panel.meta.textContent = chat.present.map((key) => personName(key, key)).join(", ");
    return;
  }
  const person = page.state.personas.find((p) => p.key === chat.owner);
  const status = person.requested ? "requested" : person.group;
  panel.meta.textContent = [
    label(`role_${person.role}`),
    label("botLanguage", { language: label(`lang_${person.language}`) }),
    label(`status_${status}`),
  ].join(" · ");
  if (["left", "kicked"].includes(person.group) && !person.requested) {
    panel.actions.append(element("button", {
      type: "button", "data-action": "join", text: label("askToJoin"),
      onclick: () => post("/api/join", { person: person.key }, panel),
    }));
  }
  if (["member", "restricted"].includes(person.group)) {
    panel.actions.append(element("button", {
      type: "button", "data-action": "leave", text: label("leaveGroup"),
      onclick: () => post("/api/leave", { person: person.key }, panel),
    }));
  }
}

function drawMessages(panel, chat) {
  const list = panel.list;
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 30;
  if (chat.messages.length === 0) {
    list.replaceChildren(element("li", { class: "empty", text: label("empty") }));
  } else {
    list.replaceChildren(...chat.messages.map((message) => drawMessage(panel, message)));
  }
  const last = chat.messages.length ? chat.messages[chat.messages.length - 1].id : 0;
  if (last > panel.count && page.active !== chat.id) panel.unread += 1;
  panel.count = last;
  if (atBottom || panel.firstDraw !== false) list.scrollTop = list.scrollHeight;
  panel.firstDraw = false;
}

function drawMessage(panel, message) {
  const sender = message.from;
  const name = sender.bot ? "Vertaisbot" : personName(sender.persona, sender.name);
  if (message.service) {
    return element("li", { class: "msg service", text: label(message.service, { name }) });
  }
  const item = element("li", {
    class: sender.bot ? "msg bot" : "msg person",
    "data-from": sender.bot ? "bot" : sender.persona || "other",
    "data-id": String(message.id),
  });
  const head = element("div", { class: "head" },
    element("span", { class: "who", text: name }),
    element("time", { text: formatTime(message.date) }),
    message.edited ? element("span", { text: label("edited") }) : null,
    message.pinned ? element("span", { text: label("pinnedMark") }) : null,
  );
  item.append(head);
  if (message.reply_to) {
    const who = message.reply_to.name;
    item.append(element("div", { class: "quote", text: `${who}: ${message.reply_to.text}` }));
  }
  item.append(drawText(panel, message));
  if (message.document) {
    item.append(element("a", {
      class: "document", href: message.document.url, download: message.document.name,
      text: `📎 ${label("download", { name: message.document.name })}`,
    }));
  }
  if (message.buttons.length) item.append(drawKeyboard(panel, message));
  item.append(element("button", {
    type: "button", class: "reply-link", text: `↩ ${label("reply")}`,
    onclick: () => { panel.replyTo = message; drawReplying(panel); panel.input.focus(); },
  }));
  return item;
}

// Link entities (text_link, url) become links; offsets count UTF-16 units, like JS strings.
function drawText(panel, message) {
  const node = element("div", { class: "text" });
  const text = message.text;
  let at = 0;
  for (const link of [...message.links].sort((a, b) => a.offset - b.offset)) {
    if (link.offset < at) continue;
    node.append(text.slice(at, link.offset));
    const shown = text.slice(link.offset, link.offset + link.length);
    const url = link.url || shown;
    node.append(element("a", {
      href: url, text: shown,
      onclick: (event) => { event.preventDefault(); openLink(panel, url); },
    }));
    at = link.offset + link.length;
  }
  node.append(text.slice(at));
  return node;
}

function drawKeyboard(panel, message) {
  const keyboard = element("div", { class: "keyboard" });
  for (const row of message.buttons) {
    const line = element("div", { class: "row" });
    for (const button of row) {
      if ("data" in button) {
        line.append(element("button", {
          type: "button", "data-callback": button.data, text: button.text,
          onclick: () => post("/api/press", {
            person: actingPerson(panel), chat: panel.chat.id, message: message.id, data: button.data,
          }, panel),
        }));
      } else {
        line.append(element("button", {
          type: "button", class: "url", "data-url": button.url, text: button.text,
          onclick: () => openLink(panel, button.url),
        }));
      }
    }
    keyboard.append(line);
  }
  return keyboard;
}

function drawReplying(panel) {
  const message = panel.replyTo;
  panel.replying.hidden = !message;
  if (!message) return;
  const snippet = (message.text || "").slice(0, 60);
  panel.replying.replaceChildren(
    element("span", { text: label("replyingTo", { text: snippet }) }), " ",
    element("button", {
      type: "button", text: label("cancel"),
      onclick: () => { panel.replyTo = null; drawReplying(panel); },
    }),
  );
}

// t.me/<bot>?start=X opens the person's private chat with "/start X", as Telegram would.
function openLink(panel, url) {
  let parsed;
  try { parsed = new URL(url); } catch { return; }
  const bot = page.state.bot.username.toLowerCase();
  const telegram = ["t.me", "telegram.me"].includes(parsed.hostname);
  if (telegram && parsed.pathname.replace(/^\//, "").toLowerCase() === bot) {
    const person = actingPerson(panel);
    const start = parsed.searchParams.get("start");
    const own = page.state.chats.find((c) => c.kind === "private" && c.owner === person);
    post("/api/say", { person, chat: own.id, text: start ? `/start ${start}` : "/start" }, panel);
    showChat(own.id);
  } else if (telegram || !["http:", "https:"].includes(parsed.protocol)) {
    showNotice(panel, label("externalLink"), false);
  } else {
    window.open(parsed.href, "_blank", "noopener,noreferrer");
  }
}

async function sendText(panel) {
  const text = panel.input.value.trim();
  if (!text) return;
  const answer = await post("/api/say", {
    person: actingPerson(panel), chat: panel.chat.id, text,
    reply_to: panel.replyTo ? panel.replyTo.id : null,
  }, panel);
  if (answer.ok) {
    panel.input.value = "";
    panel.replyTo = null;
    drawReplying(panel);
  }
}

function showNotice(panel, text, error) {
  panel.notice.textContent = text;
  panel.notice.classList.toggle("error", Boolean(error));
}

function renderNotices(notices) {
  for (const notice of notices) {
    if (notice.n <= page.seenNotices) continue;
    const panel = page.panels.get(notice.chat);
    if (panel) showNotice(panel, `🔔 ${notice.text}`, false);
  }
  if (notices.length) page.seenNotices = Math.max(page.seenNotices, notices[notices.length - 1].n);
}

function renderTabs() {
  const tabs = document.getElementById("tabs");
  tabs.replaceChildren(...page.state.chats.map((chat) => {
    const panel = page.panels.get(chat.id);
    const title = chat.kind === "private" ? personName(chat.owner, chat.title) : chatTitle(chat);
    return element("button", {
      type: "button", "aria-current": String(page.active === chat.id), "data-tab": panel.key,
      onclick: () => showChat(chat.id),
    }, title, panel.unread ? element("span", { class: "badge", text: String(panel.unread) }) : null);
  }));
}

function showChat(chatId) {
  page.active = chatId;
  const panel = page.panels.get(chatId);
  panel.unread = 0;
  for (const [id, other] of page.panels) other.section.classList.toggle("active", id === chatId);
  renderTabs();
  panel.section.scrollIntoView({ block: "nearest", behavior: "smooth" });
  panel.section.classList.add("flash");
  setTimeout(() => panel.section.classList.remove("flash"), 800);
}

// --- the header's controls -------------------------------------------------------------------

function setUp() {
  const chooser = document.getElementById("page-language");
  chooser.value = page.language;
  chooser.addEventListener("change", () => {
    page.language = chooser.value;
    localStorage.setItem("playground-language", page.language);
    render();
  });
  for (const button of document.querySelectorAll("[data-clock]")) {
    button.addEventListener("click", () => moveClock(button.dataset.clock));
  }
  applyLabels();
  follow();
}

async function moveClock(target) {
  const status = document.getElementById("clock-status");
  const buttons = document.querySelectorAll("[data-clock]");
  buttons.forEach((b) => { b.disabled = true; });
  status.classList.remove("error");
  status.textContent = label("movingTime");
  try {
    const answer = await post("/api/clock", { to: target });
    status.textContent = answer.ok ? label("timeMoved") : answer.error;
    status.classList.toggle("error", !answer.ok);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

document.addEventListener("DOMContentLoaded", setUp);
