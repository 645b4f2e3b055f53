//! The frame of every page: title, navigation, the style sheet, the script.

use maud::{html, Markup, DOCTYPE};

/// The pages, as the navigation lists them: path and name.
pub const PAGES: &[(&str, &str)] = &[
    ("/approvals", "Approvals"),
    ("/backups", "Backups"),
    ("/health", "Health"),
    ("/integrity", "Integrity"),
    ("/audit", "Audit"),
    ("/incidents", "Incidents"),
];

/// A page at `path` titled `title`; `refresh` seconds makes it reload itself.
pub fn page(path: &str, title: &str, refresh: Option<u32>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · dbguard" }
                link rel="stylesheet" href="/static/dashboard.css";
            }
            body data-refresh-seconds=[refresh] {
                header {
                    strong { "dbguard" }
                    @for (href, name) in PAGES {
                        a href=(href) class=[(*href == path).then_some("here")] { (name) }
                    }
                }
                main {
                    h1 { (title) }
                    (content)
                }
                script src="/static/refresh.js" {}
            }
        }
    }
}

/// A message at the top of a page: good news or bad.
pub fn notice(ok: bool, text: &str) -> Markup {
    html! { div class={ "notice " (if ok { "ok" } else { "bad" }) } role="status" { (text) } }
}

/// An error that kept part of a page from being read.
pub fn trouble(what: &str, error: &anyhow::Error) -> Markup {
    notice(false, &format!("{what}: {error:#}"))
}
