//! The session snapshot in IndexedDB: database `switchboard`, object store `sessions`, one
//! record per broker URL and client id holding [`Snapshot::to_bytes`] as a `Uint8Array`.
//!
//! [`Snapshot::to_bytes`]: switchboard_mqtt::session::Snapshot::to_bytes

use crate::socket::js_message;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

const DB_NAME: &str = "switchboard";
const STORE: &str = "sessions";

/// The record key of a session.
pub(crate) fn key(url: &str, client_id: &str) -> String {
    format!("{url} {client_id}")
}

/// An open database.
#[derive(Clone)]
pub(crate) struct Store {
    db: IdbDatabase,
}

impl Store {
    /// Opens (creating if needed) the database.
    pub(crate) async fn open() -> Result<Store, String> {
        let factory = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
            .ok()
            .and_then(|f| f.dyn_into::<web_sys::IdbFactory>().ok())
            .ok_or_else(|| "IndexedDB is not available".to_string())?;
        let request: IdbOpenDbRequest = factory
            .open_with_u32(DB_NAME, 1)
            .map_err(|e| js_message(&e))?;
        let on_upgrade = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let db = js_sys::Reflect::get(&e, &JsValue::from_str("target"))
                .ok()
                .and_then(|t| t.dyn_into::<IdbRequest>().ok())
                .and_then(|r| r.result().ok())
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
            if let Some(db) = db {
                if !db.object_store_names().contains(STORE) {
                    let _ = db.create_object_store(STORE);
                }
            }
        });
        request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let result = wait_request(&request).await;
        request.set_onupgradeneeded(None);
        drop(on_upgrade);
        let db = result?
            .dyn_into::<IdbDatabase>()
            .map_err(|_| "IndexedDB did not open a database".to_string())?;
        Ok(Store { db })
    }

    /// The bytes stored under `key`, if any.
    pub(crate) async fn load(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let tx = self
            .db
            .transaction_with_str(STORE)
            .map_err(|e| js_message(&e))?;
        let request = tx
            .object_store(STORE)
            .and_then(|s| s.get(&JsValue::from_str(key)))
            .map_err(|e| js_message(&e))?;
        let value = wait_request(&request).await?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        let bytes = value
            .dyn_into::<Uint8Array>()
            .map_err(|_| "the stored session is not bytes".to_string())?;
        Ok(Some(bytes.to_vec()))
    }

    /// Stores `bytes` under `key`; resolves when the transaction commits. The transaction is
    /// made now, so saves commit in the order they were made.
    pub(crate) fn save(
        &self,
        key: &str,
        bytes: &[u8],
    ) -> Result<impl std::future::Future<Output = Result<(), String>>, String> {
        let tx = self
            .db
            .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
            .map_err(|e| js_message(&e))?;
        let value = Uint8Array::from(bytes);
        tx.object_store(STORE)
            .and_then(|s| s.put_with_key(&value, &JsValue::from_str(key)))
            .map_err(|e| js_message(&e))?;
        Ok(wait_transaction(tx))
    }

    /// Deletes the record under `key`.
    pub(crate) fn delete(&self, key: &str) -> Result<(), String> {
        let tx = self
            .db
            .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
            .map_err(|e| js_message(&e))?;
        tx.object_store(STORE)
            .and_then(|s| s.delete(&JsValue::from_str(key)))
            .map(|_| ())
            .map_err(|e| js_message(&e))
    }
}

/// Waits for a request's `success` (its result) or `error`.
async fn wait_request(request: &IdbRequest) -> Result<JsValue, String> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(_) => request.result().map_err(|e| js_message(&e)),
        Err(_) => Err(request_error(request)),
    }
}

/// Waits for a transaction to commit.
async fn wait_transaction(tx: IdbTransaction) -> Result<(), String> {
    let promise = Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onerror(Some(&reject));
        tx.set_onabort(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    tx.set_oncomplete(None);
    tx.set_onerror(None);
    tx.set_onabort(None);
    outcome.map(|_| ()).map_err(|_| {
        tx.error()
            .map(|e| format!("{}: {}", e.name(), e.message()))
            .unwrap_or_else(|| "the IndexedDB transaction failed".to_string())
    })
}

fn request_error(request: &IdbRequest) -> String {
    match request.error() {
        Ok(Some(e)) => format!("{}: {}", e.name(), e.message()),
        _ => "the IndexedDB request failed".to_string(),
    }
}
