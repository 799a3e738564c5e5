// ipledger's pages: changes go through the HTTP API with the session's CSRF token, and the
// parts of a page marked data-live are refreshed in place when the event stream reports a change.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

async function callApi(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {
      "Accept": "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(method === "GET" ? {} : { "X-CSRF-Token": csrf() }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text }; }
  }
  return { ok: response.ok, status: response.status, data };
}

// Forms

function valueOf(input) {
  if (input.type === "checkbox") return input.checked;
  const text = input.value.trim();
  if (input.type === "number") return text === "" ? null : Number(text);
  if (input.name === "tags") return text === "" ? [] : text.split(",").map((tag) => tag.trim()).filter(Boolean);
  // An emptied parent or group means none (top level, no group), not one named "".
  if ((input.name === "parent" || input.name === "group") && text === "") return null;
  return text;
}

function bodyOf(form, method) {
  const body = JSON.parse(form.dataset.defaults || "{}");
  for (const input of form.querySelectorAll("input[name], select[name], textarea[name]")) {
    const initial = input.type === "checkbox" ? input.defaultChecked : input.defaultValue;
    const current = input.type === "checkbox" ? input.checked : input.value;
    // A change sends only what was changed; a creation what was filled in.
    if (method === "PATCH" && current === initial) continue;
    const value = valueOf(input);
    if (method !== "PATCH" && (value === "" || value === null)) continue;
    body[input.name] = value;
  }
  return body;
}

function clearErrors(form) {
  form.querySelectorAll("[data-error-for]").forEach((item) => { item.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((item) => item.removeAttribute("aria-invalid"));
  const general = form.querySelector("[data-form-error]");
  if (general) general.textContent = "";
  const conflict = form.querySelector("[data-conflict]");
  if (conflict) { conflict.hidden = true; conflict.textContent = ""; }
}

function showProblem(form, problem, status) {
  const detail = (problem && (problem.detail || problem.title)) || `the server answered ${status}`;
  const name = problem && problem.field ? String(problem.field).split(".").pop() : null;
  const slot = name ? form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) : null;
  if (slot) {
    slot.textContent = detail;
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    return;
  }
  const general = form.querySelector("[data-form-error]");
  if (general) general.textContent = detail;
}

function shown(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

function showConflict(form, current) {
  // Optimistic concurrency: someone saved first. Say what they changed, keep this user's input,
  // and let a second save overwrite knowingly (against the version now current).
  const original = JSON.parse(form.dataset.original || "{}");
  const changed = Object.keys(original).filter((key) => shown(original[key]) !== shown(current[key]));
  const box = form.querySelector("[data-conflict]");
  const lines = changed.map((key) => `${key}: “${shown(original[key])}” → “${shown(current[key])}”`);
  box.textContent = "";
  const head = document.createElement("p");
  head.textContent = `Someone else saved this ${form.dataset.kind || "object"} first (now version ${current.version}).` +
    (lines.length ? " They changed:" : "");
  box.append(head);
  if (lines.length) {
    const list = document.createElement("ul");
    for (const line of lines) { const item = document.createElement("li"); item.textContent = line; list.append(item); }
    box.append(list);
  }
  const tail = document.createElement("p");
  tail.textContent = "Your changes are still in the form. Save again to overwrite theirs, or reload to start from theirs.";
  box.append(tail);
  box.hidden = false;
  form.dataset.ifMatch = `"${form.dataset.kind}-${form.dataset.key}-v${current.version}"`;
  const fresh = {};
  for (const key of Object.keys(original)) fresh[key] = shown(current[key]);
  form.dataset.original = JSON.stringify(fresh);
}

function resultText(kind, data) {
  const items = Array.isArray(data) ? data : [data];
  if (kind === "address") return `Took ${items.map((item) => item.address).join(", ")}`;
  if (kind === "prefix") return `Added ${items.map((item) => item.prefix).join(", ")}`;
  return "Saved";
}

async function after(then, data) {
  if (!then) return;
  if (then === "reload") { await refreshLive("your change"); return; }
  if (then.startsWith("go:")) {
    const item = Array.isArray(data) ? data[0] : data;
    window.location.assign(then.slice(3).replace("{id}", item && item.id !== undefined ? item.id : ""));
  }
}

async function submitForm(event) {
  const form = event.target.closest("form[data-api]");
  if (!form) return;
  event.preventDefault();
  clearErrors(form);
  const [method, path] = form.dataset.api.split(" ");
  const body = bodyOf(form, method);
  const headers = form.dataset.ifMatch ? { "If-Match": form.dataset.ifMatch } : {};
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    const answer = await callApi(method, path, body, headers);
    if (answer.status === 412 && answer.data && answer.data.current) {
      showConflict(form, answer.data.current);
      return;
    }
    if (!answer.ok) { showProblem(form, answer.data, answer.status); return; }
    const result = form.querySelector("[data-form-result]");
    if (result) result.textContent = resultText(form.dataset.result, answer.data);
    if (method === "PATCH" && answer.data && answer.data.version !== undefined) {
      form.dataset.ifMatch = `"${form.dataset.kind}-${form.dataset.key}-v${answer.data.version}"`;
      for (const input of form.querySelectorAll("input[name]")) input.defaultValue = input.value;
      const fresh = JSON.parse(form.dataset.original || "{}");
      for (const key of Object.keys(fresh)) fresh[key] = shown(answer.data[key]);
      form.dataset.original = JSON.stringify(fresh);
    }
    await after(form.dataset.then, answer.data);
  } finally {
    if (button) button.disabled = false;
  }
}

async function clickCall(event) {
  const button = event.target.closest("[data-api-call]");
  if (!button) return;
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const [method, path] = button.dataset.apiCall.split(" ");
  const answer = await callApi(method, path);
  if (!answer.ok) {
    status(`Refused: ${(answer.data && answer.data.detail) || answer.status}`);
    return;
  }
  await after(button.dataset.then || "reload", answer.data);
}

// Signing in and out

async function signIn(event) {
  const form = event.target.closest("form[data-login]");
  if (!form) return;
  event.preventDefault();
  const answer = await callApi("POST", "/api/v1/session", {
    name: form.elements.name.value, password: form.elements.password.value,
  });
  if (!answer.ok) {
    form.querySelector("[data-form-error]").textContent =
      answer.status === 401 ? "Wrong user name or password (or the user is locked)." : (answer.data && answer.data.detail) || "Sign-in failed.";
    form.elements.password.focus();
    return;
  }
  window.location.assign(form.dataset.next || "/");
}

async function signOut() {
  await callApi("DELETE", "/api/v1/session");
  window.location.assign("/login");
}

// Live updates

function status(text) {
  const line = document.getElementById("live-status");
  if (line) line.textContent = text;
}

let refreshing = null;
let pending = false;

async function refreshLive(reason) {
  // One refresh at a time; changes that arrive meanwhile cause one more, not one each.
  if (refreshing) { pending = true; return refreshing; }
  refreshing = (async () => {
    do {
      pending = false;
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (!response.ok) break;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const region of document.querySelectorAll("[data-live][id]")) {
        const replacement = fresh.getElementById(region.id);
        if (!replacement || replacement.innerHTML === region.innerHTML) continue;
        // Never pull the floor from under someone typing.
        if (region.contains(document.activeElement) && document.activeElement !== document.body &&
            document.activeElement.matches("input, select, textarea")) continue;
        const open = [...region.querySelectorAll("details[open][id]")].map((item) => item.id);
        region.innerHTML = replacement.innerHTML;
        open.forEach((id) => { const item = document.getElementById(id); if (item) item.open = true; });
        region.classList.remove("updated");
        void region.offsetWidth;
        region.classList.add("updated");
      }
      status(`Updated ${new Date().toLocaleTimeString()} after ${reason}.`);
    } while (pending);
  })();
  try { await refreshing; } finally { refreshing = null; }
}

function listen() {
  const kinds = document.body.dataset.liveKinds;
  if (!kinds || !document.querySelector("[data-live]")) return;
  // The stream starts after the last change the page was built from, so that a change made
  // while the page loaded is not missed; on reconnect the browser sends Last-Event-ID itself.
  const params = kinds === "*" ? [] : kinds.split(",").map((kind) => `kind=${encodeURIComponent(kind)}`);
  if (document.body.dataset.lastEventId) params.push(`last_event_id=${encodeURIComponent(document.body.dataset.lastEventId)}`);
  const source = new EventSource(`/api/v1/events${params.length ? "?" + params.join("&") : ""}`);
  let timer = null;
  source.addEventListener("change", (event) => {
    const change = JSON.parse(event.data);
    clearTimeout(timer);
    timer = setTimeout(() => refreshLive(`${change.actor} ${change.action} ${change.object_kind} ${change.object_label}`), 50);
  });
  source.addEventListener("end", () => { source.close(); status("Live updates stopped: the session has ended. Sign in again."); });
  document.body.dataset.liveConnected = "true";
  window.ipledgerEvents = source;
}

// Group tree: collapse and expand subtrees

function toggleGroup(event) {
  const button = event.target.closest("[data-toggle]");
  if (!button) return;
  const row = button.closest("tr");
  const expanded = row.getAttribute("aria-expanded") !== "false";
  row.setAttribute("aria-expanded", expanded ? "false" : "true");
  button.textContent = expanded ? "▸" : "▾";
  button.setAttribute("aria-label", `${expanded ? "Expand" : "Collapse"} ${row.dataset.path}`);
  const depth = Number(row.dataset.depth);
  for (let next = row.nextElementSibling; next && Number(next.dataset.depth) > depth; next = next.nextElementSibling) {
    if (expanded) { next.hidden = true; continue; }
    // Expanding shows the children, and below them only what was not collapsed itself.
    const parentCollapsed = [...next.parentElement.children].some((other) =>
      other !== row && other.getAttribute("aria-expanded") === "false" && Number(other.dataset.depth) < Number(next.dataset.depth) &&
      Number(other.dataset.depth) > depth && other.compareDocumentPosition(next) & Node.DOCUMENT_POSITION_FOLLOWING &&
      next.dataset.path.startsWith(other.dataset.path + "/"));
    next.hidden = parentCollapsed;
  }
}

// Copying a command: the text of the <pre> beside the button goes to the clipboard where the
// browser allows it; else it is selected, for the keyboard's copy.

async function copyCommand(event) {
  const button = event.target.closest("[data-copy]");
  const code = button.parentElement.querySelector("pre");
  if (!code) return;
  try {
    if (!navigator.clipboard) throw new Error("no clipboard here");
    await navigator.clipboard.writeText(code.textContent);
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
    status("Copied the command.");
  } catch {
    const range = document.createRange();
    range.selectNodeContents(code);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    status("The command is selected: copy it with Ctrl+C (⌘C).");
  }
}

document.addEventListener("submit", (event) => {
  if (event.target.closest("form[data-login]")) signIn(event);
  else if (event.target.closest("form[data-api]")) submitForm(event);
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-sign-out]")) signOut();
  else if (event.target.closest("[data-api-call]")) clickCall(event);
  else if (event.target.closest("[data-toggle]")) toggleGroup(event);
  else if (event.target.closest("[data-copy]")) copyCommand(event);
});
document.addEventListener("DOMContentLoaded", listen);
