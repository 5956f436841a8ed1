//! The caller's side never waits for the export path: producers run to completion while
//! the batch worker is inside an export that cannot finish (replaces the old wall-clock
//! bound on the longest tracing call, which is now only printed).

use std::time::Duration;

use test_support::server::Reply;

use super::{exporter, produce_during_export, server, Accounting, Pipeline};

#[test]
fn producers_finish_while_an_export_is_in_progress_and_held() {
    let server = server(Reply::ok());
    let p = Pipeline::install(exporter(&server.url()), |b| b.max_batch_size(16), vec![]);

    // Every call after each producer's first trace start runs while the worker is held
    // inside an export; `Held::release` fails the case if production outlasted the hold.
    let produced = produce_during_export("held", 2, 10, 10);
    assert!(produced.exports_held >= 1, "an export was in progress while the producers ran: {produced:?}");
    // Flushed once released.
    let shutdown = p.flush_then_shut_down(Duration::from_secs(10));

    let a = Accounting::check_delivered_once(&p, produced.items, &server.requests());
    a.print("producers_during_a_held_export", produced.max_block, Some(shutdown));
}
