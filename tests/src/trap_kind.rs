//! Trap categories shared by every differential check.
//!
//! Runtimes word their traps differently (wasmi has trap codes, wasmtime prints a backtrace
//! and a `wasm trap: …` line, midenc's messages are the `assert.err` strings of the generated
//! code), so two traps agree only when both map to the same [`TrapKind`]. A message that maps
//! to no kind never agrees with anything: it is reported, not guessed at. The mapping is the
//! table in `docs/component-tests.md` ("How outcomes compare").

use std::fmt;

/// What a trap was, as both sides of a differential check can tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// `unreachable` executed.
    Unreachable,
    /// A load, store or bulk-memory operation outside linear memory (also a data segment that
    /// does not fit at instantiation).
    MemoryOutOfBounds,
    /// A table index outside the table (`call_indirect`, an element segment that does not fit).
    TableOutOfBounds,
    /// `call_indirect` reached a null table entry.
    UninitializedElement,
    /// `call_indirect` reached a function of another type.
    IndirectCallType,
    /// Integer division or remainder by zero.
    DivideByZero,
    /// Signed division overflow (`MIN / -1`), or a float truncated to an integer type that
    /// cannot hold it.
    IntegerOverflow,
    /// A NaN truncated to an integer type.
    InvalidConversion,
    /// The call stack (or the VM's operand stack) ran out.
    StackExhausted,
    /// A component called out of its instance while it may not (from `cabi_realloc` or
    /// `cabi_post-return`).
    CannotLeaveInstance,
    /// The canonical ABI refused to lift a value: an invalid `char`, discriminant or UTF-8
    /// string, or a `cabi_realloc` result that is misaligned or outside memory.
    Lift(LiftFailure),
}

/// Which canonical-ABI lifting check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LiftFailure {
    /// A `char` outside the Unicode scalar values.
    Char,
    /// A variant, enum, option or result discriminant out of range (or a `bool` above 1).
    Discriminant,
    /// A string whose bytes are not UTF-8.
    Utf8,
    /// A pointer (from `cabi_realloc` or in a result) misaligned or outside memory.
    Pointer,
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapKind::Lift(what) => write!(f, "lift failure ({what:?})"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// midenc's trap messages (the leading text, before any location) and their kinds.
const MIDENC: &[(&str, TrapKind)] = &[
    ("unreachable", TrapKind::Unreachable),
    ("out of bounds memory access", TrapKind::MemoryOutOfBounds),
    ("out of bounds table access", TrapKind::TableOutOfBounds),
    ("undefined element", TrapKind::TableOutOfBounds),
    ("uninitialized element", TrapKind::UninitializedElement),
    ("indirect call type mismatch", TrapKind::IndirectCallType),
    ("integer divide by zero", TrapKind::DivideByZero),
    ("integer overflow", TrapKind::IntegerOverflow),
    ("invalid conversion to integer", TrapKind::InvalidConversion),
    ("call stack exhausted", TrapKind::StackExhausted),
    (
        "cannot leave the component instance",
        TrapKind::CannotLeaveInstance,
    ),
    // A list whose byte length passes 2^32 cannot lie inside memory.
    ("list too long", TrapKind::MemoryOutOfBounds),
    (
        "invalid char bit pattern",
        TrapKind::Lift(LiftFailure::Char),
    ),
    (
        "invalid variant discriminant",
        TrapKind::Lift(LiftFailure::Discriminant),
    ),
    ("invalid utf-8", TrapKind::Lift(LiftFailure::Utf8)),
    (
        "realloc return: result not aligned",
        TrapKind::Lift(LiftFailure::Pointer),
    ),
    (
        "realloc return: beyond end of memory",
        TrapKind::Lift(LiftFailure::Pointer),
    ),
    (
        "list pointer not aligned",
        TrapKind::Lift(LiftFailure::Pointer),
    ),
    (
        "result pointer not aligned",
        TrapKind::Lift(LiftFailure::Pointer),
    ),
    (
        "parameter pointer not aligned",
        TrapKind::Lift(LiftFailure::Pointer),
    ),
];

/// wasmtime's wording (a substring of its error text) and the kind it means. Checked in order:
/// the more specific text first.
const WASMTIME: &[(&str, TrapKind)] = &[
    (
        "wasm `unreachable` instruction executed",
        TrapKind::Unreachable,
    ),
    ("out of bounds memory access", TrapKind::MemoryOutOfBounds),
    // A string, list or result whose pointer (and length) reach past memory: the canonical
    // ABI's bounds check, which midenc's memory reads make ("string pointer/length out of
    // bounds of memory", "pointer out of bounds of memory").
    ("out of bounds of memory", TrapKind::MemoryOutOfBounds),
    ("undefined element", TrapKind::TableOutOfBounds),
    ("out of bounds table access", TrapKind::TableOutOfBounds),
    ("uninitialized element", TrapKind::UninitializedElement),
    ("indirect call type mismatch", TrapKind::IndirectCallType),
    ("integer divide by zero", TrapKind::DivideByZero),
    ("integer overflow", TrapKind::IntegerOverflow),
    ("invalid conversion to integer", TrapKind::InvalidConversion),
    ("call stack exhausted", TrapKind::StackExhausted),
    (
        "cannot leave component instance",
        TrapKind::CannotLeaveInstance,
    ),
    (
        "converted integer out of range for `char`",
        TrapKind::Lift(LiftFailure::Char),
    ),
    // "discriminant 3 out of range [0..3)"
    ("discriminant", TrapKind::Lift(LiftFailure::Discriminant)),
    // Rust's UTF-8 errors: "invalid utf-8 sequence of 1 bytes from index 0", "incomplete
    // utf-8 byte sequence from index 0".
    ("utf-8", TrapKind::Lift(LiftFailure::Utf8)),
    (
        "realloc return: result not aligned",
        TrapKind::Lift(LiftFailure::Pointer),
    ),
    (
        "realloc return: beyond end of memory",
        TrapKind::Lift(LiftFailure::Pointer),
    ),
    (
        "pointer is not aligned",
        TrapKind::Lift(LiftFailure::Pointer),
    ),
    ("pointer not aligned", TrapKind::Lift(LiftFailure::Pointer)),
];

impl TrapKind {
    /// The kind of a midenc trap message (`DriverError::Trap`'s message), matched on its
    /// leading text; `None` for a message no reference runtime could produce (tampered advice
    /// data, a cycle limit, a message midenc should not emit).
    pub fn from_midenc(message: &str) -> Option<TrapKind> {
        MIDENC
            .iter()
            .find(|(text, _)| message.starts_with(text))
            .map(|(_, kind)| *kind)
    }

    /// The kind of a wasmtime error: its whole text (the `wasm trap: …` line follows the
    /// backtrace; canonical-ABI errors are plain messages).
    pub fn from_wasmtime(message: &str) -> Option<TrapKind> {
        // Only the cause: the backtrace before it names functions, which could contain anything.
        let cause = message.split_once("Caused by:").map_or(message, |(_, c)| c);
        let lower = cause.to_lowercase();
        WASMTIME
            .iter()
            .find(|(text, _)| lower.contains(text))
            .map(|(_, kind)| *kind)
    }

    /// The kind of a wasmi trap code; `None` for codes that are resource limits or that midenc
    /// cannot produce (growth failures, ...).
    pub fn from_wasmi(code: wasmi::TrapCode) -> Option<TrapKind> {
        use wasmi::TrapCode as T;
        Some(match code {
            T::UnreachableCodeReached => TrapKind::Unreachable,
            T::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
            T::TableOutOfBounds => TrapKind::TableOutOfBounds,
            T::IndirectCallToNull => TrapKind::UninitializedElement,
            T::BadSignature => TrapKind::IndirectCallType,
            T::IntegerDivisionByZero => TrapKind::DivideByZero,
            T::IntegerOverflow => TrapKind::IntegerOverflow,
            T::BadConversionToInteger => TrapKind::InvalidConversion,
            T::StackOverflow => TrapKind::StackExhausted,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_midenc_message_has_one_kind_and_wasmtime_names_it_too() {
        for (text, kind) in MIDENC {
            assert_eq!(TrapKind::from_midenc(text), Some(*kind), "{text}");
        }
        // A location suffix does not change the kind; tampering has none.
        assert_eq!(
            TrapKind::from_midenc("integer divide by zero (in f, at offset 0x2a)"),
            Some(TrapKind::DivideByZero)
        );
        assert_eq!(
            TrapKind::from_midenc("advice data does not match its digest"),
            None
        );
        assert_eq!(TrapKind::from_midenc("VM error: stack underflow"), None);
        let wasmtime =
            "error while executing at wasm backtrace:\n    0:     0x2f - <unknown>!f\n\n\
                        Caused by:\n    wasm trap: integer divide by zero\n";
        assert_eq!(
            TrapKind::from_wasmtime(wasmtime),
            Some(TrapKind::DivideByZero)
        );
        assert_eq!(
            TrapKind::from_wasmtime("wasm trap: wasm `unreachable` instruction executed"),
            Some(TrapKind::Unreachable)
        );
        assert_eq!(
            TrapKind::from_wasmtime("error while executing at wasm backtrace:"),
            None
        );
        for (text, kind) in [
            (
                "converted integer out of range for `char`",
                TrapKind::Lift(LiftFailure::Char),
            ),
            (
                "discriminant 3 out of range [0..3)",
                TrapKind::Lift(LiftFailure::Discriminant),
            ),
            (
                "incomplete utf-8 byte sequence from index 0",
                TrapKind::Lift(LiftFailure::Utf8),
            ),
            (
                "invalid utf-8 sequence of 1 bytes from index 0",
                TrapKind::Lift(LiftFailure::Utf8),
            ),
            (
                "list pointer is not aligned",
                TrapKind::Lift(LiftFailure::Pointer),
            ),
            (
                "string pointer/length out of bounds of memory",
                TrapKind::MemoryOutOfBounds,
            ),
        ] {
            assert_eq!(TrapKind::from_wasmtime(text), Some(kind), "{text}");
        }
    }
}
