//! The inspector's view model: bytes and a protocol version in; every packet they hold, as a
//! tree of labelled fields, and what ended the decoding (the end of the bytes, a packet cut
//! short, or a broken rule) out.
//!
//! Decoding runs the codec's streaming [`Decoder`] over the whole buffer, exactly as a
//! connection would: a CONNECT switches it to the version the CONNECT declares.

use super::hex::push_hex_byte;
use bytes::BytesMut;
use switchboard_mqtt::codec::{
    self, Auth, ByteStr, ConnAck, Connect, DecodeError, Decoder, Disconnect, Packet, PacketId,
    PacketType, Properties, Property, Protocol, PubResponse, Publish, QoS, ReasonCode,
    RetainHandling, Status, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck,
    Unsubscribe, Will,
};

/// The most packets turned into views; later ones are still decoded (and checked) but only
/// counted, in [`Inspection::more_packets`].
pub const MAX_PACKET_VIEWS: usize = 200;
/// The most bytes of a binary field shown as hex.
pub const MAX_SHOWN_BYTES: usize = 1024;
/// The most characters of a text preview.
pub const MAX_PREVIEW_CHARS: usize = 1024;

/// Everything the inspector shows for one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The version decoding started with.
    pub version: Protocol,
    /// How many bytes were given.
    pub total: usize,
    /// The packets decoded, in order (at most [`MAX_PACKET_VIEWS`]).
    pub packets: Vec<PacketView>,
    /// Packets decoded beyond [`MAX_PACKET_VIEWS`].
    pub more_packets: usize,
    /// What ended the decoding.
    pub stop: Stop,
}

impl Inspection {
    /// How many whole packets the bytes hold.
    pub fn packet_count(&self) -> usize {
        self.packets.len() + self.more_packets
    }
}

/// What ended the decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Every byte belongs to a decoded packet.
    End,
    /// The bytes end inside a packet.
    Incomplete(Leftover),
    /// A packet breaks a rule of the protocol.
    Error(ErrorView),
}

/// The bytes after the last whole packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// Where they start in the input.
    pub offset: usize,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// How many more bytes complete the packet, when its fixed header says.
    pub needed: Option<usize>,
    /// The type the first byte announces, if it names one.
    pub packet: Option<&'static str>,
    /// The length of the fixed header, when it is whole (0 otherwise).
    pub header_len: usize,
}

/// A packet that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorView {
    /// Which packet of the input it is (1-based).
    pub number: usize,
    /// Where it starts in the input.
    pub offset: usize,
    /// The type its first byte announces, if it names one.
    pub packet: Option<&'static str>,
    /// What is wrong (the codec's message, without the rule).
    pub message: String,
    /// The rule: the spec's statement id, or its section.
    pub rule: &'static str,
    /// The reason code an MQTT 5.0 peer closes the connection with.
    pub close_with: Code,
    /// The packet's bytes, as far as its fixed header says it reaches (and the input goes).
    pub bytes: Vec<u8>,
    /// The length of its fixed header, when it is well formed (0 otherwise).
    pub header_len: usize,
    /// Bytes after this packet, not looked at.
    pub unread: usize,
}

/// Which kind of exchange a packet belongs to (for its colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// CONNECT, CONNACK, DISCONNECT, AUTH.
    Session,
    /// PUBLISH.
    Publish,
    /// PUBACK, PUBREC, PUBREL, PUBCOMP.
    Ack,
    /// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK.
    Subscription,
    /// PINGREQ, PINGRESP.
    Ping,
}

impl Family {
    /// The family of a packet type.
    pub const fn of(packet: PacketType) -> Family {
        match packet {
            PacketType::Connect
            | PacketType::ConnAck
            | PacketType::Disconnect
            | PacketType::Auth => Family::Session,
            PacketType::Publish => Family::Publish,
            PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
                Family::Ack
            }
            PacketType::Subscribe
            | PacketType::SubAck
            | PacketType::Unsubscribe
            | PacketType::UnsubAck => Family::Subscription,
            PacketType::PingReq | PacketType::PingResp => Family::Ping,
        }
    }

    /// A CSS class name for it.
    pub const fn class(self) -> &'static str {
        match self {
            Family::Session => "fam-session",
            Family::Publish => "fam-publish",
            Family::Ack => "fam-ack",
            Family::Subscription => "fam-sub",
            Family::Ping => "fam-ping",
        }
    }
}

/// One decoded packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketView {
    /// Its position in the input (1-based).
    pub number: usize,
    /// Where it starts in the input.
    pub offset: usize,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The length of its fixed header.
    pub header_len: usize,
    /// Its name (`PUBLISH`).
    pub name: &'static str,
    /// Its family.
    pub family: Family,
    /// The version it was decoded with (a CONNECT's own).
    pub version: Protocol,
    /// A one-line digest.
    pub summary: String,
    /// Its fields: fixed header, variable header, payload.
    pub fields: Vec<Field>,
    /// The packet itself.
    pub packet: Packet,
}

impl PacketView {
    /// The packet as JSON, every field, as `switchboard decode` prints it.
    pub fn json(&self) -> String {
        let described = codec::Described {
            packet: &self.packet,
            version: self.version,
        };
        serde_json::to_string_pretty(&described).unwrap_or_else(|e| format!("error: {e}"))
    }
}

/// One field of a packet, with the fields inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// A stable machine name (`topic`, `packet_id`, `payload`, `message_expiry_interval`).
    pub key: &'static str,
    /// The name the spec gives it.
    pub label: String,
    /// A small annotation: a property identifier, a flag byte, a size.
    pub tag: Option<String>,
    /// Its value.
    pub value: Value,
    /// Fields nested in it.
    pub children: Vec<Field>,
}

/// A field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A group of fields: a short description of what it holds.
    Group(String),
    /// A UTF-8 string.
    Str(String),
    /// A number, and what it means.
    Num(u64, Option<String>),
    /// A bit field: its bits (most significant first), its value in hex (empty for a nibble),
    /// and what it means.
    Bits(String, String, Option<String>),
    /// A flag.
    Flag(bool),
    /// Binary data.
    Bytes(Binary),
    /// A reason or return code.
    Code(Code),
    /// A name/value pair (a User Property).
    Pair(String, String),
    /// A field the packet does not carry.
    Absent(&'static str),
}

/// Binary data, as hex and, when it is text, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// Its length in bytes.
    pub len: usize,
    /// Spaced hex of the first [`MAX_SHOWN_BYTES`] bytes.
    pub hex: String,
    /// Bytes left out of `hex`.
    pub hidden: usize,
    /// The data as text, when it is well-formed UTF-8 without control characters (other than
    /// tab and line breaks); at most [`MAX_PREVIEW_CHARS`] characters.
    pub text: Option<String>,
    /// Whether `text` was cut short.
    pub text_cut: bool,
}

/// A reason code (5.0) or return code (3.x) with its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The byte.
    pub code: u8,
    /// Its name in this packet and version.
    pub name: &'static str,
    /// Whether it reports success (below 0x80).
    pub success: bool,
}

impl Code {
    fn new(code: ReasonCode, packet: PacketType, version: Protocol) -> Code {
        Code {
            code: code.get(),
            name: code.name_in(packet, version),
            success: code.is_success(),
        }
    }
}

/// Decodes every packet in `bytes`, starting with `version`.
pub fn inspect(bytes: &[u8], version: Protocol) -> Inspection {
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::from(bytes);
    let mut packets = Vec::new();
    let mut more_packets = 0;
    let mut offset = 0;
    let stop = loop {
        if buf.is_empty() {
            break Stop::End;
        }
        let decoded_with = decoder.version();
        let before = buf.len();
        match decoder.poll(&mut buf) {
            Ok(Status::Packet(packet)) => {
                let used = before - buf.len();
                if packets.len() < MAX_PACKET_VIEWS {
                    let raw = bytes.get(offset..offset + used).unwrap_or_default();
                    let number = packets.len() + 1;
                    packets.push(packet_view(number, offset, raw, packet, decoded_with));
                } else {
                    more_packets += 1;
                }
                offset += used;
            }
            Ok(Status::NeedMore { needed }) => {
                let rest = bytes.get(offset..).unwrap_or_default();
                break Stop::Incomplete(Leftover {
                    offset,
                    bytes: rest.to_vec(),
                    needed,
                    packet: announced(rest),
                    header_len: frame(rest).map_or(0, |(h, _)| h),
                });
            }
            Err(e) => {
                let rest = bytes.get(offset..).unwrap_or_default();
                break Stop::Error(error_view(
                    &e,
                    packets.len() + more_packets + 1,
                    offset,
                    rest,
                ));
            }
        }
    };
    Inspection {
        version,
        total: bytes.len(),
        packets,
        more_packets,
        stop,
    }
}

/// The fixed header at the start of `buf`, when it is whole and well formed: its length and
/// the remaining length it declares.
fn frame(buf: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for i in 0..4 {
        let byte = *buf.get(1 + i)?;
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((2 + i, value));
        }
    }
    None
}

/// The packet type the first byte of `buf` names.
fn announced(buf: &[u8]) -> Option<&'static str> {
    buf.first()
        .and_then(|b| PacketType::from_nibble(b >> 4))
        .map(PacketType::name)
}

fn error_view(e: &DecodeError, number: usize, offset: usize, rest: &[u8]) -> ErrorView {
    let rule = e.rule();
    let full = e.to_string();
    let suffix = format!(" [{rule}]");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    let (header_len, len) = match frame(rest) {
        Some((h, remaining)) => (h, (h + remaining).min(rest.len())),
        // A malformed length: show the header bytes there are.
        None => (0, rest.len().min(5)),
    };
    let close = e.reason_code();
    ErrorView {
        number,
        offset,
        packet: announced(rest),
        message,
        rule,
        close_with: Code::new(close, PacketType::Disconnect, Protocol::V5),
        bytes: rest.get(..len).unwrap_or_default().to_vec(),
        header_len,
        unread: rest.len() - len,
    }
}

fn packet_view(
    number: usize,
    offset: usize,
    raw: &[u8],
    packet: Packet,
    decoded_with: Protocol,
) -> PacketView {
    let version = match &packet {
        Packet::Connect(c) => c.protocol,
        _ => decoded_with,
    };
    let ty = packet.packet_type();
    let (header_len, remaining) = frame(raw).unwrap_or((raw.len(), 0));
    let first = raw.first().copied().unwrap_or(0);
    let b = Builder { ty, version };
    let (summary, mut body) = b.body(&packet);
    let mut fields = vec![b.fixed_header(&packet, first, header_len, remaining)];
    fields.append(&mut body);
    PacketView {
        number,
        offset,
        bytes: raw.to_vec(),
        header_len,
        name: ty.name(),
        family: Family::of(ty),
        version,
        summary,
        fields,
        packet,
    }
}

// ---------------------------------------------------------------------------------------------
// Field constructors.

fn field(key: &'static str, label: impl Into<String>, value: Value) -> Field {
    Field {
        key,
        label: label.into(),
        tag: None,
        value,
        children: Vec::new(),
    }
}

impl Field {
    fn tag(mut self, tag: impl Into<String>) -> Field {
        self.tag = Some(tag.into());
        self
    }

    fn children(mut self, children: Vec<Field>) -> Field {
        self.children = children;
        self
    }
}

fn group(
    key: &'static str,
    label: &str,
    summary: impl Into<String>,
    children: Vec<Field>,
) -> Field {
    field(key, label, Value::Group(summary.into())).children(children)
}

fn num(value: impl Into<u64>, note: Option<String>) -> Value {
    Value::Num(value.into(), note)
}

/// The low `width` bits of `value`, as a bit field.
fn bits(value: u8, width: usize, note: Option<String>) -> Value {
    let all = format!("{value:08b}");
    let shown = all.get(8 - width.min(8)..).unwrap_or(&all).to_owned();
    // A nibble reads well enough in binary; a byte gets its hex too.
    let hex = if width > 4 {
        format!("0x{value:02x}")
    } else {
        String::new()
    };
    Value::Bits(shown, hex, note)
}

fn text(s: &ByteStr) -> Value {
    Value::Str(s.as_str().to_owned())
}

fn flag_bit(b: bool) -> u8 {
    u8::from(b)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn byte_count(n: usize) -> String {
    plural(n, "byte", "bytes")
}

/// "seconds", and the span in larger units when it is a whole number of them.
fn seconds(n: u32) -> Option<String> {
    let larger = match n {
        0 => None,
        n if n % 86_400 == 0 => Some(format!("{} d", n / 86_400)),
        n if n % 3_600 == 0 => Some(format!("{} h", n / 3_600)),
        n if n % 60 == 0 => Some(format!("{} min", n / 60)),
        _ => None,
    };
    Some(match larger {
        Some(l) => format!("seconds = {l}"),
        None => "seconds".to_owned(),
    })
}

/// "bytes", and the size in KiB or MiB when it is a whole number of them.
fn bytes_note(n: u32) -> Option<String> {
    Some(match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("bytes = {} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("bytes = {} KiB", n >> 10),
        1 => "byte".to_owned(),
        _ => "bytes".to_owned(),
    })
}

fn qos_note(q: QoS) -> Option<String> {
    Some(
        match q {
            QoS::AtMostOnce => "at most once",
            QoS::AtLeastOnce => "at least once",
            QoS::ExactlyOnce => "exactly once",
        }
        .to_owned(),
    )
}

/// Binary data for display.
pub fn binary(data: &[u8]) -> Binary {
    let shown = data.get(..MAX_SHOWN_BYTES).unwrap_or(data);
    let mut hex = String::with_capacity(shown.len() * 3);
    for (i, b) in shown.iter().enumerate() {
        if i > 0 {
            hex.push(' ');
        }
        push_hex_byte(&mut hex, *b);
    }
    let preview = std::str::from_utf8(data)
        .ok()
        .filter(|s| !s.is_empty())
        .filter(|s| {
            s.chars()
                .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        });
    let (text, text_cut) = match preview {
        Some(s) => {
            let cut: String = s.chars().take(MAX_PREVIEW_CHARS).collect();
            let was_cut = cut.len() < s.len();
            (Some(cut), was_cut)
        }
        None => (None, false),
    };
    Binary {
        len: data.len(),
        hex,
        hidden: data.len() - shown.len(),
        text,
        text_cut,
    }
}

fn quoted(s: &str) -> String {
    const MAX: usize = 48;
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("\u{201c}{cut}\u{2026}\u{201d}")
    } else {
        format!("\u{201c}{s}\u{201d}")
    }
}

// ---------------------------------------------------------------------------------------------
// Packets to fields.

struct Builder {
    ty: PacketType,
    version: Protocol,
}

impl Builder {
    fn v5(&self) -> bool {
        self.version.is_v5()
    }

    fn code(&self, code: ReasonCode) -> Code {
        Code::new(code, self.ty, self.version)
    }

    fn reason_field(&self, code: ReasonCode) -> Field {
        field("reason", "Reason Code", Value::Code(self.code(code)))
    }

    fn packet_id(&self, id: PacketId) -> Field {
        field("packet_id", "Packet Identifier", num(id.get(), None))
    }

    fn fixed_header(
        &self,
        packet: &Packet,
        first: u8,
        header_len: usize,
        remaining: usize,
    ) -> Field {
        let flags = first & 0x0f;
        let mut flag_fields = Vec::new();
        let flags_note = if let Packet::Publish(p) = packet {
            flag_fields.push(field("dup", "DUP", Value::Flag(p.dup)).tag("bit 3"));
            flag_fields
                .push(field("qos", "QoS", num(p.qos as u8, qos_note(p.qos))).tag("bits 2-1"));
            flag_fields.push(field("retain", "RETAIN", Value::Flag(p.retain)).tag("bit 0"));
            "DUP, QoS, RETAIN".to_owned()
        } else {
            "reserved".to_owned()
        };
        let children = vec![
            field(
                "packet_type",
                "Packet Type",
                num(first >> 4, Some(self.ty.name().to_owned())),
            )
            .tag("bits 7-4"),
            field("flags", "Flags", bits(flags, 4, Some(flags_note))).children(flag_fields),
            field(
                "remaining_length",
                "Remaining Length",
                num(
                    remaining as u64,
                    Some(format!(
                        "encoded in {}",
                        byte_count(header_len.saturating_sub(1))
                    )),
                ),
            ),
        ];
        group(
            "fixed_header",
            "Fixed header",
            byte_count(header_len),
            children,
        )
    }

    fn properties(&self, key: &'static str, label: &str, props: &Properties) -> Option<Field> {
        if !self.v5() {
            return None;
        }
        let children: Vec<Field> = props.iter().map(|p| self.property(p)).collect();
        let summary = if children.is_empty() {
            "none".to_owned()
        } else {
            plural(children.len(), "property", "properties")
        };
        Some(group(key, label, summary, children))
    }

    fn property(&self, p: &Property) -> Field {
        use Property as P;
        let id = p.id();
        let flag = |v: u8, yes: &str, no: &str| num(v, Some(if v == 0 { no } else { yes }.into()));
        let (key, value) = match p {
            P::PayloadFormatIndicator(v) => (
                "payload_format_indicator",
                flag(*v, "UTF-8 character data", "unspecified bytes"),
            ),
            P::MessageExpiryInterval(v) => ("message_expiry_interval", num(*v, seconds(*v))),
            P::ContentType(s) => ("content_type", text(s)),
            P::ResponseTopic(s) => ("response_topic", text(s)),
            P::CorrelationData(b) => ("correlation_data", Value::Bytes(binary(b))),
            P::SubscriptionIdentifier(v) => ("subscription_identifier", num(*v, None)),
            P::SessionExpiryInterval(v) => (
                "session_expiry_interval",
                num(
                    *v,
                    match *v {
                        u32::MAX => Some("never expires".to_owned()),
                        0 => Some("ends with the connection".to_owned()),
                        n => seconds(n),
                    },
                ),
            ),
            P::AssignedClientIdentifier(s) => ("assigned_client_identifier", text(s)),
            P::ServerKeepAlive(v) => ("server_keep_alive", num(*v, seconds(u32::from(*v)))),
            P::AuthenticationMethod(s) => ("authentication_method", text(s)),
            P::AuthenticationData(b) => ("authentication_data", Value::Bytes(binary(b))),
            P::RequestProblemInformation(v) => {
                ("request_problem_information", flag(*v, "yes", "no"))
            }
            P::WillDelayInterval(v) => ("will_delay_interval", num(*v, seconds(*v))),
            P::RequestResponseInformation(v) => {
                ("request_response_information", flag(*v, "yes", "no"))
            }
            P::ResponseInformation(s) => ("response_information", text(s)),
            P::ServerReference(s) => ("server_reference", text(s)),
            P::ReasonString(s) => ("reason_string", text(s)),
            P::ReceiveMaximum(v) => ("receive_maximum", num(*v, None)),
            P::TopicAliasMaximum(v) => ("topic_alias_maximum", num(*v, None)),
            P::TopicAlias(v) => ("topic_alias", num(*v, None)),
            P::MaximumQoS(v) => ("maximum_qos", num(*v, Some(format!("QoS {v}")))),
            P::RetainAvailable(v) => ("retain_available", flag(*v, "available", "not available")),
            P::UserProperty(k, v) => (
                "user_property",
                Value::Pair(k.as_str().to_owned(), v.as_str().to_owned()),
            ),
            P::MaximumPacketSize(v) => ("maximum_packet_size", num(*v, bytes_note(*v))),
            P::WildcardSubscriptionAvailable(v) => (
                "wildcard_subscription_available",
                flag(*v, "available", "not available"),
            ),
            P::SubscriptionIdentifierAvailable(v) => (
                "subscription_identifier_available",
                flag(*v, "available", "not available"),
            ),
            P::SharedSubscriptionAvailable(v) => (
                "shared_subscription_available",
                flag(*v, "available", "not available"),
            ),
        };
        field(key, id.name(), value).tag(format!("0x{:02X}", id as u8))
    }

    /// The fields after the fixed header, and the packet's one-line summary.
    fn body(&self, packet: &Packet) -> (String, Vec<Field>) {
        match packet {
            Packet::Connect(c) => self.connect(c),
            Packet::ConnAck(c) => self.connack(c),
            Packet::Publish(p) => self.publish(p),
            Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
                self.pub_response(a)
            }
            Packet::Subscribe(s) => self.subscribe(s),
            Packet::SubAck(s) => self.suback(s),
            Packet::Unsubscribe(u) => self.unsubscribe(u),
            Packet::UnsubAck(u) => self.unsuback(u),
            Packet::PingReq => ("client is alive".to_owned(), Vec::new()),
            Packet::PingResp => ("server is alive".to_owned(), Vec::new()),
            Packet::Disconnect(d) => self.disconnect(d),
            Packet::Auth(a) => self.auth(a),
        }
    }

    fn connect(&self, c: &Connect) -> (String, Vec<Field>) {
        // Every field is named here, so a field added to `Connect` fails to compile until it
        // is shown.
        let Connect {
            protocol,
            protocol_name,
            bridge,
            clean_start,
            keep_alive,
            properties,
            client_id,
            will,
            username,
            password,
        } = c;
        let v5 = protocol.is_v5();
        let clean_label = if v5 { "Clean Start" } else { "Clean Session" };
        let will_qos = will.as_ref().map_or(QoS::AtMostOnce, |w| w.qos);
        let will_retain = will.as_ref().is_some_and(|w| w.retain);
        let flags_byte = (flag_bit(username.is_some()) << 7)
            | (flag_bit(password.is_some()) << 6)
            | (flag_bit(will_retain) << 5)
            | ((will_qos as u8) << 3)
            | (flag_bit(will.is_some()) << 2)
            | (flag_bit(*clean_start) << 1);
        let flags = vec![
            field(
                "username_flag",
                "User Name Flag",
                Value::Flag(username.is_some()),
            )
            .tag("bit 7"),
            field(
                "password_flag",
                "Password Flag",
                Value::Flag(password.is_some()),
            )
            .tag("bit 6"),
            field("will_retain", "Will Retain", Value::Flag(will_retain)).tag("bit 5"),
            field(
                "will_qos",
                "Will QoS",
                num(will_qos as u8, qos_note(will_qos)),
            )
            .tag("bits 4-3"),
            field("will_flag", "Will Flag", Value::Flag(will.is_some())).tag("bit 2"),
            field("clean_start", clean_label, Value::Flag(*clean_start)).tag("bit 1"),
        ];
        let level = protocol.level() | if *bridge { 0x80 } else { 0 };
        let mut var = vec![
            field("protocol_name", "Protocol Name", text(protocol_name)),
            field(
                "protocol_level",
                "Protocol Level",
                num(level, Some(format!("MQTT {protocol}"))),
            ),
        ];
        if *bridge {
            var.push(field("bridge", "Bridge", Value::Flag(true)).tag("level bit 7"));
        }
        var.push(
            field("connect_flags", "Connect Flags", bits(flags_byte, 8, None)).children(flags),
        );
        var.push(field(
            "keep_alive",
            "Keep Alive",
            num(
                *keep_alive,
                if *keep_alive == 0 {
                    Some("off".to_owned())
                } else {
                    seconds(u32::from(*keep_alive))
                },
            ),
        ));
        var.extend(self.properties("properties", "Properties", properties));

        let mut payload = vec![field("client_id", "Client Identifier", text(client_id))];
        if let Some(w) = will {
            payload.push(self.will(w));
        }
        payload.push(match username {
            Some(u) => field("username", "User Name", text(u)),
            None => field("username", "User Name", Value::Absent("not present")),
        });
        payload.push(match password {
            Some(p) => field("password", "Password", Value::Bytes(binary(p))),
            None => field("password", "Password", Value::Absent("not present")),
        });

        let mut summary = format!("MQTT {protocol} \u{b7} client {}", quoted(client_id));
        if *keep_alive > 0 {
            summary.push_str(&format!(" \u{b7} keep alive {keep_alive} s"));
        }
        if will.is_some() {
            summary.push_str(" \u{b7} will");
        }
        if let Some(u) = username {
            summary.push_str(&format!(" \u{b7} user {}", quoted(u)));
        }
        let var_len = var.len();
        let payload_len = payload.len();
        (
            summary,
            vec![
                group(
                    "variable_header",
                    "Variable header",
                    plural(var_len, "field", "fields"),
                    var,
                ),
                group(
                    "payload",
                    "Payload",
                    plural(payload_len, "field", "fields"),
                    payload,
                ),
            ],
        )
    }

    fn will(&self, w: &Will) -> Field {
        let Will {
            topic,
            payload,
            qos,
            retain,
            properties,
        } = w;
        let mut children = Vec::new();
        children.extend(self.properties("will_properties", "Will Properties", properties));
        children.push(field("will_topic", "Will Topic", text(topic)));
        children.push(field(
            "will_payload",
            "Will Payload",
            Value::Bytes(binary(payload)),
        ));
        let summary = format!(
            "QoS {}{} to {}",
            *qos as u8,
            if *retain { ", retained" } else { "" },
            quoted(topic)
        );
        group("will", "Will", summary, children)
    }

    fn connack(&self, c: &ConnAck) -> (String, Vec<Field>) {
        let ConnAck {
            session_present,
            code,
            properties,
        } = c;
        let code_label = if self.v5() {
            "Reason Code"
        } else {
            "Return Code"
        };
        let mut var = vec![
            field(
                "ack_flags",
                "Acknowledge Flags",
                bits(flag_bit(*session_present), 8, None),
            )
            .children(vec![field(
                "session_present",
                "Session Present",
                Value::Flag(*session_present),
            )
            .tag("bit 0")]),
            field("reason", code_label, Value::Code(self.code(*code))),
        ];
        var.extend(self.properties("properties", "Properties", properties));
        let mut summary = self.code(*code).name.to_owned();
        if *session_present {
            summary.push_str(" \u{b7} session present");
        }
        (summary, vec![self.var_group(var)])
    }

    fn var_group(&self, fields: Vec<Field>) -> Field {
        let n = fields.len();
        group(
            "variable_header",
            "Variable header",
            plural(n, "field", "fields"),
            fields,
        )
    }

    fn publish(&self, p: &Publish) -> (String, Vec<Field>) {
        // dup, qos and retain live in the fixed header; named here so none is forgotten.
        let Publish {
            dup: _,
            qos,
            retain,
            topic,
            packet_id,
            properties,
            payload,
        } = p;
        let mut topic_field = field("topic", "Topic Name", text(topic));
        if topic.is_empty() {
            topic_field = topic_field.tag("empty: uses the Topic Alias");
        }
        let mut var = vec![
            topic_field,
            match packet_id {
                Some(id) => self.packet_id(*id),
                None => field(
                    "packet_id",
                    "Packet Identifier",
                    Value::Absent("none at QoS 0"),
                ),
            },
        ];
        var.extend(self.properties("properties", "Properties", properties));
        let message = field(
            "payload",
            "Application Message",
            Value::Bytes(binary(payload)),
        );
        let mut summary = if topic.is_empty() {
            let alias = properties.topic_alias().map_or(0, u32::from);
            format!("topic alias {alias}")
        } else {
            quoted(topic)
        };
        summary.push_str(&format!(" \u{b7} QoS {}", *qos as u8));
        if let Some(id) = packet_id {
            summary.push_str(&format!(" \u{b7} id {id}"));
        }
        if *retain {
            summary.push_str(" \u{b7} retained");
        }
        summary.push_str(&format!(" \u{b7} {}", byte_count(payload.len())));
        (
            summary,
            vec![
                self.var_group(var),
                group(
                    "payload",
                    "Payload",
                    byte_count(payload.len()),
                    vec![message],
                ),
            ],
        )
    }

    fn pub_response(&self, a: &PubResponse) -> (String, Vec<Field>) {
        let PubResponse {
            packet_id,
            code,
            properties,
        } = a;
        let mut var = vec![self.packet_id(*packet_id)];
        let mut summary = format!("id {packet_id}");
        if self.v5() {
            var.push(self.reason_field(*code));
            summary.push_str(&format!(" \u{b7} {}", self.code(*code).name));
        }
        var.extend(self.properties("properties", "Properties", properties));
        (summary, vec![self.var_group(var)])
    }

    fn subscription(&self, n: usize, s: &Subscription) -> Field {
        let Subscription { filter, options } = s;
        let SubscriptionOptions {
            qos,
            no_local,
            retain_as_published,
            retain_handling,
        } = options;
        let byte = (*qos as u8)
            | (flag_bit(*no_local) << 2)
            | (flag_bit(*retain_as_published) << 3)
            | ((*retain_handling as u8) << 4);
        let mut opts =
            vec![field("qos", "Maximum QoS", num(*qos as u8, qos_note(*qos))).tag("bits 1-0")];
        if self.v5() {
            opts.push(field("no_local", "No Local", Value::Flag(*no_local)).tag("bit 2"));
            opts.push(
                field(
                    "retain_as_published",
                    "Retain As Published",
                    Value::Flag(*retain_as_published),
                )
                .tag("bit 3"),
            );
            let rh = match retain_handling {
                RetainHandling::SendAtSubscribe => "send retained at subscribe",
                RetainHandling::SendAtNewSubscribe => "send retained if new",
                RetainHandling::DoNotSend => "do not send retained",
            };
            opts.push(
                field(
                    "retain_handling",
                    "Retain Handling",
                    num(*retain_handling as u8, Some(rh.to_owned())),
                )
                .tag("bits 5-4"),
            );
        }
        let shared = filter.starts_with("$share/");
        let mut children =
            vec![field("options", "Subscription Options", bits(byte, 8, None)).children(opts)];
        if shared {
            children.insert(0, field("shared", "Shared Subscription", Value::Flag(true)));
        }
        field("subscription", format!("Topic Filter {n}"), text(filter)).children(children)
    }

    fn subscribe(&self, s: &Subscribe) -> (String, Vec<Field>) {
        let Subscribe {
            packet_id,
            properties,
            subscriptions,
        } = s;
        let mut var = vec![self.packet_id(*packet_id)];
        var.extend(self.properties("properties", "Properties", properties));
        let subs: Vec<Field> = subscriptions
            .iter()
            .enumerate()
            .map(|(i, s)| self.subscription(i + 1, s))
            .collect();
        let n = subs.len();
        let filters: Vec<String> = subscriptions.iter().map(|s| quoted(&s.filter)).collect();
        let summary = format!("id {packet_id} \u{b7} {}", filters.join(", "));
        (
            summary,
            vec![
                self.var_group(var),
                group(
                    "payload",
                    "Payload",
                    plural(n, "subscription", "subscriptions"),
                    subs,
                ),
            ],
        )
    }

    fn codes_group(&self, codes: &[ReasonCode]) -> Field {
        let label = if self.v5() {
            "Reason Code"
        } else {
            "Return Code"
        };
        let list: Vec<Field> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                field(
                    "reason",
                    format!("{label} {}", i + 1),
                    Value::Code(self.code(*c)),
                )
            })
            .collect();
        let n = list.len();
        group("payload", "Payload", plural(n, "code", "codes"), list)
    }

    fn codes_summary(&self, codes: &[ReasonCode]) -> String {
        let names: Vec<&str> = codes.iter().map(|c| self.code(*c).name).collect();
        names.join(", ")
    }

    fn suback(&self, s: &SubAck) -> (String, Vec<Field>) {
        let SubAck {
            packet_id,
            properties,
            codes,
        } = s;
        let mut var = vec![self.packet_id(*packet_id)];
        var.extend(self.properties("properties", "Properties", properties));
        let summary = format!("id {packet_id} \u{b7} {}", self.codes_summary(codes));
        (summary, vec![self.var_group(var), self.codes_group(codes)])
    }

    fn unsubscribe(&self, u: &Unsubscribe) -> (String, Vec<Field>) {
        let Unsubscribe {
            packet_id,
            properties,
            filters,
        } = u;
        let mut var = vec![self.packet_id(*packet_id)];
        var.extend(self.properties("properties", "Properties", properties));
        let list: Vec<Field> = filters
            .iter()
            .enumerate()
            .map(|(i, f)| field("filter", format!("Topic Filter {}", i + 1), text(f)))
            .collect();
        let n = list.len();
        let quoted_filters: Vec<String> = filters.iter().map(|f| quoted(f)).collect();
        let summary = format!("id {packet_id} \u{b7} {}", quoted_filters.join(", "));
        (
            summary,
            vec![
                self.var_group(var),
                group("payload", "Payload", plural(n, "filter", "filters"), list),
            ],
        )
    }

    fn unsuback(&self, u: &UnsubAck) -> (String, Vec<Field>) {
        let UnsubAck {
            packet_id,
            properties,
            codes,
        } = u;
        let mut var = vec![self.packet_id(*packet_id)];
        var.extend(self.properties("properties", "Properties", properties));
        let mut fields = vec![self.var_group(var)];
        let mut summary = format!("id {packet_id}");
        if self.v5() {
            fields.push(self.codes_group(codes));
            summary.push_str(&format!(" \u{b7} {}", self.codes_summary(codes)));
        }
        (summary, fields)
    }

    fn disconnect(&self, d: &Disconnect) -> (String, Vec<Field>) {
        let Disconnect { code, properties } = d;
        if !self.v5() {
            return ("client disconnects".to_owned(), Vec::new());
        }
        let mut var = vec![self.reason_field(*code)];
        var.extend(self.properties("properties", "Properties", properties));
        (self.code(*code).name.to_owned(), vec![self.var_group(var)])
    }

    fn auth(&self, a: &Auth) -> (String, Vec<Field>) {
        let Auth { code, properties } = a;
        let mut var = vec![self.reason_field(*code)];
        var.extend(self.properties("properties", "Properties", properties));
        let mut summary = self.code(*code).name.to_owned();
        if let Some(m) = properties.authentication_method() {
            summary.push_str(&format!(" \u{b7} {}", quoted(m)));
        }
        (summary, vec![self.var_group(var)])
    }
}

#[cfg(test)]
// Tests may unwrap and index: a panic is a test failure.
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::inspect::hex::parse_input;
    use crate::inspect::samples;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn sample(id: &str) -> Inspection {
        let s = samples::find(id).unwrap();
        inspect(&parse_input(s.hex).unwrap().bytes, s.version)
    }

    /// Depth-first search for the first field with `key`.
    fn find<'a>(fields: &'a [Field], key: &str) -> Option<&'a Field> {
        fields.iter().find_map(|f| {
            if f.key == key {
                Some(f)
            } else {
                find(&f.children, key)
            }
        })
    }

    fn all<'a>(fields: &'a [Field], key: &str, out: &mut Vec<&'a Field>) {
        for f in fields {
            if f.key == key {
                out.push(f);
            }
            all(&f.children, key, out);
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn v5_publish_shows_every_field_and_property() {
        let view = sample("v5-publish");
        assert_eq!(view.stop, Stop::End);
        let p = &view.packets[0];
        assert_eq!(
            (p.name, p.number, p.offset, p.header_len),
            ("PUBLISH", 1, 0, 3)
        );
        assert_eq!(p.bytes.len(), view.total);
        assert_eq!(p.family, Family::Publish);
        let f = &p.fields;
        assert_eq!(
            find(f, "topic").unwrap().value,
            Value::Str("chat/lobby".into())
        );
        assert_eq!(find(f, "packet_id").unwrap().value, Value::Num(7, None));
        assert_eq!(
            find(f, "qos").unwrap().value,
            num(1u8, qos_note(QoS::AtLeastOnce))
        );
        assert_eq!(find(f, "retain").unwrap().value, Value::Flag(false));
        let Value::Num(129, _) = find(f, "remaining_length").unwrap().value else {
            panic!("remaining length")
        };
        let props = find(f, "properties").unwrap();
        assert_eq!(props.value, Value::Group("9 properties".into()));
        assert_eq!(props.children[0].label, "Payload Format Indicator");
        assert_eq!(props.children[0].tag.as_deref(), Some("0x01"));
        let expiry = find(f, "message_expiry_interval").unwrap();
        assert_eq!(
            expiry.value,
            Value::Num(300, Some("seconds = 5 min".into()))
        );
        let Value::Bytes(corr) = &find(f, "correlation_data").unwrap().value else {
            panic!("correlation data is binary")
        };
        assert_eq!(
            (corr.hex.as_str(), corr.text.as_deref()),
            ("ca fe 00 01", None)
        );
        let mut pairs = Vec::new();
        all(f, "user_property", &mut pairs);
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].value, Value::Pair("sender".into(), "ana".into()));
        let Value::Bytes(payload) = &find(f, "payload").unwrap().children[0].value else {
            panic!("payload is binary")
        };
        assert_eq!(
            payload.text.as_deref(),
            Some(r#"{"from":"ana","text":"hi all"}"#)
        );
        assert!(
            p.summary.contains("chat/lobby") && p.summary.contains("QoS 1"),
            "{}",
            p.summary
        );
        let json = p.json();
        assert!(json.contains("\"topic_alias\": 3"), "{json}");
        assert!(
            json.contains("\"correlation_data\": \"cafe0001\""),
            "{json}"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn v5_connect_shows_will_credentials_and_both_property_lists() {
        let view = sample("v5-connect");
        let p = &view.packets[0];
        assert_eq!(p.version, Protocol::V5);
        let f = &p.fields;
        assert_eq!(
            find(f, "client_id").unwrap().value,
            Value::Str("dashboard-7f3a".into())
        );
        assert_eq!(
            find(f, "connect_flags").unwrap().value,
            Value::Bits("11101110".into(), "0xee".into(), None)
        );
        assert_eq!(find(f, "clean_start").unwrap().label, "Clean Start");
        assert_eq!(find(f, "will_flag").unwrap().value, Value::Flag(true));
        assert_eq!(
            find(f, "will_topic").unwrap().value,
            Value::Str("devices/7f3a/status".into())
        );
        let will_props = find(f, "will_properties").unwrap();
        assert_eq!(will_props.children.len(), 4);
        assert_eq!(
            find(f, "will_delay_interval").unwrap().value,
            Value::Num(5, Some("seconds".into()))
        );
        assert_eq!(
            find(f, "session_expiry_interval").unwrap().value,
            Value::Num(3600, Some("seconds = 1 h".into()))
        );
        assert_eq!(
            find(f, "username").unwrap().value,
            Value::Str("operator".into())
        );
        let Value::Bytes(pw) = &find(f, "password").unwrap().value else {
            panic!("password")
        };
        assert_eq!(pw.text.as_deref(), Some("hunter2"));
        assert!(p.summary.contains("dashboard-7f3a"), "{}", p.summary);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn v311_packets_have_no_properties_or_reason_codes() {
        let view = sample("v311-qos2");
        assert_eq!(view.packets.len(), 3);
        let names: Vec<_> = view.packets.iter().map(|p| p.name).collect();
        assert_eq!(names, ["PUBREC", "PUBREL", "PUBCOMP"]);
        assert_eq!(view.packets[1].offset, 4);
        for p in &view.packets {
            assert!(find(&p.fields, "properties").is_none());
            assert!(find(&p.fields, "reason").is_none());
        }
        let connect = &sample("v311-connect").packets[0];
        assert_eq!(
            find(&connect.fields, "clean_start").unwrap().label,
            "Clean Session"
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn reason_codes_are_named_per_packet_and_version() {
        let suback = &sample("v311-suback").packets[0];
        let mut codes = Vec::new();
        all(&suback.fields, "reason", &mut codes);
        let names: Vec<_> = codes
            .iter()
            .map(|f| match f.value {
                Value::Code(c) => (c.code, c.name, c.success),
                _ => panic!("not a code"),
            })
            .collect();
        assert_eq!(
            names,
            [(1, "Granted QoS 1", true), (0x80, "Failure", false)]
        );
        assert_eq!(codes[0].label, "Return Code 1");

        let connack = &sample("v311-connack-refused").packets[0];
        let Value::Code(c) = find(&connack.fields, "reason").unwrap().value else {
            panic!()
        };
        assert_eq!(c.name, "Connection Refused, not authorized");

        let puback = &sample("v5-puback").packets[0];
        let Value::Code(c) = find(&puback.fields, "reason").unwrap().value else {
            panic!()
        };
        assert_eq!((c.code, c.name), (0x10, "No matching subscribers"));
        assert_eq!(
            find(&puback.fields, "reason_string").unwrap().value,
            Value::Str("no subscribers for chat/lobby".into())
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn subscription_options_are_spelled_out() {
        let p = &sample("v5-subscribe").packets[0];
        let mut subs = Vec::new();
        all(&p.fields, "subscription", &mut subs);
        assert_eq!(subs.len(), 2);
        assert_eq!(subs[0].value, Value::Str("devices/+/telemetry".into()));
        let opts = find(&subs[0].children, "options").unwrap();
        assert_eq!(
            opts.value,
            Value::Bits("00011101".into(), "0x1d".into(), None)
        );
        assert_eq!(
            find(&opts.children, "no_local").unwrap().value,
            Value::Flag(true)
        );
        assert_eq!(
            find(&subs[1].children, "retain_handling").unwrap().value,
            Value::Num(2, Some("do not send retained".into()))
        );
        assert!(find(&subs[1].children, "shared").is_some());
        assert_eq!(
            find(&p.fields, "subscription_identifier").unwrap().value,
            Value::Num(42, None)
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_stream_decodes_packet_after_packet_with_offsets() {
        let view = sample("v311-stream");
        assert_eq!(view.stop, Stop::End);
        let at: Vec<_> = view
            .packets
            .iter()
            .map(|p| (p.name, p.offset, p.bytes.len()))
            .collect();
        assert_eq!(
            at,
            [("CONNACK", 0, 4), ("PUBLISH", 4, 37), ("PINGRESP", 41, 2)]
        );
        assert_eq!(view.packet_count(), 3);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_cut_packet_reports_how_many_bytes_are_missing() {
        let view = sample("v311-incomplete");
        let Stop::Incomplete(left) = &view.stop else {
            panic!("{:?}", view.stop)
        };
        assert_eq!(
            (left.offset, left.bytes.len(), left.needed),
            (0, 24, Some(13))
        );
        assert_eq!((left.packet, left.header_len), (Some("PUBLISH"), 2));

        let view = inspect(&[0xc0, 0x00, 0x30], Protocol::V3_1_1);
        assert_eq!(view.packets.len(), 1);
        let Stop::Incomplete(left) = &view.stop else {
            panic!("{:?}", view.stop)
        };
        assert_eq!((left.offset, left.needed, left.header_len), (2, None, 0));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_broken_rule_is_named_with_its_offset_and_bytes() {
        let view = sample("bad-stream");
        assert_eq!(view.packets.len(), 1);
        let Stop::Error(e) = &view.stop else {
            panic!("{:?}", view.stop)
        };
        assert_eq!((e.number, e.offset, e.packet), (2, 28, Some("SUBSCRIBE")));
        let want = DecodeError::InvalidHeaderFlags {
            packet: PacketType::Subscribe,
            flags: 0,
        };
        assert_eq!(e.rule, want.rule());
        assert_eq!(format!("{} [{}]", e.message, e.rule), want.to_string());
        assert!(!e.message.contains(e.rule), "{}", e.message);
        assert_eq!((e.bytes.len(), e.header_len, e.unread), (8, 2, 2));
        assert_eq!(
            (e.close_with.code, e.close_with.name),
            (0x81, "Malformed Packet")
        );

        let view = sample("bad-length");
        let Stop::Error(e) = &view.stop else {
            panic!("{:?}", view.stop)
        };
        assert_eq!(e.rule, DecodeError::MalformedVariableByteInteger.rule());
        assert_eq!((e.header_len, e.bytes.len(), e.unread), (0, 5, 1));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_version_matters() {
        // AUTH exists only in 5.0.
        let in_311 = inspect(&[0xf0, 0x00], Protocol::V3_1_1);
        assert!(matches!(in_311.stop, Stop::Error(_)));
        let in_5 = inspect(&[0xf0, 0x00], Protocol::V5);
        assert_eq!(in_5.packets[0].name, "AUTH");
        // A CONNECT switches the decoder to its own version.
        let mut bytes = parse_input(samples::find("v5-connect").unwrap().hex)
            .unwrap()
            .bytes;
        bytes.extend_from_slice(&[0xe0, 0x00]);
        let view = inspect(&bytes, Protocol::V3_1_1);
        assert_eq!(view.packets[1].version, Protocol::V5);
        assert!(find(&view.packets[1].fields, "reason").is_some());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn binary_values_preview_text_only_when_it_is_text() {
        assert_eq!(binary(b"hi\n").text.as_deref(), Some("hi\n"));
        assert_eq!(binary(b"\x00hi").text, None);
        assert_eq!(binary(&[0xff]).text, None);
        assert_eq!(binary(b"").text, None);
        let big = binary(&vec![b'a'; MAX_SHOWN_BYTES + 3]);
        assert_eq!((big.len, big.hidden), (MAX_SHOWN_BYTES + 3, 3));
        assert!(big.text_cut);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn huge_streams_are_checked_but_only_partly_turned_into_views() {
        let bytes: Vec<u8> = std::iter::repeat_n([0xc0, 0x00], MAX_PACKET_VIEWS + 7)
            .flatten()
            .collect();
        let view = inspect(&bytes, Protocol::V3_1_1);
        assert_eq!(
            (view.packets.len(), view.more_packets),
            (MAX_PACKET_VIEWS, 7)
        );
        assert_eq!(view.stop, Stop::End);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn nothing_in_nothing_out() {
        let view = inspect(&[], Protocol::V5);
        assert_eq!(
            (view.total, view.packets.len(), &view.stop),
            (0, 0, &Stop::End)
        );
    }
}
