//! Following a topic from its beginning (the submission index, the review desks): read
//! it to the end it had at start, then keep reading in the background — the partitions
//! added to the topic later included, looked for every [`PARTITION_LOOK`] and at once
//! when a front door waits for a record in a partition it does not know.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baocao_errors::Chain;
use baocao_kafka::KafkaConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Message as _, Offset, TopicPartitionList};
use tokio::task::JoinHandle;

use crate::index::ReadPositions;
use crate::{Error, Result};

/// The consumer that keeps an index current; dropping it stops following.
pub struct IndexFollower {
    task: JoinHandle<()>,
}

impl Drop for IndexFollower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A failed Kafka call of the index, its cause kept.
fn kafka_error(action: impl Into<String>, source: rdkafka::error::KafkaError) -> Error {
    Error::Kafka(baocao_kafka::Error::client(action, source))
}

/// Longest wait for the next record while reading the topic to its end at start.
const CATCH_UP_STALL: Duration = Duration::from_secs(60);

/// How often a follower looks for partitions added to its topic.
pub const PARTITION_LOOK: Duration = Duration::from_secs(10);

/// What a follower does with each record's payload and (partition, offset).
pub(crate) type RecordHandler = Arc<dyn Fn(&[u8], (i32, i64)) + Send + Sync>;

/// Hands every record of `topic` to `apply`, from the topic's beginning up to the end
/// it had when called, then follows it in the background, partitions added later
/// included; `positions` learns which partitions are followed (the handler advances it).
pub(crate) async fn follow_records(
    kafka: &KafkaConfig,
    topic: &str,
    apply: RecordHandler,
    positions: Arc<ReadPositions>,
) -> Result<IndexFollower> {
    let started = Instant::now();
    let consumer = Arc::new(index_consumer(kafka)?);
    let topic = topic.to_string();
    let ends = baocao_kafka::topic_watermarks(consumer.as_ref(), &topic)
        .await
        .map_err(Error::Kafka)?;
    let known: HashSet<i32> = ends.keys().copied().collect();
    positions.follow(known.iter().copied());
    assign_from_beginning(&consumer, &topic, &known, false)?;
    let records = read_to_end(&consumer, &topic, ends, &apply).await?;
    tracing::info!(
        %topic,
        records,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "topic read to its end"
    );
    let task = tokio::spawn(keep_following(consumer, topic, apply, positions, known));
    Ok(IndexFollower { task })
}

/// Reads `topic` for ever, looking for new partitions now and then and when asked.
async fn keep_following(
    consumer: Arc<StreamConsumer>,
    topic: String,
    apply: RecordHandler,
    positions: Arc<ReadPositions>,
    mut known: HashSet<i32>,
) {
    let mut look = tokio::time::interval(PARTITION_LOOK);
    look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            received = consumer.recv() => match received {
                Ok(message) => apply(
                    message.payload().unwrap_or_default(),
                    (message.partition(), message.offset()),
                ),
                Err(err) => {
                    tracing::warn!(error = %Chain(&err), %topic, "reading the topic failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
            _ = look.tick() => follow_new_partitions(&consumer, &topic, &positions, &mut known).await,
            () = positions.unknown.notified() => follow_new_partitions(&consumer, &topic, &positions, &mut known).await,
        }
    }
}

/// Adds the partitions of `topic` not in `known` to the assignment, from their
/// beginning, and tells `positions`.
async fn follow_new_partitions(
    consumer: &Arc<StreamConsumer>,
    topic: &str,
    positions: &ReadPositions,
    known: &mut HashSet<i32>,
) {
    let (looking, name) = (consumer.clone(), topic.to_string());
    let metadata = tokio::task::spawn_blocking(move || {
        looking
            .fetch_metadata(Some(&name), Duration::from_secs(5))
            .map(|m| {
                m.topics()
                    .iter()
                    .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                    .collect::<HashSet<i32>>()
            })
    })
    .await;
    let found = match metadata {
        Ok(Ok(found)) => found,
        Ok(Err(err)) => {
            tracing::warn!(error = %Chain(&err), %topic, "looking for new partitions failed");
            return;
        }
        Err(_) => return,
    };
    let new: HashSet<i32> = found.difference(known).copied().collect();
    if new.is_empty() {
        return;
    }
    match assign_from_beginning(consumer, topic, &new, true) {
        Ok(()) => {
            tracing::info!(%topic, partitions = ?new, "following partitions added to the topic");
            known.extend(new.iter().copied());
            positions.follow(new);
        }
        Err(err) => {
            tracing::warn!(error = %Chain(&err), %topic, "following new partitions failed")
        }
    }
}

/// Assigns `partitions` of `topic` from their beginning: the whole assignment, or added
/// to the current one (`incremental`).
fn assign_from_beginning(
    consumer: &StreamConsumer,
    topic: &str,
    partitions: &HashSet<i32>,
    incremental: bool,
) -> Result<()> {
    let mut assignment = TopicPartitionList::new();
    for partition in partitions {
        assignment
            .add_partition_offset(topic, *partition, Offset::Beginning)
            .map_err(|err| kafka_error("assign the submission index's partitions", err))?;
    }
    let assigned = if incremental {
        consumer.incremental_assign(&assignment)
    } else {
        consumer.assign(&assignment)
    };
    assigned.map_err(|err| kafka_error("assign the submission index's partitions", err))
}

/// The consumer of an index: no group offsets (it always reads from the beginning), and
/// fetches as soon as a record is there (a front door waits for its own record).
fn index_consumer(kafka: &KafkaConfig) -> Result<StreamConsumer> {
    kafka
        .client_config()
        .set("group.id", "baocao-gateway-index")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "10")
        .create()
        .map_err(|err| kafka_error("create the submission index consumer", err))
}

/// Applies every record of `topic` up to the ends read at start (`ends`: low and high
/// watermark per partition); returns how many were read. Fails when nothing comes for
/// [`CATCH_UP_STALL`].
async fn read_to_end(
    consumer: &StreamConsumer,
    topic: &str,
    ends: HashMap<i32, (i64, i64)>,
    apply: &RecordHandler,
) -> Result<u64> {
    let mut remaining: HashMap<i32, i64> = ends
        .into_iter()
        .filter(|(_, (low, high))| high > low)
        .map(|(partition, (_, high))| (partition, high))
        .collect();
    let mut records = 0u64;
    while !remaining.is_empty() {
        let message = tokio::time::timeout(CATCH_UP_STALL, consumer.recv())
            .await
            .map_err(|_| {
                Error::Kafka(baocao_kafka::Error::Unavailable(format!(
                    "no record from topic {topic} for {} s while reading it to its end ({records} read)",
                    CATCH_UP_STALL.as_secs()
                )))
            })?
            .map_err(|err| kafka_error(format!("read {topic}"), err))?;
        records += 1;
        apply(
            message.payload().unwrap_or_default(),
            (message.partition(), message.offset()),
        );
        if remaining
            .get(&message.partition())
            .is_some_and(|end| message.offset() + 1 >= *end)
        {
            remaining.remove(&message.partition());
        }
    }
    Ok(records)
}
