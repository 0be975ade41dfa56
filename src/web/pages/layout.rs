//! The page frame shared by every page: Vietnamese (`lang="vi"`), readable from 360 px wide (tables
//! scroll inside their own box, never the page), visible keyboard focus, colours of WCAG 2.1 AA
//! contrast, and a print stylesheet for an A4 report.

use maud::{html, Markup, PreEscaped, Render, DOCTYPE};

const STYLE: &str = r#"
:root { --ink:#1b1f24; --muted:#525a65; --line:#d7dce2; --ok:#146c2e; --warn:#8a4b00; --bad:#a4161a; --none:#525a65; --accent:#0b4f8a; --head:#eef1f4; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif; font-size: 1rem; color: var(--ink); background: #fff; margin: 0; line-height: 1.45; }
h1, h2, p, .links, .summary { overflow-wrap: break-word; }
a { color: #0a4a85; }
header.site { background: var(--accent); color: #fff; padding: .6rem 1rem; display: flex; flex-wrap: wrap; gap: .3rem 1.25rem; align-items: baseline; }
header.site a { color: #fff; text-decoration: none; }
header.site a.brand { font-weight: 700; }
header.site nav a { text-decoration: underline; text-underline-offset: 3px; }
header.site nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; color: var(--accent); padding: .5rem; z-index: 10; }
.skip:focus { left: .5rem; }
main { padding: 1rem; max-width: 90rem; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: .2rem 0 .6rem; line-height: 1.3; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
p { margin: .4rem 0 .8rem; max-width: 70rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem .9rem; align-items: end; margin: .5rem 0 .8rem; padding: .7rem; background: var(--head); border-radius: 6px; }
form.filters label { display: flex; flex-direction: column; gap: .15rem; font-size: .85rem; color: var(--ink); font-weight: 600; max-width: 100%; }
select, button, input { font: inherit; font-size: 1rem; padding: .4rem .5rem; border: 1px solid #6b7480; border-radius: 4px; background: #fff; color: var(--ink); max-width: 100%; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; font-weight: 600; padding: .4rem 1rem; }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; box-shadow: 0 0 0 5px #1b1f24; }
.scroll { overflow-x: auto; max-width: 100%; margin-bottom: .5rem; }
.scroll:focus-visible { outline-offset: 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-size: .9rem; color: var(--muted); padding: 0 0 .35rem; caption-side: top; }
th, td { padding: .45rem .55rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: middle; }
thead th { background: var(--head); font-weight: 600; font-size: .88rem; line-height: 1.25; vertical-align: bottom; border-bottom: 2px solid #aab2bc; }
tbody tr:nth-child(even) { background: #f8f9fa; }
tbody th { font-weight: 400; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
.unit { min-width: 11rem; }
.unit a { font-weight: 600; }
.unit .code { display: block; }
.code { color: var(--muted); font-size: .85rem; white-space: nowrap; }
.status { font-weight: 600; white-space: nowrap; }
.status::before { content: "●"; margin-right: .3rem; }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); } .none { color: var(--none); }
.up { color: var(--ok); } .down { color: var(--bad); }
.muted { color: var(--muted); }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.links { display: flex; flex-wrap: wrap; gap: .3rem 1rem; margin: .3rem 0 .8rem; font-size: .95rem; }
.summary { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; margin: .2rem 0 .6rem; }
.summary .status { font-weight: 600; }
svg.spark { display: block; }
svg.spark rect { fill: #f3f5f7; }
svg.spark line.target { stroke: #8a4b00; stroke-width: 1; stroke-dasharray: 3 2; }
svg.spark path { fill: none; stroke: #0b4f8a; stroke-width: 1.6; stroke-linejoin: round; }
svg.spark circle { fill: #0b4f8a; }
svg.chart { width: 100%; max-width: 46rem; height: auto; display: block; }
.headline { display: flex; flex-wrap: wrap; gap: .5rem 2rem; align-items: baseline; padding: .75rem 1rem; border: 1px solid var(--line); border-left: 6px solid var(--accent); border-radius: 6px; margin: .5rem 0 1rem; }
.headline .big { font-size: 2rem; font-weight: 700; }
.note { font-size: .92rem; color: var(--muted); }
.print-only { display: none; }
table.scorecard td.sc { text-align: center; white-space: nowrap; border-left: 1px solid #fff; }
table.scorecard td.sc .rate { font-weight: 700; }
table.scorecard td.sc .word { font-size: .8rem; }
td.ok-cell { background: #dcf1e1; } td.warn-cell { background: #fdefd2; } td.bad-cell { background: #fadcdc; } td.none-cell { background: #eef0f2; }
tfoot th, tfoot td { border-top: 2px solid #aab2bc; background: var(--head); }
.digest { display: grid; grid-template-columns: minmax(0, 1fr); gap: .5rem 1.5rem; align-items: start; }
@media (min-width: 64rem) { .digest { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); } }
.digest h2 { font-size: 1rem; margin: .6rem 0 .3rem; }
section.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .5rem; margin-bottom: .6rem; }
section.figures .figure { border: 1px solid var(--line); border-left: 5px solid var(--accent); border-radius: 4px; padding: .35rem .6rem; }
section.figures .big { font-size: 1.5rem; font-weight: 700; }
table.compact th, table.compact td { padding: .25rem .4rem; }
ul.bands { margin: .2rem 0 .5rem; padding-left: 1.2rem; }
.provisional { background: #fff6e0; border-left: 4px solid var(--warn); padding: .45rem .75rem; border-radius: 4px; }
.history { display: grid; grid-template-columns: minmax(0, 1fr); gap: .5rem 1.5rem; align-items: start; }
@media (min-width: 100rem) { .history { grid-template-columns: minmax(0, 5fr) minmax(0, 7fr); } }
details { margin: .8rem 0; }
summary { cursor: pointer; padding: .3rem 0; }
h3.inline { display: inline; }
.phone-only { display: none; }
table.dossiers td.name { min-width: 10rem; }
table.dossiers .code { display: block; }
ul.steps { list-style: none; margin: 0; padding: 0; min-width: 11rem; }
ul.steps .status { white-space: normal; }
th[aria-sort] a { text-decoration-thickness: 2px; }
@media (max-width: 40rem) {
  /* On a phone a league row is rank, unit, rate and status: the other columns are in the exports. */
  .opt { display: none; }
  .phone-only { display: inline; }
  p.phone-only { display: block; }
  main { padding: .6rem; }
  h1 { font-size: 1.2rem; }
  th, td { padding: .4rem .4rem; }
  .unit { min-width: 7.5rem; }
  thead th.num { min-width: 4.6rem; }
  thead th.num:first-child { min-width: 0; }
  .unit .code { white-space: normal; }
  td.num .phone-only, .phone-only .status { white-space: normal; }
  /* The unit's name stays in view while the figures scroll sideways. */
  tbody th.unit { position: sticky; left: 0; z-index: 1; background: #fff; box-shadow: 1px 0 0 var(--line); }
  tbody tr:nth-child(even) th.unit { background: #f8f9fa; }
}
@media print {
  @page { size: A4 landscape; margin: 12mm 10mm; }
  body { font-size: 9.5pt; color: #000; }
  header.site, form.filters, .links, .no-print, .skip { display: none !important; }
  .print-only { display: block; }
  /* A unit's chart beside its table, so that a year of each indicator takes a third of a page. */
  .history { grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 0 5mm; }
  svg.chart { max-width: none; }
  details > summary { display: none; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 14pt; } h2 { font-size: 12pt; break-after: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 9pt; }
  thead { display: table-header-group; }
  tr, .headline, svg { break-inside: avoid; page-break-inside: avoid; }
  th, td { padding: 2pt 4pt; }
  thead th { background: #e6e6e6 !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tbody tr:nth-child(even) { background: none; }
  a { color: #000; text-decoration: none; }
  .unit { min-width: 14em; }
  /* The meeting report: one A4 landscape sheet, two columns. */
  .digest { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); font-size: 8.5pt; gap: 0 6mm; }
  .digest table { font-size: 8pt; }
  section.figures .big { font-size: 15pt; }
  .status, .ok, .warn, .bad { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

pub fn layout(title: &str, body: impl Render) -> Markup {
    layout_styled(title, "", body)
}

/// `layout` written into `out`: the frame is rendered around a mark and the body written in its place,
/// so that a large page goes into a buffer the caller keeps (`web::page_buffers`).
pub fn layout_to(out: &mut String, title: &str, body: impl Render) {
    const MARK: &str = "\u{0}noi-dung\u{0}";
    let frame = layout(title, maud::PreEscaped(MARK)).into_string();
    let (head, tail) = frame.split_once(MARK).expect("the frame holds its mark");
    out.push_str(head);
    body.render_to(out);
    out.push_str(tail);
}

/// The layout with rules of its own for one page, after the shared ones.
pub fn layout_styled(title: &str, page_style: &str, body: impl Render) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · dvc-monitor" }
                style { (maud::PreEscaped(STYLE)) (maud::PreEscaped(page_style)) }
            }
            body {
                a.skip href="#noi-dung" { "Bỏ qua, đến nội dung chính" }
                header.site {
                    a.brand href="/" { "dvc-monitor · Dịch vụ công trực tuyến toàn trình" }
                    nav aria-label="Trang" {
                        a href="/" { "Bảng xếp hạng" }
                        a href="/?kind=province" { "Các tỉnh, thành phố" }
                        a href="/scorecard" { "Bảng điểm" }
                        a href="/alerts" { "Cảnh báo" }
                        a href="/runbook" { "Hướng dẫn xử lý" }
                    }
                }
                main id="noi-dung" { (body) }
            }
        }
    }
}

/// A table's horizontal scroll box: focusable so that keyboard users can scroll it, and named after
/// the table's caption for screen readers.
pub fn scroll_box(label_id: &str, table: Markup) -> Markup {
    let mut out = String::with_capacity(table.0.len() + 80);
    scroll_box_to(&mut out, label_id, table);
    PreEscaped(out)
}

/// `scroll_box`, written at the end of `out` with the table written straight into it.
pub fn scroll_box_to(out: &mut String, label_id: &str, table: impl Render) {
    out.push_str(r#"<div class="scroll" role="region" aria-labelledby=""#);
    label_id.render_to(out);
    out.push_str(r#"" tabindex="0">"#);
    table.render_to(out);
    out.push_str("</div>");
}

/// A part of a page written by a function straight where it is spliced, without a buffer of its own
/// (the league page's thousands of rows, written once into the page).
pub struct Inline<F>(pub F);

impl<F: Fn(&mut String)> Render for Inline<F> {
    fn render_to(&self, out: &mut String) {
        (self.0)(out)
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A query string from the given pairs, leaving out empty values.
pub fn query_string(pairs: &[(&str, Option<&str>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| format!("{k}={}", encode(v))))
        .collect();
    parts.join("&")
}
