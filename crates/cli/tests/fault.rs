//! Fault tests: a persistent-session subscriber and two `pub -l` publishers (2,000 numbered
//! QoS 1 and 2,000 numbered QoS 2 messages, written to their stdin gradually) while
//!
//! - a private mosquitto with persistence is stopped (SIGTERM, so it saves) and started again
//!   three times, and
//! - a loopback TCP proxy between the clients and the broker cuts connections at random byte
//!   offsets, in both directions, a bounded number of times.
//!
//! Every QoS 1 number must arrive at least once and every QoS 2 number exactly once. The
//! counts are printed (`cargo test -- --nocapture` shows them).
// Tests fail loudly by design: unwrap, expect, indexing and panics are how they report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{await_subscribed, unique, Mosquitto, Proc, Target, WAIT};

/// Messages per QoS.
const COUNT: u32 = 2_000;

/// How long the subscriber may take to receive everything once the publishers are done.
const DRAIN: Duration = Duration::from_secs(90);

/// What the subscriber printed (`-v`: `topic payload`), counted per topic.
struct Tally {
    /// number → times received, per topic.
    seen: BTreeMap<String, BTreeMap<u32, u32>>,
    lines: usize,
}

impl Tally {
    fn new(topics: &[&str]) -> Tally {
        Tally {
            seen: topics
                .iter()
                .map(|t| (t.to_string(), BTreeMap::new()))
                .collect(),
            lines: 0,
        }
    }

    /// Counts one line.
    fn add(&mut self, line: &str) {
        self.lines += 1;
        let Some((topic, payload)) = line.split_once(' ') else {
            return;
        };
        if let (Some(counts), Ok(n)) = (self.seen.get_mut(topic), payload.parse::<u32>()) {
            *counts.entry(n).or_default() += 1;
        } // else a probe or a marker
    }

    fn of(lines: &[String], topics: &[&str]) -> Tally {
        let mut t = Tally::new(topics);
        for line in lines {
            t.add(line);
        }
        t
    }

    /// Takes `p`'s output until every number arrived on every topic (true) or `timeout`
    /// passes (false). Counts each line once, as it comes.
    fn collect(p: &mut Proc, topics: &[&str], timeout: Duration) -> bool {
        let mut t = Tally::new(topics);
        let mut counted = 0;
        p.collect_until(timeout, |lines| {
            for line in &lines[counted..] {
                t.add(line);
            }
            counted = lines.len();
            topics.iter().all(|topic| t.complete(topic))
        })
    }

    /// Distinct numbers received on `topic`.
    fn distinct(&self, topic: &str) -> usize {
        self.seen[topic].len()
    }

    /// Messages received on `topic`, duplicates included.
    fn received(&self, topic: &str) -> u32 {
        self.seen[topic].values().sum()
    }

    fn duplicates(&self, topic: &str) -> u32 {
        self.received(topic) - self.distinct(topic) as u32
    }

    fn complete(&self, topic: &str) -> bool {
        self.distinct(topic) == COUNT as usize
    }

    fn missing(&self, topic: &str) -> Vec<u32> {
        (1..=COUNT)
            .filter(|n| !self.seen[topic].contains_key(n))
            .collect()
    }
}

/// The three clients of a fault test.
struct Clients {
    sub: Proc,
    pub1: Proc,
    pub2: Proc,
    topics: [String; 2],
    ids: [String; 3],
}

/// Starts the subscriber on `sub` (and waits until it receives), then both publishers.
fn start_clients(name: &str, sub: &Target, pub1: &Target, pub2: &Target) -> Clients {
    let base = format!("sbt/{}", unique(name));
    let topics = [format!("{base}/q1"), format!("{base}/q2")];
    let ids = [
        unique(&format!("{name}-sub")),
        unique(&format!("{name}-pub1")),
        unique(&format!("{name}-pub2")),
    ];
    let mut subscriber = Proc::switchboard(
        &format!("[{}] sub -c -q 2", sub.label),
        &[
            "sub",
            "-L",
            &sub.url,
            "-V",
            sub.version,
            "-c",
            "-i",
            &ids[0],
            "-q",
            "2",
            "-t",
            &topics[0],
            "-t",
            &topics[1],
            "-v",
        ],
    );
    await_subscribed(&mut subscriber, sub, &topics[0]);
    let publisher = |t: &Target, qos: &str, id: &str, topic: &str| {
        Proc::switchboard_piped(
            &format!("[{}] pub -l -q {qos}", t.label),
            &[
                "pub", "-L", &t.url, "-V", t.version, "-c", "-i", id, "-q", qos, "-t", topic, "-l",
            ],
        )
    };
    Clients {
        pub1: publisher(pub1, "1", &ids[1], &topics[0]),
        pub2: publisher(pub2, "2", &ids[2], &topics[1]),
        sub: subscriber,
        topics,
        ids,
    }
}

impl Clients {
    /// Writes numbers `from..=to` to both publishers.
    fn write(&mut self, from: u32, to: u32) {
        for n in from..=to.min(COUNT) {
            let line = n.to_string();
            self.pub1.write_line(&line);
            self.pub2.write_line(&line);
        }
    }

    /// Ends the publishers' input, waits for them to finish (every message acknowledged),
    /// then for the subscriber to have everything; returns the tally.
    fn finish(mut self, label: &str, marker: &Target) -> Tally {
        self.pub1.close_stdin();
        self.pub2.close_stdin();
        self.pub1.wait_success(DRAIN);
        self.pub2.wait_success(DRAIN);
        self.pub1.drain();
        self.pub2.drain();
        // A marker after everything: redeliveries come before it on the subscriber's
        // connection, so late duplicates are counted too.
        let topics = [self.topics[0].as_str(), self.topics[1].as_str()];
        let done = Tally::collect(&mut self.sub, &topics, DRAIN);
        let tally = Tally::of(&self.sub.history, &topics);
        if done {
            support::publish(marker, topics[1], &["-q", "2", "-m", "end"]);
            let end = format!("{} end", topics[1]);
            self.sub.expect_line("the end marker", WAIT, |l| l == end);
        }
        let tally = if done {
            Tally::of(&self.sub.history, &topics)
        } else {
            tally
        };
        for (qos, topic) in [(1, topics[0]), (2, topics[1])] {
            println!(
                "{label}: QoS {qos}: {} received, {} distinct of {COUNT}, {} duplicates",
                tally.received(topic),
                tally.distinct(topic),
                tally.duplicates(topic)
            );
        }
        println!("{label}: {} subscriber lines in all", tally.lines);
        for p in [&self.sub, &self.pub1, &self.pub2] {
            let reconnects = p.stderr().matches("reconnecting in").count();
            println!("{label}: {}: {reconnects} reconnect attempts", p.label);
        }
        for (qos, topic) in [(1, topics[0]), (2, topics[1])] {
            let missing = tally.missing(topic);
            assert!(
                missing.is_empty(),
                "{label}: QoS {qos}: {} numbers never arrived (first: {:?}); subscriber stderr:\n{}",
                missing.len(),
                &missing[..missing.len().min(20)],
                support::tail(&self.sub.stderr(), 20)
            );
        }
        let twice: Vec<(&u32, &u32)> = tally.seen[topics[1]]
            .iter()
            .filter(|(_, c)| **c > 1)
            .collect();
        assert!(
            twice.is_empty(),
            "{label}: QoS 2 numbers delivered more than once (number, times): {:?}",
            &twice[..twice.len().min(20)]
        );
        self.sub.signal("INT");
        self.sub.wait_success(WAIT);
        tally
    }
}

#[test]
fn broker_restarts_lose_no_qos1_and_duplicate_no_qos2() {
    let started = Instant::now();
    // mosquitto drops a client's QoS 1/2 messages beyond 1,000 queued by default.
    let mut broker = Mosquitto::start(
        "restarts",
        "allow_anonymous true\n\
         max_queued_messages 10000\n\
         persistence true\n\
         persistence_location {dir}/\n\
         autosave_interval 1",
    );
    let (tcp, ws) = (broker.mqtt_url(), broker.ws_url());
    let target = |url: &str, version: &'static str, label: &str| Target {
        url: url.to_string(),
        version,
        label: label.to_string(),
    };
    // A 5.0 subscriber over TCP; QoS 1 from 3.1.1 over TCP, QoS 2 from 5.0 over WebSocket.
    let sub = target(&tcp, "5", "tcp-5");
    let mut c = start_clients(
        "restarts",
        &sub,
        &target(&tcp, "311", "tcp-311"),
        &target(&ws, "5", "ws-5"),
    );
    let ids: Vec<String> = c.ids.to_vec();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    broker.wait_connected(&ids, 0, WAIT);

    // 100 batches of 20 numbers. The broker goes down right after batches 20, 45 and 70 are
    // written and stays down for 5 batches (the publishers queue what they read meanwhile); after each start
    // we wait until all three clients are back.
    let batch = 20;
    let mut restarts = 0;
    for b in 0..COUNT / batch {
        c.write(b * batch + 1, (b + 1) * batch);
        if [20, 45, 70].contains(&b) {
            // At once, while that batch is on its way: some of it is in flight.
            broker.stop();
            restarts += 1;
        }
        std::thread::sleep(Duration::from_millis(15));
        if [25, 50, 75].contains(&b) {
            let since = broker.log_len();
            broker.launch();
            broker.wait_connected(&ids, since, Duration::from_secs(45));
        }
    }
    assert_eq!(restarts, 3);
    assert_eq!(broker.starts, 4);
    c.finish("broker restarts", &sub);
    println!(
        "broker restarts: 3 restarts, {:.1}s in all",
        started.elapsed().as_secs_f64()
    );
}

// --- a proxy that cuts connections --------------------------------------------------------

/// xorshift64: reproducible randomness from a printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// What every proxy of a test shares: whether cutting has started, how many cuts are left,
/// the randomness, and a log of the cuts made.
struct Cutter {
    armed: AtomicBool,
    cuts_left: AtomicU32,
    rng: Mutex<Rng>,
    log: Mutex<Vec<String>>,
    /// The largest number of bytes a connection carries before it is cut.
    max_budget: u64,
}

impl Cutter {
    /// A fresh byte budget for a connection: uniform in 1..=max_budget.
    fn budget(&self) -> i64 {
        (self.rng.lock().unwrap().next() % self.max_budget + 1) as i64
    }
}

/// A loopback TCP proxy to `127.0.0.1:upstream`. Once the cutter is armed, each connection
/// is cut (both sockets shut down) after a random number of bytes in either direction —
/// possibly in the middle of a packet — until no cuts are left; then it forwards faithfully.
struct Proxy {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(upstream: u16, cutter: Arc<Cutter>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        std::thread::spawn(move || {
            let mut n = 0u32;
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue; // the client sees its connection closed
                };
                n += 1;
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let budget = Arc::new(AtomicI64::new(cutter.budget()));
                let pair = Arc::new([client, server]);
                for (from, to, dir) in [(0, 1, "client→broker"), (1, 0, "broker→client")] {
                    let (pair, budget, cutter) = (pair.clone(), budget.clone(), cutter.clone());
                    let label = format!("connection {n} to :{upstream}, {dir}");
                    std::thread::spawn(move || pump(&pair, from, to, &budget, &cutter, &label));
                }
            }
        });
        Proxy { port, stop }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Copies one direction of a proxied connection, cutting it when its budget runs out.
fn pump(
    pair: &[TcpStream; 2],
    from: usize,
    to: usize,
    budget: &AtomicI64,
    cutter: &Cutter,
    label: &str,
) {
    let (mut src, mut dst) = (&pair[from], &pair[to]);
    let mut buf = [0u8; 8192];
    let mut carried = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut keep = n;
        let mut cut = false;
        if cutter.armed.load(Ordering::SeqCst) {
            let before = budget.fetch_sub(n as i64, Ordering::SeqCst);
            if before <= n as i64 && before > 0 {
                // This chunk crosses the budget: cut here, if cuts are left.
                let took = cutter
                    .cuts_left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| c.checked_sub(1))
                    .is_ok();
                if took {
                    keep = before as usize;
                    cut = true;
                }
            }
        }
        if dst.write_all(&buf[..keep]).is_err() {
            break;
        }
        carried += keep as u64;
        if cut {
            cutter
                .log
                .lock()
                .unwrap()
                .push(format!("{label}: cut after {carried} bytes"));
            break;
        }
    }
    let _ = pair[0].shutdown(Shutdown::Both);
    let _ = pair[1].shutdown(Shutdown::Both);
}

#[test]
fn a_proxy_cutting_connections_loses_no_qos1_and_duplicates_no_qos2() {
    let started = Instant::now();
    // mosquitto drops a client's QoS 1/2 messages beyond 1,000 queued by default.
    let broker = Mosquitto::start("proxy", "allow_anonymous true\nmax_queued_messages 10000");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("proxy cuts: seed {seed}");
    let max_cuts = 15;
    let cutter = Arc::new(Cutter {
        armed: AtomicBool::new(false),
        cuts_left: AtomicU32::new(max_cuts),
        rng: Mutex::new(Rng(seed)),
        log: Mutex::new(Vec::new()),
        max_budget: 24_000,
    });
    let tcp = Proxy::start(broker.mqtt_port, cutter.clone());
    let ws = Proxy::start(broker.ws_port, cutter.clone());
    let target = |url: String, version: &'static str, label: &str| Target {
        url,
        version,
        label: label.to_string(),
    };
    let tcp_url = format!("mqtt://127.0.0.1:{}", tcp.port);
    let ws_url = format!("ws://127.0.0.1:{}", ws.port);
    // A 3.1.1 subscriber over TCP; QoS 1 from 5.0 over TCP, QoS 2 from 3.1.1 over WebSocket.
    let sub = target(tcp_url.clone(), "311", "tcp-311 via proxy");
    let mut c = start_clients(
        "proxy",
        &sub,
        &target(tcp_url, "5", "tcp-5 via proxy"),
        &target(ws_url, "311", "ws-311 via proxy"),
    );
    let ids: Vec<&str> = c.ids.iter().map(String::as_str).collect();
    broker.wait_connected(&ids, 0, WAIT);
    // An observer on the broker directly, never cut: tells a loss on the publishers' side
    // from one on the subscriber's.
    let direct = target(broker.mqtt_url(), "5", "tcp-5 direct");
    let mut observer = Proc::switchboard(
        "[tcp-5 direct] observer",
        &[
            "sub",
            "-L",
            &direct.url,
            "-V",
            "5",
            "-q",
            "2",
            "-t",
            &c.topics[0],
            "-t",
            &c.topics[1],
            "-v",
        ],
    );
    await_subscribed(&mut observer, &direct, &c.topics[0]);

    // First connections are up (a first connection that fails is an error by design): from
    // now on, connections get cut.
    cutter.armed.store(true, Ordering::SeqCst);
    let batch = 50;
    for b in 0..COUNT / batch {
        c.write(b * batch + 1, (b + 1) * batch);
        std::thread::sleep(Duration::from_millis(10));
    }
    // The marker goes to the broker directly: a first connection cut by the proxy would fail.
    // Failing or not, report what the observer saw and the cuts before the verdict.
    let topics = c.topics.clone();
    let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.finish("proxy cuts", &direct)
    }));
    let topics = [topics[0].as_str(), topics[1].as_str()];
    let observed = Tally::collect(&mut observer, &topics, WAIT);
    let seen = Tally::of(&observer.history, &topics);
    for (qos, topic) in [(1, topics[0]), (2, topics[1])] {
        println!(
            "proxy cuts: observer (not cut): QoS {qos}: {} received, {} distinct, {} duplicates",
            seen.received(topic),
            seen.distinct(topic),
            seen.duplicates(topic)
        );
    }
    let cuts = cutter.log.lock().unwrap().clone();
    for line in &cuts {
        println!("proxy cuts: {line}");
    }
    println!(
        "proxy cuts: {} cuts (at most {max_cuts}), {:.1}s in all",
        cuts.len(),
        started.elapsed().as_secs_f64()
    );
    if let Err(panic) = finished {
        std::panic::resume_unwind(panic);
    }
    assert!(observed, "the observer did not receive every message");
    assert_eq!(
        seen.duplicates(topics[1]),
        0,
        "the observer got QoS 2 duplicates"
    );
    assert!(!cuts.is_empty(), "the proxy never cut a connection");
}
