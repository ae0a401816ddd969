//! Which passwords a person may choose: at least 10 characters, not the user name, not one
//! of the 30,000 most common passwords (shipped in `data/common-passwords.txt`), and not
//! built only of what Vietnamese passwords are usually built of — names (`nguyenvanan`,
//! `Thanh Hóa`), a common word with digits (`matkhau@123`, `password2026`), digits alone
//! (`123456`, dates, phone numbers), keyboard runs and repeats. Every rule looks at the
//! password folded to its skeleton: Unicode NFC, lower case, diacritics dropped (đ → d).

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The shortest password a person may choose.
pub const MIN_CHOSEN_LEN: usize = 10;

/// Most common passwords first, one per line (zxcvbn's list; see data/README.md).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// Family, middle and given names, and the words passwords are made of in Vietnam, folded
/// (no diacritics). A password made only of up to four of these, with digits or signs
/// around them, is refused.
const VIETNAMESE_SYLLABLES: &[&str] = &[
    // Family names.
    "nguyen",
    "tran",
    "le",
    "pham",
    "hoang",
    "huynh",
    "phan",
    "vu",
    "vo",
    "dang",
    "bui",
    "do",
    "ho",
    "ngo",
    "duong",
    "ly",
    "dinh",
    "trinh",
    "lam",
    "mai",
    "cao",
    "luu",
    "ta",
    "chu",
    "quach",
    "truong",
    "luong",
    "doan",
    "vuong",
    "kieu",
    "thai",
    "ton",
    // Middle names.
    "van",
    "thi",
    "duc",
    "huu",
    "ngoc",
    "quoc",
    "xuan",
    "kim",
    "thu",
    "hong",
    "bich",
    "gia",
    "trung",
    "cong",
    "ba",
    "dieu",
    "khac",
    "nhu",
    "tien",
    // Given names.
    "an",
    "anh",
    "bao",
    "binh",
    "chau",
    "chi",
    "cuong",
    "dat",
    "diep",
    "dung",
    "duy",
    "giang",
    "ha",
    "hai",
    "han",
    "hanh",
    "hao",
    "hau",
    "hien",
    "hieu",
    "hoa",
    "hoai",
    "hue",
    "hung",
    "huong",
    "huy",
    "khanh",
    "khoa",
    "khoi",
    "kien",
    "lan",
    "lien",
    "linh",
    "loan",
    "long",
    "luan",
    "manh",
    "minh",
    "my",
    "nam",
    "nga",
    "ngan",
    "nghia",
    "nguyet",
    "nhan",
    "nhi",
    "nhung",
    "oanh",
    "phat",
    "phong",
    "phuc",
    "phuong",
    "quan",
    "quang",
    "quy",
    "quynh",
    "son",
    "tai",
    "tam",
    "tan",
    "thang",
    "thanh",
    "thao",
    "thinh",
    "tho",
    "thuan",
    "thuy",
    "tin",
    "toan",
    "trang",
    "tri",
    "trong",
    "truc",
    "tu",
    "tuan",
    "tung",
    "tuyet",
    "uyen",
    "viet",
    "vinh",
    "vy",
    "yen",
    "lanh",
    "thien",
    "sang",
    "nhat",
    "hang",
    "dao",
    // Words: love, me, you, password, places, the system itself.
    "yeu",
    "em",
    "toi",
    "ban",
    "mat",
    "khau",
    "matkhau",
    "vietnam",
    "hanoi",
    "saigon",
    "hochiminh",
    "danang",
    "haiphong",
    "baocao",
    "camera",
    "admin",
    "quantri",
    "xa",
    "huyen",
    "tinh",
    "so",
    "ubnd",
    "congan",
    "truonghoc",
    "iloveyou",
    "love",
    "pass",
];

/// The lines of the common-passwords list, as a set.
fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect()
    })
}

/// `text` as Unicode NFC: the one form passwords are hashed and compared in, so a
/// Vietnamese password typed on a keyboard that composes differently (NFD) still matches.
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// `text` folded: lower case, diacritics dropped, đ → d, only letters and digits kept.
pub fn skeleton(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Whether `letters` is one to four of the Vietnamese syllables, run together.
fn only_names(letters: &str) -> bool {
    fn split(rest: &str, left: usize) -> bool {
        if rest.is_empty() {
            return true;
        }
        left > 0
            && VIETNAMESE_SYLLABLES.iter().any(|s| {
                rest.strip_prefix(s)
                    .is_some_and(|tail| split(tail, left - 1))
            })
    }
    !letters.is_empty() && split(letters, 4)
}

/// Whether `text` repeats a shorter piece (`abcabcabc`) or runs along the alphabet, the
/// digits or a keyboard row.
fn is_run_or_repeat(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let repeats = (1..=chars.len() / 2).any(|unit| {
        chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit])
    });
    const RUNS: [&str; 4] = [
        "abcdefghijklmnopqrstuvwxyz",
        "01234567890123456789",
        "qwertyuiopasdfghjklzxcvbnm",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    ];
    let runs = RUNS.iter().any(|run| {
        let reversed: String = run.chars().rev().collect();
        run.contains(text) || reversed.contains(text)
    });
    repeats || runs
}

/// Why a chosen password is refused, in Vietnamese, if it is.
pub fn weakness(chosen: &str, username: &str) -> Option<&'static str> {
    let chosen = nfc(chosen);
    if chosen.chars().count() < MIN_CHOSEN_LEN {
        return Some("Mật khẩu phải có ít nhất 10 ký tự.");
    }
    let folded = skeleton(&chosen);
    let user = skeleton(username);
    if folded == user || (user.len() >= 4 && folded.contains(&user)) {
        return Some("Mật khẩu không được chứa tên đăng nhập.");
    }
    let mut distinct: Vec<char> = chosen.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Some("Mật khẩu quá đơn giản: cần ít nhất 4 ký tự khác nhau.");
    }
    let letters: String = folded.chars().filter(|c| !c.is_ascii_digit()).collect();
    if letters.is_empty() {
        return Some("Mật khẩu không được chỉ gồm chữ số (ngày sinh, số điện thoại, 123456…).");
    }
    let common = common_passwords();
    let trimmed = folded.trim_matches(|c: char| c.is_ascii_digit());
    if common.contains(folded.as_str())
        || common.contains(trimmed)
        || common.contains(letters.as_str())
    {
        return Some(
            "Mật khẩu này nằm trong danh sách mật khẩu hay bị dùng và dễ bị dò ra. Hãy chọn mật khẩu khác.",
        );
    }
    if only_names(&letters) {
        return Some(
            "Mật khẩu không được chỉ gồm tên người, địa danh hoặc từ thông dụng kèm chữ số. Hãy ghép thêm từ khác.",
        );
    }
    if is_run_or_repeat(&folded) || is_run_or_repeat(&letters) {
        return Some("Mật khẩu không được là dãy ký tự liền nhau trên bàn phím hoặc lặp lại.");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_the_most_common_passwords() {
        let common = common_passwords();
        assert!(common.len() >= 10_000, "{}", common.len());
        for p in ["123456", "password", "qwerty", "iloveyou", "dragon"] {
            assert!(common.contains(p), "{p}");
        }
    }

    #[test]
    fn weak_choices_are_named() {
        for weak in [
            "ngắn",
            "aaaaaaaaaaaa",
            "1234567890",
            "0912345678",
            "20101990xx",
            "password2026",
            "Password@123",
            "matkhau@123",
            "Mật khẩu 123",
            "nguyenvanan1990",
            "Nguyễn Văn An 01/02/1990",
            "Thanh Hóa 2026!",
            "hoa123456789",
            "anhyeuem123",
            "abcdefghijk",
            "qwertyuiop12",
            "abc123abc123",
            "iloveyou2026",
        ] {
            assert!(weakness(weak, "u").is_some(), "{weak} should be refused");
        }
        assert!(weakness("canbo.xa.01", "CANBO.XA.01").is_some());
        assert!(
            weakness("xa14755-bao-cao!", "14755").is_some(),
            "contains the user name"
        );
    }

    #[test]
    fn good_choices_pass() {
        for good in [
            "Hàm Rồng 2026!",
            "38.STTTT.hoa",
            "cây bàng già trước cổng",
            "Sở KH&CN 2026!",
            "Phòng VH-TT 380",
            "correct horse battery staple",
        ] {
            assert_eq!(weakness(good, "38.sttttt.hoa"), None, "{good}");
        }
    }

    #[test]
    fn composed_and_decomposed_are_one_password() {
        let composed = "Hàm Rồng 2026!";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        assert_eq!(nfc(&decomposed), composed);
        assert_eq!(skeleton(&decomposed), "hamrong2026");
        assert_eq!(skeleton("Đồng Đăng"), "dongdang");
    }
}
