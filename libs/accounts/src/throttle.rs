//! Sign-in throttling that an attacker cannot turn against the people it protects. Pure
//! logic (the caller passes the time), so every rule is tested without a server.
//!
//! User names are unit codes, and unit codes are public: a lock per account lets anyone
//! lock a province out. So nothing here ever locks. What is limited:
//! - **a client address** (IPv6 by its /64): failed sign-ins from it drain a bucket
//!   (30 at once, then 10 a minute); an empty bucket makes the address wait, whatever
//!   name it types;
//! - **one name from one address, or from one known device**: 5 wrong passwords free, then
//!   each further attempt waits 1 s, 2 s, 4 s … up to 15 minutes;
//! - **one name from every unknown device together**: 20 free, then the same doubling
//!   wait, which a *known device* (a browser that signed in to that name before, holding
//!   the server's signed device cookie) never meets;
//! - **the whole portal**: failed sign-ins from unknown devices drain a global bucket
//!   (300 at once, then 20 a second); when it is empty only known devices get through.
//!
//! Every key is the name as typed, whether or not an account has it, so the answers and
//! their timing say nothing about which names exist. The department ends a name's waits
//! with `baocao account unlock` ([`SignInThrottle::clear_before`]).

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The limits (`[portal.sign_in]`); the defaults are the policy of docs/security.md.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottlePolicy {
    /// Failed sign-ins one client address may make at once (a school or a commune office
    /// behind one shared address included).
    pub address_burst: u32,
    /// ... and then per minute.
    pub address_per_minute: u32,
    /// Wrong passwords for one name from one address (or one known device) before each
    /// further attempt from there waits.
    pub pair_free_failures: u32,
    /// Wrong passwords for one name from unknown devices, every address together, before
    /// each further attempt from an unknown device waits.
    pub account_free_failures: u32,
    /// The longest wait; waits double from one second up to it.
    pub max_wait_minutes: u32,
    /// Failed sign-ins from unknown devices the whole portal absorbs at once.
    pub global_burst: u32,
    /// ... and then per second.
    pub global_per_second: u32,
    /// Most addresses and names followed at once (memory stays bounded under a
    /// distributed attack; past it, unknown devices wait until older entries expire).
    pub max_tracked: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            address_burst: 30,
            address_per_minute: 10,
            pair_free_failures: 5,
            account_free_failures: 20,
            max_wait_minutes: 15,
            global_burst: 300,
            global_per_second: 20,
            max_tracked: 200_000,
        }
    }
}

/// Where an attempt comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A client address (IPv6 kept to its /64, the block one subscriber gets).
    Address(IpAddr),
    /// A browser that signed in to this name before (the device cookie's id).
    KnownDevice(String),
}

impl Origin {
    /// The origin of a client address.
    pub fn address(address: IpAddr) -> Origin {
        Origin::Address(network_of(address))
    }
}

/// The part of an address that identifies a client: IPv4 whole, IPv6 by its /64, an
/// IPv4-mapped IPv6 address as the IPv4 address.
pub fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

/// Why an attempt must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitReason {
    /// Too many failures from this address, whatever names.
    Address,
    /// Too many wrong passwords for this name from here.
    NameFromHere,
    /// Too many wrong passwords for this name from unknown devices.
    Name,
    /// The portal as a whole is absorbing too many failures.
    Busy,
}

/// The throttle's answer to an attempt about to be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Check the password.
    Proceed,
    /// Do not check it; try again at `until`.
    Wait {
        /// When an attempt is allowed again.
        until: DateTime<Utc>,
        /// Which limit was met.
        reason: WaitReason,
    },
}

/// A bucket of failures: `capacity` at once, refilled at `per_second`.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl Bucket {
    fn full(capacity: f64, now: DateTime<Utc>) -> Bucket {
        Bucket {
            tokens: capacity,
            at: now,
        }
    }

    fn refill(&mut self, capacity: f64, per_second: f64, now: DateTime<Utc>) {
        let elapsed = (now - self.at).num_milliseconds().max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * per_second).min(capacity);
        self.at = now;
    }

    /// When one token will be there (now if there is one).
    fn ready_at(&self, per_second: f64) -> DateTime<Utc> {
        if self.tokens >= 1.0 || per_second <= 0.0 {
            return self.at;
        }
        let wait_ms = ((1.0 - self.tokens) / per_second * 1000.0).ceil() as i64;
        self.at + Duration::milliseconds(wait_ms)
    }
}

/// Wrong passwords in a row, and when the last one and the first one were.
#[derive(Clone, Copy, Debug)]
struct Streak {
    failures: u32,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// The throttle's state: one per portal process.
#[derive(Debug)]
pub struct SignInThrottle {
    policy: ThrottlePolicy,
    addresses: HashMap<IpAddr, Bucket>,
    pairs: HashMap<(String, Origin), Streak>,
    names: HashMap<String, Streak>,
    global: Option<Bucket>,
    pruned_at: Option<DateTime<Utc>>,
}

impl SignInThrottle {
    /// An empty throttle with `policy`.
    pub fn new(policy: ThrottlePolicy) -> Self {
        SignInThrottle {
            policy,
            addresses: HashMap::new(),
            pairs: HashMap::new(),
            names: HashMap::new(),
            global: None,
            pruned_at: None,
        }
    }

    /// The limits in force.
    pub fn policy(&self) -> &ThrottlePolicy {
        &self.policy
    }

    fn address_rate(&self) -> (f64, f64) {
        (
            f64::from(self.policy.address_burst.max(1)),
            f64::from(self.policy.address_per_minute) / 60.0,
        )
    }

    fn global_rate(&self) -> (f64, f64) {
        (
            f64::from(self.policy.global_burst.max(1)),
            f64::from(self.policy.global_per_second),
        )
    }

    fn max_wait(&self) -> Duration {
        Duration::minutes(i64::from(self.policy.max_wait_minutes.max(1)))
    }

    /// When a streak lets the next attempt in: at once below `free` failures, then after
    /// 1 s, 2 s, 4 s … capped at the longest wait.
    fn streak_ready_at(&self, streak: &Streak, free: u32) -> DateTime<Utc> {
        if streak.failures < free.max(1) {
            return streak.last;
        }
        let doublings = (streak.failures - free.max(1)).min(20);
        let wait = Duration::seconds(1i64 << doublings).min(self.max_wait());
        streak.last + wait
    }

    /// Whether `name` may have its password checked now from `origin`. An attempt let in
    /// is charged at once, as if it failed (so concurrent attempts cannot slip past a
    /// limit together); [`Self::succeeded`] takes the charge back. A wait costs nothing.
    pub fn check(&mut self, name: &str, origin: &Origin, now: DateTime<Utc>) -> Verdict {
        let verdict = self.verdict(name, origin, now);
        if verdict == Verdict::Proceed {
            self.charge(name, origin, now);
        }
        verdict
    }

    fn verdict(&mut self, name: &str, origin: &Origin, now: DateTime<Utc>) -> Verdict {
        self.prune(now);
        let wait = |until: DateTime<Utc>, reason| Verdict::Wait { until, reason };
        if let Origin::Address(address) = origin {
            let (capacity, rate) = self.address_rate();
            if let Some(bucket) = self.addresses.get_mut(address) {
                bucket.refill(capacity, rate, now);
                if bucket.tokens < 1.0 {
                    return wait(bucket.ready_at(rate), WaitReason::Address);
                }
            } else if self.full() {
                return wait(now + Duration::minutes(1), WaitReason::Busy);
            }
        }
        if let Some(streak) = self.pairs.get(&(name.to_string(), origin.clone())) {
            let ready = self.streak_ready_at(streak, self.policy.pair_free_failures);
            if ready > now {
                return wait(ready, WaitReason::NameFromHere);
            }
        }
        if matches!(origin, Origin::KnownDevice(_)) {
            return Verdict::Proceed;
        }
        if let Some(streak) = self.names.get(name) {
            let ready = self.streak_ready_at(streak, self.policy.account_free_failures);
            if ready > now {
                return wait(ready, WaitReason::Name);
            }
        }
        let (capacity, rate) = self.global_rate();
        let global = self
            .global
            .get_or_insert_with(|| Bucket::full(capacity, now));
        global.refill(capacity, rate, now);
        if global.tokens < 1.0 {
            return wait(global.ready_at(rate), WaitReason::Busy);
        }
        Verdict::Proceed
    }

    /// Records that the attempt let in was refused (a wrong password or an unknown name):
    /// its charge stays, and the waits count from now.
    pub fn failed(&mut self, name: &str, origin: &Origin, now: DateTime<Utc>) {
        if let Some(streak) = self.pairs.get_mut(&(name.to_string(), origin.clone())) {
            streak.last = streak.last.max(now);
        }
        if matches!(origin, Origin::Address(_))
            && let Some(streak) = self.names.get_mut(name)
        {
            streak.last = streak.last.max(now);
        }
    }

    /// Charges an attempt let in: one more in a row for the name from there (and from
    /// unknown devices), one token of the address and of the whole portal.
    fn charge(&mut self, name: &str, origin: &Origin, now: DateTime<Utc>) {
        bump(&mut self.pairs, (name.to_string(), origin.clone()), now);
        let Origin::Address(address) = origin else {
            return;
        };
        let (capacity, rate) = self.address_rate();
        let bucket = self
            .addresses
            .entry(*address)
            .or_insert_with(|| Bucket::full(capacity, now));
        bucket.refill(capacity, rate, now);
        bucket.tokens -= 1.0;
        bump(&mut self.names, name.to_string(), now);
        let (capacity, rate) = self.global_rate();
        let global = self
            .global
            .get_or_insert_with(|| Bucket::full(capacity, now));
        global.refill(capacity, rate, now);
        global.tokens -= 1.0;
    }

    /// Records the right password: the name's waits from there and from unknown devices
    /// end, and the attempt's tokens are given back.
    pub fn succeeded(&mut self, name: &str, origin: &Origin) {
        self.pairs.remove(&(name.to_string(), origin.clone()));
        self.names.remove(name);
        let Origin::Address(address) = origin else {
            return;
        };
        let (capacity, _) = self.address_rate();
        if let Some(bucket) = self.addresses.get_mut(address) {
            bucket.tokens = (bucket.tokens + 1.0).min(capacity);
        }
        let (capacity, _) = self.global_rate();
        if let Some(global) = self.global.as_mut() {
            global.tokens = (global.tokens + 1.0).min(capacity);
        }
    }

    /// Ends every wait of `name` whose streak began before `unlocked_at` (the department
    /// unlocked the account then). Returns whether anything was ended.
    pub fn clear_before(&mut self, name: &str, unlocked_at: DateTime<Utc>) -> bool {
        let before = self.pairs.len() + self.names.len();
        self.pairs
            .retain(|(n, _), streak| n != name || streak.first >= unlocked_at);
        if self
            .names
            .get(name)
            .is_some_and(|streak| streak.first < unlocked_at)
        {
            self.names.remove(name);
        }
        self.pairs.len() + self.names.len() < before
    }

    /// Whether as many addresses or names are followed as the policy allows.
    fn full(&self) -> bool {
        let max = self.policy.max_tracked;
        self.addresses.len() >= max || self.pairs.len() >= max || self.names.len() >= max
    }

    /// Addresses and names followed now.
    pub fn tracked(&self) -> usize {
        self.addresses.len() + self.pairs.len() + self.names.len()
    }

    /// Forgets what no longer limits anything: full buckets, streaks whose longest wait
    /// has passed twice over. At most once a second.
    fn prune(&mut self, now: DateTime<Utc>) {
        if self
            .pruned_at
            .is_some_and(|at| now - at < Duration::seconds(1))
        {
            return;
        }
        self.pruned_at = Some(now);
        let (capacity, rate) = self.address_rate();
        self.addresses.retain(|_, bucket| {
            bucket.refill(capacity, rate, now);
            bucket.tokens < capacity
        });
        let forget = self.max_wait() * 2;
        self.pairs.retain(|_, streak| now - streak.last < forget);
        self.names.retain(|_, streak| now - streak.last < forget);
    }
}

fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Streak>, key: K, now: DateTime<Utc>) {
    let streak = map.entry(key).or_insert(Streak {
        failures: 0,
        first: now,
        last: now,
    });
    streak.failures = streak.failures.saturating_add(1);
    streak.last = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    /// A refused attempt, let in or not (to build up a history quickly).
    fn fail(t: &mut SignInThrottle, name: &str, origin: &Origin, now: DateTime<Utc>) {
        t.charge(name, origin, now);
        t.failed(name, origin, now);
    }

    fn addr(text: &str) -> Origin {
        Origin::address(text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])))
    }

    #[test]
    fn one_address_hammering_every_name_is_slowed_and_nobody_else_is() {
        let mut t = SignInThrottle::new(ThrottlePolicy::default());
        let attacker = addr("203.0.113.7");
        let mut checked = 0;
        for i in 0..2_460 {
            let name = format!("unit{i}");
            if t.check(&name, &attacker, at(i / 10)) == Verdict::Proceed {
                t.failed(&name, &attacker, at(i / 10));
                checked += 1;
            }
        }
        // 246 s of hammering: 30 at once, then 10 a minute.
        assert!(checked <= 30 + 246 / 6 + 1, "{checked} passwords checked");
        // The real clerk, elsewhere, is let in at once: no name reached its limit.
        let clerk = addr("198.51.100.20");
        assert_eq!(t.check("unit5", &clerk, at(246)), Verdict::Proceed);
    }

    #[test]
    fn waits_double_per_name_and_address_and_never_lock() {
        // An address with room for all of them (a large office behind one address).
        let policy = ThrottlePolicy {
            address_burst: 1_000,
            ..ThrottlePolicy::default()
        };
        let mut t = SignInThrottle::new(policy);
        let here = addr("192.0.2.1");
        for _ in 0..5 {
            assert_eq!(t.check("x", &here, at(0)), Verdict::Proceed);
            t.failed("x", &here, at(0));
        }
        let Verdict::Wait { until, reason } = t.check("x", &here, at(0)) else {
            panic!("the sixth attempt waits");
        };
        assert_eq!((until, reason), (at(1), WaitReason::NameFromHere));
        assert_eq!(t.check("x", &here, at(1)), Verdict::Proceed);
        t.failed("x", &here, at(1));
        assert!(
            matches!(t.check("x", &here, at(2)), Verdict::Wait { until, .. } if until == at(3))
        );
        for step in 0..30 {
            fail(&mut t, "x", &here, at(3 + step));
        }
        let Verdict::Wait { until, .. } = t.check("x", &here, at(40)) else {
            panic!("still waiting");
        };
        assert_eq!(until, at(32 + 15 * 60), "capped at 15 minutes");
        // Another address is not affected by this pair (the name's own count is 36 > 20,
        // so an unknown device waits too, but a known device does not).
        assert!(matches!(
            t.check("x", &addr("192.0.2.2"), at(40)),
            Verdict::Wait {
                reason: WaitReason::Name,
                ..
            }
        ));
        let device = Origin::KnownDevice("d1".into());
        assert_eq!(t.check("x", &device, at(40)), Verdict::Proceed);
    }

    #[test]
    fn many_addresses_against_one_name_cannot_stop_its_known_device() {
        let mut t = SignInThrottle::new(ThrottlePolicy::default());
        for i in 0..200u8 {
            let origin = addr(&format!("10.0.{i}.1"));
            if t.check("clerk", &origin, at(0)) == Verdict::Proceed {
                t.failed("clerk", &origin, at(0));
            }
        }
        assert!(matches!(
            t.check("clerk", &addr("10.9.9.9"), at(0)),
            Verdict::Wait {
                reason: WaitReason::Name,
                ..
            }
        ));
        let device = Origin::KnownDevice("phone".into());
        assert_eq!(t.check("clerk", &device, at(0)), Verdict::Proceed);
        t.succeeded("clerk", &device);
        assert_eq!(t.check("clerk", &addr("10.9.9.9"), at(0)), Verdict::Proceed);
    }

    #[test]
    fn the_global_budget_spares_known_devices() {
        let policy = ThrottlePolicy {
            global_burst: 10,
            global_per_second: 1,
            ..ThrottlePolicy::default()
        };
        let mut t = SignInThrottle::new(policy);
        for i in 0..10u8 {
            let origin = addr(&format!("10.1.{i}.1"));
            fail(&mut t, &format!("n{i}"), &origin, at(0));
        }
        assert!(matches!(
            t.check("a", &addr("10.2.0.1"), at(0)),
            Verdict::Wait {
                reason: WaitReason::Busy,
                until
            } if until == at(1)
        ));
        assert_eq!(
            t.check("a", &Origin::KnownDevice("d".into()), at(0)),
            Verdict::Proceed
        );
        assert_eq!(t.check("a", &addr("10.2.0.1"), at(1)), Verdict::Proceed);
    }

    #[test]
    fn an_unlock_ends_earlier_streaks_only() {
        let mut t = SignInThrottle::new(ThrottlePolicy::default());
        let here = addr("192.0.2.1");
        for _ in 0..25 {
            fail(&mut t, "x", &here, at(0));
        }
        assert!(matches!(t.check("x", &here, at(1)), Verdict::Wait { .. }));
        assert!(
            !t.clear_before("x", at(-5)),
            "an older unlock changes nothing"
        );
        assert!(t.clear_before("x", at(1)));
        assert_eq!(t.check("x", &here, at(1)), Verdict::Proceed);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_block() {
        assert_eq!(addr("2001:db8:1:2:aaaa::1"), addr("2001:db8:1:2:bbbb::9"));
        assert_ne!(addr("2001:db8:1:2::1"), addr("2001:db8:1:3::1"));
        assert_eq!(addr("::ffff:192.0.2.1"), addr("192.0.2.1"));
    }

    #[test]
    fn memory_stays_bounded() {
        let policy = ThrottlePolicy {
            max_tracked: 100,
            address_burst: 1,
            ..ThrottlePolicy::default()
        };
        let mut t = SignInThrottle::new(policy);
        for i in 0..1_000u32 {
            let origin = Origin::address(IpAddr::from(i.to_be_bytes()));
            let name = format!("n{i}");
            if t.check(&name, &origin, at(0)) == Verdict::Proceed {
                t.failed(&name, &origin, at(0));
            }
        }
        assert!(t.tracked() <= 300, "{}", t.tracked());
        // Two longest waits later everything is forgotten (but the new attempt's own
        // address, name-from-there and name).
        t.check("n", &addr("192.0.2.1"), at(31 * 60));
        assert!(t.tracked() <= 3, "{}", t.tracked());
    }
}
