//! The page frame shared by every page.

use maud::{html, Markup, DOCTYPE};

const STYLE: &str = r#"
:root { --ink:#1b1f24; --muted:#5b6470; --line:#d7dce2; --ok:#146c2e; --warn:#8a5300; --bad:#a4161a; --none:#5b6470; --accent:#0b4f8a; }
* { box-sizing: border-box; }
body { font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); margin: 0; line-height: 1.45; }
header { background: var(--accent); color: #fff; padding: .75rem 1rem; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
main { padding: 1rem; max-width: 80rem; margin: 0 auto; }
h1 { font-size: 1.35rem; margin: .2rem 0 1rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin-bottom: 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
select, button, input { font: inherit; padding: .35rem .5rem; }
button { background: var(--accent); color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .4rem .55rem; border-bottom: 1px solid var(--line); text-align: left; }
th { background: #f3f5f7; font-weight: 600; font-size: .9rem; }
td.num, th.num { text-align: right; white-space: nowrap; }
.status { font-weight: 600; white-space: nowrap; }
.status::before { content: "●"; margin-right: .3rem; }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); } .none { color: var(--none); }
.muted { color: var(--muted); }
tr.unranked td { color: var(--muted); }
@media print { header, form.filters { display: none; } main { max-width: none; padding: 0; } }
"#;

pub fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · dvc-monitor" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header { a href="/" { "dvc-monitor · Theo dõi dịch vụ công trực tuyến toàn trình" } }
                main { (body) }
            }
        }
    }
}
