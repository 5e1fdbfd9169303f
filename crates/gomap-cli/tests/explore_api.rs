//! `gomap explore`'s JSON API, against the real binary on a free port.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `gomap explore`, stopped on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gomap"))
            .arg("explore")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gomap explore");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim();
        let rest = url
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("first line is the URL on 127.0.0.1, got {url:?}"));
        let port: u16 = rest.trim_end_matches('/').parse().unwrap();
        assert_ne!(port, 0, "--port 0 picks a real port");
        Server { child, port }
    }

    /// One request; returns (status, body).
    fn raw(&self, method: &str, path: &str, host: &str, body: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.set_nodelay(true).unwrap();
        // One write: head and body in two would meet Nagle and delayed ACKs.
        // The server may answer (413) before reading a big body and close.
        let _ = s.write_all(&[head.as_bytes(), body].concat());
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        let text = String::from_utf8_lossy(&resp).to_string();
        let status: u16 = text
            .split_whitespace()
            .nth(1)
            .unwrap_or_else(|| panic!("no status line in {text:?}"))
            .parse()
            .unwrap();
        let body = text
            .split_once("\r\n\r\n")
            .map(|p| p.1)
            .unwrap_or("")
            .to_string();
        (status, body)
    }

    fn req(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let host = format!("127.0.0.1:{}", self.port);
        let (st, b) = self.raw(method, path, &host, body);
        let v: Value = serde_json::from_str(&b)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", &b[..b.len().min(300)]));
        (st, v)
    }

    fn op(&self, body: Value) -> Value {
        let (st, v) = self.req("POST", "/api/op", body.to_string().as_bytes());
        assert_eq!(st, 200, "{body} -> {v}");
        v
    }

    /// An op that must fail with `status`; returns the error message.
    fn op_err(&self, body: &[u8], status: u16) -> String {
        let (st, v) = self.req("POST", "/api/op", body);
        assert_eq!(
            st,
            status,
            "{} -> {v}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        v["error"].as_str().expect("an error message").to_string()
    }

    fn state(&self, query: &str) -> Value {
        let (st, v) = self.req("GET", &format!("/api/state{query}"), b"");
        assert_eq!(st, 200, "{v}");
        v
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn full_slots(array: &Value) -> usize {
    array["chains"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["buckets"].as_array().unwrap())
        .flat_map(|b| b["tophash"].as_array().unwrap())
        .filter(|t| t.as_u64().unwrap() >= 5)
        .count()
}

#[test]
fn nine_inserts_double_to_two_buckets_and_the_ninth_reports_the_move() {
    let s = Server::start(&[]);
    let st = s.state("");
    assert_eq!(st["header"]["B"], 0);
    assert!(st["current"].is_null(), "GoMap::new() allocates nothing");
    for k in 1..=8u64 {
        let r = s.op(json!({"op":"insert","key":k,"value":k * 10}));
        assert_eq!(r["did"]["growth"]["started"], Value::Null);
        assert_eq!(r["state"]["header"]["B"], 0);
    }
    let r = s.op(json!({"op":"insert","key":9,"value":90}));
    let did = &r["did"];
    let state = &r["state"];
    assert_eq!(state["header"]["B"], 1);
    assert_eq!(state["header"]["count"], 9);
    assert_eq!(state["stats"]["buckets"], 2);
    assert_eq!(full_slots(&state["current"]), 9);
    assert_eq!(did["growth"]["started"], "doubling");
    assert_eq!(
        did["growth"]["finished"], true,
        "one old bucket: evacuated in the same write"
    );
    // The hash facts agree with each other.
    let hash =
        u64::from_str_radix(did["hash"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert_eq!(did["bucket"].as_u64().unwrap(), hash & 1);
    assert_eq!(did["hash_bits"].as_str().unwrap(), format!("{hash:064b}"));
    let top = (hash >> 56) as u8;
    assert_eq!(
        did["tophash"].as_u64().unwrap(),
        u64::from(if top < 5 { top + 5 } else { top })
    );
    // The key landed in its bucket.
    assert_eq!(did["slot"]["bucket"], did["bucket"]);
    // The one old bucket's 8 entries went to X (0) or Y (1), and are there now.
    let ev = did["evacuated"].as_array().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0]["old_bucket"].as_u64(), ev[0]["y"].as_u64()),
        (Some(0), Some(1))
    );
    let moved = ev[0]["entries"].as_array().unwrap();
    assert_eq!(moved.len(), 8);
    for m in moved {
        let to = m["to"]["bucket"].as_u64().unwrap();
        assert_eq!(m["half"], if to == 0 { "X" } else { "Y" }, "{m}");
        let got =
            s.op(json!({"op":"get","key": m["key"].as_str().unwrap().parse::<u64>().unwrap()}));
        assert_eq!(got["did"]["slot"]["bucket"].as_u64(), Some(to));
    }
    // Values come back as stored.
    let g = s.op(json!({"op":"get","key":3}));
    assert_eq!(g["did"]["found"], "30");
}

#[test]
fn stepping_through_an_evacuation_moves_every_old_bucket_once_to_x_or_y() {
    let s = Server::start(&[]);
    s.op(json!({"op":"fill","n":100}));
    let r = s.op(json!({"op":"fill","n":1000,"until":"growth"}));
    assert_eq!(r["did"]["stopped_at"], "growth");
    assert_eq!(r["did"]["growths"][0]["B_after"], 5);
    let st = &r["state"];
    assert_eq!(st["header"]["growing"], true);
    let old_n = st["old"]["count"].as_u64().unwrap();
    assert_eq!(old_n, 16);
    let mut seen = vec![false; old_n as usize];
    let pre: Vec<bool> = st["old"]["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (2..=4).contains(&c["buckets"][0]["tophash"][0].as_u64().unwrap()))
        .collect();
    for (i, p) in pre.iter().enumerate() {
        seen[i] = *p;
    }
    let mut nevac = st["header"]["nevacuate"].as_u64().unwrap();
    let mut writes = 0;
    loop {
        let r = s.op(json!({"op":"insert_next"}));
        writes += 1;
        let did = &r["did"];
        assert_eq!(did["nevacuate_before"].as_u64(), Some(nevac));
        let after = did["nevacuate_after"].as_u64().unwrap();
        assert!(after >= nevac, "nevacuate never goes back");
        nevac = after;
        let ev = did["evacuated"].as_array().unwrap();
        assert!(
            ev.len() <= 2,
            "growWork evacuates at most two old buckets a write: {ev:?}"
        );
        for e in ev {
            let i = e["old_bucket"].as_u64().unwrap();
            assert!(!seen[i as usize], "old bucket {i} evacuated twice");
            seen[i as usize] = true;
            for m in e["entries"].as_array().expect("candidates are tracked") {
                let to = m["to"]["bucket"].as_u64().unwrap();
                match m["half"].as_str().unwrap() {
                    "X" => assert_eq!(to, i),
                    "Y" => assert_eq!(to, i + old_n),
                    h => panic!("entry went to {h}: {m}"),
                }
            }
        }
        if did["growth"]["finished"] == true {
            assert!(r["state"]["old"].is_null());
            break;
        }
        assert!(
            writes < 40,
            "evacuation of 16 buckets should end within 16 writes"
        );
    }
    assert!(
        seen.iter().all(|&b| b),
        "every old bucket evacuated: {seen:?}"
    );
    let st = s.state("");
    assert_eq!(st["header"]["growing"], false);
    assert_eq!(st["stats"]["len"], 100 + 5 + writes);
}

#[test]
fn get_does_no_growth_work_but_remove_does() {
    let s = Server::start(&[]);
    s.op(json!({"op":"fill","n":100}));
    s.op(json!({"op":"fill","n":1000,"until":"growth"}));
    let before = s.state("")["header"]["nevacuate"].clone();
    let g = s.op(json!({"op":"get","key":50}));
    assert_eq!(g["state"]["header"]["nevacuate"], before);
    assert!(
        g["did"]["old_bucket"].is_u64(),
        "mid-growth the key's old bucket is reported"
    );
    let r = s.op(json!({"op":"remove","key":50}));
    assert_eq!(r["did"]["removed"], "50");
    assert!(
        !r["did"]["evacuated"].as_array().unwrap().is_empty(),
        "a remove evacuates"
    );
    let g = s.op(json!({"op":"get","key":50}));
    assert!(g["did"]["found"].is_null());
}

#[test]
fn overflow_buckets_come_from_the_preallocated_pool_first() {
    let s = Server::start(&[]);
    // Sort keys by their bucket at B = 4 (16 buckets, one pre-allocated
    // overflow bucket) by asking `get`, which reports the hash and writes nothing.
    let mut by_bucket: Vec<Vec<u64>> = vec![Vec::new(); 16];
    let mut k = 1000u64;
    while by_bucket[0].len() < 17 || by_bucket[1..].iter().any(|b| b.len() < 4) {
        let g = s.op_page(json!({"op":"get","key":k}));
        let h = u64::from_str_radix(
            g["did"]["hash"].as_str().unwrap().trim_start_matches("0x"),
            16,
        )
        .unwrap();
        by_bucket[(h & 15) as usize].push(k);
        k += 1;
        assert!(k < 20_000, "hash spread");
    }
    // Four keys in each of buckets 1..15: B reaches 4 and no chain overflows.
    for keys in &by_bucket[1..] {
        for &key in &keys[..4] {
            s.op_page(json!({"op":"insert","key":key}));
        }
    }
    let st = s.state("?from=0&to=1")["stats"].clone();
    assert_eq!(
        (st["b"].as_u64(), st["growing"].as_bool()),
        (Some(4), Some(false))
    );
    assert_eq!(
        (
            st["overflow_buckets"].as_u64(),
            st["free_preallocated_overflow"].as_u64()
        ),
        (Some(0), Some(1))
    );
    // Now 17 keys into bucket 0: 8 fill the head, the 9th takes the pool's
    // bucket, the 17th needs a bucket allocated on its own.
    let mut news = Vec::new();
    for (i, &key) in by_bucket[0][..17].iter().enumerate() {
        let r = s.op_page(json!({"op":"insert","key":key}));
        assert_eq!(
            r["did"]["slot"]["depth"].as_u64(),
            Some(i as u64 / 8),
            "insert {i}"
        );
        for o in r["did"]["overflow"].as_array().unwrap() {
            news.push((
                i,
                o["depth"].as_u64().unwrap(),
                o["from_pool"].as_bool().unwrap(),
            ));
        }
    }
    assert_eq!(news, [(8, 1, true), (16, 2, false)]);
    let st = s.state("?from=0&to=1")["stats"].clone();
    assert_eq!(st["free_preallocated_overflow"], 0);
    assert_eq!(st["overflow_buckets"], 2);
}

impl Server {
    fn op_page(&self, body: Value) -> Value {
        let (st, v) = self.req("POST", "/api/op?from=0&to=1", body.to_string().as_bytes());
        assert_eq!(st, 200, "{v}");
        v
    }
}

#[test]
fn state_pages_buckets_and_summarizes_all_of_them() {
    let s = Server::start(&[]);
    s.op(json!({"op":"fill","n":5000}));
    let st = s.state("?from=100&to=110");
    let cur = &st["current"];
    assert_eq!(cur["count"], 1024);
    let idx: Vec<u64> = cur["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["index"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, (100..110).collect::<Vec<_>>());
    // Every full slot on the page has its key and value.
    for c in cur["chains"].as_array().unwrap() {
        for b in c["buckets"].as_array().unwrap() {
            for i in 0..8 {
                let full = b["tophash"][i].as_u64().unwrap() >= 5;
                assert_eq!(full, b["keys"][i].is_string(), "{b}");
                assert_eq!(full, b["values"][i].is_string(), "{b}");
            }
        }
    }
    let heat_total: u64 = cur["heat"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_u64().unwrap())
        .sum();
    assert_eq!(heat_total, 5000, "the heat summary covers every bucket");
    // Default page: the first 256 buckets.
    assert_eq!(
        s.state("")["current"]["chains"].as_array().unwrap().len(),
        256
    );
    assert!(
        st["range_order"].is_null(),
        "range order only for small maps"
    );
    for bad in ["?from=10&to=5", "?from=0&to=5000", "?from=x", "?to=-1"] {
        let (code, v) = s.req("GET", &format!("/api/state{bad}"), b"");
        assert_eq!(code, 400, "{bad}: {v}");
    }
}

#[test]
fn bad_input_gets_a_json_4xx_and_the_server_lives() {
    let s = Server::start(&[]);
    assert!(s.op_err(b"{not json", 400).contains("malformed JSON"));
    assert!(s.op_err(b"[1,2]", 400).contains("JSON object"));
    assert!(s
        .op_err(br#"{"op":"teleport"}"#, 400)
        .contains("unknown op"));
    assert!(s.op_err(br#"{"key":1}"#, 400).contains("\"op\" is missing"));
    assert!(s
        .op_err(br#"{"op":"insert","key":"seven"}"#, 400)
        .contains("key must be a whole number"));
    assert!(s
        .op_err(br#"{"op":"insert","key":-1}"#, 400)
        .contains("key must be"));
    assert!(s
        .op_err(br#"{"op":"insert","key":1.5}"#, 400)
        .contains("key must be"));
    assert!(s
        .op_err(br#"{"op":"insert","key":1,"value":"x"}"#, 400)
        .contains("value must be"));
    assert!(s
        .op_err(br#"{"op":"insert"}"#, 400)
        .contains("\"key\" is missing"));
    assert!(s
        .op_err(br#"{"op":"fill","n":1000001}"#, 400)
        .contains("cap"));
    assert!(s
        .op_err(br#"{"op":"churn","n":2000000}"#, 400)
        .contains("cap"));
    assert!(s
        .op_err(br#"{"op":"fill","n":0}"#, 400)
        .contains("at least 1"));
    assert!(s
        .op_err(br#"{"op":"fill","n":"many"}"#, 400)
        .contains("whole number"));
    assert!(s
        .op_err(br#"{"op":"fill","n":5,"until":"tuesday"}"#, 400)
        .contains("until"));
    assert!(s.op_err(br#"{"op":"churn","n":5}"#, 400).contains("empty"));
    assert!(s
        .op_err(br#"{"op":"reset","key":"f64"}"#, 400)
        .contains("unknown type"));
    assert!(s
        .op_err(br#"{"op":"reset","key":"big"}"#, 400)
        .contains("not served"));
    let big = vec![b' '; 64 * 1024 + 1];
    assert!(s.op_err(&big, 413).contains("65536"));
    let (code, v) = s.req("GET", "/no/such/path", b"");
    assert_eq!((code, v["error"].is_string()), (404, true));
    let (code, _) = s.req("GET", "/api/op", b"");
    assert_eq!(code, 405);
    let (code, _) = s.req("POST", "/api/state", b"{}");
    assert_eq!(code, 405);
    // A Host other than ours (DNS rebinding) is refused.
    let (code, _) = s.raw("GET", "/api/state", "evil.example:80", b"");
    assert_eq!(code, 403);
    // Still alive and unchanged.
    let st = s.state("");
    assert_eq!(st["header"]["count"], 0);
    s.op(json!({"op":"insert","key":1}));
    assert_eq!(s.state("")["header"]["count"], 1);
}

#[test]
fn string_keys_and_indirect_values() {
    let s = Server::start(&["--key", "string", "--value", "string"]);
    let r = s.op(json!({"op":"insert","key":"hello","value":"world"}));
    assert_eq!(r["state"]["types"]["key"], "string");
    assert_eq!(r["did"]["slot"]["bucket"], 0);
    assert!(s
        .op_err(br#"{"op":"insert","key":5}"#, 400)
        .contains("JSON string"));
    let long = format!(r#"{{"op":"insert","key":"{}"}}"#, "a".repeat(300));
    assert!(s.op_err(long.as_bytes(), 400).contains("at most 256"));
    let g = s.op(json!({"op":"get","key":"hello"}));
    assert_eq!(g["did"]["found"], "world");
    let r = s.op(json!({"op":"reset","value":"big"}));
    assert_eq!(r["state"]["types"]["value_rust"], "[u8; 200]");
    assert_eq!(r["state"]["layout"]["indirect_value"], true);
    s.op(json!({"op":"fill","n":20}));
    let st = s.state("");
    assert_eq!(st["stats"]["len"], 20);
    // 20 indirect values of 200 bytes each are part of the map's heap.
    assert!(st["stats"]["heap_bytes"].as_u64().unwrap() >= 20 * 200);
}

#[test]
fn churn_until_a_same_size_growth() {
    let s = Server::start(&[]);
    s.op(json!({"op":"fill","n":100}));
    let r = s.op(json!({"op":"churn","n":1000000,"until":"same_size_growth"}));
    assert_eq!(r["did"]["stopped_at"], "same_size_growth", "{}", r["did"]);
    let h = &r["state"]["header"];
    assert_eq!(
        (h["growing"].as_bool(), h["same_size_grow"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(r["state"]["old"]["count"], r["state"]["current"]["count"]);
    assert_eq!(r["state"]["stats"]["len"], 100, "churn keeps the size");
    let hist = r["state"]["history"].as_array().unwrap();
    assert!(hist.iter().any(|p| p["event"] == "grow-same-size"));
    assert!(hist.len() <= 4097, "history is bounded");
}

#[test]
fn range_with_deletes_and_clear_and_layout() {
    let s = Server::start(&[]);
    s.op(json!({"op":"fill","n":40}));
    let st = s.state("");
    let order = st["range_order"].as_array().unwrap();
    assert_eq!(order.len(), 40, "one iter_randomized pass over every entry");
    let r = s.op(json!({"op":"range","remove_every":2}));
    assert_eq!(r["did"]["yielded"], 40);
    assert_eq!(r["did"]["removed"].as_array().unwrap().len(), 20);
    assert_eq!(r["state"]["stats"]["len"], 20);
    let r = s.op(json!({"op":"clear"}));
    assert_eq!(r["state"]["stats"]["len"], 0);
    assert_eq!(
        r["state"]["header"]["B"], r["did"]["B_before"],
        "clear keeps the array"
    );
    let (code, l) = s.req("GET", "/api/layout?key=u64&value=u64", b"");
    assert_eq!(code, 200);
    assert_eq!(l["layout"]["bucket_size"], 144);
    let (_, l) = s.req("GET", "/api/layout?key=u8&value=big", b"");
    assert_eq!(l["layout"]["indirect_value"], true);
    let (code, _) = s.req("GET", "/api/layout?key=f32", b"");
    assert_eq!(code, 400);
    // The page and its assets are served from the binary.
    let (code, html) = s.raw("GET", "/", &format!("127.0.0.1:{}", s.port), b"");
    assert_eq!(code, 200);
    assert!(
        html.contains("<script src=\"/app.js\">") && !html.contains("http"),
        "no CDN"
    );
}

#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let mut s = Server::start(&[]);
    s.op(json!({"op":"insert","key":1}));
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let t = Instant::now();
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "still running after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    s.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("stopped"), "{err}");
}

#[test]
fn help_documents_the_api_and_bad_flags_are_one_line_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_gomap"))
        .args(["explore", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for part in [
        "127.0.0.1",
        "GET  /api/state",
        "POST /api/op",
        "\"op\":\"fill\"",
        "64 KiB",
    ] {
        assert!(help.contains(part), "help lacks {part}: {help}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_gomap"))
        .args(["explore", "--key", "u8"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("serves u64 or string keys") && err.lines().count() == 1,
        "{err}"
    );
    // A port already taken is a clear error, not a panic.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_gomap"))
        .args(["explore", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on 127.0.0.1"), "{err}");
}

#[test]
fn every_slot_has_a_go_state_name_and_fill_draws_a_heap_curve() {
    let s = Server::start(&[]);
    let r = s.op(json!({"op":"fill","n":3000}));
    let cur = &r["state"]["current"];
    for c in cur["chains"].as_array().unwrap() {
        for b in c["buckets"].as_array().unwrap() {
            for i in 0..8 {
                let t = b["tophash"][i].as_u64().unwrap();
                let want = [
                    "emptyRest",
                    "emptyOne",
                    "evacuatedX",
                    "evacuatedY",
                    "evacuatedEmpty",
                ]
                .get(t as usize)
                .copied()
                .unwrap_or("full");
                assert_eq!(b["state"][i], want);
            }
        }
    }
    let hist = r["state"]["history"].as_array().unwrap();
    assert!(
        hist.len() > 100,
        "a bulk fill samples the heap along the way: {}",
        hist.len()
    );
    let last = hist.last().unwrap();
    assert_eq!(last["write"], 3000);
    assert_eq!(last["heap_bytes"], r["state"]["stats"]["heap_bytes"]);
}

#[test]
fn garbage_never_gets_a_5xx_and_never_kills_the_server() {
    let s = Server::start(&["--key", "string"]);
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let mut bodies: Vec<Vec<u8>> = vec![
        deep.into_bytes(),
        vec![0xff, 0xfe, 0x00, 0x80],
        b"null".to_vec(),
        b"\"insert\"".to_vec(),
        br#"{"op":null}"#.to_vec(),
        br#"{"op":"insert","key":{"a":1}}"#.to_vec(),
        br#"{"op":"insert","key":"\ud800"}"#.to_vec(),
        br#"{"op":"range","remove_every":-3}"#.to_vec(),
        br#"{"op":"range","insert":100000}"#.to_vec(),
        br#"{"op":"fill","n":18446744073709551616}"#.to_vec(),
        br#"{"op":"reset","value":7}"#.to_vec(),
        Vec::new(),
    ];
    // A small deterministic generator: bytes that are almost JSON.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..200 {
        let mut b = br#"{"op":"insert","key":"k","value":"v"}"#.to_vec();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let at = (x % b.len() as u64) as usize;
        b[at] = (x >> 32) as u8;
        bodies.push(b);
    }
    for b in &bodies {
        let (code, v) = s.req("POST", "/api/op", b);
        assert!(code == 200 || (400..500).contains(&code), "{code} {v}");
        if code != 200 {
            assert!(v["error"].is_string());
        }
    }
    for path in [
        "/api/state?from=99999999999999999999999",
        "/%ff%fe",
        "/api/layout?key=",
        "/api/state?from=1&from=2",
    ] {
        let (code, _) = s.raw("GET", path, &format!("127.0.0.1:{}", s.port), b"");
        assert!((200..500).contains(&code), "{path}: {code}");
    }
    assert_eq!(s.state("")["types"]["key"], "string");
}

#[test]
fn a_client_that_never_sends_its_body_does_not_stall_the_server() {
    let s = Server::start(&[]);
    let mut stalled = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let head = format!(
        "POST /api/op HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 5000\r\n\r\n{{\"op\":",
        s.port
    );
    stalled.write_all(head.as_bytes()).unwrap();
    // The stalled request is held open while others are served.
    std::thread::sleep(Duration::from_millis(300));
    let r = s.op(json!({"op":"insert","key":7}));
    assert_eq!(r["state"]["header"]["count"], 1);
    drop(stalled);
    assert_eq!(s.state("")["header"]["count"], 1);
}

#[test]
fn many_stalled_clients_hold_requests_back_but_never_kill_the_server() {
    let s = Server::start(&[]);
    s.op(json!({"op":"insert","key":1}));
    // More stalled clients than the server runs request threads (64): some
    // announce a body and never send it, some are refused with 403 and 413
    // (tiny_http drains an unread body when a request is dropped, which
    // blocks on these sockets too).
    let port = s.port;
    let heads = [
        format!(
            "POST /api/op HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 5000\r\n\r\n{{"
        ),
        "POST /api/op HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 5000\r\n\r\n{".to_string(),
        format!(
            "POST /api/op HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 900000\r\n\r\n{{"
        ),
    ];
    let stall = |n: usize| -> Vec<TcpStream> {
        (0..n)
            .map(|i| {
                let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
                c.write_all(heads[i % 3].as_bytes()).unwrap();
                c
            })
            .collect()
    };
    // Fewer than the request threads: others are served while they hang on.
    let few = stall(30);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        s.op(json!({"op":"insert","key":2}))["state"]["header"]["count"],
        2
    );
    drop(few);
    let stalled: Vec<TcpStream> = (0..80)
        .map(|i| {
            let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
            c.write_all(heads[i % 3].as_bytes()).unwrap();
            c
        })
        .collect();
    // A normal request sent now is answered once the stalled clients go.
    let waiting = std::thread::spawn(move || {
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let req = format!(
            "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        );
        c.write_all(req.as_bytes()).unwrap();
        let mut resp = String::new();
        c.read_to_string(&mut resp).unwrap();
        resp
    });
    std::thread::sleep(Duration::from_millis(500));
    drop(stalled);
    let resp = waiting.join().unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 200"),
        "{}",
        &resp[..resp.len().min(200)]
    );
    assert_eq!(s.state("")["header"]["count"], 2);
}

#[test]
fn state_lists_the_gc_marking_order_of_the_live_map() {
    let s = Server::start(&[]);
    // Mid-growth with overflow: the walk has buckets, old buckets and more.
    let r = s.op(json!({"op":"fill","n":200}));
    let st = &r["state"];
    let walk = st["heap_walk"].as_array().expect("heap_walk is a list");
    assert_eq!(walk[0]["kind"], "Map");
    assert_eq!(walk[0]["parent"], Value::Null);
    assert_eq!(walk[1]["kind"], "Buckets");
    let after_root: u64 = walk[1..].iter().map(|o| o["size"].as_u64().unwrap()).sum();
    assert_eq!(after_root, st["stats"]["heap_bytes"].as_u64().unwrap());
    for (i, o) in walk.iter().enumerate().skip(1) {
        let p = o["parent"]
            .as_u64()
            .expect("every object but the map has a parent") as usize;
        assert!(p < i, "a parent comes before its children: {o}");
    }
}
