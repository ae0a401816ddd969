//! Reading an `application/x-www-form-urlencoded` body strictly: a name or value whose
//! bytes are not UTF-8 is refused, naming the field, instead of being turned into U+FFFD
//! and stored (a browser never sends such bytes for a page declared UTF-8; a client that
//! does has a bug the person should hear of, not a silently altered report).

/// A form that cannot be read: which field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadForm {
    /// The field's name as far as it can be read.
    pub field: String,
}

impl BadForm {
    /// The refusal in Vietnamese, for the page.
    pub fn message(&self) -> String {
        format!(
            "Trường «{}» chứa byte không phải văn bản UTF-8 hợp lệ nên không được nhận. Hãy nhập lại nội dung trường này từ bàn phím (không dán từ tệp mã hóa khác) rồi gửi lại.",
            self.field
        )
    }
}

/// `+` and `%XX` decoded; any other byte kept as it is.
fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

/// The (name, value) pairs of a form body, in order.
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, BadForm> {
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            let name = percent_decode(name);
            let bad = || BadForm {
                field: String::from_utf8_lossy(&name).into_owned(),
            };
            let name_text = String::from_utf8(name.clone()).map_err(|_| bad())?;
            let value = String::from_utf8(percent_decode(value)).map_err(|_| bad())?;
            Ok((name_text, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_form_reads_as_sent() {
        let body = b"username=38.stttt&password=H%C3%A0m+R%E1%BB%93ng+2026%21&empty=&flag";
        assert_eq!(
            parse_form(body),
            Ok(vec![
                ("username".into(), "38.stttt".into()),
                ("password".into(), "Hàm Rồng 2026!".into()),
                ("empty".into(), String::new()),
                ("flag".into(), String::new()),
            ])
        );
        // A stray % is kept as a percent sign, as browsers read it.
        assert_eq!(
            parse_form(b"a=50%&b=%zz%4"),
            Ok(vec![
                ("a".into(), "50%".into()),
                ("b".into(), "%zz%4".into())
            ])
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_naming_the_field() {
        let refused = parse_form(b"unit_code=14755&notes=caf%E9&x=1");
        assert_eq!(
            refused,
            Err(BadForm {
                field: "notes".into()
            })
        );
        assert!(parse_form(b"notes=\xff\xfe").is_err(), "raw bytes too");
        let message = BadForm {
            field: "notes".into(),
        }
        .message();
        assert!(
            message.contains("«notes»") && message.contains("UTF-8"),
            "{message}"
        );
    }
}
