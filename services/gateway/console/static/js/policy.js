// The honours policy for the committee: any stored version with what each programme funds and checks,
// and an editor that stores the next version. The API validates the whole document (its JSON Schema
// and the policy's own rules) and refuses it with every problem by path; nothing is stored then.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { act, field, fmtDate, fmtYuan, h, table } from "./ui.js";

export async function page(root, [version]) {
  const answer = await api.get(`/honours-policy${version ? `?version=${encodeURIComponent(version)}` : ""}`);
  root.append(h("h1", {}, t("policy.title")), versionPicker(answer), summary(answer.document), editor(answer));
}

function versionPicker(answer) {
  const number = h("input", { type: "number", id: "policy-version", min: 1, value: answer.version, required: true });
  const form = h("form", { class: "card", id: "policy-header" },
    h("p", {}, h("strong", {}, t("policy.version", { v: answer.version })), " ",
      h("span", { class: `pill ${answer.current ? "done" : ""}` }, answer.current ? t("policy.current") : t("policy.older")),
      " ", h("span", { class: "muted" }, t("policy.stored", { by: answer.stored_by || "—", at: fmtDate(answer.stored_at) || "—" }))),
    h("div", { class: "row" }, field(t("policy.show_version"), number), h("div", {}, h("button", { type: "submit", class: "secondary" }, t("policy.show")))));
  form.addEventListener("submit", (event) => { event.preventDefault(); location.hash = `#/policy/${number.value}`; });
  return form;
}

function summary(doc) {
  const programmes = Object.entries(doc.programmes || {});
  return h("section", { class: "card", id: "policy-summary" }, h("h2", {}, doc.name || t("policy.title")),
    doc.description ? h("p", { class: "muted" }, doc.description) : null,
    table([t("com.programme"), t("com.quota"), t("com.budget"), t("com.amount"), t("policy.eligibility")], programmes.map(([key, p]) => [
      `${p.name_zh || key} (${key})`, String(p.funding?.quota ?? "—"), fmtYuan(p.funding?.budget_yuan), fmtYuan(p.funding?.amount_per_person_yuan),
      (p.eligibility || []).map((rule) => rule.code).join("、") || "—"])),
    h("p", {}, t("policy.notice_days", { n: doc.workflow?.notice_days_min ?? "—" })));
}

function editor(answer) {
  const text = h("textarea", { id: "policy-document", rows: 24, spellcheck: false, required: true, class: "code" });
  text.value = JSON.stringify(answer.document, null, 2);
  const slot = h("div", { "aria-live": "polite", id: "policy-result" });
  const submit = h("button", { type: "submit" }, t("policy.save"));
  const form = h("form", { class: "card", id: "policy-editor" }, h("h2", {}, t("policy.edit")),
    h("p", { class: "muted" }, t("policy.edit_help")), field(t("policy.document"), text), h("div", { class: "actions" }, submit), slot);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let document;
    try { document = JSON.parse(text.value); }
    catch (error) {
      text.setAttribute("aria-invalid", "true");
      slot.replaceChildren(h("div", { class: "error-box", role: "alert" }, h("strong", {}, t("policy.not_json")), " ", error.message));
      return;
    }
    text.removeAttribute("aria-invalid");
    act(submit, async () => {
      const stored = await api.put("/honours-policy", document);
      location.hash = `#/policy/${stored.version}`;
    }, slot);
  });
  return form;
}
