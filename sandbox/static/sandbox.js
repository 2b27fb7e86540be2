// The sandbox page: each phone long-polls its chat through the sandbox server and draws it.
// The server has already made every message's text safe HTML (escaped, Telegram's tags only).
"use strict";

const labels = document.body.dataset;

async function call(phone, path, options) {
  const response = await fetch(`/api/${phone.dataset.phone}/${path}`, options);
  if (!response.ok) {
    const text = await response.text();
    let reason = text;
    try {
      reason = JSON.parse(text).error || text;
    } catch (notJson) {
      // aiohttp's own refusals are plain text
    }
    throw new Error(reason);
  }
  return response.json();
}

function post(phone, path, payload) {
  const isForm = payload instanceof FormData;
  const headers = { "X-Sandbox": "1" };
  if (!isForm) {
    headers["Content-Type"] = "application/json";
  }
  return call(phone, path, {
    method: "POST",
    headers,
    body: isForm ? payload : JSON.stringify(payload),
  }).then((view) => {
    draw(phone, view);
    return view;
  }, (error) => toast(phone, error.message));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawMessage(phone, message, signature) {
  const bubble = element("div", message.mine ? "msg mine" : "msg bot");
  bubble.dataset.messageId = message.id;
  bubble.dataset.signature = signature;
  if (message.photo) {
    const image = element("img");
    image.src = message.photo;
    image.alt = labels.photo;
    bubble.append(image);
  }
  if (message.document) {
    const link = element("a", "", `📎 ${message.document.name}`);
    link.href = message.document.url;
    bubble.append(link, document.createElement("br"));
  }
  if (message.location) bubble.append(element("div", "", `📍 ${labels.location}: ${message.location}`));
  if (message.contact) bubble.append(element("div", "", `👤 ${labels.contact}: ${message.contact}`));
  const text = element("div", "text");
  text.innerHTML = message.html; // safe: built by the server from escaped text and entities
  bubble.append(text);
  if (message.edited) bubble.append(element("div", "meta", labels.edited));
  if (message.buttons.length) bubble.append(drawInline(phone, message));
  return bubble;
}

function drawInline(phone, message) {
  const keyboard = element("div", "inline");
  for (const row of message.buttons) {
    const line = element("div", "row");
    for (const button of row) {
      if (button.url) {
        const link = element("a", "", button.text);
        link.href = button.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        line.append(link);
        continue;
      }
      const press = element("button", "", button.text);
      press.type = "button";
      press.disabled = !button.data;
      press.addEventListener("click", () =>
        post(phone, "press", { message_id: message.id, data: button.data }).then((view) => {
          if (view && view.answer) toast(phone, view.answer.text);
        }),
      );
      line.append(press);
    }
    keyboard.append(line);
  }
  return keyboard;
}

function draw(phone, view) {
  if (!view || !view.messages) return;
  const chat = phone.querySelector(".chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
  // Only new and changed messages are redrawn: focus stays on a button, a screen reader
  // hears what is new, and photos are not fetched again.
  const drawn = new Map([...chat.children].map((node) => [node.dataset.messageId, node]));
  const nodes = view.messages.map((message) => {
    const signature = JSON.stringify(message);
    const node = drawn.get(String(message.id));
    return node && node.dataset.signature === signature
      ? node
      : drawMessage(phone, message, signature);
  });
  nodes.forEach((node, index) => {
    if (chat.children[index] !== node) chat.insertBefore(node, chat.children[index] || null);
  });
  while (chat.children.length > nodes.length) chat.lastChild.remove();
  if (atBottom || view.seq !== Number(phone.dataset.seq || -1)) chat.scrollTop = chat.scrollHeight;
  phone.dataset.seq = view.seq;
  const keyboard = phone.querySelector(".keyboard");
  keyboard.replaceChildren(...view.keyboard.map((row) => {
    const line = element("div", "row");
    for (const text of row) {
      const tap = element("button", "", text);
      tap.type = "button";
      tap.addEventListener("click", () => post(phone, "tap", { text }));
      line.append(tap);
    }
    return line;
  }));
}

function toast(phone, text) {
  const note = phone.querySelector(".toast");
  note.textContent = text;
  note.hidden = false;
  clearTimeout(note.timer);
  note.timer = setTimeout(() => { note.hidden = true; }, 2500);
}

async function follow(phone) {
  let after = -1;
  for (;;) {
    try {
      const view = await call(phone, `chat?after=${after}`);
      draw(phone, view);
      after = view.seq;
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function wire(phone) {
  const form = phone.querySelector(".composer");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = form.elements.text;
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    post(phone, "text", { text });
  });
  phone.querySelector(".sample").addEventListener("click", () => post(phone, "sample", {}));
  const file = phone.querySelector("input[type=file]");
  file.addEventListener("change", () => {
    if (!file.files.length) return;
    const form = new FormData();
    form.append("photo", file.files[0]);
    file.value = "";
    post(phone, "photo", form);
  });
  follow(phone);
}

document.querySelectorAll(".phone").forEach(wire);
