// Translations for station scripts (placeholder until the Flask-Babel catalogs feed it).
// Usage: import { t } from "./i18n.js"; t("Scan tote %(tote)s", { tote: "T0001" })
export function t(message, values = {}) {
  return message.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}
