//! What a benchmark process reads about itself from /proc: CPU time and memory (peak and
//! current).
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
    status_kib("VmHWM:") / 1024.0
}

/// The KiB figure of the /proc/self/status line that starts with `key` (0 if absent).
fn status_kib(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// Resident set size now in MiB, from /proc/self/status.
pub(crate) fn current_rss_mib() -> f64 {
    status_kib("VmRSS:") / 1024.0
}

/// With `BENCH_MAPPINGS` set in the environment, prints this process's resident memory by
/// mapping (from /proc/self/smaps, the mappings holding at least 4 KiB, largest last) to
/// standard error: where the peak RSS of a run goes (the binary's code, libc, the heap,
/// thread arenas and stacks).
pub(crate) fn print_mappings_if_asked() {
    if std::env::var_os("BENCH_MAPPINGS").is_none() {
        return;
    }
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
    let mut rows = Vec::new();
    let mut mapping = "";
    for line in smaps.lines() {
        if let Some(kib) = line.strip_prefix("Rss:") {
            let kib: u64 = kib.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
            if kib > 0 {
                rows.push((kib, mapping.to_owned()));
            }
        } else if line.split_whitespace().next().is_some_and(|f| f.contains('-') && !f.ends_with(':')) {
            mapping = line;
        }
    }
    rows.sort();
    for (kib, mapping) in rows {
        eprintln!("{kib:>7} KiB  {mapping}");
    }
    eprintln!("VmHWM {:.0} KiB", status_kib("VmHWM:"));
}
