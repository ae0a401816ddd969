//! Paging of a long list: which rows a page shows, and the links to the pages before and
//! after it that keep the list's filters.

use std::collections::HashMap;
use std::ops::Range;

/// `path?…`: `query` without the `dropped` keys (notices, the page), its other fields in
/// key order, then `key` set to `value` — a link that keeps a list's filters.
pub fn link_with(
    path: &str,
    query: &HashMap<String, String>,
    dropped: &[&str],
    (key, value): (&str, &str),
) -> String {
    let mut fields: Vec<(&String, &String)> = query
        .iter()
        .filter(|(k, _)| k.as_str() != key && !dropped.contains(&k.as_str()))
        .collect();
    fields.sort();
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        out.append_pair(k, v);
    }
    out.append_pair(key, value);
    format!("{path}?{}", out.finish())
}

/// A page of a list of `total` rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pager {
    /// The page shown, from 1.
    pub page: usize,
    /// How many pages there are (at least 1).
    pub pages: usize,
    /// The first row shown, from 1 (0 when there is none).
    pub first: usize,
    /// The last row shown.
    pub last: usize,
    /// The link to the page before, if any.
    pub previous: Option<String>,
    /// The link to the page after, if any.
    pub next: Option<String>,
}

impl Pager {
    /// The page `query` asks for (`page=`, a number; past the end shows the last page),
    /// its links to `path` with the query's other fields kept.
    pub fn new(query: &HashMap<String, String>, total: usize, size: usize, path: &str) -> Self {
        Self::keyed(query, (total, size), path, "page")
    }

    /// [`Pager::new`] with the page in the query's field `key` (a page with two lists
    /// pages each by a field of its own).
    pub fn keyed(
        query: &HashMap<String, String>,
        (total, size): (usize, usize),
        path: &str,
        key: &str,
    ) -> Self {
        let size = size.max(1);
        let pages = total.div_ceil(size).max(1);
        let page = query
            .get(key)
            .and_then(|p| p.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, pages);
        let link = |to: usize| link_with(path, query, &["done", "user"], (key, &to.to_string()));
        let first = if total == 0 { 0 } else { (page - 1) * size + 1 };
        Pager {
            page,
            pages,
            first,
            last: (page * size).min(total),
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }

    /// The indices of the rows shown.
    pub fn range(&self) -> Range<usize> {
        self.first.saturating_sub(1)..self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pages_keep_their_filters_and_stay_within_the_list() {
        let pager = Pager::new(
            &query(&[("q", "Lê Hoa"), ("page", "2")]),
            120,
            50,
            "/accounts",
        );
        assert_eq!(
            (pager.page, pager.pages, pager.first, pager.last),
            (2, 3, 51, 100)
        );
        assert_eq!(pager.range(), 50..100);
        assert_eq!(
            pager.previous.as_deref(),
            Some("/accounts?q=L%C3%AA+Hoa&page=1")
        );
        assert_eq!(
            pager.next.as_deref(),
            Some("/accounts?q=L%C3%AA+Hoa&page=3")
        );
        let past = Pager::new(&query(&[("page", "99")]), 120, 50, "/accounts");
        assert_eq!((past.page, past.range()), (3, 100..120));
        let junk = Pager::new(&query(&[("page", "-1")]), 0, 50, "/accounts");
        assert_eq!((junk.page, junk.pages, junk.range()), (1, 1, 0..0));
        assert!(junk.previous.is_none() && junk.next.is_none());
    }
}
