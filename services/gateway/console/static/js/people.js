// The committee's people: find anyone on record (by name from its start, or by employer, district,
// skill, or any of these), and import profiles from a CSV/XLSX sheet: the whole file is checked first
// and every bad row is shown (row, column, problem) with nothing written.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { act, field, fileType, h, table, uploadForm } from "./ui.js";

const SEARCH_BY = ["name", "q", "employer", "district", "skill"];

export function page(root) {
  root.append(h("h1", {}, t("nav.people")), peopleSearch(), profileImport());
}

function peopleSearch() {
  const by = h("select", { id: "people-by" }, SEARCH_BY.map((k) => h("option", { value: k }, t(`people.by.${k}`))));
  const query = h("input", { type: "search", id: "people-query", required: true, maxLength: 200 });
  const out = h("div", { id: "people-found", "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, t("com.find"));
  const form = h("form", { class: "card", role: "search", "aria-labelledby": "people-title" }, h("h2", { id: "people-title" }, t("com.people")),
    h("div", { class: "row" }, field(t("people.search_by"), by), field(t("com.people_query"), query)), h("div", { class: "actions" }, submit), out);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, async () => {
      const found = await api.get(`/people?${new URLSearchParams({ [by.value]: query.value.trim(), per_page: "50" })}`);
      out.replaceChildren(h("p", { class: "muted" }, t("com.found", { n: found.total })),
        table([t("com.name"), t("org.employer"), t("com.district"), t("org.masked_id"), t("com.person_key")],
          found.items.map((p) => [p.name || "", p.employer || "", p.district || "", p.masked_id || "",
            h("code", { title: p.person_key, "data-person": p.person_key }, p.person_key.slice(0, 12) + "…")])));
    }, out);
  });
  return form;
}

function profileImport() {
  return h("section", { id: "profile-import", "aria-labelledby": "profile-import-title" }, h("h2", { id: "profile-import-title" }, t("people.import")),
    h("p", { class: "muted" }, t("people.import_help")),
    uploadForm("profile-file", t("people.import_file"), ".csv,.xlsx,text/csv", async (file, slot) => {
      const body = new File([file], file.name, { type: fileType(file) });
      const answer = await api.upload("POST", `/people/import?filename=${encodeURIComponent(file.name)}`, body);
      slot.replaceChildren(h("div", { class: "notice", role: "status" }, t("people.imported", { n: answer.imported })));
    }));
}
