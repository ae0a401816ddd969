//! The landing loop: consume report envelopes with a consumer group, append them to raw
//! Parquet tables, and commit offsets only after the files are durable. A crash between
//! writing and committing re-delivers records; they are landed again and the rollup
//! deduplicates by submission id, so nothing is lost and nothing counts twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baocao_errors::Chain;
use baocao_kafka::KafkaConfig;
use baocao_store::{Progress, S3Config, Store};
use baocao_tables::layout;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use crate::batch::{PendingBatch, decode_envelope};
use crate::compact::{CompactionConfig, compact_landing};
use crate::{Error, Result};

/// Landing settings (`[landing]`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LandingConfig {
    /// Root of the raw tables, `<dir>/submissions/…` and `<dir>/systems/…`: a local
    /// directory, or `s3://bucket/prefix` (an S3-compatible bucket, `[s3]`).
    pub dir: String,
    /// Kafka consumer group; its committed offsets say what is landed.
    pub group_id: String,
    /// Write files once this many submissions are buffered (bounds memory).
    pub flush_rows: usize,
    /// … or once the oldest buffered record is this old. Also sets how long the consumer
    /// lets the broker hold an empty fetch (a fifth of it): what bounds how soon a report
    /// reaches the Parquet files, and so the summaries of `rollup --follow`.
    pub flush_interval_ms: u64,
    /// Undecodable records go here with the reason in header `baocao-dead-letter-reason`.
    pub dead_letter_topic: String,
    /// In continuous mode, merge small files into sorted segments this often (seconds;
    /// 0: never, run `baocao compact` instead).
    pub compact_every_seconds: u64,
    /// Rows per compacted segment.
    pub compact_target_rows: usize,
}

impl Default for LandingConfig {
    fn default() -> Self {
        LandingConfig {
            dir: "state/landing".to_string(),
            group_id: "baocao-landing".to_string(),
            flush_rows: 20_000,
            flush_interval_ms: 2_000,
            dead_letter_topic: format!("{}.dlq", baocao_proto::DEFAULT_REPORTS_TOPIC),
            compact_every_seconds: 3600,
            compact_target_rows: CompactionConfig::default().target_rows,
        }
    }
}

/// Whether to stop once everything that was in the topic at start is landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    /// Run until shut down.
    Continuous,
    /// Land what the topic holds now, then stop.
    UntilCaughtUp,
}

/// What a landing run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LandingStats {
    /// Records consumed (landed or dead-lettered).
    pub records: u64,
    /// Submission rows written.
    pub submissions: u64,
    /// Camera-system rows written.
    pub systems: u64,
    /// Records sent to the dead-letter topic.
    pub dead_letters: u64,
    /// Parquet files written.
    pub files: u64,
}

/// The consumer and what it holds between flushes.
pub struct Lander {
    consumer: StreamConsumer,
    dead_letters: FutureProducer,
    topic: String,
    config: LandingConfig,
    landing: Store,
    pending: PendingBatch,
    /// Next offset per partition of everything consumed (landed in `pending` or written).
    consumed: HashMap<i32, i64>,
    /// Next offset per partition of everything durable on disk, not yet committed.
    uncommitted: HashMap<i32, i64>,
    stats: LandingStats,
    /// Records consumed (and, until caught up, how many there are), for display.
    progress: Arc<Progress>,
    /// When the consumer lag was last measured (it costs a metadata round trip).
    lag_measured: Option<Instant>,
}

/// How often the consumer-lag gauge is refreshed.
const LAG_MEASURE_INTERVAL: Duration = Duration::from_secs(5);

/// The longest a poll waits for a record before the loop looks at flushing and shutdown.
const MAX_POLL_WAIT: Duration = Duration::from_millis(200);

/// `fetch.wait.max.ms` of the landing consumer: a fifth of the flush interval, between
/// 10 ms and librdkafka's default 500 ms.
fn fetch_wait_ms(flush_interval_ms: u64) -> u64 {
    (flush_interval_ms / 5).clamp(10, 500)
}

impl Lander {
    /// Creates the consumer (group `config.group_id`, manual commits, earliest offset for a
    /// new group), the dead-letter producer and topic, and subscribes; the raw tables go
    /// to `config.dir` (an `s3://` one reached with `s3`).
    pub async fn new(kafka: &KafkaConfig, config: &LandingConfig, s3: &S3Config) -> Result<Self> {
        if config.flush_rows == 0 {
            return Err(Error::Config(
                "landing.flush_rows must be at least 1".into(),
            ));
        }
        if config.compact_target_rows == 0 {
            return Err(Error::Config(
                "landing.compact_target_rows must be at least 1".into(),
            ));
        }
        // A local directory exists from the start, so a backup (or an operator) can tell
        // a landing with nothing landed yet from a wrong path; a bucket is reached now,
        // so wrong credentials fail before anything is consumed.
        let landing = Store::open(&config.dir, s3, "landing.dir")?;
        let removed = landing.prepare().await?;
        if removed > 0 {
            tracing::warn!(removed, "removed partial files of an interrupted landing");
        }
        if kafka.create_topic {
            baocao_kafka::ensure_reports_topic(kafka).await?;
            baocao_kafka::ensure_topic(kafka, &config.dead_letter_topic, 1).await?;
        }
        let consumer: StreamConsumer = kafka
            .client_config()
            .set("group.id", &config.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            // The broker holds an empty fetch this long: a record can wait there before
            // the flush clock starts, so keep it a fraction of the flush interval.
            .set(
                "fetch.wait.max.ms",
                fetch_wait_ms(config.flush_interval_ms).to_string(),
            )
            .create()?;
        consumer.subscribe(&[kafka.reports_topic.as_str()])?;
        let dead_letters: FutureProducer = kafka
            .client_config()
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("message.timeout.ms", kafka.delivery_timeout_ms.to_string())
            .create()?;
        Ok(Lander {
            consumer,
            dead_letters,
            topic: kafka.reports_topic.clone(),
            config: config.clone(),
            landing,
            pending: PendingBatch::default(),
            consumed: HashMap::new(),
            uncommitted: HashMap::new(),
            stats: LandingStats::default(),
            progress: Arc::default(),
            lag_measured: None,
        })
    }

    /// What this lander has done so far.
    pub fn stats(&self) -> &LandingStats {
        &self.stats
    }

    /// Records consumed so far and, in an until-caught-up run, how many there are to land
    /// (read it while [`Lander::run`] works to show progress).
    pub fn progress(&self) -> Arc<Progress> {
        self.progress.clone()
    }

    /// Waits up to `timeout` for one record and handles it. Returns false on timeout.
    pub async fn poll_once(&mut self, timeout: Duration) -> Result<bool> {
        let message = match tokio::time::timeout(timeout, self.consumer.recv()).await {
            Err(_) => return Ok(false),
            Ok(Err(err)) => return Err(err.into()),
            Ok(Ok(message)) => message.detach(),
        };
        let partition = message.partition();
        let offset = message.offset();
        let payload = message.payload().unwrap_or_default();
        match decode_envelope(payload) {
            Ok(envelope) => self.pending.push(&envelope, partition, offset),
            Err(reason) => {
                self.dead_letter(&message, &reason).await?;
            }
        }
        self.consumed.insert(partition, offset + 1);
        self.stats.records += 1;
        self.progress.add(1);
        Ok(true)
    }

    async fn dead_letter(
        &mut self,
        message: &rdkafka::message::OwnedMessage,
        reason: &str,
    ) -> Result<()> {
        tracing::warn!(
            partition = message.partition(),
            offset = message.offset(),
            reason,
            "record dead-lettered"
        );
        let source = format!(
            "{}/{}/{}",
            message.topic(),
            message.partition(),
            message.offset()
        );
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: "baocao-dead-letter-reason",
                value: Some(reason),
            })
            .insert(Header {
                key: "baocao-source",
                value: Some(&source),
            });
        let key = message.key().unwrap_or_default();
        let record = FutureRecord::to(&self.config.dead_letter_topic)
            .key(key)
            .payload(message.payload().unwrap_or_default())
            .headers(headers);
        self.dead_letters
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(source, _)| Error::Client {
                action: "produce a dead letter",
                source,
            })?;
        self.stats.dead_letters += 1;
        metrics::counter!("baocao_landing_dead_letters_total").increment(1);
        Ok(())
    }

    /// How long the next poll may wait: 200 ms, or less when the oldest buffered record
    /// is due to be written sooner (so an idle topic does not delay a flush).
    fn poll_timeout(&self) -> Duration {
        let interval = Duration::from_millis(self.config.flush_interval_ms);
        let due = self
            .pending
            .oldest()
            .map(|t| interval.saturating_sub(t.elapsed()));
        due.map_or(MAX_POLL_WAIT, |d| {
            d.clamp(Duration::from_millis(1), MAX_POLL_WAIT)
        })
    }

    /// Whether the buffer is full or old enough to write.
    pub fn should_flush(&self) -> bool {
        self.pending.records() >= self.config.flush_rows
            || self.pending.oldest().is_some_and(|t| {
                t.elapsed() >= Duration::from_millis(self.config.flush_interval_ms)
            })
    }

    /// Writes everything buffered to durable Parquet files. Does not commit offsets: call
    /// [`Lander::commit`] after. Returns the number of files written.
    pub async fn write_pending(&mut self) -> Result<usize> {
        let written = self.pending.write(&self.landing).await?;
        self.stats.submissions += written.submissions as u64;
        self.stats.systems += written.systems as u64;
        self.stats.files += written.files as u64;
        metrics::counter!("baocao_landing_rows_total", "table" => layout::SUBMISSIONS)
            .increment(written.submissions as u64);
        metrics::counter!("baocao_landing_rows_total", "table" => layout::SYSTEMS)
            .increment(written.systems as u64);
        metrics::counter!("baocao_landing_files_total").increment(written.files as u64);
        let files = written.files;
        self.uncommitted
            .extend(self.consumed.iter().map(|(p, o)| (*p, *o)));
        Ok(files)
    }

    /// Commits the offsets of everything written (synchronously).
    pub fn commit(&mut self) -> Result<()> {
        if self.uncommitted.is_empty() {
            return Ok(());
        }
        let mut offsets = TopicPartitionList::new();
        for (partition, next) in &self.uncommitted {
            offsets
                .add_partition_offset(&self.topic, *partition, Offset::Offset(*next))
                .map_err(Error::from)?;
        }
        self.consumer.commit(&offsets, CommitMode::Sync)?;
        self.uncommitted.clear();
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let files = self.write_pending().await?;
        self.commit()?;
        if files > 0 {
            tracing::info!(files, records = self.stats.records, "landed batch");
        }
        if self
            .lag_measured
            .is_none_or(|at| at.elapsed() >= LAG_MEASURE_INTERVAL)
        {
            self.lag_measured = Some(Instant::now());
            match self.consumer_lag() {
                Ok(lag) => metrics::gauge!("baocao_landing_consumer_lag_records").set(lag as f64),
                Err(err) => tracing::warn!(error = %Chain(&err), "consumer lag not measured"),
            }
        }
        Ok(())
    }

    /// Merges the landed small files into sorted segments ([`crate::compact`]). A
    /// failure is logged and retried at the next interval: the files stay as they were.
    async fn compact(&mut self) {
        let landing = self.landing.clone();
        let runtime = tokio::runtime::Handle::current();
        let config = CompactionConfig {
            target_rows: self.config.compact_target_rows,
        };
        let started = Instant::now();
        match tokio::task::spawn_blocking(move || {
            runtime.block_on(compact_landing(&landing, config))
        })
        .await
        {
            Ok(Ok(stats)) => {
                metrics::counter!("baocao_landing_compacted_files_total")
                    .increment(stats.files_merged as u64);
                if stats.files_merged > 0 {
                    tracing::info!(
                        files = stats.files_merged,
                        segments = stats.segments_written,
                        rows = stats.rows,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "compacted landed files"
                    );
                }
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %Chain(&err), "compaction failed; landed files left as they were")
            }
            Err(err) => tracing::warn!(error = %Chain(&err), "compaction task failed"),
        }
    }

    /// Records on the topic not yet landed by this consumer: the sum over partitions of
    /// high watermark − next offset to land (committed or consumed, whichever is later).
    pub fn consumer_lag(&self) -> Result<i64> {
        let highs = self.high_watermarks()?;
        let positions = self.start_positions(&highs)?;
        Ok(highs
            .iter()
            .map(|(partition, high)| {
                let landed = self
                    .consumed
                    .get(partition)
                    .copied()
                    .max(positions.get(partition).copied())
                    .unwrap_or(0);
                (high - landed).max(0)
            })
            .sum())
    }

    /// High watermark per partition now: the target of an until-caught-up run.
    fn high_watermarks(&self) -> Result<HashMap<i32, i64>> {
        let metadata = self
            .consumer
            .fetch_metadata(Some(&self.topic), Duration::from_secs(10))?;
        let mut targets = HashMap::new();
        for topic in metadata.topics() {
            for partition in topic.partitions() {
                let (_, high) = self.consumer.fetch_watermarks(
                    &self.topic,
                    partition.id(),
                    Duration::from_secs(10),
                )?;
                targets.insert(partition.id(), high);
            }
        }
        Ok(targets)
    }

    /// Committed position per partition (the low watermark where the group has none).
    fn start_positions(&self, partitions: &HashMap<i32, i64>) -> Result<HashMap<i32, i64>> {
        let mut list = TopicPartitionList::new();
        for partition in partitions.keys() {
            list.add_partition(&self.topic, *partition);
        }
        let committed = self
            .consumer
            .committed_offsets(list, Duration::from_secs(10))?;
        let mut positions = HashMap::new();
        for element in committed.elements() {
            let position = match element.offset() {
                Offset::Offset(o) => o,
                _ => {
                    self.consumer
                        .fetch_watermarks(
                            &self.topic,
                            element.partition(),
                            Duration::from_secs(10),
                        )?
                        .0
                }
            };
            positions.insert(element.partition(), position);
        }
        Ok(positions)
    }

    /// Runs until `shutdown` resolves or, in [`RunMode::UntilCaughtUp`], until every
    /// record present at start is landed; always flushes and commits before returning.
    pub async fn run(
        &mut self,
        mode: RunMode,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<LandingStats> {
        let targets = match mode {
            RunMode::UntilCaughtUp => Some(self.high_watermarks()?),
            RunMode::Continuous => None,
        };
        let mut positions = match &targets {
            Some(t) => self.start_positions(t)?,
            None => HashMap::new(),
        };
        if let Some(targets) = &targets {
            let to_land: i64 = targets
                .iter()
                .map(|(p, high)| (high - positions.get(p).copied().unwrap_or(0)).max(0))
                .sum();
            self.progress.set_total(to_land as u64);
        }
        tokio::pin!(shutdown);
        let compact_every = match mode {
            RunMode::Continuous if self.config.compact_every_seconds > 0 => {
                Some(Duration::from_secs(self.config.compact_every_seconds))
            }
            _ => None,
        };
        let mut last_compaction = Instant::now();
        loop {
            if let Some(targets) = &targets {
                positions.extend(self.consumed.iter().map(|(p, o)| (*p, *o)));
                let caught_up = targets
                    .iter()
                    .all(|(p, high)| positions.get(p).copied().unwrap_or(0) >= *high);
                if caught_up {
                    break;
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                polled = self.poll_once(self.poll_timeout()) => { polled?; }
            }
            if self.should_flush() {
                self.flush().await?;
            }
            if let Some(every) = compact_every
                && last_compaction.elapsed() >= every
            {
                self.compact().await;
                last_compaction = Instant::now();
            }
        }
        self.flush().await?;
        Ok(self.stats.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_wait_follows_the_flush_interval_within_bounds() {
        assert_eq!(fetch_wait_ms(2_000), 400);
        assert_eq!(fetch_wait_ms(500), 100);
        assert_eq!(fetch_wait_ms(10), 10);
        assert_eq!(fetch_wait_ms(60_000), 500);
    }
}
