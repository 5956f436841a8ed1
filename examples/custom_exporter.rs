//! A user-written exporter that appends each trace and span as a JSON line to a file,
//! driven by the batch processor.
//!
//! ```text
//! cargo run --example custom_exporter [PATH]
//! ```

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use agents_tracing::{
    custom_span, function_span, set_trace_processor, trace, BatchTraceProcessor, ExportError, ExportItem,
    TracingExporter,
};

/// Writes one JSON object per line, exactly as the OpenAI endpoint would receive each item,
/// through `wire::write_item_json` (nesting cut at the depth limit, as every exporter must;
/// the same bytes as `wire::write_json` of the item, with the ids and timestamps of spans
/// copied without escaping).
struct JsonLinesExporter {
    file: Mutex<BufWriter<File>>,
}

impl TracingExporter for JsonLinesExporter {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let mut write = || -> std::io::Result<()> {
            for item in items {
                agents_tracing::core::wire::write_item_json(&mut *file, item)?;
                file.write_all(b"\n")?;
            }
            file.flush()
        };
        write().map_err(|e| ExportError::failed(items.len(), format!("writing the JSON lines file: {e}")))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("traces.jsonl"));
    let file = OpenOptions::new().create(true).truncate(true).write(true).open(&path)?;
    let exporter = JsonLinesExporter { file: Mutex::new(BufWriter::new(file)) };

    let processor = std::sync::Arc::new(BatchTraceProcessor::new(exporter));
    set_trace_processor(processor.clone());

    {
        let _t = trace("nightly report").start();
        for day in 1..=3 {
            let _step = custom_span("summarize day").data(serde_json::json!({"day": day})).start();
            function_span("fetch_sales").input(format!(r#"{{"day": {day}}}"#)).output("1234").start().end();
        }
    }

    // Deliver everything before exiting.
    processor.shutdown(Some(Duration::from_secs(5)))?;
    let lines = std::fs::read_to_string(&path)?.lines().count();
    println!("wrote {lines} JSON lines to {}", path.display());
    Ok(())
}
