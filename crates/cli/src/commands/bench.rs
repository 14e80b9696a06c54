//! `switchboard bench`: messages through a broker from publishers to subscribers, measuring
//! throughput and end-to-end latency. Bounded: every client sends a fixed count.

use super::connection::{parse_positive_seconds, parse_qos, ConnectArgs};
use crate::client::{Client, Notice};
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::Write;
use std::time::{Duration, Instant};
use switchboard_mqtt::codec::{ByteStr, Properties, Publish, QoS, ReasonCode, Subscription};
use switchboard_mqtt::session::Event;
use tokio::sync::watch;

/// Arguments of `switchboard bench`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each of N publishers sends M messages to its own topic; N subscribers (one per topic)
receive them. Throughput counts received messages from the first send to the last receive;
latency is send-to-receive per message (the payload carries the send time).

A publisher keeps at most --window messages on their way to its subscriber: a broker acknowledges
a QoS 1 message when it takes it, not when it delivers it, and drops what exceeds its queue
for a slow subscriber (mosquitto: 1,000 messages by default). On MQTT 3.1.1, where the broker
announces no Receive Maximum, the window is also how many QoS 1 messages go unacknowledged at
once; QoS 2 stays at 20, mosquitto's limit (the session's send_maximum_v3_qos2).

Example:
  switchboard bench -L mqtt://127.0.0.1:1883 --clients 4 --messages 20000 --size 64 -q 1")]
pub(crate) struct BenchArgs {
    #[command(flatten)]
    conn: ConnectArgs,

    /// Publisher/subscriber pairs.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    clients: u32,

    /// Messages per publisher.
    #[arg(long, value_name = "M", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    messages: u64,

    /// Payload size in bytes (at least 16: the send time and a sequence number).
    #[arg(long, value_name = "B", default_value_t = 64, value_parser = clap::value_parser!(u32).range(16..=16_777_216))]
    size: u32,

    /// Most messages per pair published and not yet received (by sequence number).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=65_535))]
    window: u32,

    /// QoS of publishes and subscriptions.
    #[arg(short = 'q', long, value_name = "QOS", default_value = "0", value_parser = parse_qos)]
    qos: QoS,

    /// Give up waiting after this many seconds without a message.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_positive_seconds)]
    idle_timeout: Duration,

    /// Print the result as one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// What one subscriber saw.
struct Received {
    count: u64,
    latencies_us: Vec<u32>,
    last: Option<Instant>,
}

async fn subscriber(
    client: Client,
    mut notices: tokio::sync::mpsc::UnboundedReceiver<Notice>,
    expect: u64,
    epoch: Instant,
    idle: Duration,
    progress: watch::Sender<u64>,
) -> Received {
    let mut r = Received {
        count: 0,
        latencies_us: Vec::with_capacity(expect.min(10_000_000) as usize),
        last: None,
    };
    while r.count < expect {
        match tokio::time::timeout(idle, notices.recv()).await {
            Ok(Some(Notice::Event(Event::Message { publish, .. }))) => {
                let now = Instant::now();
                let sent = publish
                    .payload
                    .first_chunk::<8>()
                    .map(|b| u64::from_be_bytes(*b))
                    .unwrap_or(0);
                let seq = publish
                    .payload
                    .get(8..16)
                    .and_then(|b| b.first_chunk::<8>())
                    .map(|b| u64::from_be_bytes(*b))
                    .unwrap_or(0);
                let at = now.duration_since(epoch).as_nanos() as u64;
                r.latencies_us
                    .push((at.saturating_sub(sent) / 1000).min(u64::from(u32::MAX)) as u32);
                r.count += 1;
                r.last = Some(now);
                // The publisher's pace: how far the messages got, not how many (QoS 0 ones may
                // be lost, and must not stall it).
                progress.send_if_modified(|reached| {
                    let changed = seq + 1 > *reached;
                    *reached = (*reached).max(seq + 1);
                    changed
                });
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    client.disconnect(ReasonCode::SUCCESS, None).await;
    r
}

/// What a publisher sends, and how far ahead of its subscriber it may get.
struct Load {
    topic: ByteStr,
    count: u64,
    size: usize,
    qos: QoS,
    window: u64,
}

async fn publisher(
    client: Client,
    mut notices: tokio::sync::mpsc::UnboundedReceiver<Notice>,
    load: Load,
    mut received: watch::Receiver<u64>,
    epoch: Instant,
) -> Result<(), String> {
    let Load {
        topic,
        count,
        size,
        qos,
        window,
    } = load;
    let mut template = Publish::new(topic, Bytes::new());
    template.qos = qos;
    let filler = vec![b'x'; size.saturating_sub(16)];
    let mut acked = 0u64;
    let mut buf = BytesMut::with_capacity(size * 64);
    // Messages handed to the client whose acceptance is not yet awaited: the client takes
    // them in batches (like MQTT.js, which is handed every message at once).
    let mut pipeline = VecDeque::with_capacity(PIPELINE);
    for seq in 0..count {
        if seq >= window && seq - window >= *received.borrow() {
            // Err: the subscriber has given up (idle timeout); publish the rest unpaced.
            let _ = received.wait_for(|r| seq - window < *r).await;
        }
        buf.reserve(size);
        buf.put_u64(Instant::now().duration_since(epoch).as_nanos() as u64);
        buf.put_u64(seq);
        buf.put_slice(&filler);
        let mut p = template.clone();
        p.payload = buf.split().freeze();
        pipeline.push_back(client.publish_pipelined(p));
        if pipeline.len() >= PIPELINE {
            if let Some(accepted) = pipeline.pop_front() {
                if accepted
                    .await
                    .map_err(|e| format!("publish failed: {e}"))?
                    .is_none()
                {
                    acked += 1;
                }
            }
        }
        while let Ok(n) = notices.try_recv() {
            if let Notice::Event(Event::Published { .. }) = n {
                acked += 1;
            }
        }
    }
    for accepted in pipeline {
        if accepted
            .await
            .map_err(|e| format!("publish failed: {e}"))?
            .is_none()
        {
            acked += 1;
        }
    }
    // QoS 1/2: wait for the last acknowledgements so the connection is not cut under them.
    while acked < count {
        match tokio::time::timeout(Duration::from_secs(30), notices.recv()).await {
            Ok(Some(Notice::Event(Event::Published { .. }))) => acked += 1,
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    client.disconnect(ReasonCode::SUCCESS, None).await;
    Ok(())
}

/// How many messages a publisher keeps handed over but not yet accepted.
const PIPELINE: usize = 64;

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted.get(i).copied().unwrap_or(0)) / 1000.0
}

/// Runs `switchboard bench`.
pub(crate) async fn run(args: BenchArgs) -> Result<(), String> {
    let run_id = format!("{:x}", std::process::id());
    let epoch = Instant::now();
    let idle = args.idle_timeout;
    let mut subscribers = Vec::new();
    for i in 0..args.clients {
        let mut conn = args.conn.clone();
        conn.client_id = Some(format!("bench-sub-{run_id}-{i}"));
        let mut config = conn.config("bench", false, None)?;
        config.reconnect = false;
        let (client, mut notices) = crate::client::connect(config).await?;
        let topic = format!("switchboard/bench/{run_id}/{i}");
        let id = client
            .subscribe(
                vec![Subscription::new(ByteStr::from(topic), args.qos)],
                Properties::new(),
            )
            .await
            .map_err(|e| format!("subscribe failed: {e}"))?;
        loop {
            match notices.recv().await {
                Some(Notice::Event(Event::Subscribed {
                    packet_id, codes, ..
                })) if packet_id == id => {
                    if codes.iter().any(|c| !c.is_success()) {
                        return Err("the broker refused the bench subscription".to_string());
                    }
                    break;
                }
                Some(_) => {}
                None => return Err("subscriber connection ended".to_string()),
            }
        }
        subscribers.push((client, notices));
    }
    let mut publishers = Vec::new();
    for i in 0..args.clients {
        let mut conn = args.conn.clone();
        conn.client_id = Some(format!("bench-pub-{run_id}-{i}"));
        let mut config = conn.config("bench", false, None)?;
        config.reconnect = false;
        config.options.queue_limit = 100_000;
        config.options.send_maximum_v3 = u16::try_from(args.window).unwrap_or(u16::MAX);
        publishers.push(crate::client::connect(config).await?);
    }
    let start = Instant::now();
    let (progress, received): (Vec<_>, Vec<_>) =
        (0..args.clients).map(|_| watch::channel(0u64)).unzip();
    let sub_tasks: Vec<_> = subscribers
        .into_iter()
        .zip(progress)
        .map(|((c, n), p)| tokio::spawn(subscriber(c, n, args.messages, epoch, idle, p)))
        .collect();
    let pub_tasks: Vec<_> = publishers
        .into_iter()
        .zip(received)
        .enumerate()
        .map(|(i, ((c, n), received))| {
            let load = Load {
                topic: ByteStr::from(format!("switchboard/bench/{run_id}/{i}")),
                count: args.messages,
                size: args.size as usize,
                qos: args.qos,
                window: u64::from(args.window),
            };
            tokio::spawn(publisher(c, n, load, received, epoch))
        })
        .collect();
    for t in pub_tasks {
        t.await.map_err(|e| format!("publisher failed: {e}"))??;
    }
    let mut received = 0u64;
    let mut latencies = Vec::new();
    let mut last = start;
    for t in sub_tasks {
        let r = t.await.map_err(|e| format!("subscriber failed: {e}"))?;
        received += r.count;
        latencies.extend(r.latencies_us);
        if let Some(l) = r.last {
            last = last.max(l);
        }
    }
    latencies.sort_unstable();
    let sent = args.messages * u64::from(args.clients);
    let secs = last.duration_since(start).as_secs_f64().max(1e-9);
    let rate = received as f64 / secs;
    let mbps = rate * f64::from(args.size) / 1_000_000.0;
    let (p50, p99, max) = (
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "client": "switchboard", "url": args.conn.url, "clients": args.clients,
                "messages": sent, "received": received, "lost": sent.saturating_sub(received),
                "size": args.size, "qos": args.qos as u8, "window": args.window, "seconds": secs,
                "msgs_per_s": rate, "mb_per_s": mbps,
                "latency_ms": {"p50": p50, "p99": p99, "max": max},
            })
        )
    } else {
        writeln!(
            out,
            "switchboard bench: {} pair(s), {} msgs of {} B at QoS {} (window {}) via {}\n\
             {:>10} {:>10} {:>8} {:>9} {:>12} {:>9} {:>10} {:>10} {:>10}\n\
             {:>10} {:>10} {:>8} {:>9.3} {:>12.0} {:>9.2} {:>10.3} {:>10.3} {:>10.3}",
            args.clients,
            sent,
            args.size,
            args.qos as u8,
            args.window,
            args.conn.url,
            "sent",
            "received",
            "lost",
            "seconds",
            "msgs/s",
            "MB/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            sent,
            received,
            sent.saturating_sub(received),
            secs,
            rate,
            mbps,
            p50,
            p99,
            max
        )
    };
    written.map_err(|e| format!("cannot write the report: {e}"))?;
    if received < sent && args.qos != QoS::AtMostOnce {
        return Err(format!(
            "{} QoS {} message(s) never arrived",
            sent - received,
            args.qos as u8
        ));
    }
    Ok(())
}
