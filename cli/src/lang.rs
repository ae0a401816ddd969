//! The language refusals are printed in: Vietnamese when `--lang vi`, `BAOCAO_LANG=vi` or
//! a Vietnamese `LANG` (`vi_VN.UTF-8`) says so, else English. Operators' logs stay in
//! English either way.

use std::sync::OnceLock;

static VIETNAMESE: OnceLock<bool> = OnceLock::new();

/// Whether `--lang` (or, without it, `LANG`) asks for Vietnamese.
fn asks_for_vietnamese(flag: Option<&str>, lang: Option<&str>) -> bool {
    match flag {
        Some(flag) => flag.trim().to_lowercase().starts_with("vi"),
        None => lang.is_some_and(|l| l.trim().to_lowercase().starts_with("vi")),
    }
}

/// Decides the language once, at start.
pub fn choose(flag: Option<&str>) {
    let lang = std::env::var("LANG").ok();
    let _ = VIETNAMESE.set(asks_for_vietnamese(flag, lang.as_deref()));
}

/// Whether refusals are printed in Vietnamese.
pub fn vietnamese() -> bool {
    VIETNAMESE.get().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_lang() {
        assert!(asks_for_vietnamese(None, Some("vi_VN.UTF-8")));
        assert!(!asks_for_vietnamese(None, Some("C.UTF-8")));
        assert!(!asks_for_vietnamese(None, None));
        assert!(asks_for_vietnamese(Some("vi"), Some("C.UTF-8")));
        assert!(!asks_for_vietnamese(Some("en"), Some("vi_VN.UTF-8")));
    }
}
