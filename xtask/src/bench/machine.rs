//! What the report says about the machine and the checkout: cores, CPU model, date, commit,
//! load average, steal time.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cmd::root;

#[derive(Debug)]
pub(crate) struct Machine {
    pub(crate) cores: usize,
    pub(crate) model: String,
    pub(crate) kernel: String,
    pub(crate) memory: String,
}

impl Machine {
    pub(crate) fn probe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name")?.split_once(':').map(|(_, v)| v.trim().to_owned()))
            .unwrap_or_else(|| "unknown".to_owned());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or_else(|| "?".to_owned(), |kib| format!("{:.0} GiB", kib / 1024.0 / 1024.0));
        Self { cores, model, kernel, memory }
    }
}

/// The 1, 5 and 15-minute load averages, as /proc/loadavg gives them.
pub(crate) fn load_average() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// The 1-minute load average.
pub(crate) fn load_1min() -> f64 {
    load_average().split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

/// The machine's CPU time so far, from the `cpu` line of /proc/stat, in jiffies: all of it
/// and the part stolen by the hypervisor (the `steal` column).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct CpuTimes {
    pub(crate) total: u64,
    pub(crate) steal: u64,
}

impl CpuTimes {
    /// Reads /proc/stat; `None` where it cannot be read or parsed.
    pub(crate) fn read() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// The `cpu` line of a /proc/stat text: user, nice, system, idle, iowait, irq, softirq,
    /// steal (the 8th column), then guest and guest_nice, which user and nice already hold
    /// and so are not added to the total. Older kernels without steal give `None`.
    pub(crate) fn parse(stat: &str) -> Option<Self> {
        let line = stat.lines().find(|l| l.split_whitespace().next() == Some("cpu"))?;
        let cols: Vec<u64> = line.split_whitespace().skip(1).take(8).map(str::parse).collect::<Result<_, _>>().ok()?;
        if cols.len() < 8 {
            return None;
        }
        Some(Self { total: cols.iter().sum(), steal: cols[7] })
    }

    /// The steal time between `self` (earlier) and `later`, in % of all the CPU time.
    pub(crate) fn steal_pct_until(&self, later: &Self) -> Option<f64> {
        let total = later.total.checked_sub(self.total)?;
        let steal = later.steal.checked_sub(self.steal)?;
        (total > 0).then(|| 100.0 * steal as f64 / total as f64)
    }
}

/// `git rev-parse --short HEAD`, with "+ local changes" when the work tree differs from it.
/// Read-only: `--no-optional-locks` keeps `git status` from refreshing the index.
pub(crate) fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else { return "unknown".to_owned() };
    match git(&["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"]) {
        Some(s) if !s.is_empty() => format!("{head} + local changes"),
        _ => head,
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn utc_now() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Days since 1970-01-01 to a (year, month, day) date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::{civil_from_days, CpuTimes};

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn steal_from_proc_stat() {
        let before = "cpu  100 5 50 800 10 1 4 30 7 0\ncpu0 50 2 25 400 5 0 2 15 0 0\nintr 1 2 3\n";
        let after = "cpu  200 5 90 1500 10 1 4 90 9 0\ncpu0 100 2 45 750 5 0 2 45 0 0\n";
        let (b, a) = (CpuTimes::parse(before).unwrap(), CpuTimes::parse(after).unwrap());
        assert_eq!(b, CpuTimes { total: 1000, steal: 30 });
        assert_eq!(a, CpuTimes { total: 1900, steal: 90 });
        assert_eq!(b.steal_pct_until(&a), Some(100.0 * 60.0 / 900.0));
        assert_eq!(a.steal_pct_until(&b), None, "a counter that went back");
        assert_eq!(b.steal_pct_until(&b), None, "no time passed");
        assert_eq!(CpuTimes::parse("cpu  1 2 3 4 5 6 7\n"), None, "no steal column");
        assert_eq!(CpuTimes::parse("cpu0 1 2 3 4 5 6 7 8\n"), None, "no total line");
    }
}
