// The confirmation page: opened from a link mailed to an applicant (the address's
// confirmation, #id=…&code=…, or a change of payout details, #id=…&payout=…), it sends
// the link's code when the person presses the button, and shows the outcome. It shows
// nothing the applicant typed, only the reference: whoever reads the mailbox may not
// be whoever submitted. The code waits for a press, not for the page to load, so that
// a mail scanner that opens links does not confirm on a person's behalf.
const params = new URLSearchParams(location.hash.slice(1));
const id = params.get("id") || "";
const code = params.get("code") || "";
const payout = params.get("payout") || "";
const $ = (x) => document.getElementById(x);

function show(panel) {
  for (const p of ["confirm-ask", "confirm-done", "payout-ask", "payout-done", "confirm-failed"]) $(p).hidden = p !== panel;
  if (!panel.endsWith("-ask")) $(panel).focus();
}

function failed(reason) {
  if (reason) $("confirm-failed-reason").textContent = reason;
  show("confirm-failed");
}

// pressToConfirm sends a link's code when its button is pressed, saying so in busy,
// and hands a success's answer to done; refused says what a refused code (404, or a
// malformed one) means, conflict what a 409 means.
function pressToConfirm(button, busy, path, code, done, refused, conflict) {
  $(button).addEventListener("click", async (e) => {
    const b = e.currentTarget;
    b.disabled = true;
    $(busy).textContent = "Confirming…";
    try {
      const resp = await fetch(`/requests/${encodeURIComponent(id)}/${path}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }),
      });
      if (resp.ok) done(await resp.json());
      else if (resp.status === 409 && conflict) failed(conflict);
      else if (resp.status === 404 || resp.status === 400 || resp.status === 422) failed(refused);
      else failed(`Something went wrong on our side (${resp.status}); nothing was changed. Try the link again in a moment.`);
    } catch {
      failed("The network failed; nothing was changed. Try the link again.");
    } finally {
      b.disabled = false;
      $(busy).textContent = "";
    }
  });
}

pressToConfirm("confirm-address", "confirm-busy", "confirm", code, (answer) => {
  $("confirm-reference").textContent = answer.reference;
  if (answer.alreadyConfirmed) {
    $("confirm-done-title").textContent = "Your address was confirmed already";
    $("confirm-next").textContent = "There is nothing more to do here.";
  }
  show("confirm-done");
}, "", "The request was withdrawn before its address was confirmed; nothing more will happen to it.");

// A change of payout details: the same press-to-confirm, its own words.
pressToConfirm("confirm-payout", "payout-busy", "payout/confirm", payout, (answer) => {
  $("payout-reference").textContent = answer.reference;
  show("payout-done");
}, "It is incomplete, more than two days old, or a newer change replaced it. Give the details again from your status page if you still want the change.");

if (id && payout) {
  $("confirm-title").textContent = "Confirm the change of your payout details";
  document.title = "Confirm the change of your payout details";
  show("payout-ask");
} else if (id && code) show("confirm-ask");
else failed("");
