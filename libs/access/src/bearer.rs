//! Reading the bearer token of a call, the same way at every front door: exactly one
//! `authorization` header of the form `Bearer <token>` (two headers are refused, since a
//! proxy that checks the other one would disagree about who is calling).

/// Why a call's `authorization` headers name no token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BearerError {
    /// No `authorization` header.
    Missing,
    /// More than one `authorization` header.
    Repeated,
    /// The header is not `Bearer <token>` in visible ASCII.
    Malformed,
}

impl std::fmt::Display for BearerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BearerError::Missing => "missing `authorization: Bearer <token>` metadata",
            BearerError::Repeated => "more than one `authorization` header; send exactly one",
            BearerError::Malformed => "authorization metadata must be `Bearer <token>`",
        })
    }
}

/// The token of the one `authorization` header among `values` (each header's raw bytes).
pub fn bearer_token<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<&'a str, BearerError> {
    let mut values = values.into_iter();
    let value = values.next().ok_or(BearerError::Missing)?;
    if values.next().is_some() {
        return Err(BearerError::Repeated);
    }
    let text = std::str::from_utf8(value).map_err(|_| BearerError::Malformed)?;
    let token = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or(BearerError::Malformed)?;
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BearerError::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_bearer_header_names_the_token() {
        assert_eq!(bearer_token([&b"Bearer bcv1_abc"[..]]), Ok("bcv1_abc"));
        assert_eq!(bearer_token([&b"bearer  bcv1_abc "[..]]), Ok("bcv1_abc"));
        assert_eq!(bearer_token(Vec::<&[u8]>::new()), Err(BearerError::Missing));
        assert_eq!(
            bearer_token([&b"Bearer a"[..], &b"Bearer b"[..]]),
            Err(BearerError::Repeated)
        );
        for bad in [
            &b"Basic dXNlcg=="[..],
            b"Bearer ",
            b"Bearer a b",
            b"Bearer \xff",
        ] {
            assert_eq!(bearer_token([bad]), Err(BearerError::Malformed), "{bad:?}");
        }
    }
}
