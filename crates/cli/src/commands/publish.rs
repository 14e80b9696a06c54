//! `switchboard pub`: publish one message, a repeated one, a file, stdin, or stdin line by
//! line — surviving broker restarts without losing (QoS 1/2) or duplicating (QoS 2) anything.

use super::connection::{parse_qos, report_reconnect, ConnectArgs};
use super::properties::Target;
use crate::client::{describe, Client, Notice};
use bytes::Bytes;
use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;
use switchboard_mqtt::codec::{ByteStr, PacketType, Publish, QoS, ReasonCode};
use switchboard_mqtt::session::{DisconnectReason, Event};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::sync::mpsc;

/// Arguments of `switchboard pub`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  switchboard pub -t devices/d1/cmd -m '{\"led\":\"on\"}' -q 1
  switchboard pub -L ws://127.0.0.1:9001 -V 5 -t chat/lobby -m hi -D publish user-property from cli
  tail -f log | switchboard pub -t logs/app -l -q 2 -c -i logger

With -l, lines read while the broker is away are queued and delivered once it is back.")]
pub(crate) struct PubArgs {
    #[command(flatten)]
    conn: ConnectArgs,

    /// Topic to publish to.
    #[arg(short = 't', long, value_name = "TOPIC")]
    topic: String,

    /// Message payload.
    #[arg(short = 'm', long, value_name = "MESSAGE", group = "source")]
    message: Option<String>,

    /// Send the contents of a file as the message.
    #[arg(short = 'f', long, value_name = "FILE", group = "source")]
    file: Option<std::path::PathBuf>,

    /// Read the message from stdin, whole.
    #[arg(short = 's', long, group = "source")]
    stdin_message: bool,

    /// Read stdin line by line, one message per line.
    #[arg(short = 'l', long, group = "source")]
    stdin_lines: bool,

    /// Send an empty (null) message.
    #[arg(short = 'n', long, group = "source")]
    null_message: bool,

    /// QoS.
    #[arg(short = 'q', long, value_name = "QOS", default_value = "0", value_parser = parse_qos)]
    qos: QoS,

    /// Retain the message.
    #[arg(short = 'r', long)]
    retain: bool,

    /// Keep the session (Clean Session 0 / Session Expiry): in-flight messages survive broker
    /// restarts exactly once. Needs -i.
    #[arg(short = 'c', long = "disable-clean-session")]
    keep_session: bool,

    /// Session expiry in seconds (5.0), with -c.
    #[arg(short = 'x', long = "session-expiry", value_name = "SECONDS")]
    session_expiry: Option<u32>,

    /// Send the message N times.
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: u32,

    /// Seconds between repeats.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    repeat_delay: f64,
}

/// Tracks acknowledgements and what the connection does while we publish.
struct Progress {
    outstanding: BTreeSet<u16>,
    failures: Vec<String>,
    protocol: switchboard_mqtt::codec::Protocol,
    reconnect: bool,
}

impl Progress {
    /// Handles one notice; an error ends the command.
    fn notice(&mut self, n: Notice) -> Result<(), String> {
        match n {
            Notice::Event(Event::Published {
                packet_id,
                code,
                properties,
            }) => {
                self.outstanding.remove(&packet_id.get());
                if !code.is_success() {
                    let mut msg = format!(
                        "the broker refused message {packet_id}: {:#04x} {}",
                        code.get(),
                        code.name_in(PacketType::PubAck, self.protocol)
                    );
                    if let Some(r) = properties.reason_string() {
                        msg.push_str(&format!(" ({r})"));
                    }
                    let _ = writeln!(std::io::stderr().lock(), "error: {msg}");
                    self.failures.push(msg);
                }
                Ok(())
            }
            Notice::Event(Event::Disconnected(reason)) => match reason {
                DisconnectReason::Local { .. } => Ok(()),
                // A Reconnecting notice follows and says why.
                _ if self.reconnect => Ok(()),
                r => Err(describe(&r, self.protocol)),
            },
            Notice::Reconnecting {
                attempt,
                delay,
                error,
            } => {
                report_reconnect(attempt, delay, &error);
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

async fn send(
    client: &Client,
    template: &Publish,
    payload: Bytes,
    progress: &mut Progress,
) -> Result<(), String> {
    let mut p = template.clone();
    p.payload = payload;
    match client.publish(p).await {
        Ok(Some(id)) => {
            progress.outstanding.insert(id.get());
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(format!("cannot publish: {e}")),
    }
}

/// Runs `switchboard pub`.
pub(crate) async fn run(args: PubArgs) -> Result<(), String> {
    switchboard_mqtt::topic::validate_name(&args.topic)
        .map_err(|e| format!("invalid topic {:?}: {e}", args.topic))?;
    if !(args.repeat_delay.is_finite() && args.repeat_delay >= 0.0) {
        return Err("--repeat-delay must be a number of seconds, 0 or more".to_string());
    }
    let props = args.conn.cli_properties()?;
    let mut template = Publish::new(ByteStr::from(args.topic.clone()), Bytes::new());
    template.qos = args.qos;
    template.retain = args.retain;
    template.properties = props.for_target(Target::Publish).cloned().collect();
    // Read a whole message before connecting, so a missing file fails fast.
    let single: Option<Bytes> = if let Some(m) = &args.message {
        Some(Bytes::from(m.clone().into_bytes()))
    } else if let Some(f) = &args.file {
        Some(Bytes::from(
            std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?,
        ))
    } else if args.null_message {
        Some(Bytes::new())
    } else if args.stdin_message {
        let mut buf = Vec::new();
        tokio::io::stdin()
            .read_to_end(&mut buf)
            .await
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        Some(Bytes::from(buf))
    } else if args.stdin_lines {
        None
    } else {
        return Err("give a message: -m MESSAGE, -f FILE, -s, -l or -n".to_string());
    };

    let config = args
        .conn
        .config("switchboard-pub", args.keep_session, args.session_expiry)?;
    let protocol = config.options.protocol;
    let reconnect = config.reconnect;
    let (client, mut notices) = args.conn.connect(config).await?;
    let mut progress = Progress {
        outstanding: BTreeSet::new(),
        failures: Vec::new(),
        protocol,
        reconnect,
    };

    match single {
        Some(payload) => {
            for i in 0..args.repeat {
                if i > 0 && args.repeat_delay > 0.0 {
                    let pause = tokio::time::sleep(Duration::from_secs_f64(args.repeat_delay));
                    tokio::pin!(pause);
                    loop {
                        tokio::select! {
                            _ = &mut pause => break,
                            Some(n) = notices.recv() => progress.notice(n)?,
                        }
                    }
                }
                drain(&mut notices, &mut progress)?;
                send(&client, &template, payload.clone(), &mut progress).await?;
            }
        }
        None => {
            let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
            loop {
                tokio::select! {
                    line = lines.next_line() => match line {
                        Ok(Some(line)) => {
                            send(&client, &template, Bytes::from(line.into_bytes()), &mut progress).await?;
                        }
                        Ok(None) => break,
                        Err(e) => return Err(format!("cannot read stdin: {e}")),
                    },
                    Some(n) = notices.recv() => progress.notice(n)?,
                }
            }
        }
    }

    // Every QoS 1/2 message is acknowledged before we leave.
    while !progress.outstanding.is_empty() {
        match notices.recv().await {
            Some(n) => progress.notice(n)?,
            None => return Err("the client stopped before every message was acknowledged".into()),
        }
    }
    client
        .disconnect(ReasonCode::SUCCESS, props.disconnect_session_expiry())
        .await;
    match progress.failures.len() {
        0 => Ok(()),
        n => Err(format!("{n} message(s) refused by the broker")),
    }
}

fn drain(
    notices: &mut mpsc::UnboundedReceiver<Notice>,
    progress: &mut Progress,
) -> Result<(), String> {
    while let Ok(n) = notices.try_recv() {
        progress.notice(n)?;
    }
    Ok(())
}
