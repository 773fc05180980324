// The form page: send a new request, once, and show the private status link; then send
// the files chosen with it, each checked in the page when it was chosen.
import { el } from "/assets/dom.js";
import { collect, mount } from "/assets/form.js";
import { mountFormChoice } from "/assets/publication.js";
import { FileList, checkFile, purposeNames, rulesOf, send, showChoiceError } from "/assets/upload.js";

const $ = (x) => document.getElementById(x);
const form = $("request-form");
// One key per request being filled in: a double click or a retry after a network error
// sends the same key, so the server stores the request once.
let key = crypto.randomUUID();
mount(form, async (body) => {
  const resp = await fetch("/requests", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": key },
    body: JSON.stringify(body),
  });
  if (resp.status === 201) {
    const receipt = await resp.json();
    key = crypto.randomUUID();
    // The token travels in the fragment, which browsers never send to a server.
    const link = `${location.origin}/status#id=${encodeURIComponent(receipt.id)}&token=${encodeURIComponent(receipt.applicantToken)}`;
    $("receipt-reference").textContent = receipt.reference;
    // The address as the applicant typed it, shown to them as text: where the link went.
    $("receipt-email").textContent = body.applicant.email;
    $("receipt-expires").textContent = receipt.expiresAt
      ? new Date(receipt.expiresAt).toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" }) : "a week from now";
    const a = $("receipt-link");
    a.href = link;
    a.textContent = link;
    form.hidden = true;
    const panel = $("submitted");
    panel.hidden = false;
    panel.focus();
    sendChosen(receipt);
  }
  return resp;
});

mountFormChoice(form, collect);

$("copy-link").addEventListener("click", async () => {
  const done = $("copied");
  try {
    await navigator.clipboard.writeText($("receipt-link").href);
    done.textContent = "Copied.";
  } catch {
    done.textContent = "Select the link and copy it.";
  }
});

// The files chosen to go with the request: each checked as it is chosen (one the API
// would refuse is not kept, and the reason shows beside the chooser), each with what
// it is.
const picker = $("f-files");
const rules = rulesOf(picker);
const chosen = []; // {file, type, purpose: <select>}
let chosenCount = 0;

picker.addEventListener("change", () => {
  const refused = [];
  for (const file of picker.files) {
    const verdict = checkFile(file, rules);
    if (verdict.error) refused.push(`Not added: ${verdict.error}`); else choose(file, verdict.type);
  }
  // Chosen files are kept here; the chooser is emptied so that more can be added.
  picker.value = "";
  showChoiceError(picker, refused.join(" "));
});

function choose(file, type) {
  const n = ++chosenCount;
  const purpose = el("select", { id: `chosen-${n}-purpose` },
    ...["quote", "prospectus", "other"].map((p) => el("option", { value: p, text: purposeNames[p] })));
  const remove = el("button", { type: "button", class: "remove", "aria-label": `Remove ${file.name}`, text: "Remove" });
  const li = el("li", { class: "chosen-file" }, el("span", { class: "file-name", text: file.name }),
    el("label", { for: purpose.id, class: "inline", text: "What it is" }), purpose, remove);
  const entry = { file, type, purpose };
  remove.addEventListener("click", () => {
    chosen.splice(chosen.indexOf(entry), 1);
    li.remove();
    $("chosen-title").hidden = chosen.length > 0;
    picker.focus();
  });
  chosen.push(entry);
  $("chosen-files").append(li);
  $("chosen-title").hidden = false;
}

// sendChosen sends the chosen files, one after the other, with the new request's token,
// and says how each went.
async function sendChosen(receipt) {
  if (!chosen.length) return;
  $("receipt-files").hidden = false;
  const list = new FileList($("receipt-files-list"));
  const announce = (text) => { $("receipt-files-status").textContent = text; };
  const rows = chosen.map((c) => list.add(c.file.name, purposeNames[c.purpose.value]));
  // Leaving the page would cut the uploads short: the browser asks first.
  const stay = (e) => e.preventDefault();
  addEventListener("beforeunload", stay);
  let accepted = 0;
  for (const [i, c] of chosen.entries()) {
    const a = await send({ id: receipt.id, token: receipt.applicantToken, file: c.file, type: c.type, purpose: c.purpose.value }, rows[i], announce);
    if (a && a.status === "accepted") accepted++;
  }
  removeEventListener("beforeunload", stay);
  announce(accepted === chosen.length ? `Done: ${accepted === 1 ? "the file is" : `all ${accepted} files are`} accepted.`
    : `Done: ${accepted} of ${chosen.length} files accepted; see above what became of the others.`);
}
