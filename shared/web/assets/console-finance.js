// Finance's screens: what is owed, a request's ledger with payments and reversals,
// budgets, and reports.
import { api, day, download, evidenceSection, field, form, groups, h, link, money, newKey, reload, say, table, words } from "./console.js";

const owedRow = (r) => [link("#/pay/" + r.requestId, r.reference), r.title, r.applicant, words(r.kind), r.fiscalYear,
  money(r.approved), money(r.paid), money(r.outstanding), day(r.decidedAt)];
const owedHeads = ["Reference", "Title", "Payee", "Kind", "Fiscal year", "Approved", "Paid", "Outstanding", "Approved on"];

// toPay: two calls, approved and partly paid requests.
export async function toPay() {
  const [approved, partly] = await Promise.all([api("GET", "/finance/requests?status=approved&limit=100"),
    api("GET", "/finance/requests?status=partially_paid&limit=100")]);
  const section = (title, page) => page.items.length ? table(title, owedHeads, page.items.map(owedRow)) : h("p", { text: `${title}: none.` });
  return [h("h1", { tabindex: "-1", text: "Requests to pay" }), section("Approved, nothing paid yet", approved),
    section("Partly paid", partly), approved.nextCursor || partly.nextCursor ? h("p", { text: "More than 100: the oldest are shown." }) : null];
}

const methods = ["bank_transfer", "card", "paypal", "cheque", "cash", "other"];
const today = () => new Date().toISOString().slice(0, 10);

// archiveButton asks for the request's evidence as one ZIP (written to S3 as it
// streams) and follows the link it gets back.
function archiveButton(id, reference) {
  const note = h("span", { class: "hint", role: "status" });
  const button = h("button", { type: "button", class: "secondary", text: "Download all evidence (ZIP)", onclick: async () => {
    button.disabled = true;
    note.textContent = "Preparing the archive…";
    try {
      const a = await api("GET", `/finance/requests/${id}/archive`);
      note.textContent = `${reference}-evidence.zip: ${a.files} file(s) and a manifest; your browser downloads it now.`;
      location.assign(a.downloadUrl);
    } catch (err) { note.textContent = err.problem?.detail || err.message; }
    button.disabled = false;
  } });
  return h("p", {}, button, " ", note);
}

// payoutSection shows finance the applicant's payout details, opened, where they
// stand, and the button that marks them verified: payments wait until it is pressed,
// and while a change waits for the applicant's confirmation. The details are shown,
// never kept: the API answers them with Cache-Control: no-store.
function payoutSection(id, p) {
  const title = h("h2", { text: "Payout details" });
  if (!p) return [title, h("p", { text: "Only a member of finance who may pay this request sees its payout details." })];
  if (p.error) return [title, h("p", { class: "notice", role: "alert", text: "The payout details could not be opened: " + p.error + " Try again shortly." })];
  if (!p.given) return [title, h("p", { text: "The applicant has given no payout details: pay by the details on the invoice." })];
  const d = p.accountDetails || {};
  const grouped = (s) => (s || "").replace(/(.{4})(?=.)/g, "$1 ");
  const facts = [["Method", words(d.method)], ["Account holder", d.accountHolder]];
  if (d.method === "bank_transfer") facts.push(["IBAN", grouped(d.iban)], ["BIC", d.bic]);
  if (d.method === "paypal") facts.push(["PayPal address", d.email]);
  if (d.method === "other") facts.push(["Instructions", d.instructions]);
  facts.push(["Checked", p.verified ? `Verified by ${p.verifiedBy?.name || p.verifiedBy?.id || "finance"} on ${day(p.verifiedAt)}`
    : "Not verified yet: check them (against the invoice, or with the applicant by phone) before paying."]);
  const out = [title, h("dl", { class: "facts" }, facts.map(([t, v]) => [h("dt", { text: t }), h("dd", { text: String(v || "") })]))];
  if (p.change) {
    out.push(h("p", { class: "notice", role: "status", text: `A change to ${p.change.hint} waits for the applicant to confirm it from their mailbox, until ${day(p.change.confirmBy)}. Nothing is paid until then.` }));
  } else if (!p.verified) {
    const button = h("button", { type: "button", id: "verify-payout", text: "Mark these details verified", onclick: async () => {
      button.disabled = true;
      try {
        await api("POST", `/finance/requests/${id}/payout/verify`, { details: p.details });
        say("Payout details verified.", "good");
        reload();
      } catch (err) { say(err.problem?.detail || err.message, "bad"); button.disabled = false; }
    } });
    out.push(h("p", {}, button));
  }
  if (p.blocking.length) out.push(h("p", { text: "Payments wait for: " + p.blocking.join("; ") + "." }));
  return out;
}

// ledger: two calls (the payments, the evidence), and for finance a third (the payout
// details); the payment form carries one
// Idempotency-Key for as long as it is on screen, so a double click or a retry after a
// lost answer records one payment.
export async function ledger(id) {
  const mayPay = groups().includes("finance");
  const [l, ev, payout] = await Promise.all([api("GET", `/finance/requests/${id}/payments`), api("GET", `/finance/requests/${id}/evidence`),
    // The ledger shows even when the payout details cannot be read: not allowed (403),
    // or not opened (a KMS or storage fault).
    mayPay ? api("GET", `/finance/requests/${id}/payout`).catch((err) => err.status === 403 ? null : { error: err.problem?.detail || err.message }) : null]);
  const payments = l.payments || [];
  const reversed = new Set(payments.filter((p) => p.reverses).map((p) => p.reverses));
  const key = newKey();
  // Reversing asks once more in place (no modal dialog): the question and its two
  // answers replace the button, and focus moves to them.
  const reverse = (p) => {
    const cell = h("span", { class: "ask" });
    const ask = h("button", { type: "button", text: "Reverse", "aria-label": `Reverse the payment of ${money(p.amount)} of ${p.date}`,
      onclick: () => { cell.replaceChildren(`Reverse ${money(p.amount)}? `, yes, " ", keep); yes.focus(); } });
    const keep = h("button", { type: "button", class: "secondary", text: "Keep it", onclick: () => { cell.replaceChildren(ask); ask.focus(); } });
    const yes = h("button", { type: "button", class: "danger", text: "Yes, reverse", onclick: async () => {
      yes.disabled = true;
      try {
        await api("POST", `/finance/requests/${id}/payments`, { reverses: p.id, date: today(), method: p.method, note: "Reversal" }, { "Idempotency-Key": "reverse-" + p.id });
        say(`The payment of ${money(p.amount)} is reversed.`, "good");
        reload();
      } catch (err) { say(err.problem?.detail || err.message, "bad"); yes.disabled = false; }
    } });
    cell.append(ask);
    return cell;
  };
  const against = (p) => p.advance ? "advance" : p.milestone !== undefined ? `milestone ${p.milestone + 1}` : "evidence";
  const rows = payments.map((p) => [p.date, money(p.amount), against(p), words(p.method), p.externalReference || "", p.note || "",
    p.recordedBy.name || p.recordedBy.id || "", p.reverses ? "reversal" : reversed.has(p.id) ? "reversed" : mayPay ? reverse(p) : ""]);
  // What a payment is made against: a project's milestone (from its reports), the
  // evidence on file, or an advance within the share the settings allow.
  const basis = l.kind === "project"
    ? ev.reports.map((r) => [String(r.number), `Milestone ${r.number + 1} (report ${words(r.state)})`])
    : [["evidence", "The evidence on file"]];
  basis.push(["advance", "An advance, before the evidence"]);
  const pay = mayPay && l.outstanding.value !== "0" && !/^0(\.0+)?$/.test(l.outstanding.value) ? [h("h2", { text: "Record a payment" }),
    form("Record a payment", [
      field({ name: "basis", label: "Paid against", options: basis }),
      field({ name: "value", label: `Amount (${l.outstanding.currency})`, hint: `At most ${money(l.outstanding)}, what remains.`, value: l.outstanding.value, inputmode: "decimal", required: true }),
      field({ name: "date", label: "Paid on", type: "date", value: today(), required: true }),
      field({ name: "method", label: "Method", value: "bank_transfer", options: methods.map((m) => [m, words(m)]) }),
      field({ name: "externalReference", label: "Bank or provider reference (optional)" }),
      field({ name: "note", label: "Note (optional)", type: "textarea" }),
    ], "Record the payment", async (v) => {
      const milestone = /^\d+$/.test(v.basis) ? Number(v.basis) : undefined;
      const out = await api("POST", `/finance/requests/${id}/payments`, { amount: { currency: l.outstanding.currency, value: v.value },
        date: v.date, method: v.method, externalReference: v.externalReference || undefined, note: v.note || undefined,
        milestone, advance: v.basis === "advance" || undefined }, { "Idempotency-Key": key });
      say(`Payment recorded; ${money(out.outstanding)} still owed.`, "good");
      reload();
    })] : [];
  return [h("p", {}, link("#/pay", "Back to the requests to pay")), h("h1", { tabindex: "-1", text: `${l.reference}: ${l.title}` }),
    h("dl", { class: "facts" }, [["Payee", `${l.applicant}, ${l.organization}`], ["Status", words(l.status)], ["Approved", money(l.approved)],
      ["Paid", money(l.paid)], ["Outstanding", money(l.outstanding)], ["Fiscal year", l.fiscalYear]].map(([t, d]) => [h("dt", { text: t }), h("dd", { text: String(d) })])),
    rows.length ? table("Payments", ["Date", "Amount", "Against", "Method", "Reference", "Note", "Recorded by", ""], rows) : h("p", { text: "No payments yet." }),
    ...evidenceSection(`/finance/requests/${id}`, ev, mayPay), mayPay ? archiveButton(id, l.reference) : null,
    ...(mayPay ? payoutSection(id, payout) : []), ...pay];
}

// budgets: one call; admins change allocations here too.
export async function budgets() {
  const isAdmin = groups().includes("admins");
  const list = await api("GET", isAdmin ? "/admin/budgets" : "/finance/budgets");
  const rows = list.items.map((b) => [b.fiscalYear, words(b.category), b.currency, b.allocated, b.committed, b.paid, b.remaining]);
  const edit = isAdmin ? [h("h2", { text: "Set an allocation" }), form("Set an allocation", h("div", { class: "cols" },
    field({ name: "fiscalYear", label: "Fiscal year", value: new Date().getFullYear(), inputmode: "numeric", required: true }),
    field({ name: "category", label: "Category", options: [["conference", "Conference"], ["travel", "Travel"], ["project", "Project"]] }),
    field({ name: "currency", label: "Currency", value: "EUR", required: true }),
    field({ name: "allocated", label: "Allocated", inputmode: "decimal", required: true })), "Save the allocation", async (v) => {
    await api("PUT", `/admin/budgets/${encodeURIComponent(v.fiscalYear)}/${v.category}/${encodeURIComponent(v.currency.toUpperCase())}`, { allocated: v.allocated });
    say("Allocation saved.", "good");
    reload();
  })] : [];
  return [h("h1", { tabindex: "-1", text: "Budgets" }),
    rows.length ? table("Budgets by fiscal year, category and currency", ["Fiscal year", "Category", "Currency", "Allocated", "Committed", "Paid", "Remaining"], rows)
      : h("p", { text: "No budget is allocated yet." }), ...edit];
}

// reports: no call until a report is asked for; the download shows its progress.
export function reports() {
  const progress = h("p", { role: "status", "aria-live": "polite" });
  const year = String(new Date().getFullYear());
  return [h("h1", { tabindex: "-1", text: "Reports" }), form("Download a report", [h("div", { class: "cols" },
    field({ name: "report", label: "Report", options: [["requests", "Requests"], ["payments", "Payments"], ["summary", "Summary"], ["audit", "Audit trail"]] }),
    field({ name: "format", label: "Format", options: [["xlsx", "Spreadsheet (XLSX)"], ["csv", "CSV"], ["json", "JSON"]] }),
    field({ name: "fiscalYear", label: "Fiscal year", value: year, inputmode: "numeric" })), h("div", { class: "cols" },
    field({ name: "from", label: "From (optional)", type: "date" }), field({ name: "to", label: "To (optional)", type: "date" }),
    field({ name: "status", label: "Status", options: [["", "Any"], ...["submitted", "approved", "partially_paid", "paid", "closed", "rejected", "withdrawn", "changes_requested"].map((s) => [s, words(s)])] }),
    field({ name: "kind", label: "Kind", options: [["", "Any"], ["conference", "Conference"], ["travel", "Travel"], ["project", "Project"]] }),
    field({ name: "currency", label: "Currency (optional)" }))], "Download", async (v) => {
    const q = new URLSearchParams();
    for (const [k, val] of Object.entries(v)) if (val && k !== "report") q.set(k, k === "currency" ? val.toUpperCase() : val);
    const name = `${v.report}${v.fiscalYear ? "-FY" + v.fiscalYear : ""}.${v.format}`;
    await download(`/finance/reports/${v.report}?${q}`, name, (m) => { progress.textContent = m; });
  }, progress), ...(groups().includes("finance") ? yearArchive(year) : [])];
}

// yearArchive asks for the evidence of a fiscal year's payments as one ZIP and follows
// the link it gets back.
function yearArchive(year) {
  const note = h("p", { role: "status", "aria-live": "polite" });
  return [h("h2", { text: "Evidence of a fiscal year" }), form("Download a fiscal year's evidence",
    field({ name: "fiscalYear", label: "Fiscal year", value: year, inputmode: "numeric", required: true }), "Download the evidence (ZIP)",
    async (v) => {
      note.textContent = "Preparing the archive…";
      const a = await api("GET", `/finance/archive?fiscalYear=${encodeURIComponent(v.fiscalYear)}`);
      note.textContent = `FY${v.fiscalYear}-evidence.zip: ${a.files} file(s) and a manifest; your browser downloads it now.`;
      location.assign(a.downloadUrl);
    }, note)];
}
