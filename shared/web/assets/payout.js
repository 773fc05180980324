// Payout details on the status page: where they stand (the method and the account's
// last four characters, never more: the page never receives the details back), and
// the form that gives them or asks to change them. The first details are in force at
// once; a change waits for the link mailed to the request's address. Every value goes
// in as text.

import { el } from "/assets/dom.js";

const methods = [["bank_transfer", "Bank transfer (IBAN)"], ["paypal", "PayPal"], ["other", "Another way"]];
const fieldsOf = { bank_transfer: ["accountHolder", "iban", "bic"], paypal: ["accountHolder", "email"], other: ["accountHolder", "instructions"] };
const labels = {
  accountHolder: ["Account holder", "The name the account is in, as the bank knows it."],
  iban: ["IBAN", "Spaces are fine, e.g. FR76 3000 6000 0112 3456 7890 189."],
  bic: ["BIC (SWIFT code)", "8 or 11 letters and digits, e.g. BNPAFRPPXXX."],
  email: ["PayPal address", ""],
  instructions: ["How to pay you", "For example a US routing and account number, or a wise.com account."],
};
const when = (t) => new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

// showPayout fills the section with where the details of request id stand and, while
// money remains to pay (status), the form. email is where a change's link goes;
// changed shows the whole request again once details are saved (its history grew).
export async function showPayout(section, id, token, status, email, changed) {
  const auth = { Authorization: "Bearer " + token };
  let resp;
  try {
    resp = await fetch(`/requests/${encodeURIComponent(id)}/payout`, { headers: auth });
  } catch {
    resp = null;
  }
  if (!resp?.ok) { section.hidden = true; return; }
  const p = await resp.json();
  const open = status === "approved" || status === "partially_paid";
  const body = section.querySelector(".payout-body");
  const parts = [];
  if (p.given) {
    parts.push(el("p", { id: "payout-current", tabindex: "-1" }, "In force: ", el("strong", { text: p.hint }), ". ",
      p.verified ? "Finance has checked them." : "Finance checks them before paying."));
  } else if (open) {
    parts.push(el("p", { id: "payout-current", text: "Tell finance how to pay you. Only finance sees these details; they are stored encrypted." }));
  }
  if (p.change) {
    parts.push(el("div", { class: "panel notice", id: "payout-change", role: "status", tabindex: "-1" },
      el("p", {}, "A change to ", el("strong", { text: p.change.hint }), ` waits for you: open the link we mailed to ${email} by ${when(p.change.confirmBy)}. Nothing is paid until then.`)));
  }
  if (open) {
    // A form being filled in survives the page showing the request again (after an
    // upload or a report); after a save it starts afresh.
    const typing = section.querySelector("#payout-form");
    const kept = typing && !focusNext && [...typing.querySelectorAll("input, textarea")].some((c) => c.value.trim());
    parts.push(kept ? typing : payoutForm(id, auth, p, changed));
  }
  body.replaceChildren(...parts);
  section.hidden = parts.length === 0;
  // After a save, the news takes the focus: the details in force, or the change waiting.
  if (focusNext) document.getElementById(focusNext)?.focus();
  focusNext = "";
}

// focusNext names what takes the focus once the section is shown again after a save.
let focusNext = "";

function payoutForm(id, auth, p, reload) {
  const f = el("form", { novalidate: true, id: "payout-form", "aria-label": p.given ? "Change the payout details" : "Give the payout details", autocomplete: "off" });
  const method = el("select", { id: "payout-method", name: "method" }, ...methods.map(([v, t]) => el("option", { value: v, text: t })));
  method.value = p.method || "bank_transfer";
  const fields = {};
  const field = (name) => {
    const fid = "payout-" + name;
    const [label, hint] = labels[name];
    const control = name === "instructions" ? el("textarea", { rows: "3" }) : el("input", { type: name === "email" ? "email" : "text", spellcheck: "false" });
    control.id = fid;
    control.name = name;
    const err = el("p", { class: "error", id: fid + "-error", hidden: true });
    control.setAttribute("aria-describedby", (hint ? fid + "-hint " : "") + fid + "-error");
    fields[name] = el("div", { class: "field", "data-field": name }, el("label", { for: fid, text: label }),
      hint ? el("p", { class: "hint", id: fid + "-hint", text: hint }) : null, control, err);
    return fields[name];
  };
  const methodError = el("p", { class: "error", id: "payout-method-error", hidden: true });
  method.setAttribute("aria-describedby", "payout-method-error");
  f.append(el("div", { class: "field", "data-field": "method" }, el("label", { for: "payout-method", text: "How to pay you" }), method, methodError),
    ...Object.keys(labels).map(field));
  const showFields = () => {
    for (const [name, box] of Object.entries(fields)) box.hidden = !fieldsOf[method.value].includes(name);
  };
  method.addEventListener("change", showFields);
  showFields();
  const note = el("p", { class: "busy", role: "status", "aria-live": "polite" });
  // One key for as long as this form is shown: a second click or a retry after a lost
  // answer is the same request, not a change to confirm.
  const key = crypto.randomUUID();
  const submit = el("button", { type: "submit", class: "primary", text: p.given ? "Ask to change the payout details" : "Save the payout details" });
  f.append(p.given ? el("p", { class: "hint", text: "A change takes effect once you open the link we mail you; until finance has checked the new details, nothing is paid." }) : null,
    el("p", {}, submit), note);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const x of f.querySelectorAll(".error")) { x.hidden = true; x.textContent = ""; }
    for (const c of f.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
    const body = { method: method.value };
    for (const name of fieldsOf[method.value]) body[name] = f.elements[name].value.trim();
    // Checked here first so that nothing half-filled is sent; the server checks all again.
    let missing = false;
    for (const name of fieldsOf[method.value]) {
      if (!body[name]) {
        const err = fields[name].querySelector(".error");
        err.textContent = "This field is required.";
        err.hidden = false;
        f.elements[name].setAttribute("aria-invalid", "true");
        missing = true;
      }
    }
    if (missing) { f.querySelector("[aria-invalid]")?.focus(); return; }
    submit.disabled = true;
    note.textContent = "Saving…";
    let resp;
    try {
      resp = await fetch(`/requests/${encodeURIComponent(id)}/payout`, {
        method: "PUT", headers: { ...auth, "Content-Type": "application/json", "Idempotency-Key": key }, body: JSON.stringify(body),
      });
    } catch {
      note.textContent = "The details could not be sent; check your connection and try again.";
      submit.disabled = false;
      return;
    }
    note.textContent = "";
    if (resp.ok) {
      focusNext = resp.status === 202 ? "payout-change" : "payout-current";
      await reload(); // the button stays disabled until the page shows the outcome
      return;
    }
    submit.disabled = false;
    const prob = await resp.json().catch(() => ({}));
    const loose = [];
    for (const fe of prob.errors || []) {
      const box = f.querySelector(`[data-field="${CSS.escape(fe.field)}"]`);
      const err = box?.querySelector(".error");
      if (err && !box.hidden) {
        err.textContent = fe.message;
        err.hidden = false;
        box.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
      } else loose.push(fe.message);
    }
    if (loose.length || !(prob.errors || []).length) note.textContent = [prob.detail || "The details could not be saved.", ...loose].join(" ");
    f.querySelector("[aria-invalid]")?.focus();
  });
  return f;
}
