// Label sheets for supervisors: sign in (badge + password), then each form opens its PDF in a
// new tab. The PDFs are plain links carrying the download token the /reports namespace signs
// for a supervisor or admin (the same token as the reports' downloads).

import { $, $$, flash, station } from "./station.js";
import { t } from "./i18n.js";

const st = station("/reports", {
  onSignedIn: async () => {
    await refreshToken();
  },
  onSignedOut: () => setToken(""),
});

function setToken(token) {
  for (const input of $$("input[name=token]")) input.value = token;
  for (const button of $$(".lbl-form button[type=submit]")) button.disabled = !token;
}

async function refreshToken() {
  const ack = await st.ask("download_token", {});
  if (ack.ok) {
    setToken(ack.token);
    flash(true, t("Choose a sheet; print it at full size."), { quiet: true });
  } else {
    setToken("");
  }
}

// Aisles of the chosen zone only.
const zone = $("[data-testid=locations-zone]");
const aisle = $("[data-testid=locations-aisle]");
if (zone && aisle) {
  zone.addEventListener("change", () => {
    for (const option of aisle.options) {
      option.hidden = Boolean(option.value) && Boolean(zone.value) && option.dataset.zone !== zone.value;
    }
    if (aisle.selectedOptions[0] && aisle.selectedOptions[0].hidden) aisle.value = "";
  });
}

// An unchecked box sends nothing: say "no arrows" explicitly.
const locations = $("#form-locations");
if (locations) {
  locations.addEventListener("formdata", (event) => {
    if (!event.formData.has("arrows")) event.formData.set("arrows", "0");
  });
}

const totes = $("#form-totes");
if (totes) {
  totes.addEventListener("submit", (event) => {
    const from = Number(totes.elements.from.value);
    const to = Number(totes.elements.to.value);
    if (!(from >= 1) || !(to >= from)) {
      event.preventDefault();
      flash(false, t("Tote numbers: from must be at least 1 and to must not be below from."));
    }
  });
}

setToken("");
