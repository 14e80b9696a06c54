//! Our messages from publish() to the final acknowledgement, and the queue in front of them.
//! Order of publish() is order on the wire, including after a reconnect.

use super::sorted::SortedMap;
use super::Instant;
use crate::codec::{PacketId, Properties, Publish, QoS};
use bytes::Bytes;
use std::collections::VecDeque;

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Waiting to be transmitted: for a connection, for room under the server's Receive
    /// Maximum, or (after a reconnect) to be transmitted again.
    Queued,
    /// Transmitted on this connection; waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
    Sent,
    /// PUBREL sent; waiting for PUBCOMP (QoS 2). The payload is gone.
    Released,
}

#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) publish: Publish,
    pub(crate) stage: Stage,
    /// When publish() was called (unknown after a restore), to age the Message Expiry
    /// Interval until the message is first transmitted.
    pub(crate) published_at: Option<Instant>,
    /// Whether the server's current session may have it already: it was transmitted
    /// since the server last lost our session, so the next transmission is a redelivery
    /// and carries DUP [MQTT-3.3.1-1].
    pub(crate) transmitted: bool,
}

/// Messages by publish order, with an index by packet identifier.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutgoingStore {
    by_seq: SortedMap<u64, Outgoing>,
    seq_of: SortedMap<u16, u64>,
    next_seq: u64,
    /// Identifiers of `Released` messages in the order their PUBRECs arrived, which is the
    /// order PUBRELs are sent again in after a reconnect [MQTT-4.6.0-4]. PUBCOMPs come
    /// mostly in that order too, so removal finds its entry at the front.
    released: VecDeque<PacketId>,
    /// Messages in `Sent` or `Released`: what counts against Receive Maximum.
    in_flight: usize,
    /// The QoS 2 messages among them, which 3.x servers limit on their own.
    in_flight_qos2: usize,
    queued: usize,
}

impl OutgoingStore {
    pub(crate) fn push(&mut self, out: Outgoing) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(id) = out.publish.packet_id {
            self.seq_of.insert(id.get(), seq);
        }
        if let (Stage::Released, Some(id)) = (out.stage, out.publish.packet_id) {
            self.released.push_back(id);
        }
        self.count_add(out.stage, out.publish.qos);
        self.by_seq.insert(seq, out);
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    pub(crate) fn in_flight_qos2(&self) -> usize {
        self.in_flight_qos2
    }

    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    pub(crate) fn get(&self, id: PacketId) -> Option<&Outgoing> {
        self.by_seq.get(self.seq_of.get(&id.get())?)
    }

    /// Counts a message of `qos` arriving in `stage`.
    fn count_add(&mut self, stage: Stage, qos: QoS) {
        if stage == Stage::Queued {
            self.queued += 1;
        } else {
            self.in_flight += 1;
            if qos == QoS::ExactlyOnce {
                self.in_flight_qos2 += 1;
            }
        }
    }

    /// Uncounts a message of `qos` leaving `stage`.
    fn count_remove(&mut self, stage: Stage, qos: QoS) {
        if stage == Stage::Queued {
            self.queued = self.queued.saturating_sub(1);
        } else {
            self.in_flight = self.in_flight.saturating_sub(1);
            if qos == QoS::ExactlyOnce {
                self.in_flight_qos2 = self.in_flight_qos2.saturating_sub(1);
            }
        }
    }

    /// Keeps the counters right when a message of `qos` moves from `from` to `to`.
    fn count_move(&mut self, from: Stage, to: Stage, qos: QoS) {
        self.count_remove(from, qos);
        self.count_add(to, qos);
    }

    /// A queued QoS 1/2 message was transmitted.
    pub(crate) fn mark_sent(&mut self, seq: u64) {
        let Some(out) = self.by_seq.get_mut(&seq) else {
            return;
        };
        let (from, qos) = (out.stage, out.publish.qos);
        out.stage = Stage::Sent;
        out.transmitted = true;
        self.count_move(from, Stage::Sent, qos);
    }

    /// PUBREC arrived for a QoS 2 message: from here on only its identifier matters.
    pub(crate) fn mark_released(&mut self, id: PacketId) {
        let Some(out) = self
            .seq_of
            .get(&id.get())
            .and_then(|s| self.by_seq.get_mut(s))
        else {
            return;
        };
        let (from, qos) = (out.stage, out.publish.qos);
        if from != Stage::Released {
            self.released.push_back(id);
        }
        out.stage = Stage::Released;
        out.publish.payload = Bytes::new();
        out.publish.properties = Properties::new();
        self.count_move(from, Stage::Released, qos);
    }

    pub(crate) fn remove(&mut self, id: PacketId) -> Option<Outgoing> {
        let seq = *self.seq_of.get(&id.get())?;
        self.take_seq(seq)
    }

    /// Removes the oldest queued QoS 0 message.
    pub(crate) fn drop_oldest_qos0(&mut self) -> Option<Outgoing> {
        let seq = self
            .by_seq
            .iter()
            .find(|(_, o)| o.stage == Stage::Queued && o.publish.qos == QoS::AtMostOnce)
            .map(|(s, _)| *s)?;
        self.take_seq(seq)
    }

    /// Removes a message by sequence (QoS 0 messages have no identifier).
    pub(crate) fn take_seq(&mut self, seq: u64) -> Option<Outgoing> {
        let out = self.by_seq.remove(&seq)?;
        if let Some(id) = out.publish.packet_id {
            if self.seq_of.get(&id.get()) == Some(&seq) {
                self.seq_of.remove(&id.get());
            }
            if out.stage == Stage::Released {
                if let Some(i) = self.released.iter().position(|r| *r == id) {
                    self.released.remove(i);
                }
            }
        }
        self.count_remove(out.stage, out.publish.qos);
        Some(out)
    }

    /// Queued messages in publish order, with their identifier: the first `room` QoS 1/2
    /// messages and the QoS 0 messages among and before them, no further. A flush can send no
    /// more than that, and collecting the whole queue on every acknowledgement made a long
    /// queue quadratic.
    pub(crate) fn queued_order(&self, room: usize) -> Vec<(u64, Option<PacketId>)> {
        let mut with_id = 0;
        let mut out = Vec::new();
        for (seq, o) in self.by_seq.iter() {
            if o.stage != Stage::Queued {
                continue;
            }
            if o.publish.packet_id.is_some() {
                if with_id == room {
                    break;
                }
                with_id += 1;
            }
            out.push((*seq, o.publish.packet_id));
        }
        out
    }

    /// Identifiers of released QoS 2 messages, in the order their PUBRECs arrived.
    pub(crate) fn released_order(&self) -> Vec<PacketId> {
        self.released.iter().copied().collect()
    }

    pub(crate) fn get_seq(&self, seq: u64) -> Option<&Outgoing> {
        self.by_seq.get(&seq)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Outgoing> {
        self.by_seq.values()
    }

    /// A new connection: every message transmitted on the last one and not acknowledged
    /// waits to be transmitted again, in its original place in the line, so that Receive
    /// Maximum and publish order hold for redeliveries too. `session_kept` is false when the
    /// server lost our session: then nothing was ever transmitted to this session, and the
    /// messages go out as new (no DUP).
    pub(crate) fn requeue(&mut self, session_kept: bool) {
        let (mut moved, mut moved_qos2) = (0, 0);
        for out in self.by_seq.values_mut() {
            if out.stage == Stage::Sent {
                out.stage = Stage::Queued;
                moved += 1;
                moved_qos2 += usize::from(out.publish.qos == QoS::ExactlyOnce);
            }
            if !session_kept {
                out.transmitted = false;
            }
        }
        self.in_flight = self.in_flight.saturating_sub(moved);
        self.in_flight_qos2 = self.in_flight_qos2.saturating_sub(moved_qos2);
        self.queued += moved;
    }
}
