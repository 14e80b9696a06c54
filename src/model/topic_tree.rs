//! The explorer's live topic tree: one node per topic level, with message counts, the last
//! value, the retained marker and a bounded history per topic.

use super::record::Record;
use super::ring::Ring;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Identifies a node; stable until the tree is cleared.
pub type NodeId = usize;

/// One topic level.
#[derive(Debug, Clone)]
pub struct Node {
    /// This level's name (may be empty: `a//b` has an empty middle level).
    pub name: Arc<str>,
    /// The full topic up to this level.
    pub topic: Arc<str>,
    /// Depth below the root (top levels are 0).
    pub depth: u16,
    children: BTreeMap<Arc<str>, NodeId>,
    /// Messages on exactly this topic.
    pub count: u64,
    /// Messages on this topic and every topic below it.
    pub subtree: u64,
    /// The newest message on exactly this topic.
    pub last: Option<Arc<Record>>,
    /// Whether the newest message here came with the retain flag (a retained value).
    pub retained: bool,
    /// Recent messages on exactly this topic.
    pub history: Ring<Arc<Record>>,
}

impl Node {
    fn new(name: Arc<str>, topic: Arc<str>, depth: u16, history: usize) -> Node {
        Node {
            name,
            topic,
            depth,
            children: BTreeMap::new(),
            count: 0,
            subtree: 0,
            last: None,
            retained: false,
            history: Ring::new(history),
        }
    }

    /// Whether it has levels below it.
    pub fn has_children(&self) -> bool {
        !self.children.is_empty()
    }
}

/// One line of the rendered tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The node.
    pub id: NodeId,
    /// Indentation.
    pub depth: u16,
    /// Whether its children are shown.
    pub expanded: bool,
    /// Whether it has children at all.
    pub has_children: bool,
}

/// The tree.
#[derive(Debug, Clone)]
pub struct TopicTree {
    nodes: Vec<Node>,
    history: usize,
    topics: usize,
}

const ROOT: NodeId = 0;

impl TopicTree {
    /// An empty tree keeping `history` messages per topic.
    pub fn new(history: usize) -> TopicTree {
        TopicTree {
            nodes: vec![Node::new(Arc::from(""), Arc::from(""), 0, 1)],
            history,
            topics: 0,
        }
    }

    /// The node `id`.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id).filter(|_| id != ROOT)
    }

    /// How many distinct topics have had a message.
    pub fn topic_count(&self) -> usize {
        self.topics
    }

    /// Every message counted.
    pub fn message_count(&self) -> u64 {
        self.nodes.first().map_or(0, |r| r.subtree)
    }

    /// The per-topic history length.
    pub fn history_capacity(&self) -> usize {
        self.history
    }

    /// Changes the per-topic history length for every topic.
    pub fn set_history_capacity(&mut self, history: usize) {
        self.history = history.max(1);
        for n in self.nodes.iter_mut().skip(1) {
            n.history.set_capacity(self.history);
        }
    }

    /// The node of exactly `topic`, if it has been seen.
    pub fn find(&self, topic: &str) -> Option<NodeId> {
        let mut at = ROOT;
        for level in topic.split('/') {
            at = *self.nodes.get(at)?.children.get(level)?;
        }
        Some(at)
    }

    /// Counts `record` on its topic, creating the levels it needs.
    pub fn insert(&mut self, record: &Arc<Record>) {
        let mut at = ROOT;
        if let Some(root) = self.nodes.get_mut(ROOT) {
            root.subtree += 1;
        }
        let topic: &str = &record.topic;
        let mut end = 0;
        for (depth, level) in topic.split('/').enumerate() {
            end += level.len();
            let existing = self
                .nodes
                .get(at)
                .and_then(|n| n.children.get(level).copied());
            let next = match existing {
                Some(id) => id,
                None => {
                    let id = self.nodes.len();
                    let name: Arc<str> = Arc::from(level);
                    let full: Arc<str> = Arc::from(topic.get(..end).unwrap_or(topic));
                    let depth = u16::try_from(depth).unwrap_or(u16::MAX);
                    self.nodes
                        .push(Node::new(name.clone(), full, depth, self.history));
                    if let Some(parent) = self.nodes.get_mut(at) {
                        parent.children.insert(name, id);
                    }
                    id
                }
            };
            at = next;
            if let Some(n) = self.nodes.get_mut(at) {
                n.subtree += 1;
            }
            end += 1; // the '/'
        }
        if let Some(n) = self.nodes.get_mut(at) {
            if n.count == 0 {
                self.topics += 1;
            }
            n.count += 1;
            // An empty retained message deletes the retained value; a live message on a
            // topic leaves the marker of the retained one it replaced only if it is retained.
            n.retained = record.retain && !record.payload.is_empty();
            n.last = Some(record.clone());
            n.history.push(record.clone());
        }
    }

    /// The rows to draw: top levels, and the children of every expanded node, in name order.
    /// With a non-empty `search`, only topics containing it (case-insensitive) and their
    /// ancestors, all expanded.
    pub fn rows(&self, expanded: &HashSet<Arc<str>>, search: &str) -> Vec<Row> {
        let mut out = Vec::new();
        let search = search.trim().to_lowercase();
        let keep: Option<HashSet<NodeId>> = (!search.is_empty()).then(|| self.matching(&search));
        let mut stack: Vec<NodeId> = self.children_of(ROOT).rev().collect();
        while let Some(id) = stack.pop() {
            let Some(n) = self.nodes.get(id) else {
                continue;
            };
            if let Some(k) = &keep {
                if !k.contains(&id) {
                    continue;
                }
            }
            let open = n.has_children() && (keep.is_some() || expanded.contains(&n.topic));
            out.push(Row {
                id,
                depth: n.depth,
                expanded: open,
                has_children: n.has_children(),
            });
            if open {
                stack.extend(self.children_of(id).rev());
            }
        }
        out
    }

    fn children_of(&self, id: NodeId) -> impl DoubleEndedIterator<Item = NodeId> + '_ {
        self.nodes
            .get(id)
            .into_iter()
            .flat_map(|n| n.children.values().copied())
    }

    /// Nodes whose topic contains `needle`, with their ancestors.
    fn matching(&self, needle: &str) -> HashSet<NodeId> {
        let mut keep = HashSet::new();
        for (id, n) in self.nodes.iter().enumerate().skip(1) {
            if n.topic.to_lowercase().contains(needle) {
                // Ancestors: walk the topic's prefixes.
                let mut at = ROOT;
                for level in n.topic.split('/') {
                    match self.nodes.get(at).and_then(|p| p.children.get(level)) {
                        Some(&c) => {
                            keep.insert(c);
                            at = c;
                        }
                        None => break,
                    }
                }
                keep.insert(id);
            }
        }
        keep
    }

    /// Every node at or below `id` that has had messages (for "expand all" and exports).
    pub fn topics_under(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(at) = stack.pop() {
            if let Some(n) = self.nodes.get(at) {
                if at != ROOT && n.count > 0 {
                    out.push(at);
                }
                stack.extend(n.children.values().copied());
            }
        }
        out
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = TopicTree::new(self.history);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn rec(seq: u64, topic: &str, payload: &str, retain: bool) -> Arc<Record> {
        let mut r = Record::new(seq, 0.0, topic, payload.as_bytes().to_vec());
        r.retain = retain;
        Arc::new(r)
    }

    #[test]
    fn counts_levels_and_keeps_the_last_value() {
        let mut t = TopicTree::new(3);
        t.insert(&rec(1, "a/b/c", "1", false));
        t.insert(&rec(2, "a/b/c", "2", true));
        t.insert(&rec(3, "a/d", "3", false));
        t.insert(&rec(4, "a", "4", false));
        assert_eq!(t.topic_count(), 3);
        assert_eq!(t.message_count(), 4);
        let a = t.node(t.find("a").unwrap()).unwrap();
        assert_eq!((a.count, a.subtree), (1, 4));
        let c = t.node(t.find("a/b/c").unwrap()).unwrap();
        assert_eq!(c.count, 2);
        assert!(c.retained);
        assert_eq!(&*c.topic, "a/b/c");
        assert_eq!(&c.last.as_ref().unwrap().payload[..], b"2");
        assert_eq!(c.history.len(), 2);
        assert!(t
            .find("a/b")
            .is_some_and(|id| t.node(id).unwrap().count == 0));
    }

    #[test]
    fn an_empty_retained_message_clears_the_marker() {
        let mut t = TopicTree::new(3);
        t.insert(&rec(1, "x", "on", true));
        t.insert(&rec(2, "x", "", true));
        assert!(!t.node(t.find("x").unwrap()).unwrap().retained);
    }

    #[test]
    fn rows_follow_expansion_and_search() {
        let mut t = TopicTree::new(3);
        for (i, topic) in ["b/x", "a/y/z", "a/w", "c"].iter().enumerate() {
            t.insert(&rec(i as u64, topic, "v", false));
        }
        let names = |rows: &[Row]| -> Vec<String> {
            rows.iter()
                .map(|r| t.node(r.id).unwrap().topic.to_string())
                .collect()
        };
        let mut open = HashSet::new();
        assert_eq!(names(&t.rows(&open, "")), vec!["a", "b", "c"]);
        open.insert(Arc::from("a"));
        assert_eq!(names(&t.rows(&open, "")), vec!["a", "a/w", "a/y", "b", "c"]);
        assert_eq!(
            names(&t.rows(&HashSet::new(), "Z")),
            vec!["a", "a/y", "a/y/z"]
        );
    }

    #[test]
    fn empty_levels_are_levels() {
        let mut t = TopicTree::new(3);
        t.insert(&rec(1, "/a", "v", false));
        t.insert(&rec(2, "a//b", "v", false));
        assert!(t.find("/a").is_some());
        assert!(t.find("a//b").is_some());
        assert_eq!(t.topic_count(), 2);
    }
}
