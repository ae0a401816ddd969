//! Where a front door reads the time: the machine's clock in production, and a campaign
//! clock for replays (the demo and the benchmarks replay a past campaign so that its
//! deadlines fall inside the replay; tests move it by hand).

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// Where a front door reads the time: receipts, "today" for date checks and campaign
/// windows. Production uses [`SystemClock`]; `baocao demo` replays a past campaign with a
/// simulated clock so its deadlines fall inside the replay.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A campaign clock: front doors read it instead of the machine's clock, so a past
/// campaign can be replayed. It stands still where it is set, or runs at real speed from
/// a campaign instant ([`CampaignClock::running_from`]).
pub struct CampaignClock {
    /// Campaign time minus machine time, in ms (a standing clock: the instant itself).
    offset_ms: AtomicI64,
    /// Whether the clock follows the machine's clock (else it stands at `offset_ms`).
    running: bool,
}

impl CampaignClock {
    /// A clock standing at `at` until [`CampaignClock::set`].
    pub fn standing_at(at: DateTime<Utc>) -> Self {
        CampaignClock {
            offset_ms: AtomicI64::new(at.timestamp_millis()),
            running: false,
        }
    }

    /// A clock that reads `at` now and advances in real time.
    pub fn running_from(at: DateTime<Utc>) -> Self {
        CampaignClock {
            offset_ms: AtomicI64::new(at.timestamp_millis() - Utc::now().timestamp_millis()),
            running: true,
        }
    }

    /// Moves a standing clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        self.offset_ms
            .store(at.timestamp_millis(), Ordering::SeqCst);
    }
}

impl Clock for CampaignClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = self.offset_ms.load(Ordering::SeqCst);
        let ms = if self.running {
            Utc::now().timestamp_millis() + offset
        } else {
            offset
        };
        DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }
}
