// The chief expert settles a judgement dispute: every judge's score prefilled and changeable, a reason
// required, sent once with a request_id kept until an answer arrives (a retry after a dropped answer
// records nothing twice): POST /competitions/{code}/disputes/resolve.
import { api, ApiError, enc, NetworkError, requestId } from "./api.js";
import { t } from "./i18n.js";
import { errorBox, field, h } from "./ui.js";

/** Where the resolve form opens, and how a dispute's button opens it. */
export function resolver(code, names, after) {
  const host = h("div", { id: "resolve" });
  return { host, open: (dispute) => openForm(host, code, names, dispute, after) };
}

function scoreSelect(judge, score) {
  return h("select", { "data-judge": judge, required: true },
    ["0", "1", "2", "3"].map((s) => h("option", { value: s, selected: String(score) === s }, s)));
}

function openForm(host, code, names, dispute, after) {
  const judges = Object.keys(dispute.scores).sort();
  const selects = judges.map((j) => scoreSelect(j, dispute.scores[j]));
  const reason = h("input", { id: "resolve-reason", required: true, maxLength: 2000 });
  const slot = h("div", { "aria-live": "polite", id: "resolve-result" });
  const submit = h("button", { type: "submit" }, t("resolve.submit"));
  const cancel = h("button", { type: "button", class: "secondary", onclick: () => host.replaceChildren() }, t("resolve.cancel"));
  const who = names[dispute.entry] || dispute.entry;
  const title = h("h2", { id: "resolve-title", tabIndex: -1 }, t("resolve.title", { who, aspect: dispute.aspect }));
  const form = h("form", { class: "card", "aria-labelledby": "resolve-title" }, title, h("p", { class: "muted" }, t("resolve.help")),
    h("div", { class: "row" }, judges.map((j, i) => field(t("resolve.score_of", { judge: j }), selects[i]))),
    field(t("chief.reason"), reason, t("resolve.reason_hint")), h("div", { class: "actions" }, submit, cancel), slot);
  form.addEventListener("keydown", (event) => { if (event.key === "Escape") cancel.click(); });
  let pending = null;  // the body sent last without an answer: a retry sends it again as it is
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    pending = pending || { request_id: requestId(), sub_criterion: dispute.sub_criterion, contestant: dispute.entry, aspect: dispute.aspect,
      scores: Object.fromEntries(judges.map((j, i) => [j, Number(selects[i].value)])), reason: reason.value.trim() };
    submit.disabled = true;
    try {
      await api.post(`/competitions/${enc(code)}/disputes/resolve`, pending);
      host.replaceChildren(h("div", { class: "notice", role: "status", id: "resolved" }, t("resolve.done", { who, aspect: dispute.aspect })));
      await after();
    } catch (error) {
      const unknown = error instanceof NetworkError || (error instanceof ApiError && error.status >= 500);
      if (!unknown) pending = null;
      slot.replaceChildren(errorBox(error), unknown ? h("div", { class: "warning" }, t("resolve.retry_hint")) : "");
    } finally {
      submit.disabled = false;
    }
  });
  host.replaceChildren(form);
  title.focus();
}
