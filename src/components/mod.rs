//! The app's views, one component per file.

pub mod error_box;
pub mod field_tree;
#[cfg(target_arch = "wasm32")]
pub mod header;
pub mod hex_dump;
pub mod inspector;
pub mod leftover_box;
#[cfg(target_arch = "wasm32")]
pub mod line_chart;
pub mod packet_card;
#[cfg(target_arch = "wasm32")]
pub mod payload_view;
pub mod results;
pub mod sample_picker;
#[cfg(target_arch = "wasm32")]
pub mod settings_panel;
pub mod source_panel;
pub mod sparkline;
#[cfg(target_arch = "wasm32")]
pub mod status_bar;
#[cfg(target_arch = "wasm32")]
pub mod toasts;
pub mod version_picker;
pub mod virtual_rows;
