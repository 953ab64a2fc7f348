//! `midenc verify`: check a proof file and print the result it proves.

use std::path::PathBuf;

use crate::error::{DriverError, DriverResult};
use crate::proof::{self, file::ProofFile};

/// Options of `midenc verify`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// The proof file written by `midenc prove`.
    pub proof: PathBuf,
    /// The package the proof should be of: its export must give the proven program root.
    /// Without it, the proof is checked against the root recorded in the file.
    #[arg(long, value_name = "PKG.masp")]
    pub package: Option<PathBuf>,
}

/// Runs `midenc verify`.
pub fn run(opts: Opts) -> DriverResult<()> {
    let text = crate::read_text(&opts.proof)?;
    let file: ProofFile = serde_json::from_str(&text).map_err(|e| DriverError::Proof {
        message: format!("`{}` is not a proof file: {e}", opts.proof.display()),
        help: "proof files are written by `midenc prove`".into(),
    })?;
    let package = opts
        .package
        .as_ref()
        .map(|path| crate::input::load_package(path).map(|p| (p, path.display().to_string())))
        .transpose()?;
    let verified = proof::verify_file(&file, package.as_ref().map(|(p, s)| (p, s.as_str())))?;
    if let Some(text) = &verified.result {
        println!("{text}");
    }
    eprintln!(
        "verified: `{}` of program {} ({}-bit security{})",
        file.export.name,
        verified.program_root,
        verified.security_bits,
        if package.is_some() {
            ", program checked against the package"
        } else {
            ", program root as recorded"
        }
    );
    Ok(())
}
