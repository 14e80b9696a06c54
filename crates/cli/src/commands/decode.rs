//! `switchboard decode`: MQTT packets in, one line of JSON per packet out, or the exact rule a
//! packet breaks.
//!
//! The bytes go through the same streaming [`Decoder`] a connection uses, so several packets
//! back to back decode one after another, and a CONNECT switches the version for the packets
//! after it, as it would on the wire.

use crate::input;
use bytes::BytesMut;
use std::error::Error;
use std::fmt;
use std::io::{self, Write};
use switchboard_mqtt::codec::{DecodeError, Decoder, Described, Packet, Protocol, Status};

/// Arguments of `switchboard decode`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  switchboard decode 30 07 00 03 61 2f 62 68 69
  switchboard decode -V 5 '0x20, 0x03, 0x00, 0x00, 0x00'
  echo 'c0 00 d0 00' | switchboard decode
  switchboard decode --binary capture.bin

Exit status: 0 when every packet decoded, 1 on a malformed or truncated packet or bad input
(the packets before it are still printed), 2 on a usage error.")]
pub(crate) struct DecodeArgs {
    /// Protocol version the packets are decoded with: 31, 311 or 5 (also mqttv31, mqttv311,
    /// mqttv5, 3.1, 3.1.1, 5.0). A CONNECT declares its own version, and the packets after it
    /// are decoded with that one.
    #[arg(
        short = 'V',
        long = "protocol-version",
        value_name = "VERSION",
        default_value = "311",
        value_parser = parse_version
    )]
    version: Protocol,

    /// Read raw bytes instead of hex: from FILE if one is given, otherwise from stdin.
    #[arg(long)]
    binary: bool,

    /// Packets as hex, several back to back allowed. Whitespace, line breaks, commas and
    /// `0x` prefixes are ignored. Read from stdin when absent. With --binary: a FILE of raw
    /// bytes (`-` for stdin).
    #[arg(value_name = "HEX|FILE")]
    input: Vec<String>,
}

/// Parses a protocol version as mosquitto's clients spell it, or as the spec numbers it.
pub(crate) fn parse_version(s: &str) -> Result<Protocol, String> {
    let v = s.trim().to_ascii_lowercase();
    let v = v.strip_prefix("mqttv").unwrap_or(&v);
    match v {
        "31" | "3.1" | "3" => Ok(Protocol::V3_1),
        "311" | "3.1.1" | "4" => Ok(Protocol::V3_1_1),
        "5" | "50" | "5.0" => Ok(Protocol::V5),
        _ => Err("expected 31, 311 or 5 (or mqttv31, mqttv311, mqttv5, 3.1, 3.1.1, 5.0)".into()),
    }
}

/// Why decoding stopped before the end of the input. `index` counts packets from 1 and
/// `offset` is where the packet starts in the input.
#[derive(Debug)]
enum Failure {
    /// The packet breaks a rule of the protocol.
    Malformed {
        index: usize,
        offset: usize,
        error: DecodeError,
    },
    /// The input ends inside the packet. `needed` is how many more bytes would complete it,
    /// when the fixed header is whole and says.
    Truncated {
        index: usize,
        offset: usize,
        needed: Option<usize>,
    },
    /// No bytes at all.
    Empty,
    /// Writing the JSON failed.
    Output(io::Error),
    /// A packet could not be serialized.
    Json(serde_json::Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Malformed {
                index,
                offset,
                error,
            } => write!(f, "packet {index} (at byte {offset}): {error}"),
            Failure::Truncated {
                index,
                offset,
                needed: Some(n),
            } => write!(
                f,
                "packet {index} (at byte {offset}): truncated: {n} more byte{} needed",
                if *n == 1 { "" } else { "s" }
            ),
            Failure::Truncated {
                index,
                offset,
                needed: None,
            } => write!(
                f,
                "packet {index} (at byte {offset}): truncated: the fixed header is incomplete \
                 (at least 1 more byte needed)"
            ),
            Failure::Empty => f.write_str("no bytes to decode (give hex as arguments or on stdin)"),
            Failure::Output(e) => write!(f, "cannot write the output: {e}"),
            Failure::Json(e) => write!(f, "cannot serialize a packet: {e}"),
        }
    }
}

impl Error for Failure {}

/// Runs the command: reads the input, then prints packets until the input ends or a packet
/// fails to decode.
pub(crate) fn run(args: &DecodeArgs) -> Result<(), Box<dyn Error>> {
    if !args.binary && args.input.is_empty() && io::IsTerminal::is_terminal(&io::stdin()) {
        let _ = writeln!(
            io::stderr(),
            "reading hex from the terminal; end with Ctrl-D"
        );
    }
    let bytes = if args.binary {
        input::binary_bytes(&args.input)?
    } else {
        input::hex_bytes(&args.input)?
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let decoded = decode_all(bytes, args.version, &mut out);
    // Print what decoded before reporting why the rest did not.
    let flushed = out.flush().map_err(Failure::Output);
    match (decoded, flushed) {
        (Err(Failure::Output(e)), _) | (_, Err(Failure::Output(e)))
            if e.kind() == io::ErrorKind::BrokenPipe =>
        {
            // The reader went away (`| head -1`): that is not our failure.
            Ok(())
        }
        (Err(e), _) | (Ok(()), Err(e)) => Err(e.into()),
        (Ok(()), Ok(())) => Ok(()),
    }
}

/// Decodes every packet in `bytes`, writing one JSON line per packet to `out`.
fn decode_all(bytes: Vec<u8>, version: Protocol, out: &mut impl Write) -> Result<(), Failure> {
    let total = bytes.len();
    if total == 0 {
        return Err(Failure::Empty);
    }
    // No packet can be larger than the whole input, so capping the size there lets the
    // decoder report a truncated packet at once, instead of reserving room for the (up to
    // 256 MiB) size its header claims.
    let mut decoder = Decoder::new(version).with_max_packet_size(total);
    let mut buf = BytesMut::from(&bytes[..]);
    let mut index = 0;
    while !buf.is_empty() {
        index += 1;
        let offset = total - buf.len();
        let version = decoder.version();
        match decoder.poll(&mut buf) {
            Ok(Status::Packet(packet)) => print(&packet, version, out)?,
            Ok(Status::NeedMore { needed }) => {
                return Err(Failure::Truncated {
                    index,
                    offset,
                    needed,
                })
            }
            Err(DecodeError::PacketTooLarge { size, .. }) => {
                return Err(Failure::Truncated {
                    index,
                    offset,
                    needed: Some(size.saturating_sub(buf.len())),
                })
            }
            Err(error) => {
                return Err(Failure::Malformed {
                    index,
                    offset,
                    error,
                })
            }
        }
    }
    Ok(())
}

fn print(packet: &Packet, version: Protocol, out: &mut impl Write) -> Result<(), Failure> {
    let json = serde_json::to_string(&Described { packet, version }).map_err(Failure::Json)?;
    writeln!(out, "{json}").map_err(Failure::Output)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

    use super::*;

    #[test]
    fn versions_parse_in_every_spelling() {
        for (s, v) in [
            ("31", Protocol::V3_1),
            ("mqttv31", Protocol::V3_1),
            ("3.1", Protocol::V3_1),
            ("311", Protocol::V3_1_1),
            ("MQTTv311", Protocol::V3_1_1),
            ("3.1.1", Protocol::V3_1_1),
            ("5", Protocol::V5),
            ("mqttv5", Protocol::V5),
            ("5.0", Protocol::V5),
        ] {
            assert_eq!(parse_version(s), Ok(v), "{s}");
        }
        assert!(parse_version("6").is_err());
        assert!(parse_version("").is_err());
    }

    #[test]
    fn a_header_claiming_the_largest_size_is_truncated_without_buffering() {
        let mut out = Vec::new();
        let err = decode_all(
            vec![0x30, 0xff, 0xff, 0xff, 0x7f],
            Protocol::V3_1_1,
            &mut out,
        );
        assert!(
            matches!(
                err,
                Err(Failure::Truncated {
                    index: 1,
                    offset: 0,
                    needed: Some(268_435_455)
                })
            ),
            "{err:?}"
        );
    }
}
