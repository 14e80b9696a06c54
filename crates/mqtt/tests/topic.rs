//! Topic names and filters: validation, matching (`+`, `#`, `$` topics, shared
//! subscriptions), and the subscription trie, which must find exactly what matching each
//! filter one by one finds.

// A test reports failure by panicking; unwrapping and indexing keep the checks short.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use std::collections::BTreeSet;
use switchboard_mqtt::topic::{
    is_shared, matches, split_shared, validate_filter, validate_name, SharedFilter,
    SubscriptionTrie,
};

#[test]
fn valid_topic_names() {
    for name in [
        "a",
        "/",
        "a/b",
        "a//b",
        "/a",
        "a/",
        " ",
        "$SYS/uptime",
        "sport/tennis",
        "é/ü",
    ] {
        assert_eq!(validate_name(name), Ok(()), "{name:?}");
    }
    assert_eq!(validate_name(&"a".repeat(65_535)), Ok(()));
}

#[test]
fn invalid_topic_names() {
    // Empty [MQTT-4.7.3-1], wildcards [MQTT-3.3.2-2], U+0000 [MQTT-4.7.3-2], too long
    // [MQTT-4.7.3-3].
    for name in ["", "+", "#", "a/+", "a/#", "a+b", "a\0b"] {
        assert!(validate_name(name).is_err(), "{name:?}");
    }
    assert!(validate_name(&"a".repeat(65_536)).is_err());
}

#[test]
fn valid_topic_filters() {
    let ok = [
        "#",
        "+",
        "+/+",
        "/",
        "/#",
        "+/#",
        "a/#",
        "a/+/b",
        "a//b",
        "sport/tennis/player1/#",
        "$SYS/#",
        "$share/group/a/b",
        "$share/g/#",
        "$share/g/+/x",
        "$sharex/a",
    ];
    for filter in ok {
        assert_eq!(validate_filter(filter), Ok(()), "{filter:?}");
    }
}

#[test]
fn invalid_topic_filters() {
    let bad = [
        "",
        "a#",
        "#a",
        "a/#/b",
        "#/",
        "##",
        "a+",
        "+a",
        "a/b+/c",
        "++",
        "a\0",
        "$share",
        "$share/",
        "$share/g",
        "$share/g/",
        "$share//a",
        "$share/g+/a",
        "$share/g#/a",
        "$share/g/a#",
    ];
    for filter in bad {
        assert!(validate_filter(filter).is_err(), "{filter:?}");
    }
    assert!(validate_filter(&"a".repeat(65_536)).is_err());
}

#[test]
fn shared_filters_split() {
    assert_eq!(
        split_shared("$share/g/a/+"),
        Some(SharedFilter {
            group: "g",
            filter: "a/+"
        })
    );
    assert_eq!(split_shared("a/b"), None);
    assert_eq!(split_shared("$share/g"), None);
    assert!(is_shared("$share/g/a"));
    assert!(!is_shared("$sharex/a"));
}

#[test]
fn matching_examples_from_the_spec() {
    // MQTT 5.0 §4.7.1.2: the multi-level wildcard.
    let f = "sport/tennis/player1/#";
    for name in [
        "sport/tennis/player1",
        "sport/tennis/player1/ranking",
        "sport/tennis/player1/score/wimbledon",
    ] {
        assert!(matches(f, name), "{f} ~ {name}");
    }
    assert!(matches("sport/#", "sport"));
    assert!(!matches("sport/tennis/#", "sport/tennisx"));
    assert!(matches("#", "a/b/c"));
    // §4.7.1.3: the single-level wildcard.
    assert!(matches("sport/tennis/+", "sport/tennis/player1"));
    assert!(!matches("sport/tennis/+", "sport/tennis/player1/ranking"));
    assert!(!matches("sport/+", "sport"));
    assert!(matches("sport/+", "sport/"));
    assert!(matches("+/+", "/finance"));
    assert!(matches("/+", "/finance"));
    assert!(!matches("+", "/finance"));
    assert!(matches("+/tennis/#", "sport/tennis"));
    // Levels compare exactly.
    assert!(!matches("a/b", "a/B"));
    assert!(!matches("a/b", "a/b/c"));
    assert!(!matches("a/b/c", "a/b"));
    assert!(matches("a//b", "a//b"));
    assert!(matches("a/+/b", "a//b"));
}

#[test]
fn dollar_topics_not_matched_by_leading_wildcards() {
    // MQTT 5.0 §4.7.2 [MQTT-4.7.2-1].
    assert!(!matches("#", "$SYS/monitor/Clients"));
    assert!(!matches("+/monitor/Clients", "$SYS/monitor/Clients"));
    assert!(!matches("+", "$SYS"));
    assert!(matches("$SYS/#", "$SYS/monitor/Clients"));
    assert!(matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
    assert!(matches("$SYS/#", "$SYS"));
    // Only the first level is special.
    assert!(matches("a/+", "a/$x"));
    assert!(matches("a/#", "a/$x/y"));
}

#[test]
fn shared_subscriptions_match_their_inner_filter() {
    assert!(matches("$share/group/sport/#", "sport/tennis"));
    assert!(matches("$share/g/+", "x"));
    assert!(!matches("$share/g/a", "b"));
    assert!(!matches("$share/g/#", "$SYS/x"));
    // The share name is not a topic level.
    assert!(!matches("$share/g/a", "g/a"));
}

#[test]
fn trie_basics() {
    let mut trie = SubscriptionTrie::new();
    assert!(trie.is_empty());
    assert_eq!(trie.insert("a/+", 1), None);
    assert_eq!(trie.insert("a/#", 2), None);
    assert_eq!(trie.insert("$share/g/a/+", 3), None);
    assert_eq!(trie.insert("a/+", 10), Some(1));
    assert_eq!(trie.len(), 3);
    assert_eq!(trie.get("a/+"), Some(&10));
    assert_eq!(trie.get("$share/g/a/+"), Some(&3));
    assert_eq!(trie.get("a/b"), None);

    let mut hits: Vec<(&str, i32)> = trie.matches("a/b").map(|(f, v)| (f, *v)).collect();
    hits.sort();
    assert_eq!(hits, [("$share/g/a/+", 3), ("a/#", 2), ("a/+", 10)]);
    let hits: Vec<&str> = trie.matches("a").map(|(f, _)| f).collect();
    assert_eq!(hits, ["a/#"]);

    assert_eq!(trie.remove("a/#"), Some(2));
    assert_eq!(trie.remove("a/#"), None);
    assert_eq!(trie.remove("nope/x"), None);
    assert_eq!(trie.len(), 2);
    assert_eq!(trie.matches("a").count(), 0);
    assert_eq!(trie.remove("a/+"), Some(10));
    assert_eq!(trie.remove("$share/g/a/+"), Some(3));
    assert!(trie.is_empty());
    assert_eq!(trie.matches("a/b").count(), 0);
}

#[test]
fn trie_and_dollar_topics() {
    let mut trie = SubscriptionTrie::new();
    for (i, f) in ["#", "+/x", "$SYS/#", "$SYS/+", "$share/g/#"]
        .iter()
        .enumerate()
    {
        trie.insert(f, i);
    }
    let mut hits: Vec<&str> = trie.matches("$SYS/x").map(|(f, _)| f).collect();
    hits.sort_unstable();
    assert_eq!(hits, ["$SYS/#", "$SYS/+"]);
    let mut hits: Vec<&str> = trie.matches("a/x").map(|(f, _)| f).collect();
    hits.sort_unstable();
    assert_eq!(hits, ["#", "$share/g/#", "+/x"]);
}

/// A topic level from a small alphabet, so filters and names collide often.
fn level() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("a".to_string()),
        Just("b".to_string()),
        Just("$s".to_string()),
        Just("$SYS".to_string()),
        "[ab]{2}",
    ]
}

/// A valid topic name of those levels.
fn name() -> impl Strategy<Value = String> {
    vec(level(), 1..5).prop_map(|levels| match levels.join("/") {
        n if n.is_empty() => "/".to_string(),
        n => n,
    })
}

/// A valid topic filter: those levels or `+`, an optional final `#`, sometimes shared.
fn filter() -> impl Strategy<Value = String> {
    (
        vec(prop_oneof![3 => level(), 1 => Just("+".to_string())], 0..4),
        any::<bool>(),
        prop::option::weighted(0.2, prop_oneof![Just("g"), Just("h")]),
    )
        .prop_map(|(levels, hash, share)| {
            let mut f = levels.join("/");
            if hash || levels.is_empty() {
                f.push_str(if levels.is_empty() { "#" } else { "/#" });
            }
            if f.is_empty() {
                f.push('+');
            }
            match share {
                Some(g) => format!("$share/{g}/{f}"),
                None => f,
            }
        })
}

proptest! {
    #[test]
    fn generated_filters_and_names_are_valid(f in filter(), n in name()) {
        prop_assert_eq!(validate_filter(&f), Ok(()), "{}", f);
        prop_assert_eq!(validate_name(&n), Ok(()), "{:?}", n);
    }

    /// The trie finds exactly the filters that `matches` accepts, one by one, and each once.
    #[test]
    fn trie_equals_brute_force(
        filters in btree_set(filter(), 0..40),
        removed in btree_set(filter(), 0..10),
        names in vec(name(), 1..20),
    ) {
        let mut trie = SubscriptionTrie::new();
        for f in filters.iter().chain(&removed) {
            trie.insert(f, f.clone());
        }
        for f in &removed {
            if !filters.contains(f) {
                prop_assert_eq!(trie.remove(f), Some(f.clone()));
            }
        }
        prop_assert_eq!(trie.len(), filters.len());
        for n in &names {
            let mut found: Vec<&str> = trie.matches(n).map(|(f, v)| {
                assert_eq!(f, v);
                f
            }).collect();
            found.sort_unstable();
            let expected: Vec<&str> =
                filters.iter().filter(|f| matches(f, n)).map(String::as_str).collect();
            prop_assert_eq!(&found, &expected, "name {:?}", n);
            let unique: BTreeSet<&str> = found.iter().copied().collect();
            prop_assert_eq!(unique.len(), found.len());
        }
    }
}
