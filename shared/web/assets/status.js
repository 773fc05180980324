// The status page: open a request with the private link's id and token, show where it
// stands, and let the applicant edit and resubmit it or withdraw it.
import { mount, fill } from "/assets/form.js";

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
  report_submitted: "Report submitted", report_changes_requested: "The committee asked for changes to a report", report_accepted: "Report accepted",
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
