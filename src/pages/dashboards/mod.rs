//! Dashboards: tabs of user-made widget grids, an edit mode to add, edit, remove and reorder
//! widgets, and import/export as JSON.

pub mod editor;
pub mod widget;

use crate::model::dashboard::{self, Dashboard, Widget, WidgetKind};
use crate::route::{Route, View};
use crate::state::dashboards::use_dashboards;
use crate::state::router::use_router;
use editor::WidgetEditor;
use leptos::prelude::*;
use widget::WidgetBody;

/// The dashboards view.
#[component]
pub fn DashboardsPage() -> impl IntoView {
    let dashboards = use_dashboards();
    let router = use_router();
    let current = Memo::new(move |_| {
        let wanted = router.route.with(|r| r.item.clone());
        dashboards.list.with(|l| {
            wanted
                .and_then(|id| l.iter().find(|d| d.id == id).cloned())
                .or_else(|| l.first().cloned())
        })
    });
    let editing = RwSignal::new(false);
    let widget_form = RwSignal::new(None::<Widget>);
    let io = RwSignal::new(None::<String>);
    let io_text = RwSignal::new(String::new());
    let io_error = RwSignal::new(None::<String>);
    let update_current = move |f: &dyn Fn(&mut Dashboard)| {
        let Some(id) = current.with_untracked(|c| c.as_ref().map(|d| d.id.clone())) else {
            return;
        };
        dashboards.update(|l| {
            if let Some(d) = l.iter_mut().find(|d| d.id == id) {
                f(d);
            }
        });
    };
    let new_dashboard = move |_| {
        let mut id = String::new();
        dashboards.update(|l| {
            id = (1..)
                .map(|n| format!("dash-{n}"))
                .find(|c| l.iter().all(|d| &d.id != c))
                .unwrap_or_default();
            l.push(Dashboard {
                id: id.clone(),
                name: format!("Dashboard {}", l.len() + 1),
                widgets: Vec::new(),
            });
        });
        editing.set(true);
        router.go(&Route::to(View::Dashboards).with_item(id));
    };
    view! {
        <section class="page dashboards" aria-labelledby="dash-title">
            <div class="page-head">
                <h1 id="dash-title">"Dashboards"</h1>
                <div class="toolbar">
                    <button class="btn" aria-pressed=move || editing.get().to_string() data-testid="dash-edit" on:click=move |_| editing.update(|e| *e = !*e)>
                        {move || if editing.get() { "Done" } else { "Edit" }}
                    </button>
                    <button class="btn" on:click=new_dashboard>"New dashboard"</button>
                    <button class="btn" on:click=move |_| {
                        io_text.set(dashboard::export(&dashboards.list.get_untracked()));
                        io_error.set(None);
                        io.set(Some("export".into()));
                    }>"Export"</button>
                    <button class="btn" on:click=move |_| {
                        io_text.set(String::new());
                        io_error.set(None);
                        io.set(Some("import".into()));
                    }>"Import"</button>
                </div>
            </div>
            <div class="tabs" role="tablist" aria-label="Dashboards">
                {move || dashboards.list.get().into_iter().map(|d| {
                    let id = d.id.clone();
                    let selected = move || current.with(|c| c.as_ref().is_some_and(|c| c.id == id));
                    view! {
                        <a role="tab" class="tab" class:active=selected.clone() aria-selected=move || selected().to_string() href=Route::to(View::Dashboards).with_item(d.id.clone()).href()>
                            {d.name.clone()}
                        </a>
                    }
                }).collect_view()}
            </div>
            <Show when=move || io.with(Option::is_some)>
                <div class="panel io-panel">
                    <label class="input-label" for="dash-io">
                        {move || if io.with(|m| m.as_deref() == Some("export")) { "Copy this JSON (or download it)" } else { "Paste a dashboards JSON file" }}
                    </label>
                    <textarea id="dash-io" data-testid="dash-io" class="code-input" rows="8" prop:value=move || io_text.get() on:input=move |ev| io_text.set(event_target_value(&ev))></textarea>
                    <p class="form-error" role="alert" hidden=move || io_error.with(Option::is_none)>{move || io_error.get()}</p>
                    <div class="toolbar">
                        <Show when=move || io.with(|m| m.as_deref() == Some("import"))>
                            <button class="btn btn-primary" data-testid="dash-import" on:click=move |_| {
                                let existing = dashboards.list.get_untracked();
                                match dashboard::import(&io_text.get_untracked(), &existing) {
                                    Ok(new) => {
                                        dashboards.update(|l| l.extend(new));
                                        io.set(None);
                                        io_error.set(None);
                                    }
                                    Err(e) => io_error.set(Some(e)),
                                }
                            }>"Import"</button>
                        </Show>
                        <button class="btn btn-ghost" on:click=move |_| io.set(None)>"Close"</button>
                    </div>
                </div>
            </Show>
            {move || match current.get() {
                None => view! {
                    <div class="empty-state"><p class="empty-title">"No dashboards"</p><p class="muted">"Create one with New dashboard, or import a file."</p></div>
                }.into_any(),
                Some(d) => {
                    let name = d.name.clone();
                    let widgets = d.widgets.clone();
                    view! {
                        <Show when=move || editing.get()>
                            <div class="toolbar dash-edit-bar">
                                <label class="control">
                                    <span class="input-label">"Name"</span>
                                    <input prop:value=name.clone() on:change=move |ev| {
                                        let v = event_target_value(&ev);
                                        if !v.trim().is_empty() {
                                            update_current(&|d| d.name = v.trim().to_string());
                                        }
                                    } />
                                </label>
                                <button class="btn btn-primary" data-testid="add-widget" on:click=move |_| {
                                    let id = current.with_untracked(|c| c.as_ref().map(Dashboard::fresh_widget_id)).unwrap_or_default();
                                    widget_form.set(Some(Widget::new(id, WidgetKind::Value, "")));
                                }>"Add widget"</button>
                                <button class="btn btn-danger" on:click=move |_| {
                                    if window().confirm_with_message("Delete this dashboard?").unwrap_or(false) {
                                        let id = current.with_untracked(|c| c.as_ref().map(|d| d.id.clone())).unwrap_or_default();
                                        dashboards.update(|l| l.retain(|d| d.id != id));
                                        router.go(&Route::to(View::Dashboards));
                                    }
                                }>"Delete dashboard"</button>
                            </div>
                        </Show>
                        {move || widget_form.get().map(|w| view! {
                            <WidgetEditor
                                widget=w
                                on_save=Callback::new(move |w: Widget| {
                                    update_current(&|d| match d.widgets.iter_mut().find(|x| x.id == w.id) {
                                        Some(x) => *x = w.clone(),
                                        None => d.widgets.push(w.clone()),
                                    });
                                    widget_form.set(None);
                                })
                                on_cancel=Callback::new(move |()| widget_form.set(None))
                            />
                        })}
                        <div class="widget-grid" data-testid="widget-grid">
                            {widgets.into_iter().map(|w| {
                                let (id1, id2, id3) = (w.id.clone(), w.id.clone(), w.id.clone());
                                let w2 = w.clone();
                                view! {
                                    <article class=format!("panel widget span-{}", w.width.clamp(1, 4)) data-testid="widget" data-widget=w.id.clone()>
                                        <header class="widget-head">
                                            <h2>{w.caption()}</h2>
                                            <Show when=move || editing.get()>
                                                <div class="widget-tools">
                                                    <button class="btn btn-ghost btn-small" aria-label="Move left" on:click={let id = id1.clone(); move |_| update_current(&|d| { d.move_widget(&id, -1); })}>"←"</button>
                                                    <button class="btn btn-ghost btn-small" aria-label="Move right" on:click={let id = id2.clone(); move |_| update_current(&|d| { d.move_widget(&id, 1); })}>"→"</button>
                                                    <button class="btn btn-ghost btn-small" aria-label="Edit widget" on:click={let w = w2.clone(); move |_| widget_form.set(Some(w.clone()))}>"✎"</button>
                                                    <button class="btn btn-ghost btn-small" aria-label="Remove widget" on:click={let id = id3.clone(); move |_| update_current(&|d| d.widgets.retain(|x| x.id != id))}>"×"</button>
                                                </div>
                                            </Show>
                                        </header>
                                        <WidgetBody widget=w.clone() />
                                    </article>
                                }
                            }).collect_view()}
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}
