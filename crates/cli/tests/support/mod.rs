//! What the integration tests share: the broker under test (the shared one from the
//! environment, or a private mosquitto on free ports), the `switchboard` binary run as a child
//! process whose output lines can be awaited with a deadline, and unique names so tests can
//! run in parallel on one broker.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

/// The binary under test, checked once: it must be the `switchboard` command. (The app's
/// native build is also called `switchboard`; when a workspace build writes it to the same
/// path, cargo warns "output filename collision" and these tests would run the app.)
pub(crate) fn bin() -> &'static str {
    static CHECKED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    CHECKED.get_or_init(|| {
        let help = Command::new(BIN)
            .arg("--help")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
        let text = String::from_utf8_lossy(&help.stdout);
        assert!(
            help.status.success() && text.contains("Usage: switchboard <COMMAND>"),
            "{BIN} is not the switchboard command (output filename collision with another \
             package's `switchboard` binary?): status {}, stdout {text:?}, stderr {:?}",
            help.status,
            String::from_utf8_lossy(&help.stderr)
        );
    });
    BIN
}

/// How long any single expected thing may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

// --- names ------------------------------------------------------------------------------------

/// A name no other test (or run) uses: `NAME-PID-N-NANOS`.
pub(crate) fn unique(name: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{name}-{}-{}-{nanos:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

// --- the broker -------------------------------------------------------------------------------

/// How to reach a broker over TCP and over WebSocket.
#[derive(Debug, Clone)]
pub(crate) struct Broker {
    pub(crate) mqtt: String,
    pub(crate) ws: String,
}

/// The shared broker ./scripts/test starts. A missing broker fails the test: it is not skipped.
pub(crate) fn shared_broker() -> Broker {
    let get = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| {
                panic!(
                    "{name} is not set: these tests need a running mosquitto. Run ./scripts/test, \
                     or start one with `./scripts/broker start --mqtt-port 21883 --ws-port 29101` \
                     and set SWITCHBOARD_MQTT_URL=mqtt://127.0.0.1:21883 \
                     SWITCHBOARD_WS_URL=ws://127.0.0.1:29101"
                )
            })
    };
    let broker = Broker {
        mqtt: get("SWITCHBOARD_MQTT_URL"),
        ws: get("SWITCHBOARD_WS_URL"),
    };
    for url in [&broker.mqtt, &broker.ws] {
        let addr = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("cannot read host:port from {url}"));
        if TcpStream::connect(addr).is_err() {
            panic!(
                "nothing listens at {url} (from SWITCHBOARD_MQTT_URL / SWITCHBOARD_WS_URL): \
                 start the broker (./scripts/broker start …) or run ./scripts/test"
            );
        }
    }
    broker
}

/// One way to talk to a broker: a URL and a protocol version (`-V`).
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) url: String,
    /// `311` or `5`.
    pub(crate) version: &'static str,
    /// `tcp-311`, `ws-5`, … for messages and names.
    pub(crate) label: String,
}

impl Target {
    pub(crate) fn v5(&self) -> bool {
        self.version == "5"
    }
}

/// TCP and WebSocket, each with MQTT 3.1.1 and 5.0.
pub(crate) fn targets(b: &Broker) -> Vec<Target> {
    let mut out = Vec::new();
    for (transport, url) in [("tcp", &b.mqtt), ("ws", &b.ws)] {
        for version in ["311", "5"] {
            out.push(Target {
                url: url.clone(),
                version,
                label: format!("{transport}-{version}"),
            });
        }
    }
    out
}

/// The MQTT 5.0 targets only (TCP and WebSocket).
pub(crate) fn targets_v5(b: &Broker) -> Vec<Target> {
    targets(b).into_iter().filter(Target::v5).collect()
}

/// A TCP port on 127.0.0.1 that is free right now (bound on every interface, since
/// mosquitto 2.0.11 binds its WebSocket listener to all of them).
pub(crate) fn free_port() -> u16 {
    let l = TcpListener::bind("0.0.0.0:0").expect("bind an ephemeral port");
    l.local_addr().expect("local address").port()
}

/// Waits until `127.0.0.1:port` accepts connections.
pub(crate) fn wait_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// The mosquitto executable (Debian keeps it in /usr/sbin, often not on PATH).
pub(crate) fn mosquitto_exe() -> PathBuf {
    for dir in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/local/sbin"])
    {
        let p = Path::new(dir).join("mosquitto");
        if p.is_file() {
            return p;
        }
    }
    panic!("mosquitto is not installed (apt-get install mosquitto, or run ./scripts/setup)");
}

/// Sends a signal (`TERM`, `KILL`, …) to a process.
pub(crate) fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

/// A private mosquitto on free ports (one MQTT and one WebSocket listener) for tests that
/// need their own configuration or must stop the broker. Stopped, and its directory removed,
/// when dropped — also when the test fails, after printing the end of its log.
pub(crate) struct Mosquitto {
    child: Option<Child>,
    pub(crate) dir: PathBuf,
    pub(crate) mqtt_port: u16,
    pub(crate) ws_port: u16,
    conf: PathBuf,
    log: PathBuf,
    /// How many times it was started.
    pub(crate) starts: u32,
}

impl Mosquitto {
    /// Starts mosquitto with `settings` (lines of mosquitto.conf: at least `allow_anonymous`;
    /// `{dir}` stands for its own directory) added to two listeners and logging to a file in
    /// that directory.
    pub(crate) fn start(name: &str, settings: &str) -> Mosquitto {
        let dir = std::env::temp_dir().join(unique(&format!("switchboard-{name}")));
        std::fs::create_dir_all(&dir).expect("create the broker directory");
        let settings = settings.replace("{dir}", &dir.display().to_string());
        let mqtt_port = free_port();
        let mut ws_port = free_port();
        while ws_port == mqtt_port {
            ws_port = free_port();
        }
        let conf = dir.join("mosquitto.conf");
        let text = format!(
            "# Written by the switchboard-cli integration tests.\n\
             per_listener_settings false\n\
             # Running as root, stay root: the directory below belongs to us.\n\
             user root\n\
             log_dest stderr\n\
             log_type error\nlog_type warning\nlog_type notice\nlog_type information\n\
             connection_messages true\n\
             {settings}\n\
             listener {mqtt_port} 127.0.0.1\nprotocol mqtt\n\
             listener {ws_port} 127.0.0.1\nprotocol websockets\n"
        );
        std::fs::write(&conf, text).expect("write mosquitto.conf");
        let mut m = Mosquitto {
            child: None,
            log: dir.join("mosquitto.log"),
            dir,
            mqtt_port,
            ws_port,
            conf,
            starts: 0,
        };
        m.launch();
        m
    }

    /// Starts it (again, after [`Mosquitto::stop`]): same ports and configuration.
    pub(crate) fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the broker log");
        let child = Command::new(mosquitto_exe())
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log file"))
            .stderr(log)
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        self.starts += 1;
        // The port can stay taken for a moment after a stop: give it time.
        let up = wait_port(self.mqtt_port, Duration::from_secs(15))
            && wait_port(self.ws_port, Duration::from_secs(15));
        if !up {
            panic!(
                "mosquitto did not start on ports {}/{}; its log:\n{}",
                self.mqtt_port,
                self.ws_port,
                self.log_text()
            );
        }
    }

    pub(crate) fn mqtt_url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.mqtt_port)
    }

    pub(crate) fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.ws_port)
    }

    pub(crate) fn broker(&self) -> Broker {
        Broker {
            mqtt: self.mqtt_url(),
            ws: self.ws_url(),
        }
    }

    /// The broker's log so far.
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log after byte `since` says each of `client_ids` connected.
    pub(crate) fn wait_connected(&self, client_ids: &[&str], since: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log_text();
            let fresh = log.get(since..).unwrap_or("");
            let missing: Vec<&&str> = client_ids
                .iter()
                .filter(|id| !fresh.contains(&format!(" as {id} ")))
                .collect();
            if missing.is_empty() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "clients {missing:?} did not connect within {timeout:?}; broker log:\n{}",
                    tail(fresh, 30)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The length of the log so far (to look only at what comes after).
    pub(crate) fn log_len(&self) -> usize {
        self.log_text().len()
    }

    /// Stops it with SIGTERM (so a broker with persistence saves), waiting until it is gone;
    /// SIGKILL after 10 seconds.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        signal(child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
            }
        }
    }

    /// Stops it and starts it again.
    pub(crate) fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Writes `text` to a file in the broker's directory and returns its path.
    pub(crate) fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).expect("write a broker file");
        p
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "broker log ({}):\n{}",
                self.log.display(),
                tail(&self.log_text(), 40)
            );
        }
        // SWITCHBOARD_KEEP_BROKER_DIR=1 keeps the directory (configuration, log, database).
        if std::env::var_os("SWITCHBOARD_KEEP_BROKER_DIR").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

// --- child processes --------------------------------------------------------------------------

/// A running child process (usually `switchboard sub` or `pub -l`) whose stdout lines can be
/// awaited with a deadline. Killed when dropped.
pub(crate) struct Proc {
    pub(crate) label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// The thread reading stderr; it ends at end of file.
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    /// Every stdout line taken so far, in order.
    pub(crate) history: Vec<String>,
}

impl Proc {
    /// Starts `switchboard ARGS`, stdin closed.
    pub(crate) fn switchboard(label: &str, args: &[&str]) -> Proc {
        Proc::spawn(label, Command::new(bin()).args(args), false)
    }

    /// Starts `switchboard ARGS` with stdin to write to ([`Proc::write_line`]).
    pub(crate) fn switchboard_piped(label: &str, args: &[&str]) -> Proc {
        Proc::spawn(label, Command::new(bin()).args(args), true)
    }

    /// Starts any command.
    pub(crate) fn spawn(label: &str, cmd: &mut Command, piped_stdin: bool) -> Proc {
        let mut child = cmd
            .stdin(if piped_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{label}: cannot start {cmd:?}: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if buf.last() == Some(&b'\n') {
                            buf.pop();
                        }
                        if tx.send(String::from_utf8_lossy(&buf).into_owned()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = child.stderr.take().expect("stderr is piped");
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    return;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Proc {
            label: label.to_string(),
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
            stderr_reader: Some(stderr_reader),
            history: Vec::new(),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it wrote on stderr so far.
    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// The next stdout line, if one comes within `timeout` (None also when stdout closed).
    pub(crate) fn line(&mut self, timeout: Duration) -> Option<String> {
        let line = self.lines.recv_timeout(timeout).ok()?;
        self.history.push(line.clone());
        Some(line)
    }

    /// Takes lines until one satisfies `pred` (returned) or `timeout` passes (None).
    pub(crate) fn line_where(
        &mut self,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.history.push(line.clone());
                    if pred(&line) {
                        return Some(line);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => return None,
                // Stdout closed: the process ended.
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Like [`Proc::line_where`], but failing the test, saying `what` was awaited.
    pub(crate) fn expect_line(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl FnMut(&str) -> bool,
    ) -> String {
        match self.line_where(timeout, pred) {
            Some(line) => line,
            None => panic!(
                "{}: timed out after {timeout:?} waiting for {what}\nstdout so far ({} lines, \
                 last 10):\n{}\nstderr:\n{}",
                self.label,
                self.history.len(),
                tail(&self.history.join("\n"), 10),
                tail(&self.stderr(), 20)
            ),
        }
    }

    /// Takes lines until `done`, given every line so far, says so (true) or `timeout` passes
    /// or the output ends (false).
    pub(crate) fn collect_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&[String]) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.history) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match self.lines.recv_timeout(left) {
                Ok(line) => self.history.push(line),
                Err(_) => return done(&self.history),
            }
        }
    }

    /// Writes one line to its stdin.
    pub(crate) fn write_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is piped and open");
        if let Err(e) = writeln!(stdin, "{line}").and_then(|_| stdin.flush()) {
            panic!(
                "{}: cannot write to stdin: {e}\nstderr:\n{}",
                self.label,
                self.stderr()
            );
        }
    }

    /// Closes its stdin (end of input).
    pub(crate) fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Sends a signal.
    pub(crate) fn signal(&self, sig: &str) {
        signal(self.child.id(), sig);
    }

    /// SIGKILL: gone without a word, as a crash or a pulled cable.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether it has exited, without waiting.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for it to exit; fails the test after `timeout`.
    pub(crate) fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            if Instant::now() >= deadline {
                let stderr = self.stderr();
                self.kill();
                panic!(
                    "{}: did not exit within {timeout:?}\nstderr:\n{}",
                    self.label,
                    tail(&stderr, 20)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for it to exit and requires exit code 0.
    pub(crate) fn wait_success(&mut self, timeout: Duration) {
        let status = self.wait(timeout);
        if !status.success() {
            // All of stderr, for the message.
            if let Some(reader) = self.stderr_reader.take() {
                let _ = reader.join();
            }
        }
        assert!(
            status.success(),
            "{}: exited with {status}\nstderr:\n{}",
            self.label,
            tail(&self.stderr(), 20)
        );
    }

    /// After it exited: takes the stdout lines left and waits until all of stderr is read.
    pub(crate) fn drain(&mut self) {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.history.push(line);
        }
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The result of a command run to the end.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

/// Runs `switchboard ARGS` to the end (failing the test after `timeout`).
pub(crate) fn run(args: &[&str], timeout: Duration) -> Outcome {
    let started = Instant::now();
    let mut p = Proc::switchboard(&format!("switchboard {}", args.join(" ")), args);
    let status = p.wait(timeout);
    p.drain();
    Outcome {
        code: status.code(),
        stdout: p.history.join("\n"),
        stderr: p.stderr(),
        elapsed: started.elapsed(),
    }
}

/// Runs `switchboard pub` on `t` and requires success.
pub(crate) fn publish(t: &Target, topic: &str, extra: &[&str]) {
    let mut args = vec!["pub", "-L", &t.url, "-V", t.version, "-t", topic];
    args.extend_from_slice(extra);
    let out = run(&args, WAIT);
    assert_eq!(
        out.code,
        Some(0),
        "[{}] switchboard {} failed: {}",
        t.label,
        args.join(" "),
        out.stderr
    );
}

/// Starts `switchboard sub -L URL -V VERSION ARGS` on `t`.
pub(crate) fn subscribe(t: &Target, label: &str, args: &[&str]) -> Proc {
    let mut all = vec!["sub", "-L", &t.url, "-V", t.version];
    all.extend_from_slice(args);
    Proc::switchboard(&format!("[{}] {label}", t.label), &all)
}

/// Makes sure `sub` is subscribed to `topic`: publishes `probe-N` messages (QoS 0) to it
/// until one shows up in its output. Returns that line; earlier lines stay in its history.
pub(crate) fn await_subscribed(sub: &mut Proc, t: &Target, topic: &str) -> String {
    let deadline = Instant::now() + WAIT;
    for n in 0.. {
        let payload = format!("probe-{n}");
        publish(t, topic, &["-m", &payload]);
        if let Some(line) = sub.line_where(Duration::from_millis(300), |l| l.contains("probe-")) {
            return line;
        }
        if let Some(status) = sub.exited() {
            panic!(
                "{}: exited ({status}) before it was subscribed to {topic}\nstderr:\n{}",
                sub.label,
                sub.stderr()
            );
        }
        if Instant::now() > deadline {
            break;
        }
    }
    panic!(
        "{}: no probe message on {topic} arrived within {WAIT:?}; stderr:\n{}",
        sub.label,
        sub.stderr()
    );
}

/// Parses a `--json` line.
pub(crate) fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"))
}
