//! A gRPC client that sends request bodies byte for byte (what a broken or hostile client
//! puts on the wire) and optionally with extra headers.

use baocao_proto::v1::SubmitReportResponse;
use bytes::BufMut;
use prost::Message;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

use super::authed;

/// Sends request bodies as given, byte for byte: what a broken or hostile client can
/// put on the wire, which no generated client would.
#[derive(Clone, Copy, Default)]
pub struct RawBytesCodec;

pub struct RawEncoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

pub struct ResponseDecoder;

impl Decoder for ResponseDecoder {
    type Item = SubmitReportResponse;
    type Error = tonic::Status;

    fn decode(
        &mut self,
        src: &mut DecodeBuf<'_>,
    ) -> Result<Option<SubmitReportResponse>, tonic::Status> {
        SubmitReportResponse::decode(src)
            .map(Some)
            .map_err(|err| tonic::Status::internal(err.to_string()))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

impl Codec for RawBytesCodec {
    type Encode = Vec<u8>;
    type Decode = SubmitReportResponse;
    type Encoder = RawEncoder;
    type Decoder = ResponseDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> ResponseDecoder {
        ResponseDecoder
    }
}

pub async fn submit_raw(
    channel: &Channel,
    body: Vec<u8>,
    token: &str,
) -> Result<SubmitReportResponse, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|err| tonic::Status::unavailable(err.to_string()))?;
    grpc.unary(
        authed(body, token),
        PathAndQuery::from_static("/baocao.v1.ReportingService/SubmitReport"),
        RawBytesCodec,
    )
    .await
    .map(tonic::Response::into_inner)
}

