// The admins' screens: staff (onboarding in one step), companies, settings. Budgets
// are finance's screen, where admins may change allocations.
import { api, field, form, h, reload, say, table, words } from "./console.js";

const roleBoxes = (chosen) => h("fieldset", { class: "field", "data-field": "roles" }, h("legend", { text: "Roles" }),
  [["reviewer", "Reviewer (sits on the committee)"], ["finance", "Finance"], ["admin", "Admin"]].map(([r, label]) =>
    h("label", { class: "choice" }, h("input", { type: "checkbox", name: "role-" + r, value: r, checked: chosen.includes(r) }), " " + label)),
  h("p", { class: "error", hidden: true }));

const rolesOf = (f) => [...f.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);

const companyOptions = (companies) => [["", "No company (a seat alone)"], ...companies.map((c) => [c.id, c.name])];

// staff: two calls, the staff and the companies.
export async function staff() {
  const [people, companies] = await Promise.all([api("GET", "/admin/staff"), api("GET", "/admin/companies")]);
  const opts = companyOptions(companies.items);
  const post = (path, done) => async (e) => {
    e.currentTarget.disabled = true;
    try { await api("POST", path); say(done, "good"); reload(); } catch (err) { say(err.problem?.detail || err.message, "bad"); e.currentTarget.disabled = false; }
  };
  const rows = people.items.map((p) => {
    const edit = form(`Change ${p.name}`, [field({ name: "name", label: "Name", value: p.name, required: true }), roleBoxes(p.roles),
      field({ name: "companyId", label: "Company", value: p.companyId || "", options: opts })], "Save", async (v, f) => {
      await api("PUT", "/admin/staff/" + encodeURIComponent(p.id), { name: v.name, roles: rolesOf(f), companyId: v.companyId });
      say(`${v.name} is saved.`, "good");
      reload();
    });
    return [p.name, p.email, p.roles.map(words).join(", "), p.company || "", words(p.signIn) + (p.active ? "" : " (inactive)"),
      h("details", {}, h("summary", { text: "Change" }), edit),
      h("div", { class: "actions" },
        p.active ? h("button", { type: "button", onclick: post(`/admin/staff/${encodeURIComponent(p.id)}/deactivate`, `${p.name} can no longer sign in.`), text: "Deactivate" })
          : h("button", { type: "button", onclick: post(`/admin/staff/${encodeURIComponent(p.id)}/reactivate`, `${p.name} may sign in again.`), text: "Reactivate" }),
        p.signIn === "invited" ? h("button", { type: "button", onclick: post(`/admin/staff/${encodeURIComponent(p.id)}/invitation`, `The invitation went to ${p.email} again.`), text: "Send the invitation again" }) : null)];
  });
  const invite = form("Invite a member of staff", [field({ name: "name", label: "Name", required: true, autocomplete: "off" }),
    field({ name: "email", label: "E-mail address", type: "email", required: true }), roleBoxes(["reviewer"]),
    field({ name: "companyId", label: "Company", options: opts, hint: "Reviewers of one company form one seat; add a company under Companies first." })],
  "Send the invitation", async (v, f) => {
    const p = await api("POST", "/admin/staff", { name: v.name, email: v.email, roles: rolesOf(f), companyId: v.companyId || undefined });
    say(`${p.name} is invited: Cognito sends them a temporary password.`, "good");
    reload();
  });
  return [h("h1", { tabindex: "-1", text: "Staff" }),
    table("Staff and their sign-in", ["Name", "E-mail", "Roles", "Company", "Sign-in", "", ""], rows),
    h("h2", { text: "Invite a member of staff" }), invite];
}

const lines = (s) => (s || "").split("\n").map((x) => x.trim()).filter(Boolean);

// companies: one call.
export async function companies() {
  const list = await api("GET", "/admin/companies");
  const editor = (c) => form(c ? `Change ${c.name}` : "Add a company", [
    c ? null : field({ name: "id", label: "Id", hint: "Lower-case letters, digits and hyphens, such as acme-widgets.", required: true }),
    field({ name: "name", label: "Name", value: c?.name, required: true }),
    field({ name: "aliases", label: "Other names, one a line", type: "textarea", value: (c?.aliases || []).join("\n"), hint: "Such as Facebook for Meta." }),
    field({ name: "domains", label: "E-mail domains, one a line", type: "textarea", value: (c?.domains || []).join("\n"), hint: "Such as meta.com; subdomains are included." }),
  ], c ? "Save" : "Add the company", async (v) => {
    const id = c ? c.id : v.id;
    await api("PUT", "/admin/companies/" + encodeURIComponent(id), { name: v.name, aliases: lines(v.aliases), domains: lines(v.domains) });
    say(`${v.name} is saved.`, "good");
    reload();
  });
  const rows = list.items.map((c) => [c.name, c.aliases.join(", "), c.domains.join(", "), String(c.members.length),
    h("details", {}, h("summary", { text: "Change" }), editor(c))]);
  return [h("h1", { tabindex: "-1", text: "Companies" }),
    h("p", { text: "Reviewers of one company form one seat, and are recused from its requests: by name, other names and e-mail domains, however they are spelled." }),
    rows.length ? table("Companies on the committee", ["Name", "Other names", "Domains", "Members", ""], rows) : h("p", { text: "No company yet." }),
    h("h2", { text: "Add a company" }), editor(null)];
}

// settings: two calls, governance and the public fields. The advances are, per kind,
// the share of the approved amount finance may pay before the evidence.
export async function settings() {
  const [g, pub] = await Promise.all([api("GET", "/admin/settings"), api("GET", "/admin/publication")]);
  const kinds = ["conference", "travel", "project"];
  return [h("h1", { tabindex: "-1", text: "Settings" }), form("Governance", [field({ name: "quorumPercent", label: "Quorum (percent of seats)",
    value: g.quorumPercent, inputmode: "numeric", hint: "Quorum is reached when more than this share of the seats has voted; 50 is more than half." }),
  ...kinds.map((k) => field({ name: "advancePercent." + k, label: `Advance on ${k} requests (percent of the approved amount)`,
    value: (g.advancePercent || {})[k] || 0, inputmode: "numeric", hint: k === "travel" ? "Paid before the receipts and trip report, e.g. for airfare booked early; 0 allows none." : "0 allows none." }))],
  "Save", async (v) => {
    // An empty box is no advance; anything else goes as typed, for the server to check.
    const share = (s) => (s === "" ? 0 : Number.isInteger(Number(s)) ? Number(s) : s);
    const advancePercent = Object.fromEntries(kinds.map((k) => [k, share(v["advancePercent." + k])]));
    await api("PUT", "/admin/settings", { quorumPercent: Number(v.quorumPercent), advancePercent });
    say("Settings saved.", "good");
    reload();
  }), ...publication(pub)];
}

// publication is the choice of the fields a decided request publishes, from the
// catalogue: those that may be public as boxes, those that never may with the reason.
function publication(p) {
  const boxes = h("fieldset", { class: "field", "data-field": "fields" }, h("legend", { text: "Fields published of a decided request" }),
    p.catalogue.filter((c) => c.publishable).map((c) => h("label", { class: "choice" },
      h("input", { type: "checkbox", name: "field-" + c.field, value: c.field, checked: p.fields.includes(c.field) }),
      ` ${c.label}${c.default ? " (a default)" : ""}`)),
    h("p", { class: "error", hidden: true }));
  const never = p.catalogue.filter((c) => !c.publishable).map((c) => `${c.label} (${c.why})`);
  return [h("h2", { text: "What is published" }),
    h("p", { text: "The public register shows these fields of each decided request whose applicant agreed. Each applicant narrows them further: without their name and organization, or not at all beyond the yearly totals." }),
    form("What is published", [boxes], "Save the public fields", async (v, f) => {
      const fields = [...f.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
      await api("PUT", "/admin/publication", { fields });
      say("Public fields saved.", "good");
      reload();
    }),
    h("p", { class: "hint", text: `Never public: ${never.join("; ")}.` })];
}
