//! `cargo xtask phoenix`: the OTLP exporter against a real receiver, Arize Phoenix.
//!
//! Installs `arize-phoenix` from PyPI into `target/phoenix-venv` (once), starts `phoenix
//! serve` on free ports of 127.0.0.1 with a fresh working directory, sends the `otlp`
//! example's run (protobuf, the default) once per attribute profile, each into a project of
//! its own, and reads the spans back through Phoenix's REST API: every span arrived, one
//! root per trace, every other span under it, the names, the kinds Phoenix derives and the
//! token counts of the model call. Prints a table and the duration, stops Phoenix.
//!
//! Not part of `cargo xtask ci`: the install is large (Phoenix and its Python
//! dependencies) and takes minutes on a fresh machine.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cmd::{cargo, root, step};

/// The spans the `otlp` example sends per run: the trace's root span and five spans.
const SPANS_PER_RUN: usize = 6;

/// A running `phoenix serve`, stopped on drop.
struct Phoenix {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Phoenix {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("unknown argument {a:?}; `cargo xtask phoenix` takes none"));
    }
    let started = Instant::now();
    let venv = root().join("target").join("phoenix-venv");
    let phoenix_exe = venv.join("bin").join("phoenix");
    if !phoenix_exe.exists() {
        let mut c = Command::new("python3");
        c.args(["-m", "venv"]).arg(&venv);
        step("python3 -m venv target/phoenix-venv", c)?;
        let mut c = Command::new(venv.join("bin").join("pip"));
        c.args(["install", "--quiet", "--disable-pip-version-check", "arize-phoenix"]);
        step("pip install arize-phoenix", c)?;
    }
    let version = Command::new(venv.join("bin").join("pip"))
        .args(["show", "arize-phoenix"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).lines().find_map(|l| l.strip_prefix("Version: ").map(str::to_owned))
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| "?".to_owned());

    let mut build = cargo();
    build.args(["build", "--quiet", "--example", "otlp", "--features", "otlp"]);
    step("build the otlp example", build)?;
    let example = root().join("target").join("debug").join("examples").join("otlp");

    let phoenix = start(&phoenix_exe)?;
    println!("phoenix {version} on http://127.0.0.1:{}", phoenix.port);
    let mut failures = Vec::new();
    for profile in ["genai", "openinference"] {
        let project = format!("agents-tracing-{profile}");
        let mut command = Command::new(&example);
        // Only what this check sets: none of the developer's own `OTEL_*` variables.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("OTEL_") {
                command.env_remove(name);
            }
        }
        let out = command
            .env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", format!("http://127.0.0.1:{}/v1/traces", phoenix.port))
            .env("OTEL_RESOURCE_ATTRIBUTES", format!("openinference.project.name={project}"))
            .env("AGENTS_TRACING_OTLP_PROFILE", profile)
            .output()
            .map_err(|e| format!("running the otlp example: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !text.contains("lost 0") {
            failures.push(format!("{profile}: the example did not deliver everything:\n{text}"));
            continue;
        }
        match check(phoenix.port, &project) {
            Ok(rows) => {
                println!("\n{profile} (project {project}): {SPANS_PER_RUN} spans, one root (the trace), parents right");
                for row in rows {
                    println!("  {row}");
                }
            }
            Err(e) => failures.push(format!("{profile}: {e}")),
        }
    }
    drop(phoenix);
    println!("\nphoenix check took {:.0} s", started.elapsed().as_secs_f64());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// Two free ports of 127.0.0.1, distinct: both listeners are held until both are known.
fn free_ports() -> Result<(u16, u16), String> {
    let bind = || TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"));
    let (a, b) = (bind()?, bind()?);
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string());
    Ok((port(&a)?, port(&b)?))
}

/// Starts `phoenix serve` and waits (up to 3 minutes) until it answers.
fn start(exe: &Path) -> Result<Phoenix, String> {
    let (port, grpc_port) = free_ports()?;
    let dir = root().join("target").join(format!("phoenix-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let log = std::fs::File::create(dir.join("phoenix.log")).map_err(|e| e.to_string())?;
    let child = Command::new(exe)
        .arg("serve")
        .env("PHOENIX_WORKING_DIR", &dir)
        .env("PHOENIX_HOST", "127.0.0.1")
        .env("PHOENIX_PORT", port.to_string())
        .env("PHOENIX_GRPC_PORT", grpc_port.to_string())
        .env("PHOENIX_TELEMETRY_ENABLED", "false")
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting phoenix: {e}"))?;
    let phoenix = Phoenix { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        if get(port, "/").is_ok_and(|(status, _)| status == 200) {
            return Ok(phoenix);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Err(format!("phoenix did not answer on port {port} within 3 minutes (see its log in {})", phoenix.dir.display()))
}

/// A plain HTTP/1.1 GET on 127.0.0.1: the status and the body.
fn get(port: u16, path: &str) -> Result<(u16, Vec<u8>), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no HTTP head")?;
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("no status")?;
    let mut body = raw[head_end + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// Reads the project's spans back (waiting up to 30 s for Phoenix to ingest them) and
/// checks them; returns one printable row per span.
fn check(port: u16, project: &str) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let spans = loop {
        let spans = match get(port, &format!("/v1/projects/{project}/spans?limit=100")) {
            Ok((200, body)) => serde_json::from_slice::<Value>(&body)
                .map_err(|e| format!("the spans are not JSON: {e}"))?
                .get("data")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        if spans.len() >= SPANS_PER_RUN || Instant::now() >= deadline {
            break spans;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    if spans.len() != SPANS_PER_RUN {
        return Err(format!("{} spans in Phoenix, {SPANS_PER_RUN} sent", spans.len()));
    }
    let str_of = |s: &Value, path: &[&str]| {
        path.iter().try_fold(s, |v, k| v.get(k)).and_then(Value::as_str).unwrap_or("").to_owned()
    };
    let roots: Vec<&Value> = spans.iter().filter(|s| s.get("parent_id").map_or(true, Value::is_null)).collect();
    if roots.len() != 1 {
        return Err(format!("{} roots, one expected", roots.len()));
    }
    let root_id = str_of(roots[0], &["context", "span_id"]);
    // The root is the trace, named after its workflow; both profiles name the spans the
    // GenAI conventions' way.
    let (workflow, agent, model, tool) =
        ("Customer support", "invoke_agent Triage", "chat gpt-4o-mini", "execute_tool lookup_order");
    if str_of(roots[0], &["name"]) != workflow {
        return Err(format!("the root is {:?}, not {workflow:?}", str_of(roots[0], &["name"])));
    }
    let ids: Vec<String> = spans.iter().map(|s| str_of(s, &["context", "span_id"])).collect();
    let mut rows = Vec::new();
    let mut seen_model = false;
    let mut seen_tool = false;
    for s in &spans {
        let name = str_of(s, &["name"]);
        let parent = s.get("parent_id").and_then(Value::as_str).unwrap_or("-").to_owned();
        if s.get("parent_id").is_some_and(|p| !p.is_null()) && !ids.contains(&parent) {
            return Err(format!("{name}: parent {parent} is not among the spans"));
        }
        if name == agent && parent != root_id {
            return Err(format!("{name}: parent {parent}, not the root {root_id}"));
        }
        let attributes = s.get("attributes").cloned().unwrap_or(Value::Null);
        let tokens = ["gen_ai.usage.input_tokens", "llm.token_count.prompt"]
            .iter()
            .find_map(|k| attributes.get(*k).and_then(Value::as_i64))
            .map_or(String::new(), |t| format!(", {t} input tokens"));
        if name == model {
            seen_model = true;
            if tokens.is_empty() {
                return Err(format!("{name}: no input token count"));
            }
        }
        seen_tool |= name == tool;
        rows.push(format!("{name} | kind {} | parent {parent}{tokens}", str_of(s, &["span_kind"])));
    }
    if !(seen_model && seen_tool) {
        return Err(format!("missing {model:?} or {tool:?} among the spans"));
    }
    Ok(rows)
}
