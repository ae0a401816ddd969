//! The gRPC codec of baocao.v1: prost encoding, but a message that cannot be decoded is
//! the sender's fault, so it is answered INVALID_ARGUMENT with a `BadRequest` naming
//! `request` and prost's reason (which names the message and field, e.g.
//! `StatusReport.unit_code: invalid string value: data is not UTF-8 encoded`). tonic's
//! stock codec answers INTERNAL, following the gRPC status-code table; for a reporting
//! system an operator must be able to tell a unit's malformed input from a server fault.

use std::marker::PhantomData;

use prost::bytes::BufMut;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Code, Status};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};
use tonic_types::{ErrorDetails, StatusExt};

/// [`ProstCodec`] whose decode errors are INVALID_ARGUMENT with field details.
#[derive(Debug, Clone)]
pub struct StrictProstCodec<T, U>(ProstCodec<T, U>);

impl<T, U> Default for StrictProstCodec<T, U> {
    fn default() -> Self {
        StrictProstCodec(ProstCodec::default())
    }
}

impl<T, U> Codec for StrictProstCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = StrictProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.0.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        StrictProstDecoder(self.0.decoder())
    }
}

/// The decoder of [`StrictProstCodec`].
#[derive(Debug)]
pub struct StrictProstDecoder<U>(ProstDecoder<U>);

impl<U: prost::Message + Default> Decoder for StrictProstDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.0.decode(buf).map_err(|status| {
            if status.code() != Code::Internal {
                return status;
            }
            let reason = format!("is not a valid protobuf message: {}", status.message());
            Status::with_error_details(
                Code::InvalidArgument,
                format!("request {reason}"),
                ErrorDetails::with_bad_request_violation("request", reason),
            )
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}

/// A client codec that sends request bodies byte for byte and decodes the answer as `U`:
/// what a broken or hostile client puts on the wire, which no generated client would.
/// For the bad-input tests and the hostile-input benchmark.
#[derive(Debug)]
pub struct RawBytesCodec<U>(PhantomData<fn() -> U>);

impl<U> Default for RawBytesCodec<U> {
    fn default() -> Self {
        RawBytesCodec(PhantomData)
    }
}

/// The encoder of [`RawBytesCodec`]: the bytes as given.
#[derive(Debug)]
pub struct RawEncoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl<U> Codec for RawBytesCodec<U>
where
    U: prost::Message + Default + Send + 'static,
{
    type Encode = Vec<u8>;
    type Decode = U;
    type Encoder = RawEncoder;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> ProstDecoder<U> {
        ProstCodec::<U, U>::default().decoder()
    }
}

/// Sends `body` to `SubmitReport` byte for byte over `channel`, with `authorization:
/// Bearer <token>` unless `token` is empty; the gateway's answer.
pub async fn submit_raw_bytes(
    channel: &tonic::transport::Channel,
    body: Vec<u8>,
    token: &str,
) -> Result<crate::v1::SubmitReportResponse, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|err| Status::unavailable(err.to_string()))?;
    let mut request = tonic::Request::new(body);
    if !token.is_empty() {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::invalid_argument("token is not a header value"))?;
        request.metadata_mut().insert("authorization", value);
    }
    grpc.unary(
        request,
        tonic::codegen::http::uri::PathAndQuery::from_static(
            "/baocao.v1.ReportingService/SubmitReport",
        ),
        RawBytesCodec::default(),
    )
    .await
    .map(tonic::Response::into_inner)
}
