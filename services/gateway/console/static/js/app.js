// The console's shell: sign-in, the role's navigation, a hash router, sign-out and the own password.
import { api, session, whenUnauthorised } from "./api.js";
import { lang, setLang, t } from "./i18n.js";
import { act, clearFlash, field, h, showError, showNotice } from "./ui.js";
import * as organiser from "./organiser.js";
import * as judge from "./judge.js";
import * as chief from "./chief.js";
import * as committee from "./committee.js";
import * as people from "./people.js";
import * as policy from "./policy.js";

const NAV = {
  admin: ["competitions", "chief", "rounds", "people", "policy", "account"],
  organiser: ["competitions", "account"],
  judge: ["marking", "account"],
  chief_expert: ["chief", "marking", "account"],
  committee: ["rounds", "people", "policy", "account"],
};
const ROUTES = [
  [/^competitions$/, organiser.list],
  [/^competitions\/([^/]+)(?:\/(\w+))?$/, organiser.detail],
  [/^marking$/, judge.list],
  [/^marking\/([^/]+)(?:\/([^/]+))?$/, judge.sheet],
  [/^chief$/, chief.list],
  [/^chief\/([^/]+)$/, chief.detail],
  [/^rounds$/, committee.list],
  [/^rounds\/([^/]+)$/, committee.detail],
  [/^people$/, people.page],
  [/^policy(?:\/(\d+))?$/, policy.page],
  [/^account$/, account],
];
let cleanup = null;

function main() { return document.getElementById("main"); }

export function go(path) {
  if (location.hash === "#/" + path) route(); else location.hash = "#/" + path;
}

function renderChrome() {
  const user = session.get();
  document.title = t("app.title");
  document.getElementById("brand").textContent = t("app.title");
  const langButton = document.getElementById("lang");
  langButton.textContent = lang() === "zh-CN" ? "English" : "中文";
  langButton.setAttribute("aria-label", t("app.switch_language"));
  const current = location.hash.replace(/^#\/?/, "").split("/")[0];
  document.getElementById("nav").replaceChildren(...(user ? NAV[user.role] || ["account"] : []).map((name) =>
    h("a", { href: `#/${name}`, "aria-current": current === name ? "page" : undefined }, t(`nav.${name}`))));
  const who = document.getElementById("who");
  who.replaceChildren();
  if (user) {
    who.append(`${user.username} · ${t(`role.${user.role}`)} `,
      h("button", { type: "button", class: "ghost", id: "sign-out", onclick: signOut }, t("nav.sign_out")));
  }
}

let shown = 0;  // the page being rendered: a slow view that finishes after the user moved on stops at once

async function route() {
  const page = ++shown;
  if (cleanup) { cleanup(); cleanup = null; }
  const user = session.get();
  const path = location.hash.replace(/^#\/?/, "");
  renderChrome();
  const root = h("div");  // a fresh container: a slow view that finishes after the user moved on writes nowhere
  main().replaceChildren(root);
  if (!user) { signInPage(root); return; }
  const target = path || NAV[user.role][0];
  for (const [pattern, view] of ROUTES) {
    const found = pattern.exec(target);
    if (!found) continue;
    try {
      const result = await view(root, found.slice(1).map((p) => (p === undefined ? p : decodeURIComponent(p))), user);
      if (typeof result === "function") {
        if (page === shown) cleanup = result; else result();
      }
    } catch (error) {
      showError(error, root);
    }
    return;
  }
  root.append(h("h1", {}, t("app.not_found")));
}

function signInPage(root) {
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const problem = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit", id: "sign-in" }, t("signin.submit"));
  const form = h("form", { class: "card sign-in", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, t("signin.title")),
    field(t("signin.username"), username), field(t("signin.password"), password), problem,
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, async () => {
      const answer = await api.post("/auth/tokens", { username: username.value.trim(), password: password.value });
      session.set({ token: answer.token, username: answer.username, role: answer.role, expires_at: answer.expires_at });
      clearFlash();
      route();
    }, problem);
  });
  root.append(form);
  username.focus();
}

async function signOut() {
  try { await api.del("/auth/tokens/current"); } catch { /* the token is forgotten here whatever the server says */ }
  session.clear();
  location.hash = "#/";
  showNotice(t("signin.signed_out"));
  route();
}

function account(root, _params, user) {
  const current = h("input", { type: "password", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", autocomplete: "new-password", required: true, minLength: 12 });
  const again = h("input", { type: "password", autocomplete: "new-password", required: true, minLength: 12 });
  const slot = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, t("account.change"));
  const form = h("form", { class: "card" },
    h("h2", {}, t("account.password")),
    field(t("account.current"), current), field(t("account.new"), next, t("account.rules")), field(t("account.again"), again),
    slot, h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (next.value !== again.value) {
      again.setAttribute("aria-invalid", "true");
      slot.replaceChildren(h("div", { class: "error-box", role: "alert" }, t("account.mismatch")));
      return;
    }
    again.removeAttribute("aria-invalid");
    act(submit, async () => {
      const answer = await api.put("/users/me/password", { current_password: current.value, new_password: next.value });
      if (answer && answer.token) session.set({ ...session.get(), token: answer.token, expires_at: answer.expires_at });
      form.reset();
      slot.replaceChildren(h("div", { class: "notice", role: "status" }, t("account.changed")));
    }, slot);
  });
  root.append(h("h1", {}, t("account.title")),
    h("section", { class: "card" }, h("p", {}, `${t("signin.username")}: ${user.username}`), h("p", {}, `${t("account.role")}: ${t(`role.${user.role}`)}`)),
    form);
}

whenUnauthorised(() => {
  session.clear();
  showNotice(t("signin.expired"));
  route();
});
document.getElementById("lang").addEventListener("click", () => { setLang(lang() === "zh-CN" ? "en" : "zh-CN"); route(); });
window.addEventListener("hashchange", () => { clearFlash(); route(); });
window.addEventListener("console:reload", () => route());
route();
