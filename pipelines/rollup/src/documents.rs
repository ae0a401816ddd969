//! Writing the Chairman's report and the urging letters beside a milestone's summaries
//! (the rendering is `baocao_report`'s, without I/O; this is the I/O).

use baocao_report::{RenderedFile, ReportData, report_files, urging_letter_files};
use baocao_store::Store;

use crate::Result;

/// Puts `files` into `dir` (each whole); returns where they are.
async fn put_all(dir: &Store, files: Vec<RenderedFile>) -> Result<Vec<String>> {
    let mut written = Vec::with_capacity(files.len());
    for file in files {
        dir.put(&file.name, file.bytes).await?;
        written.push(dir.join(&file.name).to_string());
    }
    Ok(written)
}

/// Writes `bao-cao.md`, `.html`, `.xlsx`, `.docx` and `.pdf` into `dir` (a directory
/// or a bucket prefix, each file whole); returns where they are.
pub async fn write_reports(data: &ReportData, dir: &Store) -> Result<Vec<String>> {
    if data.document.signer_name.trim().is_empty() {
        tracing::warn!(
            campaign = %data.campaign_name,
            "the Chairman's report has no signer's name: set signer_name in the campaign file's [document] table"
        );
    }
    put_all(dir, report_files(data)?).await
}

/// Writes the urging letters under `cong-van-don-doc/` of `dir`; returns where they are.
pub async fn write_urging_letters(data: &ReportData, dir: &Store) -> Result<Vec<String>> {
    put_all(dir, urging_letter_files(data)?).await
}
