// The organiser's people: the roster (teams shown in a team competition, withdrawals with a reason),
// the experts with the conflicts of interest (derived and declared), and the co-organisers.
import { api, enc } from "./api.js";
import { t } from "./i18n.js";
import { act, field, fileType, h, table, uploadForm } from "./ui.js";

const isTeam = (c) => c.team_size > 1;

/** The roster: upload (every bad row shown, nothing written), the list, and a withdrawal with its reason. */
export async function roster(panel, c) {
  const listing = h("div");
  const withdrawal = withdrawForm(c, () => refresh());
  const refresh = async () => {
    const { items } = await api.get(`/competitions/${enc(c.code)}/contestants?include_withdrawn=true`);
    const active = items.filter((p) => p.status === "active");
    withdrawal.offer(active);
    listing.replaceChildren(h("h2", {}, t("org.contestants", { n: active.length })), rosterTable(c, items, withdrawal.choose));
  };
  panel.append(h("p", { class: "muted" }, t("org.roster_help")),
    uploadForm("roster-file", t("org.roster_file"), ".csv,.xlsx,text/csv", async (file, slot) => {
      const body = new File([file], file.name, { type: fileType(file) });
      const answer = await api.upload("POST", `/competitions/${enc(c.code)}/contestants/import?filename=${enc(file.name)}`, body);
      slot.replaceChildren(h("div", { class: "notice", role: "status" }, t("org.imported", { n: answer.registered })));
      await refresh();
    }), listing, withdrawal.form);
  await refresh();
}

function rosterTable(c, items, choose) {
  const team = isTeam(c);
  const headers = [t("org.contestant_id"), t("org.name"), ...(team ? [t("judge.team")] : []), t("org.gender"), t("org.employer"),
    t("org.delegation"), t("org.masked_id"), t("org.status"), ""];
  return table(headers, items.map((p) => [p.contestant_id, p.name, ...(team ? [p.team || ""] : []),
    p.gender ? t(`gender.${p.gender}`) : "", p.employer || "", p.delegation ? p.delegation.name : "", p.masked_id || "",
    p.status === "active" ? t("org.active") : t("org.withdrawn_because", { reason: p.withdrawn_reason || "—" }),
    p.status === "active" ? h("button", { type: "button", class: "secondary", "data-withdraw": p.contestant_id,
      "aria-label": t("org.withdraw_who", { name: p.name }), onclick: () => choose(p.contestant_id) }, t("org.withdraw")) : ""]),
  team ? t("org.team_roster", { n: c.team_size }) : undefined);
}

function withdrawForm(c, after) {
  const who = h("select", { id: "withdraw-who", required: true });
  const reason = h("input", { id: "withdraw-reason", required: true, maxLength: 500 });
  const slot = h("div", { "aria-live": "polite", id: "withdraw-result" });
  const submit = h("button", { type: "submit", class: "danger" }, t("org.withdraw_confirm"));
  const form = h("form", { class: "card", id: "withdraw" }, h("h2", {}, t("org.withdraw_title")),
    h("div", { class: "row" }, field(t("judge.contestant"), who), field(t("chief.reason"), reason, t("org.withdraw_hint"))),
    h("div", { class: "actions" }, submit), slot);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, async () => {
      const gone = await api.del(`/competitions/${enc(c.code)}/contestants/${enc(who.value)}?${new URLSearchParams({ reason: reason.value.trim() })}`);
      form.reset();
      slot.replaceChildren(h("div", { class: "notice", role: "status" }, t("org.withdrawn", { name: gone.name })));
      await after();
    }, slot);
  });
  return {
    form,
    offer(active) { who.replaceChildren(...active.map((p) => h("option", { value: p.contestant_id }, `${p.contestant_id} ${p.name}`))); },
    choose(id) { who.value = id; reason.focus(); form.scrollIntoView({ block: "nearest" }); },
  };
}

/** The experts: register and assign one, the list, the conflicts (derived and declared), and a declaration. */
export async function judges(panel, c) {
  const listing = h("div");
  const declaration = conflictForm(c, () => refresh());
  const refresh = async () => {
    const base = `/competitions/${enc(c.code)}`;
    const [assigned, conflicts, people] = await Promise.all([api.get(`${base}/judges`), api.get(`${base}/conflicts`), api.get(`${base}/contestants`)]);
    declaration.offer(assigned.items, people.items);
    listing.replaceChildren(h("h2", {}, t("org.judges")),
      table([t("signin.username"), t("org.name"), t("org.employer"), t("org.role")], assigned.items.map((j) => [j.username, j.name, j.employer, t(`role.${j.role}`)])),
      h("h2", {}, t("org.conflicts", { n: conflicts.items.length })),
      conflicts.items.length ? table([t("org.judge"), t("org.contestant_id"), t("org.reasons")], conflicts.items.map((x) =>
        [x.judge, x.contestant_id, [x.reasons.map((r) => t(`relation.${r}`)).join("、"), ...(x.notes || []).filter(Boolean)].join(" · ")]))
        : h("p", { class: "muted" }, t("org.no_conflicts")));
  };
  panel.append(assignForm(c, () => refresh()), listing, declaration.form);
  await refresh();
}

function assignForm(c, after) {
  const inputs = { username: h("input", { required: true }), name: h("input", { required: true }), employer: h("input", { required: true }),
    training_base: h("input", {}), role: h("select", {}, ["judge", "chief_expert"].map((r) => h("option", { value: r }, t(`role.${r}`)))) };
  const slot = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, t("org.assign"));
  const form = h("form", { class: "card", id: "assign-judge" }, h("h2", {}, t("org.assign_judge")),
    h("div", { class: "row" }, field(t("signin.username"), inputs.username), field(t("org.name"), inputs.name),
      field(t("org.employer"), inputs.employer), field(t("org.training_base"), inputs.training_base), field(t("org.role"), inputs.role)),
    slot, h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const payload = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]).filter(([, v]) => v));
    act(submit, async () => { await api.post(`/competitions/${enc(c.code)}/judges`, payload); form.reset(); await after(); }, slot);
  });
  return form;
}

function conflictForm(c, after) {
  const judge = h("select", { id: "conflict-judge", required: true });
  const contestant = h("select", { id: "conflict-contestant", required: true });
  const relation = h("input", { id: "conflict-relation", required: true, maxLength: 100, list: "conflict-relations" });
  const note = h("input", { id: "conflict-note", maxLength: 500 });
  const slot = h("div", { "aria-live": "polite", id: "conflict-result" });
  const submit = h("button", { type: "submit" }, t("org.declare"));
  const form = h("form", { class: "card", id: "declare-conflict" }, h("h2", {}, t("org.declare_title")),
    h("p", { class: "muted" }, t("org.declare_help")),
    h("div", { class: "row" }, field(t("org.judge"), judge), field(t("judge.contestant"), contestant),
      field(t("org.relation"), relation, t("org.relation_hint")), field(t("org.note"), note)),
    h("datalist", { id: "conflict-relations" }, ["relative", "teacher", "colleague"].map((r) => h("option", { value: r }))),
    h("div", { class: "actions" }, submit), slot);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const payload = { judge: judge.value, contestant_id: contestant.value, relation: relation.value.trim() };
    if (note.value.trim()) payload.note = note.value.trim();
    act(submit, async () => {
      await api.post(`/competitions/${enc(c.code)}/conflicts`, payload);
      form.reset();
      slot.replaceChildren(h("div", { class: "notice", role: "status" }, t("org.declared", { judge: payload.judge })));
      await after();
    }, slot);
  });
  return {
    form,
    offer(judges, people) {
      judge.replaceChildren(...judges.map((j) => h("option", { value: j.username }, `${j.username} ${j.name}`)));
      contestant.replaceChildren(...people.filter((p) => p.status === "active").map((p) => h("option", { value: p.contestant_id }, `${p.contestant_id} ${p.name}`)));
    },
  };
}

/** The competition's organisers and a form to add a co-organiser (an existing organiser account). */
export async function organisers(panel, c) {
  const listing = h("div", { id: "organisers" });
  const show = (answer) => listing.replaceChildren(table([t("signin.username")], answer.items.map((u) => [u])));
  const username = h("input", { id: "co-organiser", required: true, autocomplete: "off" });
  const slot = h("div", { "aria-live": "polite", id: "co-organiser-result" });
  const submit = h("button", { type: "submit" }, t("org.add_organiser"));
  const form = h("form", { class: "card" }, h("h2", {}, t("org.add_organiser_title")),
    field(t("signin.username"), username, t("org.add_organiser_hint")), h("div", { class: "actions" }, submit), slot);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, async () => {
      show(await api.post(`/competitions/${enc(c.code)}/organisers`, { username: username.value.trim() }));
      slot.replaceChildren(h("div", { class: "notice", role: "status" }, t("org.organiser_added", { name: username.value.trim() })));
      form.reset();
    }, slot);
  });
  panel.append(h("h2", {}, t("org.tab.organisers")), listing, form);
  show(await api.get(`/competitions/${enc(c.code)}/organisers`));
}
