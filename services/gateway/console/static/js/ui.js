// Small DOM helpers: elements are built with properties and text nodes, never from HTML strings.
import { ApiError, NetworkError } from "./api.js";
import { lang, t } from "./i18n.js";

/** h("button", {type: "button", onclick}, "text", child, ...) */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("aria-") || ["role", "for", "list"].includes(key) || key.startsWith("data-")) el.setAttribute(key, value === true ? "true" : value);
    else el[key] = value;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG = "http://www.w3.org/2000/svg";
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  append(el, children);
  return el;
}

let uid = 0;
/** A labelled form field; returns the wrapper, the control is on `.control`. */
export function field(labelText, control, hint) {
  control.id = control.id || `f${++uid}`;
  const wrap = h("div", {}, h("label", { for: control.id }, labelText), control);
  if (hint) {
    const hintEl = h("div", { class: "muted", id: `${control.id}-hint` }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
    wrap.append(hintEl);
  }
  wrap.control = control;
  return wrap;
}

export function table(headers, rows, caption) {
  return h("table", {},
    caption ? h("caption", { class: "muted" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((head) => h("th", { scope: "col" }, head)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => (cell instanceof Node && cell.tagName === "TD" ? cell : h("td", {}, cell)))))));
}

/** An error as the envelope says: the message, then every detail's path and problem. */
export function errorBox(error) {
  if (error instanceof NetworkError) return h("div", { class: "error-box", role: "alert" }, t("error.network"));
  if (!(error instanceof ApiError)) {
    console.error(error);
    return h("div", { class: "error-box", role: "alert" }, t("error.unexpected"), " ", String(error.message || error));
  }
  const box = h("div", { class: "error-box", role: "alert", "data-code": error.code },
    h("strong", {}, error.message), h("span", { class: "muted" }, ` (${error.code}, HTTP ${error.status})`));
  if (error.details.length) {
    const hasRow = error.details.some((d) => d.row !== undefined);
    const headers = hasRow ? [t("error.row"), t("error.column"), t("error.problem")] : [t("error.where"), t("error.problem")];
    box.append(table(headers, error.details.map((d) => (hasRow ? [d.row ?? "", d.column ?? d.path ?? "", d.problem] : [d.path ?? "", d.problem]))));
  }
  return box;
}

/** Show `error` at the top of the page (or in `slot`) and keep it until replaced. */
export function showError(error, slot = document.getElementById("flash")) {
  const box = errorBox(error);
  slot.replaceChildren(box);
  box.scrollIntoView({ block: "nearest" });  // on a tablet the form's foot may be below the fold
}

export function showNotice(text, slot = document.getElementById("flash")) {
  slot.replaceChildren(h("div", { class: "notice", role: "status" }, text));
}

export function clearFlash() { document.getElementById("flash").replaceChildren(); }

/** Run an async action from a button: disabled while it runs, errors shown, never a blank page. */
export async function act(button, action, slot) {
  if (button) button.disabled = true;
  try { return await action(); }
  catch (error) { showError(error, slot); return undefined; }
  finally { if (button) button.disabled = false; }
}

/** An amount in yuan with the language's digit grouping, "—" when there is none. */
export function fmtYuan(value) { return value === null || value === undefined ? "—" : `¥${Number(value).toLocaleString(lang())}`; }

export function fmtDate(iso) { return iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "") : ""; }

/** Render the current page again (after a change), keeping the message at the top. */
export function reload() { window.dispatchEvent(new CustomEvent("console:reload")); }

/** A file upload form: `onFile(file, slot)` runs on submit; refusals are shown in the slot under the button. */
export function uploadForm(id, labelText, accept, onFile) {
  const input = h("input", { type: "file", accept, id, required: true });
  const submit = h("button", { type: "submit" }, t("org.upload"));
  const slot = h("div", { "aria-live": "polite", id: `${id}-result` });
  const form = h("form", { class: "card" }, field(labelText, input), h("div", { class: "actions" }, submit), slot);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.files.length) return;
    act(submit, async () => { slot.replaceChildren(); await onFile(input.files[0], slot); }, slot);
  });
  return form;
}

/** A file's type for the API (browsers leave .xlsx and .json files untyped on some systems). */
export const fileType = (file) => file.type || (file.name.toLowerCase().endsWith(".xlsx")
  ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : file.name.toLowerCase().endsWith(".json") ? "application/json" : "text/csv");

