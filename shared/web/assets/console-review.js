// The reviewers' screens: the queue and a request's dossier with its actions.
import { api, day, evidenceSection, field, form, h, link, me, money, reload, say, table, words } from "./console.js";

const kinds = [["", "Every kind"], ["conference", "Conference"], ["travel", "Travel"], ["project", "Project"]];
const statuses = ["submitted", "changes_requested", "approved", "rejected", "withdrawn", "partially_paid", "paid", "closed"];

// queue: one call, filtered by the form's choices (kept in the address, so a reload or
// a return from the dossier shows the same page).
export async function queue() {
  const q = new URLSearchParams(sessionStorage.getItem("queue") || "waiting=me");
  const page = await api("GET", "/review/requests?" + q);
  const filters = form("Filter the queue", h("div", { class: "cols" },
    field({ name: "waiting", label: "Show", value: q.get("waiting") || "all", options: [["me", "Waiting on my vote"], ["all", "All requests"]] }),
    field({ name: "status", label: "Status", value: q.get("status") || "submitted", options: statuses.map((s) => [s, words(s)]) }),
    field({ name: "kind", label: "Kind", value: q.get("kind") || "", options: kinds })), "Show", (v) => {
    const next = new URLSearchParams();
    for (const [k, val] of Object.entries(v)) if (val && !(k === "waiting" && val === "all")) next.set(k, val);
    sessionStorage.setItem("queue", next.toString());
    reload();
  });
  const rows = page.items.map((r) => [
    link("#/review/" + r.id, r.reference), r.title, words(r.kind), r.organization, money(r.amount), day(r.submittedAt),
    r.recused ? "Recused" : r.possibleConflict ? "Possible conflict: settle it" : r.voted ? "Voted" : "Waiting for you",
  ]);
  const more = page.nextCursor ? h("p", {}, h("button", { type: "button", onclick: () => {
    q.set("cursor", page.nextCursor); sessionStorage.setItem("queue", q.toString()); reload();
  }, text: "Next page" })) : null;
  q.delete("cursor"); sessionStorage.setItem("queue", q.toString());
  return [h("h1", { tabindex: "-1", text: "Requests to review" }), filters,
    rows.length ? table(`${rows.length} request${rows.length === 1 ? "" : "s"}`, ["Reference", "Title", "Kind", "Organization", "Amount", "Submitted", "You"], rows)
      : h("p", { text: "Nothing here: no request matches these filters." }), more];
}

// publicationWords say what the applicant agreed may be published once it is decided.
const publicationWords = { named: "With name and organization", anonymous: "Without name or organization", none: "Only in the yearly totals" };

// details lists what the applicant asked for, by kind.
function details(r, round) {
  const k = r.conference || r.travel || r.project || {};
  const facts = [["Applicant", `${r.applicant.name} <${r.applicant.email}>, ${r.applicant.organization}`], ["Amount", money(r.amount)],
    ["Fiscal year", r.fiscalYear], ["Status", words(r.status)], ["Review round", round],
    ["Publication", publicationWords[r.publication] || publicationWords.none]];
  for (const [key, label] of [["eventName", "Event"], ["eventUrl", "Event site"], ["startDate", "From"], ["endDate", "To"], ["location", "Where"],
    ["tier", "Tier"], ["traveller", "Traveller"], ["talkTitle", "Talk"], ["origin", "Travelling from"], ["name", "Project"],
    ["repositoryUrl", "Repository"], ["licence", "Licence"]]) if (k[key]) facts.push([label, k[key]]);
  const lines = [...(r.budgetItems || []).map((b) => [b.description, money(b.amount)]),
    ...((r.project && r.project.milestones) || []).map((m) => [`${m.title} (due ${m.dueDate})`, money(m.amount)])];
  return [h("dl", { class: "facts" }, facts.map(([t, d]) => [h("dt", { text: t }), h("dd", { text: String(d) })])),
    h("h2", { text: "Summary" }), h("p", { class: "text", text: r.summary }),
    lines.length ? table("Cost lines and milestones", ["What", "Amount"], lines) : null];
}

// why tells a reviewer who cannot act what stands in the way.
function why(d) {
  const you = d.you;
  if (you.recusal) return `You are recused: ${you.recusal.reason}.`;
  if (d.request.status !== "submitted") return `The request is ${words(d.request.status)}: there is nothing to vote on.`;
  if (you.possibleConflict && !you.declaration) return `Possible conflict of interest: ${you.possibleConflict.reason}. Declare that there is none, with your reason, or recuse yourself before you vote.`;
  return "";
}

// dossier: one call; the actions post and show the outcome.
// dossier: one call, two once the request is approved (its evidence and reports).
export async function dossier(id) {
  const d = await api("GET", "/review/requests/" + id);
  const decidedForMoney = ["approved", "partially_paid", "paid", "closed"].includes(d.request.status);
  const ev = decidedForMoney ? await api("GET", `/review/requests/${id}/evidence`) : null;
  const r = d.request, t = d.tally, you = d.you;
  const act = (path, msg) => async (v) => {
    const out = await api("POST", `/review/requests/${id}/${path}`, v);
    say(msg(out), "good");
    reload();
  };
  const blocked = why(d);
  const actions = [];
  if (you.possibleConflict && !you.declaration && !you.recusal && r.status === "submitted") {
    actions.push(h("h2", { text: "Settle the possible conflict" }), form("Declare no conflict",
      field({ name: "reason", label: "Why your company is not the applicant's", type: "textarea", required: true }),
      "Declare no conflict", act("no-conflict", () => "Your declaration is on the record; you may vote.")));
  }
  if (you.canAct && r.status === "submitted") {
    const vote = you.vote;
    actions.push(h("h2", { text: vote ? "Change your vote" : "Vote" }), form("Vote", [
      h("fieldset", {}, h("legend", { text: "Your vote" }), ["approve", "reject", "abstain"].map((c) =>
        h("label", { class: "choice" }, h("input", { type: "radio", name: "choice", value: c, checked: (vote ? vote.choice : "approve") === c }), " " + c))),
      field({ name: "amount", label: `Amount to approve (${r.amount.currency}, optional)`, hint: `At most ${money(r.amount)}; leave empty for the amount asked.`, inputmode: "decimal" }),
      field({ name: "comment", label: "Comment (optional)", type: "textarea" }),
    ], vote ? "Change my vote" : "Vote", (v) => act("votes", (o) => o.status === "submitted" ? "Your vote is recorded." : `Your vote decided the request: ${words(o.status)}.`)({
      choice: v.choice, comment: v.comment || undefined, amount: v.amount ? { currency: r.amount.currency, value: v.amount } : undefined })));
    actions.push(h("h2", { text: "Ask the applicant for changes" }), form("Ask for changes",
      field({ name: "message", label: "What should change", type: "textarea", required: true }), "Send the request back",
      act("changes", () => "The request went back to its applicant.")));
    actions.push(h("h2", { text: "Comment for the committee" }), form("Comment",
      field({ name: "text", label: "Comment (the applicant never sees it)", type: "textarea", required: true }), "Add the comment",
      async (v) => { await api("POST", `/review/requests/${id}/comments`, v); say("Comment added.", "good"); reload(); }));
  }
  if (!you.recusal && r.status === "submitted") {
    actions.push(h("h2", { text: "Recuse yourself" }), form("Recuse",
      field({ name: "reason", label: "Reason (on the record)", type: "textarea", required: true }), "Recuse me",
      act("recusal", () => "You are recused; your vote no longer counts.")));
  }
  const seats = t.seats.map((s) => [s.company || "(no company)", s.memberNames.join(", "), s.vote ? words(s.vote) : "not voted"]);
  return [
    h("p", {}, link("#/queue", "Back to the queue")),
    h("h1", { tabindex: "-1", text: `${r.reference}: ${r.title}` }),
    blocked ? h("p", { class: "notice", role: "note", text: blocked }) : null,
    ...details(r, d.round),
    h("h2", { text: "Where it stands" }),
    h("p", { text: `${t.voted} of ${t.seats.length} seats voted (${t.approving} approve, ${t.rejecting} reject, ${t.abstaining} abstain); quorum ${t.quorumReached ? "reached" : "not reached"}; ${t.outcome === "submitted" ? "still open" : words(t.outcome)}${t.amount ? " for " + money(t.amount) : ""}.` }),
    table("Seats, one per company", ["Company", "Members", "Seat's vote"], seats),
    t.recused.length ? table("Recused", ["Reviewer", "Why", "Automatic"], t.recused.map((x) => [x.reviewerName, x.reason, x.automatic ? "yes" : "no"])) : null,
    d.conflicts.length ? table("Conflicts of interest", ["Company", "Level", "Why", "Its reviewers"], d.conflicts.map((c) =>
      [c.company, c.level, c.reason, c.reviewers.map((x) => `${x.reviewerName}${x.settled ? " (" + words(x.settled) + ")" : " (to settle)"}`).join(", ")])) : null,
    d.votes.length ? table("Votes", ["Reviewer", "Company", "Vote", "Amount", "Comment"], d.votes.map((v) =>
      [v.reviewerName + (v.reviewerId === me() ? " (you)" : ""), v.company || "", words(v.choice), money(v.amount), v.comment || ""])) : null,
    ...actions,
    ...(ev ? evidenceSection(`/review/requests/${id}`, ev, true) : []),
    h("h2", { text: "Comments" }),
    d.comments.length ? h("ul", { class: "log" }, d.comments.map((c) => h("li", {}, h("strong", { text: c.authorName }), ` ${day(c.at)}: `, c.text))) : h("p", { text: "No comments yet." }),
    h("h2", { text: "History" }),
    h("ol", { class: "log" }, d.history.map((e) => h("li", {}, `${day(e.at)} ${words(e.type)} by ${e.actor.name || e.actor.role}`,
      e.message ? h("q", { text: e.message }) : null))),
  ];
}
