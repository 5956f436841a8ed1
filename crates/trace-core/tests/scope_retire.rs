//! Setting a scoped processor starts the thread that drops retired values, so that the
//! span end that releases a scope's last reference never spawns it (a fresh process: no
//! cache was filled before).

#[cfg(target_os = "linux")]
#[test]
fn setting_a_scope_starts_the_retirement_thread() {
    use trace_core::registry::set_default;
    use trace_core::InMemoryProcessor;

    let threads = || std::fs::read_dir("/proc/self/task").unwrap().count();
    let before = threads();
    let guard = set_default(InMemoryProcessor::new());
    assert_eq!(threads(), before + 1, "trace-retire started with the scope");
    drop(guard);
    let again = set_default(InMemoryProcessor::new());
    assert_eq!(threads(), before + 1, "once per process");
    drop(again);
}
