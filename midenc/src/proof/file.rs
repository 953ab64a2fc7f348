//! The proof file (`.proof`): a versioned JSON document holding one proven export call.
//!
//! JSON keeps the public part readable (`jq .stack_outputs`) while the STARK proof itself is one
//! hex string. `docs/proofs.md` describes every field.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use midenc_linker::ManifestExport;

/// What the `format` field of every proof file says.
pub const FORMAT: &str = "midenc-proof";

/// The layout version this midenc writes and reads.
pub const VERSION: u32 = 1;

/// One proven export call, as stored on disk.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProofFile {
    /// Always [`FORMAT`]: tells a proof file from any other JSON.
    pub format: String,
    /// The layout version ([`VERSION`]).
    pub version: u32,
    /// The called export as the package's manifest describes it: its name, MAST root and
    /// signature, from which the verified result is decoded.
    pub export: ManifestExport,
    /// MAST root of the entry program that calls the export (`0x` + 64 hex digits): the
    /// program the proof is about.
    pub program_root: String,
    /// The VM's stack inputs, top first.
    pub stack_inputs: Vec<u64>,
    /// The VM's 16 stack outputs, top first.
    pub stack_outputs: Vec<u64>,
    /// Advice-map entries the call was given (spilled arguments): key and length. Their
    /// digests are on the stack inputs and the export re-hashes them, so the proof binds them.
    pub advice_inputs: Vec<AdviceCommitment>,
    /// Keys of the advice-map entries the programs carry themselves (data segments); the code
    /// asserts each key, so the program root binds them.
    pub program_advice: Vec<String>,
    /// A spilled result's advice-map entry: its digest and word count are among the stack
    /// outputs, so verification checks it against them before decoding.
    pub result_entry: Option<Vec<u64>>,
    /// The hash function the STARK proof commits with (`blake3-256`, `poseidon2`, …).
    pub hash_function: String,
    /// The conjectured security of the proof, in bits, as the prover reports it.
    pub security_bits: u32,
    /// VM cycles of the proven execution.
    pub cycles: u64,
    /// The padded trace length the prover worked on (a power of two).
    pub padded_trace_len: u64,
    /// SHA-256 of the other sections as written, so that an edit is named precisely. The
    /// STARK check, not these, is what makes a proof sound.
    pub checksums: Checksums,
    /// The serialized `ExecutionProof`, hex.
    pub proof: String,
}

/// One advice-map entry a proven call relied on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AdviceCommitment {
    /// The entry's key, `0x` + 64 hex digits.
    pub key: String,
    /// How many felts it holds.
    pub felts: usize,
}

/// SHA-256 digests (hex) of the sections a user might edit.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checksums {
    /// Of `program_root` and `export`.
    pub program: String,
    /// Of `stack_inputs` and `advice_inputs`.
    pub inputs: String,
    /// Of `stack_outputs` and `result_entry`.
    pub outputs: String,
    /// Of `proof`.
    pub proof: String,
}

impl ProofFile {
    /// The checksums of the file's current contents.
    pub fn compute_checksums(&self) -> Checksums {
        // A section is hashed as the compact JSON of its fields, as one array.
        fn sha(section: impl Serialize) -> String {
            let json = serde_json::to_vec(&section).expect("proof file sections serialize");
            hex(&Sha256::digest(json))
        }
        Checksums {
            program: sha((&self.program_root, &self.export)),
            inputs: sha((&self.stack_inputs, &self.advice_inputs)),
            outputs: sha((&self.stack_outputs, &self.result_entry)),
            proof: sha(&self.proof),
        }
    }

    /// The sections whose recorded checksum no longer matches, by name.
    pub fn edited_sections(&self) -> Vec<&'static str> {
        let now = self.compute_checksums();
        let recorded = &self.checksums;
        [
            (
                "the program (root or export)",
                now.program != recorded.program,
            ),
            ("the inputs", now.inputs != recorded.inputs),
            ("the outputs", now.outputs != recorded.outputs),
            ("the proof bytes", now.proof != recorded.proof),
        ]
        .into_iter()
        .filter_map(|(name, edited)| edited.then_some(name))
        .collect()
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex string, or the offset of the first character that is not a hex digit
/// (or the length, for an odd count).
pub fn unhex(text: &str) -> Result<Vec<u8>, usize> {
    let digit = |i: usize, c: u8| (c as char).to_digit(16).map(|d| d as u8).ok_or(i);
    let bytes = text.as_bytes();
    if bytes.len() % 2 == 1 {
        return Err(bytes.len());
    }
    bytes
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| Ok(digit(2 * i, pair[0])? << 4 | digit(2 * i + 1, pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_locates_bad_digits() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(unhex(&hex(&bytes)), Ok(bytes.to_vec()));
        assert_eq!(unhex("0g"), Err(1));
        assert_eq!(unhex("abc"), Err(3));
    }
}
