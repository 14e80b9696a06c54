//! The app's running state, shared through Leptos contexts: saved profiles and settings, the
//! connection, and the stores the views read.

pub mod connection;
pub mod dashboards;
pub mod feed;
pub mod profiles;
pub mod provide;
pub mod records;
pub mod router;
pub mod storage;
