//! `gomap explore`: one live map behind a local page and a JSON API.
//!
//! The server ([`server`]) is a synchronous loop over `tiny_http`; every
//! request goes through [`api::handle`], a pure function from (method, path,
//! body) to (status, content type, body) that owns all input checking, so the
//! same code is tested without sockets. [`session`] holds the map (generic
//! over the key and value types, behind [`session::Session`]), runs the ops
//! and derives what each write did by comparing the map's introspection
//! before and after it; [`state`] builds the `/api/state` JSON.
//!
//! The page (HTML, CSS, JS) is embedded with `include_str!`: no build step,
//! no CDN, it works offline.

pub mod api;
pub mod server;
pub mod session;
pub mod state;

/// The page, embedded in the binary.
pub mod assets {
    /// `/`
    pub const INDEX_HTML: &str = include_str!("assets/index.html");
    /// `/app.js`
    pub const APP_JS: &str = include_str!("assets/app.js");
    /// `/style.css`
    pub const STYLE_CSS: &str = include_str!("assets/style.css");
}

/// Largest request body accepted (bytes); larger gets 413.
pub const MAX_BODY: usize = 64 * 1024;
/// Largest `n` for `fill` and `churn`.
pub const MAX_OP_N: u64 = 1_000_000;
/// Most entries the one map may hold: bounds the server's memory.
pub const MAX_ENTRIES: usize = 2_000_000;
/// Longest string key or value accepted (bytes).
pub const MAX_STRING: usize = 256;
/// Most buckets one `/api/state` page may hold (`to - from`).
pub const MAX_PAGE: usize = 1024;
/// Buckets drawn slot by slot by default; past this the page shows a heat map.
pub const DEFAULT_PAGE: usize = 256;
