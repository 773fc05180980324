// Files sent from the applicant's pages. A file is checked in the page first, against
// the types and the size the API takes (read from the chooser's attributes, which the
// server renders from the list it checks uploads with), so a file it would refuse is
// never sent. Then it goes as the API directs: an upload slot opened with the
// applicant's token, the file posted straight to the evidence bucket with the slot's
// presigned form (XMLHttpRequest, for its progress), and the request's files read
// until the check of the file's content has accepted or refused it. File names,
// reasons and messages go into the page as text, never as HTML.
import { el } from "/assets/dom.js";

// rulesOf reads what a file chooser takes: the types ({type, name, extensions}) and the
// largest size in bytes.
export function rulesOf(input) {
  return { types: JSON.parse(input.dataset.types), maxBytes: Number(input.dataset.maxBytes) };
}

const megabytes = (n) => `${Math.floor(n / 1048576)} MB`;

// checkFile returns the type to declare for a file ({type}), or why it cannot be sent
// ({error}). The type follows the name's extension: browsers take File.type from the
// system, and some call any .csv a spreadsheet. A name without an extension falls back
// on the browser's type. Whether the content is what the name says is the server's
// check.
export function checkFile(file, rules) {
  const dot = file.name.lastIndexOf(".");
  const ext = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
  const t = ext ? rules.types.find((x) => x.extensions.includes(ext)) : rules.types.find((x) => x.type === file.type);
  if (!t) {
    const names = rules.types.map((x) => x.name);
    return { error: `“${file.name}” is not a kind of file the committee takes: choose a ${names.slice(0, -1).join(", ")} or ${names.at(-1)}.` };
  }
  if (file.size === 0) return { error: `“${file.name}” is empty: choose the file itself.` };
  if (file.size > rules.maxBytes) return { error: `“${file.name}” is larger than ${megabytes(rules.maxBytes)}, the most a file may be.` };
  return { type: t.type };
}

// showChoiceError puts a message beside a file chooser, or clears it.
export function showChoiceError(input, message) {
  const err = document.getElementById("err-" + input.id);
  err.textContent = message || "";
  err.hidden = !message;
  if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
}

// purposeNames say what a file is evidence of.
export const purposeNames = {
  quote: "A quote", prospectus: "A sponsorship prospectus", invoice: "An invoice", receipt: "A receipt",
  trip_report: "For the trip report", event_report: "For the post-event report", milestone_report: "For a milestone's report",
  deliverable: "A deliverable", other: "Other supporting material",
};

// purposeLabel says what a file is evidence of, naming its cost line or milestone as the
// request does.
export function purposeLabel(a, request) {
  let s = purposeNames[a.purpose] || a.purpose;
  const line = a.costLine === undefined ? null : (request.budgetItems || [])[a.costLine];
  const milestone = a.milestone === undefined ? null : ((request.project || {}).milestones || [])[a.milestone];
  if (line) s += `, cost line ${a.costLine + 1} (${line.description})`;
  if (milestone) s += `, milestone ${a.milestone + 1} (${milestone.title})`;
  return s;
}

// stateOf says where a file stands, as the list of files has it.
function stateOf(a) {
  if (a.status === "accepted") return "accepted";
  if (a.status === "quarantined") return `refused: ${a.reason || "its content did not pass the check."}`;
  return "waiting for its upload or its check";
}

// fileRow is one file in a list: its name, what it is, how far it was sent and where it
// stands.
function fileRow(name, what) {
  const state = el("strong", { class: "file-state" });
  const li = el("li", { class: "file" }, el("span", { class: "file-name", text: name }), el("span", { class: "file-what", text: what }), state);
  let bar, pct;
  return {
    li,
    name,
    set(text, kind) {
      state.textContent = text;
      li.dataset.state = kind;
    },
    // progress shows how much of the file has gone, from 0 to 1: a labelled <progress>
    // and the same figure as text.
    progress(fraction) {
      if (!bar) {
        bar = el("progress", { max: "100", value: "0", "aria-label": `Sending ${name}` });
        pct = el("span", { class: "progress-text" });
        state.before(el("span", { class: "file-progress" }, bar, pct));
      }
      const n = Math.round(fraction * 100);
      bar.value = n;
      pct.textContent = `${n} %`;
    },
  };
}

// FileList is a list of files in the page: the request's, as the API lists them, and
// those being sent from this page, which keep their progress.
export class FileList {
  constructor(ul) {
    this.ul = ul;
    this.byID = new Map(); // attachment id → row
    this.unsent = []; // rows of files that never got an upload slot
  }

  // add starts the row of a file about to be sent.
  add(name, what) {
    const row = fileRow(name, what);
    row.bind = (id) => {
      this.byID.set(id, row);
      this.unsent = this.unsent.filter((r) => r !== row);
    };
    this.unsent.push(row);
    this.ul.append(row.li);
    return row;
  }

  // show lists the API's items, oldest first; rows of files being sent keep what they
  // say until their check is done.
  show(items, what) {
    const rows = items.map((a) => {
      let row = this.byID.get(a.id);
      if (!row) {
        row = fileRow(a.name, what(a));
        this.byID.set(a.id, row);
      }
      if (a.status !== "pending" || !row.busy) row.set(stateOf(a), a.status);
      return row.li;
    });
    this.ul.replaceChildren(...rows, ...this.unsent.map((r) => r.li));
  }

  get size() {
    return this.ul.children.length;
  }
}

// problemText is what an API refusal says: its field errors, else its detail.
async function problemText(resp) {
  const p = await resp.json().catch(() => ({}));
  const fields = (p.errors || []).map((e) => e.message);
  return fields.length ? fields.join(" ") : (p.detail || `the server answered ${resp.status}.`);
}

// post sends a file with a presigned form, fields first, reporting progress; it
// resolves to "" once stored, else to why not.
function post(upload, file, onProgress) {
  return new Promise((resolve) => {
    const data = new FormData();
    for (const [k, v] of Object.entries(upload.fields)) data.append(k, v);
    data.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve("");
      const m = xhr.responseXML && xhr.responseXML.querySelector("Message");
      resolve(`the storage refused it${m ? ": " + m.textContent : ` (${xhr.status})`}.`);
    });
    xhr.addEventListener("error", () => resolve("it did not reach the storage; check your connection and try again."));
    xhr.addEventListener("abort", () => resolve("the upload was interrupted."));
    xhr.send(data);
  });
}

// checked reads the request's files until the check of one is recorded (about a second
// after its upload), for up to a minute; null if it is still pending then.
async function checked(list, auth, attachmentID) {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 700));
    try {
      const resp = await fetch(list, { headers: auth });
      const a = resp.ok ? (await resp.json()).items.find((x) => x.id === attachmentID) : null;
      if (a && a.status !== "pending") return a;
    } catch {
      // the next round tries again
    }
  }
  return null;
}

// send uploads one checked file to request id with the applicant's token: the slot, the
// file, then its check. row shows each step and announce says the outcome. It resolves
// to the attachment as its check left it, or null when the file was not sent or its
// check is not done yet.
export async function send({ id, token, file, type, purpose, costLine, milestone }, row, announce) {
  const auth = { Authorization: "Bearer " + token };
  const list = `/requests/${encodeURIComponent(id)}/attachments`;
  const fail = (why) => {
    row.set(`not sent: ${why}`, "failed");
    announce(`${file.name} was not sent: ${why}`);
    return null;
  };
  row.busy = true;
  row.set("starting…", "pending");
  announce(`Sending ${file.name}…`);
  let slot;
  try {
    const resp = await fetch(list, {
      method: "POST", headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: file.name, type, size: file.size, purpose, costLine, milestone }),
    });
    if (!resp.ok) return fail(await problemText(resp));
    slot = await resp.json();
  } catch {
    return fail("the network failed; try again.");
  }
  row.bind(slot.attachment.id);
  row.set("sending…", "sending");
  row.progress(0);
  const refused = await post(slot.upload, file, (f) => row.progress(f));
  if (refused) return fail(refused);
  row.progress(1);
  row.set("sent; its content is being checked…", "pending");
  const a = await checked(list, auth, slot.attachment.id);
  row.busy = false;
  if (!a) {
    row.set("sent; still being checked: open the page again later to see how it went.", "pending");
    announce(`${file.name} was sent and is still being checked.`);
    return null;
  }
  row.set(stateOf(a), a.status);
  announce(`${file.name}: ${stateOf(a)}`);
  return a;
}
