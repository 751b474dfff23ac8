// Strings live in one dictionary per language (i18n/zh-CN.js, i18n/en.js); Chinese is the default.
import zh from "./i18n/zh-CN.js";
import en from "./i18n/en.js";

const DICTIONARIES = { "zh-CN": zh, en };
const STORE_KEY = "skills.lang";
let current = DICTIONARIES[localStorage.getItem(STORE_KEY)] ? localStorage.getItem(STORE_KEY) : "zh-CN";

export function lang() { return current; }

export function setLang(code) {
  current = DICTIONARIES[code] ? code : "zh-CN";
  localStorage.setItem(STORE_KEY, current);
  document.documentElement.lang = current;
}

/** The text for `key` in the current language ({name} placeholders filled from `params`). */
export function t(key, params = {}) {
  const text = DICTIONARIES[current][key] ?? DICTIONARIES["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

document.documentElement.lang = current;
