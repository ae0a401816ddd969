//! What every request handler shares: the accounts database, the submission core, the
//! review desk, where the dashboards read, the sign-in throttle and who the proxies are.

use std::sync::{Arc, Mutex};

use baocao_accounts::AccountStore;
use baocao_accounts::throttle::{SignInThrottle, ThrottlePolicy};
use baocao_signing::Signer;
use baocao_submission::SubmissionCore;
use baocao_submission::reviews::ReviewDesk;

use crate::cache::PortalCache;
use crate::client::TrustedProxies;

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
    throttle: Mutex<SignInThrottle>,
    proxies: TrustedProxies,
    receipts: Option<(Arc<Signer>, String)>,
}

/// What the portal's state is made of.
pub struct StateParts {
    pub accounts: AccountStore,
    pub core: Arc<SubmissionCore>,
    pub reviews: Arc<ReviewDesk>,
    pub sources: PortalSources,
    /// The listener speaks TLS.
    pub secure: bool,
    pub throttle: ThrottlePolicy,
    pub proxies: TrustedProxies,
    /// The receipt signer and the reports topic receipts name; none: unsigned.
    pub receipts: Option<(Arc<Signer>, String)>,
}

impl AppState {
    pub fn new(parts: StateParts) -> Self {
        AppState {
            inner: Arc::new(Inner {
                accounts: parts.accounts,
                core: parts.core,
                reviews: parts.reviews,
                sources: parts.sources,
                secure_cookies: parts.secure,
                dashboards: PortalCache::default(),
                throttle: Mutex::new(SignInThrottle::new(parts.throttle)),
                proxies: parts.proxies,
                receipts: parts.receipts,
            }),
        }
    }

    /// Runs `f` on the sign-in throttle (a short critical section, no await inside).
    pub fn throttle<T>(&self, f: impl FnOnce(&mut SignInThrottle) -> T) -> T {
        let mut guard = match self.inner.throttle.lock() {
            Ok(guard) => guard,
            // A panic while holding it left plain counters: keep using them.
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// The receipt signer and the topic receipts name, when receipts are signed.
    pub fn receipts(&self) -> Option<&(Arc<Signer>, String)> {
        self.inner.receipts.as_ref()
    }

    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub fn proxies(&self) -> &TrustedProxies {
        &self.inner.proxies
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

    /// Whether cookies are marked `Secure` and answers carry HSTS (the listener speaks TLS).
    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }
}
