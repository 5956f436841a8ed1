//! The flags both benchmark binaries take, parsed in one place so that a flag means the
//! same on both sides of a comparison. Shared by `benches/e2e.rs` and `benches/otel`
//! (included with `#[path]`).

/// The flags common to both binaries; each binary reads its own flags through `extra`.
#[derive(Debug)]
pub(crate) struct Common {
    /// `--endpoint URL`: the loopback server's traces endpoint.
    pub(crate) endpoint: String,
    /// `--n N`: spans to produce; each mode has its own default.
    pub(crate) n: Option<u64>,
    /// `--queue N`: the batch processor's queue; the library's default when absent.
    pub(crate) queue: Option<usize>,
    /// `--batch N`: the batch processor's batch size; the library's default when absent.
    pub(crate) batch: Option<usize>,
    /// `--rate SPANS_PER_S`: pace the producer (0: flat out).
    pub(crate) rate: f64,
    /// `--hot`: time the whole span on the producer thread.
    pub(crate) hot: bool,
    /// `--warmup N`: spans made before the `--hot` timing starts (default 100,000).
    pub(crate) warmup: u64,
    /// `--no-data`: `--hot` without the span's one field.
    pub(crate) no_data: bool,
    /// `--queued-memory`: RSS per span with every span held in the queue.
    pub(crate) queued_memory: bool,
}

/// Parses the process's arguments. A flag that is not common goes to `extra` with a
/// function that takes its value; `extra` returns whether it knew the flag. Unknown flags
/// are skipped (`cargo bench` adds `--bench`); a value that does not parse leaves the
/// default.
pub(crate) fn parse(mut extra: impl FnMut(&str, &mut dyn FnMut() -> String) -> bool) -> Common {
    let mut a = Common {
        endpoint: String::new(),
        n: None,
        queue: None,
        batch: None,
        rate: 0.0,
        hot: false,
        warmup: 100_000,
        no_data: false,
        queued_memory: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--endpoint" => a.endpoint = value(),
            "--n" => a.n = value().parse().ok(),
            "--queue" => a.queue = value().parse().ok(),
            "--batch" => a.batch = value().parse().ok(),
            "--rate" => a.rate = value().parse().unwrap_or(0.0),
            "--hot" => a.hot = true,
            "--warmup" => a.warmup = value().parse().unwrap_or(a.warmup),
            "--no-data" => a.no_data = true,
            "--queued-memory" => a.queued_memory = true,
            other => {
                extra(other, &mut value);
            }
        }
    }
    a
}
