//! The gRPC codec of baocao.v1: prost encoding, but a message that cannot be decoded is
//! the sender's fault, so it is answered INVALID_ARGUMENT with a `BadRequest` naming
//! `request` and prost's reason (which names the message and field, e.g.
//! `StatusReport.unit_code: invalid string value: data is not UTF-8 encoded`). tonic's
//! stock codec answers INTERNAL, following the gRPC status-code table; for a reporting
//! system an operator must be able to tell a unit's malformed input from a server fault.

use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
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
