//! Headless Chromium for the HTML check: finding it, loading a page with the network cut
//! off and recorded, reading back the rendered DOM or a screenshot.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long one page load may take before Chromium is stopped.
const LOAD_TIMEOUT: Duration = Duration::from_secs(90);

/// The names tried on `PATH`, in order, when `CHROMIUM` is not set.
const NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];

/// What to install, said when no browser is found.
pub(crate) const HOW_TO_INSTALL: &str = "install Chromium (Debian/Ubuntu: `apt-get install -y chromium`; \
     it took 30 s on this project's VM) or set CHROMIUM=/path/to/chromium-or-chrome";

/// The browser: `$CHROMIUM` if set, else the first of [`NAMES`] found on `PATH`.
pub(crate) fn find() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| NAMES.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

/// A headless browser with a profile of its own under `work`.
pub(crate) struct Chromium {
    exe: PathBuf,
    work: PathBuf,
    runs: u32,
}

/// One page load: the rendered DOM and the requests the page made.
pub(crate) struct Load {
    pub(crate) dom: String,
    /// URLs the page asked the network for (not Chromium's own background requests).
    pub(crate) page_requests: Vec<String>,
}

impl Chromium {
    pub(crate) fn new(exe: PathBuf, work: &Path) -> Self {
        Self { exe, work: work.to_owned(), runs: 0 }
    }

    pub(crate) fn version(&self) -> String {
        Command::new(&self.exe)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|e| format!("? ({e})"))
    }

    /// The flags of every run: headless, its own profile, no background traffic, every
    /// host name unresolvable (nothing can leave the machine whatever a page asks), and
    /// a net log recording every request that is attempted.
    fn command(&mut self, net_log: &Path) -> Command {
        self.runs += 1;
        let profile = self.work.join(format!("profile-{}", self.runs));
        let mut c = Command::new(&self.exe);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--hide-scrollbars",
            "--window-size=1400,900",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .stdin(Stdio::null());
        c
    }

    /// Loads `url` and returns the DOM after its scripts ran (`--dump-dom`) with the
    /// requests the page made.
    pub(crate) fn dump_dom(&mut self, url: &str) -> Result<Load, String> {
        let net_log = self.work.join(format!("netlog-{}.json", self.runs + 1));
        let out = self.work.join(format!("dom-{}.html", self.runs + 1));
        let mut c = self.command(&net_log);
        c.arg("--dump-dom").arg(url);
        run(c, &out)?;
        let dom = fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        if dom.trim().is_empty() {
            return Err(format!("chromium printed no DOM for {url}"));
        }
        Ok(Load { dom, page_requests: page_requests(&net_log)? })
    }

    /// Saves a screenshot of `url` (1400 x 900) to `path`.
    pub(crate) fn screenshot(&mut self, url: &str, path: &Path) -> Result<(), String> {
        let net_log = self.work.join(format!("netlog-{}.json", self.runs + 1));
        let out = self.work.join(format!("screenshot-{}.log", self.runs + 1));
        let mut c = self.command(&net_log);
        c.arg(format!("--screenshot={}", path.display())).arg(url);
        run(c, &out)?;
        if !path.is_file() {
            return Err(format!("chromium wrote no screenshot at {}", path.display()));
        }
        Ok(())
    }
}

/// Runs `c` with its standard output in `out`, stopping it after [`LOAD_TIMEOUT`].
fn run(mut c: Command, out: &Path) -> Result<(), String> {
    let stdout = fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut child = c
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start chromium ({:?}): {e}", c.get_program()))?;
    let deadline = Instant::now() + LOAD_TIMEOUT;
    loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) if status.success() => return Ok(()),
            Some(status) => return Err(format!("chromium failed ({status})")),
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("chromium did not finish within {LOAD_TIMEOUT:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The URLs of the requests a page made, read from Chromium's net log: requests whose
/// initiator is a document (Chromium's own background requests have `"not an origin"`)
/// or whose network isolation key is the `file://` page's.
pub(crate) fn page_requests(net_log: &Path) -> Result<Vec<String>, String> {
    let text = fs::read_to_string(net_log).map_err(|e| format!("no net log at {}: {e}", net_log.display()))?;
    // A log cut short at exit lacks its closing brackets.
    let log: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .map_err(|e| format!("the net log {} is not JSON: {e}", net_log.display()))?;
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .ok_or_else(|| format!("the net log {} has no URL_REQUEST_START_JOB event type", net_log.display()))?;
    let events = log["events"].as_array().ok_or("the net log has no events")?;
    let mut urls = Vec::new();
    // The job's begin event carries the request (the end event only its outcome).
    for e in events.iter().filter(|e| e["type"].as_u64() == Some(start_job)) {
        let p = &e["params"];
        let Some(url) = p["url"].as_str() else { continue };
        let initiator = p["initiator"].as_str().unwrap_or("");
        let isolation = p["network_isolation_key"].as_str().unwrap_or("");
        if initiator != "not an origin" || isolation.contains("file://") {
            urls.push(url.to_owned());
        }
    }
    Ok(urls)
}
