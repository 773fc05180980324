// el makes an element with attributes and children; "text" sets its text content.
// Nothing the applicant or the committee wrote is ever read as HTML.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v; else if (v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  e.append(...children.filter(Boolean));
  return e;
}
