// The operator console: plain DOM code, no framework. Every data call sends the master key
// in the x-functions-key header (kept in sessionStorage, never in a URL); all text from the
// service goes into the page through textContent, never as HTML.
"use strict";

const KEY_SLOT = "pss.masterKey";
const $ = (id) => document.getElementById(id);
const charts = {};
let cy = null;

function key() {
  return sessionStorage.getItem(KEY_SLOT) || "";
}

function say(message) {
  $("status").textContent = message || "";
}

class ApiError extends Error {}

function describe(status, body) {
  const err = (body && body.error) || {};
  if (status === 401) {
    return "The key was refused (401 unauthorized): the console needs the function app's master key.";
  }
  if (status === 503) {
    return `A service the app depends on is unavailable (503): ${err.message || "try again shortly"}.`;
  }
  if (status === 429) return "Too many requests (429): wait a moment and try again.";
  const code = err.code ? `, ${err.code}` : "";
  return `${err.message || "The request failed"} (HTTP ${status}${code}).`;
}

async function api(path, options = {}) {
  const headers = { "x-functions-key": key(), Accept: "application/json" };
  if (options.body) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { ...options, headers, cache: "no-store", credentials: "omit" });
  } catch {
    throw new ApiError("The service cannot be reached: is the function app running?");
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(describe(res.status, body));
  return body;
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text == null ? "–" : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function when(epoch) {
  return epoch ? new Date(epoch * 1000).toLocaleString() : "–";
}

function ms(value) {
  return value == null ? "–" : `${Number(value).toFixed(1)} ms`;
}

function figure(id, value, text) {
  const el = $(id);
  el.dataset.value = value == null ? "" : String(value);
  el.textContent = text;
}

// -- metrics ---------------------------------------------------------------
function drawChart(id, counts, label) {
  if (!window.Chart) return;
  const labels = Object.keys(counts);
  const data = labels.map((k) => counts[k]);
  if (charts[id]) charts[id].destroy();
  charts[id] = new window.Chart($(id), {
    type: "bar",
    data: { labels, datasets: [{ label, data, backgroundColor: "#0b5cad" }] },
    options: {
      animation: false,
      responsive: true,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  $(id).setAttribute("aria-label", `${label}: ${labels.map((k, i) => `${k} ${data[i]}`).join(", ") || "none"}`);
}

async function loadMetrics() {
  const m = await api(`metrics?window_minutes=${encodeURIComponent($("window").value)}`);
  const total = m.total_analyses;
  const blocked = (m.by_decision && m.by_decision.block) || 0;
  const rate = total ? blocked / total : 0;
  figure("m-total", total, String(total));
  figure("m-attacks", m.attacks, String(m.attacks));
  figure("m-block-rate", rate, `${(rate * 100).toFixed(1)}%`);
  figure("m-p50", m.latency_ms.p50, ms(m.latency_ms.p50));
  figure("m-p95", m.latency_ms.p95, ms(m.latency_ms.p95));
  drawChart("c-decision", m.by_decision || {}, "Decisions");
  drawChart("c-risk", m.by_risk_level || {}, "Risk levels");
  drawChart("c-threat", m.by_threat || {}, "Threats");
  const rules = Object.entries(m.top_rules || {}).map(([r, n]) => `${r} ${n}`).join(", ");
  $("m-breakdown").textContent = `Top rules: ${rules || "none"}${m.truncated ? " (window truncated)" : ""}.`;
}

// -- graph -----------------------------------------------------------------
const GRAPH_STYLE = [
  { selector: "node", style: { label: "data(label)", "font-size": 9, "text-valign": "bottom", "text-margin-y": 3, width: 16, height: 16 } },
  { selector: 'node[kind = "campaign"]', style: { "background-color": "#b42318", shape: "star", width: 28, height: 28 } },
  { selector: 'node[kind = "user"]', style: { "background-color": "#0b5cad", shape: "ellipse" } },
  { selector: 'node[kind = "prompt"]', style: { "background-color": "#8a5a00", shape: "round-rectangle", width: 12, height: 12 } },
  { selector: 'node[kind = "pattern"]', style: { "background-color": "#6e40c9", shape: "diamond" } },
  { selector: "node:selected", style: { "border-width": 3, "border-color": "#ffbf47" } },
  { selector: "edge", style: { width: 1, "line-color": "#8c959f", "curve-style": "haystack" } },
  { selector: 'edge[kind = "near_duplicate"]', style: { "line-color": "#b42318", "line-style": "dashed" } },
];

function shownKinds() {
  return new Set([...document.querySelectorAll('input[name="kind"]:checked')].map((i) => i.value));
}

function applyFilter() {
  if (!cy) return;
  const kinds = shownKinds();
  cy.batch(() => {
    cy.nodes().forEach((n) => n.style("display", kinds.has(n.data("kind")) ? "element" : "none"));
  });
}

async function openNode(id) {
  const out = $("node-detail");
  out.textContent = "Loading…";
  try {
    const path = id.startsWith("campaign:")
      ? `graph/campaigns/${encodeURIComponent(id.slice("campaign:".length))}`
      : `graph/nodes/${encodeURIComponent(id)}`;
    const body = await api(path);
    delete body.success;
    out.textContent = JSON.stringify(body, null, 2);
  } catch (e) {
    out.textContent = e.message;
  }
  if (cy) {
    cy.elements().unselect();
    cy.getElementById(id).select();
  }
}

async function loadGraph(campaignId) {
  const query = campaignId ? `?campaign=${encodeURIComponent(campaignId)}` : "";
  const g = await api(`console/views/graph${query}`);
  const summary = $("graph-summary");
  summary.dataset.nodes = String(g.nodes.length);
  summary.dataset.edges = String(g.edges.length);
  summary.dataset.campaign = campaignId || "";
  const scope = campaignId ? `campaign ${campaignId}` : `${g.campaigns} campaign(s)`;
  summary.textContent = `${g.nodes.length} nodes, ${g.edges.length} edges around ${scope}.`;
  const pick = $("node-pick");
  pick.replaceChildren(new Option("choose a node", ""));
  for (const n of g.nodes) pick.appendChild(new Option(`${n.kind}: ${n.label}`, n.id));
  if (!window.cytoscape) return;
  const elements = [
    ...g.nodes.map((n) => ({ group: "nodes", data: { ...n } })),
    ...g.edges.map((e, i) => ({ group: "edges", data: { id: `e${i}`, source: e.from, target: e.to, kind: e.kind } })),
  ];
  if (cy) cy.destroy();
  cy = window.cytoscape({
    container: $("cy"),
    elements,
    style: GRAPH_STYLE,
    layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 6000 },
  });
  cy.on("tap", "node", (evt) => openNode(evt.target.id()));
  window.pssGraph = cy; // for the browser tests: what was drawn
  applyFilter();
}

// -- campaigns, users, decisions --------------------------------------------
async function loadCampaigns() {
  const body = await api("graph/campaigns?limit=50");
  const rows = $("campaign-rows");
  rows.replaceChildren();
  for (const c of body.campaigns) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "secondary";
    btn.textContent = c.id.slice(0, 8);
    btn.setAttribute("aria-label", `Open campaign ${c.id}`);
    btn.addEventListener("click", async () => {
      const out = $("campaign-detail");
      try {
        const detail = await api(`graph/campaigns/${encodeURIComponent(c.id)}`);
        out.textContent = JSON.stringify(detail.campaign, null, 2);
        await loadGraph(c.id); // the graph shows this campaign alone until "All campaigns"
      } catch (e) {
        out.textContent = e.message;
      }
    });
    td.appendChild(btn);
    tr.appendChild(td);
    cell(tr, c.users);
    cell(tr, c.prompts);
    cell(tr, (c.threats || []).join(", "));
    cell(tr, when(c.last_at));
    rows.appendChild(tr);
  }
  if (!body.campaigns.length) {
    const tr = document.createElement("tr");
    cell(tr, "No campaigns yet.").colSpan = 5;
    rows.appendChild(tr);
  }
}

async function loadUsers() {
  const body = await api("console/views/users?limit=50");
  const rows = $("user-rows");
  rows.replaceChildren();
  for (const u of body.users) {
    const tr = document.createElement("tr");
    cell(tr, u.tenant === "default" ? u.user_id : `${u.user_id} (${u.tenant})`);
    cell(tr, Number(u.reputation).toFixed(2));
    cell(tr, u.violations);
    cell(tr, u.blocked ? `until ${when(u.blocked_until)}` : "no", u.blocked ? "d-block" : "");
    const td = document.createElement("td");
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "secondary";
    btn.textContent = "Unblock";
    btn.disabled = !u.blocked;
    btn.setAttribute("aria-label", `Unblock ${u.user_id} of tenant ${u.tenant}`);
    btn.addEventListener("click", async () => {
      try {
        const path = `manage/users/${encodeURIComponent(u.user_id)}/unblock?tenant=${encodeURIComponent(u.tenant)}`;
        await api(path, { method: "POST", body: "{}" });
        say("");
        await loadUsers();
      } catch (e) {
        say(e.message);
      }
    });
    td.appendChild(btn);
    tr.appendChild(td);
    rows.appendChild(tr);
  }
}

async function loadDecisions() {
  const body = await api("console/views/decisions?limit=50");
  const rows = $("decision-rows");
  rows.replaceChildren();
  for (const d of body.decisions) {
    const tr = document.createElement("tr");
    cell(tr, when(d.at));
    cell(tr, d.tenant === "default" ? d.user_id : `${d.user_id} (${d.tenant})`);
    cell(tr, d.decision, `d-${d.decision}`);
    cell(tr, `${Number(d.risk).toFixed(2)} ${d.risk_level || ""}`);
    cell(tr, (d.threats || []).join(", "));
    cell(tr, d.duration_ms == null ? "–" : Number(d.duration_ms).toFixed(1));
    rows.appendChild(tr);
  }
}

// -- try a prompt -------------------------------------------------------------
function highlight(target, text, threats) {
  const spans = threats
    .filter((t) => Array.isArray(t.span) && t.span[1] > t.span[0] && t.layer !== "decoded")
    .map((t) => ({ start: t.span[0], end: Math.min(t.span[1], text.length), rule: t.rule_id }))
    .sort((a, b) => a.start - b.start);
  const merged = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.start <= last.end) {
      last.end = Math.max(last.end, s.end);
      last.rules.push(s.rule);
    } else merged.push({ start: s.start, end: s.end, rules: [s.rule] });
  }
  target.replaceChildren();
  let at = 0;
  for (const m of merged) {
    if (m.start > at) target.appendChild(document.createTextNode(text.slice(at, m.start)));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(m.start, m.end);
    mark.title = m.rules.join(", ");
    target.appendChild(mark);
    at = m.end;
  }
  if (at < text.length) target.appendChild(document.createTextNode(text.slice(at)));
}

async function tryPrompt(event) {
  event.preventDefault();
  const text = $("try-text").value;
  const userId = $("try-user").value.trim();
  try {
    const r = await api("analyze", { method: "POST", body: JSON.stringify({ user_id: userId, prompt: text }) });
    const decision = $("try-decision");
    decision.textContent = r.decision;
    decision.className = `d-${r.decision}`;
    $("try-risk").textContent = Number(r.risk_score).toFixed(2);
    $("try-level").textContent = r.risk_level;
    $("try-explanation").textContent = r.explanation;
    highlight($("try-spans"), text, r.threats || []);
    $("try-result").hidden = false;
    say("");
    refreshAfterTry();
  } catch (e) {
    say(e.message);
  }
}

function refreshAfterTry() {
  Promise.allSettled([loadMetrics(), loadDecisions(), loadUsers()]);
}

// -- session --------------------------------------------------------------------
async function loadAll() {
  const results = await Promise.allSettled([loadMetrics(), loadGraph(), loadCampaigns(), loadUsers(), loadDecisions()]);
  const failed = results.find((r) => r.status === "rejected");
  say(failed ? failed.reason.message : "");
  performance.mark("pss-first-view"); // the browser tests read it: the first view with data
  document.body.dataset.loaded = "true";
}

function showSignedIn(on) {
  $("login").hidden = on;
  $("session").hidden = !on;
  $("nav").hidden = !on;
  $("main").hidden = !on;
}

async function signIn(candidate) {
  sessionStorage.setItem(KEY_SLOT, candidate);
  try {
    await api("console/views/users?limit=1"); // a master-key route: proves the key
  } catch (e) {
    sessionStorage.removeItem(KEY_SLOT);
    showSignedIn(false);
    say(e.message);
    $("key").focus();
    return;
  }
  showSignedIn(true);
  say("");
  await loadAll();
}

function signOut() {
  sessionStorage.removeItem(KEY_SLOT);
  showSignedIn(false);
  if (cy) cy.destroy();
  cy = null;
  say("");
  $("key").value = "";
  $("key").focus();
}

window.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    const candidate = $("key").value.trim();
    $("key").value = "";
    if (candidate) signIn(candidate);
  });
  $("signout").addEventListener("click", signOut);
  $("metrics-reload").addEventListener("click", () => loadMetrics().catch((e) => say(e.message)));
  $("window").addEventListener("change", () => loadMetrics().catch((e) => say(e.message)));
  $("graph-reload").addEventListener("click", () => loadGraph().catch((e) => say(e.message)));
  for (const box of document.querySelectorAll('input[name="kind"]')) box.addEventListener("change", applyFilter);
  $("node-pick").addEventListener("change", (event) => {
    if (event.target.value) openNode(event.target.value);
  });
  $("try-form").addEventListener("submit", tryPrompt);
  if (key()) signIn(key());
  else document.body.dataset.loaded = "true";
});
