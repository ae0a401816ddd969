//! What the dashboards keep between requests: per scope, the catalog session over the
//! summaries; per view, the tables read from it; and the contacts of the accounts. All of
//! it is dropped when `baocao rollup` writes a summary (each `lineage.json` and when it
//! was written, listed at most every [`RECHECK`]), so a page is never older than the
//! newest summary by more than that; contacts are read again after [`CONTACTS_TTL`].
//! Fifty people opening the same province's dashboard cost one query, not fifty.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use baocao_errors::Chain;
use baocao_store::Store;
use datafusion::prelude::SessionContext;
use tokio::sync::{Mutex, OnceCell};

use crate::pages::ViewTables;

/// How long a listing of the summaries is trusted.
pub const RECHECK: Duration = Duration::from_secs(2);

/// How long the accounts' contacts are kept.
pub const CONTACTS_TTL: Duration = Duration::from_secs(30);

/// Views kept per summary generation; beyond it the oldest generation's views are
/// dropped all at once (a province has a few hundred areas; this is a bound, not a
/// tuning).
const MAX_VIEWS: usize = 4096;

/// What identifies the summaries written so far: each lineage file and when it was
/// written (also what the live updates compare).
pub type Fingerprint = Vec<(String, Option<chrono::DateTime<chrono::Utc>>)>;

/// The summaries' fingerprint (empty when they cannot be listed: logged).
pub async fn fingerprint(summaries: &Store) -> Fingerprint {
    match summaries.list().await {
        Ok(files) => files
            .into_iter()
            .filter(|f| f.relative.ends_with("lineage.json"))
            .map(|f| (f.relative, f.modified))
            .collect(),
        Err(err) => {
            tracing::warn!(error = %Chain(&err), "portal: listing the summaries failed");
            Vec::new()
        }
    }
}

/// What a scope's dashboards share: the tables the scope sees (in memory: `units`,
/// `summaries`, `late_and_missing`), its units, the (campaign, milestone) pairs with a
/// summary (oldest first), when each unit first reported, and the unit kinds of the
/// register (code, name) for the filter.
pub struct ScopeCatalog {
    pub ctx: SessionContext,
    pub units: RecordBatch,
    pub written: Vec<(String, String)>,
    pub firsts: Vec<FirstReport>,
    pub kinds: Vec<(String, String)>,
}

/// When a unit first reported in a campaign.
#[derive(Clone, Debug)]
pub struct FirstReport {
    pub campaign: String,
    pub unit_code: String,
    /// Unix seconds.
    pub at: i64,
}

/// Unit code → how to reach its people ("name (phone, e-mail)"; several joined by "; ").
pub type Contacts = HashMap<String, String>;

/// The portal's dashboard cache.
pub type PortalCache = DashboardCache<ScopeCatalog, ViewTables, Contacts>;

/// Values computed once per key and summary generation; concurrent askers of a key
/// wait for the one computation.
struct Cells<K, V> {
    cells: HashMap<K, Arc<OnceCell<Arc<V>>>>,
}

impl<K: Eq + Hash, V> Default for Cells<K, V> {
    fn default() -> Self {
        Cells {
            cells: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash, V> Cells<K, V> {
    fn cell(&mut self, key: K) -> Arc<OnceCell<Arc<V>>> {
        if self.cells.len() >= MAX_VIEWS {
            self.cells.clear();
        }
        self.cells.entry(key).or_default().clone()
    }
}

struct Generation<S, T> {
    checked: Option<Instant>,
    fingerprint: Fingerprint,
    scopes: Cells<String, S>,
    views: Cells<(String, String), T>,
}

/// The dashboard cache: `S` is what a scope's requests share (its catalog session),
/// `T` what one view shows (its tables); `C` the contacts.
pub struct DashboardCache<S, T, C> {
    generation: Mutex<Generation<S, T>>,
    contacts: Mutex<Option<(Instant, Arc<C>)>>,
}

impl<S, T, C> Default for DashboardCache<S, T, C> {
    fn default() -> Self {
        DashboardCache {
            generation: Mutex::new(Generation {
                checked: None,
                fingerprint: Vec::new(),
                scopes: Cells::default(),
                views: Cells::default(),
            }),
            contacts: Mutex::new(None),
        }
    }
}

impl<S, T, C> DashboardCache<S, T, C> {
    /// Drops everything when the summaries changed since last looked at (looked at no
    /// more often than every [`RECHECK`]).
    pub async fn follow(&self, summaries: &Store) {
        let mut generation = self.generation.lock().await;
        if generation.checked.is_some_and(|at| at.elapsed() < RECHECK) {
            return;
        }
        let now = fingerprint(summaries).await;
        if now != generation.fingerprint {
            generation.fingerprint = now;
            generation.scopes = Cells::default();
            generation.views = Cells::default();
        }
        generation.checked = Some(Instant::now());
    }

    /// What `scope`'s requests share, computed by `make` on first use.
    pub async fn scope<E, F>(&self, scope: &str, make: F) -> Result<Arc<S>, E>
    where
        F: Future<Output = Result<S, E>>,
    {
        let cell = self.generation.lock().await.scopes.cell(scope.to_string());
        cell.get_or_try_init(|| async { make.await.map(Arc::new) })
            .await
            .cloned()
    }

    /// What the view `key` of `scope` shows, computed by `make` on first use.
    pub async fn view<E, F>(&self, scope: &str, key: String, make: F) -> Result<Arc<T>, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let cell = self
            .generation
            .lock()
            .await
            .views
            .cell((scope.to_string(), key));
        cell.get_or_try_init(|| async { make.await.map(Arc::new) })
            .await
            .cloned()
    }

    /// The contacts, read again by `make` when older than [`CONTACTS_TTL`].
    pub async fn contacts<F>(&self, make: F) -> Arc<C>
    where
        F: Future<Output = C>,
    {
        let mut contacts = self.contacts.lock().await;
        if let Some((at, kept)) = contacts.as_ref()
            && at.elapsed() < CONTACTS_TTL
        {
            return kept.clone();
        }
        let fresh = Arc::new(make.await);
        *contacts = Some((Instant::now(), fresh.clone()));
        fresh
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    type Cache = DashboardCache<usize, usize, usize>;
    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[tokio::test]
    async fn concurrent_askers_of_a_view_share_one_computation() -> TestResult {
        let cache = Arc::new(Cache::default());
        let made = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (cache, made) = (cache.clone(), made.clone());
            tasks.spawn(async move {
                cache
                    .view("44", "area=44".into(), async {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, &str>(made.fetch_add(1, Ordering::SeqCst))
                    })
                    .await
            });
        }
        while let Some(joined) = tasks.join_next().await {
            assert_eq!(*joined??, 0);
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        let other = cache.view("38", "area=44".into(), async { Ok::<_, &str>(7) });
        assert_eq!(*other.await?, 7, "another scope is another entry");
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_computation_is_not_kept() -> TestResult {
        let cache = Cache::default();
        let failed = cache.scope("44", async { Err::<usize, _>("broken") }).await;
        assert_eq!(failed, Err("broken"));
        let next = cache.scope("44", async { Ok::<_, &str>(3) }).await;
        assert_eq!(*next?, 3);
        Ok(())
    }

    #[tokio::test]
    async fn a_new_summary_drops_what_was_kept() -> TestResult {
        let dir = tempfile::tempdir()?;
        let summaries = Store::local(dir.path());
        let cache = Cache::default();
        let kept = |n: usize| cache.scope("44", async move { Ok::<_, &str>(n) });
        cache.follow(&summaries).await;
        kept(1).await?;
        assert_eq!(*kept(2).await?, 1, "kept while the summaries are unchanged");

        let milestone = dir.path().join("thanh-hoa-2023/levels-approved");
        std::fs::create_dir_all(&milestone)?;
        std::fs::write(milestone.join("lineage.json"), "{}")?;
        cache.follow(&summaries).await;
        assert_eq!(*kept(3).await?, 1, "not listed again within RECHECK");
        tokio::time::sleep(RECHECK).await;
        cache.follow(&summaries).await;
        assert_eq!(*kept(4).await?, 4, "a new lineage file is a new generation");
        Ok(())
    }
}
