//! Creating the topics baocao writes to, when they are missing.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;

use crate::{Error, KafkaConfig, Result};

/// Creates `config.reports_topic` if it does not exist, keeping every record
/// (`retention.ms=-1`): gateways rebuild their submission index from it, and a cluster's
/// default retention (7 days on stock Kafka) would let a reused id through. An existing
/// topic is left as is.
pub async fn ensure_reports_topic(config: &KafkaConfig) -> Result<()> {
    create_topic(
        config,
        &config.reports_topic,
        config.topic_partitions,
        &[("retention.ms", "-1")],
    )
    .await
}

/// Creates a topic that keeps every record (`retention.ms=-1`) if it does not exist: a
/// log that is replayed from its beginning (the reminders sent).
pub async fn ensure_kept_topic(config: &KafkaConfig, topic: &str, partitions: i32) -> Result<()> {
    create_topic(config, topic, partitions, &[("retention.ms", "-1")]).await
}

/// Creates a topic with the configured replication if it does not exist.
pub async fn ensure_topic(config: &KafkaConfig, topic: &str, partitions: i32) -> Result<()> {
    create_topic(config, topic, partitions, &[]).await
}

async fn create_topic(
    config: &KafkaConfig,
    topic: &str,
    partitions: i32,
    settings: &[(&str, &str)],
) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = config
        .client_config()
        .create()
        .map_err(|err| Error::client("create the admin client", err))?;
    let mut new_topic = NewTopic::new(
        topic,
        partitions,
        TopicReplication::Fixed(config.topic_replication),
    );
    let max_bytes = config.record_frame_bytes().to_string();
    new_topic = new_topic.set("max.message.bytes", &max_bytes);
    for (key, value) in settings {
        new_topic = new_topic.set(key, value);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics([&new_topic], &options)
        .await
        .map_err(|err| Error::client(format!("create topic {topic}"), err))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(Error::CreateTopic { topic: name, code }),
        }
    }
    wait_until_led(&admin, topic).await
}

/// How long a new topic may take to have a leader for every partition.
const TOPIC_READY_WAIT: Duration = Duration::from_secs(30);

/// Waits until the cluster's metadata shows `topic` with every partition led: on a
/// multi-broker cluster a topic is created before its partitions have leaders, and a
/// consumer that reads its metadata at once would see none.
async fn wait_until_led(admin: &AdminClient<DefaultClientContext>, topic: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + TOPIC_READY_WAIT;
    loop {
        let metadata = admin
            .inner()
            .fetch_metadata(Some(topic), Duration::from_secs(5));
        let ready = metadata.as_ref().is_ok_and(|m| {
            m.topics().iter().any(|t| {
                t.error().is_none()
                    && !t.partitions().is_empty()
                    && t.partitions().iter().all(|p| p.leader() >= 0)
            })
        });
        if ready {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(Error::Unavailable(format!(
                "topic {topic} has no leader for every partition {} s after it was created",
                TOPIC_READY_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The partitions of `topic` as `client`'s broker sees them, waiting up to
/// [`TOPIC_READY_WAIT`] while it sees none: on a cluster of several brokers a topic just
/// created by another client reaches each broker's metadata a moment later.
pub async fn topic_partitions<C: rdkafka::client::ClientContext>(
    client: &rdkafka::client::Client<C>,
    topic: &str,
) -> Result<Vec<i32>> {
    let deadline = std::time::Instant::now() + TOPIC_READY_WAIT;
    loop {
        let metadata = client
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .map_err(|err| Error::client(format!("metadata of {topic}"), err));
        let partitions: Vec<i32> = match &metadata {
            Ok(m) => m
                .topics()
                .iter()
                .filter(|t| t.error().is_none())
                .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                .collect(),
            Err(_) => Vec::new(),
        };
        if !partitions.is_empty() {
            return Ok(partitions);
        }
        if std::time::Instant::now() > deadline {
            metadata?;
            return Err(Error::Unavailable(format!(
                "topic {topic} has no partitions after {} s (does it exist?)",
                TOPIC_READY_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs `read` (a watermark or offset call about a topic just created) again for up to
/// [`TOPIC_READY_WAIT`] while the broker answers that it does not know the topic or the
/// partition's leader yet, as a cluster's brokers do for a moment after creation.
pub async fn retry_while_unknown<T>(
    mut read: impl FnMut() -> rdkafka::error::KafkaResult<T>,
) -> rdkafka::error::KafkaResult<T> {
    let deadline = std::time::Instant::now() + TOPIC_READY_WAIT;
    loop {
        match read() {
            Err(err) if not_known_yet(&err) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            answer => return answer,
        }
    }
}

/// Whether `err` says the broker does not know a topic, partition or leader yet.
fn not_known_yet(err: &rdkafka::error::KafkaError) -> bool {
    matches!(
        err.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::UnknownPartition
                | RDKafkaErrorCode::UnknownTopic
                | RDKafkaErrorCode::LeaderNotAvailable
                | RDKafkaErrorCode::NotLeaderForPartition
        )
    )
}

/// The (low, high) watermarks of every partition of `topic`, waiting (as
/// [`topic_partitions`] and [`retry_while_unknown`] do) for a topic just created to
/// reach `consumer`'s brokers.
pub async fn topic_watermarks<C, K>(
    consumer: &K,
    topic: &str,
) -> Result<std::collections::HashMap<i32, (i64, i64)>>
where
    C: rdkafka::consumer::ConsumerContext,
    K: rdkafka::consumer::Consumer<C>,
{
    let timeout = Duration::from_secs(10);
    let mut ends = std::collections::HashMap::new();
    for partition in topic_partitions(consumer.client(), topic).await? {
        let watermarks =
            retry_while_unknown(|| consumer.fetch_watermarks(topic, partition, timeout))
                .await
                .map_err(|err| Error::client(format!("watermarks of {topic}"), err))?;
        ends.insert(partition, watermarks);
    }
    Ok(ends)
}
