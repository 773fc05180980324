// The form page: send a new request, once, and show the private status link.
import { mount } from "/assets/form.js";

const form = document.getElementById("request-form");
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
    document.getElementById("receipt-reference").textContent = receipt.reference;
    // The address as the applicant typed it, shown to them as text: where the link went.
    document.getElementById("receipt-email").textContent = body.applicant.email;
    document.getElementById("receipt-expires").textContent = receipt.expiresAt
      ? new Date(receipt.expiresAt).toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" }) : "a week from now";
    const a = document.getElementById("receipt-link");
    a.href = link;
    a.textContent = link;
    form.hidden = true;
    const panel = document.getElementById("submitted");
    panel.hidden = false;
    panel.focus();
  }
  return resp;
});

document.getElementById("copy-link").addEventListener("click", async () => {
  const done = document.getElementById("copied");
  try {
    await navigator.clipboard.writeText(document.getElementById("receipt-link").href);
    done.textContent = "Copied.";
  } catch {
    done.textContent = "Select the link and copy it.";
  }
});
