//! A registry that follows its data directory while a server runs: a campaign file added,
//! changed or removed takes effect within seconds, without a restart (as token files do),
//! and what changed is logged. A file that does not load is logged and the registry in
//! use is kept.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use crate::Registry;
use crate::registry::sorted_files;
use baocao_errors::Chain;

/// How often, at most, the campaign files are looked at (one directory listing).
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// What the campaign files looked like: (file, modified, length) of each.
type Fingerprint = Vec<(PathBuf, Option<SystemTime>, u64)>;

/// The registry in use, reloaded when the campaign files change.
pub struct LiveRegistry {
    current: RwLock<Arc<Registry>>,
    seen: Mutex<(Instant, Fingerprint)>,
}

/// The campaign files the registry loads (the same listing), with their modification
/// times and lengths.
fn fingerprint(registry: &Registry) -> Fingerprint {
    sorted_files(&registry.dir().join("campaigns"), "toml")
        .unwrap_or_default()
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            (path, modified, meta.map_or(0, |m| m.len()))
        })
        .collect()
}

impl LiveRegistry {
    /// Follows the data directory `registry` was loaded from.
    pub fn new(registry: Arc<Registry>) -> Self {
        let seen = fingerprint(&registry);
        LiveRegistry {
            current: RwLock::new(registry),
            seen: Mutex::new((Instant::now(), seen)),
        }
    }

    /// The registry to use now: reloaded first if the campaign files changed since the
    /// last look (looked at most once a second).
    pub fn current(&self) -> Arc<Registry> {
        let registry = self.snapshot();
        if let Some(fresh) = self.reload_if_changed(&registry) {
            return fresh;
        }
        registry
    }

    fn snapshot(&self) -> Arc<Registry> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn reload_if_changed(&self, registry: &Registry) -> Option<Arc<Registry>> {
        // One caller looks (and reloads) at a time; the others go on with the registry in
        // use instead of waiting on a reload.
        let mut seen = self.seen.try_lock().ok()?;
        if seen.0.elapsed() < CHECK_EVERY {
            return None;
        }
        seen.0 = Instant::now();
        let now = fingerprint(registry);
        if now == seen.1 {
            return None;
        }
        seen.1 = now;
        match Registry::load_register(registry.dir(), &registry.reload_choice()) {
            Ok(fresh) => {
                log_changes(registry, &fresh);
                let fresh = Arc::new(fresh);
                if let Ok(mut current) = self.current.write() {
                    *current = fresh.clone();
                }
                Some(fresh)
            }
            Err(err) => {
                tracing::warn!(error = %Chain(&err), "campaign files changed but do not load; keeping the campaigns in use");
                None
            }
        }
    }
}

/// Logs the campaigns added, changed and removed between two registries, and warns when
/// an added or changed one falls outside the register's period of validity.
fn log_changes(before: &Registry, after: &Registry) {
    for campaign in after.campaigns() {
        match before.campaign(&campaign.id) {
            None => {
                tracing::info!(campaign = %campaign.id, opens_on = %campaign.opens_on, "campaign added")
            }
            Some(old) if old != campaign => {
                tracing::info!(campaign = %campaign.id, "campaign changed")
            }
            Some(_) => continue,
        }
        if let Some(warning) = after.register().and_then(|r| r.mismatch(campaign)) {
            tracing::warn!("{warning}");
        }
    }
    for campaign in before.campaigns() {
        if after.campaign(&campaign.id).is_none() {
            tracing::info!(campaign = %campaign.id, "campaign removed");
        }
    }
}
