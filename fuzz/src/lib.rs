//! The properties the fuzz targets check, shared by all of them.
//!
//! * [`check_decode`]: arbitrary bytes never make the codec panic; the streaming decoder yields
//!   the same packets (and the same first error) whether the bytes arrive at once or in
//!   chunks; `Packet::decode` agrees with it on a single packet; and every packet that decodes
//!   re-encodes, to `encoded_len` bytes, which decode to an equal packet.
//! * [`check_roundtrip`]: packets that are valid by construction (built from the fuzz input
//!   with the rules of the spec, independently of the codec's own checks) encode, decode to
//!   themselves, and survive any split of the stream they form.

use arbitrary::{Result, Unstructured};
use bytes::{Bytes, BytesMut};
use switchboard_mqtt::codec::{
    Auth, ByteStr, ConnAck, Connect, DecodeError, Decoder, Disconnect, EncodeError, Packet,
    PacketId, PacketType, Properties, Property, Protocol, PubResponse, Publish, QoS, ReasonCode,
    RetainHandling, Status, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck,
    Unsubscribe, Will,
};

/// What a stream decoded to: each packet with the version it was decoded under, then the
/// error that stopped it, if any.
type Decoded = (Vec<(Packet, Protocol)>, Option<DecodeError>);

/// Feeds `data` to a fresh decoder in chunks of the given sizes (the last chunk takes the
/// rest), draining every whole packet after each chunk.
fn stream(data: &[u8], version: Protocol, max: usize, chunks: &[usize]) -> Decoded {
    let mut decoder = Decoder::new(version).with_max_packet_size(max);
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    let mut rest = data;
    let mut sizes = chunks.iter().copied();
    loop {
        let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        buf.extend_from_slice(chunk);
        loop {
            let v = decoder.version();
            match decoder.poll(&mut buf) {
                Ok(Status::Packet(p)) => {
                    let v = match &p {
                        Packet::Connect(c) => c.protocol,
                        _ => v,
                    };
                    assert_eq!(decoder.version(), v, "decoder version after {p:?}");
                    packets.push((p, v));
                }
                Ok(Status::NeedMore { needed }) => {
                    if let Some(n) = needed {
                        assert!(n > 0, "NeedMore {{ needed: Some(0) }}");
                    }
                    break;
                }
                Err(e) => return (packets, Some(e)),
            }
        }
        if rest.is_empty() {
            return (packets, None);
        }
    }
}

/// Encodes `p` as `v`, checks the size it announced, decodes it back and compares.
pub fn check_reencode(p: &Packet, v: Protocol) -> Bytes {
    // A 5.0 client reads a CONNACK without properties (Remaining Length 2) as the 3.1.1
    // CONNACK a server that does not speak 5.0 answers with (return codes 1–5 are not 5.0
    // reason codes), so such a packet re-encodes as 3.1.1.
    let v = match p {
        Packet::ConnAck(c)
            if v.is_v5()
                && c.properties.is_empty()
                && !c.code.is_valid_for(PacketType::ConnAck, v) =>
        {
            Protocol::V3_1_1
        }
        _ => v,
    };
    let bytes = match p.to_bytes(v) {
        Ok(b) => b,
        // The one packet that decodes but may not be sent: a CONNECT with an empty client
        // identifier where the version requires one. The client must not send it
        // [MQTT-3.1.3-7], so the encoder refuses it; the server must answer it with CONNACK
        // "Identifier rejected" [MQTT-3.1.3-8], so the decoder reads it.
        Err(EncodeError::EmptyClientId) if matches!(p, Packet::Connect(c) if c.client_id.is_empty()) =>
        {
            return Bytes::new();
        }
        Err(e) => panic!("decoded packet does not re-encode as {v}: {e:?}\n{p:#?}"),
    };
    assert_eq!(
        p.encoded_len(v).ok(),
        Some(bytes.len()),
        "encoded_len of {p:?}"
    );
    match Packet::decode(&bytes, v) {
        Ok(q) => {
            assert_eq!(
                &q,
                p,
                "re-decoded packet differs; bytes {:02x?}",
                &bytes[..]
            );
            assert_eq!(
                q.to_bytes(v).ok().as_ref(),
                Some(&bytes),
                "re-encoding differs"
            );
        }
        Err(e) => panic!(
            "re-encoded bytes {:02x?} do not decode: {e:?}\n{p:#?}",
            &bytes[..]
        ),
    }
    bytes
}

/// Arbitrary bytes as a stream of packets for `version`.
pub fn check_decode(data: &[u8], version: Protocol) {
    // The whole input as one packet.
    let single = Packet::decode(data, version);
    if let Ok(p) = &single {
        let v = match p {
            Packet::Connect(c) => c.protocol,
            _ => version,
        };
        check_reencode(p, v);
    }

    // The whole input as a stream, at once and in chunks whose sizes come from the input.
    let max = usize::MAX;
    let whole = stream(data, version, max, &[data.len()]);
    let sizes: Vec<usize> = data.iter().map(|b| usize::from(b % 7) + 1).collect();
    assert_eq!(
        stream(data, version, max, &sizes),
        whole,
        "chunked stream differs"
    );
    let bytewise = vec![1; data.len()];
    assert_eq!(
        stream(data, version, max, &bytewise),
        whole,
        "byte-wise stream differs"
    );
    for (p, v) in &whole.0 {
        check_reencode(p, *v);
    }
    if let (Ok(p), [(q, _)], None) = (&single, &whole.0[..], &whole.1) {
        assert_eq!(p, q, "Packet::decode and Decoder disagree");
    }
    if single.is_ok() {
        assert!(
            whole.1.is_none() && whole.0.len() == 1,
            "Decoder refused {single:?}"
        );
    }

    // A small maximum packet size: every packet decoded is within it, and the packets before
    // the first refusal are the same.
    let small = data.first().map_or(2, |&b| usize::from(b) + 2);
    let limited = stream(data, version, small, &[data.len()]);
    for ((p, _), (q, _)) in limited.0.iter().zip(&whole.0) {
        assert_eq!(p, q, "a maximum packet size changed a packet");
    }
}

// ---- Valid packets from fuzz input -------------------------------------------------------

/// A UTF-8 string MQTT accepts: no U+0000.
fn string(u: &mut Unstructured<'_>) -> Result<String> {
    let s: String = u.arbitrary()?;
    Ok(s.replace('\0', ""))
}

fn bstr(u: &mut Unstructured<'_>) -> Result<ByteStr> {
    Ok(ByteStr::from(string(u)?))
}

fn bytes(u: &mut Unstructured<'_>) -> Result<Bytes> {
    let v: Vec<u8> = u.arbitrary()?;
    Ok(Bytes::from(v))
}

/// A topic level without wildcards or separators.
fn level(u: &mut Unstructured<'_>) -> Result<String> {
    let s = string(u)?.replace(['+', '#', '/'], "");
    // The codec reads a filter starting with `$share` as a shared subscription in every
    // version (a 3.1.1 server may do so too); keep ordinary filters clear of it.
    Ok(if s.starts_with("$share") {
        s.replacen('$', "", 1)
    } else {
        s
    })
}

/// A topic name: non-empty, no wildcards (slashes and empty levels allowed).
fn topic_name(u: &mut Unstructured<'_>) -> Result<String> {
    let s = string(u)?.replace(['+', '#'], "");
    Ok(if s.is_empty() { "t".to_owned() } else { s })
}

/// A topic filter: levels, `+` levels, an optional final `#`, optionally shared.
fn topic_filter(u: &mut Unstructured<'_>) -> Result<String> {
    let n = u.int_in_range(1..=4)?;
    let mut levels = Vec::new();
    for _ in 0..n {
        levels.push(if u.ratio(1, 4)? {
            "+".to_owned()
        } else {
            level(u)?
        });
    }
    if u.ratio(1, 4)? {
        levels.push("#".to_owned());
    }
    let mut filter = levels.join("/");
    if filter.is_empty() {
        // A topic filter is at least one character long [MQTT-4.7.3-1].
        filter = "f".to_owned();
    }
    if u.ratio(1, 5)? {
        let mut group = level(u)?;
        if group.is_empty() {
            group = "g".to_owned();
        }
        return Ok(format!("$share/{group}/{filter}"));
    }
    Ok(filter)
}

fn packet_id(u: &mut Unstructured<'_>) -> Result<PacketId> {
    let v: u16 = u.int_in_range(1..=u16::MAX)?;
    Ok(PacketId::new(v).unwrap_or(PacketId::new(1).expect("1 is a packet id")))
}

fn qos(u: &mut Unstructured<'_>) -> Result<QoS> {
    Ok(*u.choose(&[QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])?)
}

/// A reason code `packet` may carry in `v`, from the spec's table (section 2.4), not from
/// the codec's.
fn reason(u: &mut Unstructured<'_>, packet: PacketType, v: Protocol) -> Result<ReasonCode> {
    let codes: &[u8] = if !v.is_v5() {
        match packet {
            PacketType::ConnAck => &[0, 1, 2, 3, 4, 5],
            PacketType::SubAck => &[0, 1, 2, 0x80],
            _ => &[0],
        }
    } else {
        match packet {
            PacketType::ConnAck => &[
                0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90,
                0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
            ],
            PacketType::PubAck | PacketType::PubRec => {
                &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]
            }
            PacketType::PubRel | PacketType::PubComp => &[0x00, 0x92],
            PacketType::SubAck => &[
                0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
            ],
            PacketType::UnsubAck => &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91],
            PacketType::Disconnect => &[
                0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93,
                0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1,
                0xA2,
            ],
            PacketType::Auth => &[0x00, 0x18, 0x19],
            _ => &[0],
        }
    };
    Ok(ReasonCode::new(*u.choose(codes)?))
}

/// Where properties go, as the spec's property table (section 2.2.2.2) lists them.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Packet(PacketType),
    Will,
}

/// Properties valid in `place`: each allowed there, in range, and only User Property (and
/// Subscription Identifier in PUBLISH) repeated.
fn properties(u: &mut Unstructured<'_>, place: Place) -> Result<Properties> {
    use PacketType as T;
    let mut props = Properties::new();
    let mut seen: u64 = 0;
    let n = u.int_in_range(0..=6)?;
    for _ in 0..n {
        let candidates: Vec<u8> = match place {
            Place::Will => vec![0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26],
            Place::Packet(T::Connect) => vec![0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27],
            Place::Packet(T::ConnAck) => vec![
                0x11, 0x12, 0x13, 0x15, 0x16, 0x1A, 0x1C, 0x1F, 0x21, 0x22, 0x24, 0x25, 0x26, 0x27,
                0x28, 0x29, 0x2A,
            ],
            Place::Packet(T::Publish) => vec![0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x23, 0x26],
            Place::Packet(T::Subscribe) => vec![0x0B, 0x26],
            Place::Packet(T::Disconnect) => vec![0x11, 0x1C, 0x1F, 0x26],
            Place::Packet(T::Auth) => vec![0x15, 0x16, 0x1F, 0x26],
            Place::Packet(T::Unsubscribe) => vec![0x26],
            Place::Packet(_) => vec![0x1F, 0x26],
        };
        let id = *u.choose(&candidates)?;
        let repeatable = id == 0x26 || (id == 0x0B && place == Place::Packet(PacketType::Publish));
        if seen & (1 << id) != 0 && !repeatable {
            continue;
        }
        seen |= 1 << id;
        props.push(property(u, id)?);
    }
    Ok(props)
}

/// Property `id` with a value in its range.
fn property(u: &mut Unstructured<'_>, id: u8) -> Result<Property> {
    let nz16 = |u: &mut Unstructured<'_>| u.int_in_range(1..=u16::MAX);
    let b = |u: &mut Unstructured<'_>| u.int_in_range(0..=1u8);
    Ok(match id {
        0x01 => Property::PayloadFormatIndicator(b(u)?),
        0x02 => Property::MessageExpiryInterval(u.arbitrary()?),
        0x03 => Property::ContentType(bstr(u)?),
        0x08 => Property::ResponseTopic(ByteStr::from(topic_name(u)?)),
        0x09 => Property::CorrelationData(bytes(u)?),
        0x0B => Property::SubscriptionIdentifier(u.int_in_range(1..=268_435_455)?),
        0x11 => Property::SessionExpiryInterval(u.arbitrary()?),
        0x12 => Property::AssignedClientIdentifier(bstr(u)?),
        0x13 => Property::ServerKeepAlive(u.arbitrary()?),
        0x15 => Property::AuthenticationMethod(bstr(u)?),
        0x16 => Property::AuthenticationData(bytes(u)?),
        0x17 => Property::RequestProblemInformation(b(u)?),
        0x18 => Property::WillDelayInterval(u.arbitrary()?),
        0x19 => Property::RequestResponseInformation(b(u)?),
        0x1A => Property::ResponseInformation(bstr(u)?),
        0x1C => Property::ServerReference(bstr(u)?),
        0x1F => Property::ReasonString(bstr(u)?),
        0x21 => Property::ReceiveMaximum(nz16(u)?),
        0x22 => Property::TopicAliasMaximum(u.arbitrary()?),
        0x23 => Property::TopicAlias(nz16(u)?),
        0x24 => Property::MaximumQoS(b(u)?),
        0x25 => Property::RetainAvailable(b(u)?),
        0x27 => Property::MaximumPacketSize(u.int_in_range(1..=u32::MAX)?),
        0x28 => Property::WildcardSubscriptionAvailable(b(u)?),
        0x29 => Property::SubscriptionIdentifierAvailable(b(u)?),
        0x2A => Property::SharedSubscriptionAvailable(b(u)?),
        _ => Property::UserProperty(bstr(u)?, bstr(u)?),
    })
}

fn props_for(u: &mut Unstructured<'_>, v: Protocol, place: Place) -> Result<Properties> {
    if v.is_v5() {
        properties(u, place)
    } else {
        Ok(Properties::new())
    }
}

fn connect(u: &mut Unstructured<'_>, v: Protocol) -> Result<Connect> {
    let clean_start: bool = u.arbitrary()?;
    let mut client_id = string(u)?;
    // A 3.1 client identifier is 1 to 23 characters; from 3.1.1 on an empty one needs a
    // clean session (5.0: the server assigns one).
    if client_id.is_empty() && (v == Protocol::V3_1 || (!v.is_v5() && !clean_start)) {
        client_id = "c".to_owned();
    }
    let will = if u.arbitrary()? {
        Some(Will {
            topic: ByteStr::from(topic_name(u)?),
            payload: bytes(u)?,
            qos: qos(u)?,
            retain: u.arbitrary()?,
            properties: props_for(u, v, Place::Will)?,
        })
    } else {
        None
    };
    let mut username = if u.arbitrary()? { Some(bstr(u)?) } else { None };
    let password = if u.arbitrary()? {
        Some(bytes(u)?)
    } else {
        None
    };
    if password.is_some() && username.is_none() && !v.is_v5() {
        username = Some(bstr(u)?);
    }
    // Bridges send `MQIsdp` with level 4 too; the codec keeps the name as sent.
    let protocol_name = if v == Protocol::V3_1 || (v == Protocol::V3_1_1 && u.ratio(1, 8)?) {
        "MQIsdp"
    } else {
        "MQTT"
    };
    Ok(Connect {
        protocol: v,
        protocol_name: ByteStr::from_static(protocol_name),
        bridge: u.ratio(1, 8)?,
        clean_start,
        keep_alive: u.arbitrary()?,
        properties: props_for(u, v, Place::Packet(PacketType::Connect))?,
        client_id: ByteStr::from(client_id),
        will,
        username,
        password,
    })
}

fn publish(u: &mut Unstructured<'_>, v: Protocol) -> Result<Publish> {
    let qos = qos(u)?;
    let properties = props_for(u, v, Place::Packet(PacketType::Publish))?;
    let aliased = properties.topic_alias().is_some();
    let topic = if aliased && u.arbitrary()? {
        String::new()
    } else {
        topic_name(u)?
    };
    Ok(Publish {
        dup: qos != QoS::AtMostOnce && u.arbitrary()?,
        qos,
        retain: u.arbitrary()?,
        topic: ByteStr::from(topic),
        packet_id: if qos == QoS::AtMostOnce {
            None
        } else {
            Some(packet_id(u)?)
        },
        properties,
        payload: bytes(u)?,
    })
}

fn subscribe(u: &mut Unstructured<'_>, v: Protocol) -> Result<Subscribe> {
    let packet_id = packet_id(u)?;
    let properties = props_for(u, v, Place::Packet(PacketType::Subscribe))?;
    let n = u.int_in_range(1..=5)?;
    let mut subscriptions = Vec::new();
    for _ in 0..n {
        let filter = topic_filter(u)?;
        let mut options = SubscriptionOptions {
            qos: qos(u)?,
            ..Default::default()
        };
        if v.is_v5() {
            // No Local on a shared subscription is a Protocol Error [MQTT-3.8.3-4].
            options.no_local = !filter.starts_with("$share/") && u.arbitrary()?;
            options.retain_as_published = u.arbitrary()?;
            options.retain_handling = *u.choose(&[
                RetainHandling::SendAtSubscribe,
                RetainHandling::SendAtNewSubscribe,
                RetainHandling::DoNotSend,
            ])?;
        }
        subscriptions.push(Subscription {
            filter: ByteStr::from(filter),
            options,
        });
    }
    Ok(Subscribe {
        packet_id,
        properties,
        subscriptions,
    })
}

fn codes(u: &mut Unstructured<'_>, packet: PacketType, v: Protocol) -> Result<Vec<ReasonCode>> {
    let n = u.int_in_range(1..=5)?;
    (0..n).map(|_| reason(u, packet, v)).collect()
}

fn pub_response(u: &mut Unstructured<'_>, t: PacketType, v: Protocol) -> Result<PubResponse> {
    Ok(PubResponse {
        packet_id: packet_id(u)?,
        code: reason(u, t, v)?,
        properties: props_for(u, v, Place::Packet(t))?,
    })
}

/// A packet valid in `v`, built from the input.
pub fn packet(u: &mut Unstructured<'_>, v: Protocol) -> Result<Packet> {
    use PacketType as T;
    let kind = u.int_in_range(1..=if v.is_v5() { 15 } else { 14 })?;
    Ok(match kind {
        1 => Packet::Connect(Box::new(connect(u, v)?)),
        2 => {
            let code = reason(u, T::ConnAck, v)?;
            Packet::ConnAck(ConnAck {
                // Session Present is 0 with a refusal [MQTT-3.2.2-4, MQTT-3.2.2-6].
                session_present: code == ReasonCode::SUCCESS && u.arbitrary()?,
                code,
                properties: props_for(u, v, Place::Packet(T::ConnAck))?,
            })
        }
        3 => Packet::Publish(publish(u, v)?),
        4 => Packet::PubAck(pub_response(u, T::PubAck, v)?),
        5 => Packet::PubRec(pub_response(u, T::PubRec, v)?),
        6 => Packet::PubRel(pub_response(u, T::PubRel, v)?),
        7 => Packet::PubComp(pub_response(u, T::PubComp, v)?),
        8 => Packet::Subscribe(subscribe(u, v)?),
        9 => Packet::SubAck(SubAck {
            packet_id: packet_id(u)?,
            properties: props_for(u, v, Place::Packet(T::SubAck))?,
            codes: codes(u, T::SubAck, v)?,
        }),
        10 => Packet::Unsubscribe(Unsubscribe {
            packet_id: packet_id(u)?,
            properties: props_for(u, v, Place::Packet(T::Unsubscribe))?,
            filters: (0..u.int_in_range(1..=5)?)
                .map(|_| topic_filter(u).map(ByteStr::from))
                .collect::<Result<_>>()?,
        }),
        11 => Packet::UnsubAck(UnsubAck {
            packet_id: packet_id(u)?,
            properties: props_for(u, v, Place::Packet(T::UnsubAck))?,
            codes: if v.is_v5() {
                codes(u, T::UnsubAck, v)?
            } else {
                Vec::new()
            },
        }),
        12 => Packet::PingReq,
        13 => Packet::PingResp,
        14 => Packet::Disconnect(Disconnect {
            code: reason(u, T::Disconnect, v)?,
            properties: props_for(u, v, Place::Packet(T::Disconnect))?,
        }),
        _ => Packet::Auth(Auth {
            code: reason(u, T::Auth, v)?,
            properties: props_for(u, v, Place::Packet(T::Auth))?,
        }),
    })
}

/// Any property: any identifier, any value its type can hold (out of range, misplaced or
/// duplicated once pushed into a packet).
fn any_property(u: &mut Unstructured<'_>) -> Result<Property> {
    let id = *u.choose(&[
        0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A,
        0x1C, 0x1F, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A,
    ])?;
    if !u.arbitrary::<bool>()? {
        return property(u, id);
    }
    let b: u8 = u.arbitrary()?;
    let w: u16 = u.arbitrary()?;
    let d: u32 = u.arbitrary()?;
    let s = ByteStr::from(u.arbitrary::<String>()?);
    Ok(match id {
        0x01 => Property::PayloadFormatIndicator(b),
        0x0B => Property::SubscriptionIdentifier(d),
        0x03 => Property::ContentType(s),
        0x08 => Property::ResponseTopic(s),
        0x17 => Property::RequestProblemInformation(b),
        0x19 => Property::RequestResponseInformation(b),
        0x21 => Property::ReceiveMaximum(w),
        0x23 => Property::TopicAlias(w),
        0x24 => Property::MaximumQoS(b),
        0x25 => Property::RetainAvailable(b),
        0x27 => Property::MaximumPacketSize(d),
        0x28 => Property::WildcardSubscriptionAvailable(b),
        0x29 => Property::SubscriptionIdentifierAvailable(b),
        0x2A => Property::SharedSubscriptionAvailable(b),
        _ => Property::UserProperty(s.clone(), s),
    })
}

/// The properties of `p` (the Will's for a CONNECT, sometimes), if it has any.
fn props_mut<'p>(
    u: &mut Unstructured<'_>,
    p: &'p mut Packet,
) -> Result<Option<&'p mut Properties>> {
    Ok(match p {
        Packet::Connect(c) => match &mut c.will {
            Some(w) if u.arbitrary()? => Some(&mut w.properties),
            _ => Some(&mut c.properties),
        },
        Packet::ConnAck(c) => Some(&mut c.properties),
        Packet::Publish(x) => Some(&mut x.properties),
        Packet::PubAck(x) | Packet::PubRec(x) | Packet::PubRel(x) | Packet::PubComp(x) => {
            Some(&mut x.properties)
        }
        Packet::Subscribe(x) => Some(&mut x.properties),
        Packet::SubAck(x) => Some(&mut x.properties),
        Packet::Unsubscribe(x) => Some(&mut x.properties),
        Packet::UnsubAck(x) => Some(&mut x.properties),
        Packet::Disconnect(x) => Some(&mut x.properties),
        Packet::Auth(x) => Some(&mut x.properties),
        Packet::PingReq | Packet::PingResp => None,
    })
}

/// Breaks (probably) one rule of a valid packet: the encoder must then either refuse it or
/// write something the decoder reads back as the same packet.
fn mutate(u: &mut Unstructured<'_>, p: &mut Packet) -> Result<()> {
    let text = |u: &mut Unstructured<'_>| -> Result<ByteStr> {
        let s: String = u.arbitrary()?;
        let extra = *u.choose(&["", "+", "#", "\0", "/", "$share/", "$share/g/", "a/#/b"])?;
        let extra = extra.replace("\\0", "\0");
        Ok(ByteStr::from(if u.arbitrary()? {
            extra + &s
        } else {
            s + &extra
        }))
    };
    let code =
        |u: &mut Unstructured<'_>| -> Result<ReasonCode> { Ok(ReasonCode::new(u.arbitrary()?)) };
    match u.int_in_range(0..=3u8)? {
        0 => {
            if let Some(props) = props_mut(u, p)? {
                props.push(any_property(u)?);
            }
        }
        1 => match p {
            Packet::Connect(c) => match u.int_in_range(0..=4u8)? {
                0 => c.client_id = text(u)?,
                1 => c.protocol_name = text(u)?,
                2 => c.username = None,
                3 => c.password = Some(bytes(u)?),
                _ => {
                    if let Some(w) = &mut c.will {
                        w.topic = text(u)?;
                    }
                }
            },
            Packet::ConnAck(c) => {
                c.session_present = u.arbitrary()?;
                c.code = code(u)?;
            }
            Packet::Publish(x) => match u.int_in_range(0..=2u8)? {
                0 => x.topic = text(u)?,
                1 => {
                    x.dup = true;
                    x.qos = QoS::AtMostOnce;
                    x.packet_id = None;
                }
                _ => {
                    x.packet_id = if x.packet_id.is_some() {
                        None
                    } else {
                        Some(packet_id(u)?)
                    }
                }
            },
            Packet::PubAck(x) | Packet::PubRec(x) | Packet::PubRel(x) | Packet::PubComp(x) => {
                x.code = code(u)?
            }
            Packet::Subscribe(x) => {
                if let Some(s) = x.subscriptions.first_mut() {
                    match u.int_in_range(0..=2u8)? {
                        0 => s.filter = text(u)?,
                        1 => s.options.no_local = true,
                        _ => {
                            s.options.retain_as_published = u.arbitrary()?;
                            s.options.retain_handling = RetainHandling::DoNotSend;
                        }
                    }
                }
            }
            Packet::SubAck(x) => x.codes.push(code(u)?),
            Packet::Unsubscribe(x) => x.filters.push(text(u)?),
            Packet::UnsubAck(x) => x.codes.push(code(u)?),
            Packet::Disconnect(x) => x.code = code(u)?,
            Packet::Auth(x) => x.code = code(u)?,
            Packet::PingReq | Packet::PingResp => {}
        },
        2 => match p {
            Packet::Subscribe(x) => x.subscriptions.clear(),
            Packet::SubAck(x) => x.codes.clear(),
            Packet::Unsubscribe(x) => x.filters.clear(),
            Packet::UnsubAck(x) => x.codes.clear(),
            _ => {}
        },
        _ => {
            // A packet of another version.
            let v = *u.choose(&[Protocol::V3_1, Protocol::V3_1_1, Protocol::V5])?;
            *p = packet(u, v)?;
        }
    }
    Ok(())
}

/// Valid packets from the input: each encodes, decodes to itself, and a stream of them
/// decodes to the same packets however it is split. Then a packet with a rule broken: if the
/// encoder accepts it, it must decode to itself too.
pub fn check_roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(v) = u
        .choose(&[Protocol::V3_1, Protocol::V3_1_1, Protocol::V5])
        .copied()
    else {
        return;
    };
    let mut sent = Vec::new();
    let mut wire = BytesMut::new();
    for _ in 0..u.int_in_range(1..=4u8).unwrap_or(1) {
        let Ok(p) = packet(&mut u, v) else { break };
        // A CONNECT is encoded with its own version, which is `v` here.
        if let Err(e) = p.encode(v, &mut wire) {
            panic!("valid packet refused by the encoder as {v}: {e:?}\n{p:#?}");
        }
        let bytes = check_reencode(&p, v);
        assert_eq!(p.to_bytes(v).ok(), Some(bytes));
        sent.push((p, v));
    }
    let splits: Vec<usize> = (0..8)
        .map(|_| u.int_in_range(0..=64usize).unwrap_or(0))
        .collect();
    let (got, err) = stream(&wire, v, usize::MAX, &splits);
    assert_eq!(err, None, "stream of valid packets refused");
    assert_eq!(got, sent, "stream decoded to different packets");

    let Some((mut p, _)) = sent.pop() else { return };
    if mutate(&mut u, &mut p).is_err() {
        return;
    }
    let mut buf = BytesMut::new();
    if p.encode(v, &mut buf).is_ok() {
        let v = match &p {
            Packet::Connect(c) => c.protocol,
            _ => v,
        };
        match Packet::decode(&buf, v) {
            Ok(q) => assert_eq!(q, p, "encoded as {:02x?}", &buf[..]),
            Err(e) => panic!(
                "the encoder wrote {:02x?} as {v}, which the decoder refuses: {e:?}\n{p:#?}",
                &buf[..]
            ),
        }
    } else {
        assert!(buf.is_empty(), "a refused packet left bytes in the buffer");
    }
}
