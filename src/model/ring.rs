//! A bounded history: the newest `capacity` items, oldest dropped first.

use std::collections::VecDeque;

/// A ring buffer that keeps at most `capacity` items and counts what it dropped, so a view can
/// say "showing the last 500 of 12,345".
#[derive(Debug, Clone, PartialEq)]
pub struct Ring<T> {
    items: VecDeque<T>,
    capacity: usize,
    dropped: u64,
}

impl<T> Ring<T> {
    /// An empty ring keeping at most `capacity` items (at least one).
    pub fn new(capacity: usize) -> Ring<T> {
        Ring {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    /// Adds `item` as the newest, dropping the oldest when full.
    pub fn push(&mut self, item: T) {
        if self.items.len() >= self.capacity {
            self.items.pop_front();
            self.dropped += 1;
        }
        self.items.push_back(item);
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The most it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many items were dropped to make room since it was made (or cleared).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Everything ever pushed since the last clear: held plus dropped.
    pub fn total(&self) -> u64 {
        self.dropped + self.items.len() as u64
    }

    /// Changes the capacity, dropping the oldest items that no longer fit.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.items.len() > self.capacity {
            self.items.pop_front();
            self.dropped += 1;
        }
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    /// The item at `index`, oldest first.
    pub fn get(&self, index: usize) -> Option<&T> {
        self.items.get(index)
    }

    /// The newest item.
    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }

    /// Empties it and resets the counts.
    pub fn clear(&mut self) {
        self.items.clear();
        self.dropped = 0;
    }

    /// Keeps only the items for which `keep` is true (not counted as dropped).
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::Ring;

    #[test]
    fn keeps_the_newest_and_counts_the_dropped() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(r.dropped(), 2);
        assert_eq!(r.total(), 5);
        assert_eq!(r.last(), Some(&4));
    }

    #[test]
    fn shrinking_drops_the_oldest() {
        let mut r = Ring::new(4);
        for i in 0..4 {
            r.push(i);
        }
        r.set_capacity(2);
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(r.dropped(), 2);
    }

    #[test]
    fn a_zero_capacity_keeps_one() {
        let mut r = Ring::new(0);
        r.push(1);
        r.push(2);
        assert_eq!(r.len(), 1);
        assert_eq!(r.capacity(), 1);
    }
}
