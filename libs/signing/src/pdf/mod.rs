//! PAdES-B-B signatures of PDF documents (ETSI EN 319 142-1): an incremental update
//! appends an invisible signature field on the first page and a signature dictionary
//! (`/SubFilter /ETSI.CAdES.detached`) whose `/Contents` holds a detached CAdES
//! signature of every byte of the file but that hole. The original bytes stay as they
//! were, so what was rendered is what is signed.
//!
//! Signing happens at once with a key file ([`sign_pdf`]), or in two steps for a key on
//! a token held by a person ([`PreparedPdf`]): prepare writes the file with its hole and
//! says the SHA-256 to sign; a signing service returns a CMS signature of that digest,
//! and finish puts it into the hole after checking that it is for this document.

mod parse;
mod verify;

use std::ops::Range;

use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};

use crate::verify::check_detached;
use crate::{Result, Signer};
use parse::{PdfFile, find, has_key, not_signable, rfind};

pub use verify::{PdfSignature, verify_pdf};

/// Bytes kept for the CMS signature in `/Contents`: room for an RSA-4096 signature, a
/// chain of four certificates and a timestamp.
pub const SIGNATURE_SPACE: usize = 16 * 1024;

/// What the signature dictionary says besides the signature: who signs, why, where, when.
#[derive(Clone, Debug)]
pub struct SignatureInfo {
    /// `/Name`: the signer (e.g. the department's director).
    pub name: String,
    /// `/Reason`: e.g. "Ký ban hành báo cáo".
    pub reason: String,
    /// `/Location`: e.g. the province.
    pub location: String,
    /// `/M`: when it is signed.
    pub time: DateTime<FixedOffset>,
}

impl SignatureInfo {
    /// Signed now (Vietnam time) by `name`, for `reason`, at `location`.
    pub fn now(name: &str, reason: &str, location: &str) -> Self {
        SignatureInfo {
            name: name.to_string(),
            reason: reason.to_string(),
            location: location.to_string(),
            time: now_in_vietnam(),
        }
    }
}

/// A PDF with its signature's hole, waiting for the signature.
#[derive(Clone, Debug)]
pub struct PreparedPdf {
    bytes: Vec<u8>,
    hole: Range<usize>,
}

/// A PDF text string: UTF-16BE with its byte-order mark, in hex (Vietnamese letters
/// survive every reader).
fn text_string(text: &str) -> String {
    let mut hex = String::from("<FEFF");
    for unit in text.encode_utf16() {
        hex.push_str(&format!("{unit:04X}"));
    }
    hex.push('>');
    hex
}

/// A PDF date: `D:YYYYMMDDHHmmSS+HH'mm'`.
fn pdf_date(time: &DateTime<FixedOffset>) -> String {
    let offset = time.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.abs() / 60;
    format!(
        "D:{}{sign}{:02}'{:02}'",
        time.format("%Y%m%d%H%M%S"),
        offset / 60,
        offset % 60
    )
}

/// `dict` (a dictionary's text) with `entry` added before its closing `>>`.
fn with_entry(dict: &str, entry: &str) -> Result<String> {
    let body = dict
        .trim_end()
        .strip_suffix(">>")
        .ok_or_else(|| not_signable("an object to update is not a dictionary"))?;
    Ok(format!("{body}{entry}>>"))
}

/// The first page's dictionary with the widget `widget` in its `/Annots`.
fn page_with_widget(page: &str, widget: u32) -> Result<String> {
    if !has_key(page, "/Annots") {
        return with_entry(page, &format!("/Annots[{widget} 0 R]"));
    }
    let at = page.find("/Annots").unwrap_or_default() + "/Annots".len();
    let rest = page[at..].trim_start();
    if !rest.starts_with('[') {
        return Err(not_signable(
            "the first page's /Annots is not an array in place",
        ));
    }
    let open = page.len() - rest.len() + 1;
    Ok(format!("{}{widget} 0 R {}", &page[..open], &page[open..]))
}

/// The signature dictionary with room for the byte range and the signature; empty
/// texts are left out.
fn signature_dictionary(info: &SignatureInfo) -> String {
    let mut texts = String::new();
    for (key, text) in [
        ("/Name", &info.name),
        ("/Reason", &info.reason),
        ("/Location", &info.location),
    ] {
        if !text.trim().is_empty() {
            texts.push_str(key);
            texts.push_str(&text_string(text.trim()));
        }
    }
    format!(
        "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange[0 {byte_range}]/Contents<{contents}>/M({date}){texts}>>",
        byte_range = " ".repeat(BYTE_RANGE_WIDTH),
        contents = "0".repeat(2 * SIGNATURE_SPACE),
        date = pdf_date(&info.time),
    )
}

/// Room for `a b c` of `/ByteRange[0 a b c]` (three numbers of up to 10 digits).
const BYTE_RANGE_WIDTH: usize = 34;

impl PreparedPdf {
    /// `pdf` with an incremental update: an invisible signature field on the first
    /// page, the catalog's `/AcroForm`, and the signature dictionary with its hole.
    /// Refuses a PDF that already has a form (signed before) or that it cannot read.
    pub fn prepare(pdf: &[u8], info: &SignatureInfo) -> Result<Self> {
        let file = PdfFile::read(pdf)?;
        let catalog = file.object(file.root)?;
        if has_key(&catalog, "/AcroForm") {
            return Err(not_signable(
                "it already has a form (is it signed already?)",
            ));
        }
        let page = file.first_page()?;
        let (signature, widget, form) = (file.size, file.size + 1, file.size + 2);
        let catalog = with_entry(&catalog, &format!("/AcroForm {form} 0 R"))?;
        let page_dict = page_with_widget(&file.object(page)?, widget)?;
        let mut bytes = pdf.to_vec();
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        let mut offsets = Vec::new();
        let objects = [
            (signature, 0, signature_dictionary(info)),
            (
                widget,
                0,
                format!(
                    "<</Type/Annot/Subtype/Widget/FT/Sig/T{}/V {signature} 0 R/F 132/Rect[0 0 0 0]/P {page} {} R>>",
                    text_string("Chữ ký số"),
                    file.generation(page)?
                ),
            ),
            (form, 0, format!("<</Fields[{widget} 0 R]/SigFlags 3>>")),
            (file.root, file.generation(file.root)?, catalog),
            (page, file.generation(page)?, page_dict),
        ];
        for (number, generation, text) in &objects {
            offsets.push((*number, *generation, bytes.len()));
            bytes.extend_from_slice(
                format!("{number} {generation} obj\n{text}\nendobj\n").as_bytes(),
            );
        }
        let signature_at = offsets[0].2;
        let xref_at = bytes.len();
        bytes.extend_from_slice(xref_table(&mut offsets).as_bytes());
        let trailer = format!(
            "trailer\n<</Size {}/Root {} {} R{}{}/Prev {}>>\nstartxref\n{xref_at}\n%%EOF\n",
            file.size + 3,
            file.root,
            file.generation(file.root)?,
            file.info.as_deref().unwrap_or_default(),
            file.id.as_deref().unwrap_or_default(),
            file.startxref
        );
        bytes.extend_from_slice(trailer.as_bytes());
        let mut prepared = PreparedPdf { bytes, hole: 0..0 };
        prepared.fill_byte_range(signature_at)?;
        Ok(prepared)
    }

    /// Finds the hole of the signature dictionary written at `at` and writes the byte
    /// range around it.
    fn fill_byte_range(&mut self, at: usize) -> Result<()> {
        let contents = find(&self.bytes[at..], b"/Contents<")
            .ok_or_else(|| not_signable("the signature dictionary has no /Contents"))?;
        let start = at + contents + "/Contents".len();
        let end = start + 2 * SIGNATURE_SPACE + 2;
        let range = format!("{} {} {}", start, end, self.bytes.len() - end);
        let slot = find(&self.bytes[at..], b"/ByteRange[0 ")
            .ok_or_else(|| not_signable("the signature dictionary has no /ByteRange"))?
            + at
            + "/ByteRange[0 ".len();
        let padded = format!("{range:<BYTE_RANGE_WIDTH$}");
        self.bytes[slot..slot + BYTE_RANGE_WIDTH].copy_from_slice(padded.as_bytes());
        self.hole = start..end;
        Ok(())
    }

    /// A prepared file read back (`baocao sign finish`): its last signature's hole must
    /// still be empty.
    pub fn from_prepared(bytes: Vec<u8>) -> Result<Self> {
        let hole = verify::last_hole(&bytes).map_err(|_| {
            not_signable("it is not a prepared file (`baocao sign prepare` writes one)")
        })?;
        let inside = &bytes[hole.start + 1..hole.end - 1];
        if inside.iter().any(|b| *b != b'0') {
            return Err(not_signable("its last signature is already filled in"));
        }
        Ok(PreparedPdf { bytes, hole })
    }

    /// The prepared file (with its empty hole).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The SHA-256 to sign: of every byte but the hole.
    pub fn digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(&self.bytes[..self.hole.start]);
        hasher.update(&self.bytes[self.hole.end..]);
        hasher.finalize().into()
    }

    /// The signed PDF: `signature` (a detached CMS signature, DER) in the hole, after
    /// checking that it signs this document's digest and that its signer's signature
    /// holds.
    pub fn finish(mut self, signature: &[u8]) -> Result<Vec<u8>> {
        check_detached(&self.digest(), signature)?;
        if signature.len() > SIGNATURE_SPACE {
            return Err(not_signable(format!(
                "the signature has {} bytes; the document has room for {SIGNATURE_SPACE}",
                signature.len()
            )));
        }
        let hex = hex::encode_upper(signature);
        let start = self.hole.start + 1;
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

/// The cross-reference table of the objects at `offsets` (number, generation, offset),
/// in runs of consecutive numbers.
fn xref_table(offsets: &mut [(u32, u16, usize)]) -> String {
    offsets.sort();
    let mut table = String::from("xref\n");
    let mut run_start = 0;
    while run_start < offsets.len() {
        let mut run_end = run_start + 1;
        while run_end < offsets.len() && offsets[run_end].0 == offsets[run_end - 1].0 + 1 {
            run_end += 1;
        }
        table.push_str(&format!(
            "{} {}\n",
            offsets[run_start].0,
            run_end - run_start
        ));
        for (_, generation, offset) in &offsets[run_start..run_end] {
            table.push_str(&format!("{offset:010} {generation:05} n\r\n"));
        }
        run_start = run_end;
    }
    table
}

/// `pdf` signed by `signer` (PAdES-B-B), as one incremental update.
pub fn sign_pdf(pdf: &[u8], signer: &Signer, info: &SignatureInfo) -> Result<Vec<u8>> {
    let prepared = PreparedPdf::prepare(pdf, info)?;
    let signature = signer.sign_cades_digest(&prepared.digest())?;
    prepared.finish(&signature)
}

/// The department's signer of the PDFs it issues (`[document.signing]`).
pub struct PdfSigner {
    pub(crate) signer: Signer,
    pub(crate) reason: String,
}

impl PdfSigner {
    /// The certificate's subject, as text.
    pub fn subject(&self) -> String {
        self.signer.subject()
    }

    /// `pdf` signed now, in the name of `name` (the certificate's subject when empty),
    /// at `location`.
    pub fn sign(&self, pdf: &[u8], name: &str, location: &str) -> Result<Vec<u8>> {
        let name = if name.trim().is_empty() {
            self.subject()
        } else {
            name.to_string()
        };
        sign_pdf(
            pdf,
            &self.signer,
            &SignatureInfo::now(&name, &self.reason, location),
        )
    }
}

/// Now, in Vietnam's time (UTC+7, no daylight saving), as a signature's `/M` says it.
fn now_in_vietnam() -> DateTime<FixedOffset> {
    let now = chrono::Utc::now();
    FixedOffset::east_opt(7 * 3600).map_or_else(|| now.fixed_offset(), |tz| now.with_timezone(&tz))
}

/// Whether `pdf` ends with a signature (its last update is a signature dictionary).
pub fn is_signed(pdf: &[u8]) -> bool {
    rfind(pdf, b"/ETSI.CAdES.detached").is_some()
}
