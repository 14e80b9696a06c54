//! Packet identifier allocation: never hands out an identifier that is still in use.

use crate::codec::PacketId;

/// A bit set over the 65,535 identifiers, and a cursor so identifiers cycle rather than
/// being reused at once (which keeps late duplicates from being mistaken for new packets).
#[derive(Debug, Clone)]
pub(crate) struct PacketIds {
    used: Box<[u64; 1024]>,
    next: u16,
    count: usize,
}

impl PacketIds {
    pub(crate) fn new() -> PacketIds {
        PacketIds {
            used: Box::new([0; 1024]),
            next: 1,
            count: 0,
        }
    }

    fn slot(id: u16) -> (usize, u64) {
        (usize::from(id / 64), 1u64 << (id % 64))
    }

    /// Marks `id` in use (restoring a snapshot); false if it already was.
    pub(crate) fn claim(&mut self, id: PacketId) -> bool {
        let (word, bit) = Self::slot(id.get());
        match self.used.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                self.count += 1;
                true
            }
            _ => false,
        }
    }

    /// The next free identifier after the last one handed out.
    pub(crate) fn allocate(&mut self) -> Option<PacketId> {
        if self.count >= usize::from(u16::MAX) {
            return None;
        }
        loop {
            let candidate = self.next;
            self.next = if self.next == u16::MAX {
                1
            } else {
                self.next + 1
            };
            if let Some(id) = PacketId::new(candidate) {
                if self.claim(id) {
                    return Some(id);
                }
            }
        }
    }

    pub(crate) fn release(&mut self, id: PacketId) {
        let (word, bit) = Self::slot(id.get());
        if let Some(w) = self.used.get_mut(word) {
            if *w & bit != 0 {
                *w &= !bit;
                self.count -= 1;
            }
        }
    }

    pub(crate) fn next(&self) -> u16 {
        self.next
    }

    pub(crate) fn set_next(&mut self, next: u16) {
        self.next = next.max(1);
    }
}
