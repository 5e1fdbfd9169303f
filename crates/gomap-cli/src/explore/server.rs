//! The HTTP loop: 127.0.0.1 only, Ctrl-C stops it.
//!
//! Threads: the main one accepts requests; a body is read on a thread of its
//! own (a client that announces a body and never sends it stalls only that
//! thread); one app thread owns the map and answers requests in order.

use super::api::{error_reply, handle, ApiError, App, Reply};
use super::MAX_BODY;
use crate::{CliError, Result};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Bodies being read at once, at most; past this a request gets 503.
pub const MAX_READERS: usize = 32;

/// Binds `127.0.0.1:port` (0: any free port), prints the URL as the first
/// line on stdout, and serves until `stop` is set.
pub fn serve(port: u16, mut app: App, stop: Arc<AtomicBool>) -> Result<()> {
    let server = tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| CliError::msg(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| CliError::msg("the server is not on an IP socket"))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "http://{addr}/")?;
    out.flush()?;
    drop(out);
    let hosts = [
        format!("127.0.0.1:{}", addr.port()),
        format!("localhost:{}", addr.port()),
    ];
    let (tx, rx) = mpsc::channel::<(tiny_http::Request, Vec<u8>)>();
    std::thread::spawn(move || {
        for (req, body) in rx {
            let reply = answer(&mut app, &req, &body);
            send(req, reply);
        }
    });
    let readers = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::SeqCst) {
        let mut req = match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(rq)) => rq,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("gomap explore: {e}");
                continue;
            }
        };
        if let Some(refused) = precheck(&hosts, &req) {
            send(req, refused);
            continue;
        }
        if readers.fetch_add(1, Ordering::SeqCst) >= MAX_READERS {
            readers.fetch_sub(1, Ordering::SeqCst);
            send(
                req,
                error_reply(&ApiError {
                    status: 503,
                    message: "too many requests at once".into(),
                }),
            );
            continue;
        }
        let (tx, readers) = (tx.clone(), readers.clone());
        std::thread::spawn(move || {
            let body = read_body(&mut req);
            readers.fetch_sub(1, Ordering::SeqCst);
            match body {
                Ok(body) => {
                    let _ = tx.send((req, body));
                }
                Err(reply) => send(req, reply),
            }
        });
    }
    // Threads still reading or answering end with the process.
    eprintln!("gomap explore: stopped");
    Ok(())
}

fn send(req: tiny_http::Request, reply: Reply) {
    let ct = tiny_http::Header::from_bytes(&b"Content-Type"[..], reply.content_type.as_bytes())
        .expect("static header is valid");
    let nc = tiny_http::Header::from_bytes(&b"Cache-Control"[..], &b"no-store"[..])
        .expect("static header is valid");
    let resp = tiny_http::Response::from_string(reply.body)
        .with_status_code(reply.status)
        // Plain Content-Length bodies, never chunked: simplest for every client.
        .with_chunked_threshold(usize::MAX)
        .with_header(ct)
        .with_header(nc);
    if let Err(e) = req.respond(resp) {
        eprintln!("gomap explore: {e}");
    }
}

/// Refusals that need no body: a foreign Host, a declared body too large.
fn precheck(hosts: &[String], req: &tiny_http::Request) -> Option<Reply> {
    // A page on another site could reach 127.0.0.1 through a DNS name of its
    // own (DNS rebinding); such requests carry that name in Host.
    let host = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .map(|h| h.value.as_str());
    if !host.is_some_and(|h| hosts.iter().any(|ok| ok == h)) {
        return Some(error_reply(&ApiError {
            status: 403,
            message: "Host must be 127.0.0.1 or localhost with this port".into(),
        }));
    }
    if req.body_length().is_some_and(|n| n > MAX_BODY) {
        return Some(too_big());
    }
    None
}

fn too_big() -> Reply {
    error_reply(&ApiError {
        status: 413,
        message: format!("request body over {MAX_BODY} bytes"),
    })
}

fn read_body(req: &mut tiny_http::Request) -> std::result::Result<Vec<u8>, Reply> {
    let mut body = Vec::new();
    // take() bounds chunked bodies that declare no length.
    if let Err(e) = req
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
    {
        return Err(error_reply(&ApiError::bad(format!(
            "cannot read the body: {e}"
        ))));
    }
    if body.len() > MAX_BODY {
        return Err(too_big());
    }
    Ok(body)
}

fn answer(app: &mut App, req: &tiny_http::Request, body: &[u8]) -> Reply {
    let method = req.method().as_str();
    let url = req.url();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        handle(app, method, url, body)
    })) {
        Ok(r) => r,
        // A bug, not bad input; the map stays usable (it is panic-safe) and the server lives.
        Err(_) => error_reply(&ApiError::internal(
            "internal error (a bug in gomap explore); the server is still running",
        )),
    }
}
