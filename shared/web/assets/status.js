// The status page: open a request with the private link's id and token, show where it
// stands and its files, and let the applicant edit and resubmit it or withdraw it, add
// files, and write the reports owed after approval.
import { el } from "/assets/dom.js";
import { mount, fill } from "/assets/form.js";
import { showPayout } from "/assets/payout.js";
import { showPublication } from "/assets/publication.js";
import { FileList, checkFile, purposeLabel, rulesOf, send, showChoiceError } from "/assets/upload.js";

const params = new URLSearchParams(location.hash.slice(1));
const id = params.get("id") || "";
const token = params.get("token") || "";
const auth = { Authorization: "Bearer " + token };
const $ = (x) => document.getElementById(x);

const statusLabels = {
  unconfirmed: "Waiting for e-mail confirmation", submitted: "In review", changes_requested: "Changes requested", approved: "Approved", rejected: "Not funded",
  withdrawn: "Withdrawn", partially_paid: "Partly paid", paid: "Paid", closed: "Closed: paid, and every report accepted",
};
const eventLabels = {
  received: "Received; waiting for e-mail confirmation", submitted: "Submitted to the committee", changes_requested: "The committee asked for changes", resubmitted: "Resubmitted",
  approved: "Approved", rejected: "Not funded", withdrawn: "Withdrawn", payment_recorded: "Payment sent", payment_reversed: "Payment corrected",
  attachment_added: "File added", attachment_quarantined: "File refused by its check",
  payout_entered: "Payout details given", payout_change_requested: "Change of payout details asked for",
  payout_changed: "Change of payout details confirmed",
  report_submitted: "Report submitted", report_changes_requested: "The committee asked for changes to a report", report_accepted: "Report accepted",
  publication_narrowed: "What may be published narrowed",
};
const money = (a) => (a ? `${a.value} ${a.currency}` : "—");
const when = (t) => new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

let current = null;

async function load() {
  if (!id || !token) return missing();
  const resp = await fetch(`/requests/${encodeURIComponent(id)}`, { headers: auth });
  if (!resp.ok) return missing();
  render(await resp.json());
}

function missing() {
  $("status-loading").hidden = true;
  $("status-missing").hidden = false;
}

// render shows the request. Every value goes in with textContent: what the applicant
// typed is shown as text, never interpreted as HTML.
function render(r) {
  current = r;
  $("status-loading").hidden = true;
  $("status-view").hidden = false;
  $("edit").hidden = true;
  $("s-reference").textContent = r.reference;
  $("s-kind").textContent = { conference: "Conference sponsorship", travel: "Travel grant", project: "Project funding" }[r.kind];
  $("s-title").textContent = r.title;
  $("s-status").textContent = statusLabels[r.status] || r.status;
  $("s-status").dataset.status = r.status;
  $("s-amount").textContent = money(r.amount);
  $("s-approved").textContent = money(r.approvedAmount);
  $("s-paid").textContent = money(r.paid);
  $("s-organization").textContent = r.applicant.organization;
  $("s-submitted").textContent = when(r.submittedAt);
  $("s-summary").textContent = r.summary;
  const history = $("s-history");
  history.replaceChildren();
  let askedFor = "";
  for (const ev of r.history || []) {
    const li = document.createElement("li");
    const what = document.createElement("strong");
    what.textContent = eventLabels[ev.type] || ev.type;
    const at = document.createElement("span");
    at.className = "when";
    at.textContent = " — " + when(ev.at);
    li.append(what, at);
    if (ev.message) {
      const q = document.createElement("blockquote");
      q.textContent = ev.message;
      li.append(q);
    }
    if (ev.type === "changes_requested") askedFor = ev.message || "";
    history.append(li);
  }
  $("s-unconfirmed").hidden = r.status !== "unconfirmed";
  $("s-unconfirmed-email").textContent = r.applicant.email;
  $("s-unconfirmed-expires").textContent = r.expiresAt ? when(r.expiresAt) : "";
  $("s-changes").hidden = r.status !== "changes_requested";
  $("s-changes-message").textContent = askedFor;
  const payments = $("s-payments");
  payments.replaceChildren();
  for (const p of r.payments || []) {
    const tr = document.createElement("tr");
    for (const v of [p.date, money(p.amount)]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.append(td);
    }
    payments.append(tr);
  }
  $("s-payments-section").hidden = !(r.payments && r.payments.length);
  $("withdraw").hidden = !["unconfirmed", "submitted", "changes_requested"].includes(r.status);
  const approved = ["approved", "partially_paid", "paid", "closed"].includes(r.status);
  // Shown again (after an upload, a report) the evidence stays in place until it is
  // read anew, so the page does not jump.
  if (!approved) $("s-evidence").hidden = true;
  showFiles(r, approved);
  if (approved) loadEvidence(r);
  if (approved) showPayout($("s-payout"), id, token, r.status, r.applicant.email, load);
  else $("s-payout").hidden = true;
  showPublication($("s-publication"), r, token, load);
}

const reportStates = { due: "Due", submitted: "Submitted, waiting for the committee", changes_requested: "Changes asked for", accepted: "Accepted" };

const files = new FileList($("s-files-list"));
const chooser = $("u-file");
const rules = rulesOf(chooser);
// choices are what a new file may be, as the purpose list offers them; evidence, those
// of an approved request's checklist.
let choices = [], evidence = null;

// showFiles lists the request's files and offers the upload, but on a request rejected
// or withdrawn, which takes no files. Before the decision a file supports the request;
// after approval it is evidence, as the checklist (loadEvidence) asks for it.
async function showFiles(r, approved) {
  const open = !["rejected", "withdrawn"].includes(r.status);
  $("upload-form").hidden = !open;
  if (!approved) {
    setChoices([{ purpose: "quote", label: "A quote (from a venue, a travel agency, a contractor…)" },
      ...(r.kind === "conference" ? [{ purpose: "prospectus", label: "The event's sponsorship prospectus" }] : []),
      { purpose: "other", label: "Other supporting material" }]);
    $("upload-why").textContent = r.kind === "conference" ? "A quote, or the event's sponsorship prospectus, helps the committee decide."
      : "A quote helps the committee decide.";
  } else {
    // The checklist's items, once loadEvidence has read them.
    setChoices(evidence || [{ purpose: "other", label: "Other supporting material" }]);
    $("upload-why").textContent = "Attach the evidence the checklist above asks for.";
  }
  const resp = await fetch(`/requests/${encodeURIComponent(id)}/attachments`, { headers: auth });
  const items = resp.ok ? (await resp.json()).items : [];
  files.show(items, (a) => purposeLabel(a, r));
  $("s-files-none").hidden = files.size > 0;
  $("s-files").hidden = !open && files.size === 0;
}

// setChoices fills the purpose list, keeping the choice made if it is still offered.
function setChoices(list) {
  const select = $("u-purpose");
  const was = select.selectedOptions[0] ? select.selectedOptions[0].textContent : "";
  choices = list;
  select.replaceChildren(...list.map((c, i) => el("option", { value: String(i), text: c.label, selected: c.label === was })));
}

// evidenceChoices are the items of an approved request's checklist, each a purpose with
// the cost line or milestone its key names, and other material.
function evidenceChoices(checklist) {
  return checklist.map((it) => {
    const c = { purpose: it.purpose, label: it.report === undefined ? it.label : `${it.label}: a file for it` };
    const line = /^receipt:(\d+)$/.exec(it.key), milestone = /^milestone:(\d+):/.exec(it.key);
    if (line) c.costLine = Number(line[1]);
    if (milestone) c.milestone = Number(milestone[1]);
    return c;
  }).concat([{ purpose: "other", label: "Other supporting material" }]);
}

const announce = (text) => { $("u-status").textContent = text; };

chooser.addEventListener("change", () => {
  showChoiceError(chooser, chooser.files[0] ? checkFile(chooser.files[0], rules).error : "");
});

// An upload is checked here first: a file the API would refuse is never sent.
$("upload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = chooser.files[0];
  const verdict = file ? checkFile(file, rules) : { error: "Choose a file to upload." };
  showChoiceError(chooser, verdict.error);
  if (verdict.error) {
    chooser.focus();
    return;
  }
  const choice = choices[Number($("u-purpose").value)] || choices[0];
  const button = $("upload-file");
  button.disabled = true;
  $("s-files-none").hidden = true;
  const row = files.add(file.name, purposeLabel(choice, current));
  const a = await send({ id, token, file, type: verdict.type, purpose: choice.purpose, costLine: choice.costLine, milestone: choice.milestone },
    row, announce);
  button.disabled = false;
  // A file that could not be sent stays chosen, to try again.
  if (row.li.dataset.state !== "failed") chooser.value = "";
  // The history, the checklist and the list now show what the check found.
  if (a) await load();
});

// loadEvidence shows the checklist of an approved request and its reports, with a form
// for each report that is due or was sent back.
async function loadEvidence(r) {
  const resp = await fetch(`/requests/${encodeURIComponent(id)}/evidence`, { headers: auth });
  if (!resp.ok) return;
  const ev = await resp.json();
  const list = $("s-checklist");
  const stateOf = (it) => {
    if (it.done) return "done";
    const rep = it.report === undefined ? null : ev.reports.find((x) => x.number === it.report);
    return rep ? (reportStates[rep.state] || rep.state).toLowerCase() : "missing";
  };
  list.replaceChildren(...ev.checklist.map((it) => el("li", { class: it.done ? "done" : undefined },
    `${it.label}: `, el("strong", { text: stateOf(it) }))));
  $("s-reports").replaceChildren(...ev.reports.map((rep) => reportView(r, rep)));
  evidence = evidenceChoices(ev.checklist);
  setChoices(evidence);
  $("s-evidence").hidden = false;
}

function reportView(r, rep) {
  const name = r.kind === "project" ? `Report on milestone ${rep.number + 1}` : r.kind === "travel" ? "Trip report" : "Post-event report";
  const box = el("section", { class: "panel report", "aria-label": name, "data-report": String(rep.number) },
    el("h4", { text: name }), el("p", {}, "State: ", el("strong", { class: "report-state", text: reportStates[rep.state] || rep.state }),
      rep.dueDate ? ` · due ${rep.dueDate}` : ""));
  if (rep.state === "changes_requested" && rep.message) box.append(el("blockquote", { text: rep.message }));
  if (rep.text) box.append(el("p", { class: "pre", text: rep.text }));
  if (rep.state === "due" || rep.state === "changes_requested") box.append(reportForm(r, rep));
  return box;
}

// reportForm submits a report; the server checks it again and says what evidence is
// still missing, if any.
function reportForm(r, rep) {
  const f = el("form", { novalidate: true, "aria-label": "Submit the report" });
  const field = (name, label, control, hint) => {
    const fid = `report-${rep.number}-${name}`;
    control.id = fid;
    control.name = name;
    const err = el("p", { class: "error", id: fid + "-error", hidden: true });
    control.setAttribute("aria-describedby", fid + "-error");
    return el("div", { class: "field", "data-field": name }, el("label", { for: fid, text: label }), hint ? el("p", { class: "hint", text: hint }) : null, control, err);
  };
  const text = el("textarea", { rows: "5", required: true });
  text.value = rep.text || "";
  f.append(field("text", "Your report", text, r.kind === "conference" ? "How the event went and how the sponsorship showed." : "What was done, and what the money paid for."));
  // A report sent back keeps what was written, for the applicant to change.
  const attendance = el("input", { type: "number", min: "1", inputmode: "numeric", required: true });
  attendance.value = rep.attendance || "";
  const deliverable = el("input", { type: "url" });
  deliverable.value = rep.deliverableUrl || "";
  if (r.kind === "conference") f.append(field("attendance", "Attendance", attendance));
  if (r.kind === "project") f.append(field("deliverableUrl", "Where the deliverable is (a link, or attach it as a file)", deliverable));
  const missing = el("div", { class: "panel notice", role: "alert", hidden: true });
  const submit = el("button", { type: "submit", class: "primary", text: "Submit the report" });
  f.append(missing, el("p", {}, submit));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    for (const p of f.querySelectorAll(".error")) { p.hidden = true; p.textContent = ""; }
    missing.hidden = true;
    const body = { text: f.elements.text.value.trim() };
    if (f.elements.attendance) body.attendance = Number(f.elements.attendance.value) || 0;
    if (f.elements.deliverableUrl && f.elements.deliverableUrl.value.trim()) body.deliverableUrl = f.elements.deliverableUrl.value.trim();
    let resp;
    try {
      resp = await fetch(`/requests/${encodeURIComponent(id)}/reports/${rep.number}`, {
        method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
    } catch {
      missing.replaceChildren(el("p", { text: "The report could not be sent; check your connection and try again." }));
      missing.hidden = false;
      return;
    } finally {
      submit.disabled = false;
    }
    if (resp.ok) {
      await load();
      return;
    }
    const p = await resp.json().catch(() => ({}));
    if (p.code === "evidence_missing") {
      missing.replaceChildren(el("p", { text: "Put this on file first:" }), el("ul", {}, ...(p.missing || []).map((m) => el("li", { text: m }))));
      missing.hidden = false;
      return;
    }
    for (const fe of p.errors || []) {
      const err = f.querySelector(`[data-field="${CSS.escape(fe.field)}"] .error`);
      if (err) { err.textContent = fe.message; err.hidden = false; }
    }
    if (!(p.errors || []).length) {
      missing.replaceChildren(el("p", { text: p.detail || "The report could not be submitted." }));
      missing.hidden = false;
    }
  });
  return f;
}

const form = document.getElementById("request-form");
mount(form, async (body) => {
  const resp = await fetch(`/requests/${encodeURIComponent(id)}`, {
    method: "PUT", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (resp.ok) {
    // The answer to an edit carries no history; show the request as a fresh read does.
    await load();
    $("s-status").focus();
  }
  return resp;
});

$("edit-request").addEventListener("click", () => {
  fill(form, current);
  $("status-view").hidden = true;
  $("edit").hidden = false;
  $("edit-title").focus();
});
$("edit-title").tabIndex = -1;
$("s-status").tabIndex = -1;
$("cancel-edit").addEventListener("click", () => render(current));

$("withdraw-request").addEventListener("click", async (e) => {
  const button = e.currentTarget;
  button.disabled = true;
  const resp = await fetch(`/requests/${encodeURIComponent(id)}/withdraw`, {
    method: "POST", headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ reason: $("withdraw-reason").value.trim() }),
  });
  button.disabled = false;
  if (resp.ok) {
    await load();
    $("s-status").focus();
  } else {
    const p = await resp.json().catch(() => ({}));
    $("withdraw-error").textContent = p.detail || "The request could not be withdrawn.";
    $("withdraw-error").hidden = false;
  }
});

load();
