//! The HTTP loop: 127.0.0.1 only, Ctrl-C stops it.
//!
//! tiny_http sets no socket timeouts, so any read or write on a client's
//! socket may block for as long as that client likes (a body announced and
//! never sent, a reply never read; even dropping a request drains its unread
//! body). So the main thread only accepts, the app thread only computes, and
//! every socket operation runs on the request's own thread: a stalled client
//! stalls only its thread. At most [`MAX_IN_FLIGHT`] such threads live at
//! once; past that, new requests wait in tiny_http's queue until one ends.

use super::api::{error_reply, handle, ApiError, App, Reply};
use super::MAX_BODY;
use crate::{CliError, Result};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Requests being read, computed or answered at once, at most.
pub const MAX_IN_FLIGHT: usize = 64;

/// What a request thread hands the app thread: method, URL, body, and where
/// to send the reply.
type Job = (String, String, Vec<u8>, mpsc::Sender<Reply>);

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
    let hosts = Arc::new([
        format!("127.0.0.1:{}", addr.port()),
        format!("localhost:{}", addr.port()),
    ]);
    let (jobs, rx) = mpsc::sync_channel::<Job>(MAX_IN_FLIGHT);
    std::thread::spawn(move || {
        for (method, url, body, reply) in rx {
            let _ = reply.send(answer(&mut app, &method, &url, &body));
        }
    });
    let in_flight = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::SeqCst) {
        if in_flight.load(Ordering::SeqCst) >= MAX_IN_FLIGHT {
            // Back-pressure: leave new requests queued until a slot frees.
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let req = match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(rq)) => rq,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("gomap explore: {e}");
                continue;
            }
        };
        in_flight.fetch_add(1, Ordering::SeqCst);
        let (jobs, hosts, in_flight) = (jobs.clone(), hosts.clone(), in_flight.clone());
        std::thread::spawn(move || {
            serve_one(req, &hosts[..], &jobs);
            in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
    // Request threads still running end with the process.
    eprintln!("gomap explore: stopped");
    Ok(())
}

/// One request, on its own thread: check, read the body, let the app
/// answer, send the reply.
fn serve_one(mut req: tiny_http::Request, hosts: &[String], jobs: &mpsc::SyncSender<Job>) {
    let reply = match precheck(hosts, &req) {
        Some(refused) => refused,
        None => match read_body(&mut req) {
            Err(reply) => reply,
            Ok(body) => {
                let (tx, rx) = mpsc::channel();
                let job = (
                    req.method().as_str().to_string(),
                    req.url().to_string(),
                    body,
                    tx,
                );
                match jobs.send(job).ok().and_then(|()| rx.recv().ok()) {
                    Some(reply) => reply,
                    None => error_reply(&ApiError::internal("the server is stopping")),
                }
            }
        },
    };
    send(req, reply);
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

fn answer(app: &mut App, method: &str, url: &str, body: &[u8]) -> Reply {
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
