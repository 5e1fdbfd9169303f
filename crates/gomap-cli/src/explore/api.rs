//! Routing and input checking: (method, path, body) in, (status, type, body) out.
//! Every bad input becomes a JSON error with a 4xx status.

use super::session::{new_session, Session};
use super::{assets, MAX_BODY, MAX_OP_N, MAX_PAGE};
use crate::types::{MenuType, TypeName};
use crate::with_type;
use gomap::GoMap;
use serde_json::{json, Value};

/// An error answered as `{"error": message}` with `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status (4xx for bad input).
    pub status: u16,
    /// One line for the user.
    pub message: String,
}

impl ApiError {
    /// 400 Bad Request.
    pub fn bad(m: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            message: m.into(),
        }
    }
    /// 404 Not Found.
    pub fn not_found(m: impl Into<String>) -> ApiError {
        ApiError {
            status: 404,
            message: m.into(),
        }
    }
    /// 500: a bug in the server, never bad input.
    pub fn internal(m: impl Into<String>) -> ApiError {
        ApiError {
            status: 500,
            message: m.into(),
        }
    }
}

/// When `fill` and `churn` stop early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Run all `n`.
    Never,
    /// After the write that starts a growth (either kind).
    Growth,
    /// After the write that starts a same-size growth.
    SameSizeGrowth,
}

impl Until {
    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Until::Never => "never",
            Until::Growth => "growth",
            Until::SameSizeGrowth => "same_size_growth",
        }
    }
}

/// A parsed `POST /api/op` body.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `{"op":"insert","key":K,"value":V}` (value optional).
    Insert { key: Value, value: Option<Value> },
    /// `{"op":"insert_next"}`: insert the next generated key (the step button).
    InsertNext,
    /// `{"op":"remove","key":K}`.
    Remove { key: Value },
    /// `{"op":"get","key":K}`: a read; does no growth work.
    Get { key: Value },
    /// `{"op":"fill","n":N,"until":"growth"}`: insert N generated keys.
    Fill { n: u64, until: Until },
    /// `{"op":"churn","n":N,"until":"same_size_growth"}`: N remove+insert pairs.
    Churn { n: u64, until: Until },
    /// `{"op":"clear"}`: remove everything, keep the bucket array.
    Clear,
    /// `{"op":"reset","key":"u64","value":"string"}`: a new empty map (types optional).
    Reset {
        key: Option<TypeName>,
        value: Option<TypeName>,
    },
    /// `{"op":"range","remove_every":2,"insert":0}`: Go's range with deletes,
    /// through `cursor()`: removes every k-th entry yielded, inserts new keys while ranging.
    Range { remove_every: u64, insert: u64 },
}

const OPS: &str = "insert, insert_next, remove, get, fill, churn, clear, reset, range";

fn field_u64(
    o: &serde_json::Map<String, Value>,
    name: &str,
    default: Option<u64>,
    max: u64,
) -> Result<u64, ApiError> {
    match o.get(name) {
        None | Some(Value::Null) => {
            default.ok_or_else(|| ApiError::bad(format!("\"{name}\" is missing")))
        }
        Some(v) => match v.as_u64() {
            Some(n) if n <= max => Ok(n),
            Some(n) => Err(ApiError::bad(format!(
                "\"{name}\" = {n} is over the cap of {max}"
            ))),
            None => Err(ApiError::bad(format!(
                "\"{name}\" must be a whole number from 0 to {max}, got {v}"
            ))),
        },
    }
}

fn type_name(o: &serde_json::Map<String, Value>, name: &str) -> Result<Option<TypeName>, ApiError> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => match s.as_str() {
            "u64" => Ok(Some(TypeName::U64)),
            "string" => Ok(Some(TypeName::String)),
            "big" => Ok(Some(TypeName::Big)),
            _ => Err(ApiError::bad(format!(
                "\"{name}\": unknown type \"{s}\" (u64, string; values also big)"
            ))),
        },
        Some(v) => Err(ApiError::bad(format!(
            "\"{name}\" must be a type name string, got {v}"
        ))),
    }
}

/// Parses an op body.
pub fn parse_op(body: &[u8]) -> Result<Op, ApiError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("malformed JSON: {e}")))?;
    let Value::Object(o) = v else {
        return Err(ApiError::bad(
            "the body must be a JSON object like {\"op\":\"insert\",\"key\":1}",
        ));
    };
    let op = match o.get("op") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(ApiError::bad(format!(
                "\"op\" must be a string, got {other}"
            )))
        }
        None => return Err(ApiError::bad(format!("\"op\" is missing (one of {OPS})"))),
    };
    let key = || {
        o.get("key")
            .cloned()
            .ok_or_else(|| ApiError::bad(format!("{op}: \"key\" is missing")))
    };
    let until = |allowed: &[Until]| -> Result<Until, ApiError> {
        match o.get("until") {
            None | Some(Value::Null) => Ok(Until::Never),
            Some(Value::String(s)) => allowed
                .iter()
                .copied()
                .find(|u| u.name() == s)
                .ok_or_else(|| ApiError::bad(format!("{op}: unknown \"until\": \"{s}\""))),
            Some(v) => Err(ApiError::bad(format!(
                "{op}: \"until\" must be a string, got {v}"
            ))),
        }
    };
    let positive = |n: u64| {
        if n == 0 {
            Err(ApiError::bad(format!("{op}: \"n\" must be at least 1")))
        } else {
            Ok(n)
        }
    };
    Ok(match op {
        "insert" => Op::Insert {
            key: key()?,
            value: o.get("value").cloned(),
        },
        "insert_next" => Op::InsertNext,
        "remove" => Op::Remove { key: key()? },
        "get" => Op::Get { key: key()? },
        "fill" => Op::Fill {
            n: positive(field_u64(&o, "n", None, MAX_OP_N)?)?,
            until: until(&[Until::Never, Until::Growth, Until::SameSizeGrowth])?,
        },
        "churn" => Op::Churn {
            n: positive(field_u64(&o, "n", None, MAX_OP_N)?)?,
            until: until(&[Until::Never, Until::Growth, Until::SameSizeGrowth])?,
        },
        "clear" => Op::Clear,
        "reset" => Op::Reset {
            key: type_name(&o, "key")?,
            value: type_name(&o, "value")?,
        },
        "range" => Op::Range {
            remove_every: field_u64(&o, "remove_every", Some(0), MAX_OP_N)?,
            insert: field_u64(&o, "insert", Some(0), 10_000)?,
        },
        other => {
            let mut shown: String = other.chars().take(40).collect();
            if shown.len() < other.len() {
                shown.push_str("...");
            }
            return Err(ApiError::bad(format!(
                "unknown op \"{shown}\" (one of {OPS})"
            )));
        }
    })
}

/// Parses `from=..&to=..` (both optional).
pub fn parse_page(query: &str) -> Result<Option<(usize, usize)>, ApiError> {
    let mut from = None;
    let mut to = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match k {
            "from" => &mut from,
            "to" => &mut to,
            _ => continue, // unknown parameters are ignored, as browsers add their own
        };
        *slot = Some(v.parse::<usize>().map_err(|_| {
            ApiError::bad(format!(
                "\"{k}\" must be a bucket index, got \"{}\"",
                v.chars().take(20).collect::<String>()
            ))
        })?);
    }
    match (from, to) {
        (None, None) => Ok(None),
        (f, t) => {
            let f = f.unwrap_or(0);
            let t = t.unwrap_or(f.saturating_add(super::DEFAULT_PAGE));
            if t <= f {
                return Err(ApiError::bad(format!(
                    "\"to\" ({t}) must be greater than \"from\" ({f})"
                )));
            }
            if t - f > MAX_PAGE {
                return Err(ApiError::bad(format!(
                    "a page holds at most {MAX_PAGE} buckets; asked for {}",
                    t - f
                )));
            }
            Ok(Some((f, t)))
        }
    }
}

/// The server's state: the one session.
pub struct App {
    /// The live map behind a type-erased session.
    pub session: Box<dyn Session>,
}

impl App {
    /// A server over an empty `GoMap<key, value>`.
    pub fn new(key: TypeName, value: TypeName) -> Result<App, ApiError> {
        Ok(App {
            session: new_session(key, value)?,
        })
    }
}

/// An answer: status, content type, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content-Type.
    pub content_type: &'static str,
    /// Body.
    pub body: String,
}

const JSON: &str = "application/json; charset=utf-8";

fn json_reply(status: u16, v: &Value) -> Reply {
    Reply {
        status,
        content_type: JSON,
        body: v.to_string(),
    }
}

/// The error as a reply.
pub fn error_reply(e: &ApiError) -> Reply {
    json_reply(e.status, &json!({ "error": e.message }))
}

/// Answers one request. `body` is at most [`MAX_BODY`] bytes (the server
/// answers 413 before calling this).
pub fn handle(app: &mut App, method: &str, url: &str, body: &[u8]) -> Reply {
    match route(app, method, url, body) {
        Ok(r) => r,
        Err(e) => error_reply(&e),
    }
}

fn route(app: &mut App, method: &str, url: &str, body: &[u8]) -> Result<Reply, ApiError> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let asset = |ct: &'static str, s: &str| Reply {
        status: 200,
        content_type: ct,
        body: s.to_string(),
    };
    let want = |m: &str| -> Result<(), ApiError> {
        if method == m {
            Ok(())
        } else {
            Err(ApiError {
                status: 405,
                message: format!("{path} takes {m}, not {method}"),
            })
        }
    };
    if body.len() > MAX_BODY {
        return Err(ApiError {
            status: 413,
            message: format!("request body over {MAX_BODY} bytes"),
        });
    }
    match path {
        "/" | "/index.html" => {
            want("GET")?;
            Ok(asset("text/html; charset=utf-8", assets::INDEX_HTML))
        }
        "/app.js" => {
            want("GET")?;
            Ok(asset("text/javascript; charset=utf-8", assets::APP_JS))
        }
        "/style.css" => {
            want("GET")?;
            Ok(asset("text/css; charset=utf-8", assets::STYLE_CSS))
        }
        "/api/state" => {
            want("GET")?;
            let page = parse_page(query)?;
            Ok(json_reply(200, &app.session.state(page)))
        }
        "/api/op" => {
            want("POST")?;
            let page = parse_page(query)?;
            let op = parse_op(body)?;
            let did = match op {
                Op::Reset { key, value } => {
                    let k = key.unwrap_or(app.session.key_type());
                    let v = value.unwrap_or(app.session.value_type());
                    app.session = new_session(k, v)?;
                    json!({"op": "reset", "key": k, "value": v})
                }
                op => app.session.op(&op)?,
            };
            Ok(json_reply(
                200,
                &json!({ "did": did, "state": app.session.state(page) }),
            ))
        }
        "/api/layout" => {
            want("GET")?;
            let mut k = TypeName::U64;
            let mut v = TypeName::U64;
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (name, val) = pair.split_once('=').unwrap_or((pair, ""));
                let slot = match name {
                    "key" => &mut k,
                    "value" => &mut v,
                    _ => continue,
                };
                *slot = menu_type(val).ok_or_else(|| {
                    ApiError::bad(format!(
                        "unknown type \"{}\" (one of {})",
                        val.chars().take(20).collect::<String>(),
                        menu_names()
                    ))
                })?;
            }
            Ok(json_reply(200, &layout_json(k, v)))
        }
        _ => Err(ApiError::not_found(format!(
            "no such path: {} (the API is GET /api/state, POST /api/op, GET /api/layout)",
            path.chars().take(80).collect::<String>()
        ))),
    }
}

fn menu_type(name: &str) -> Option<TypeName> {
    TypeName::ALL.into_iter().find(|t| {
        use clap::ValueEnum;
        t.to_possible_value().is_some_and(|p| p.get_name() == name)
    })
}

fn menu_names() -> String {
    use clap::ValueEnum;
    TypeName::ALL
        .iter()
        .filter_map(|t| t.to_possible_value().map(|p| p.get_name().to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The layout lab: the bucket of `GoMap<K, V>` region by region.
pub fn layout_json(k: TypeName, v: TypeName) -> Value {
    fn one<K: MenuType, V: MenuType>() -> Value {
        let l = GoMap::<K, V>::layout();
        json!({
            "key": K::RUST_NAME,
            "value": V::RUST_NAME,
            "key_size": std::mem::size_of::<K>(),
            "value_size": std::mem::size_of::<V>(),
            "layout": l,
            "regions": crate::layout::regions(&l, K::RUST_NAME, V::RUST_NAME),
        })
    }
    let mut out = with_type!(k, K => with_type!(v, V => one::<K, V>()));
    out["menu"] = json!(menu_names().split(", ").collect::<Vec<_>>());
    out
}
