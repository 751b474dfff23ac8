// The chief expert's page: progress, disputes with every judge's score side by side, locks and
// unlocks (with the reason the API asks for), the audit of a mark, finalising, the results.
import { api, enc } from "./api.js";
import { t } from "./i18n.js";
import { act, errorBox, field, fmtDate, h, reload, showNotice, table } from "./ui.js";
import { progressBoard, resultsView } from "./organiser.js";
import { resolver } from "./resolve.js";

export async function list(root) {
  const { items } = await api.get("/competitions");
  const marking = items.filter((c) => c.marking_started);
  root.append(h("h1", {}, t("chief.title")),
    marking.length ? table([t("org.code"), t("org.name"), t("org.status")], marking.map((c) =>
      [h("a", { href: `#/chief/${enc(c.code)}` }, c.code), c.name, t(`status.${c.status}`)])) : h("p", { class: "muted" }, t("judge.none")));
}

export async function detail(root, [code]) {
  const [competition, scheme, roster] = await Promise.all([api.get(`/competitions/${enc(code)}`),
    api.get(`/competitions/${enc(code)}/marking-scheme`), api.get(`/competitions/${enc(code)}/contestants`)]);
  const names = Object.fromEntries(roster.items.map((p) => [p.contestant_id, p.name]));
  if (competition.team_size > 1) {  // a team competition's marks and disputes belong to the team
    for (const p of roster.items) if (p.team) names[p.team] = `${t("judge.team")} ${p.team}`;
  }
  const subs = scheme.scheme.sub_criteria;
  root.append(h("h1", {}, `${t("chief.title")} · ${competition.name}`));
  const board = progressBoard(root, code);
  const disputes = h("div", { id: "disputes" });
  const resolving = resolver(code, names, async () => { await board.refresh(); await refreshDisputes(); });
  root.append(h("h2", {}, t("chief.disputes")), disputes, resolving.host);
  const refreshDisputes = async () => {
    try { disputes.replaceChildren(disputeTable(await api.get(`/competitions/${enc(code)}/disputes`), names, resolving)); }
    catch (error) { disputes.replaceChildren(errorBox(error)); }
  };
  const timer = setInterval(refreshDisputes, 3000);
  await refreshDisputes();
  root.append(lockForm(code, subs, async () => { await board.refresh(); await refreshDisputes(); }),
    auditForm(code, subs, names), finaliseSection(code));
  const results = h("div");
  root.append(results);
  resultsView(results, code).catch((error) => results.replaceChildren(errorBox(error)));
  return () => { clearInterval(timer); board.stop(); };
}

function disputeTable(answer, names, resolving) {
  if (!answer.items.length) return h("p", { class: "notice", role: "status" }, t("chief.no_disputes"));
  const judges = [...new Set(answer.items.flatMap((d) => Object.keys(d.scores)))].sort();
  const resolveButton = (d) => h("button", { type: "button", class: "secondary", "data-resolve": `${d.entry}|${d.aspect}`,
    "aria-label": t("resolve.open_for", { who: names[d.entry] || d.entry, aspect: d.aspect }), onclick: () => resolving.open(d) }, t("resolve.open"));
  return h("div", {}, h("p", { class: "muted" }, t("chief.dispute_help", { limit: answer.limit })),
    table([t("judge.contestant"), t("org.aspect"), ...judges, t("chief.spread"), ""], answer.items.map((d) =>
      [names[d.entry] || d.entry, d.aspect, ...judges.map((j) => (j in d.scores ? String(d.scores[j]) : "—")), String(d.spread), resolveButton(d)])));
}

function lockForm(code, subs, after) {
  const sub = h("select", { id: "lock-sub" }, subs.map((s) => h("option", { value: s.id }, `${s.id} ${s.name}`)));
  const reason = h("input", { id: "unlock-reason", maxLength: 500 });
  const slot = h("div", { "aria-live": "polite" });
  const run = (action) => (event) => act(event.currentTarget, async () => {
    const path = `/competitions/${enc(code)}/sub-criteria/${enc(sub.value)}/${action}`;
    if (action === "unlock") await api.post(path, { reason: reason.value.trim() });
    else await api.post(path);
    slot.replaceChildren(h("div", { class: "notice", role: "status" }, t(`chief.${action}ed`, { sub: sub.value })));
    reason.value = "";
    await after();
  }, slot);
  return h("section", { class: "card" }, h("h2", {}, t("chief.locks")),
    h("div", { class: "row" }, field(t("org.sub_criterion"), sub), field(t("chief.reason"), reason, t("chief.reason_hint"))),
    h("div", { class: "actions" }, h("button", { type: "button", id: "lock", onclick: run("lock") }, t("chief.lock")),
      h("button", { type: "button", class: "secondary", id: "unlock", onclick: run("unlock") }, t("chief.unlock"))), slot);
}

function auditForm(code, subs, names) {
  const contestant = h("select", {}, h("option", { value: "" }, t("chief.any")), Object.entries(names).map(([id, name]) => h("option", { value: id }, name)));
  const aspect = h("select", {}, h("option", { value: "" }, t("chief.any")), subs.flatMap((s) => s.aspects.map((a) => h("option", { value: a.id }, `${a.id} ${a.description}`))));
  const out = h("div");
  const submit = h("button", { type: "submit" }, t("chief.show_audit"));
  const form = h("form", { class: "card" }, h("h2", {}, t("chief.audit")),
    h("div", { class: "row" }, field(t("judge.contestant"), contestant), field(t("org.aspect"), aspect)), h("div", { class: "actions" }, submit), out);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams({ limit: "200" });
    if (contestant.value) query.set("contestant", contestant.value);
    if (aspect.value) query.set("aspect", aspect.value);
    act(submit, async () => {
      const answer = await api.get(`/competitions/${enc(code)}/audit?${query}`);
      out.replaceChildren(table([t("chief.at"), t("chief.by"), t("chief.kind"), t("judge.contestant"), t("org.aspect"), t("chief.old"), t("chief.new"), t("chief.reason")],
        answer.items.map((a) => [fmtDate(a.at), a.by, a.kind, names[a.entry] || a.entry || "", a.aspect || a.sub_criterion || "",
          a.old ?? "", a.new ?? "", a.reason || ""])));
    }, out);
  });
  return form;
}

function finaliseSection(code) {
  const slot = h("div", { "aria-live": "polite" });
  const reason = h("input", { maxLength: 500 });
  return h("section", { class: "card" }, h("h2", {}, t("chief.finalise_title")), h("p", { class: "muted" }, t("chief.finalise_help")),
    h("div", { class: "actions" }, h("button", { type: "button", id: "finalise", onclick: (e) => act(e.currentTarget, async () => {
      await api.post(`/competitions/${enc(code)}/results/finalise`);
      showNotice(t("chief.finalised"));
      reload();
    }, slot) }, t("chief.finalise"))),
    field(t("chief.reason"), reason),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: (e) => act(e.currentTarget, async () => {
      await api.post(`/competitions/${enc(code)}/results/reopen`, { reason: reason.value.trim() });
      showNotice(t("chief.reopened"));
      reload();
    }, slot) }, t("chief.reopen"))), slot);
}
