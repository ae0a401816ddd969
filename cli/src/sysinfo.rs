//! What the machine is and how much memory a process holds, from /proc: printed by
//! `baocao gen` and every benchmark next to their figures.

/// "machine: N cores, M GiB" from /proc (what every benchmark prints).
pub fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let memory_gib = proc_kib("/proc/meminfo", "MemTotal:") / (1024.0 * 1024.0);
    let build = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    format!("machine: {cores} cores, {memory_gib:.0} GiB, {build}")
}

/// A `key:  N kB` line of a /proc file, in KiB; 0 where unknown (not Linux).
pub fn proc_kib(file: &str, key: &str) -> f64 {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
}
