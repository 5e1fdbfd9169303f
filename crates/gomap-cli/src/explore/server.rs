//! The HTTP loop: 127.0.0.1 only, one request at a time, Ctrl-C stops it.

use super::api::{error_reply, handle, ApiError, App, Reply};
use super::MAX_BODY;
use crate::{CliError, Result};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
    while !stop.load(Ordering::SeqCst) {
        let rq = match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(rq)) => rq,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("gomap explore: {e}");
                continue;
            }
        };
        if let Err(e) = answer(&mut app, &hosts, rq) {
            eprintln!("gomap explore: {e}");
        }
    }
    eprintln!("gomap explore: stopped");
    Ok(())
}

fn answer(app: &mut App, hosts: &[String], mut req: tiny_http::Request) -> std::io::Result<()> {
    let reply = reply_for(app, hosts, &mut req);
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
    req.respond(resp)
}

fn reply_for(app: &mut App, hosts: &[String], req: &mut tiny_http::Request) -> Reply {
    // A page on another site could reach 127.0.0.1 through a DNS name of its
    // own (DNS rebinding); such requests carry that name in Host.
    let host = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .map(|h| h.value.as_str().to_string());
    if !host
        .as_deref()
        .is_some_and(|h| hosts.iter().any(|ok| ok == h))
    {
        return error_reply(&ApiError {
            status: 403,
            message: "Host must be 127.0.0.1 or localhost with this port".into(),
        });
    }
    if req.body_length().is_some_and(|n| n > MAX_BODY) {
        return error_reply(&ApiError {
            status: 413,
            message: format!("request body over {MAX_BODY} bytes"),
        });
    }
    let mut body = Vec::new();
    // take() bounds chunked bodies that declare no length.
    if let Err(e) = req
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
    {
        return error_reply(&ApiError::bad(format!("cannot read the body: {e}")));
    }
    if body.len() > MAX_BODY {
        return error_reply(&ApiError {
            status: 413,
            message: format!("request body over {MAX_BODY} bytes"),
        });
    }
    let method = req.method().as_str().to_string();
    let url = req.url().to_string();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        handle(app, &method, &url, &body)
    })) {
        Ok(r) => r,
        // A bug, not bad input; the map stays usable (it is panic-safe) and the server lives.
        Err(_) => error_reply(&ApiError::internal(
            "internal error (a bug in gomap explore); the server is still running",
        )),
    }
}
