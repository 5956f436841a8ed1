//! What a benchmark process reads about itself from /proc: CPU time and peak memory.
//! Shared by `benches/e2e.rs` and `benches/otel` (included with `#[path]`).

/// User + system CPU seconds of this process, from /proc/self/stat.
pub(crate) fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields after the command: state is 0, utime is 11, stime is 12. 100 ticks per second.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size in MiB, from /proc/self/status.
pub(crate) fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}
