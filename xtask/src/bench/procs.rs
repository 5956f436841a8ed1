//! The processes the benchmark drives: the bench executables (built once), the loopback
//! server, and the Python interpreter with openai-agents.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::json::{self, Obj};
use crate::cmd::{cargo, root};

/// The executables, built once and then run directly for every configuration.
#[derive(Debug)]
pub(crate) struct Binaries {
    pub(crate) hotpath: PathBuf,
    pub(crate) e2e: PathBuf,
    pub(crate) server: PathBuf,
}

/// Builds with `--message-format=json` and returns the executable of the target `name`.
pub(crate) fn build(what: &str, args: &[&str], name: &str) -> Result<PathBuf, String> {
    eprintln!("==> build {what}");
    let mut c = cargo();
    c.args(args).arg("--message-format=json").stderr(Stdio::inherit());
    let out = c.output().map_err(|e| format!("build {what}: cannot start cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("build {what} failed ({})", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let needle = format!("\"name\":\"{name}\"");
    stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\"") && l.contains(&needle))
        .find_map(|l| {
            let start = l.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = start + l[start..].find('"')?;
            Some(PathBuf::from(&l[start..end]))
        })
        .ok_or_else(|| format!("build {what}: cargo named no executable for {name}"))
}

/// Builds `bin` of `benches/otel` (its own workspace, release, target dir `target/otel`)
/// and returns its path.
pub(crate) fn build_otel_bin(what: &str, bin: &str) -> Result<PathBuf, String> {
    build(
        what,
        &[
            "build",
            "--release",
            "--manifest-path",
            "benches/otel/Cargo.toml",
            "--target-dir",
            "target/otel",
            "--bin",
            bin,
        ],
        bin,
    )
}

impl Binaries {
    /// Builds the hot-path and end-to-end benches (bench profile) and the server: a release
    /// build of this xtask, or, with `current_server`, the running xtask itself (a debug build,
    /// fast enough for a smoke run, and nothing more to compile in CI).
    ///
    /// The e2e bench is built with `-p agents-tracing` so that only the facade's features
    /// are on, as in a user's build of `openai-http`: from the workspace root without `-p`,
    /// the default members' default features come in too, among them the exporters'
    /// `rustls` (1.6 MB of TLS code, a third of which was resident in a plain-HTTP run).
    pub(crate) fn build(current_server: bool) -> Result<Self, String> {
        let hotpath =
            build("hotpath bench", &["bench", "--no-run", "-p", "trace-batch", "--bench", "hotpath"], "hotpath")?;
        let e2e = build(
            "e2e bench",
            &[
                "bench",
                "--no-run",
                "-p",
                "agents-tracing",
                "--bench",
                "e2e",
                "--features",
                "openai-http,otlp-http,batch",
            ],
            "e2e",
        )?;
        let server = if current_server {
            std::env::current_exe().map_err(|e| format!("locating the xtask executable: {e}"))?
        } else {
            build("loopback server (release xtask)", &["build", "--release", "-p", "xtask", "--bin", "xtask"], "xtask")?
        };
        Ok(Self { hotpath, e2e, server })
    }
}

/// Runs `c`, returns its standard output; on failure, an error with its standard error.
pub(crate) fn capture(what: &str, c: &mut Command) -> Result<String, String> {
    let out = c.stdin(Stdio::null()).output().map_err(|e| format!("{what}: cannot start: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!("{what} failed ({}):\n{stdout}\n{}", out.status, tail.join("\n")));
    }
    Ok(stdout)
}

/// Runs `c` and parses the last JSON line of its output.
pub(crate) fn run_json(what: &str, c: &mut Command) -> Result<(Obj, String), String> {
    let out = capture(what, c)?;
    let obj = json::last_object(&out).map_err(|e| format!("{what}: {e}"))?;
    let line = out.lines().rev().find(|l| json::parse(l).is_some()).unwrap_or_default().to_owned();
    Ok((obj, line))
}

/// The loopback server (`xtask serve`) in its own process; killed when dropped.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    addr: String,
}

/// What the server counted since the last reset.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Received {
    pub(crate) requests: f64,
    pub(crate) spans: f64,
    pub(crate) bytes: f64,
    pub(crate) last_unix_ns: f64,
}

impl Server {
    pub(crate) fn start(exe: &Path) -> Result<Self, String> {
        let mut child = Command::new(exe)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the loopback server {}: {e}", exe.display()))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        match line.trim().strip_prefix("listening ") {
            Some(addr) => Ok(Self { addr: addr.to_owned(), child }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("the loopback server said {line:?} instead of `listening ADDR`"))
            }
        }
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://{}/v1/traces/ingest", self.addr)
    }

    /// One request on a fresh connection; returns the body.
    fn request(&self, method: &str, path: &str) -> Result<String, String> {
        let talk = || -> std::io::Result<String> {
            let mut s = TcpStream::connect(&self.addr)?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            write!(s, "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n\r\n", self.addr)?;
            let mut r = BufReader::new(s);
            let mut line = String::new();
            let mut length = 0usize;
            r.read_line(&mut line)?;
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            r.read_exact(&mut body)?;
            Ok(String::from_utf8_lossy(&body).into_owned())
        };
        talk().map_err(|e| format!("{method} {path} to the loopback server: {e}"))
    }

    pub(crate) fn reset(&self) -> Result<(), String> {
        self.request("POST", "/reset").map(drop)
    }

    pub(crate) fn received(&self) -> Result<Received, String> {
        let body = self.request("GET", "/stats")?;
        let o = json::parse(&body).ok_or_else(|| format!("the server's /stats is not JSON: {body}"))?;
        Ok(Received {
            requests: o.num("requests")?,
            spans: o.num("spans")?,
            bytes: o.num("bytes")?,
            last_unix_ns: o.num("last_unix_ns")?,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python interpreter with openai-agents, and what it reports about itself.
#[derive(Clone, Debug)]
pub(crate) struct Python {
    pub(crate) exe: PathBuf,
    pub(crate) version: String,
    pub(crate) agents: String,
}

/// The version openai-agents' figures were taken with (and `--setup-python` installs).
pub(crate) const AGENTS_VERSION: &str = "0.24.0";

/// Where `--setup-python` puts its virtual environment.
pub(crate) fn venv_dir() -> PathBuf {
    root().join("target").join("bench-venv")
}

/// `exe` if it can import the SDK's tracing.
fn probe(exe: &Path) -> Option<Python> {
    let code = "import sys, importlib.metadata as m; import agents.tracing; \
                print(sys.version.split()[0], m.version('openai-agents'))";
    let out = Command::new(exe).args(["-c", code]).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let version = words.next()?.to_owned();
    let agents = words.next()?.to_owned();
    Some(Python { exe: exe.to_owned(), version, agents })
}

/// `--python PATH`, else the venv of `--setup-python`, else `python3` if it imports the SDK.
pub(crate) fn find_python(explicit: Option<&Path>) -> Result<Option<Python>, String> {
    if let Some(exe) = explicit {
        return probe(exe)
            .map(Some)
            .ok_or_else(|| format!("{} cannot `import agents.tracing` (pip install openai-agents)", exe.display()));
    }
    let venv = venv_dir().join("bin").join("python");
    if venv.exists() {
        if let Some(p) = probe(&venv) {
            return Ok(Some(p));
        }
    }
    Ok(probe(Path::new("python3")))
}

/// Creates `target/bench-venv` with openai-agents in it.
pub(crate) fn setup_python() -> Result<(), String> {
    let venv = venv_dir();
    let mut c = Command::new("python3");
    c.args(["-m", "venv"]).arg(&venv);
    crate::cmd::step("python3 -m venv", c)?;
    let mut c = Command::new(venv.join("bin").join("pip"));
    c.args(["install", "--disable-pip-version-check", &format!("openai-agents=={AGENTS_VERSION}")]);
    crate::cmd::step("pip install openai-agents", c)
}

/// The directory of the Python scripts.
pub(crate) fn scripts() -> PathBuf {
    root().join("benches").join("python")
}
