// Translations and locale formats for station scripts: the same catalogs as the pages.
//
//   import { t, tn, formatGrams } from "./i18n.js";
//   t("Scan tote %(tote)s", { tote: "T0001" })
//   tn("%(n)s scan waiting to send", "%(n)s scans waiting to send", n, { n })
//
// The page says its language in <html lang> and where its catalog is in <html data-i18n>
// (/i18n/<lang>.json?v=<digest>, built by the server from app/translations/*.po). This module
// loads it before any station script runs (top-level await), so t() works at import time.
// A message missing from the catalog shows in English. Extraction: `dockhand i18n update`
// finds every t("...") and tn("...", "...") call; the message must be a plain string literal.
//
// Switching language reloads the page once (switchLanguage): the server renders the page
// text in the new language, and the signed-in station signs in again by itself.

export const LANGUAGES = Object.freeze({ en: "English", de: "Deutsch", nl: "Nederlands", pl: "Polski" });
const COOKIE = "dockhand_lang";
const RELOAD_KEY = "dockhand.lang.reload";

const root = document.documentElement;
export const lang = LANGUAGES[root.lang] ? root.lang : "en";

async function loadCatalog() {
  const url = root.dataset.i18n;
  if (lang === "en" || !url) return {};
  try {
    const resp = await fetch(url, { credentials: "same-origin" });
    if (!resp.ok) return {};
    const body = await resp.json();
    return body && typeof body.messages === "object" ? body.messages : {};
  } catch {
    return {}; // offline with nothing cached: English rather than nothing
  }
}

const messages = await loadCatalog();

function fill(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

/** The message in the page's language, with %(name)s filled from values. */
export function t(message, values = {}) {
  const found = messages[message];
  return fill(typeof found === "string" && found ? found : message, values);
}

// Plural rules of the catalogs' Plural-Forms headers.
function pluralIndex(n) {
  if (lang === "pl") {
    if (n === 1) return 0;
    const d = n % 10;
    const h = n % 100;
    return d >= 2 && d <= 4 && (h < 10 || h >= 20) ? 1 : 2;
  }
  return n === 1 ? 0 : 1;
}

/** A counted message: tn("%(n)s carton", "%(n)s cartons", n, { n }). */
export function tn(singular, plural, n, values = {}) {
  const forms = messages[singular];
  if (Array.isArray(forms) && forms.length) {
    const form = forms[Math.min(pluralIndex(n), forms.length - 1)];
    if (form) return fill(form, values);
  }
  return fill(n === 1 ? singular : plural, values);
}

// ---------------------------------------------------------------- locale formats

export function formatNumber(value, options = {}) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  return new Intl.NumberFormat(lang, options).format(Number(value));
}

/** 950 g, 1.25 kg (1,25 kg in German, Dutch and Polish). */
export function formatGrams(g) {
  if (g === null || g === undefined || g === "") return "—";
  const n = Number(g);
  if (Math.abs(n) >= 1000) {
    return `${formatNumber(n / 1000, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} kg`;
  }
  return `${formatNumber(n, { maximumFractionDigits: 0 })} g`;
}

export function formatMoney(minor, currency) {
  try {
    return new Intl.NumberFormat(lang, { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${formatNumber(minor / 100, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency || ""}`.trim();
  }
}

export function formatDateTime(iso, options = { dateStyle: "short", timeStyle: "short" }) {
  if (!iso) return "—";
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(lang, options);
}

export function formatTime(iso, options = { timeStyle: "short" }) {
  return formatDateTime(iso, options);
}

export function formatDate(iso, options = { dateStyle: "medium" }) {
  if (!iso) return "—";
  const d = iso instanceof Date ? iso : new Date(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T12:00:00` : iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleDateString(lang, options);
}

// ---------------------------------------------------------------- choosing a language

function cookieLanguage() {
  const found = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
  return found ? found.slice(COOKIE.length + 1) : null;
}

/** The language this device shows when nobody has chosen one: forget the chosen one. */
export function forgetLanguage() {
  const had = cookieLanguage();
  document.cookie = `${COOKIE}=; path=/; max-age=0; SameSite=Lax`;
  return had !== null;
}

/**
 * Show the pages in `code` from now on (a cookie the server reads) and reload once to get
 * them. Returns false when nothing needs to change or a reload already failed to switch.
 */
export function switchLanguage(code) {
  if (!LANGUAGES[code]) return false;
  document.cookie = `${COOKIE}=${code}; path=/; max-age=31536000; SameSite=Lax`;
  if (code === lang) return false;
  try {
    if (sessionStorage.getItem(RELOAD_KEY) === code) return false; // tried: do not loop
    sessionStorage.setItem(RELOAD_KEY, code);
  } catch {
    // no session storage: reload anyway, the cookie decides
  }
  const url = new URL(location.href);
  url.searchParams.delete("lang"); // an explicit ?lang= would win over the choice
  location.replace(url.toString());
  return true;
}

/** Reload to get the station's own language (the chosen one was just forgotten); once. */
export function reloadOnce() {
  try {
    if (sessionStorage.getItem(RELOAD_KEY) === "station") return false;
    sessionStorage.setItem(RELOAD_KEY, "station");
  } catch {
    // no session storage: reload anyway
  }
  const url = new URL(location.href);
  url.searchParams.delete("lang");
  location.replace(url.toString());
  return true;
}

// This load is the result of a switch (or needed none): allow the next one.
try {
  const pending = sessionStorage.getItem(RELOAD_KEY);
  if (pending === lang || pending === "station") sessionStorage.removeItem(RELOAD_KEY);
} catch {
  // private mode
}
