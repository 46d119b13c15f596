"""The staff pages' stylesheet, sent inline and allowed by its hash in the Content-Security-Policy."""

from __future__ import annotations

import base64
import hashlib

# Kept in Python rather than a .css file so it ships with the package without
# package-data settings, and so the sign-in page needs no second, public URL.
CSS = """
:root {
  --ink: #1c2330; --muted: #5d6676; --line: #dfe3ea; --bg: #f3f5f8; --card: #fff;
  --brand: #1d3f72; --brand-ink: #fff; --accent: #2f6fd1; --accent-soft: #e8f0fc;
  --ok: #1f7a4d; --ok-soft: #e5f4ec; --warn: #9a5b00; --warn-soft: #fdf1dc;
  --bad: #b3261e; --bad-soft: #fbe9e7; --info: #5a3fa0; --info-soft: #efeafb;
  --radius: 10px;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink); font-size: 15px; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Noto Sans CJK KR",
    "Apple SD Gothic Neo", "Malgun Gothic", sans-serif;
  word-break: keep-all; overflow-wrap: anywhere;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
h2 { font-size: 1.05rem; margin: 0 0 .75rem; }
.topbar { background: var(--brand); color: var(--brand-ink); }
.topbar-inner {
  max-width: 1240px; margin: 0 auto; padding: .6rem 1rem; display: flex; flex-wrap: wrap;
  align-items: center; gap: .4rem 1.2rem;
}
.brand { font-weight: 700; color: var(--brand-ink); letter-spacing: -.01em; }
.brand::before {
  content: ""; display: inline-block; width: .7rem; height: .7rem; border-radius: 50%;
  background: #fee500; margin-right: .45rem; vertical-align: .02rem;
}
.nav { display: flex; gap: 1rem; flex: 1; }
.nav a, .who a { color: #dbe6f7; }
.nav a.here { color: #fff; font-weight: 600; border-bottom: 2px solid #fee500; }
.who { display: flex; align-items: center; gap: .8rem; font-size: .9rem; color: #dbe6f7; }
.who form { margin: 0; }
.link-button {
  background: none; border: 1px solid #7d95bd; color: #fff; border-radius: 6px;
  padding: .15rem .6rem; font: inherit; font-size: .85rem; cursor: pointer;
}
main { max-width: 1240px; margin: 0 auto; padding: 1.2rem 1rem 3rem; }
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: var(--radius);
  padding: 1rem 1.1rem; margin-bottom: 1rem; box-shadow: 0 1px 2px rgba(20, 30, 50, .04);
}
.flash { border-radius: var(--radius); padding: .7rem 1rem; margin-bottom: 1rem; }
.flash.ok { background: var(--ok-soft); color: var(--ok); border: 1px solid #b9dfc9; }
.flash.error { background: var(--bad-soft); color: var(--bad); border: 1px solid #f1c4bf; }
label { display: block; font-size: .82rem; color: var(--muted); margin-bottom: .2rem; }
input[type=text], input[type=password], input[type=date], input[type=search], select, textarea {
  width: 100%; font: inherit; font-size: .95rem; color: var(--ink); background: #fff;
  border: 1px solid #cbd2dd; border-radius: 7px; padding: .42rem .55rem; min-height: 2.3rem;
}
textarea { min-height: 4.5rem; resize: vertical; }
input:focus, select:focus, textarea:focus, button:focus-visible {
  outline: 2px solid var(--accent); outline-offset: 1px;
}
.button {
  display: inline-block; font: inherit; font-weight: 600; font-size: .92rem; cursor: pointer;
  background: var(--accent); color: #fff; border: 1px solid var(--accent); border-radius: 7px;
  padding: .45rem 1rem; min-height: 2.3rem; text-decoration: none;
}
.button:hover { text-decoration: none; filter: brightness(.95); }
.button.quiet { background: #fff; color: var(--accent); }
.button.danger { background: var(--bad); border-color: var(--bad); }
.button.good { background: var(--ok); border-color: var(--ok); }
.filter-box { padding: 0; }
.filter-box > summary {
  list-style: none; display: flex; flex-wrap: wrap; align-items: center; gap: .35rem .6rem;
  padding: .7rem 1.1rem; color: var(--ink);
}
.filter-box > summary::-webkit-details-marker { display: none; }
.filter-box > summary::before {
  content: ""; width: .45rem; height: .45rem; border: solid var(--accent); border-width: 0 2px 2px 0;
  transform: rotate(-45deg); margin-right: .1rem;
}
.filter-box[open] > summary::before { transform: rotate(45deg); }
.filter-box[open] > summary { border-bottom: 1px solid var(--line); }
.summary-title { font-weight: 600; color: var(--accent); }
.chips { display: flex; flex-wrap: wrap; gap: .3rem; }
.chip { font-size: .8rem; background: var(--accent-soft); color: var(--brand); border-radius: 999px; padding: .08rem .55rem; }
.chip.none { background: #eef1f5; color: var(--muted); }
.filter-box form { padding: .9rem 1.1rem 1rem; }
.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(165px, 1fr)); gap: .7rem; }
.filters .wide { grid-column: span 2; }
.filter-actions { display: flex; gap: .5rem; align-items: end; }
.toolbar { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .6rem; margin: .2rem 0 .7rem; }
.count { color: var(--muted); font-size: .92rem; }
.exports { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; font-size: .88rem; }
.exports span { color: var(--muted); margin-right: .2rem; }
.exports a { border: 1px solid var(--line); background: #fff; border-radius: 6px; padding: .2rem .6rem; }
table { width: 100%; border-collapse: collapse; }
.cases { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); overflow: hidden; }
.cases th {
  text-align: left; font-size: .8rem; font-weight: 600; color: var(--muted); background: #f8f9fb;
  padding: .55rem .7rem; border-bottom: 1px solid var(--line); white-space: nowrap;
}
.cases td { padding: .55rem .7rem; border-bottom: 1px solid #edf0f4; vertical-align: top; overflow-wrap: break-word; }
.cases tr:last-child td { border-bottom: 0; }
.cases tbody tr:hover { background: #f8fafd; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; }
.case-link { font-weight: 600; white-space: nowrap; }
.when-cell { white-space: nowrap; }
.muted { color: var(--muted); }
.badge {
  display: inline-block; font-size: .78rem; font-weight: 600; border-radius: 999px;
  padding: .08rem .55rem; white-space: nowrap; background: #eef1f5; color: #3b4453;
}
.status-submitted { background: var(--accent-soft); color: var(--accent); }
.status-documents_requested { background: var(--warn-soft); color: var(--warn); }
.status-documents_received { background: var(--info-soft); color: var(--info); }
.status-approved { background: var(--ok-soft); color: var(--ok); }
.status-rejected { background: var(--bad-soft); color: var(--bad); }
.status-paid { background: #e0f2f1; color: #00695c; }
.flag { background: #fff4e5; color: #8a4b00; margin: 0 .2rem .2rem 0; }
.pager { display: flex; flex-wrap: wrap; justify-content: center; align-items: center; gap: .4rem; margin-top: 1rem; }
.pager a, .pager span.off {
  border: 1px solid var(--line); background: #fff; border-radius: 6px; padding: .3rem .7rem; font-size: .9rem;
}
.pager span.off { color: #a7aebb; }
.pager .where { color: var(--muted); font-size: .9rem; padding: 0 .4rem; }
.detail-head { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem .8rem; margin-bottom: 1rem; }
.detail-head h1 { margin: 0; font-size: 1.6rem; letter-spacing: .02em; }
.detail-grid { display: grid; grid-template-columns: minmax(0, 1.45fr) minmax(0, 1fr); gap: 1rem; align-items: start; }
dl.facts { display: grid; grid-template-columns: minmax(8rem, max-content) 1fr; gap: .35rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); font-size: .88rem; }
dl.facts dd { margin: 0; }
.description { white-space: pre-wrap; margin: 0; }
.evidence { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: .7rem; }
.evidence figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; background: #fafbfc; }
.evidence img { display: block; width: 100%; height: 130px; object-fit: cover; background: #eef1f5; }
.evidence figcaption { padding: .35rem .5rem; font-size: .82rem; }
.file-icon { height: 130px; display: flex; align-items: center; justify-content: center; font-weight: 700; color: var(--muted); background: #eef1f5; }
.action { border-top: 1px solid var(--line); padding-top: .9rem; margin-top: .9rem; }
.action:first-of-type { border-top: 0; padding-top: 0; margin-top: 0; }
.action h3 { font-size: .95rem; margin: 0 0 .5rem; }
.action .field { margin-bottom: .6rem; }
fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
legend { font-size: .82rem; color: var(--muted); margin-bottom: .3rem; padding: 0; }
.checks label { display: flex; gap: .45rem; align-items: flex-start; font-size: .9rem; color: var(--ink); margin-bottom: .3rem; }
.checks input { margin-top: .25rem; }
.hint { font-size: .8rem; color: var(--muted); margin-top: .2rem; }
.audit { font-size: .9rem; }
.audit li { list-style: none; border-left: 3px solid var(--line); padding: .1rem 0 .6rem .8rem; }
.audit ol { margin: 0; padding: 0; }
.audit .when { color: var(--muted); font-size: .82rem; }
.audit .what { font-weight: 600; }
.answers td, .answers th { border-bottom: 1px solid #edf0f4; padding: .3rem .4rem; font-size: .88rem; text-align: left; vertical-align: top; }
.answers th { color: var(--muted); font-weight: 500; width: 40%; }
details summary { cursor: pointer; color: var(--accent); font-size: .9rem; }
.signin { max-width: 420px; margin: 8vh auto; }
.signin .field { margin-bottom: .9rem; }
.signin h1 { margin-bottom: .3rem; }
.signin .lead { color: var(--muted); font-size: .92rem; margin-top: 0; }
.as-of { margin: -.4rem 0 .8rem; font-size: .85rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 1rem; margin-bottom: 1rem; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: .9rem 1.1rem; }
.tile .label { color: var(--muted); font-size: .85rem; }
.tile .value { font-size: 1.55rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.tile .sub { color: var(--muted); font-size: .85rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 1rem; align-items: start; }
.chart h2 { margin-bottom: .2rem; }
.chart .note { color: var(--muted); font-size: .82rem; margin: 0 0 .6rem; }
.bars { margin: .3rem 0 0; padding: 0; }
.bar-row { display: grid; grid-template-columns: minmax(7rem, 38%) 1fr 8.5rem; gap: .6rem; align-items: center; padding: .28rem 0; }
.bar-label { font-size: .88rem; }
.bar-track { display: block; width: 100%; height: 14px; }
.bar-track .track { fill: #edf1f6; }
.bar-track .fill { fill: var(--accent); }
.bar-value { font-size: .86rem; text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.bars.wide-values .bar-row { grid-template-columns: minmax(7rem, 32%) 1fr 12rem; }
.bar-value .share { color: var(--muted); margin-left: .35rem; }
.columns { width: 100%; height: auto; display: block; }
.columns.narrow { display: none; }
.range { display: flex; flex-wrap: wrap; align-items: end; gap: .5rem; margin: 0 0 .6rem; }
.range > div { flex: 0 1 10rem; }
.columns .col { fill: var(--accent); }
.columns .col:hover { fill: var(--brand); }
.columns .axis { stroke: #c7ced9; stroke-width: 1; }
.columns .grid { stroke: #edf0f4; stroke-width: 1; }
.columns text { fill: var(--muted); font-size: 11px; font-family: inherit; }
.day-table { margin-top: .6rem; font-size: .86rem; }
.day-table table { max-width: 360px; }
.day-table td, .day-table th { padding: .2rem .5rem; border-bottom: 1px solid #edf0f4; text-align: left; }
.chat-message {
  background: #eef3fb; border: 1px solid #d5e0f2; border-radius: 12px 12px 12px 3px;
  padding: .7rem .9rem; margin: .4rem 0 .8rem; max-width: 34rem;
}
.chat-message p { margin: 0; white-space: pre-wrap; }
.chat-buttons { display: flex; flex-wrap: wrap; gap: .4rem; margin-top: .6rem; }
.chat-button {
  flex: 1; text-align: center; background: #fff; border: 1px solid #c4d2ea; border-radius: 8px;
  padding: .3rem .6rem; font-size: .88rem; color: var(--accent);
}
.confirm h2 { margin-top: 1rem; margin-bottom: .2rem; }
.confirm-actions { display: flex; flex-wrap: wrap; gap: .6rem; margin-top: .6rem; }
.undelivered {
  background: var(--warn-soft); border: 1px solid #f0d6a8; border-radius: 8px;
  padding: .8rem .9rem; margin-bottom: 1rem;
}
.undelivered h3 { font-size: .95rem; margin: 0 0 .3rem; color: var(--warn); }
.undelivered .chat-message { background: #fff; }
.export-status p:first-child { margin-top: 0; }
.export-status p:last-child { margin-bottom: 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 900px) {
  .detail-grid { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 600px) {
  body { font-size: 14.5px; }
  main { padding: .8rem .6rem 2rem; }
  .topbar-inner { padding: .55rem .7rem; }
  .nav { order: 3; flex-basis: 100%; }
  .who { margin-left: auto; }
  .filters { grid-template-columns: 1fr 1fr; gap: .55rem; }
  .filters .wide { grid-column: 1 / -1; }
  .filter-actions { grid-column: 1 / -1; }
  .filter-actions .button { flex: 1; text-align: center; }
  .cases { background: none; border: 0; }
  .cases thead { display: none; }
  .cases tr {
    display: block; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius);
    margin-bottom: .6rem; padding: .4rem .2rem;
  }
  .cases td { display: flex; justify-content: space-between; gap: 1rem; border: 0; padding: .22rem .7rem; text-align: right; }
  .cases td::before { content: attr(data-label); color: var(--muted); font-size: .82rem; text-align: left; white-space: nowrap; }
  .cases td.num { white-space: normal; }
  dl.facts { grid-template-columns: minmax(6.5rem, 38%) minmax(0, 1fr); gap: .3rem .8rem; }
  .charts { grid-template-columns: minmax(0, 1fr); }
  .tiles { grid-template-columns: 1fr 1fr; gap: .6rem; }
  .tile { padding: .7rem .8rem; }
  .tile .value { font-size: 1.3rem; }
  .bar-row, .bars.wide-values .bar-row { grid-template-columns: minmax(0, 1fr) auto; }
  .bar-row .bar-track { grid-column: 1 / -1; grid-row: 2; }
  .evidence { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .columns.wide { display: none; }
  .columns.narrow { display: block; }
  .columns text { font-size: 12px; }
  .range > div { flex: 1 1 8rem; }
}
""".strip()

CSS_HASH = "sha256-" + base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
