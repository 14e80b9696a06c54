//! Component tests of the app's stores and views, mounted into the real DOM of headless
//! Chromium (run by wasm-bindgen-test-runner, like `tests/web.rs`). Messages are fed to the
//! stores the way the connection feeds them; no broker is needed here (the end-to-end tests
//! drive the built app against one).
#![cfg(target_arch = "wasm32")]
// Tests may unwrap, index and panic: a panic is a test failure. Test items need no docs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use leptos::mount::mount_to;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use switchboard::components::header::SiteHeader;
use switchboard::model::record::Record;
use switchboard::pages::devices::DevicesPage;
use switchboard::pages::explorer::ExplorerPage;
use switchboard::pages::notifications::NotificationsPage;
use switchboard::route::{Route, View};
use switchboard::state::provide::{provide_app_state, AppState};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn container() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div.dyn_into().unwrap()
}

/// Every test starts from an empty localStorage and an empty hash.
fn fresh() {
    let w = web_sys::window().unwrap();
    w.local_storage().unwrap().unwrap().clear().unwrap();
    w.location().set_hash("").unwrap();
}

fn all(root: &Element, testid: &str) -> Vec<Element> {
    let list = root
        .query_selector_all(&format!("[data-testid=\"{testid}\"]"))
        .unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into().unwrap())
        .collect()
}

fn text(root: &Element, testid: &str) -> String {
    root.query_selector(&format!("[data-testid=\"{testid}\"]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no {testid}"))
        .text_content()
        .unwrap_or_default()
}

/// Waits for the next animation frame (when the feed applies its batch) and for the views'
/// throttled change signals (at most a few per second), then lets effects run.
async fn settle_views() {
    next_frame().await;
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 300)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    for _ in 0..4 {
        leptos::task::tick().await;
    }
}

/// Waits for the next animation frame (when the feed applies its batch), then lets effects run.
async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .request_animation_frame(&resolve)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    for _ in 0..4 {
        leptos::task::tick().await;
    }
}

fn msg(state: &AppState, topic: &str, payload: &str) -> Record {
    let mut r = Record::new(
        state.stores.next_seq(),
        js_sys::Date::now(),
        topic,
        payload.as_bytes().to_vec(),
    );
    r.qos = 1;
    r
}

/// Mounts `view` with every app context; returns the contexts.
fn mount<V: IntoView + 'static>(
    root: &HtmlElement,
    view: impl FnOnce() -> V + 'static,
) -> (AppState, impl Drop) {
    let slot: Rc<RefCell<Option<AppState>>> = Rc::default();
    let s2 = slot.clone();
    let handle = mount_to(root.clone(), move || {
        *s2.borrow_mut() = Some(provide_app_state("ws://127.0.0.1:1", View::Devices));
        view()
    });
    let state = slot.borrow().unwrap();
    (state, handle)
}

#[wasm_bindgen_test]
async fn a_flood_reaches_the_stores_in_one_update_per_frame() {
    fresh();
    let root = container();
    let runs = Rc::new(Cell::new(0u32));
    let r2 = runs.clone();
    let (state, _app) = mount(&root, move || {
        let stores = switchboard::state::feed::use_stores();
        Effect::new(move |_| {
            stores.messages_changed.track();
            r2.set(r2.get() + 1);
        });
        view! { <DevicesPage /> }
    });
    next_frame().await;
    let before = runs.get();
    for i in 0..2_000 {
        state
            .stores
            .push(msg(&state, &format!("load/{}", i % 50), &i.to_string()));
    }
    // Nothing reaches the stores until the frame.
    assert_eq!(state.stores.tree.with_value(|t| t.message_count()), 0);
    next_frame().await;
    assert_eq!(state.stores.tree.with_value(|t| t.message_count()), 2_000);
    assert_eq!(state.stores.tree.with_value(|t| t.topic_count()), 50);
    assert_eq!(
        runs.get(),
        before + 1,
        "one reactive update for the whole batch"
    );
    assert_eq!(state.stores.received.get_untracked(), 2_000);
}

#[wasm_bindgen_test]
async fn devices_appear_go_offline_by_will_and_show_live_values() {
    fresh();
    let root = container();
    let (state, _app) = mount(&root, || view! { <DevicesPage /> });
    settle_views().await;
    assert!(text(&root, "device-counts").contains("0 of 0"));
    for id in ["dev-01", "dev-02"] {
        let mut r = msg(&state, &format!("devices/{id}/status"), "online");
        r.retain = true;
        state.stores.push(r);
        state.stores.push(msg(
            &state,
            &format!("devices/{id}/telemetry"),
            r#"{"temperature":21.5,"humidity":40,"ts":1}"#,
        ));
    }
    settle_views().await;
    let tiles = all(&root, "device-tile");
    assert_eq!(tiles.len(), 2);
    assert!(text(&root, "device-counts").contains("2 of 2 online"));
    assert!(tiles[0].text_content().unwrap().contains("21.5"));
    // The Last Will of dev-02 arrives.
    state
        .stores
        .push(msg(&state, "devices/dev-02/status", "offline"));
    settle_views().await;
    let tile = root
        .query_selector("[data-device=\"dev-02\"]")
        .unwrap()
        .unwrap();
    assert!(tile.class_name().contains("offline"));
    assert_eq!(text(&tile, "device-state"), "offline");
    assert!(text(&root, "device-counts").contains("1 of 2 online"));
}

#[wasm_bindgen_test]
async fn the_topic_tree_and_the_bounded_log_follow_messages() {
    fresh();
    let root = container();
    let (state, _app) = mount(&root, || view! { <ExplorerPage /> });
    state.stores.log.update_value(|l| l.set_capacity(10));
    for i in 0..50 {
        state
            .stores
            .push(msg(&state, &format!("plant/line{}/temp", i % 3), "20"));
    }
    settle_views().await;
    assert!(text(&root, "tree-summary").contains("3 topics · 50 messages"));
    let tree = root
        .query_selector("[data-testid=\"topic-tree\"]")
        .unwrap()
        .unwrap();
    assert!(tree.text_content().unwrap().contains("plant"));
    // The log keeps the last 10 and says so.
    root.query_selector("[data-testid=\"tab-log\"]")
        .unwrap()
        .unwrap()
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    settle_views().await;
    let summary = text(&root, "log-summary");
    assert!(summary.contains("10 shown"), "{summary}");
    assert!(summary.contains("40 dropped"), "{summary}");
    assert_eq!(all(&root, "log-row").len(), 10);
}

#[wasm_bindgen_test]
async fn chat_raises_unread_counts_and_opening_clears_them() {
    fresh();
    let root = container();
    let (state, _app) = mount(&root, || {
        view! {
            <SiteHeader />
            <NotificationsPage />
        }
    });
    settle_views().await;
    state.stores.push(msg(
        &state,
        "chat/lobby",
        r#"{"from":"ada","text":"hello","ts":1763906709123}"#,
    ));
    state.stores.push(msg(
        &state,
        "alerts/critical",
        r#"{"device":"dev-03","message":"overheating"}"#,
    ));
    settle_views().await;
    assert_eq!(text(&root, "unread-total"), "2");
    assert_eq!(all(&root, "conversation").len(), 2);
    assert_eq!(state.stores.toasts.get_untracked().len(), 2);
    state
        .router
        .go(&Route::to(View::Notifications).with_item("chat/lobby"));
    settle_views().await;
    assert_eq!(text(&root, "unread-total"), "1");
    let bubbles = all(&root, "bubble");
    assert_eq!(bubbles.len(), 1);
    assert!(bubbles[0].text_content().unwrap().contains("hello"));
    // A message in the open conversation arrives read.
    state.stores.push(msg(
        &state,
        "chat/lobby",
        r#"{"from":"grace","text":"hi ada"}"#,
    ));
    settle_views().await;
    assert_eq!(text(&root, "unread-total"), "1");
    assert_eq!(all(&root, "bubble").len(), 2);
}

#[wasm_bindgen_test]
async fn payloads_are_text_never_markup() {
    fresh();
    let root = container();
    let xss = r#"<img src=x onerror="window.__xss=1">"#;
    let (state, _app) = mount(&root, || {
        view! {
            <NotificationsPage />
            <DevicesPage />
        }
    });
    state.stores.push(msg(&state, "chat/x", xss));
    state
        .stores
        .push(msg(&state, "devices/evil/telemetry", xss));
    state
        .router
        .go(&Route::to(View::Notifications).with_item("chat/x"));
    settle_views().await;
    settle_views().await;
    assert!(root.query_selector("img").unwrap().is_none());
    assert!(root.text_content().unwrap().contains("<img src=x"));
    let flag = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__xss".into()).unwrap();
    assert!(flag.is_undefined());
}
