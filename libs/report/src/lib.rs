//! The Chairman's report for a milestone and the urging letters, in Vietnamese, as pure
//! functions from a rollup's tables to files: the model ([`ReportData`], no I/O) and its
//! renderers (Markdown, HTML, XLSX, DOCX and a PDF typeset here, with its charts). The
//! rollup writes the files; the portal and the CLI never compile this crate to read
//! figures (that is `baocao_catalog`).

mod chart;
mod compare;
mod document;
mod docx;
mod error;
mod fonts;
mod letter;
mod model;
mod pdf;
mod text;
mod xlsx;

pub use compare::EarlierCampaign;
pub use document::PROPOSALS_PLACEHOLDER;
pub use docx::{DOCX_REPORT, docx_bytes};
pub use error::{Error, Result};
pub use model::{AreaTier, Figures, LateUnit, ReportData};
pub use pdf::{PDF_REPORT, pdf_bytes};
pub use text::{markdown_escape, render_html, render_markdown};
pub use xlsx::{NUMBER_FORMAT, PERCENT_FORMAT, XLSX_REPORT, xlsx_bytes};

/// The report in Markdown.
pub const MARKDOWN_REPORT: &str = "bao-cao.md";
/// The report in HTML.
pub const HTML_REPORT: &str = "bao-cao.html";
/// The folder of the urging letters, beside the report.
pub const LETTERS_DIR: &str = "cong-van-don-doc";

/// A rendered file: its name relative to the milestone's folder, and its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderedFile {
    /// `bao-cao.pdf`, `cong-van-don-doc/380.docx`…
    pub name: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// Renders a report file's bytes.
type Renderer = fn(&ReportData) -> Result<Vec<u8>>;

/// The report as `bao-cao.md`, `.html`, `.xlsx`, `.docx` and `.pdf`.
pub fn report_files(data: &ReportData) -> Result<Vec<RenderedFile>> {
    let renderers: [(&str, Renderer); 5] = [
        (MARKDOWN_REPORT, |d| Ok(render_markdown(d).into_bytes())),
        (HTML_REPORT, |d| Ok(render_html(d).into_bytes())),
        (XLSX_REPORT, xlsx_bytes),
        (DOCX_REPORT, docx_bytes),
        (PDF_REPORT, pdf_bytes),
    ];
    let mut files = Vec::new();
    for (name, render) in renderers {
        let started = std::time::Instant::now();
        let bytes = render(data)?;
        tracing::debug!(
            file = name,
            bytes = bytes.len(),
            ms = started.elapsed().as_millis() as u64,
            "report rendered"
        );
        files.push(RenderedFile {
            name: name.to_string(),
            bytes,
        });
    }
    Ok(files)
}

/// The urging letters (*công văn đôn đốc*), one per area with units to urge — to its
/// People's Committee (a district's, or a commune's where the register has none), and
/// one to the provincial units — as DOCX and PDF under `cong-van-don-doc/`, named by
/// the area's code (`tinh` for the provincial units).
pub fn urging_letter_files(data: &ReportData) -> Result<Vec<RenderedFile>> {
    let mut files = Vec::new();
    for letter in letter::urging_letters(data) {
        let stem = if letter.area_code.is_empty() {
            "tinh".to_string()
        } else {
            letter.area_code.clone()
        };
        for (extension, bytes) in [
            ("docx", docx::document_docx(&letter.document)?),
            ("pdf", pdf::document_pdf(&letter.document)?),
        ] {
            files.push(RenderedFile {
                name: format!("{LETTERS_DIR}/{stem}.{extension}"),
                bytes,
            });
        }
    }
    Ok(files)
}
