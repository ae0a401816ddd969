//! Landing the reviews topic: every review decision (`ReviewEvent`) as a row of the raw
//! `reviews` table, `reviews/campaign=<id>/part-<uuid>.parquet`. Decisions are few (one
//! per version reviewed), so what has arrived is written at once (one file per campaign,
//! at most 1,000 decisions) and committed; offsets are committed only after the files
//! are durable, as for reports.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use baocao_kafka::KafkaConfig;
use baocao_proto::v1::ReviewEvent;
use baocao_store::Store;
use baocao_tables::layout;
use prost::Message as _;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::{Error, LandingConfig, Result, RunMode};

/// A failed call on the reviews topic.
fn client_error(source: rdkafka::error::KafkaError) -> Error {
    Error::Client {
        action: "consume the reviews topic",
        source,
    }
}

/// What a reviews landing did.
#[derive(Clone, Debug, Default)]
pub struct ReviewsLanded {
    /// Decisions landed.
    pub rows: u64,
    /// Records that were not review decisions (skipped).
    pub skipped: u64,
    /// Files written.
    pub files: u64,
}

/// Lands the reviews topic into `landing` (group `<landing.group_id>-reviews`), until
/// `shutdown` or, in [`RunMode::UntilCaughtUp`], until what the topic held at start is
/// landed.
pub async fn land_reviews(
    kafka: &KafkaConfig,
    config: &LandingConfig,
    landing: &Store,
    mode: RunMode,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<ReviewsLanded> {
    if kafka.create_topic {
        baocao_kafka::ensure_kept_topic(kafka, &kafka.reviews_topic, kafka.topic_partitions)
            .await?;
    }
    let consumer: StreamConsumer = kafka
        .client_config()
        .set("group.id", format!("{}-reviews", config.group_id))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        .create()
        .map_err(client_error)?;
    let topic = kafka.reviews_topic.as_str();
    let targets = assign_from_committed(&consumer, topic).await?;
    let mut next: HashMap<i32, i64> = targets.iter().map(|(p, (from, _))| (*p, *from)).collect();
    let mut landed = ReviewsLanded::default();
    tokio::pin!(shutdown);
    loop {
        let caught_up = targets
            .iter()
            .all(|(p, (_, high))| next.get(p).copied().unwrap_or(0) >= *high);
        if mode == RunMode::UntilCaughtUp && caught_up {
            break;
        }
        let message = tokio::select! {
            _ = &mut shutdown => break,
            message = tokio::time::timeout(Duration::from_millis(500), consumer.recv()) => message,
        };
        let Ok(message) = message else { continue };
        let mut events = vec![];
        take(
            message.map_err(client_error)?,
            &mut next,
            &mut events,
            &mut landed,
        );
        // What else has arrived goes into the same files (one per campaign), not a file
        // per decision.
        while events.len() < MAX_BATCH {
            let Ok(more) = tokio::time::timeout(Duration::from_millis(50), consumer.recv()).await
            else {
                break;
            };
            take(
                more.map_err(client_error)?,
                &mut next,
                &mut events,
                &mut landed,
            );
        }
        write(landing, &events, &mut landed).await?;
        commit(&consumer, topic, &next)?;
    }
    Ok(landed)
}

/// Decisions written to one set of files at most.
const MAX_BATCH: usize = 1_000;

/// Notes `message`'s position and keeps its decision (a record that is not one is
/// counted as skipped).
fn take(
    message: rdkafka::message::BorrowedMessage<'_>,
    next: &mut HashMap<i32, i64>,
    events: &mut Vec<baocao_tables::LoggedReview>,
    landed: &mut ReviewsLanded,
) {
    next.insert(message.partition(), message.offset() + 1);
    match message.payload().map(ReviewEvent::decode) {
        Some(Ok(event)) => events.push((event, (message.partition(), message.offset()))),
        _ => landed.skipped += 1,
    }
}

/// Assigns every partition of `topic` from its committed offset (the beginning for a new
/// group); returns (start, high watermark) per partition.
async fn assign_from_committed(
    consumer: &StreamConsumer,
    topic: &str,
) -> Result<HashMap<i32, (i64, i64)>> {
    let timeout = Duration::from_secs(10);
    let mut wanted = TopicPartitionList::new();
    for partition in baocao_kafka::topic_partitions(consumer.client(), topic).await? {
        wanted.add_partition(topic, partition);
    }
    let committed = consumer
        .committed_offsets(wanted, timeout)
        .map_err(client_error)?;
    let mut assignment = TopicPartitionList::new();
    let mut targets = HashMap::new();
    for element in committed.elements() {
        let (low, high) = baocao_kafka::retry_while_unknown(|| {
            consumer.fetch_watermarks(topic, element.partition(), timeout)
        })
        .await
        .map_err(client_error)?;
        let from = match element.offset() {
            Offset::Offset(offset) => offset,
            _ => low,
        };
        assignment
            .add_partition_offset(topic, element.partition(), Offset::Offset(from))
            .map_err(client_error)?;
        targets.insert(element.partition(), (from, high));
    }
    consumer.assign(&assignment).map_err(client_error)?;
    Ok(targets)
}

/// Writes `events`, one file per campaign.
async fn write(
    landing: &Store,
    events: &[baocao_tables::LoggedReview],
    landed: &mut ReviewsLanded,
) -> Result<()> {
    let mut by_campaign: BTreeMap<&str, Vec<baocao_tables::LoggedReview>> = BTreeMap::new();
    for (event, position) in events {
        by_campaign
            .entry(event.campaign_id.as_str())
            .or_default()
            .push((event.clone(), *position));
    }
    for (campaign, events) in by_campaign {
        let batch = baocao_tables::review_rows(&events)?;
        let key = format!(
            "{}/part-{}.parquet",
            layout::campaign_key(layout::REVIEWS, campaign),
            uuid::Uuid::now_v7()
        );
        landing.put_parquet(&key, batch).await?;
        landed.rows += events.len() as u64;
        landed.files += 1;
    }
    Ok(())
}

/// Commits `next` (the next offset per partition), synchronously.
fn commit(consumer: &StreamConsumer, topic: &str, next: &HashMap<i32, i64>) -> Result<()> {
    let mut offsets = TopicPartitionList::new();
    for (partition, offset) in next {
        offsets
            .add_partition_offset(topic, *partition, Offset::Offset(*offset))
            .map_err(client_error)?;
    }
    consumer
        .commit(&offsets, CommitMode::Sync)
        .map_err(client_error)?;
    Ok(())
}
