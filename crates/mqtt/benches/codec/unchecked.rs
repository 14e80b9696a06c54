//! A codec that checks nothing but bounds: the ceiling for the speed targets.
//!
//! It reads and writes only what the MQTT 3.1.1 cases of this benchmark hold (PUBLISH and
//! SUBSCRIBE), zero-copy as ours does (topic, payload and filters share the receive buffer),
//! and checks nothing a peer could get wrong: no UTF-8, no U+0000, no wildcard rules, no
//! reserved flags, no QoS 3, no packet identifier 0, no options byte. It is not a codec
//! anyone should ship. Timed or counted against rumqttc in our place
//! (`CODEC_BENCH_OURS=unchecked`, `UNCHECKED=1 instructions.sh`), it shows how far ahead of
//! rumqttc a codec can be on these bytes before it validates anything.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use switchboard_mqtt::codec::Packet;

/// What the unchecked decoder makes: the fields ours and rumqttc's make, unvalidated.
#[derive(Debug)]
pub(crate) enum Unchecked {
    Publish {
        qos: u8,
        topic: Bytes,
        packet_id: Option<u16>,
        payload: Bytes,
    },
    Subscribe {
        packet_id: u16,
        filters: Vec<(Bytes, u8)>,
    },
}

/// Takes the packet at the start of `buf` out of it, as `Decoder::decode` does; `None` for
/// anything but a whole PUBLISH or SUBSCRIBE that fits its own length.
#[inline(never)]
pub(crate) fn decode(buf: &mut BytesMut) -> Option<Unchecked> {
    let first = *buf.first()?;
    let mut remaining = 0usize;
    let mut header_len = 1;
    loop {
        let byte = *buf.get(header_len)?;
        remaining |= usize::from(byte & 0x7f) << (7 * (header_len - 1));
        header_len += 1;
        if byte & 0x80 == 0 {
            break;
        }
        if header_len > 4 {
            return None;
        }
    }
    if buf.len() < header_len + remaining {
        return None;
    }
    let frame = buf.split_to(header_len + remaining).freeze();
    let u16_at = |at: usize| Some(u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]));
    match first >> 4 {
        3 => {
            let topic_end = header_len + 2 + usize::from(u16_at(header_len)?);
            let qos = (first >> 1) & 3;
            let (packet_id, payload_start) = match qos {
                0 => (None, topic_end),
                _ => (Some(u16_at(topic_end)?), topic_end + 2),
            };
            if payload_start > frame.len() {
                return None;
            }
            let topic = frame.slice(header_len + 2..topic_end);
            let mut payload = frame;
            payload.advance(payload_start);
            Some(Unchecked::Publish {
                qos,
                topic,
                packet_id,
                payload,
            })
        }
        8 => {
            let packet_id = u16_at(header_len)?;
            let mut at = header_len + 2;
            let mut filters = Vec::new();
            while at < frame.len() {
                let end = at + 2 + usize::from(u16_at(at)?);
                let options = *frame.get(end)?;
                filters.push((frame.slice(at + 2..end), options));
                at = end + 1;
            }
            Some(Unchecked::Subscribe { packet_id, filters })
        }
        _ => None,
    }
}

/// Appends a PUBLISH or SUBSCRIBE as MQTT 3.1.1 puts it on the wire, sized first and
/// written once, as `Packet::encode` does; writes nothing for any other packet.
#[inline(never)]
pub(crate) fn encode(packet: &Packet, out: &mut BytesMut) {
    fn fixed_header(out: &mut BytesMut, first: u8, remaining: usize) {
        out.reserve(remaining + 5);
        out.put_u8(first);
        let mut rest = remaining;
        loop {
            let byte = (rest % 128) as u8;
            rest /= 128;
            out.put_u8(if rest > 0 { byte | 0x80 } else { byte });
            if rest == 0 {
                break;
            }
        }
    }
    match packet {
        Packet::Publish(p) => {
            let topic = p.topic.as_bytes();
            let id_len = if p.packet_id.is_some() { 2 } else { 0 };
            let first = 0x30 | (u8::from(p.dup) << 3) | ((p.qos as u8) << 1) | u8::from(p.retain);
            fixed_header(out, first, 2 + topic.len() + id_len + p.payload.len());
            out.put_u16(topic.len() as u16);
            out.put_slice(topic);
            if let Some(id) = p.packet_id {
                out.put_u16(id.get());
            }
            out.put_slice(&p.payload);
        }
        Packet::Subscribe(s) => {
            let len = 2 + s
                .subscriptions
                .iter()
                .map(|f| 2 + f.filter.len() + 1)
                .sum::<usize>();
            fixed_header(out, 0x82, len);
            out.put_u16(s.packet_id.get());
            for f in &s.subscriptions {
                out.put_u16(f.filter.len() as u16);
                out.put_slice(f.filter.as_bytes());
                out.put_u8(f.options.qos as u8);
            }
        }
        _ => {}
    }
}

/// Whether the unchecked codec reads what ours reads in `ours` from `wire`, and writes it
/// back to the same bytes.
pub(crate) fn agrees(ours: &Packet, wire: &[u8]) -> bool {
    let mut buf = BytesMut::from(wire);
    let read = match (decode(&mut buf), ours) {
        (
            Some(Unchecked::Publish {
                qos,
                topic,
                packet_id,
                payload,
            }),
            Packet::Publish(p),
        ) => {
            qos == p.qos as u8
                && topic == p.topic.as_bytes()
                && packet_id == p.packet_id.map(|id| id.get())
                && payload == p.payload
        }
        (Some(Unchecked::Subscribe { packet_id, filters }), Packet::Subscribe(s)) => {
            packet_id == s.packet_id.get()
                && filters.len() == s.subscriptions.len()
                && filters
                    .iter()
                    .zip(&s.subscriptions)
                    .all(|((f, o), s)| f == s.filter.as_bytes() && *o == s.options.qos as u8)
        }
        _ => false,
    };
    let mut out = BytesMut::new();
    encode(ours, &mut out);
    read && buf.is_empty() && out == wire
}
