// The committee's pages: nominee rounds, the ranked list with evidence lines, eligibility reasons and
// the quota/budget cut line, one decision step at a time (each with its reason), and the exports.
import { api, enc } from "./api.js";
import { t } from "./i18n.js";
import { act, field, fmtDate, fmtYuan, h, reload, table } from "./ui.js";
import { policyPin, suggestions } from "./round_tools.js";

const PROGRAMMES = ["shanghai_craftsman", "chief_technician", "master_studio", "outstanding_technical_expert"];
const NEXT = {
  nominated: ["check_eligibility"], ineligible: ["check_eligibility"],
  eligible: ["shortlist", "reject", "check_eligibility"], shortlisted: ["review", "reject"],
  reviewed: ["publicise", "reject"], publicised: ["approve", "reject"], approved: [], rejected: [],
};

export async function list(root) {
  const { items } = await api.get("/nominee-rounds");
  root.append(h("h1", {}, t("com.rounds")),
    items.length ? table([t("com.round"), t("com.programme"), t("com.year"), t("com.quota"), t("com.budget"), t("com.approved")], items.map((r) => [
      h("a", { href: `#/rounds/${enc(r.round_id)}` }, r.name || r.round_id), t(`programme.${r.programme}`), String(r.year),
      r.quota ?? "—", fmtYuan(r.budget_yuan), String(r.approved_count)])) : h("p", { class: "muted" }, t("com.no_rounds")),
    openForm());
}

function openForm() {
  const programme = h("select", {}, PROGRAMMES.map((p) => h("option", { value: p }, t(`programme.${p}`))));
  const year = h("input", { type: "number", min: 2000, max: 2100, value: new Date().getFullYear(), required: true });
  const name = h("input", { maxLength: 200 });
  const quota = h("input", { type: "number", min: 1 });
  const budget = h("input", { type: "number", min: 0 });
  const amount = h("input", { type: "number", min: 0 });
  const slot = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, t("com.open"));
  const form = h("form", { class: "card" }, h("h2", {}, t("com.new_round")),
    h("div", { class: "row" }, field(t("com.programme"), programme), field(t("com.year"), year), field(t("org.name"), name),
      field(t("com.quota"), quota, t("com.default_policy")), field(t("com.budget"), budget), field(t("com.amount"), amount)),
    slot, h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const payload = { programme: programme.value, year: Number(year.value) };
    if (name.value.trim()) payload.name = name.value.trim();
    for (const [key, el] of [["quota", quota], ["budget_yuan", budget], ["amount_per_person_yuan", amount]]) if (el.value) payload[key] = Number(el.value);
    act(submit, async () => { const r = await api.post("/nominee-rounds", payload); location.hash = `#/rounds/${enc(r.round_id)}`; }, slot);
  });
  return form;
}

export async function detail(root, [roundId]) {
  const base = `/nominee-rounds/${enc(roundId)}`;
  const answer = await api.get(`${base}/nominees?per_page=200`);
  const round = answer.round;
  const cut = answer.cut_line;
  const slot = h("div", { "aria-live": "polite" });
  const download = (format) => (event) => act(event.currentTarget, () => api.download(`${base}/nominees?format=${format}`, `${roundId}.${format}`), slot);
  const search = h("input", { type: "search", id: "nominee-search" });
  const body = h("tbody");
  const rows = answer.items.map((item) => nomineeRows(base, item, cut));
  const fill = () => {
    const needle = search.value.trim().toLowerCase();
    body.replaceChildren(...rows.filter((r) => !needle || (r.item.name || "").toLowerCase().includes(needle)).flatMap((r) => r.nodes));
  };
  search.addEventListener("input", fill);
  fill();
  root.append(h("h1", {}, round.name || round.round_id),
    h("section", { class: "card", id: "cut-line" }, table([t("com.quota"), t("com.budget"), t("com.amount"), t("com.capacity"), t("com.cut_after"), t("com.limited_by"), t("com.approved")],
      [[round.quota ?? "—", fmtYuan(round.budget_yuan), fmtYuan(round.amount_per_person_yuan), String(cut.capacity ?? "—"), String(cut.cut_after),
        cut.limited_by || "—", `${round.approved_count} / ${fmtYuan(round.approved_sum_yuan)}`]]), h("p", {}, cut.why)),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: download("csv") }, t("results.csv")),
      h("button", { type: "button", class: "secondary", onclick: download("xlsx") }, t("results.xlsx"))), slot,
    field(t("com.search"), search),
    h("table", { id: "nominees" }, h("thead", {}, h("tr", {}, [t("com.position"), t("com.name"), t("org.employer"), t("org.masked_id"), t("com.total"), t("com.status"), t("com.decision")].map((x) => h("th", { scope: "col" }, x)))), body),
    h("h2", {}, t("com.not_ranked", { n: (answer.not_ranked || []).length })),
    h("table", { id: "not-ranked" }, h("thead", {}, h("tr", {}, [t("com.name"), t("com.status"), t("com.reasons")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, (answer.not_ranked || []).map((n) => h("tr", { "data-person": n.person_key },
        h("td", {}, n.name || n.person_key.slice(0, 12)), h("td", { class: "status" }, t(`nstatus.${n.status}`)),
        h("td", {}, h("ul", {}, n.reasons.map((r) => h("li", {}, `${r.code}: ${r.message}`)))))))));
  root.append(await suggestions(base), policyPin(base, round));
}

function nomineeRows(base, item, cut) {
  const evidence = h("details", {}, h("summary", {}, t("com.evidence", { n: item.lines.length })),
    table([t("com.kind"), t("com.source"), t("com.weight"), t("com.points")], item.lines.map((l) => [l.kind, l.source, l.weight, l.points])));
  const row = h("tr", { class: item.inside_cut_line ? "inside" : "outside", "data-person": item.person_key },
    h("td", { class: "num" }, String(item.position ?? "")), h("td", {}, item.name || "", evidence), h("td", {}, item.employer || ""),
    h("td", {}, item.masked_id || ""), h("td", { class: "num" }, item.total),
    h("td", { class: "status" }, t(`nstatus.${item.status}`), h("br"), h("span", { class: `pill ${item.inside_cut_line ? "done" : "disputed"}` }, item.inside_cut_line ? t("com.inside") : t("com.outside"))),
    h("td", {}, decisionForm(base, item)));
  const nodes = [row];
  if (item.position === cut.cut_after) {
    nodes.push(h("tr", { class: "cut" }, h("td", { colSpan: 7, class: "warning" }, t("com.cut_line_here", { n: cut.cut_after }))));
  }
  return { item, nodes };
}

function decisionForm(base, item) {
  const actions = NEXT[item.status] || [];
  if (!actions.length) return h("span", { class: "muted" }, fmtDate(item.history.at(-1)?.at));
  const action = h("select", { "aria-label": t("com.action") }, actions.map((a) => h("option", { value: a }, t(`action.${a}`))));
  const why = h("input", { "aria-label": t("com.why"), placeholder: t("com.why"), maxLength: 2000 });
  const start = h("input", { type: "date", "aria-label": t("com.notice_start") });
  const days = h("input", { type: "number", min: 1, max: 90, "aria-label": t("com.notice_days"), placeholder: t("com.notice_days") });
  const notice = h("div", { class: "row", hidden: action.value !== "publicise" }, start, days);
  action.addEventListener("change", () => { notice.hidden = action.value !== "publicise"; });
  const slot = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, t("com.decide"));
  const form = h("form", { class: "decision" }, action, why, notice, submit, slot);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const payload = { action: action.value };
    if (why.value.trim()) payload.why = why.value.trim();
    if (action.value === "publicise") {
      if (start.value) payload.notice_start = start.value;
      if (days.value) payload.notice_days = Number(days.value);
    }
    act(submit, async () => {
      await api.post(`${base}/nominees/${enc(item.person_key)}/decision`, payload);
      reload();
    }, slot);
  });
  return form;
}

