//! The app's views, one component per file.

pub mod error_box;
pub mod field_tree;
pub mod header;
pub mod hex_dump;
pub mod inspector;
pub mod leftover_box;
pub mod packet_card;
pub mod results;
pub mod sample_picker;
pub mod source_panel;
pub mod version_picker;
