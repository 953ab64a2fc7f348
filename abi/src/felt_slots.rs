//! Which four-byte slots of a value's memory layout hold a whole felt.
//!
//! Linear memory is one Miden element per four bytes. A slot of bytes must hold a u32; a slot
//! that holds a `felt` holds any field element. Whoever moves a memory image across a boundary
//! (the advice-map spill, the host codec) checks the first kind and leaves the second alone.

use crate::WitType;

/// What one four-byte slot holds across every case of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotUse {
    /// Padding in every case.
    Free,
    /// Bytes of a non-felt value in some case.
    Bytes,
    /// A felt in some case, padding in the others.
    Felt,
}

impl WitType {
    /// Byte offsets of the slots that hold a felt in this type's memory layout, ascending; every
    /// other slot holds bytes. `None` when a slot holds a felt in one variant case and bytes in
    /// another, so that no slot-by-slot check can validate it.
    pub fn felt_slots(&self) -> Option<Vec<u32>> {
        let mut uses = vec![SlotUse::Free; self.size().div_ceil(4) as usize];
        if !self.mark_slots(0, &mut uses) {
            return None;
        }
        Some(
            (0u32..)
                .step_by(4)
                .zip(&uses)
                .filter(|(_, u)| **u == SlotUse::Felt)
                .map(|(at, _)| at)
                .collect(),
        )
    }

    /// Whether values of this type hold a felt anywhere in linear memory.
    pub fn has_felt_slots(&self) -> bool {
        self.felt_slots().is_none_or(|s| !s.is_empty())
    }

    /// Records what the value at byte offset `at` puts in `uses`; false on a felt/bytes clash.
    fn mark_slots(&self, at: u32, uses: &mut [SlotUse]) -> bool {
        let mark = |uses: &mut [SlotUse], slot: u32, new: SlotUse| {
            let old = &mut uses[slot as usize];
            match (*old, new) {
                (SlotUse::Free, _) => *old = new,
                (a, b) if a == b => {}
                (_, SlotUse::Free) => {}
                _ => return false,
            }
            true
        };
        match self {
            WitType::Felt => mark(uses, at / 4, SlotUse::Felt),
            WitType::Record(_) | WitType::Tuple(_) => {
                let fields = self.fields().unwrap_or_default();
                fields
                    .iter()
                    .zip(self.field_offsets())
                    .all(|(f, off)| f.mark_slots(at + off, uses))
            }
            _ if self.cases().is_some() => {
                let cases = self.cases().unwrap_or_default();
                let disc = WitType::discriminant_size(cases.len());
                let payload = at + self.payload_offset();
                (at / 4..(at + disc).div_ceil(4)).all(|s| mark(uses, s, SlotUse::Bytes))
                    && cases.iter().flatten().all(|t| t.mark_slots(payload, uses))
            }
            _ => (at / 4..(at + self.size()).div_ceil(4)).all(|s| mark(uses, s, SlotUse::Bytes)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word() -> WitType {
        WitType::Tuple(vec![WitType::Felt; 4])
    }

    #[test]
    fn felts_records_and_words_mark_their_slots() {
        assert_eq!(WitType::Felt.felt_slots(), Some(vec![0]));
        assert_eq!(word().felt_slots(), Some(vec![0, 4, 8, 12]));
        assert_eq!(WitType::U64.felt_slots(), Some(vec![]));
        let entry = WitType::Tuple(vec![word(), WitType::Felt, WitType::U8]);
        assert_eq!(entry.felt_slots(), Some(vec![0, 4, 8, 12, 16]));
        assert!(entry.has_felt_slots());
        assert!(!WitType::String.has_felt_slots());
    }

    #[test]
    fn variant_payloads_share_slots_unless_they_clash() {
        let opt = WitType::Option(Box::new(WitType::Felt));
        assert_eq!(opt.felt_slots(), Some(vec![4]));
        let clash = WitType::Result {
            ok: Some(Box::new(WitType::Felt)),
            err: Some(Box::new(WitType::U32)),
        };
        assert_eq!(clash.felt_slots(), None);
        assert!(clash.has_felt_slots());
    }
}
