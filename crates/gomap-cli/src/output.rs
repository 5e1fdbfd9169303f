//! Writing results: files appear whole or not at all.

use crate::error::{CliError, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: into a temporary file in the same
/// directory, flushed, then renamed over `path`. On any failure the temporary
/// file is removed and `path` is left as it was, so no partial file is left
/// behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |what: &str, e: std::io::Error| {
        CliError::msg(format!("cannot write {}: {what}: {e}", path.display()))
    };
    let file_name = path.file_name().ok_or_else(|| {
        CliError::msg(format!("cannot write {}: not a file name", path.display()))
    })?;
    if path.is_dir() {
        return Err(CliError::msg(format!(
            "cannot write {}: it is a directory",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(|e| fail("create", e))?;
        f.write_all(bytes).map_err(|e| fail("write", e))?;
        f.sync_all().map_err(|e| fail("sync", e))?;
        drop(f);
        fs::rename(&tmp, path).map_err(|e| fail("rename", e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates the output directory (and its parents) if needed.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir)
        .map_err(|e| CliError::msg(format!("cannot create directory {}: {e}", dir.display())))?;
    if !dir.is_dir() {
        return Err(CliError::msg(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    Ok(())
}

/// Formats a byte count for people: `144 B`, `2.3 KiB`, `1.5 MiB`.
pub fn human_bytes(b: usize) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Formats a duration in nanoseconds: `85 ns`, `3.2 µs`, `41.0 ms`.
pub fn human_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// An address as Go's runtime prints pointers.
pub fn addr(a: usize) -> String {
    if a == 0 {
        "nil".to_string()
    } else {
        format!("{a:#x}")
    }
}

/// Fails early, before a long run, if `path` cannot be written: its
/// directory must exist and accept a new file.
pub fn check_writable(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Err(CliError::msg(format!(
            "cannot write {}: it is a directory",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let probe = dir.join(format!(".gomap-probe-{}", std::process::id()));
    match fs::File::create(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(CliError::msg(format!(
            "cannot write {}: {e}",
            path.display()
        ))),
    }
}

/// Writes `v` as pretty JSON plus a newline; a closed pipe stops quietly.
pub fn write_json<T: serde::Serialize>(o: &mut impl Write, v: &T) -> Result<()> {
    serde_json::to_writer_pretty(&mut *o, v).map_err(|e| match e.io_error_kind() {
        Some(std::io::ErrorKind::BrokenPipe) => CliError::BrokenPipe,
        _ => CliError::msg(format!("cannot write JSON: {e}")),
    })?;
    writeln!(o)?;
    Ok(())
}

/// `1 bucket`, `2 buckets`.
pub fn plural(n: impl Into<u64>, word: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_nothing_on_failure() {
        let dir = std::env::temp_dir().join(format!("gomap-cli-out-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        write_atomic(&p, b"hello").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        // A missing directory fails without creating anything.
        let bad = dir.join("missing").join("b.txt");
        assert!(write_atomic(&bad, b"x").is_err());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn humans() {
        assert_eq!(human_bytes(144), "144 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_ns(85.0), "85 ns");
        assert_eq!(addr(0), "nil");
        assert_eq!(plural(1u64, "bucket"), "1 bucket");
        assert_eq!(plural(2u64, "write"), "2 writes");
    }
}
