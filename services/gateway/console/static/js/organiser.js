// The organiser's pages: competitions, roster upload with every bad row, judges and conflicts, the
// marking scheme with its problems and WSOS variation, the live progress board, results and exports.
import { api, enc } from "./api.js";
import { lang, t } from "./i18n.js";
import { act, errorBox, field, fileType, h, reload, showNotice, svg, table, uploadForm } from "./ui.js";
import { downloads } from "./downloads.js";
import { judges, organisers, roster } from "./organiser_people.js";

const TIERS = ["worldskills", "national_class_1", "national_class_2", "municipal_class_1", "municipal_class_2", "enterprise"];
const RELATIONS = ["same_employer", "same_training_base", "same_delegation", "declared"];
const TABS = ["overview", "roster", "judges", "organisers", "scheme", "progress", "results", "downloads"];
const POLL_MS = 3000;

export async function list(root) {
  const { items } = await api.get("/competitions");
  root.append(h("h1", {}, t("org.competitions")),
    items.length ? table([t("org.code"), t("org.name"), t("org.tier"), t("org.status"), t("org.dates")], items.map((c) => [
      h("a", { href: `#/competitions/${enc(c.code)}` }, c.code), c.name, t(`tier.${c.tier}`),
      t(`status.${c.status}`) + (c.marking_started ? ` · ${t("org.marking")}` : ""), `${c.start_date} – ${c.end_date || ""}`]))
      : h("p", { class: "muted" }, t("org.no_competitions")),
    createForm());
}

function createForm() {
  const inputs = {
    code: h("input", { required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_\\-]{1,63}" }),
    name: h("input", { required: true, maxLength: 200 }),
    tier: h("select", {}, TIERS.map((tier) => h("option", { value: tier, selected: tier === "municipal_class_1" }, t(`tier.${tier}`)))),
    skill_code: h("input", { required: true }), skill_name: h("input", { required: true }),
    skill_level: h("select", {}, h("option", { value: "" }, "—"), [5, 4, 3, 2, 1].map((l) => h("option", { value: l }, t(`level.${l}`)))),
    team_size: h("input", { type: "number", min: 1, max: 20, value: 1 }),
    start_date: h("input", { type: "date", required: true }), end_date: h("input", { type: "date" }),
    registration_deadline: h("input", { type: "date", required: true }),
    capacity: h("input", { type: "number", min: 1 }),
  };
  const relations = RELATIONS.map((r) => h("input", { type: "checkbox", value: r, checked: r !== "same_delegation", id: `rel-${r}` }));
  const slot = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, t("org.create"));
  const form = h("form", { class: "card", id: "create-competition" }, h("h2", {}, t("org.new_competition")),
    h("div", { class: "row" },
      field(t("org.code"), inputs.code), field(t("org.name"), inputs.name), field(t("org.tier"), inputs.tier),
      field(t("org.skill_code"), inputs.skill_code), field(t("org.skill_name"), inputs.skill_name),
      field(t("org.skill_level"), inputs.skill_level), field(t("org.team_size"), inputs.team_size),
      field(t("org.start"), inputs.start_date), field(t("org.end"), inputs.end_date),
      field(t("org.deadline"), inputs.registration_deadline), field(t("org.capacity"), inputs.capacity)),
    h("fieldset", {}, h("legend", {}, t("org.conflict_relations")),
      relations.map((box) => h("span", {}, box, h("label", { for: box.id, class: "inline" }, t(`relation.${box.value}`)), " "))),
    slot, h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const v = (k) => inputs[k].value.trim();
    const payload = {
      code: v("code"), name: v("name"), tier: v("tier"), skill: { code: v("skill_code"), name: v("skill_name") },
      skill_level: v("skill_level") ? Number(v("skill_level")) : null, team_size: Number(v("team_size") || 1),
      start_date: v("start_date"), registration_deadline: v("registration_deadline"),
      capacity: v("capacity") ? Number(v("capacity")) : null,
      conflict_relations: relations.filter((b) => b.checked).map((b) => b.value),
    };
    if (v("end_date")) payload.end_date = v("end_date");
    act(submit, async () => {
      const created = await api.post("/competitions", payload);
      location.hash = `#/competitions/${enc(created.code)}`;
    }, slot);
  });
  return form;
}

export async function detail(root, [code, tab = "overview"], user) {
  const competition = await api.get(`/competitions/${enc(code)}`);
  root.append(h("h1", {}, `${competition.name} (${competition.code})`),
    h("nav", { class: "tabs", "aria-label": t("org.sections") }, TABS.map((name) => h("a", {
      class: `button ${name === tab ? "" : "secondary"}`, href: `#/competitions/${enc(code)}/${name}`, id: `tab-${name}`,
      "aria-current": name === tab ? "page" : undefined }, t(`org.tab.${name}`)))));
  const panel = h("section", { "aria-labelledby": `tab-${tab}`, id: "panel" });
  root.append(panel);
  const view = { overview, roster, judges, organisers, scheme, progress, results, downloads }[tab];
  if (!view) return undefined;
  try { return await view(panel, competition, user); }
  catch (error) { panel.append(errorBox(error)); return undefined; }  // the tabs stay: another section is a click away
}

function overview(panel, c) {
  const slot = h("div", { "aria-live": "polite" });
  const change = (action) => (event) => act(event.currentTarget, async () => {
    await api.post(`/competitions/${enc(c.code)}/${action}`);
    showNotice(t(`org.done_${action}`));
    reload();
  }, slot);
  panel.append(h("section", { class: "card" }, table([t("org.field"), t("org.value")], [
    [t("org.status"), t(`status.${c.status}`) + (c.marking_started ? ` · ${t("org.marking")}` : "")],
    [t("org.tier"), t(`tier.${c.tier}`)], [t("org.skill_name"), `${c.skill.code} ${c.skill.name}`],
    [t("org.dates"), `${c.start_date} – ${c.end_date || ""}`], [t("org.deadline"), c.registration_deadline],
    [t("org.capacity"), c.capacity ?? "∞"], [t("org.entries"), c.entries ?? ""],
    [t("org.conflict_relations"), c.conflict_relations.map((r) => t(`relation.${r}`)).join("、")],
  ]), slot, h("div", { class: "actions" },
    c.status !== "open" && !c.marking_started ? h("button", { type: "button", id: "open-registration", onclick: change("open") }, t("org.open")) : null,
    c.status === "open" ? h("button", { type: "button", id: "close-registration", onclick: change("close") }, t("org.close")) : null,
    c.status === "closed" && !c.marking_started ? h("button", { type: "button", id: "open-marking", onclick: change("marking/open") }, t("org.open_marking")) : null)));
}

function variationTable(scheme) {
  const rows = scheme.wsos_variation || [];
  const varied = rows.filter((r) => Number(r.variation) !== 0);
  return h("div", {},
    varied.length ? h("div", { class: "warning", id: "wsos-warnings" }, t("org.variation_warning", { n: varied.length })) : null,
    (scheme.warnings || []).map((w) => h("div", { class: "warning" }, typeof w === "string" ? w : `${w.path || ""} ${w.problem || w.message || JSON.stringify(w)}`)),
    rows.length ? table([t("org.wsos_section"), t("org.name"), t("org.wsos_marks"), t("org.aspect_marks"), t("org.variation")],
      rows.map((r) => [r.section, r.name, r.wsos_marks, r.aspect_marks, r.variation])) : null);
}

async function scheme(panel, c) {
  const current = h("div");
  const slot = h("div", { "aria-live": "polite" });
  const download = (path, name) => (event) => act(event.currentTarget, () => api.download(path, name), slot);
  const base = `/competitions/${enc(c.code)}`;
  const show = (answer) => {
    const s = answer.scheme;
    current.replaceChildren(h("h2", {}, t("org.scheme_version", { v: answer.version, total: answer.total, n: answer.aspects })),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: download(`${base}/marking-scheme?format=xlsx`, `${c.code}-scheme.xlsx`) }, t("org.scheme_xlsx")),
        s.sub_criteria.map((sub) => h("button", { type: "button", class: "secondary",
          onclick: download(`${base}/marking-forms/${enc(sub.id)}?format=pdf`, `${c.code}-${sub.id}.pdf`) }, t("org.marking_form", { sub: sub.id })))),
      slot, variationTable(answer),
      table([t("org.sub_criterion"), t("org.aspect"), t("org.type"), t("org.max")], s.sub_criteria.flatMap((sub) =>
        sub.aspects.map((a) => [`${sub.id} ${sub.name}`, `${a.id} ${a.description}`, a.type, a.max_mark]))));
  };
  panel.append(uploadForm("scheme-file", t("org.scheme_file"), ".json,.xlsx,application/json", async (file, slot) => {
    const type = fileType(file);
    let answer;
    if (type === "application/json") answer = await api.upload("PUT", `/competitions/${enc(c.code)}/marking-scheme`, new File([file], file.name, { type }));
    else answer = await api.upload("PUT", `/competitions/${enc(c.code)}/marking-scheme?filename=${enc(file.name)}`, new File([file], file.name, { type }));
    slot.replaceChildren(h("div", { class: "notice", role: "status" }, t("org.scheme_saved")));
    show(await api.get(`/competitions/${enc(c.code)}/marking-scheme`).catch(() => answer));
  }), current);
  try { show(await api.get(`/competitions/${enc(c.code)}/marking-scheme`)); }
  catch (error) { current.replaceChildren(errorBox(error)); }
}

/** The progress board, refreshed every few seconds while the page is open. */
export function progressBoard(panel, code, extra = () => null) {
  const board = h("div", { id: "progress-board", "aria-live": "off" });
  const stamp = h("p", { class: "muted" });
  panel.append(h("h2", {}, t("progress.title")), stamp, board);
  let stopped = false;
  const refresh = async () => {
    try {
      const p = await api.get(`/competitions/${enc(code)}/progress`);
      board.replaceChildren(h("div", { class: "board" }, p.sub_criteria.map((s) => {
        const state = s.locked ? "locked" : s.disputed ? "disputed" : s.missing === 0 ? "done" : "";
        return h("section", { class: "card", "data-sub": s.sub_criterion },
          h("h3", {}, `${s.sub_criterion} ${s.name} `, h("span", { class: `pill ${state}` }, t(`progress.state.${state || "open"}`))),
          h("meter", { min: 0, max: s.expected || 1, value: s.in, "aria-label": t("progress.in_of", { in: s.in, expected: s.expected }) }),
          table([t("progress.in"), t("progress.missing"), t("progress.disputed"), t("progress.partial")],
            [[String(s.in), String(s.missing), String(s.disputed), String(s.partial)]]),
          extra(s));
      })));
      stamp.textContent = t("progress.updated", { time: new Date().toLocaleTimeString(lang()), in: p.in, expected: p.expected });
    } catch (error) {
      board.replaceChildren(errorBox(error));
    }
  };
  let timer = null;
  const loop = async () => { await refresh(); if (!stopped) timer = setTimeout(loop, POLL_MS); };
  loop();
  return { stop: () => { stopped = true; clearTimeout(timer); }, refresh };
}

function progress(panel, c) {
  const poller = progressBoard(panel, c.code);
  return poller.stop;
}

/** The 700-scale distribution: one dot per contestant, the lowest score of each medal as a line. */
export function distributionChart(rows) {
  const scores = rows.map((r) => r.scale).filter((s) => typeof s === "number");
  const width = 720, height = 220, pad = 40;
  const lo = Math.min(600, ...scores) - 10, hi = Math.max(800, ...scores) + 10;
  const x = (s) => pad + ((s - lo) / (hi - lo)) * (width - 2 * pad);
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-labelledby": "chart-title", id: "distribution" },
    svg("title", { id: "chart-title" }, t("results.chart_title", { n: scores.length })),
    svg("line", { class: "axis", x1: pad, x2: width - pad, y1: height - pad, y2: height - pad }));
  for (let tick = Math.ceil(lo / 50) * 50; tick <= hi; tick += 50) {
    chart.append(svg("line", { class: "axis", x1: x(tick), x2: x(tick), y1: height - pad, y2: height - pad + 5 }),
      svg("text", { x: x(tick), y: height - pad + 20, "text-anchor": "middle" }, String(tick)));
  }
  const stacks = {};
  for (const s of scores) {
    const bucket = Math.round(x(s));
    stacks[bucket] = (stacks[bucket] || 0) + 1;
    chart.append(svg("circle", { class: "dot", cx: bucket, cy: height - pad - 8 - (stacks[bucket] - 1) * 12, r: 5 }, svg("title", {}, String(s))));
  }
  const lines = [["medallion", 700]];
  for (const medal of ["gold", "silver", "bronze"]) {
    const medalled = rows.filter((r) => r.medal === medal).map((r) => r.scale);
    if (medalled.length) lines.push([medal, Math.min(...medalled)]);
  }
  lines.forEach(([medal, score], i) => chart.append(
    svg("line", { class: `medal-${medal}`, x1: x(score), x2: x(score), y1: 20, y2: height - pad, "stroke-width": 2, "stroke-dasharray": "6 3", stroke: "#444" }),
    svg("text", { x: x(score) + 4, y: 14 + (i % 2) * 14 + 14 * Math.floor(i / 2) }, `${t(`medal.${medal}`)} ≥ ${score}`)));
  return chart;
}

export async function resultsView(panel, code) {
  const slot = h("div", { "aria-live": "polite" });
  const r = await api.get(`/competitions/${enc(code)}/results`);
  const teams = r.results.some((row) => row.team);
  const download = (format) => (event) => act(event.currentTarget, () => api.download(`/competitions/${enc(code)}/results?format=${format}`, `results-${code}.${format}`), slot);
  panel.append(h("h2", {}, r.final ? t("results.final", { rev: r.revision }) : t("results.provisional")),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: download("csv") }, t("results.csv")),
      h("button", { type: "button", class: "secondary", onclick: download("xlsx") }, t("results.xlsx"))), slot,
    distributionChart(r.results),
    table([t("results.rank"), t("org.name"), ...(teams ? [t("judge.team")] : []), t("org.delegation"), t("results.raw"), t("results.scale"), t("results.medal")],
      r.results.map((row) => [String(row.rank), row.name, ...(teams ? [row.team || ""] : []), row.delegation ? row.delegation.name : "", row.raw, String(row.scale),
        row.medal ? t(`medal.${row.medal}`) : row.medallion ? t("medal.medallion") : ""])));
}

async function results(panel, c) { await resultsView(panel, c.code); }

