//! Topic names and filters: validation, matching, and a subscription trie.
//!
//! ```
//! use switchboard_mqtt::topic;
//!
//! assert!(topic::matches("devices/+/status", "devices/d1/status"));
//! assert!(!topic::matches("#", "$SYS/uptime")); // `$` topics never match a leading wildcard
//! assert!(topic::matches("$share/g/chat/#", "chat/lobby"));
//! assert!(topic::validate_filter("a/#/b").is_err());
//! ```

mod filter;
mod trie;

pub(crate) use filter::filter_rule;
pub use filter::{is_shared, matches, split_shared, validate_filter, validate_name, SharedFilter};
pub use trie::SubscriptionTrie;
