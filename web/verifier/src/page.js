// The page's glue: inputs (file picker, drag-and-drop, key field, URL fragment) to `verifyInput`,
// and its result to the DOM. Everything the bank sent is written with textContent only (never as
// HTML), and nothing is fetched: the page's Content-Security-Policy forbids every request, and the
// URL fragment (#bundle=...&key=...&epoch=...&user=...) is never sent anywhere by a browser.

import { verifyInput } from "./verify.js";
import { parsePinnedKey } from "./signature.js";

const $ = (id) => document.getElementById(id);
const state = { bundle: null, bundleName: "" };

function fromBase64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function setText(id, value) {
  $(id).textContent = value;
}

function showKeyId() {
  const text = $("key").value;
  if (!text.trim()) {
    setText("key-id", "");
    return;
  }
  try {
    setText("key-id", `key id ${parsePinnedKey(text).keyId}: compare it with the one the bank publishes`);
  } catch (exc) {
    setText("key-id", exc.message);
  }
}

function fillList(id, lines, cls) {
  const list = $(id);
  list.replaceChildren(...lines.map((line) => {
    const li = document.createElement("li");
    li.className = cls;
    li.textContent = line;
    return li;
  }));
}

function fillFacts(result) {
  const f = result.facts;
  const rows = result.verdict === "valid" ? [
    ["Your balances", Object.values(f.balances_display).join(", ")],
    ["User id", f.user_id],
    ["Epoch", f.epoch],
    ["Cut-off (UTC)", f.as_of],
    ["Balance definition", f.balance_definition ? f.balance_definition.name : "(none named)"],
    ["Bank key id", f.signer_key_id],
    ["Transparency log", f.log_size === undefined ? "(a bare proof: not bound to the log)" : `entry ${f.epoch_sequence} of ${f.log_size}, root ${f.log_root}`],
  ] : [];
  $("facts").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    dd.id = `fact-${k.toLowerCase().replace(/[^a-z]+/g, "-")}`;
    return [dt, dd];
  }));
}

function render(result) {
  const out = $("verdict");
  out.dataset.verdict = result.verdict;
  out.dataset.reason = result.reason ?? "";
  out.className = result.verdict;
  out.textContent = `${result.verdict.toUpperCase()}: ${result.message}${result.reason ? ` [${result.reason}]` : ""}`;
  fillList("checks", result.checked, "ok");
  fillList("caveats", result.caveats, "note");
  $("caveats-box").hidden = result.caveats.length === 0;
  setText("checks-title", result.verdict === "valid" ? "Checks passed" : "Checks passed before the verdict");
  fillFacts(result);
  $("result").hidden = false;
}

function run() {
  if (!state.bundle) return;
  const epoch = $("epoch").value.trim() || null;
  const user = $("user").value.trim() || null;
  render(verifyInput(state.bundle, $("key").value, { expectedEpoch: epoch, expectedUser: user }));
}

async function readFile(file) {
  state.bundle = new Uint8Array(await file.arrayBuffer());
  state.bundleName = file.name;
  setText("bundle-name", `${file.name} (${state.bundle.length} bytes)`);
  run();
}

function fromFragment() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  // A link with a bundle states all of key, epoch and user: what it leaves out is not expected
  // (an earlier link's epoch must not linger). A link without a bundle only pre-fills fields.
  for (const name of ["key", "epoch", "user"]) {
    if (params.has(name) || params.has("bundle")) $(name).value = params.get(name) ?? "";
  }
  showKeyId();
  if (params.has("bundle")) {
    try {
      state.bundle = fromBase64url(params.get("bundle"));
      setText("bundle-name", `from the link (${state.bundle.length} bytes)`);
    } catch {
      render({ verdict: "inconclusive", reason: "UNREADABLE", message: "the bundle in the link is not base64url", checked: [], facts: {}, caveats: [] });
      return;
    }
  }
  run();
}

function main() {
  $("bundle-file").addEventListener("change", (e) => e.target.files[0] && readFile(e.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files[0]) readFile(e.dataTransfer.files[0]);
  });
  $("key").addEventListener("input", showKeyId);
  $("verify").addEventListener("click", run);
  window.addEventListener("hashchange", fromFragment);
  fromFragment();
}

main();
