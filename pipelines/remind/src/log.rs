//! The reminders topic as a log: every claim, send and failure, replayed in order into
//! who holds each reminder and which were sent. Every run and every replica replays the
//! same records the same way, so they agree on it without talking to each other.

use std::collections::HashMap;
use std::time::Duration;

use baocao_errors::Chain;
use baocao_kafka::{KafkaConfig, ReportProducer};
use chrono::{DateTime, Utc};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What a record says about a reminder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderState {
    /// A run is about to send it.
    Claimed,
    /// It was delivered to the SMTP server or the webhook.
    Sent,
    /// Sending failed; the next run tries again.
    Failed,
}

/// One record of the reminders topic (JSON; the Kafka key is [`ReminderRecord::key`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderRecord {
    /// `campaign/milestone/step/unit/channel`.
    pub key: String,
    /// What happened.
    pub state: ReminderState,
    /// The run that wrote it (a UUID per `baocao remind` run).
    pub run: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Campaign id.
    pub campaign: String,
    /// Milestone id.
    pub milestone: String,
    /// Schedule step (`T-7`, `T+1`…).
    pub step: String,
    /// The unit reminded.
    pub unit: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// The address or URL it went to.
    pub to: String,
    /// The message's id (the e-mail's Message-ID, the webhook's Idempotency-Key).
    pub message_id: String,
    /// Why it failed, for a failure.
    #[serde(default)]
    pub reason: String,
}

/// What the records of one key add up to.
#[derive(Clone, Debug, Default)]
struct KeyState {
    /// The run holding the reminder and since when.
    holder: Option<(String, DateTime<Utc>)>,
    /// When it was sent, if it was.
    sent: Option<DateTime<Utc>>,
}

/// The reminders topic, read from its beginning and followed on demand.
pub struct ReminderLog {
    consumer: StreamConsumer,
    producer: ReportProducer,
    topic: String,
    lease: chrono::Duration,
    keys: HashMap<String, KeyState>,
    /// The next offset to read, per partition.
    next: HashMap<i32, i64>,
    /// Every record read, in order.
    records: Vec<ReminderRecord>,
    /// The sends that count (from the run holding the reminder), in order.
    sent: Vec<ReminderRecord>,
}

fn read_error(action: impl Into<String>, source: rdkafka::error::KafkaError) -> Error {
    Error::KafkaRead {
        action: action.into(),
        source,
    }
}

/// Longest wait for a record known to exist.
const STALL: Duration = Duration::from_secs(30);

impl ReminderLog {
    /// Opens the log on `topic` (created, one partition, kept forever, when the
    /// configuration creates topics) and reads it to its end.
    pub async fn open(kafka: &KafkaConfig, topic: &str, lease_seconds: u64) -> Result<Self> {
        if kafka.create_topic {
            baocao_kafka::ensure_kept_topic(kafka, topic, 1).await?;
        }
        let consumer: StreamConsumer = kafka
            .client_config()
            .set("group.id", "baocao-remind")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            // Each write is read back before the next send: do not wait for more data.
            .set("fetch.wait.max.ms", "10")
            .create()
            .map_err(|err| read_error("create the consumer", err))?;
        let producer = ReportProducer::new(&KafkaConfig {
            reports_topic: topic.to_string(),
            ..kafka.clone()
        })?;
        let mut log = ReminderLog {
            consumer,
            producer,
            topic: topic.to_string(),
            lease: chrono::Duration::seconds(i64::try_from(lease_seconds).unwrap_or(i64::MAX)),
            keys: HashMap::new(),
            next: HashMap::new(),
            records: Vec::new(),
            sent: Vec::new(),
        };
        let ends = log.partition_ends().await?;
        let mut assignment = TopicPartitionList::new();
        for partition in ends.keys() {
            assignment
                .add_partition_offset(topic, *partition, Offset::Beginning)
                .map_err(|err| read_error("assign its partitions", err))?;
            log.next.insert(*partition, 0);
        }
        log.consumer
            .assign(&assignment)
            .map_err(|err| read_error("assign its partitions", err))?;
        log.read_to(&ends).await?;
        Ok(log)
    }

    /// The high watermark of every partition.
    async fn partition_ends(&self) -> Result<HashMap<i32, i64>> {
        let ends = baocao_kafka::topic_watermarks(&self.consumer, &self.topic).await?;
        Ok(ends.into_iter().map(|(p, (_, high))| (p, high)).collect())
    }

    /// Reads until every partition's next offset reaches `ends`.
    async fn read_to(&mut self, ends: &HashMap<i32, i64>) -> Result<()> {
        while ends
            .iter()
            .any(|(p, end)| self.next.get(p).copied().unwrap_or(0) < *end)
        {
            let message = tokio::time::timeout(STALL, self.consumer.recv())
                .await
                .map_err(|_| {
                    Error::Config(format!(
                        "reminders topic {}: no record for {} s while reading to its end",
                        self.topic,
                        STALL.as_secs()
                    ))
                })?
                .map_err(|err| read_error("read", err))?;
            self.next.insert(message.partition(), message.offset() + 1);
            if let Some(payload) = message.payload() {
                match serde_json::from_slice::<ReminderRecord>(payload) {
                    Ok(record) => self.apply(record),
                    Err(err) => {
                        tracing::warn!(offset = message.offset(), error = %Chain(&err), "reminders topic: a record that is not a reminder record, skipped")
                    }
                }
            }
        }
        Ok(())
    }

    /// Replays one record: a claim takes a free reminder, or one whose holder's lease
    /// ran out; a send or failure counts only from the holder.
    fn apply(&mut self, record: ReminderRecord) {
        let state = self.keys.entry(record.key.clone()).or_default();
        match record.state {
            ReminderState::Claimed => {
                let free = state.sent.is_none()
                    && state.holder.as_ref().is_none_or(|(run, since)| {
                        *run == record.run || record.at - *since > self.lease
                    });
                if free {
                    state.holder = Some((record.run.clone(), record.at));
                }
            }
            ReminderState::Sent => {
                if state.sent.is_none()
                    && state
                        .holder
                        .as_ref()
                        .is_some_and(|(run, _)| *run == record.run)
                {
                    state.sent = Some(record.at);
                    self.sent.push(record.clone());
                }
            }
            ReminderState::Failed => {
                if state
                    .holder
                    .as_ref()
                    .is_some_and(|(run, _)| *run == record.run)
                {
                    state.holder = None;
                }
            }
        }
        self.records.push(record);
    }

    /// Whether the reminder `key` was sent.
    pub fn was_sent(&self, key: &str) -> bool {
        self.keys.get(key).is_some_and(|s| s.sent.is_some())
    }

    /// The run holding `key` now, with the time of its claim.
    pub fn holder(&self, key: &str) -> Option<(&str, DateTime<Utc>)> {
        self.keys
            .get(key)
            .and_then(|s| s.holder.as_ref())
            .map(|(run, at)| (run.as_str(), *at))
    }

    /// Whether a run other than `run` holds `key` under a lease still running at `now`.
    pub fn held_by_another(&self, key: &str, run: &str, now: DateTime<Utc>) -> bool {
        self.holder(key)
            .is_some_and(|(holder, since)| holder != run && now - since <= self.lease)
    }

    /// Every record read, in the topic's order.
    pub fn records(&self) -> &[ReminderRecord] {
        &self.records
    }

    /// The reminders sent (one record each), in the topic's order: what the late list
    /// and the portal show.
    pub fn sent(&self) -> &[ReminderRecord] {
        &self.sent
    }

    /// Writes `record` (acknowledged by all in-sync replicas) and reads the topic up to
    /// it, so that the log's state includes it and everything before it.
    pub async fn write(&mut self, record: &ReminderRecord) -> Result<()> {
        let payload = serde_json::to_vec(record)?;
        let (partition, offset) = self.producer.send(&record.key, &payload).await?;
        let ends = HashMap::from([(partition, offset + 1)]);
        self.read_to(&ends).await
    }

    /// Reads the topic to its current end, so that what another run wrote meanwhile is
    /// in [`Self::sent`] (before the sent list is written out).
    pub async fn catch_up(&mut self) -> Result<()> {
        let ends = self.partition_ends().await?;
        self.read_to(&ends).await
    }

    /// Waits for records in flight before the run ends.
    pub fn flush(&self) {
        self.producer.flush(Duration::from_secs(10));
    }
}
