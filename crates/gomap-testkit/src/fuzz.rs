//! The bodies of the cargo-fuzz targets in `fuzz/`, here so that an input
//! can be replayed (and profiled) without libFuzzer: `cargo run -p
//! gomap-testkit --example fuzz_replay -- TARGET FILE_OR_DIR...`.
//!
//! Each target decodes its bytes exactly as `libfuzzer-sys`'s typed
//! `fuzz_target!` does (`arbitrary_take_rest` of the input tuple), so the
//! corpora under `fuzz/corpus/` mean the same thing here and there.

use arbitrary::{Arbitrary, Unstructured};
use gomap::DefaultHashBuilder;

use crate::{run_ops, run_ops_inline, AdversarialState, Limits, Op, RunStats};

/// The fuzz targets, by the names `fuzz/Cargo.toml` gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `differential`: the default hasher, `u64` or `String` maps.
    Differential,
    /// `adversarial_hash`: a colliding hasher taken from the input.
    AdversarialHash,
    /// `inline`: an `InlineGoMap`, `u64` or `String` maps, crossing the
    /// inline/heap boundary both ways.
    Inline,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 3] = [
        Target::Differential,
        Target::AdversarialHash,
        Target::Inline,
    ];

    /// The target's name (its binary and corpus directory).
    pub fn name(self) -> &'static str {
        match self {
            Target::Differential => "differential",
            Target::AdversarialHash => "adversarial_hash",
            Target::Inline => "inline",
        }
    }

    /// The target called `name`.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Decodes `data` as the target's fuzz_target! does and runs it; `None`
    /// when the bytes do not decode (libFuzzer skips those inputs too).
    ///
    /// ```
    /// use gomap_testkit::fuzz::Target;
    /// // First byte: `u64` maps; then ops (an `InsertRange`, and so on).
    /// let stats = Target::Differential.replay(&[0, 1, 0, 5, 0, 0, 0, 40, 0]).unwrap();
    /// assert!(stats.ops > 0 && stats.full_checks > 0);
    /// assert_eq!(Target::AdversarialHash.replay(&[]), None);
    /// ```
    pub fn replay(self, data: &[u8]) -> Option<RunStats> {
        match self {
            Target::Differential => {
                let (strings, ops) = decode::<(bool, Vec<Op>)>(data)?;
                Some(differential(strings, &ops))
            }
            Target::AdversarialHash => {
                let (state, strings, ops) = decode::<(AdversarialState, bool, Vec<Op>)>(data)?;
                Some(adversarial_hash(state, strings, &ops))
            }
            Target::Inline => {
                let (strings, ops) = decode::<(bool, Vec<Op>)>(data)?;
                Some(inline(strings, &ops))
            }
        }
    }
}

impl Target {
    /// The decoded input, `{:#?}`-formatted as `cargo fuzz fmt` prints it.
    pub fn format_input(self, data: &[u8]) -> Option<String> {
        match self {
            Target::Differential | Target::Inline => {
                decode::<(bool, Vec<Op>)>(data).map(|x| format!("{x:#?}"))
            }
            Target::AdversarialHash => {
                decode::<(AdversarialState, bool, Vec<Op>)>(data).map(|x| format!("{x:#?}"))
            }
        }
    }
}

/// `libfuzzer-sys`'s decoding of a typed input.
fn decode<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    if data.len() < T::size_hint(0).0 {
        return None;
    }
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

/// The `differential` target: `ops` on a `u64 -> u64` or (`strings`) a
/// `String -> String` map with the default hasher, [`Limits::fuzz`].
pub fn differential(strings: bool, ops: &[Op]) -> RunStats {
    let h = DefaultHashBuilder::default();
    if strings {
        run_ops::<String, String, _>(h, Limits::fuzz(), ops)
    } else {
        run_ops::<u64, u64, _>(h, Limits::fuzz(), ops)
    }
}

/// The `adversarial_hash` target: `ops` with the colliding hasher `state`,
/// [`Limits::fuzz_adversarial`].
pub fn adversarial_hash(state: AdversarialState, strings: bool, ops: &[Op]) -> RunStats {
    if strings {
        run_ops::<String, String, _>(state, Limits::fuzz_adversarial(), ops)
    } else {
        run_ops::<u64, u64, _>(state, Limits::fuzz_adversarial(), ops)
    }
}

/// The `inline` target: `ops` on an `InlineGoMap` (`u64 -> u64` or
/// `String -> String`, default hasher), [`Limits::fuzz_inline`].
pub fn inline(strings: bool, ops: &[Op]) -> RunStats {
    let h = DefaultHashBuilder::default();
    if strings {
        run_ops_inline::<String, String, _>(h, Limits::fuzz_inline(), ops)
    } else {
        run_ops_inline::<u64, u64, _>(h, Limits::fuzz_inline(), ops)
    }
}
