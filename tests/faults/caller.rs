//! The caller's side never waits for the export path: producers run to completion while
//! the batch worker is inside an export that cannot finish (replaces the old wall-clock
//! bound on the longest tracing call, which is now only printed).

use std::time::Duration;

use test_support::server::Reply;

use super::{acknowledged, exporter, produce_during_export, server, Accounting, Pipeline};

#[test]
fn producers_finish_while_an_export_is_in_progress_and_held() {
    let server = server(Reply::ok());
    let p = Pipeline::install(exporter(&server.url()), |b| b.max_batch_size(16), vec![]);

    // Every call after each producer's first trace start runs while the worker is held
    // inside an export; `Held::release` fails the case if production outlasted the hold.
    let produced = produce_during_export("held", 2, 10, 10);
    assert!(produced.exports_held >= 1, "an export was in progress while the producers ran: {produced:?}");
    p.batch.force_flush(Some(Duration::from_secs(10))).expect("flushed once released");
    let timeout = Duration::from_secs(5);
    let (took, result) = p.shutdown(timeout);
    result.expect("a clean shutdown");

    let a = Accounting::check(&p, produced.items);
    assert_eq!(a.delivered(), produced.items, "nothing lost: {a:?}");
    let (ids, duplicates) = acknowledged(&server.requests());
    assert_eq!((ids.len() as u64, duplicates), (produced.items, 0));
    a.print("producers_during_a_held_export", produced.max_block, Some((took, timeout)));
}
