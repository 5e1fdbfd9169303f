//! Writing results: files appear whole or not at all.

use crate::error::{CliError, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a write to a path really goes, decided before writing.
enum Target {
    /// A regular file, or nothing yet: replace it whole (temp file + rename).
    /// The path is the symlink's final target when the user named a link,
    /// so the link itself survives.
    Replace(PathBuf),
    /// A FIFO, a character device (`/dev/stdout`, `/dev/null`) or a socket:
    /// renaming over it would destroy it, so open it and write through.
    WriteThrough(PathBuf),
}

/// Resolves symlinks (the link stays, its target is written) and refuses
/// what must never be written: directories and block devices.
fn target(path: &Path) -> Result<Target> {
    let refuse = |why: &str| CliError::msg(format!("cannot write {}: {why}", path.display()));
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Target::Replace(path.to_path_buf()))
        }
        Err(e) => return Err(refuse(&e.to_string())),
    };
    let (real, meta) = if meta.file_type().is_symlink() {
        // Follow the whole chain; a dangling link names the file to create.
        match fs::canonicalize(path) {
            Ok(real) => {
                let m = fs::metadata(&real).map_err(|e| refuse(&e.to_string()))?;
                (real, m)
            }
            Err(_) => {
                let mut real = path.to_path_buf();
                for _ in 0..40 {
                    match fs::read_link(&real) {
                        Ok(t) => {
                            real = match real.parent() {
                                Some(d) if t.is_relative() => d.join(t),
                                _ => t,
                            }
                        }
                        Err(_) => break,
                    }
                }
                if fs::symlink_metadata(&real).is_ok() {
                    return Err(refuse("too many levels of symbolic links"));
                }
                return Ok(Target::Replace(real));
            }
        }
    } else {
        (path.to_path_buf(), meta)
    };
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(refuse("it is a directory"));
    }
    if ft.is_file() {
        return Ok(Target::Replace(real));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_block_device() {
            return Err(refuse("it is a block device; refusing to overwrite it"));
        }
    }
    Ok(Target::WriteThrough(real))
}

/// Writes `bytes` to `path`. A regular file (or a new one) is written
/// atomically: into a temporary file in the same directory, flushed, then
/// renamed over it, so no partial file is ever left behind. A symlink is
/// followed and its target written (the link stays a link). A FIFO or a
/// character device is opened and written through (renaming over it would
/// replace the special file with a regular one); directories and block
/// devices are refused.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |what: &str, e: std::io::Error| {
        CliError::msg(format!("cannot write {}: {what}: {e}", path.display()))
    };
    let real = match target(path)? {
        Target::Replace(real) => real,
        Target::WriteThrough(real) => {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .open(&real)
                .map_err(|e| fail("open", e))?;
            return f.write_all(bytes).map_err(|e| match e.kind() {
                std::io::ErrorKind::BrokenPipe => CliError::BrokenPipe,
                _ => fail("write", e),
            });
        }
    };
    let file_name = real.file_name().ok_or_else(|| {
        CliError::msg(format!("cannot write {}: not a file name", path.display()))
    })?;
    let dir = match real.parent() {
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
        fs::rename(&tmp, &real).map_err(|e| fail("rename", e))
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

/// Fails early, before a long run, if `path` cannot be written: a file to
/// be replaced needs a directory that accepts a new file; a FIFO or device
/// must open for writing (a FIFO is checked later, when written, since
/// opening it waits for a reader).
pub fn check_writable(path: &Path) -> Result<()> {
    let real = match target(path)? {
        Target::Replace(real) => real,
        Target::WriteThrough(real) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::FileTypeExt;
                if fs::metadata(&real).is_ok_and(|m| m.file_type().is_fifo()) {
                    return Ok(());
                }
            }
            return fs::OpenOptions::new()
                .write(true)
                .open(&real)
                .map(drop)
                .map_err(|e| CliError::msg(format!("cannot write {}: {e}", path.display())));
        }
    };
    let dir = match real.parent() {
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
