//! `switchboard sim`: a demo fleet for the app to show. Devices with a retained status (and a
//! Last Will that marks them offline), JSON telemetry, commands that change their reported
//! state; chat rooms; alerts. Devices drop off now and then and come back.
//!
//! Topic layout (the app's defaults match it):
//! - `devices/{id}/status`    retained `online` / `offline` (the Will), QoS 1
//! - `devices/{id}/telemetry` JSON `{"temperature","humidity","battery","rssi","led","ts"}`
//! - `devices/{id}/cmd`       commands in, e.g. `{"led":"on"}`, `{"interval":2}`
//! - `devices/{id}/state`     retained JSON of the reported state, after every command
//! - `chat/{room}`            JSON `{"from","text","ts"}`
//! - `alerts/{severity}`      JSON `{"device","message","ts"}`, severity info|warning|critical

use super::connection::{
    parse_positive_seconds, parse_seconds, report_reconnect, stop_requested, ConnectArgs,
};
use crate::client::{Client, Notice};
use bytes::Bytes;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use switchboard_mqtt::codec::{ByteStr, Properties, Publish, QoS, ReasonCode, Subscription, Will};
use switchboard_mqtt::session::Event;
use tokio::sync::watch;

/// Arguments of `switchboard sim`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Topics:
  devices/{id}/status     retained online|offline (offline is the Last Will)
  devices/{id}/telemetry  JSON temperature, humidity, battery, rssi, led, ts
  devices/{id}/cmd        commands, e.g. {\"led\":\"on\"} or {\"interval\":2}
  devices/{id}/state      retained JSON of the reported state
  chat/{room}             JSON {\"from\",\"text\",\"ts\"}
  alerts/{severity}       JSON {\"device\",\"message\",\"ts\"}; info, warning, critical")]
pub(crate) struct SimArgs {
    #[command(flatten)]
    conn: ConnectArgs,

    /// Number of devices.
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=1000))]
    devices: u32,

    /// Telemetry messages per second across the fleet.
    #[arg(long, value_name = "MSGS_PER_S", default_value_t = 4.0)]
    rate: f64,

    /// Chat rooms, comma separated.
    #[arg(long, value_name = "ROOMS", default_value = "lobby,ops")]
    rooms: String,

    /// Mean seconds between chat messages (each pause is 0.4 to 1.6 times it).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_positive_seconds)]
    chat_interval: Duration,

    /// Stop after SECONDS (default: run until interrupted).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    duration: Option<Duration>,

    /// Seed for the random walk (default: from the clock).
    #[arg(long)]
    seed: Option<u64>,
}

/// xorshift64*: small, fast, good enough for plausible noise.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get((self.next() % items.len().max(1) as u64) as usize)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A device's reported state, drifting.
#[derive(Debug, Clone)]
struct Reading {
    temperature: f64,
    humidity: f64,
    battery: f64,
    rssi: f64,
    led: bool,
    interval: f64,
}

impl Reading {
    fn new(rng: &mut Rng) -> Reading {
        Reading {
            temperature: rng.range(18.0, 26.0),
            humidity: rng.range(30.0, 60.0),
            battery: rng.range(60.0, 100.0),
            rssi: rng.range(-80.0, -45.0),
            led: false,
            interval: 0.0,
        }
    }

    /// A small random walk that stays in plausible ranges.
    fn drift(&mut self, rng: &mut Rng) {
        self.temperature = (self.temperature + rng.range(-0.3, 0.3)).clamp(-10.0, 45.0);
        self.humidity = (self.humidity + rng.range(-0.8, 0.8)).clamp(5.0, 95.0);
        self.battery = (self.battery - rng.range(0.0, 0.05)).max(0.0);
        if self.battery < 5.0 {
            self.battery = 100.0; // someone changed the batteries
        }
        self.rssi = (self.rssi + rng.range(-2.0, 2.0)).clamp(-95.0, -35.0);
    }

    fn telemetry(&self) -> String {
        serde_json::json!({
            "temperature": (self.temperature * 10.0).round() / 10.0,
            "humidity": (self.humidity * 10.0).round() / 10.0,
            "battery": self.battery.round(),
            "rssi": self.rssi.round(),
            "led": if self.led { "on" } else { "off" },
            "ts": now_ms(),
        })
        .to_string()
    }

    fn state(&self) -> String {
        serde_json::json!({
            "led": if self.led { "on" } else { "off" },
            "interval": self.interval,
            "ts": now_ms(),
        })
        .to_string()
    }

    /// Applies a command; returns a description of what changed.
    fn apply(&mut self, cmd: &[u8]) -> Result<String, String> {
        let v: serde_json::Value =
            serde_json::from_slice(cmd).map_err(|e| format!("not JSON: {e}"))?;
        let mut changed = Vec::new();
        if let Some(led) = v.get("led").and_then(|l| l.as_str()) {
            self.led = match led {
                "on" => true,
                "off" => false,
                "toggle" => !self.led,
                other => return Err(format!("unknown led value {other:?}")),
            };
            changed.push(format!("led {led}"));
        }
        if let Some(i) = v.get("interval").and_then(|i| i.as_f64()) {
            if !(0.0..=3600.0).contains(&i) {
                return Err("interval must be 0..3600 seconds".to_string());
            }
            self.interval = i;
            changed.push(format!("interval {i}s"));
        }
        if changed.is_empty() {
            return Err("no known field (led, interval)".to_string());
        }
        Ok(changed.join(", "))
    }
}

async fn publish(client: &Client, topic: String, payload: String, qos: QoS, retain: bool) {
    let mut p = Publish::new(ByteStr::from(topic), Bytes::from(payload.into_bytes()));
    p.qos = qos;
    p.retain = retain;
    // A full queue waits; a refused message is not worth stopping the demo for.
    let _ = client.publish(p).await;
}

fn say(line: String) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// One device: connects with its Will, reports, answers commands, and sometimes vanishes.
async fn device(
    conn: ConnectArgs,
    id: String,
    mut rng: Rng,
    period: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut reading = Reading::new(&mut rng);
    loop {
        let status = format!("devices/{id}/status");
        let mut args = conn.clone();
        args.client_id = Some(format!("sim-{id}"));
        let Ok(mut config) = args.config("sim", false, None) else {
            return;
        };
        config.options.will = Some(Will {
            topic: ByteStr::from(status.clone()),
            payload: Bytes::from_static(b"offline"),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Properties::new(),
        });
        let (client, mut notices) = match crate::client::connect(config).await {
            Ok(c) => c,
            Err(e) => {
                say(format!("{id}: {e}; retrying in 5s"));
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(5)) => continue,
                    _ = stop.changed() => return,
                }
            }
        };
        let cmd = format!("devices/{id}/cmd");
        let _ = client
            .subscribe(
                vec![Subscription::new(ByteStr::from(cmd), QoS::AtLeastOnce)],
                Properties::new(),
            )
            .await;
        publish(
            &client,
            status.clone(),
            "online".into(),
            QoS::AtLeastOnce,
            true,
        )
        .await;
        publish(
            &client,
            format!("devices/{id}/state"),
            reading.state(),
            QoS::AtLeastOnce,
            true,
        )
        .await;
        // Stay up for a while, then drop off (Will fires), unless told to stop.
        let uptime = Duration::from_secs_f64(rng.range(45.0, 180.0));
        let online_until = tokio::time::Instant::now() + uptime;
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    reading.drift(&mut rng);
                    publish(&client, format!("devices/{id}/telemetry"), reading.telemetry(), QoS::AtMostOnce, false).await;
                    if reading.temperature > 30.0 && rng.unit() < 0.05 {
                        let alert = serde_json::json!({"device": id, "message": format!("temperature {:.1} °C", reading.temperature), "ts": now_ms()});
                        publish(&client, "alerts/warning".into(), alert.to_string(), QoS::AtLeastOnce, false).await;
                    }
                    if reading.battery < 15.0 && rng.unit() < 0.02 {
                        let alert = serde_json::json!({"device": id, "message": format!("battery low ({:.0}%)", reading.battery), "ts": now_ms()});
                        publish(&client, "alerts/critical".into(), alert.to_string(), QoS::AtLeastOnce, false).await;
                    }
                }
                n = notices.recv() => match n {
                    Some(Notice::Event(Event::Message { publish: p, .. })) => {
                        match reading.apply(&p.payload) {
                            Ok(what) => {
                                say(format!("{id}: command applied: {what}"));
                                publish(&client, format!("devices/{id}/state"), reading.state(), QoS::AtLeastOnce, true).await;
                                let info = serde_json::json!({"device": id, "message": format!("command applied: {what}"), "ts": now_ms()});
                                publish(&client, "alerts/info".into(), info.to_string(), QoS::AtLeastOnce, false).await;
                            }
                            Err(e) => {
                                say(format!("{id}: command refused: {e}"));
                                let alert = serde_json::json!({"device": id, "message": format!("command refused: {e}"), "ts": now_ms()});
                                publish(&client, "alerts/warning".into(), alert.to_string(), QoS::AtLeastOnce, false).await;
                            }
                        }
                    }
                    Some(Notice::Reconnecting { attempt, delay, error }) => report_reconnect(attempt, delay, &format!("{id}: {error}")),
                    Some(_) => {}
                    None => break,
                },
                _ = tokio::time::sleep_until(online_until) => {
                    say(format!("{id}: dropping off the network (its Will marks it offline)"));
                    client.abort();
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs_f64(rng.range(5.0, 20.0))) => break,
                        _ = stop.changed() => return,
                    }
                }
                _ = stop.changed() => {
                    // A clean stop: say so ourselves, since a normal DISCONNECT drops the Will.
                    publish(&client, status.clone(), "offline".into(), QoS::AtLeastOnce, true).await;
                    client.disconnect(ReasonCode::SUCCESS, None).await;
                    return;
                }
            }
        }
    }
}

const LINES: &[(&str, &str)] = &[
    ("ada", "deploying the new firmware to the east wing"),
    (
        "grace",
        "dev-03 looks warm again, can someone check the fan?",
    ),
    ("linus", "battery swap done on the rooftop sensors"),
    ("ada", "dashboard updated with the humidity panel"),
    ("grace", "all green on my side"),
    ("ken", "rebooting the gateway in 5 minutes"),
    ("linus", "who turned the LEDs on in the lab?"),
    ("ken", "gateway back up"),
];

/// Chat rooms and the occasional info alert, from one client.
async fn chatter(
    conn: ConnectArgs,
    rooms: Vec<String>,
    interval: Duration,
    mut rng: Rng,
    mut stop: watch::Receiver<bool>,
) {
    let mut args = conn.clone();
    args.client_id = Some(format!("sim-chat-{}", std::process::id()));
    let Ok(config) = args.config("sim", false, None) else {
        return;
    };
    let Ok((client, mut notices)) = crate::client::connect(config).await else {
        return;
    };
    loop {
        let pause = interval.mul_f64(rng.range(0.4, 1.6));
        tokio::select! {
            _ = tokio::time::sleep(pause) => {
                let Some(room) = rng.pick(&rooms) else { continue };
                let Some((from, text)) = rng.pick(LINES) else { continue };
                let msg = serde_json::json!({"from": from, "text": text, "ts": now_ms()});
                publish(&client, format!("chat/{room}"), msg.to_string(), QoS::AtLeastOnce, false).await;
            }
            n = notices.recv() => if n.is_none() { return },
            _ = stop.changed() => {
                client.disconnect(ReasonCode::SUCCESS, None).await;
                return;
            }
        }
    }
}

/// Runs `switchboard sim`.
pub(crate) async fn run(args: SimArgs) -> Result<(), String> {
    if !(args.rate.is_finite() && args.rate > 0.0) {
        return Err("--rate must be a positive number of messages per second".to_string());
    }
    // The time between two telemetry messages of one device.
    let period = Duration::try_from_secs_f64(f64::from(args.devices) / args.rate)
        .ok()
        .filter(|p| *p >= Duration::from_millis(1) && *p <= Duration::from_secs(86_400))
        .ok_or("--rate must give each device between one message a day and 1,000 a second")?;
    // Check the URL and options once, up front, for a clear error.
    let config = args.conn.config("sim", false, None)?;
    // And that the broker is there at all: a first connection that fails is an error.
    let (probe, _) = crate::client::connect(config).await?;
    probe.disconnect(ReasonCode::SUCCESS, None).await;
    // Ctrl-C or SIGTERM: every device says `offline` itself and disconnects.
    let stop = stop_requested();

    let seed = args
        .seed
        .unwrap_or_else(|| now_ms() ^ u64::from(std::process::id()) << 32)
        | 1;
    let mut rng = Rng(seed);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    for n in 1..=args.devices {
        let id = format!("dev-{n:02}");
        let child = Rng(rng.next() | 1);
        tasks.push(tokio::spawn(device(
            args.conn.clone(),
            id,
            child,
            period,
            stop_rx.clone(),
        )));
    }
    let rooms: Vec<String> = args
        .rooms
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(String::from)
        .collect();
    if !rooms.is_empty() {
        tasks.push(tokio::spawn(chatter(
            args.conn.clone(),
            rooms,
            args.chat_interval,
            Rng(rng.next() | 1),
            stop_rx.clone(),
        )));
    }
    say(format!(
        "sim: {} devices, {} telemetry msg/s, on {}; Ctrl-C to stop",
        args.devices, args.rate, args.conn.url
    ));
    match args.duration {
        Some(d) => tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = stop => {}
        },
        None => stop.await,
    }
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    Ok(())
}
