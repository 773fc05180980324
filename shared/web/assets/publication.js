// What may be published of a request once it is decided: the applicant's three
// choices, and a preview of exactly what the public register would show under one,
// made from the request's values and the fields admins made public (GET /publication).
// The preview follows the server's projection (sponsorship.PublicRecordOf): the name
// and organization under "named" only, the anonymous label under "anonymous", nothing
// under "none". Every value goes into the page as text.
import { el } from "/assets/dom.js";

// The choices, widest first: a choice may be narrowed to one after it, never widened.
export const choices = ["named", "anonymous", "none"];
export const choiceWords = {
  named: "Published with your name and organization",
  anonymous: "Published without your name or organization",
  none: "Not published: counted only in the yearly totals",
};

let settings = null;

// publicFields reads, once per page, what a decided request publishes.
export async function publicFields() {
  if (!settings) {
    const resp = await fetch("/publication");
    if (!resp.ok) throw new Error(`GET /publication: ${resp.status}`);
    settings = await resp.json();
  }
  return settings;
}

const kindWords = { conference: "Conference sponsorship", travel: "Travel grant", project: "Project funding" };
const money = (a) => (a && a.value ? `${a.value} ${a.currency}` : "");
const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

function eventName(r) {
  const x = r.conference || r.travel;
  return x ? x.eventName : (r.project ? r.project.name : "");
}

// previewRows lists, as [label, value], what the register would show of request r (the
// API's shape, or the form's body) under choice; none for "none". Values not known
// until the decision say what will stand there.
export function previewRows(r, s, choice) {
  if (!choices.includes(choice) || choice === "none") return [];
  const named = choice === "named";
  const label = (f) => (s.catalogue.find((c) => c.field === f) || {}).label || f;
  const rows = [];
  for (const f of s.fields) {
    let v;
    switch (f) {
      case "kind": v = kindWords[r.kind]; break;
      case "title": v = r.title; break;
      case "applicantName": v = named ? r.applicant.name : capital(s.anonymous[r.kind] || "an individual"); break;
      case "organization": if (!named) continue; v = r.applicant.organization; break;
      case "event": v = eventName(r); break;
      case "requestedAmount": v = money(r.amount); break;
      case "approvedAmount":
        v = money(r.approvedAmount) || (money(r.amount) ? `At most ${money(r.amount)}, as the committee decides` : "The amount the committee approves");
        break;
      case "decisionDate": v = r.decidedAt ? r.decidedAt.slice(0, 10) : "The date of the decision"; break;
      case "tally": v = "Each company's seat on the committee and how it voted"; break;
      case "recusals": v = "The seats that stood aside, and whether a company match or the member set them aside"; break;
      case "payments": v = "How many payments were made, and their total"; break;
      default: continue;
    }
    rows.push([label(f), v || "(not filled in yet)"]);
  }
  return rows;
}

// showPreview puts the preview of r under choice into box.
export function showPreview(box, r, s, choice) {
  if (!choices.includes(choice)) {
    box.replaceChildren(el("p", { class: "hint", text: "Choose one of the options above to see exactly what would be published." }));
    return;
  }
  if (choice === "none") {
    box.replaceChildren(el("p", { text: "Nothing of this request appears in the public register. It counts only in the yearly totals: how many requests there were and how much was approved and paid." }));
    return;
  }
  const dl = el("dl", { class: "facts" });
  for (const [k, v] of previewRows(r, s, choice)) dl.append(el("dt", { text: k }), el("dd", { text: v }));
  const never = s.catalogue.filter((c) => !c.publishable).map((c) => c.label.toLowerCase());
  const decided = ["approved", "rejected", "partially_paid", "paid", "closed"].includes(r.status);
  box.replaceChildren(el("p", { text: decided ? "The public register shows:" : "If the request is approved, the public register will show:" }), dl,
    el("p", { class: "hint", text: `Never published: ${never.join("; ")}.` }),
    el("p", { class: "hint", text: "The decision also gets an entry in the public log that proves the committee's record unchanged: "
      + "the request's number, kind, fiscal year, decision, date, approved amount and vote count, never your name, organization or title. "
      + "Narrowing your choice later takes the request out of the register, but not out of that log." }));
}

// mountFormChoice keeps the form's preview in step with its choice and its values.
export function mountFormChoice(form, collect) {
  const box = document.getElementById("publication-preview-body");
  const update = async () => {
    try {
      const body = collect(form);
      showPreview(box, body, await publicFields(), body.publication);
    } catch {
      box.replaceChildren(el("p", { class: "error", text: "The preview could not be loaded; your choice is still sent with the request." }));
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}

// showPublication fills the status page's section: the current choice, its preview,
// and the narrower choices the applicant may move to.
export async function showPublication(section, r, token, reload) {
  const current = r.publication || "none";
  section.hidden = false;
  section.querySelector("#s-publication-choice").textContent = choiceWords[current];
  const preview = section.querySelector("#s-publication-preview");
  try {
    showPreview(preview, r, await publicFields(), current);
  } catch {
    preview.replaceChildren(el("p", { class: "error", text: "The preview could not be loaded." }));
  }
  const form = section.querySelector("#publication-form");
  const narrower = choices.slice(choices.indexOf(current) + 1);
  form.hidden = narrower.length === 0;
  section.querySelector("#s-publication-narrowest").hidden = narrower.length > 0;
  const options = section.querySelector("#s-publication-options");
  options.replaceChildren(...narrower.map((c) => el("label", { class: "choice" },
    el("input", { type: "radio", name: "narrow-publication", value: c, "aria-describedby": "hint-narrow-publication" }), choiceWords[c])));
  const error = section.querySelector("#publication-error");
  error.hidden = true;
  form.onsubmit = async (e) => {
    e.preventDefault();
    const chosen = form.querySelector("input[name=narrow-publication]:checked");
    if (!chosen) {
      error.textContent = "Choose the narrower option first.";
      error.hidden = false;
      options.querySelector("input").focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const resp = await fetch(`/requests/${encodeURIComponent(r.id)}/publication`, {
      method: "PUT", headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: JSON.stringify({ publication: chosen.value }),
    }).catch(() => null);
    button.disabled = false;
    if (resp && resp.ok) {
      section.querySelector("#publication-status").textContent = `Saved: ${choiceWords[chosen.value].toLowerCase()}.`;
      await reload();
      section.querySelector("#s-publication-title").focus();
      return;
    }
    let detail = "The change could not be saved; try again.";
    try { const p = await resp.json(); if (p.detail) detail = p.detail; } catch { /* not a problem document */ }
    error.textContent = detail;
    error.hidden = false;
  };
}
