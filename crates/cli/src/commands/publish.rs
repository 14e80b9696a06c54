//! `switchboard pub`: publish one message, a repeated one, a file, stdin, or stdin line by
//! line — surviving broker restarts without losing (QoS 1/2) or duplicating (QoS 2) anything.

use super::connection::{parse_qos, parse_seconds, report_reconnect, stop_requested, ConnectArgs};
use super::properties::Target;
use crate::client::{describe, Client, Notice};
use bytes::Bytes;
use std::collections::BTreeSet;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
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

With -l, lines read while the broker is away are queued and delivered once it is back.
Ctrl-C (or SIGTERM) stops reading, gives the broker up to 10 s to acknowledge the QoS 1/2
messages already sent (a second Ctrl-C leaves at once), then disconnects; the exit code is 0
only if every one was acknowledged.")]
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
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = parse_seconds)]
    repeat_delay: Duration,
}

/// Tracks acknowledgements and what the connection does while we publish.
struct Progress {
    outstanding: BTreeSet<u16>,
    /// Messages a stop request left waiting for room in the client's queue.
    abandoned: usize,
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

/// How long a stop request (Ctrl-C, SIGTERM) gives the broker to acknowledge the QoS 1/2
/// messages already handed to the session: long enough for a broker that is up, or coming
/// back, to answer; short enough that a stop still stops when it is gone for good.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Stop requests. The first one ends the input and starts the grace period; a second one, or
/// the end of the grace period, ends the waiting too.
struct Stop {
    signal: Pin<Box<dyn Future<Output = ()> + Send>>,
    requested: bool,
    deadline: Option<tokio::time::Instant>,
}

impl Stop {
    fn new() -> Stop {
        Stop {
            signal: Box::pin(stop_requested()),
            requested: false,
            deadline: None,
        }
    }

    /// Resolves at the next stop request (false: stop reading input) or once waiting is over
    /// (true: leave now). Cancel-safe: it changes state only when it resolves.
    async fn next(&mut self) -> bool {
        let deadline = self.deadline;
        tokio::select! {
            _ = &mut self.signal => {
                // A fresh handler, so a second Ctrl-C is seen too.
                self.signal = Box::pin(stop_requested());
                if self.requested {
                    return true;
                }
                self.requested = true;
                self.deadline = Some(tokio::time::Instant::now() + STOP_GRACE);
                false
            }
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => true,
        }
    }
}

/// A connected publisher: the client, what it reports, and the stop requests.
struct Publisher {
    client: Client,
    notices: mpsc::UnboundedReceiver<Notice>,
    template: Publish,
    progress: Progress,
    stop: Stop,
}

/// Whether to go on after a step.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    /// Go on with the input.
    Next,
    /// A stop was requested: no more input; wait for acknowledgements.
    Finish,
    /// Stop waiting: disconnect now.
    Leave,
}

impl Publisher {
    /// Hands one message to the client. A first stop request while the client waits for room
    /// in its queue does not take the message back: it is sent and awaited like the others.
    async fn send(&mut self, payload: Bytes) -> Result<Flow, String> {
        let mut p = self.template.clone();
        p.payload = payload;
        let publish = self.client.publish(p);
        tokio::pin!(publish);
        let accepted = loop {
            tokio::select! {
                r = &mut publish => break r,
                leave = self.stop.next() => if leave {
                    self.progress.abandoned += 1;
                    return Ok(Flow::Leave);
                },
            }
        };
        match accepted {
            Ok(Some(id)) => {
                self.progress.outstanding.insert(id.get());
            }
            Ok(None) => {}
            Err(e) => return Err(format!("cannot publish: {e}")),
        }
        Ok(self.flow())
    }

    fn flow(&self) -> Flow {
        if self.stop.requested {
            Flow::Finish
        } else {
            Flow::Next
        }
    }

    /// Waits `pause`, handling notices meanwhile.
    async fn pause(&mut self, pause: Duration) -> Result<Flow, String> {
        let pause = tokio::time::sleep(pause);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                _ = &mut pause => return Ok(Flow::Next),
                Some(n) = self.notices.recv() => self.progress.notice(n)?,
                leave = self.stop.next() => return Ok(if leave { Flow::Leave } else { Flow::Finish }),
            }
        }
    }

    /// Publishes `payload` `repeat` times, `delay` apart.
    async fn repeat(
        &mut self,
        payload: Bytes,
        repeat: u32,
        delay: Duration,
    ) -> Result<Flow, String> {
        for i in 0..repeat {
            if i > 0 && !delay.is_zero() {
                let flow = self.pause(delay).await?;
                if flow != Flow::Next {
                    return Ok(flow);
                }
            }
            while let Ok(n) = self.notices.try_recv() {
                self.progress.notice(n)?;
            }
            let flow = self.send(payload.clone()).await?;
            if flow != Flow::Next {
                return Ok(flow);
            }
        }
        Ok(Flow::Next)
    }

    /// Publishes stdin line by line until it ends or a stop is requested.
    async fn lines(&mut self) -> Result<Flow, String> {
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        loop {
            // `next_line` is cancel-safe: a line half read when a notice comes is kept.
            let line = tokio::select! {
                line = lines.next_line() => line,
                Some(n) = self.notices.recv() => {
                    self.progress.notice(n)?;
                    continue;
                }
                leave = self.stop.next() => return Ok(if leave { Flow::Leave } else { Flow::Finish }),
            };
            match line {
                Ok(Some(line)) => {
                    let flow = self.send(Bytes::from(line.into_bytes())).await?;
                    if flow != Flow::Next {
                        return Ok(flow);
                    }
                }
                Ok(None) => return Ok(Flow::Next),
                Err(e) => return Err(format!("cannot read stdin: {e}")),
            }
        }
    }

    /// Waits until the broker acknowledged every QoS 1/2 message, or waiting is over.
    async fn acknowledged(&mut self) -> Result<(), String> {
        if self.stop.requested {
            self.say_stopping();
        }
        while !self.progress.outstanding.is_empty() {
            tokio::select! {
                n = self.notices.recv() => match n {
                    Some(n) => self.progress.notice(n)?,
                    None => {
                        return Err("the client stopped before every message was acknowledged".into())
                    }
                },
                leave = self.stop.next() => {
                    if leave {
                        return Ok(());
                    }
                    self.say_stopping();
                }
            }
        }
        Ok(())
    }

    /// Tells the user why a stop request is not immediate.
    fn say_stopping(&self) {
        let n = self.progress.outstanding.len();
        if n > 0 {
            let _ = writeln!(
                std::io::stderr().lock(),
                "stopping: waiting up to {}s for the broker to acknowledge {n} message(s); \
                 Ctrl-C again to leave now",
                STOP_GRACE.as_secs()
            );
        }
    }
}

/// Runs `switchboard pub`.
pub(crate) async fn run(args: PubArgs) -> Result<(), String> {
    switchboard_mqtt::topic::validate_name(&args.topic)
        .map_err(|e| format!("invalid topic {:?}: {e}", args.topic))?;
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
    let (client, notices) = args.conn.connect(config).await?;
    let mut publisher = Publisher {
        client,
        notices,
        template,
        progress: Progress {
            outstanding: BTreeSet::new(),
            abandoned: 0,
            failures: Vec::new(),
            protocol,
            reconnect,
        },
        // Ctrl-C or SIGTERM ends with DISCONNECT (no Will) once what was sent is acknowledged.
        stop: Stop::new(),
    };

    let flow = match single {
        Some(payload) => {
            publisher
                .repeat(payload, args.repeat, args.repeat_delay)
                .await?
        }
        None => publisher.lines().await?,
    };
    if flow != Flow::Leave {
        publisher.acknowledged().await?;
    }
    publisher
        .client
        .disconnect(ReasonCode::SUCCESS, props.disconnect_session_expiry())
        .await;
    let progress = &publisher.progress;
    let unacknowledged = progress.outstanding.len() + progress.abandoned;
    if unacknowledged > 0 {
        return Err(format!(
            "stopped with {unacknowledged} QoS {} message(s) not acknowledged by the broker",
            args.qos as u8
        ));
    }
    match progress.failures.len() {
        0 => Ok(()),
        n => Err(format!("{n} message(s) refused by the broker")),
    }
}
