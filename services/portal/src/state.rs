//! What every request handler shares: the accounts database, the submission core, the
//! review desk and where the dashboards read.

use std::sync::Arc;

use baocao_accounts::AccountStore;
use baocao_submission::SubmissionCore;
use baocao_submission::reviews::ReviewDesk;

use crate::cache::PortalCache;

/// Where the dashboards read: the landed history and the summaries `baocao rollup` writes
/// (the same locations as `landing.dir` and `rollup.out_dir`).
#[derive(Clone, Debug)]
pub struct PortalSources {
    /// Root of the raw landing tables.
    pub landing: baocao_store::Store,
    /// Root of the summaries.
    pub summaries: baocao_store::Store,
}

/// The portal's shared state. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: AccountStore,
    core: Arc<SubmissionCore>,
    reviews: Arc<ReviewDesk>,
    sources: PortalSources,
    secure_cookies: bool,
    dashboards: PortalCache,
}

impl AppState {
    pub fn new(
        accounts: AccountStore,
        core: Arc<SubmissionCore>,
        reviews: Arc<ReviewDesk>,
        sources: PortalSources,
        secure_cookies: bool,
    ) -> Self {
        AppState {
            inner: Arc::new(Inner {
                accounts,
                core,
                reviews,
                sources,
                secure_cookies,
                dashboards: PortalCache::default(),
            }),
        }
    }

    /// Where the landed history and the summaries are read.
    pub fn sources(&self) -> &PortalSources {
        &self.inner.sources
    }

    pub fn accounts(&self) -> &AccountStore {
        &self.inner.accounts
    }

    pub fn core(&self) -> &SubmissionCore {
        &self.inner.core
    }

    /// The review desk: decisions on versions and each unit's review status.
    pub fn reviews(&self) -> &ReviewDesk {
        &self.inner.reviews
    }

    /// What the dashboards keep between requests.
    pub fn dashboards(&self) -> &PortalCache {
        &self.inner.dashboards
    }

    /// Whether cookies are marked `Secure` (the listener speaks TLS).
    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }
}
