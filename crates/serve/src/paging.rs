//! Long lists are shown a page at a time.

use maud::{html, Markup};
use serde::Deserialize;

/// Rows per page unless asked otherwise, and the most a page may hold.
pub const PER_PAGE: (usize, usize) = (50, 500);

/// The highest page number the API accepts.
pub const MAX_PAGE: usize = 1_000_000;

/// `?page=N&per_page=M` (from 1; M at most 500).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Paging {
    /// The page, from 1.
    pub page: Option<usize>,
    /// Rows on a page.
    pub per_page: Option<usize>,
}

impl Paging {
    /// The page number, from 1.
    pub fn number(&self) -> usize {
        self.page.unwrap_or(1).max(1)
    }

    /// Rows on a page.
    pub fn size(&self) -> usize {
        self.per_page.unwrap_or(PER_PAGE.0).clamp(1, PER_PAGE.1)
    }

    /// Why the API refuses these values (the pages clamp them instead).
    pub fn invalid(&self) -> Option<String> {
        match (self.page, self.per_page) {
            (Some(page), _) if !(1..=MAX_PAGE).contains(&page) => {
                Some(format!("page must be from 1 to {MAX_PAGE}"))
            }
            (_, Some(size)) if !(1..=PER_PAGE.1).contains(&size) => {
                Some(format!("per_page must be from 1 to {}", PER_PAGE.1))
            }
            _ => None,
        }
    }

    /// The rows of this page out of `rows`.
    pub fn slice<'r, T>(&self, rows: &'r [T]) -> &'r [T] {
        let start = (self.number() - 1).saturating_mul(self.size()).min(rows.len());
        let end = start.saturating_add(self.size()).min(rows.len());
        &rows[start..end]
    }

    /// Links to the page before and after, out of `total` rows; `query`
    /// is the rest of the page's query (already encoded), kept in the links.
    pub fn links(&self, path: &str, query: &str, total: usize) -> Markup {
        let pages = total.div_ceil(self.size()).max(1);
        let number = self.number();
        let href = |n: usize| format!("{path}?{query}page={n}&per_page={}", self.size());
        html! {
            div class="pager" {
                @if number > 1 { a href=(href(number - 1)) rel="prev" { "← newer" } }
                span class="muted" { "page " (number) " of " (pages) " (" (total) " in all)" }
                @if number < pages { " " a href=(href(number + 1)) rel="next" { "older →" } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_clamped_to_the_rows() {
        let rows: Vec<u32> = (0..120).collect();
        let p = |page, per_page| Paging {
            page: Some(page),
            per_page: Some(per_page),
        };
        assert_eq!(p(1, 50).slice(&rows), &rows[..50]);
        assert_eq!(p(3, 50).slice(&rows), &rows[100..]);
        assert!(p(9, 50).slice(&rows).is_empty());
        assert_eq!(
            p(0, 0).slice(&rows),
            &rows[..1],
            "page 0 is page 1; at least one row"
        );
        assert_eq!(p(1, 10_000).slice(&rows).len(), 120);
        assert_eq!(Paging::default().size(), 50);
        assert!(p(0, 10).invalid().is_some() && p(1, 501).invalid().is_some() && p(1, 0).invalid().is_some());
        assert!(p(1, 500).invalid().is_none() && Paging::default().invalid().is_none());
    }
}
