//! The UTF-8 automaton the runtime's validator runs (`abi_validate_utf8_bytes`): a byte class
//! per byte value and a transition table per state, written into the scratch region the first
//! time a text that is not all ASCII is checked.
//!
//! The states follow the well-formed sequences of RFC 3629 (section 4): after a lead byte the
//! automaton knows how many continuation bytes remain and, for the second byte after `E0`,
//! `ED`, `F0` and `F4`, the narrower range that excludes overlong forms, surrogates and code
//! points above U+10FFFF. Any other byte leads to a rejecting state that never leaves.
//!
//! In memory a state is the address of its row, so one step is two loads: the class of the
//! byte, then the row entry at `state + class`. The class of an ASCII byte is 0, which is what
//! unwritten memory reads, so only the classes of bytes 0x80..=0xFF are written.

/// Byte classes: how a byte may be used.
const ASCII: u8 = 0;
/// Continuation bytes 0x80..=0x8F, 0x90..=0x9F and 0xA0..=0xBF.
const CONT_LOW: u8 = 1;
const CONT_MID: u8 = 2;
const CONT_HIGH: u8 = 3;
/// Lead bytes: 0xC2..=0xDF; 0xE0; 0xE1..=0xEC and 0xEE..=0xEF; 0xED; 0xF0; 0xF1..=0xF3; 0xF4.
const LEAD2: u8 = 4;
const LEAD_E0: u8 = 5;
const LEAD3: u8 = 6;
const LEAD_ED: u8 = 7;
const LEAD_F0: u8 = 8;
const LEAD4: u8 = 9;
const LEAD_F4: u8 = 10;
/// 0xC0, 0xC1 and 0xF5..=0xFF never appear in UTF-8.
const INVALID: u8 = 11;
/// Classes per state row.
pub(super) const CLASSES: u32 = 12;

/// States: between sequences (accepting); one, two or three continuation bytes to come; the
/// restricted second byte after `E0`, `ED`, `F0`, `F4`; rejected.
const ACCEPT: u8 = 0;
const NEED1: u8 = 1;
const NEED2: u8 = 2;
const AFTER_E0: u8 = 3;
const AFTER_ED: u8 = 4;
const NEED3: u8 = 5;
const AFTER_F0: u8 = 6;
const AFTER_F4: u8 = 7;
const REJECT: u8 = 8;
/// Number of states (rows of the transition table).
pub(super) const STATES: u32 = 9;

/// The class of byte `b`.
fn class(b: u8) -> u8 {
    match b {
        0x00..=0x7F => ASCII,
        0x80..=0x8F => CONT_LOW,
        0x90..=0x9F => CONT_MID,
        0xA0..=0xBF => CONT_HIGH,
        0xC2..=0xDF => LEAD2,
        0xE0 => LEAD_E0,
        0xE1..=0xEC | 0xEE..=0xEF => LEAD3,
        0xED => LEAD_ED,
        0xF0 => LEAD_F0,
        0xF1..=0xF3 => LEAD4,
        0xF4 => LEAD_F4,
        0xC0..=0xC1 | 0xF5..=0xFF => INVALID,
    }
}

/// The state after a byte of class `c` in state `s`.
fn next(s: u8, c: u8) -> u8 {
    let cont = matches!(c, CONT_LOW | CONT_MID | CONT_HIGH);
    match s {
        ACCEPT => match c {
            ASCII => ACCEPT,
            LEAD2 => NEED1,
            LEAD_E0 => AFTER_E0,
            LEAD3 => NEED2,
            LEAD_ED => AFTER_ED,
            LEAD_F0 => AFTER_F0,
            LEAD4 => NEED3,
            LEAD_F4 => AFTER_F4,
            _ => REJECT,
        },
        NEED1 if cont => ACCEPT,
        NEED2 if cont => NEED1,
        AFTER_E0 if c == CONT_HIGH => NEED1,
        AFTER_ED if matches!(c, CONT_LOW | CONT_MID) => NEED1,
        NEED3 if cont => NEED2,
        AFTER_F0 if matches!(c, CONT_MID | CONT_HIGH) => NEED2,
        AFTER_F4 if c == CONT_LOW => NEED2,
        _ => REJECT,
    }
}

/// The address of state `s`'s row in a transition table at `table`.
pub(super) fn state_address(table: u32, s: u8) -> u32 {
    table + CLASSES * u32::from(s)
}

/// The accepting state's address in a transition table at `table`.
pub(super) fn accepting(table: u32) -> u32 {
    state_address(table, ACCEPT)
}

/// MASM that writes the classes of bytes 0x80..=0xFF at `classes + b` and the transition table
/// at `table` (both word-aligned), a word at a time.
pub(super) fn init_masm(classes: u32, table: u32) -> String {
    let class_felts: Vec<u32> = (0x80..=0xFFu8).map(|b| u32::from(class(b))).collect();
    let table_felts: Vec<u32> = (0..STATES as u8)
        .flat_map(|s| (0..CLASSES as u8).map(move |c| state_address(table, next(s, c))))
        .collect();
    let mut out = String::new();
    for (base, felts) in [(classes + 0x80, class_felts), (table, table_felts)] {
        for (w, word) in felts.chunks(4).enumerate() {
            // `push.a.b.c.d` leaves d on top, which `mem_storew_le` writes at the address.
            let pushed: Vec<String> = word.iter().rev().map(u32::to_string).collect();
            out.push_str(&format!(
                "        push.{} mem_storew_le.{} dropw\n",
                pushed.join("."),
                base + 4 * w as u32
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the automaton over `bytes` as the runtime does.
    fn accepts(bytes: &[u8]) -> bool {
        bytes.iter().fold(ACCEPT, |s, &b| next(s, class(b))) == ACCEPT
    }

    #[test]
    fn agrees_with_std_on_every_sequence_of_up_to_three_bytes() {
        assert!(accepts(b""));
        for a in 0..=255u8 {
            assert_eq!(accepts(&[a]), std::str::from_utf8(&[a]).is_ok(), "{a:02x}");
            for b in 0..=255u8 {
                let two = [a, b];
                assert_eq!(
                    accepts(&two),
                    std::str::from_utf8(&two).is_ok(),
                    "{two:02x?}"
                );
                for c in [
                    0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xED,
                    0xF0, 0xF4, 0xFF,
                ] {
                    let three = [a, b, c];
                    assert_eq!(
                        accepts(&three),
                        std::str::from_utf8(&three).is_ok(),
                        "{three:02x?}"
                    );
                }
            }
        }
    }

    #[test]
    fn agrees_with_std_on_four_byte_sequences() {
        let interesting = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
            0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ];
        for a in interesting {
            for b in interesting {
                for c in interesting {
                    for d in interesting {
                        let four = [a, b, c, d];
                        assert_eq!(
                            accepts(&four),
                            std::str::from_utf8(&four).is_ok(),
                            "{four:02x?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn tables_are_whole_words() {
        assert_eq!((STATES * CLASSES) % 4, 0);
        assert_eq!(init_masm(0, 256).lines().count(), 32 + 27);
    }
}
