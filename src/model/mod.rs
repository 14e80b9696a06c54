//! The app's data, free of the DOM: what the views show, how messages are grouped and
//! bounded, and what is saved. Tested natively (`cargo test -p switchboard --lib`).

pub mod conversations;
pub mod dashboard;
pub mod devices;
pub mod log;
pub mod pattern;
pub mod payload;
pub mod profile;
pub mod record;
pub mod ring;
pub mod settings;
pub mod topic_tree;
