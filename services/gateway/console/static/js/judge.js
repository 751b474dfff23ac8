// The judge's marking form: a sub-criterion's grid of contestants × aspects, drafts kept in
// localStorage until the server confirms them, and one batch per submit whose request_id is kept
// until an answer arrives, so a retry after a dropped connection cannot record anything twice.
import { api, ApiError, enc, NetworkError, requestId } from "./api.js";
import { t } from "./i18n.js";
import { errorBox, h } from "./ui.js";

export async function list(root) {
  const { items } = await api.get("/competitions");
  const open = items.filter((c) => c.marking_started);
  root.append(h("h1", {}, t("judge.title")),
    open.length ? h("ul", { class: "card-list" }, open.map((c) =>
      h("li", {}, h("a", { class: "button secondary", href: `#/marking/${enc(c.code)}` }, `${c.name} (${c.code})`))))
      : h("p", { class: "muted" }, t("judge.none")));
}

/** No answer, a backend that did not answer in time, or a session to renew: the batch may or may not be
 *  recorded, so it is kept and sent again as it is. Any other refusal recorded nothing. */
function outcomeUnknown(error) {
  return error instanceof NetworkError || (error instanceof ApiError && (error.status >= 500 || error.status === 401));
}

/** A cell's key: row (contestant or team) and aspect. */
const cellKey = (row, aspect) => `${row}|${aspect}`;

/** Drafts and the unconfirmed batch of one judge, competition and sub-criterion, kept across reloads. */
class Store {
  constructor(user, code, sub) { this.key = `skills.marks.${user}.${code}.${sub}`; }
  load() { try { return JSON.parse(localStorage.getItem(this.key)) || {}; } catch { return {}; } }
  save(state) {
    if (!Object.keys(state.drafts || {}).length && !state.pending) localStorage.removeItem(this.key);
    else localStorage.setItem(this.key, JSON.stringify(state));
  }
}

const MARK_STEP = "0.01";  // marks have at most two decimals (the API's rule) when the aspect names no step

function decimals(text) { const i = text.indexOf("."); return i < 0 ? 0 : text.length - i - 1; }
function units(text, places) {
  const [whole, frac = ""] = text.split(".");
  return BigInt(whole + frac.padEnd(places, "0"));
}

/** The problem with a measurement mark typed by the judge, or "" when it is acceptable. */
export function markProblem(text, aspect) {
  if (text === "") return "";
  if (!/^\d+(\.\d+)?$/.test(text)) return t("judge.not_number");
  const step = aspect.step || MARK_STEP;
  const places = Math.max(decimals(text), decimals(aspect.max_mark), decimals(step));
  if (units(text, places) > units(aspect.max_mark, places)) return t("judge.over_max", { max: aspect.max_mark });
  if (units(text, places) % units(step, places) !== 0n) return t("judge.not_step", { step });
  return "";
}

/** The parameters of a CIS measurement type, from its Calculations text ("KEY:::value#x~x#" parts joined by "#-#"). */
export function measurementParams(measurement) {
  const params = {};
  for (const part of String(measurement?.params || "").split("#-#")) {
    const at = part.indexOf(":::");
    if (at > 0) params[part.slice(0, at)] = part.slice(at + 3).replace("#x~x#", "").trim();
  }
  return params;
}

/** What a judge observes on an aspect with a CIS measurement type: choices or a hint, never a mark. */
function observation(aspect) {
  const params = measurementParams(aspect.measurement);
  const kind = aspect.measurement.type;
  if (kind === "PASS_FAIL") return { kind, options: [["pass", t("judge.pass")], ["fail", t("judge.fail")]] };
  if (kind === "CHOICE") {
    const options = [];
    for (let k = 1; params[`CHOICE${k}_LABEL`] !== undefined; k += 1) options.push([String(k), `${k} ${params[`CHOICE${k}_LABEL`]}`]);
    return { kind, options };
  }
  if (kind === "NUMBER_COMPLETED") return { kind, hint: t("judge.observed_count", { n: Number(params.NUM_POSSIBLE) }) };
  return { kind, hint: t("judge.observed_value", { target: Number(params.TARGET_VALUE || 0) }) };
}

async function loadSheet(code, sub, user) {
  const [competition, scheme, roster, conflicts, progress, marks] = await Promise.all([
    api.get(`/competitions/${enc(code)}`), api.get(`/competitions/${enc(code)}/marking-scheme`),
    api.get(`/competitions/${enc(code)}/contestants`), api.get(`/competitions/${enc(code)}/conflicts`),
    api.get(`/competitions/${enc(code)}/progress`),
    sub ? api.get(`/competitions/${enc(code)}/marks?sub_criterion=${enc(sub)}`) : Promise.resolve({ items: [] }),
  ]);
  const conflicted = new Set(conflicts.items.filter((c) => c.judge === user.username).map((c) => c.contestant_id));
  const team = competition.team_size > 1;
  const rows = [];
  const rowOf = new Map();
  for (const person of roster.items.filter((p) => p.status === "active")) {
    const key = team ? person.team : person.contestant_id;
    if (team && rows.some((r) => r.key === key)) { rowOf.set(person.contestant_id, key); continue; }
    rowOf.set(person.contestant_id, key);
    rows.push({ key, label: team ? `${t("judge.team")} ${person.team}` : person.name, id: person.contestant_id, team });
  }
  const hidden = new Set(roster.items.filter((p) => conflicted.has(p.contestant_id)).map((p) => rowOf.get(p.contestant_id)));
  const server = {};
  const computed = {};
  for (const mark of marks.items) {
    const row = rowOf.get(mark.contestants[0]);
    if (mark.type === "J" && mark.judge === user.username) server[cellKey(row, mark.aspect)] = String(mark.score);
    if (mark.type === "M") {
      const key = cellKey(row, mark.aspect);
      server[key] = mark.observed !== undefined && mark.observed !== null ? String(mark.observed) : String(mark.value);
      computed[key] = String(mark.value);
    }
  }
  const locked = Object.fromEntries(progress.sub_criteria.map((s) => [s.sub_criterion, s.locked]));
  return { competition, scheme: scheme.scheme, rows: rows.filter((r) => !hidden.has(r.key)), server, computed, locked };
}

export async function sheet(root, [code, sub], user) {
  const data = await loadSheet(code, sub, user);
  root.append(h("h1", {}, `${t("judge.title")} · ${data.competition.name}`),
    h("nav", { class: "subs", "aria-label": t("judge.sub_criteria") }, data.scheme.sub_criteria.map((s) =>
      h("a", { class: `button ${s.id === sub ? "" : "secondary"}`, href: `#/marking/${enc(code)}/${enc(s.id)}`,
               "aria-current": s.id === sub ? "page" : undefined },
        `${s.id} ${s.name}`, data.locked[s.id] ? ` 🔒` : ""))));
  if (!sub) { root.append(h("p", { class: "muted" }, t("judge.choose_sub"))); return; }
  const subCriterion = data.scheme.sub_criteria.find((s) => s.id === sub);
  if (!subCriterion) { root.append(h("p", {}, t("app.not_found"))); return; }
  new MarkingForm(root, { code, sub: subCriterion, user, ...data }).render();
}

class MarkingForm {
  constructor(root, ctx) {
    Object.assign(this, ctx);
    this.root = root;
    this.store = new Store(ctx.user.username, ctx.code, ctx.sub.id);
    this.state = { drafts: {}, ...this.store.load() };
    this.readOnly = Boolean(ctx.locked[ctx.sub.id]);
    this.refused = {};
    this.status = h("div", { "aria-live": "polite", id: "marking-status" });
    this.host = h("div");
    root.append(this.status, this.host);
  }

  value(key) { return key in this.state.drafts ? this.state.drafts[key] : this.server[key] ?? ""; }

  setDraft(key, value) {
    if (value === (this.server[key] ?? "")) delete this.state.drafts[key];
    else this.state.drafts[key] = value;
    delete this.refused[key];
    this.store.save(this.state);
  }

  render() {
    const frozen = this.readOnly || Boolean(this.state.pending);
    const table = h("table", { class: "grid", id: "marking-grid" },
      h("caption", { class: "muted" }, `${this.sub.id} ${this.sub.name} · ${t("judge.rows", { n: this.rows.length })}`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("judge.contestant")), this.sub.aspects.map((a) => this.header(a)))),
      h("tbody", {}, this.rows.map((row) => h("tr", {},
        h("th", { scope: "row", class: "name" }, row.label),
        this.sub.aspects.map((aspect) => this.cell(row, aspect, frozen))))));
    this.banner = h("div");
    this.actions = h("div", { class: "actions" });
    this.host.replaceChildren(this.banner, h("div", { class: "grid-wrap" }, table), this.actions);
    this.refreshChrome();
  }

  /** The banner and the buttons, which change with every draft; the grid keeps its focus. */
  refreshChrome() {
    const frozen = this.readOnly || Boolean(this.state.pending);
    const drafts = Object.keys(this.state.drafts).length;
    const submit = h("button", { type: "button", id: "submit-marks", onclick: () => this.submit(submit) },
      this.state.pending ? t("judge.retry") : t("judge.submit"));
    const discard = h("button", { type: "button", class: "secondary", disabled: frozen || !drafts,
      onclick: () => { this.state.drafts = {}; this.store.save(this.state); this.render(); } }, t("judge.discard"));
    this.banner.replaceChildren(this.readOnly ? h("div", { class: "warning", id: "locked-banner" }, t("judge.locked"))
      : this.state.pending ? h("div", { class: "warning", id: "pending-banner" }, t("judge.pending", { n: this.state.pending.marks.length }))
        : drafts ? h("div", { class: "warning" }, t("judge.unsaved", { n: drafts })) : "");
    this.actions.replaceChildren(...(this.readOnly ? [] : [submit, discard]));
  }

  header(aspect) {
    const info = aspect.type === "J"
      ? h("details", { class: "descriptors" }, h("summary", {}, t("judge.descriptors")),
        h("dl", {}, ["0", "1", "2", "3"].map((s) => [h("dt", {}, s), h("dd", {}, aspect.descriptors?.[s] || "")])))
      : aspect.measurement ? h("div", { class: "muted" }, t("judge.typed", { type: aspect.measurement.type, label: aspect.measurement.label || "", max: aspect.max_mark }))
        : h("div", { class: "muted" }, t("judge.max_step", { max: aspect.max_mark, step: aspect.step || MARK_STEP }));
    return h("th", { scope: "col", class: "aspect" }, h("div", {}, `${aspect.id} ${aspect.description}`),
      aspect.requirement ? h("div", { class: "muted" }, aspect.requirement) : null, info);
  }

  cell(row, aspect, frozen) {
    const key = cellKey(row.key, aspect.id);
    const td = h("td", { class: key in this.state.drafts ? "unsaved" : "", "data-cell": key });
    if (this.refused[key]) td.classList.add("refused");
    const label = `${row.label} · ${aspect.id}`;
    if (aspect.type === "J") {
      const group = h("div", { class: "scores", role: "group", "aria-label": label });
      const chosen = h("span", { class: "muted descriptor" });
      const show = () => {
        for (const b of group.children) b.setAttribute("aria-pressed", b.value === this.value(key) ? "true" : "false");
        chosen.textContent = aspect.descriptors?.[this.value(key)] || "";
        td.classList.toggle("unsaved", key in this.state.drafts);
      };
      for (const score of ["0", "1", "2", "3"]) {
        group.append(h("button", { type: "button", value: score, disabled: frozen, title: aspect.descriptors?.[score] || "",
          "aria-label": `${label}: ${score} ${aspect.descriptors?.[score] || ""}`,
          onclick: () => { this.setDraft(key, this.value(key) === score ? "" : score); show(); this.refreshChrome(); } }, score));
      }
      td.append(group, chosen);
      show();
    } else if (aspect.measurement) {
      this.observedCell(td, key, aspect, label, frozen);
    } else {
      const input = h("input", { type: "text", inputMode: "decimal", value: this.value(key), disabled: frozen,
        "aria-label": label, autocomplete: "off" });
      const problem = h("span", { class: "cell-problem", id: `p-${key}` });
      const check = () => {
        const text = input.value.trim();
        const found = markProblem(text, aspect);
        problem.textContent = found;
        if (found) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", problem.id); }
        else input.removeAttribute("aria-invalid");
        return text;
      };
      input.addEventListener("input", () => {
        this.setDraft(key, check());
        td.classList.toggle("unsaved", key in this.state.drafts);
        this.refreshChrome();
      });
      td.append(input, problem);
      check();
    }
    if (this.refused[key]) td.append(h("span", { class: "cell-problem" }, this.refused[key]));
    return td;
  }

  /** A typed measurement cell: the judge enters what was observed, the API computes the mark. */
  observedCell(td, key, aspect, label, frozen) {
    const seen = observation(aspect);
    const mark = this.computed[key] !== undefined && !(key in this.state.drafts)
      ? h("span", { class: "muted descriptor" }, t("judge.computed", { mark: this.computed[key] })) : "";
    const changed = (value) => { this.setDraft(key, value); td.classList.toggle("unsaved", key in this.state.drafts); this.refreshChrome(); };
    if (seen.options) {
      const select = h("select", { disabled: frozen, "aria-label": `${label} (${t("judge.observed")})` },
        h("option", { value: "" }, "—"),
        seen.options.map(([value, text]) => h("option", { value, selected: this.value(key) === value || this.value(key) === text.replace(/^\d+ /, "") }, text)));
      select.addEventListener("change", () => changed(select.value));
      td.append(select, mark);
    } else {
      const input = h("input", { type: "text", inputMode: "decimal", value: this.value(key), disabled: frozen,
        "aria-label": `${label} (${t("judge.observed")})`, autocomplete: "off", placeholder: t("judge.observed") });
      input.addEventListener("input", () => changed(input.value.trim()));
      td.append(input, h("span", { class: "muted descriptor" }, seen.hint), mark);
    }
  }

  /** The batch to send: every draft that differs from the server, as the API's marks. */
  batch() {
    const marks = [];
    const cells = [];
    for (const row of this.rows) {
      for (const aspect of this.sub.aspects) {
        const key = cellKey(row.key, aspect.id);
        if (!(key in this.state.drafts) || this.state.drafts[key] === "") continue;
        const text = this.state.drafts[key];
        if (aspect.type === "M" && !aspect.measurement && markProblem(text, aspect)) throw new Error(t("judge.fix_first"));
        const entered = aspect.type === "J" ? { score: Number(text) } : aspect.measurement ? { observed: text } : { value: text };
        marks.push({ ...(row.team ? { team: row.key } : { contestant_id: row.key }), aspect: aspect.id, ...entered });
        cells.push(key);
      }
    }
    return { marks, cells };
  }

  async submit(button) {
    if (!this.state.pending) {
      let batch;
      try { batch = this.batch(); } catch (error) { this.status.replaceChildren(h("div", { class: "error-box", role: "alert" }, error.message)); return; }
      if (!batch.marks.length) { this.status.replaceChildren(h("div", { class: "notice", role: "status" }, t("judge.nothing"))); return; }
      this.state.pending = { request_id: requestId(), ...batch };
      this.store.save(this.state);  // kept before sending: a reload or a retry sends the same id and body
    }
    const { request_id, marks, cells } = this.state.pending;
    button.disabled = true;
    try {
      const answer = await api.post(`/competitions/${enc(this.code)}/marks`, { request_id, marks });
      this.confirmed(cells, answer);
    } catch (error) {
      if (outcomeUnknown(error)) {
        this.status.replaceChildren(errorBox(error), h("div", { class: "warning" }, t("judge.retry_hint")));
      } else {
        this.refusedCells(error, cells);
        this.state.pending = null;  // a refused batch records nothing and frees its id
        this.store.save(this.state);
        this.status.replaceChildren(errorBox(error));
      }
      this.render();
      return;
    }
    this.render();
    try {  // the marks as stored (computed marks of observations); what is shown stays if this fails
      ({ server: this.server, computed: this.computed } = await loadSheet(this.code, this.sub.id, this.user));
      this.render();
    } catch { /* the batch is confirmed; a later visit shows the stored values */ }
  }

  confirmed(cells, answer) {
    for (const key of cells) { this.server[key] = this.state.drafts[key]; delete this.state.drafts[key]; }
    this.state.pending = null;
    this.store.save(this.state);
    const disputes = answer.disputes || [];
    this.status.replaceChildren(h("div", { class: "notice", role: "status", id: "marks-saved" },
      t("judge.saved", { recorded: answer.recorded, changed: answer.changed })),
      disputes.length ? h("div", { class: "warning" }, t("judge.disputes", { list: disputes.map((d) => d.aspect || JSON.stringify(d)).join(", ") })) : "");
  }

  refusedCells(error, cells) {
    for (const detail of error.details || []) {
      const index = /^\/marks\/(\d+)/.exec(detail.path || "");
      if (index && cells[Number(index[1])]) this.refused[cells[Number(index[1])]] = detail.problem;
    }
  }
}

