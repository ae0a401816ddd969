//! How far a long operation over stored files has come (records landed, files copied,
//! the rollup's stage), shared between the work and whoever shows it: the work counts,
//! the CLI reads a snapshot a few times a second and draws a bar or prints a line.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one operation; cheap to update from the work's hot loop.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    bytes: AtomicU64,
    stage: Mutex<String>,
}

/// A consistent-enough copy of a [`Progress`] for display.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgressSnapshot {
    /// Items done (records, files, partitions).
    pub done: u64,
    /// Items to do, when known (0: unknown).
    pub total: u64,
    /// Bytes moved so far, where the work counts them.
    pub bytes: u64,
    /// What the work is doing now, e.g. "summaries".
    pub stage: String,
}

impl Progress {
    /// Adds `items` done.
    pub fn add(&self, items: u64) {
        self.done.fetch_add(items, Ordering::Relaxed);
    }

    /// Adds `bytes` moved.
    pub fn add_bytes(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Sets how many items there are to do.
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    /// Starts a stage (also resets the item counts: each stage counts its own).
    pub fn stage(&self, stage: &str) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(0, Ordering::Relaxed);
        let mut current = match self.stage.lock() {
            Ok(current) => current,
            Err(poisoned) => poisoned.into_inner(),
        };
        stage.clone_into(&mut current);
    }

    /// The counters now.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let stage = match self.stage.lock() {
            Ok(stage) => stage.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        ProgressSnapshot {
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            stage,
        }
    }
}
