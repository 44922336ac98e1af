// A scale plugged into a Chrome kiosk, read over WebHID (USB HID point-of-sale scales, usage
// page 0x8D) or Web Serial (NCI, MT-SICS, Toledo). The page only moves bytes: every report or
// chunk goes to the server as-is, and the server's parsers and stability rule decide what it
// weighs. On-demand serial protocols are polled with the weigh command the server names.
//
// Chrome asks once per device (a tap on "Connect the scale"); afterwards getDevices() and
// getPorts() return it without a prompt, so a kiosk reconnects on its own after a reload.

import { t } from "./i18n.js";

const HID_SCALE_USAGE_PAGE = 0x8d;

export function browserScaleReader(settings, { onBytes, onState }) {
  let device = null; // HIDDevice
  let port = null; // SerialPort
  let reader = null;
  let poll = null;

  function state(text) {
    if (onState) onState(text);
  }

  function supported() {
    return settings.transport === "hid" ? "hid" in navigator : "serial" in navigator;
  }

  async function openHid(found) {
    device = found;
    if (!device.opened) await device.open();
    device.addEventListener("inputreport", (event) => {
      const data = new Uint8Array(event.data.buffer, event.data.byteOffset, event.data.byteLength);
      onBytes([event.reportId, ...data]);
    });
    state(t("Scale connected: %(name)s.", { name: device.productName || t("USB scale") }));
  }

  async function openSerial(found) {
    port = found;
    await port.open({
      baudRate: settings.baudrate,
      dataBits: settings.bytesize,
      parity: settings.parity,
      stopBits: settings.stopbits,
    });
    state(t("Scale connected on the serial port (%(protocol)s, %(baud)s baud).", { protocol: settings.protocol, baud: settings.baudrate }));
    if (!settings.continuous && settings.weigh_command.length) {
      poll = setInterval(() => write(settings.weigh_command), settings.poll_ms);
    }
    pump();
  }

  async function pump() {
    while (port && port.readable) {
      reader = port.readable.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value && value.length) onBytes(Array.from(value));
        }
      } catch (err) {
        state(t("Scale connection lost: %(why)s. Reconnect it.", { why: err && err.message ? err.message : err }));
      } finally {
        reader.releaseLock();
        reader = null;
      }
    }
    if (poll) clearInterval(poll);
    poll = null;
  }

  async function write(bytes) {
    if (!port || !port.writable) return;
    const writer = port.writable.getWriter();
    try {
      await writer.write(new Uint8Array(bytes));
    } finally {
      writer.releaseLock();
    }
  }

  /** Ask Chrome for the device (needs a tap: a user gesture). */
  async function connect() {
    if (!supported()) {
      state(t("This browser cannot read a %(kind)s scale: use Chrome.", { kind: settings.transport.toUpperCase() }));
      return;
    }
    try {
      if (settings.transport === "hid") {
        const [found] = await navigator.hid.requestDevice({
          filters: [{ usagePage: HID_SCALE_USAGE_PAGE }],
        });
        if (found) await openHid(found);
        else state(t("No scale chosen."));
      } else {
        await openSerial(await navigator.serial.requestPort());
      }
    } catch (err) {
      state(t("Could not connect the scale: %(why)s", { why: err && err.message ? err.message : err }));
    }
  }

  /** Devices this kiosk was allowed before: connect without a prompt. */
  async function reconnect() {
    if (!supported()) {
      state(t("This browser cannot read a %(kind)s scale: use Chrome.", { kind: settings.transport.toUpperCase() }));
      return;
    }
    try {
      if (settings.transport === "hid") {
        const [found] = await navigator.hid.getDevices();
        if (found) await openHid(found);
        else state(t("Tap “Connect the scale” and choose it (once per kiosk)."));
      } else {
        const [found] = await navigator.serial.getPorts();
        if (found) await openSerial(found);
        else state(t("Tap “Connect the scale” and choose its port (once per kiosk)."));
      }
    } catch (err) {
      state(t("Could not reconnect the scale: %(why)s", { why: err && err.message ? err.message : err }));
    }
  }

  return { connect, reconnect, write, supported };
}
