//! Tracing setup: an `EnvFilter` (`RUST_LOG`, else `log.filter`) and text or JSON output
//! on stderr, so stdout stays for command results.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogSection;

/// Installs the global subscriber once.
pub fn init(log: &LogSection) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in a file or a pipe.
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
