//! What a gateway checks before a request body is decoded: the bearer token (so an
//! unauthenticated sender never costs a decode), the body size (read at most
//! `max_report_bytes` and a frame header), and the number of camera systems, counted
//! on the wire (so a megabyte of empty systems is refused before prost allocates a
//! struct for each). The authenticated token rides on to the service in the request's
//! extensions.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use baocao_proto::v1::reporting_service_server::ReportingServiceServer;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use tonic::body::Body;
use tonic::codegen::{Service, http};
use tonic::server::NamedService;
use tonic::{Code, Status};

use crate::service::ReportingGateway;
use crate::status::{field_error, permission_denied, unauthenticated};
use baocao_access::{TokenRecord, TokenRole, TokenStore, bearer_token};

/// The gRPC path of `SubmitReport`, the one method whose body can be large.
const SUBMIT_PATH: &str = "/baocao.v1.ReportingService/SubmitReport";

/// Bytes a `SubmitReportRequest` adds around its report: the gRPC frame header (5), the
/// field tag (1) and the length varint (at most 10), rounded up.
pub const FRAMING_BYTES: usize = 32;

/// The bounds checked on the wire.
#[derive(Clone, Copy, Debug)]
pub struct WireLimits {
    /// Largest encoded report.
    pub max_report_bytes: usize,
    /// Most camera systems in one report.
    pub max_systems: usize,
}

/// The reporting service behind its guard.
#[derive(Clone)]
pub struct Guarded {
    inner: ReportingServiceServer<ReportingGateway>,
    tokens: Arc<TokenStore>,
    limits: WireLimits,
}

impl Guarded {
    /// Guards `inner` with `tokens` and `limits`.
    pub fn new(
        inner: ReportingServiceServer<ReportingGateway>,
        tokens: Arc<TokenStore>,
        limits: WireLimits,
    ) -> Self {
        Guarded {
            inner,
            tokens,
            limits,
        }
    }
}

impl NamedService for Guarded {
    const NAME: &'static str = <ReportingServiceServer<ReportingGateway> as NamedService>::NAME;
}

/// The unit token of the request's one `authorization` header. Two headers are refused:
/// a proxy that checks the other one would disagree about who is calling.
pub fn authenticate(headers: &http::HeaderMap, tokens: &TokenStore) -> Result<TokenRecord, Status> {
    let values = headers
        .get_all("authorization")
        .iter()
        .map(|v| v.as_bytes());
    let token = bearer_token(values).map_err(|err| unauthenticated(&err.to_string()))?;
    let record = tokens
        .authenticate(token)
        .ok_or_else(|| unauthenticated("unknown or revoked token"))?;
    if record.role != TokenRole::Unit {
        return Err(permission_denied(
            "an analyst token cannot use the reporting service; use the SQL endpoint".into(),
        ));
    }
    Ok(record)
}

type Answer = http::Response<Body>;

impl Service<http::Request<Body>> for Guarded {
    type Response = Answer;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Answer, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<http::Request<Body>>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The ready clone serves this call; a fresh clone waits for the next one.
        let mut inner = self.inner.clone();
        std::mem::swap(&mut self.inner, &mut inner);
        let tokens = self.tokens.clone();
        let limits = self.limits;
        Box::pin(async move {
            match authenticate(request.headers(), &tokens) {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                }
                Err(status) => return Ok(status.into_http()),
            }
            if request.uri().path() == SUBMIT_PATH {
                request = match checked_body(request, limits).await {
                    Ok(request) => request,
                    Err(status) => return Ok(status.into_http()),
                };
            }
            inner.call(request).await
        })
    }
}

/// Reads a submission's body (at most the limit) and checks its report on the wire.
async fn checked_body(
    request: http::Request<Body>,
    limits: WireLimits,
) -> Result<http::Request<Body>, Status> {
    let (parts, body) = request.into_parts();
    let limit = limits.max_report_bytes.saturating_add(FRAMING_BYTES);
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(field_error(
                Code::InvalidArgument,
                "report",
                &format!(
                    "is larger than {} bytes; at most {} bytes allowed",
                    limit, limits.max_report_bytes
                ),
            ));
        }
        Err(err) => {
            return Err(Status::cancelled(format!(
                "request body not received: {err}"
            )));
        }
    };
    check_frame(&bytes, limits)?;
    Ok(http::Request::from_parts(
        parts,
        Body::new(Full::new(bytes).map_err(|never| match never {})),
    ))
}

/// Checks the one uncompressed gRPC frame of a `SubmitReportRequest`. Anything this does
/// not understand (a compressed frame, malformed protobuf) is left to the decoder, which
/// refuses it with its own error.
pub fn check_frame(frame: &[u8], limits: WireLimits) -> Result<(), Status> {
    let Some((&0, rest)) = frame.split_first() else {
        return Ok(());
    };
    let Some(message) = rest.get(4..) else {
        return Ok(());
    };
    let shape = report_shape(message);
    if shape.report_bytes > limits.max_report_bytes {
        return Err(field_error(
            Code::InvalidArgument,
            "report",
            &format!(
                "is {} bytes; at most {} bytes allowed",
                shape.report_bytes, limits.max_report_bytes
            ),
        ));
    }
    if shape.systems > limits.max_systems {
        return Err(field_error(
            Code::InvalidArgument,
            "report.systems",
            &format!(
                "lists {} systems; at most {} per report",
                shape.systems, limits.max_systems
            ),
        ));
    }
    Ok(())
}

/// What the wire says of a `SubmitReportRequest`'s report (field 1; protobuf merges
/// repeated occurrences, so all are counted).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReportShape {
    /// Bytes of the report field(s).
    pub report_bytes: usize,
    /// `systems` entries (field 6 of `StatusReport`).
    pub systems: usize,
}

/// Measures the report in an encoded `SubmitReportRequest`, stopping at the first byte
/// that is not well-formed protobuf (the decoder reports that).
pub fn report_shape(message: &[u8]) -> ReportShape {
    let mut shape = ReportShape::default();
    for (field, value) in length_delimited_fields(message) {
        if field == 1 {
            shape.report_bytes = shape.report_bytes.saturating_add(value.len());
            shape.systems += length_delimited_fields(value)
                .filter(|(inner, _)| *inner == 6)
                .count();
        }
    }
    shape
}

/// The length-delimited fields of a protobuf message, as (field number, bytes); other
/// wire types are skipped.
fn length_delimited_fields(mut message: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    std::iter::from_fn(move || {
        loop {
            let key = varint(&mut message)?;
            match key & 7 {
                0 => {
                    varint(&mut message)?;
                }
                1 => message = message.get(8..)?,
                5 => message = message.get(4..)?,
                2 => {
                    let len = usize::try_from(varint(&mut message)?).ok()?;
                    let value = message.get(..len)?;
                    message = message.get(len..)?;
                    return Some((key >> 3, value));
                }
                _ => return None,
            }
        }
    })
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The body bytes of a gRPC frame holding `message` (for tests and benchmarks).
pub fn grpc_frame(message: &[u8]) -> Bytes {
    let mut frame = Vec::with_capacity(message.len() + 5);
    frame.push(0);
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(message);
    Bytes::from(frame)
}

#[cfg(test)]
mod tests {
    use baocao_proto::v1::{CameraSystem, StatusReport, SubmitReportRequest};
    use prost::Message;

    use super::*;

    fn request(systems: usize) -> Vec<u8> {
        SubmitReportRequest {
            report: Some(StatusReport {
                unit_code: "38.STTTT".into(),
                notes: "x".repeat(300),
                budget_allocated_vnd: 5,
                systems: vec![CameraSystem::default(); systems],
                ..Default::default()
            }),
            validate_only: false,
        }
        .encode_to_vec()
    }

    #[test]
    fn systems_are_counted_on_the_wire() {
        let message = request(1_000);
        let shape = report_shape(&message);
        assert_eq!(shape.systems, 1_000);
        assert_eq!(shape.report_bytes, message.len() - 3);
    }

    #[test]
    fn a_report_split_in_two_occurrences_is_counted_whole() {
        // protobuf merges two occurrences of `report`: their systems add up.
        let mut message = request(300);
        message.extend(request(300));
        assert_eq!(report_shape(&message).systems, 600);
        let limits = WireLimits {
            max_report_bytes: 1 << 20,
            max_systems: 500,
        };
        let status = check_frame(&grpc_frame(&message), limits).expect_err("too many");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.message().contains("600 systems"),
            "{}",
            status.message()
        );
        assert!(check_frame(&grpc_frame(&request(500)), limits).is_ok());
    }

    #[test]
    fn malformed_bytes_are_left_to_the_decoder() {
        let limits = WireLimits {
            max_report_bytes: 10,
            max_systems: 1,
        };
        for bytes in [
            &b""[..],
            b"\x00\x00",
            b"\x01\x00\x00\x00\x02\x0a\xff",
            b"\x00\x00\x00\x00\x03\x0a\xff\xff",
        ] {
            assert!(check_frame(bytes, limits).is_ok());
        }
    }

    #[test]
    fn duplicate_authorization_headers_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = TokenStore::open(dir.path().join("t.json")).expect("store");
        let mut headers = http::HeaderMap::new();
        headers.append("authorization", "Bearer a".parse().expect("value"));
        headers.append("authorization", "Bearer b".parse().expect("value"));
        let status = authenticate(&headers, &tokens).expect_err("refused");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().contains("more than one"));
    }
}
