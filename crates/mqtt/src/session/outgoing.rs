//! Our QoS 1/2 messages from publish() to the final acknowledgement, and the queue in front
//! of them. Order of publish() is order on the wire, including after a reconnect.

use super::Instant;
use crate::codec::{PacketId, Publish, QoS};
use std::collections::{BTreeMap, HashMap};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Waiting for a connection or for room under the server's Receive Maximum.
    Queued,
    /// Sent; waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
    Sent,
    /// PUBREL sent; waiting for PUBCOMP (QoS 2). The payload is gone.
    Released,
}

#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) publish: Publish,
    pub(crate) stage: Stage,
    /// When publish() was called, to age the Message Expiry Interval while it waits.
    pub(crate) queued_at: Option<Instant>,
}

/// Messages by publish order, with an index by packet identifier.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutgoingStore {
    by_seq: BTreeMap<u64, Outgoing>,
    seq_of: HashMap<u16, u64>,
    next_seq: u64,
    /// Messages in `Sent` or `Released`: what counts against Receive Maximum.
    in_flight: usize,
    queued: usize,
}

impl OutgoingStore {
    pub(crate) fn push(&mut self, out: Outgoing) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(id) = out.publish.packet_id {
            self.seq_of.insert(id.get(), seq);
        }
        match out.stage {
            Stage::Queued => self.queued += 1,
            _ => self.in_flight += 1,
        }
        self.by_seq.insert(seq, out);
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    pub(crate) fn get(&self, id: PacketId) -> Option<&Outgoing> {
        self.by_seq.get(self.seq_of.get(&id.get())?)
    }

    pub(crate) fn set_stage(&mut self, id: PacketId, stage: Stage) {
        let Some(out) = self
            .seq_of
            .get(&id.get())
            .and_then(|s| self.by_seq.get_mut(s))
        else {
            return;
        };
        match (out.stage, stage) {
            (Stage::Queued, Stage::Sent | Stage::Released) => {
                self.queued -= 1;
                self.in_flight += 1;
            }
            (Stage::Sent | Stage::Released, Stage::Queued) => {
                self.in_flight -= 1;
                self.queued += 1;
            }
            _ => {}
        }
        out.stage = stage;
        if stage == Stage::Released {
            // Only the identifier matters from here on.
            out.publish.payload = bytes::Bytes::new();
            out.publish.properties = crate::codec::Properties::new();
        }
    }

    pub(crate) fn remove(&mut self, id: PacketId) -> Option<Outgoing> {
        let seq = self.seq_of.remove(&id.get())?;
        let out = self.by_seq.remove(&seq)?;
        match out.stage {
            Stage::Queued => self.queued -= 1,
            _ => self.in_flight -= 1,
        }
        Some(out)
    }

    /// Removes the oldest queued QoS 0 message.
    pub(crate) fn drop_oldest_qos0(&mut self) -> Option<Outgoing> {
        let seq = self
            .by_seq
            .iter()
            .find(|(_, o)| o.stage == Stage::Queued && o.publish.qos == QoS::AtMostOnce)
            .map(|(s, _)| *s)?;
        let out = self.by_seq.remove(&seq)?;
        self.queued -= 1;
        Some(out)
    }

    /// Removes a queued message by sequence (QoS 0 messages have no identifier).
    pub(crate) fn take_seq(&mut self, seq: u64) -> Option<Outgoing> {
        let out = self.by_seq.remove(&seq)?;
        if let Some(id) = out.publish.packet_id {
            self.seq_of.remove(&id.get());
        }
        match out.stage {
            Stage::Queued => self.queued -= 1,
            _ => self.in_flight -= 1,
        }
        Some(out)
    }

    /// Sequence numbers in publish order, with their stage.
    pub(crate) fn order(&self) -> Vec<(u64, Stage, Option<PacketId>)> {
        self.by_seq
            .iter()
            .map(|(s, o)| (*s, o.stage, o.publish.packet_id))
            .collect()
    }

    pub(crate) fn get_seq(&self, seq: u64) -> Option<&Outgoing> {
        self.by_seq.get(&seq)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Outgoing> {
        self.by_seq.values()
    }

    /// Everything sent goes back to the front of the line as unsent-but-known: used when the
    /// server lost our session, so its in-flight messages are sent again as new.
    pub(crate) fn requeue_sent(&mut self) {
        for out in self.by_seq.values_mut() {
            if out.stage == Stage::Sent {
                out.stage = Stage::Queued;
                self.in_flight -= 1;
                self.queued += 1;
            }
        }
    }
}
