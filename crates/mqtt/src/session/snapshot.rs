//! What a session persists between page loads: a plain value, and a compact binary form.

use crate::codec::{
    ByteStr, Packet, Protocol, Publish, QoS, RetainHandling, Subscription, SubscriptionOptions,
};
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;

/// Everything a session must not forget: unacknowledged messages in publish order, QoS 2
/// messages received but not released, subscriptions and unacknowledged SUBSCRIBE and
/// UNSUBSCRIBE requests, and identifier counters. Made by
/// [`Session::snapshot`](super::Session::snapshot), used by
/// [`Session::restore`](super::Session::restore).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// The client identifier (the server-assigned one, if it assigned one).
    pub client_id: ByteStr,
    /// Whether a connection of this session was ever accepted.
    pub established: bool,
    /// Where packet identifier allocation continues.
    pub next_packet_id: u16,
    /// Our messages not yet fully acknowledged; `true` marks a QoS 2 message whose PUBREL
    /// was sent (its payload is no longer kept). Those come first, in the order their
    /// PUBRECs arrived; the rest follow in publish order. DUP set on a QoS 1/2 message means
    /// it was transmitted to the server's current session (the next transmission is a
    /// redelivery); a message whose DUP is clear was never sent there.
    pub outgoing: Vec<(Publish, bool)>,
    /// Identifiers of QoS 2 messages delivered to us whose PUBREL has not arrived.
    pub incoming_qos2: Vec<u16>,
    /// Subscriptions held, with their Subscription Identifier.
    pub subscriptions: Vec<(Subscription, Option<u32>)>,
    /// Where Subscription Identifier assignment continues.
    pub next_subscription_id: u32,
    /// SUBSCRIBE and UNSUBSCRIBE packets not yet acknowledged (any other packet is ignored
    /// by [`Session::restore`](super::Session::restore)).
    pub requests: Vec<Packet>,
}

/// A snapshot's bytes are not one this version wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError(&'static str);

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid session snapshot: {}", self.0)
    }
}

impl std::error::Error for SnapshotError {}

/// The first format (no pending requests), still read.
const MAGIC_V1: &[u8; 4] = b"SBS1";
/// The current format: version 1 followed by the pending requests.
const MAGIC: &[u8; 4] = b"SBS2";

impl Snapshot {
    /// The snapshot as bytes (messages and requests are stored as MQTT 5.0 packets).
    pub fn to_bytes(&self) -> Bytes {
        let mut b = BytesMut::new();
        b.put_slice(MAGIC);
        put_str(&mut b, self.client_id.as_bytes());
        b.put_u8(u8::from(self.established));
        b.put_u16(self.next_packet_id);
        b.put_u32(self.next_subscription_id);
        let mut packet = BytesMut::new();
        let outgoing: Vec<(Bytes, bool)> = self
            .outgoing
            .iter()
            .filter_map(|(p, released)| {
                packet.clear();
                Packet::Publish(p.clone())
                    .encode(Protocol::V5, &mut packet)
                    .ok()?;
                Some((packet.split().freeze(), *released))
            })
            .collect();
        b.put_u32(outgoing.len() as u32);
        for (bytes, released) in outgoing {
            b.put_u8(u8::from(released));
            b.put_u32(bytes.len() as u32);
            b.put_slice(&bytes);
        }
        b.put_u32(self.incoming_qos2.len() as u32);
        for id in &self.incoming_qos2 {
            b.put_u16(*id);
        }
        b.put_u32(self.subscriptions.len() as u32);
        for (s, id) in &self.subscriptions {
            put_str(&mut b, s.filter.as_bytes());
            let o = s.options;
            b.put_u8(
                (o.qos as u8)
                    | (u8::from(o.no_local) << 2)
                    | (u8::from(o.retain_as_published) << 3)
                    | ((o.retain_handling as u8) << 4),
            );
            b.put_u32(id.unwrap_or(0));
        }
        let requests: Vec<Bytes> = self
            .requests
            .iter()
            .filter(|p| matches!(p, Packet::Subscribe(_) | Packet::Unsubscribe(_)))
            .filter_map(|p| p.to_bytes(Protocol::V5).ok())
            .collect();
        b.put_u32(requests.len() as u32);
        for bytes in requests {
            b.put_u32(bytes.len() as u32);
            b.put_slice(&bytes);
        }
        b.freeze()
    }

    /// Reads bytes made by [`Snapshot::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        let mut r = Cursor(bytes);
        let magic = r.take(4)?;
        let v2 = magic == MAGIC;
        if !v2 && magic != MAGIC_V1 {
            return Err(SnapshotError("unknown format"));
        }
        let client_id = r.string()?;
        let established = r.u8()? != 0;
        let next_packet_id = r.u16()?;
        let next_subscription_id = r.u32()?;
        let mut outgoing = Vec::new();
        for _ in 0..r.u32()? {
            let released = r.u8()? != 0;
            let len = r.u32()? as usize;
            match Packet::decode_as_client(r.take(len)?, Protocol::V5) {
                Ok(Packet::Publish(p)) => outgoing.push((p, released)),
                _ => return Err(SnapshotError("a stored message is not a PUBLISH")),
            }
        }
        let mut incoming_qos2 = Vec::new();
        for _ in 0..r.u32()? {
            incoming_qos2.push(r.u16()?);
        }
        let mut subscriptions = Vec::new();
        for _ in 0..r.u32()? {
            let filter = r.string()?;
            let o = r.u8()?;
            let id = r.u32()?;
            let options = SubscriptionOptions {
                qos: QoS::from_u8(o & 3).ok_or(SnapshotError("bad QoS"))?,
                no_local: o & 4 != 0,
                retain_as_published: o & 8 != 0,
                retain_handling: match (o >> 4) & 3 {
                    0 => RetainHandling::SendAtSubscribe,
                    1 => RetainHandling::SendAtNewSubscribe,
                    _ => RetainHandling::DoNotSend,
                },
            };
            subscriptions.push((Subscription { filter, options }, (id != 0).then_some(id)));
        }
        let mut requests = Vec::new();
        if v2 {
            for _ in 0..r.u32()? {
                let len = r.u32()? as usize;
                match Packet::decode_as_client(r.take(len)?, Protocol::V5) {
                    Ok(p @ (Packet::Subscribe(_) | Packet::Unsubscribe(_))) => requests.push(p),
                    _ => {
                        return Err(SnapshotError(
                            "a stored request is not a SUBSCRIBE or UNSUBSCRIBE",
                        ))
                    }
                }
            }
        }
        if !r.0.is_empty() {
            return Err(SnapshotError("trailing bytes"));
        }
        Ok(Snapshot {
            client_id,
            established,
            next_packet_id,
            outgoing,
            incoming_qos2,
            subscriptions,
            next_subscription_id,
            requests,
        })
    }
}

fn put_str(b: &mut BytesMut, s: &[u8]) {
    b.put_u32(s.len() as u32);
    b.put_slice(s);
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if n > self.0.len() {
            return Err(SnapshotError("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }
    fn u16(&mut self) -> Result<u16, SnapshotError> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes(s.try_into().unwrap_or([0; 2])))
    }
    fn u32(&mut self) -> Result<u32, SnapshotError> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes(s.try_into().unwrap_or([0; 4])))
    }
    fn string(&mut self) -> Result<ByteStr, SnapshotError> {
        let len = self.u32()? as usize;
        let bytes = Bytes::copy_from_slice(self.take(len)?);
        ByteStr::from_utf8(bytes).map_err(|_| SnapshotError("a string is not UTF-8"))
    }
}
