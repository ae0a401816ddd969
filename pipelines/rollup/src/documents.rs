//! Writing the Chairman's report and the urging letters beside a milestone's summaries
//! (the rendering is `baocao_report`'s, without I/O; this is the I/O).

use baocao_report::{RenderedFile, ReportData, report_files, urging_letter_files};
use baocao_signing::PdfSigner;
use baocao_store::Store;

use crate::{Error, Result};

/// Signs every PDF of `files` (PAdES-B-B) in the name of the campaign's signer, at the
/// document's place.
fn sign_pdfs(files: &mut [RenderedFile], signer: &PdfSigner, data: &ReportData) -> Result<()> {
    for file in files.iter_mut().filter(|f| f.name.ends_with(".pdf")) {
        file.bytes = signer
            .sign(
                &file.bytes,
                &data.document.signer_name,
                &data.document.place,
            )
            .map_err(|source| Error::Signing {
                file: file.name.clone(),
                source,
            })?;
    }
    Ok(())
}

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
/// or a bucket prefix, each file whole), the PDF signed by `signer` when there is one;
/// returns where they are.
pub async fn write_reports(
    data: &ReportData,
    dir: &Store,
    signer: Option<&PdfSigner>,
) -> Result<Vec<String>> {
    if data.document.signer_name.trim().is_empty() {
        tracing::warn!(
            campaign = %data.campaign_name,
            "the Chairman's report has no signer's name: set signer_name in the campaign file's [document] table"
        );
    }
    let mut files = report_files(data)?;
    if let Some(signer) = signer {
        sign_pdfs(&mut files, signer, data)?;
    }
    put_all(dir, files).await
}

/// Writes the urging letters under `cong-van-don-doc/` of `dir`, each PDF signed by
/// `signer` when there is one; returns where they are.
pub async fn write_urging_letters(
    data: &ReportData,
    dir: &Store,
    signer: Option<&PdfSigner>,
) -> Result<Vec<String>> {
    let mut files = urging_letter_files(data)?;
    if let Some(signer) = signer {
        sign_pdfs(&mut files, signer, data)?;
    }
    put_all(dir, files).await
}
