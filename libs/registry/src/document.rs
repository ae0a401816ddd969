//! Who issues the Chairman's report and how it is addressed and signed: the elements of
//! an administrative document under Decree 30/2020/NĐ-CP, from a campaign file's optional
//! `[document]` table, each missing element derived from the register (the province, the
//! consolidating unit), because the department and its head change with the state's
//! reorganisations.

use serde::Deserialize;

use crate::{AdminUnit, ReportingUnit};

/// The elements of the report as an administrative document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentSettings {
    /// The body the issuer belongs to (first line of the issuing body), e.g.
    /// `UBND TỈNH THANH HÓA`; empty for a body with no parent line.
    pub parent_body: String,
    /// The issuing body, e.g. `SỞ KHOA HỌC VÀ CÔNG NGHỆ`.
    pub issuing_body: String,
    /// The issuing body as running text writes it, e.g. `Sở Khoa học và Công nghệ`.
    pub issuer_name: String,
    /// The symbol after the number, e.g. `BC-SKHCN` (`Số: …/BC-SKHCN`); the clerk of
    /// records writes the number when the document is issued.
    pub symbol: String,
    /// The place in the date line, e.g. `Thanh Hóa` (`Thanh Hóa, ngày … tháng … năm …`).
    pub place: String,
    /// Whom the report is addressed to (`Kính gửi:`), one or more.
    pub recipients: Vec<String>,
    /// The head's title, e.g. `GIÁM ĐỐC`.
    pub signer_title: String,
    /// When a deputy signs on the head's behalf, the deputy's title (`PHÓ GIÁM ĐỐC`):
    /// the block then reads `KT. GIÁM ĐỐC` / `PHÓ GIÁM ĐỐC`. Empty: the head signs.
    pub signer_deputy_title: String,
    /// The signer's full name; empty leaves the line for it blank.
    pub signer_name: String,
    /// `Nơi nhận:` lines, without the leading dash and the closing punctuation.
    pub copies_to: Vec<String>,
}

/// The `[document]` table as written: every element optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentFile {
    parent_body: Option<String>,
    issuing_body: Option<String>,
    issuer_name: Option<String>,
    symbol: Option<String>,
    place: Option<String>,
    recipients: Option<Vec<String>>,
    signer_title: Option<String>,
    signer_deputy_title: Option<String>,
    signer_name: Option<String>,
    copies_to: Option<Vec<String>>,
}

/// `Tỉnh Thanh Hóa` → `tỉnh Thanh Hóa` (the type in lower case inside a sentence).
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}", first.to_lowercase(), chars.as_str()),
        None => String::new(),
    }
}

impl DocumentFile {
    /// The settings: what the file says, the rest derived from the campaign's province
    /// (`None` for a national campaign) and its consolidating unit.
    pub(crate) fn resolve(
        self,
        province: Option<&AdminUnit>,
        consolidating: &ReportingUnit,
    ) -> DocumentSettings {
        let short = consolidating
            .code
            .rsplit('.')
            .next()
            .unwrap_or(&consolidating.code)
            .to_string();
        let body_name = province
            .and_then(|p| consolidating.name.strip_suffix(&format!(" {}", p.name)))
            .unwrap_or(&consolidating.name);
        let (parent_body, place, recipient, signer_title) = match province {
            Some(p) => (
                format!("UBND {}", p.name_with_type.to_uppercase()),
                p.name.clone(),
                format!(
                    "Chủ tịch Ủy ban nhân dân {}",
                    lower_first(&p.name_with_type)
                ),
                "GIÁM ĐỐC",
            ),
            None => (
                String::new(),
                "Hà Nội".to_string(),
                "Thủ tướng Chính phủ".to_string(),
                "BỘ TRƯỞNG",
            ),
        };
        DocumentSettings {
            parent_body: self.parent_body.unwrap_or(parent_body),
            issuing_body: self
                .issuing_body
                .unwrap_or_else(|| body_name.to_uppercase()),
            issuer_name: self.issuer_name.unwrap_or_else(|| body_name.to_string()),
            symbol: self.symbol.unwrap_or_else(|| format!("BC-{short}")),
            place: self.place.unwrap_or(place),
            recipients: self.recipients.unwrap_or_else(|| vec![recipient]),
            signer_title: self
                .signer_title
                .unwrap_or_else(|| signer_title.to_string()),
            signer_deputy_title: self.signer_deputy_title.unwrap_or_default(),
            signer_name: self.signer_name.unwrap_or_default(),
            copies_to: self
                .copies_to
                .unwrap_or_else(|| vec!["Như trên".to_string(), format!("Lưu: VT, {short}")]),
        }
    }
}

/// Why settings cannot make a document (the `[document]` key and the reason), if so.
pub(crate) fn document_problem(settings: &DocumentSettings) -> Option<String> {
    let required = [
        ("issuing_body", &settings.issuing_body),
        ("issuer_name", &settings.issuer_name),
        ("symbol", &settings.symbol),
        ("place", &settings.place),
        ("signer_title", &settings.signer_title),
    ];
    if let Some((key, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
        return Some(format!("document.{key} must not be empty"));
    }
    if settings.recipients.iter().all(|r| r.trim().is_empty()) {
        return Some("document.recipients must name at least one recipient".to_string());
    }
    None
}
