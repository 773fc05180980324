// The committee's console: one more client of the API. It signs staff in with the user
// pool's managed login (authorization code + PKCE S256, a public client), keeps the
// access token in memory and the refresh token in this tab's session storage only,
// refreshes before expiry, and after a lapsed session returns the person to the screen
// they were on. Screens live in console-review.js, console-finance.js and
// console-admin.js; each uses at most two API calls to show itself. Every value from
// the API goes into the page as text (textContent, value), never as HTML.

const $ = (id) => document.getElementById(id);
const store = sessionStorage;
let config, access = "", claims = {}, person = {}, refreshTimer;

// --- small DOM helpers -------------------------------------------------------------

// h builds an element: h("p", {class: "x", onclick: fn}, "text", child, ...).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  el.append(...parts(children));
  return el;
}

// parts flattens a view's pieces, however nested, and drops the empty ones (null,
// undefined, false), so screens can write `cond ? node : null`.
const parts = (view) => [view].flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false);

let fieldSeq = 0;

// field is a labelled control with its hint and a slot for its error, tied together by
// aria-describedby: {name, label, type, hint, value, options, required, rows, min}.
export function field(o) {
  const id = `f${++fieldSeq}`, hint = o.hint ? h("p", { class: "hint", id: id + "-hint", text: o.hint }) : null;
  const err = h("p", { class: "error", id: id + "-error", hidden: true });
  const attrs = { id, name: o.name, required: o.required, "aria-describedby": [hint && id + "-hint", id + "-error"].filter(Boolean).join(" ") };
  let control;
  if (o.options) {
    control = h("select", attrs, o.options.map(([v, label]) => h("option", { value: v, selected: v === o.value, text: label })));
  } else if (o.type === "textarea") {
    control = h("textarea", { ...attrs, rows: o.rows || 3 });
    control.value = o.value || "";
  } else {
    control = h("input", { ...attrs, type: o.type || "text", inputmode: o.inputmode, autocomplete: o.autocomplete || "off" });
    control.value = o.value ?? "";
  }
  return h("div", { class: "field", "data-field": o.name }, h("label", { for: id, text: o.label }), hint, control, err);
}

// values reads a form's named controls.
export function values(form) {
  const out = {};
  for (const el of form.elements) if (el.name && (el.type !== "radio" || el.checked)) out[el.name] = el.value.trim();
  return out;
}

// showProblem puts a problem document's field errors beside their fields (or, for
// fields the form lacks, in its summary) and says what went wrong.
export function showProblem(form, err) {
  for (const f of form.querySelectorAll(".field")) {
    const e = f.querySelector(".error"), c = f.querySelector("input,select,textarea");
    e.hidden = true; e.textContent = ""; c && c.removeAttribute("aria-invalid");
  }
  const summary = form.querySelector(".summary");
  const p = err.problem || {};
  const loose = [];
  for (const fe of p.errors || []) {
    const f = form.querySelector(`.field[data-field="${CSS.escape(fe.field)}"]`) ||
      form.querySelector(`.field[data-field="${CSS.escape(fe.field.split(".")[0])}"]`);
    if (f) {
      const e = f.querySelector(".error");
      e.textContent = fe.message; e.hidden = false;
      f.querySelector("input,select,textarea")?.setAttribute("aria-invalid", "true");
    } else loose.push(fe.message);
  }
  // What a refused payment or report still needs (409 evidence_missing), item by item.
  loose.push(...(p.missing || []));
  const detail = p.code === "evidence_missing" ? "Not yet: this waits for" : p.detail || err.message;
  summary.replaceChildren(h("p", { text: detail }), ...(loose.length ? [h("ul", {}, loose.map((m) => h("li", { text: m })))] : []));
  summary.hidden = false;
  summary.focus();
}

// form builds a form with a summary slot and a submit button; onsubmit gets the values
// and the form, and its problems are shown beside the fields. The button is disabled
// while a call is in flight, so a double click sends once.
export function form(title, fields, button, onsubmit, extra) {
  const summary = h("div", { class: "summary", role: "alert", tabindex: "-1", hidden: true });
  const submit = h("button", { type: "submit", class: "primary", text: button });
  const f = h("form", { novalidate: true, "aria-label": title }, summary, fields, extra || null, h("p", {}, submit));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    try {
      await onsubmit(values(f), f);
    } catch (err) {
      if (err.problem) showProblem(f, err); else throw err;
    } finally {
      submit.disabled = false;
    }
  });
  return f;
}

// say announces a status message to assistive technology and shows it.
export function say(text, kind) {
  const s = $("status");
  s.textContent = text;
  s.className = kind || "";
}

// money shows an amount {currency, value} as finance reads it: "1,500.00 EUR".
export function money(a) {
  if (!a) return "";
  const [whole, frac] = a.value.replace("-", "").split(".");
  const sign = a.value.startsWith("-") ? "−" : "";
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${frac ? "." + frac : ""} ${a.currency}`;
}

export const day = (t) => (t ? t.slice(0, 10) : "");
export const words = (s) => (s || "").replaceAll("_", " ");

// table builds a data table with a caption: rows are arrays of cells (text or nodes).
export function table(caption, heads, rows) {
  return h("table", {}, h("caption", { text: caption }), h("thead", {}, h("tr", {}, heads.map((x) => h("th", { scope: "col", text: x })))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))));
}

export const link = (href, text) => h("a", { href, text });

// --- the API ------------------------------------------------------------------------

// api calls the API with the access token; a problem document becomes an error with
// .problem. A 401 tries a refresh once, then sends the person to sign in again.
export async function api(method, path, body, headers) {
  for (let attempt = 0; ; attempt++) {
    const resp = await fetch(path, {
      method, headers: { Authorization: "Bearer " + access, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (resp.status === 401 && attempt === 0 && (await refresh())) continue;
    if (resp.status === 401) return signIn();
    if (resp.ok) return resp.headers.get("Content-Type")?.includes("json") ? resp.json() : resp;
    const err = new Error(`${method} ${path}: ${resp.status}`);
    err.status = resp.status;
    err.problem = await resp.json().catch(() => ({ detail: "The server answered " + resp.status + "." }));
    throw err;
  }
}

// download fetches a report with the token, shows its progress, and saves it.
// A report too large for a response comes as a short-lived link to the file; the
// browser's own download then shows its progress.
export async function download(path, name, progress) {
  progress(`Preparing ${name}…`);
  const resp = await fetch(path, { headers: { Authorization: "Bearer " + access } });
  if (!resp.ok) {
    const err = new Error("report " + resp.status);
    err.problem = await resp.json().catch(() => ({}));
    throw err;
  }
  if (resp.headers.get("Content-Type")?.startsWith("application/json") && !name.endsWith(".json")) {
    const big = await resp.json(); // too large for a response: a link to S3
    const until = new Date(big.expiresAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    progress(`${name} is ready (${size(big.bytes)}, ${big.rows} ${big.rows === 1 ? "row" : "rows"}): your browser downloads it from a link that works until ${until}.`);
    location.assign(big.downloadUrl);
    return;
  }
  const total = Number(resp.headers.get("Content-Length")) || 0, reader = resp.body.getReader(), parts = [];
  for (let got = 0; ;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    progress(total ? `Downloading ${name}… ${Math.round((got * 100) / total)} %` : `Downloading ${name}… ${size(got)}`);
  }
  const url = URL.createObjectURL(new Blob(parts, { type: resp.headers.get("Content-Type") || "" }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  progress(`Downloaded ${name} (${size(total || parts.reduce((n, p) => n + p.length, 0))}).`);
}

const size = (n) => n < 1 << 20 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / (1 << 20)).toFixed(1)} MB`;

// newKey is a fresh Idempotency-Key: one per form, so a retry or double click pays once.
export const newKey = () => crypto.randomUUID();

// --- sign-in ------------------------------------------------------------------------

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

// signIn sends the person to the managed login, remembering where they were.
async function signIn() {
  const verifier = random(48), state = random(24);
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  store.setItem("pkce", JSON.stringify({ verifier, state, back: location.hash || "#/" }));
  const q = new URLSearchParams({ response_type: "code", client_id: config.clientId, redirect_uri: config.redirectUri,
    scope: config.scopes, state, code_challenge: challenge, code_challenge_method: "S256" });
  location.assign(`${config.authority}/oauth2/authorize?${q}`);
  return new Promise(() => {}); // the page goes away
}

// payload reads a token's claims; names are UTF-8, so the bytes are decoded as such.
const payload = (jwt) => JSON.parse(new TextDecoder().decode(
  Uint8Array.from(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))));

async function tokenCall(params) {
  const resp = await fetch(`${config.authority}/oauth2/token`, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: config.clientId, ...params }),
  });
  if (!resp.ok) return false;
  const t = await resp.json();
  access = t.access_token;
  if (t.refresh_token) store.setItem("refresh", t.refresh_token);
  claims = payload(access);
  if (t.id_token) person = payload(t.id_token);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, Math.max(5, claims.exp - Date.now() / 1000 - 60) * 1000);
  return true;
}

// refresh trades the refresh token for a new access token, before the old one expires.
async function refresh() {
  const r = store.getItem("refresh");
  return r ? tokenCall({ grant_type: "refresh_token", refresh_token: r }) : false;
}

// finishSignIn completes the code flow when the managed login sends the person back.
async function finishSignIn() {
  const q = new URLSearchParams(location.search);
  if (!q.has("code") && !q.has("error")) return false;
  const saved = JSON.parse(store.getItem("pkce") || "{}");
  store.removeItem("pkce");
  history.replaceState(null, "", location.pathname + (saved.back || "#/"));
  if (q.get("error") || q.get("state") !== saved.state) return false;
  return tokenCall({ grant_type: "authorization_code", code: q.get("code"), redirect_uri: config.redirectUri, code_verifier: saved.verifier });
}

function signOut() {
  store.removeItem("refresh");
  const q = new URLSearchParams({ client_id: config.clientId, logout_uri: config.logoutUri });
  location.assign(`${config.authority}/logout?${q}`);
}

// --- who, where ---------------------------------------------------------------------

export const groups = () => {
  const g = claims["cognito:groups"] || [];
  return Array.isArray(g) ? g : String(g).split(/[\s,]+/);
};
export const me = () => claims.sub;

// Screens by route: [pattern, groups, module, function, nav label, nav address].
const screens = [
  [/^#\/queue$/, "reviewers", "review", "queue", "Queue", "#/queue"],
  [/^#\/review\/([0-9A-Z]+)$/, "reviewers", "review", "dossier"],
  [/^#\/pay$/, "finance", "finance", "toPay", "To pay", "#/pay"],
  [/^#\/pay\/([0-9A-Z]+)$/, "finance", "finance", "ledger"],
  [/^#\/reports$/, "finance", "finance", "reports", "Reports", "#/reports"],
  [/^#\/budgets$/, "finance admins", "finance", "budgets", "Budgets", "#/budgets"],
  [/^#\/staff$/, "admins", "admin", "staff", "Staff", "#/staff"],
  [/^#\/companies$/, "admins", "admin", "companies", "Companies", "#/companies"],
  [/^#\/settings$/, "admins", "admin", "settings", "Settings", "#/settings"],
];

const allowed = (who) => who.split(" ").some((g) => groups().includes(g));

function nav() {
  const items = screens.filter((s) => s[4] && allowed(s[1])).map((s) => h("li", {}, h("a", { href: s[5], text: s[4] })));
  $("nav").replaceChildren(h("ul", {}, items), h("button", { type: "button", class: "link", onclick: signOut, text: "Sign out" }));
  return items;
}

const modules = {};
let showing = 0; // counts calls of show: only the latest may render

// show renders the screen of the current address into main and moves focus to its
// heading, so keyboard and screen-reader users land on the new content. A new address
// clears the last status message; a reload after a change keeps it.
async function show(keep) {
  const main = $("main");
  const turn = ++showing;
  let hash = location.hash || "#/";
  const found = screens.find((s) => s[0].test(hash) && allowed(s[1]));
  if (!found) {
    const first = screens.find((s) => s[4] && allowed(s[1]));
    if (!first) {
      main.replaceChildren(h("h1", { tabindex: "-1", text: "Nothing to do here" }),
        h("p", { text: "Your account is in none of the committee's groups (reviewers, finance, admins). Ask an admin to add you." }));
      return;
    }
    location.replace(first[5]);
    return;
  }
  for (const a of document.querySelectorAll("#nav a")) a.toggleAttribute("aria-current", hash.startsWith(a.getAttribute("href")));
  if (keep !== true) say("");
  const [, , mod, fn] = found;
  delete main.dataset.shown;
  modules[mod] ||= await import(`./console-${mod}.js`);
  if (turn !== showing) return; // the person has moved on to another address
  main.replaceChildren(h("p", { class: "busy", text: "Loading…" }));
  let view;
  try {
    view = parts(await modules[mod][fn](...hash.match(found[0]).slice(1)));
  } catch (err) {
    const heading = err.status === 403 ? "Not open to you" : err.status === 404 ? "Not found" : "This did not work";
    view = [h("h1", { tabindex: "-1", text: heading }), h("p", { text: err.problem?.detail || err.message })];
  }
  // A screen whose answer comes back after the person went elsewhere is dropped, so a
  // slow queue never replaces the dossier they opened meanwhile.
  if (turn !== showing) return;
  main.replaceChildren(...view);
  main.querySelector("h1")?.focus();
  main.dataset.shown = hash; // the screen of this address is there (tests and benchmarks wait for it)
}

// reload shows the current screen again (after a change).
export const reload = () => show(true);

async function start() {
  config = await (await fetch("/console/config.json")).json();
  if (!(await finishSignIn()) && !(await refresh())) return signIn();
  $("who").textContent = `${person.name || person.email || "Signed in"} · ${groups().join(", ") || "no group"}`;
  nav();
  addEventListener("hashchange", () => show());
  await show();
}

start().catch((err) => say("The console could not start: " + err.message, "bad"));

// evidenceSection shows what a request owes after approval (its checklist, with what
// is on file) and its reports; reviewers and finance (mayJudge) accept a submitted
// report or send it back. base is the request under /review or /finance.
export function evidenceSection(base, ev, mayJudge) {
  if (!ev.checklist.length) return [];
  const reportOf = (n) => ev.reports.find((r) => r.number === n);
  const items = ev.checklist.map((it) => [it.label,
    it.done ? "Done" : it.report !== undefined ? `Report ${words(reportOf(it.report)?.state)}` : "Missing", it.files.length ? `${it.files.length} file(s)` : ""]);
  const nameOf = (r) => ev.checklist.find((it) => it.report === r.number)?.label || `Report ${r.number + 1}`;
  const judge = (r) => {
    if (!mayJudge || r.state !== "submitted") return "";
    const accept = h("button", { type: "button", text: "Accept", "aria-label": `Accept report ${r.number + 1}`, onclick: async () => {
      accept.disabled = true;
      try { await api("POST", `${base}/reports/${r.number}/accept`, {}); say("Report accepted.", "good"); reload(); }
      catch (err) { say(err.problem?.detail || err.message, "bad"); accept.disabled = false; }
    } });
    return accept;
  };
  const reports = ev.reports.map((r) => [nameOf(r), words(r.state),
    r.dueDate || "", r.text || "", judge(r)]);
  const changes = mayJudge && ev.reports.some((r) => r.state === "submitted") ? [form("Ask for changes to a report", [
    field({ name: "report", label: "Report", options: ev.reports.filter((r) => r.state === "submitted").map((r) => [String(r.number), nameOf(r)]) }),
    field({ name: "message", label: "What the report needs", type: "textarea", required: true }),
  ], "Send it back", async (v) => {
    await api("POST", `${base}/reports/${v.report}/changes`, { message: v.message });
    say("Report sent back for changes.", "good");
    reload();
  })] : [];
  return [h("h2", { text: "Evidence" }), table("Evidence the request owes", ["Item", "State", "On file"], items),
    table("Reports", ["Report", "State", "Due", "Text", ""], reports), ...changes];
}
