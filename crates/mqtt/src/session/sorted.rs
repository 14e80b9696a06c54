//! Ordered maps and sets kept as one sorted `VecDeque`: every collection of the session
//! (keyed by packet identifier, publish sequence, Subscription Identifier, Topic Alias or
//! filter).
//!
//! Why not `BTreeMap` or `HashMap`: each key/value pair of a `BTreeMap` compiles to some 7 KB
//! of wasm (node splitting, merging, stealing) and of a `HashMap` to 2–3 KB plus SipHash; the
//! session had twelve of them, the largest part of the browser bundle after the codec. What
//! the session keeps is small (requests, subscriptions, aliases, QoS 2 receptions) or arrives
//! in key order and leaves mostly from the front (messages in flight, by publish sequence and
//! by packet identifier), which a sorted deque serves in O(1) at either end and O(log n)
//! lookups; an insertion or removal in the middle moves the shorter side.

use std::borrow::Borrow;
use std::collections::VecDeque;

/// A map ordered by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortedMap<K, V> {
    items: VecDeque<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap {
            items: VecDeque::new(),
        }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Where `key` is (`Ok`) or would go (`Err`). Keys arriving in order take the quick exit.
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        match self.items.back() {
            Some((last, _)) if last.borrow() < key => Err(self.items.len()),
            _ => self.items.binary_search_by(|(k, _)| k.borrow().cmp(key)),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.items.clear();
    }

    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.items.get(i).map(|(_, v)| v)
    }

    pub(crate) fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.items.get_mut(i).map(|(_, v)| v)
    }

    pub(crate) fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Inserts or replaces; the old value, if there was one.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => self
                .items
                .get_mut(i)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.items.insert(i, (key, value));
                None
            }
        }
    }

    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.items.remove(i).map(|(_, v)| v)
    }

    /// Entries in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.items.iter().map(|(k, v)| (k, v))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.items.iter().map(|(k, _)| k)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.items.iter_mut().map(|(_, v)| v)
    }
}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::collections::vec_deque::IntoIter<(K, V)>;

    /// Entries in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// A set ordered by value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortedSet<K>(SortedMap<K, ()>);

impl<K> Default for SortedSet<K> {
    fn default() -> Self {
        SortedSet(SortedMap::default())
    }
}

impl<K: Ord> SortedSet<K> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    pub(crate) fn contains<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.0.contains_key(key)
    }

    /// Whether `key` was not there before.
    pub(crate) fn insert(&mut self, key: K) -> bool {
        self.0.insert(key, ()).is_none()
    }

    /// Whether `key` was there.
    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.0.remove(key).is_some()
    }

    /// Values in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &K> {
        self.0.keys()
    }
}

impl<K: Ord> FromIterator<K> for SortedSet<K> {
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        let mut set = SortedSet::new();
        for k in iter {
            set.insert(k);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_key_order_whatever_the_insertion_order() {
        let mut m = SortedMap::new();
        for k in [5u16, 1, 9, 3, 7, 1] {
            m.insert(k, k * 10);
        }
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), [1, 3, 5, 7, 9]);
        assert_eq!(m.insert(3, 33), Some(30));
        assert_eq!(m.get(&3), Some(&33));
        assert_eq!(m.remove(&5), Some(50));
        assert_eq!(m.remove(&5), None);
        assert!(!m.contains_key(&5));
        if let Some(v) = m.get_mut(&9) {
            *v += 1;
        }
        assert_eq!(
            m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
            [(1, 10), (3, 33), (7, 70), (9, 91)]
        );
        assert_eq!(m.len(), 4);
        m.clear();
        assert!(m.is_empty());
    }

    #[test]
    fn map_in_order_keys_leave_from_the_front() {
        let mut m = SortedMap::new();
        for k in 0u64..1000 {
            m.insert(k, ());
        }
        for k in 0u64..1000 {
            assert_eq!(m.remove(&k), Some(()));
        }
        assert!(m.is_empty());
    }

    #[test]
    fn map_looks_up_borrowed_keys() {
        let mut m: SortedMap<String, u8> = SortedMap::new();
        m.insert("b".into(), 2);
        m.insert("a".into(), 1);
        assert_eq!(m.get("a"), Some(&1));
        assert_eq!(m.values().copied().collect::<Vec<_>>(), [1, 2]);
        for v in m.values_mut() {
            *v += 1;
        }
        assert_eq!(m.remove("b"), Some(3));
    }

    #[test]
    fn set_reports_what_changed() {
        let mut s: SortedSet<u16> = [4, 2, 2, 8].into_iter().collect();
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [2, 4, 8]);
        assert!(!s.insert(4));
        assert!(s.insert(6));
        assert!(s.remove(&2));
        assert!(!s.remove(&2));
        assert!(s.contains(&6));
        assert_eq!(s.len(), 3);
        s.clear();
        assert_eq!(s.len(), 0);
    }
}
