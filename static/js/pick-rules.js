// The pick task's rules on the handheld: the same verdicts as app/domain/picking.py, so the
// page can answer a scan at once when the server is slow or out of reach (offline). The
// server stays the judge: its answer replaces this one whenever it arrives.
//
// judge(task, code, today) -> {result, ok, message, certain, task}
//   result/message as the server would say them; `task` is the task as it would be after the
//   scan; `certain` is false where only the server can know (another order's tote, a GS1
//   string this small parser does not read).

import { t } from "./i18n.js";

const LOCATION = /^[A-Z]\d{2}-\d{2}-\d{1,2}(?:-[1-9])?$/;
const TOTE = /^T\d{4,6}$/;
// Labels print the code and a check character (app/domain/codes.py): fixed-width codes only.
const CHECKED = [
  ["location", /^([A-Z]\d{2}-\d{2}-[1-9](?:-[1-9])?)([0-9A-Z])$/, "Location"],
  ["tote", /^(T\d{6})([0-9A-Z])$/, "Tote"],
];
const MOD36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** ISO 7064 Mod 37,36 over the code without separators, its check character last. */
export function checkOk(payload) {
  let check = 18;
  for (const ch of payload.replace(/-/g, "")) check = ((((check || 36) * 2) % 37) + MOD36.indexOf(ch)) % 36;
  return check === 1;
}

/** A label's payload: {kind, code, ok, what} or null when the text is not code + one char. */
function checked(upper) {
  for (const [kind, re, what] of CHECKED) {
    const m = re.exec(upper);
    if (m) return { kind, code: m[1], ok: checkOk(m[1] + m[2]), what };
  }
  return null;
}
const INTERNAL = [/^CT\d{6,10}$/, /^BOX-[A-Z0-9]{1,12}$/, /^U\d{4,6}$/];
const GS = "\x1d";

// GS1 application identifiers this parser reads: fixed length, or variable up to a maximum.
const FIXED = { "00": 18, "01": 14, "02": 14, 11: 6, 12: 6, 13: 6, 15: 6, 16: 6, 17: 6, 20: 2 };
const VARIABLE = { 10: 20, 21: 20, 22: 20, 30: 8, 37: 8, 240: 30, 241: 30, 250: 30, 400: 30 };

function checkDigitOk(digits) {
  let total = 0;
  for (let i = digits.length - 2, w = 3; i >= 0; i -= 1, w = 4 - w) total += Number(digits[i]) * w;
  return (10 - (total % 10)) % 10 === Number(digits[digits.length - 1]);
}

/** GTIN-14 for a valid GTIN-8/12/13/14, else null. */
export function gtin14(code) {
  if (!/^\d+$/.test(code) || ![8, 12, 13, 14].includes(code.length)) return null;
  return checkDigitOk(code) ? code.padStart(14, "0") : null;
}

function gs1Date(yymmdd) {
  const year = 2000 + Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  let day = Number(yymmdd.slice(4, 6));
  if (month < 1 || month > 12) return null;
  if (day === 0) day = new Date(Date.UTC(year, month, 0)).getUTCDate(); // 00: month's end
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** {gtin, lot, expires_on, serial, sscc} from a GS1 element string, or null if not read. */
export function parseElementStrings(text) {
  const out = {};
  let rest = text;
  while (rest.length) {
    if (rest[0] === GS) {
      rest = rest.slice(1);
      continue;
    }
    let ai = null;
    for (const len of [2, 3]) {
      const candidate = rest.slice(0, len);
      if (candidate in FIXED || candidate in VARIABLE) {
        ai = candidate;
        break;
      }
    }
    if (ai === null) return null;
    rest = rest.slice(ai.length);
    let value;
    if (ai in FIXED) {
      value = rest.slice(0, FIXED[ai]);
      if (value.length !== FIXED[ai]) return null;
      rest = rest.slice(FIXED[ai]);
    } else {
      const end = rest.indexOf(GS);
      value = end === -1 ? rest : rest.slice(0, end);
      if (!value || value.length > VARIABLE[ai]) return null;
      rest = end === -1 ? "" : rest.slice(end + 1);
    }
    if (ai === "01" || ai === "02") {
      if (!gtin14(value)) return null;
      out.gtin = value;
    } else if (ai === "17") {
      out.expires_on = gs1Date(value);
      if (!out.expires_on) return null;
    } else if (ai === "10") out.lot = value;
    else if (ai === "21") out.serial = value;
    else if (ai === "00") out.sscc = value;
  }
  return out;
}

function digitalLink(text) {
  const match = /^https?:\/\/[^/]+(\/.*)$/i.exec(text);
  if (!match) return null;
  const url = new URL(text);
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const out = {};
  const start = parts.indexOf("01"); // a Digital Link path is (AI/value) pairs from its key
  if (start === -1) return null;
  for (let i = start; i + 1 < parts.length; i += 2) {
    const [ai, value] = [parts[i], parts[i + 1]];
    if (ai === "01" && gtin14(value)) out.gtin = value.padStart(14, "0");
    if (ai === "10") out.lot = value;
    if (ai === "21") out.serial = value;
  }
  const expiry = url.searchParams.get("17");
  if (expiry) out.expires_on = gs1Date(expiry);
  return out.gtin ? out : null;
}

/** What a scanned text is: {kind: location|tote|internal|item|unknown, value, lot, ...}. */
export function parse(raw) {
  const text = String(raw).replace(/^[\s\x1d]+|[\s\x1d]+$/g, "");
  const upper = text.toUpperCase();
  // A code and one more character is a label's payload, even where a two-digit level would
  // also match: the same rule as app/domain/scanning.py.
  const label = checked(upper);
  if (label && label.ok) return { kind: label.kind, value: label.code, raw: text };
  if (label) {
    const message = label.kind === "tote" ? t("Tote code check failed: rescan the label") : t("Location code check failed: rescan the label");
    return { kind: "check_failed", value: label.code, raw: text, message };
  }
  if (LOCATION.test(upper)) return { kind: "location", value: upper, raw: text };
  if (TOTE.test(upper)) return { kind: "tote", value: upper, raw: text };
  if (INTERNAL.some((re) => re.test(upper))) return { kind: "internal", value: upper, raw: text };
  const plain = gtin14(text);
  if (plain) return { kind: "item", value: plain, raw: text };
  let body = text.replace(/^\][A-Za-z]\d/, ""); // AIM symbology identifier: ]C1, ]d2, ]Q3, ]E0
  const bare = gtin14(body);
  if (bare) return { kind: "item", value: bare, raw: text };
  let fields = null;
  if (/^https?:/i.test(body)) fields = digitalLink(body);
  else if (body.startsWith("(")) {
    body = body.replace(/\((\d{2,4})\)/g, (_, ai) => `${GS}${ai}`).slice(1);
    fields = parseElementStrings(body);
  } else if (/^\d{2}/.test(body)) fields = parseElementStrings(body);
  if (fields && fields.gtin) return { kind: "item", value: fields.gtin, raw: text, ...fields };
  if (fields && fields.sscc) return { kind: "internal", value: fields.sscc, raw: text };
  // Alternate barcodes are matched verbatim; anything else only the server can place.
  return { kind: "other", value: text, raw: text, unread: /^\d{16,}/.test(body) };
}

export function stageOf(task) {
  if (task.status === "done" || task.stage === "done") return "done";
  if (!task.location_confirmed) return "location";
  if (task.picked < task.qty) return "item";
  return "tote";
}

// The same sentences (message ids) as app/domain/picking.py: one translation serves both.
function progress(task) {
  const left = task.qty - task.picked;
  const values = { picked: task.picked, qty: task.qty, left };
  return left === 0 ? t("Item OK: %(picked)s of %(qty)s. Scan the tote.", values) : t("Item OK: %(picked)s of %(qty)s. %(left)s more.", values);
}

function verdict(result, ok, message, task, certain = true) {
  return { result, ok, message, task: { ...task, stage: stageOf(task) }, certain };
}

/** The verdict the server would give for `code` on `task`, judged on the handheld. */
export function judge(task, code, today = new Date().toISOString().slice(0, 10)) {
  const scan = parse(code);
  const stage = stageOf(task);
  const reject = (result, message, certain = true) => verdict(result, false, message, task, certain);
  if (scan.kind === "check_failed") return reject("check_failed", scan.message);
  const at = { location: task.location };
  if (stage === "done") return reject("task_done", t("This task is already done."));
  if (stage === "location") {
    if (scan.kind !== "location") return reject("expected_location", t("Scan the location %(location)s first.", at));
    if (scan.value !== task.location) return reject("wrong_location", t("Wrong location: go to %(location)s.", at));
    return verdict("location_ok", true, t("Location confirmed. Scan the item."), { ...task, location_confirmed: true });
  }
  if (scan.kind === "location") {
    if (scan.value === task.location) return verdict("location_ok", true, t("Location already confirmed. Scan the item."), task);
    return reject("wrong_location", t("Wrong location: go to %(location)s.", at));
  }
  if (scan.kind === "tote") {
    if (stage === "item") {
      return reject("expected_tote", t("Pick all %(qty)s first (%(picked)s so far), then scan the tote.", { qty: task.qty, picked: task.picked }));
    }
    if (task.tote && scan.value !== task.tote) return reject("wrong_tote", t("Wrong tote: this order is in tote %(tote)s.", { tote: task.tote }));
    // A tote no order uses yet might hold another order: only the server knows.
    const done = { ...task, tote: scan.value, status: "done" };
    return verdict("tote_ok", true, t("Put in tote. Task done."), done, Boolean(task.tote));
  }
  const codes = new Set(task.item_codes || [task.barcode]);
  if (!codes.has(scan.value) && !codes.has(scan.raw)) {
    return reject("wrong_item", t("Wrong item: this is not %(sku)s.", { sku: task.sku }), !scan.unread);
  }
  const expiry = scan.expires_on || (scan.lot && task.bin_lot && scan.lot !== task.bin_lot ? null : task.expires_on);
  if (expiry && expiry < today) {
    return reject("expired", t("Expired unit (lot %(lot)s, expired %(expires_on)s). Do not pick it.", { lot: scan.lot || task.bin_lot || t("unknown"), expires_on: expiry }));
  }
  if (scan.lot && task.lot && scan.lot !== task.lot) {
    return reject("wrong_lot", t("Wrong lot %(lot)s: this order needs lot %(wanted_lot)s.", { lot: scan.lot, wanted_lot: task.lot }));
  }
  if (scan.lot && !task.lot && task.bin_lot && scan.lot !== task.bin_lot) {
    return reject("wrong_lot", t("Wrong lot %(lot)s: bin %(location)s holds lot %(bin_lot)s.", { lot: scan.lot, location: task.location, bin_lot: task.bin_lot }));
  }
  if (stage === "tote") return reject("over_pick", t("Over-pick: only %(qty)s wanted. Put the extra unit back.", { qty: task.qty }));
  if (task.serial_required) {
    if (!scan.serial) return reject("serial_required", t("%(sku)s needs its serial number: scan the serial barcode.", { sku: task.sku }));
    const seen = new Set(task.serials_seen || []);
    if (seen.has(scan.serial)) return reject("duplicate_serial", t("Serial %(serial)s was already picked. Scan another unit.", { serial: scan.serial }));
    const next = { ...task, picked: task.picked + 1, serials_seen: [...seen, scan.serial] };
    return verdict("item_ok", true, progress(next), next, false); // other pickers' serials: server
  }
  const next = { ...task, picked: task.picked + 1 };
  return verdict("item_ok", true, progress(next), next);
}

/** The keypad on the handheld: `total` units in hand (see enter_quantity in the domain). */
export function judgeQuantity(task, total) {
  const stage = stageOf(task);
  const reject = (result, message) => verdict(result, false, message, task);
  if (stage === "done") return reject("task_done", t("This task is already done."));
  if (stage === "location") return reject("expected_location", t("Scan the location %(location)s first.", { location: task.location }));
  if (task.serial_required) return reject("serial_required", t("%(sku)s needs its serial number: scan the serial barcode.", { sku: task.sku }));
  if (task.picked === 0) return reject("scan_one_first", t("Scan one %(sku)s first, then key in the quantity.", { sku: task.sku }));
  if (total > task.qty) return reject("over_pick", t("Over-pick: only %(qty)s wanted. Put the extra unit back.", { qty: task.qty }));
  if (total <= task.picked) return reject("bad_quantity", t("Key in the total in hand: more than %(picked)s, at most %(qty)s.", { picked: task.picked, qty: task.qty }));
  const next = { ...task, picked: total };
  return verdict("item_ok", true, progress(next), next);
}

/** A short pick on the handheld: the task keeps what was picked; the server finds the rest. */
export function judgeShort(task, reason) {
  const stage = stageOf(task);
  if (stage === "done") return verdict("task_done", false, t("This task is already done."), task);
  if (task.picked >= task.qty) return verdict("nothing_missing", false, t("Every unit is picked: scan the tote instead."), task);
  const next = { ...task, qty: task.picked, status: task.picked ? task.status : "done" };
  const labels = { empty: t("bin empty"), damaged: t("damaged"), not_found: t("not found"), expired: t("expired") };
  const said = t("Short recorded (%(reason)s).", { reason: labels[reason] || reason.replace("_", " ") });
  const rest = task.picked ? ` ${t("Scan the tote for the %(picked)s you have.", { picked: task.picked })}` : "";
  return verdict("short_ok", true, `${said}${rest}`, next, false);
}
