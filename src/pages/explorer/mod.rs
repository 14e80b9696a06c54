//! The explorer: subscriptions, the live topic tree, the selected topic's messages and plot,
//! the message log, and the publish panel.

pub mod detail;
pub mod log;
pub mod publish;
pub mod subscriptions;
pub mod tree;

use detail::TopicDetail;
use leptos::prelude::*;
use log::MessageLogPanel;
use publish::PublishPanel;
use subscriptions::SubscriptionsPanel;
use tree::TopicTreePanel;

/// Which tab the right-hand side shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Topic,
    Log,
    Publish,
}

/// The explorer view.
#[component]
pub fn ExplorerPage() -> impl IntoView {
    // The topic selected in the tree (its full name).
    let selected = RwSignal::new(None::<String>);
    let tab = RwSignal::new(Tab::Topic);
    // A topic picked in the tree or log opens its tab; publish may be prefilled from it.
    Effect::new(move |prev: Option<Option<String>>| {
        let now = selected.get();
        if prev.is_some() && now.is_some() && tab.get_untracked() == Tab::Log {
            tab.set(Tab::Topic);
        }
        now
    });
    let tab_button = move |t: Tab, label: &'static str, testid: &'static str| {
        view! {
            <button
                role="tab"
                class="tab"
                class:active=move || tab.get() == t
                aria-selected=move || (tab.get() == t).to_string()
                data-testid=testid
                on:click=move |_| tab.set(t)
            >
                {label}
            </button>
        }
    };
    view! {
        <section class="page explorer" aria-labelledby="explorer-title">
            <h1 id="explorer-title" class="visually-hidden">"Explorer"</h1>
            <div class="explorer-grid">
                <div class="explorer-side">
                    <SubscriptionsPanel />
                    <TopicTreePanel selected=selected />
                </div>
                <div class="explorer-main">
                    <div class="tabs" role="tablist" aria-label="Explorer panels">
                        {tab_button(Tab::Topic, "Topic", "tab-topic")}
                        {tab_button(Tab::Log, "Message log", "tab-log")}
                        {tab_button(Tab::Publish, "Publish", "tab-publish")}
                    </div>
                    {move || match tab.get() {
                        Tab::Topic => view! { <TopicDetail selected=selected /> }.into_any(),
                        Tab::Log => view! { <MessageLogPanel selected=selected /> }.into_any(),
                        Tab::Publish => view! { <PublishPanel selected=selected /> }.into_any(),
                    }}
                </div>
            </div>
        </section>
    }
}
