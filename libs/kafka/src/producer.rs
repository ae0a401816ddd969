//! Writes report envelopes to Kafka and waits for the broker's acknowledgement: this is
//! where a report becomes durable. acks=all + idempotence + zstd; the only place baocao
//! produces to the reports topic.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use baocao_errors::Chain;
use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

use crate::{Error, KafkaConfig, Result};

/// The durable write path to the reports topic.
///
/// After a failed delivery the underlying producer is replaced (once per failure wave): an
/// idempotent producer whose message timed out may be left with producer-id/sequence state
/// the broker no longer accepts (librdkafka then needs a new producer), and a fresh one
/// costs a single InitProducerId. In-flight sends keep the old one alive until they finish.
pub struct ReportProducer {
    config: KafkaConfig,
    current: RwLock<(u64, Arc<FutureProducer>)>,
    topic: String,
    timeout: Duration,
    max_record_bytes: usize,
}

/// The librdkafka settings of the reports producer: acks=all, idempotence, the configured
/// compression and delivery timeout. Public so that the ingest benchmark's raw producer
/// uses exactly the gateway's settings.
pub fn report_producer_config(config: &KafkaConfig) -> Result<ClientConfig> {
    let compression = match config.compression.as_str() {
        c @ ("zstd" | "lz4" | "gzip" | "none") => c,
        other => {
            return Err(Error::Config(format!(
                "kafka.compression `{other}` is not supported (use zstd, lz4, gzip or none)"
            )));
        }
    };
    let mut client = config.client_config();
    client
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("compression.type", compression)
        .set("linger.ms", "2")
        .set("message.max.bytes", config.record_frame_bytes().to_string())
        .set("message.timeout.ms", config.delivery_timeout_ms.to_string())
        // A leader waiting for followers that are gone holds the request until this
        // timeout (30 s by default), past the delivery timeout: with it no longer than
        // the delivery timeout, a gateway answers UNAVAILABLE within its delivery timeout
        // when min.insync.replicas cannot be met.
        .set(
            "request.timeout.ms",
            config.delivery_timeout_ms.clamp(1_000, 30_000).to_string(),
        );
    Ok(client)
}

fn create_producer(config: &KafkaConfig) -> Result<FutureProducer> {
    report_producer_config(config)?
        .create()
        .map_err(|err| Error::client("create the reports producer", err))
}

impl ReportProducer {
    /// Creates an idempotent, acks=all producer.
    pub fn new(config: &KafkaConfig) -> Result<Self> {
        let producer = create_producer(config)?;
        Ok(ReportProducer {
            config: config.clone(),
            current: RwLock::new((0, Arc::new(producer))),
            topic: config.reports_topic.clone(),
            timeout: Duration::from_millis(config.delivery_timeout_ms),
            max_record_bytes: config.max_record_bytes,
        })
    }

    fn current(&self) -> Result<(u64, Arc<FutureProducer>)> {
        self.current
            .read()
            .map(|guard| (guard.0, guard.1.clone()))
            .map_err(|_| Error::Unavailable("the producer's lock was poisoned by a panic".into()))
    }

    /// Replaces the producer if it is still the one of generation `failed`.
    fn replace(&self, failed: u64) {
        let Ok(mut guard) = self.current.write() else {
            return;
        };
        if guard.0 != failed {
            return; // another failed send already replaced it
        }
        match create_producer(&self.config) {
            Ok(fresh) => {
                *guard = (failed + 1, Arc::new(fresh));
                tracing::warn!(
                    generation = failed + 1,
                    "kafka producer replaced after a failed delivery"
                );
            }
            Err(err) => tracing::error!(error = %Chain(&err), "cannot replace kafka producer"),
        }
    }

    /// Sends one record and waits for the acknowledgement from all in-sync replicas.
    /// Returns (partition, offset) of the durable record.
    /// A record over `max_record_bytes`, or one the broker finds too large, is
    /// [`Error::RecordTooLarge`] (sending it again cannot help).
    pub async fn send(&self, key: &str, payload: &[u8]) -> Result<(i32, i64)> {
        let too_large = Error::RecordTooLarge {
            bytes: key.len() + payload.len(),
            limit: self.max_record_bytes,
        };
        if key.len() + payload.len() > self.max_record_bytes {
            return Err(too_large);
        }
        let (generation, producer) = self.current()?;
        let record = FutureRecord::to(&self.topic).key(key).payload(payload);
        match producer.send(record, self.timeout).await {
            Ok(delivery) => Ok((delivery.partition, delivery.offset)),
            Err((KafkaError::MessageProduction(code), _)) if is_too_large(code) => Err(too_large),
            Err((err, _)) => {
                self.replace(generation);
                Err(Error::client("the record was not acknowledged", err))
            }
        }
    }

    /// Waits for in-flight records before shutdown.
    pub fn flush(&self, timeout: Duration) {
        if let Ok((_, producer)) = self.current()
            && let Err(err) = producer.flush(timeout)
        {
            tracing::warn!(error = %Chain(&err), "producer flush incomplete at shutdown");
        }
    }
}

/// The codes of a record too large for the producer or the broker.
fn is_too_large(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::MessageSizeTooLarge
            | RDKafkaErrorCode::MessageBatchTooLarge
            | RDKafkaErrorCode::InvalidMessageSize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secured_cluster_settings_are_accepted() {
        // What a production cluster needs: TLS and SASL/SCRAM through `[kafka.properties]`.
        // librdkafka validates these when the client is created (no connection is made).
        let mut config = KafkaConfig::default();
        for (key, value) in [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "baocao"),
            ("sasl.password", "secret"),
        ] {
            config.properties.insert(key.to_string(), value.to_string());
        }
        assert!(ReportProducer::new(&config).is_ok());
    }

    #[tokio::test]
    async fn a_record_over_the_limit_is_refused_before_it_is_sent() {
        let config = KafkaConfig {
            brokers: "127.0.0.1:1".to_string(),
            max_record_bytes: 100,
            ..KafkaConfig::default()
        };
        let producer = ReportProducer::new(&config).expect("producer");
        let refused = producer.send("14755", &[0u8; 200]).await;
        assert!(
            matches!(
                refused,
                Err(Error::RecordTooLarge {
                    bytes: 205,
                    limit: 100
                })
            ),
            "{refused:?}"
        );
    }

    #[test]
    fn a_report_that_cannot_fit_is_refused_at_start() {
        let config = KafkaConfig::default();
        assert!(
            config
                .check_room_for(1024 * 1024, "gateway.max_report_bytes")
                .is_ok()
        );
        let refused = config.check_room_for(2 * 1024 * 1024, "gateway.max_report_bytes");
        let Err(Error::Config(reason)) = refused else {
            panic!("refused");
        };
        assert!(
            reason.contains("kafka.max_record_bytes")
                && reason.contains("gateway.max_report_bytes")
        );
    }

    #[test]
    fn snappy_and_unknown_codecs_are_refused() {
        let config = KafkaConfig {
            compression: "snappy".to_string(),
            ..KafkaConfig::default()
        };
        let Err(Error::Config(reason)) = ReportProducer::new(&config) else {
            panic!("snappy must be refused");
        };
        assert!(reason.contains("snappy"), "{reason}");
    }
}
