//! `OPENAI_API_KEY`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`: read when first needed, a
//! missing key looked up again on the next batch. A binary of its own with a single test,
//! since it changes the process environment.

#[allow(dead_code)]
#[path = "integration/logger.rs"]
mod logger;
#[allow(dead_code)]
#[path = "integration/server.rs"]
mod server;

use std::sync::Arc;
use std::time::Duration;
use trace_export_openai::WithHttpOptions;

use log::Level;
use server::{Reply, TestServer};
use trace_core::{ExportError, ExportItem, Trace, TraceId, TracingExporter};
use trace_export_openai::BackendSpanExporter;

fn one_trace() -> Vec<ExportItem> {
    vec![ExportItem::Trace(Arc::new(Trace::new(TraceId::generate(), "env")))]
}

#[test]
fn credentials_come_from_the_environment_when_first_needed() {
    logger::LOG.install();
    for name in ["OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"] {
        std::env::remove_var(name);
    }
    let server = TestServer::always(Reply::ok());
    let builder = || {
        BackendSpanExporter::builder()
            .endpoint(server.url())
            .proxy_from_env(false)
            .base_delay(Duration::from_millis(10))
    };
    // Nothing is read at build time.
    let exporter = builder().build().unwrap();
    std::env::set_var("OPENAI_ORG_ID", "org-env");
    std::env::set_var("OPENAI_PROJECT_ID", "proj-env");

    // No key anywhere: the batch is lost, with one warning however many batches.
    for _ in 0..2 {
        let err = exporter.export(&one_trace()).unwrap_err();
        assert!(matches!(err, ExportError::NotConfigured { items: 1, .. }), "{err:?}");
    }
    assert!(server.requests().is_empty());
    let warnings = test_support::logcap::all()
        .into_iter()
        .filter(|l| l.level == Level::Warn && l.text.starts_with("OPENAI_API_KEY is not set"))
        .count();
    assert_eq!(warnings, 1);

    // The missing key was not remembered: one set now is used.
    std::env::set_var("OPENAI_API_KEY", "sk-test-from-env");
    exporter.export(&one_trace()).unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("Authorization"), Some("Bearer sk-test-from-env"));
    assert_eq!(r.header("OpenAI-Organization"), Some("org-env"));
    assert_eq!(r.header("OpenAI-Project"), Some("proj-env"));

    // Once found, the key, organization and project are kept, as in Python.
    std::env::set_var("OPENAI_API_KEY", "sk-test-env-changed");
    std::env::set_var("OPENAI_ORG_ID", "org-env-changed");
    exporter.export(&one_trace()).unwrap();
    let r = &server.requests()[1];
    assert_eq!(r.header("Authorization"), Some("Bearer sk-test-from-env"));
    assert_eq!(r.header("OpenAI-Organization"), Some("org-env"));

    // set_api_key replaces it.
    exporter.set_api_key("sk-test-set-at-runtime");
    exporter.export(&one_trace()).unwrap();
    assert_eq!(server.requests()[2].header("Authorization"), Some("Bearer sk-test-set-at-runtime"));

    // Explicit settings win over the environment.
    let explicit = builder().api_key("sk-test-explicit").organization("org-explicit").build().unwrap();
    explicit.export(&one_trace()).unwrap();
    let r = &server.requests()[3];
    assert_eq!(r.header("Authorization"), Some("Bearer sk-test-explicit"));
    assert_eq!(r.header("OpenAI-Organization"), Some("org-explicit"));
    assert_eq!(r.header("OpenAI-Project"), Some("proj-env"));

    // read_env(false) ignores the environment.
    let isolated = builder().read_env(false).build().unwrap();
    assert!(isolated.export(&one_trace()).is_err());
    assert_eq!(server.requests().len(), 4);

    for key in ["sk-test-from-env", "sk-test-env-changed", "sk-test-set-at-runtime", "sk-test-explicit"] {
        logger::LOG.assert_never_logged(key);
    }
}
