//! A trie of topic filters that finds every subscription matching a topic in one walk.

use super::filter::split_shared;
use std::collections::HashMap;

/// Subscriptions keyed by topic filter, with a value per filter (a handler, an id, …).
///
/// Matching walks the topic's levels once, following the exact level, `+` and `#` branches
/// together, so its cost depends on the topic's depth, not on the number of subscriptions.
///
/// ```
/// use switchboard_mqtt::topic::SubscriptionTrie;
///
/// let mut trie = SubscriptionTrie::new();
/// trie.insert("devices/+/status", 1);
/// trie.insert("devices/#", 2);
/// trie.insert("chat/#", 3);
/// let mut hits: Vec<_> = trie.matches("devices/d7/status").map(|(_, v)| *v).collect();
/// hits.sort();
/// assert_eq!(hits, [1, 2]);
/// ```
#[derive(Debug, Clone)]
pub struct SubscriptionTrie<V> {
    root: Node<V>,
    len: usize,
}

#[derive(Debug, Clone)]
struct Node<V> {
    children: HashMap<Box<str>, Node<V>>,
    /// Subscriptions whose filter ends at this node: (full filter, value).
    values: Vec<(Box<str>, V)>,
}

impl<V> Default for Node<V> {
    fn default() -> Self {
        Node {
            children: HashMap::new(),
            values: Vec::new(),
        }
    }
}

impl<V> Default for SubscriptionTrie<V> {
    fn default() -> Self {
        SubscriptionTrie::new()
    }
}

impl<V> SubscriptionTrie<V> {
    /// An empty trie.
    pub fn new() -> Self {
        SubscriptionTrie {
            root: Node::default(),
            len: 0,
        }
    }

    /// How many filters it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn levels(filter: &str) -> std::str::Split<'_, char> {
        split_shared(filter).map_or(filter, |s| s.filter).split('/')
    }

    /// Adds `filter` with `value`, replacing and returning the value it had.
    pub fn insert(&mut self, filter: &str, value: V) -> Option<V> {
        let mut node = &mut self.root;
        for level in Self::levels(filter) {
            node = node.children.entry(level.into()).or_default();
        }
        if let Some(slot) = node.values.iter_mut().find(|(f, _)| &**f == filter) {
            return Some(std::mem::replace(&mut slot.1, value));
        }
        node.values.push((filter.into(), value));
        self.len += 1;
        None
    }

    /// Removes `filter`, returning its value.
    pub fn remove(&mut self, filter: &str) -> Option<V> {
        let levels: Vec<&str> = Self::levels(filter).collect();
        let removed = Self::remove_at(&mut self.root, &levels, filter);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    fn remove_at(node: &mut Node<V>, levels: &[&str], filter: &str) -> Option<V> {
        let Some((first, rest)) = levels.split_first() else {
            let i = node.values.iter().position(|(f, _)| &**f == filter)?;
            return Some(node.values.swap_remove(i).1);
        };
        let child = node.children.get_mut(*first)?;
        let removed = Self::remove_at(child, rest, filter);
        if child.values.is_empty() && child.children.is_empty() {
            node.children.remove(*first);
        }
        removed
    }

    /// The value stored for exactly `filter`.
    pub fn get(&self, filter: &str) -> Option<&V> {
        let mut node = &self.root;
        for level in Self::levels(filter) {
            node = node.children.get(level)?;
        }
        node.values
            .iter()
            .find(|(f, _)| &**f == filter)
            .map(|(_, v)| v)
    }

    /// Every (filter, value) whose filter matches topic `name`.
    pub fn matches<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (&'a str, &'a V)> + 'a {
        let mut out = Vec::new();
        let levels: Vec<&str> = name.split('/').collect();
        Self::collect(&self.root, &levels, name.starts_with('$'), true, &mut out);
        out.into_iter()
    }

    fn collect<'a>(
        node: &'a Node<V>,
        levels: &[&str],
        dollar: bool,
        first: bool,
        out: &mut Vec<(&'a str, &'a V)>,
    ) {
        // A leading wildcard never matches a `$` topic [MQTT-4.7.2-1].
        let wildcards = !(first && dollar);
        if wildcards {
            if let Some(hash) = node.children.get("#") {
                out.extend(hash.values.iter().map(|(f, v)| (&**f, v)));
            }
        }
        let Some((level, rest)) = levels.split_first() else {
            out.extend(node.values.iter().map(|(f, v)| (&**f, v)));
            return;
        };
        if let Some(child) = node.children.get(*level) {
            Self::collect(child, rest, dollar, false, out);
        }
        if wildcards {
            if let Some(plus) = node.children.get("+") {
                Self::collect(plus, rest, dollar, false, out);
            }
        }
    }
}
