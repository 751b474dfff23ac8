// More of a nominee round for the committee: strong people on record whom nobody nominated (each can
// be nominated from here, then walks the same decision steps), and pinning the round to another
// version of the honours policy (the API re-ranks every candidate).
import { api, enc } from "./api.js";
import { t } from "./i18n.js";
import { act, errorBox, field, h, reload, table } from "./ui.js";

const CHANNELS = ["employer", "association", "self"];

export async function suggestions(base) {
  const section = h("section", { class: "card", id: "suggestions", "aria-labelledby": "suggestions-title" },
    h("h2", { id: "suggestions-title" }, t("sug.title")));
  try {
    const answer = await api.get(`${base}/suggestions`);
    section.append(h("p", { class: "muted" }, t("sug.help", { n: answer.field_size, capacity: answer.capacity ?? "—" })),
      answer.items.length ? table([t("sug.field_position"), t("com.name"), t("org.employer"), t("com.total"), t("sug.why"), t("sug.nominate")],
        answer.items.map((item) => [String(item.field_position), item.name || "", item.employer || "", item.total, item.why, nominateForm(base, item)]))
        : h("p", { class: "notice", role: "status" }, t("sug.none")));
  } catch (error) {
    section.append(errorBox(error));
  }
  return section;
}

function nominateForm(base, item) {
  const channel = h("select", { "aria-label": t("sug.channel") }, CHANNELS.map((c) => h("option", { value: c }, t(`channel.${c}`))));
  const nominator = h("input", { maxLength: 200, "aria-label": t("sug.nominator"), placeholder: t("sug.nominator") });
  const slot = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, t("sug.nominate"));
  const form = h("form", { class: "decision", "data-person": item.person_key }, channel, nominator, submit, slot);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const payload = { person_key: item.person_key, channel: channel.value };
    if (nominator.value.trim()) payload.nominator = nominator.value.trim();
    act(submit, async () => { await api.post(`${base}/nominations`, payload); reload(); }, slot);
  });
  return form;
}

export function policyPin(base, round) {
  const version = h("input", { type: "number", min: 1, id: "round-policy-version", required: true, value: round.policy_version ?? "" });
  const why = h("input", { id: "round-policy-why", maxLength: 1000 });
  const slot = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "secondary" }, t("pin.save"));
  const form = h("form", { class: "card", id: "round-policy" }, h("h2", {}, t("pin.title", { v: round.policy_version ?? "—" })),
    h("div", { class: "row" }, field(t("policy.show_version"), version), field(t("com.why"), why)),
    h("p", {}, h("a", { href: `#/policy/${round.policy_version ?? ""}` }, t("pin.read"))), h("div", { class: "actions" }, submit), slot);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const payload = { policy_version: Number(version.value) };
    if (why.value.trim()) payload.why = why.value.trim();
    act(submit, async () => { await api.put(`${base}/policy-version`, payload); reload(); }, slot);
  });
  return form;
}
