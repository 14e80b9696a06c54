//! `switchboard sub`: subscribe and print what arrives, as text or one JSON object a line.

use super::connection::{
    parse_positive_seconds, parse_qos, report_reconnect, stop_requested, ConnectArgs,
};
use super::properties::Target;
use crate::client::{describe, Notice};
use base64::Engine;
use std::io::Write;
use std::time::Duration;
use switchboard_mqtt::codec::{
    ByteStr, PacketType, Properties, Publish, QoS, ReasonCode, RetainHandling, Subscription,
    SubscriptionOptions,
};
use switchboard_mqtt::session::{DisconnectReason, Event};

/// Arguments of `switchboard sub`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  switchboard sub -t 'devices/+/status' -v
  switchboard sub -L ws://127.0.0.1:9001 -V 5 -t 'chat/#' --json
  switchboard sub -t alerts/# -q 2 -c -i watcher -C 10
  switchboard sub -c -i watcher -t alerts/critical -U 'alerts/#'")]
pub(crate) struct SubArgs {
    #[command(flatten)]
    conn: ConnectArgs,

    /// Topic filter to subscribe to (repeatable).
    #[arg(
        short = 't',
        long = "topic",
        value_name = "FILTER",
        required_unless_present = "unsubscribe"
    )]
    filters: Vec<String>,

    /// Topic filter to unsubscribe from once connected, after subscribing (repeatable): drops
    /// a subscription a persistent session (-c) kept from an earlier run.
    #[arg(short = 'U', long = "unsubscribe", value_name = "FILTER")]
    unsubscribe: Vec<String>,

    /// Maximum QoS to receive at.
    #[arg(short = 'q', long, value_name = "QOS", default_value = "0", value_parser = parse_qos)]
    qos: QoS,

    /// Keep the session (Clean Session 0 / Session Expiry): messages published while we are
    /// away are delivered when we come back. Needs -i.
    #[arg(short = 'c', long = "disable-clean-session")]
    keep_session: bool,

    /// Session expiry in seconds (5.0); implies keeping the session when above 0.
    #[arg(short = 'x', long = "session-expiry", value_name = "SECONDS")]
    session_expiry: Option<u32>,

    /// Exit after receiving COUNT messages.
    #[arg(short = 'C', long = "count", value_name = "COUNT")]
    count: Option<u64>,

    /// Exit after SECONDS.
    #[arg(short = 'W', long = "timeout", value_name = "SECONDS", value_parser = parse_positive_seconds)]
    timeout: Option<Duration>,

    /// Print "topic payload".
    #[arg(short = 'v', long, conflicts_with = "json")]
    verbose: bool,

    /// Print one JSON object per message: topic, payload (text, or base64 with
    /// "payload_encoding": "base64"), qos, retain, dup, properties.
    #[arg(long)]
    json: bool,

    /// Do not receive our own publications (5.0).
    #[arg(long)]
    no_local: bool,

    /// Keep the retain flag as published (5.0).
    #[arg(long)]
    retain_as_published: bool,

    /// Retained messages: 0 send at subscribe, 1 only for a new subscription, 2 never (5.0).
    #[arg(long, value_name = "0|1|2", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    retain_handling: u8,
}

/// One message as a line of output.
fn render(p: &Publish, subscriptions: &[ByteStr], args: &SubArgs) -> Vec<u8> {
    if args.json {
        let (payload, encoding) = match std::str::from_utf8(&p.payload) {
            Ok(text) => (text.to_string(), "text"),
            Err(_) => (
                base64::engine::general_purpose::STANDARD.encode(&p.payload),
                "base64",
            ),
        };
        let mut v = serde_json::json!({
            "topic": p.topic.as_str(),
            "payload": payload,
            "payload_encoding": encoding,
            "qos": p.qos as u8,
            "retain": p.retain,
            "dup": p.dup,
        });
        if let (true, Some(obj)) = (args.conn.version.is_v5(), v.as_object_mut()) {
            obj.insert(
                "properties".into(),
                serde_json::to_value(&p.properties).unwrap_or_default(),
            );
            if !subscriptions.is_empty() {
                obj.insert("subscriptions".into(), serde_json::json!(subscriptions));
            }
        }
        let mut line = v.to_string().into_bytes();
        line.push(b'\n');
        return line;
    }
    let mut line = Vec::with_capacity(p.topic.len() + p.payload.len() + 2);
    if args.verbose {
        line.extend_from_slice(p.topic.as_bytes());
        line.push(b' ');
    }
    line.extend_from_slice(&p.payload);
    line.push(b'\n');
    line
}

/// Runs `switchboard sub`.
pub(crate) async fn run(args: SubArgs) -> Result<(), String> {
    let v5 = args.conn.version.is_v5();
    if !v5 && (args.no_local || args.retain_as_published || args.retain_handling != 0) {
        return Err(
            "--no-local, --retain-as-published and --retain-handling need MQTT 5.0 (-V 5)"
                .to_string(),
        );
    }
    let options = SubscriptionOptions {
        qos: args.qos,
        no_local: args.no_local,
        retain_as_published: args.retain_as_published,
        retain_handling: match args.retain_handling {
            1 => RetainHandling::SendAtNewSubscribe,
            2 => RetainHandling::DoNotSend,
            _ => RetainHandling::SendAtSubscribe,
        },
    };
    let mut subscriptions = Vec::new();
    for f in &args.filters {
        switchboard_mqtt::topic::validate_filter(f)
            .map_err(|e| format!("invalid topic filter {f:?}: {e}"))?;
        subscriptions.push(Subscription {
            filter: ByteStr::from(f.clone()),
            options,
        });
    }
    let mut unsubscribe = Vec::new();
    for f in &args.unsubscribe {
        switchboard_mqtt::topic::validate_filter(f)
            .map_err(|e| format!("invalid topic filter {f:?}: {e}"))?;
        unsubscribe.push(ByteStr::from(f.clone()));
    }
    let props = args.conn.cli_properties()?;
    let sub_props: Properties = props.for_target(Target::Subscribe).cloned().collect();
    let unsub_props: Properties = props.for_target(Target::Unsubscribe).cloned().collect();
    let persistent = args.keep_session || args.session_expiry.is_some_and(|e| e > 0);
    let config = args
        .conn
        .config("switchboard-sub", persistent, args.session_expiry)?;
    let protocol = config.options.protocol;
    let reconnect = config.reconnect;
    let (client, mut notices) = args.conn.connect(config).await?;
    // Like mosquitto_sub: subscribe first, then unsubscribe.
    let mut sub_id = None;
    if !subscriptions.is_empty() {
        let id = client
            .subscribe(subscriptions, sub_props)
            .await
            .map_err(|e| format!("cannot subscribe: {e}"))?;
        sub_id = Some(id);
    }
    let mut unsub_id = None;
    if !unsubscribe.is_empty() {
        let id = client
            .unsubscribe(unsubscribe, unsub_props)
            .await
            .map_err(|e| format!("cannot unsubscribe: {e}"))?;
        unsub_id = Some(id);
    }

    let deadline = args.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut received = 0u64;
    // Ctrl-C or SIGTERM ends with DISCONNECT, like mosquitto_sub: no Will, session kept.
    let stop = stop_requested();
    tokio::pin!(stop);
    let mut stdout = std::io::stdout().lock();
    let result = loop {
        if args.count.is_some_and(|c| received >= c) {
            break Ok(());
        }
        let notice = tokio::select! {
            n = notices.recv() => n,
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => break Ok(()),
            _ = &mut stop => break Ok(()),
        };
        match notice {
            Some(Notice::Event(Event::Message {
                publish,
                subscriptions,
            })) => {
                received += 1;
                let line = render(&publish, &subscriptions, &args);
                if stdout
                    .write_all(&line)
                    .and_then(|_| stdout.flush())
                    .is_err()
                {
                    // Our reader went away (a closed pipe): stop quietly, like mosquitto_sub.
                    break Ok(());
                }
            }
            Some(Notice::Event(Event::Subscribed {
                packet_id, codes, ..
            })) if Some(packet_id) == sub_id => {
                let refused: Vec<String> = args
                    .filters
                    .iter()
                    .zip(&codes)
                    .filter(|(_, c)| !c.is_success())
                    .map(|(f, c)| {
                        format!(
                            "{f}: {:#04x} {}",
                            c.get(),
                            c.name_in(PacketType::SubAck, protocol)
                        )
                    })
                    .collect();
                if refused.len() == args.filters.len() {
                    break Err(format!("subscription refused: {}", refused.join(", ")));
                }
                for r in refused {
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "warning: subscription refused: {r}"
                    );
                }
            }
            Some(Notice::Event(Event::Unsubscribed {
                packet_id, codes, ..
            })) if Some(packet_id) == unsub_id => {
                // 5.0 says per filter whether it went; 0x11 (there was no such subscription)
                // counts as a success but is worth a word. 3.1.1's UNSUBACK has no codes.
                for (f, c) in args.unsubscribe.iter().zip(&codes) {
                    if c.get() != 0 {
                        let _ = writeln!(
                            std::io::stderr().lock(),
                            "warning: unsubscribe {f}: {:#04x} {}",
                            c.get(),
                            c.name_in(PacketType::UnsubAck, protocol)
                        );
                    }
                }
            }
            Some(Notice::Event(Event::Disconnected(reason))) => match reason {
                DisconnectReason::Local { .. } => break Ok(()),
                _ if reconnect => {}
                r => break Err(describe(&r, protocol)),
            },
            Some(Notice::Reconnecting {
                attempt,
                delay,
                error,
            }) => report_reconnect(attempt, delay, &error),
            Some(_) => {}
            None => break Err("the connection ended".to_string()),
        }
    };
    drop(stdout);
    client
        .disconnect(ReasonCode::SUCCESS, props.disconnect_session_expiry())
        .await;
    result
}
