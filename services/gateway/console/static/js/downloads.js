// Every export of a competition in one place: the results (CSV, Excel), the marking scheme as a CIS
// workbook, and each sub-criterion's printable marking form (Excel, PDF). Each file comes from the API
// with the signed-in token; a refusal (no scheme yet, results not ready) is shown next to its button.
import { api, enc } from "./api.js";
import { t } from "./i18n.js";
import { act, errorBox, h, table } from "./ui.js";

function fileButton(path, fallbackName, label, slot) {
  return h("button", { type: "button", class: "secondary", "data-download": path,
    onclick: (event) => act(event.currentTarget, async () => {
      const name = await api.download(path, fallbackName);
      slot.replaceChildren(h("span", { class: "muted", role: "status" }, t("dl.saved", { name })));
    }, slot) }, label);
}

function exportRow(what, files) {
  const slot = h("div", { "aria-live": "polite" });
  return [what, h("div", {}, h("div", { class: "actions" }, files.map(([path, name, label]) => fileButton(path, name, label, slot))), slot)];
}

export async function downloads(panel, c) {
  const base = `/competitions/${enc(c.code)}`;
  const rows = [
    exportRow(t("dl.results"), [[`${base}/results?format=csv`, `results-${c.code}.csv`, "CSV"], [`${base}/results?format=xlsx`, `results-${c.code}.xlsx`, "Excel"]]),
    exportRow(t("dl.scheme"), [[`${base}/marking-scheme?format=xlsx`, `${c.code}-marking-scheme.xlsx`, "Excel (CIS)"]]),
  ];
  let problem = null;
  try {
    const { scheme } = await api.get(`${base}/marking-scheme`);
    for (const sub of scheme.sub_criteria) {
      rows.push(exportRow(t("dl.form", { sub: `${sub.id} ${sub.name}` }), ["xlsx", "pdf"].map((fmt) =>
        [`${base}/marking-forms/${enc(sub.id)}?format=${fmt}`, `${c.code}-${sub.id}.${fmt}`, fmt === "pdf" ? "PDF" : "Excel"])));
    }
  } catch (error) {
    problem = h("div", {}, h("p", { class: "muted" }, t("dl.no_forms")), errorBox(error));
  }
  panel.append(h("h2", {}, t("org.tab.downloads")), h("p", { class: "muted" }, t("dl.help")),
    table([t("dl.what"), t("dl.files")], rows), problem);
}
