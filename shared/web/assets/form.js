// The request form, shared by the form page and the status page's edit mode. It checks
// what the server checks, so most mistakes are caught before anything is sent, and it
// shows the server's field errors next to their fields when the server disagrees.
// Applicant text only ever goes into the page as text (textContent, value).

const threeDecimals = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);
const noDecimals = new Set(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]);
const lists = { milestones: "project.milestones", budgetItems: "budgetItems" };

export function decimals(currency) {
  if (noDecimals.has(currency)) return 0;
  if (threeDecimals.has(currency)) return 3;
  return 2;
}

// toMinor turns a decimal string into a BigInt of minor units, or null when it is not
// a plain positive-or-zero decimal with at most the currency's decimals.
export function toMinor(value, currency) {
  const d = decimals(currency);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m || (m[2] || "").length > d) return null;
  return BigInt(m[1] + (m[2] || "").padEnd(d, "0"));
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

// yearsFrom is the day n years from day (YYYY-MM-DD); 29 February becomes 1 March in a
// year without one, as the server's calendar does.
function yearsFrom(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y + n, m - 1, d)).toISOString().slice(0, 10);
}

// realDate accepts a YYYY-MM-DD date that exists on the calendar (no 30 February).
function realDate(s) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(s + "T00:00:00Z");
  return !isNaN(d) && d.toISOString().slice(0, 10) === s;
}

function isURL(s) {
  try {
    const u = new URL(s);
    return (u.protocol === "https:" || u.protocol === "http:") && u.hostname !== "" && u.username === "" && u.password === "";
  } catch {
    return false;
  }
}

const emailPattern = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:".]+$/;

// collect reads the form into the API's request body.
export function collect(form) {
  const val = (path) => {
    const el = form.querySelector(`[data-field="${path}"]`);
    return el ? el.value.trim() : "";
  };
  const kind = (form.querySelector('input[name=kind]:checked') || {}).value || "";
  const currency = val("amount.currency");
  const body = {
    kind, title: val("title"), summary: val("summary"),
    applicant: { name: val("applicant.name"), email: val("applicant.email"), organization: val("applicant.organization") },
    amount: { currency, value: val("amount.value") },
  };
  // The new-request form asks what may be published; the edit form leaves it as it is.
  if (form.querySelector('[data-field="publication"]')) {
    body.publication = (form.querySelector("input[name=publication]:checked") || {}).value || "";
  }
  const rows = (list) => [...form.querySelectorAll(`[data-list="${list}"] .rows > li`)];
  const items = rows("budgetItems").map((li) => ({
    description: li.querySelector('[data-part="description"]').value.trim(),
    amount: { currency, value: li.querySelector('[data-part="amount.value"]').value.trim() },
  }));
  if (items.length) body.budgetItems = items;
  if (kind === "conference") {
    body.conference = { eventName: val("conference.eventName"), eventUrl: val("conference.eventUrl"), startDate: val("conference.startDate"),
      endDate: val("conference.endDate"), location: val("conference.location"), tier: val("conference.tier") };
    const n = val("conference.expectedAttendees");
    if (n !== "") body.conference.expectedAttendees = Number(n);
  } else if (kind === "travel") {
    body.travel = { traveller: val("travel.traveller"), eventName: val("travel.eventName"), eventUrl: val("travel.eventUrl"),
      startDate: val("travel.startDate"), endDate: val("travel.endDate"), talkTitle: val("travel.talkTitle"), origin: val("travel.origin") };
    for (const opt of ["talkUrl", "departureDate", "returnDate"]) {
      if (val("travel." + opt)) body.travel[opt] = val("travel." + opt);
    }
  } else if (kind === "project") {
    body.project = { name: val("project.name"), repositoryUrl: val("project.repositoryUrl"), licence: val("project.licence"),
      milestones: rows("milestones").map((li) => ({
        title: li.querySelector('[data-part="title"]').value.trim(),
        dueDate: li.querySelector('[data-part="dueDate"]').value.trim(),
        amount: { currency, value: li.querySelector('[data-part="amount.value"]').value.trim() },
      })) };
  }
  return body;
}

// The explicit embedding, override and isolate controls, and the invisible (format and
// default-ignorable) characters, as the server refuses them.
const bidiControl = /[\u202A-\u202E\u2066-\u2069]/u;
const invisible = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

// check mirrors the server's rules and returns every problem at once, as the server
// would: [{field, message}].
export function check(body) {
  const errs = [];
  const add = (field, message) => errs.push({ field, message });
  // name marks a person's or organization's name, where invisible characters are refused
  // too (they can make one name look like another).
  const text = (field, s, min, max, name) => {
    s = (s || "").trim();
    if (!s) add(field, "This field is required.");
    else if ([...s].length < min) add(field, `Use at least ${min} characters.`);
    else if ([...s].length > max) add(field, `Use at most ${max} characters.`);
    else if (bidiControl.test(s)) add(field, "Remove the invisible text-direction controls (such as U+202E); they make text read differently from what is stored.");
    else if (name && invisible.test(s)) add(field, "Remove invisible characters (such as zero-width spaces or soft hyphens) from the name.");
  };
  const date = (field, s, required) => {
    if (!s) { if (required) add(field, "This field is required."); return ""; }
    if (!realDate(s)) { add(field, "Enter a date as YYYY-MM-DD."); return ""; }
    return s;
  };
  const link = (field, s, required) => {
    if (!s) { if (required) add(field, "This field is required."); return; }
    if (!isURL(s)) add(field, "Enter a web address starting with https:// or http://.");
  };
  const currency = body.amount.currency;
  const money = (field, value) => {
    if (!currency) {
      // Without a currency only the number's form can be checked.
      add(field.replace(/value$/, "currency"), "Choose a currency.");
      if (!value) add(field, "Enter an amount.");
      else if (!/^\d+(\.\d+)?$/.test(value)) add(field, "Enter an amount such as 1500.00, with a dot and no separators.");
      return null;
    }
    if (!value) { add(field, "Enter an amount."); return null; }
    const m = toMinor(value, currency);
    if (m === null) { add(field, `Enter an amount such as ${decimals(currency) ? "1500." + "0".repeat(decimals(currency)) : "1500"}, with a dot and no separators.`); return null; }
    if (m <= 0n) { add(field, "The amount must be more than zero."); return null; }
    return m;
  };
  if (!body.kind) add("kind", "Choose the kind of request: conference, travel or project.");
  if ("publication" in body && !body.publication) add("publication", "Choose what may be published if the request is approved.");
  text("title", body.title, 5, 150);
  text("summary", body.summary, 20, 5000);
  text("applicant.name", body.applicant.name, 1, 200, true);
  if (!body.applicant.email) add("applicant.email", "This field is required.");
  else if (invisible.test(body.applicant.email) || bidiControl.test(body.applicant.email)) add("applicant.email", "Remove invisible characters from the e-mail address.");
  else if (!emailPattern.test(body.applicant.email)) add("applicant.email", "Enter an e-mail address such as ada@example.org.");
  text("applicant.organization", body.applicant.organization, 1, 200, true);
  const total = money("amount.value", body.amount.value);
  const sums = (field, what, parts) => {
    if (total === null || parts.some((p) => p === null)) return;
    const sum = parts.reduce((a, b) => a + b, 0n);
    if (sum !== total) add(field, `The ${what} add up to a different amount than the amount asked for.`);
  };
  if (body.budgetItems) {
    const parts = body.budgetItems.map((b, i) => {
      text(`budgetItems[${i}].description`, b.description, 1, 200);
      return money(`budgetItems[${i}].amount.value`, b.amount.value);
    });
    sums("budgetItems", "cost lines", parts);
  }
  const now = today();
  // event checks the event a conference or travel request is about and returns its dates.
  const event = (section, x) => {
    text(section + ".eventName", x.eventName, 1, 200);
    link(section + ".eventUrl", x.eventUrl, true);
    const s = date(section + ".startDate", x.startDate, true), e = date(section + ".endDate", x.endDate, true);
    if (s && e && e < s) add(section + ".endDate", "The event cannot end before it starts.");
    else if (e && e < now) add(section + ".endDate", "This date has passed.");
    // The start names the fiscal year: from a year before today to ten years ahead.
    if (s && s < yearsFrom(now, -1)) add(section + ".startDate", "The event must have started no more than 1 year ago.");
    else if (s && s > yearsFrom(now, 10)) add(section + ".startDate", "The event must start within 10 years.");
    return [s, e];
  };
  if (body.conference) {
    const c = body.conference;
    event("conference", c);
    text("conference.location", c.location, 1, 200);
    text("conference.tier", c.tier, 1, 50);
    if (c.expectedAttendees !== undefined && !(Number.isInteger(c.expectedAttendees) && c.expectedAttendees >= 0 && c.expectedAttendees <= 1000000)) {
      add("conference.expectedAttendees", "Enter a whole number between 0 and 1000000.");
    }
  }
  if (body.travel) {
    const t = body.travel;
    text("travel.traveller", t.traveller, 1, 200, true);
    const [s, e] = event("travel", t);
    text("travel.talkTitle", t.talkTitle, 1, 200);
    link("travel.talkUrl", t.talkUrl, false);
    text("travel.origin", t.origin, 1, 200);
    const d = date("travel.departureDate", t.departureDate, false), r = date("travel.returnDate", t.returnDate, false);
    if (d && r && r < d) add("travel.returnDate", "The return cannot be before the departure.");
    else if (s && r && r < s) add("travel.returnDate", "Return must be no earlier than the event's first day.");
    if (d && e && d > e) add("travel.departureDate", "Departure must be no later than the event's last day.");
  }
  if (body.project) {
    const p = { ...body.project, milestones: body.project.milestones || [] };
    text("project.name", p.name, 1, 200);
    link("project.repositoryUrl", p.repositoryUrl, true);
    if (!p.licence) add("project.licence", "Choose the project's licence.");
    if (!p.milestones.length) add("project.milestones", "Add at least one milestone.");
    let previous = "";
    const parts = p.milestones.map((m, i) => {
      text(`project.milestones[${i}].title`, m.title, 1, 200);
      const due = date(`project.milestones[${i}].dueDate`, m.dueDate, true);
      if (due && due < now) add(`project.milestones[${i}].dueDate`, "This date has passed.");
      else if (due && previous && due < previous) add(`project.milestones[${i}].dueDate`, "Milestones must be listed in the order they are due.");
      if (due) previous = due;
      return money(`project.milestones[${i}].amount.value`, m.amount.value);
    });
    if (p.milestones.length) sums("project.milestones", "milestones", parts);
  }
  return errs;
}

// clearErrors removes every error shown in the form.
export function clearErrors(form) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".error")) { el.textContent = ""; el.hidden = true; }
  const summary = form.querySelector("#error-summary");
  summary.hidden = true;
  summary.querySelector("ul").replaceChildren();
}

// showErrors puts each error next to its field (or its group) and lists them all in the
// summary at the top, which takes the focus so screen readers announce it.
export function showErrors(form, errors) {
  clearErrors(form);
  const summary = form.querySelector("#error-summary");
  const list = summary.querySelector("ul");
  for (const { field, message } of errors) {
    const input = form.querySelector(`[data-field="${CSS.escape(field)}"]`);
    let slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (input && input.matches("input, select, textarea")) {
      input.setAttribute("aria-invalid", "true");
      slot = slot || input.parentElement.querySelector(".error");
    }
    if (!slot) slot = form.querySelector('[data-error-for="body"]');
    slot.textContent = slot.textContent ? slot.textContent + " " + message : message;
    slot.hidden = false;
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "#" + (input && input.id ? input.id : "request-form");
    a.textContent = message;
    a.addEventListener("click", (e) => {
      if (input && input.focus) { e.preventDefault(); input.focus(); }
    });
    li.append(a);
    list.append(li);
  }
  summary.hidden = false;
  summary.focus();
}

// renumber gives the inputs of a list's rows their paths, ids and labels.
function renumber(form, list) {
  [...form.querySelectorAll(`[data-list="${list}"] .rows > li`)].forEach((li, i) => {
    for (const field of li.querySelectorAll(".field")) {
      const input = field.querySelector("[data-part]");
      const path = `${lists[list]}[${i}].${input.dataset.part}`;
      input.dataset.field = path;
      input.id = "f-" + path.replace(/[.\[\]]+/g, "-");
      field.querySelector("label").htmlFor = input.id;
      const err = field.querySelector(".error");
      err.id = "err-" + input.id;
      input.setAttribute("aria-describedby", err.id);
    }
    li.querySelector(".remove").setAttribute("aria-label", `Remove line ${i + 1}`);
  });
}

export function addRow(form, list, values = {}) {
  const li = document.getElementById("row-" + list).content.firstElementChild.cloneNode(true);
  for (const [part, v] of Object.entries(values)) li.querySelector(`[data-part="${part}"]`).value = v;
  li.querySelector(".remove").addEventListener("click", () => {
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    renumber(form, list);
    (next ? next.querySelector("input") : form.querySelector(`[data-add="${list}"]`)).focus();
  });
  form.querySelector(`[data-list="${list}"] .rows`).append(li);
  renumber(form, list);
  return li;
}

function showKind(form) {
  const kind = (form.querySelector('input[name=kind]:checked') || {}).value;
  for (const fs of form.querySelectorAll(".kind-details")) fs.hidden = fs.dataset.kind !== kind;
}

// fill puts a request (the API's shape) into the form, for editing.
export function fill(form, r) {
  const set = (path, v) => {
    const el = form.querySelector(`[data-field="${path}"]`);
    if (el && v !== undefined && v !== null) el.value = v;
  };
  for (const radio of form.querySelectorAll("input[name=kind]")) {
    radio.checked = radio.value === r.kind;
    radio.disabled = true; // the kind of a request cannot change
  }
  showKind(form);
  set("title", r.title); set("summary", r.summary);
  set("applicant.name", r.applicant.name); set("applicant.email", r.applicant.email); set("applicant.organization", r.applicant.organization);
  set("amount.currency", r.amount.currency); set("amount.value", r.amount.value);
  for (const section of ["conference", "travel", "project"]) {
    if (!r[section]) continue;
    for (const [k, v] of Object.entries(r[section])) if (typeof v !== "object") set(`${section}.${k}`, v);
  }
  form.querySelector('[data-list="budgetItems"] .rows').replaceChildren();
  form.querySelector('[data-list="milestones"] .rows').replaceChildren();
  for (const b of r.budgetItems || []) addRow(form, "budgetItems", { description: b.description, "amount.value": b.amount.value });
  for (const m of (r.project && r.project.milestones) || []) addRow(form, "milestones", { title: m.title, dueDate: m.dueDate, "amount.value": m.amount.value });
}

// mount wires a form: kinds, list rows, checks, and a submit that cannot be sent twice.
// send receives the body and returns the fetch Response.
export function mount(form, send) {
  for (const radio of form.querySelectorAll("input[name=kind]")) radio.addEventListener("change", () => {
    showKind(form);
    if (radio.value === "project" && !form.querySelector('[data-list="milestones"] .rows > li')) addRow(form, "milestones");
  });
  for (const button of form.querySelectorAll("[data-add]")) {
    button.addEventListener("click", () => addRow(form, button.dataset.add).querySelector("input").focus());
  }
  showKind(form);
  let busy = false;
  const submit = form.querySelector("button[type=submit]");
  const status = form.querySelector(".busy");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    const body = collect(form);
    const errors = check(body);
    if (errors.length) { showErrors(form, errors); return; }
    clearErrors(form);
    busy = true;
    submit.disabled = true;
    status.textContent = "Sending…";
    try {
      const resp = await send(body);
      if (resp.status === 400 || resp.status === 422) {
        const problem = await resp.json();
        showErrors(form, (problem.errors && problem.errors.length) ? problem.errors : [{ field: "body", message: problem.detail || problem.title }]);
      } else if (!resp.ok) {
        let detail = `The request could not be sent (${resp.status}).`;
        try { const p = await resp.json(); if (p.detail) detail = p.detail + (p.requestId ? ` (reference ${p.requestId})` : ""); } catch { /* not a problem document */ }
        showErrors(form, [{ field: "body", message: detail }]);
      }
    } catch {
      showErrors(form, [{ field: "body", message: "The network failed; nothing may have been sent. Try again: the same answers will not be sent twice." }]);
    } finally {
      busy = false;
      submit.disabled = false;
      status.textContent = "";
    }
  });
}
