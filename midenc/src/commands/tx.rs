//! `midenc tx`: runs transactions against an account made of compiled account components, on
//! a local mock chain, and prints what each changed.

use std::path::PathBuf;

use crate::{
    chain::{Call, LocalChain, SlotChange, TxReport},
    error::DriverResult,
};

/// Options of `midenc tx`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// An account-component package (`.masp`) the account is made of (repeatable, in order;
    /// an authentication component that increments the nonce comes first).
    #[arg(long = "account", value_name = "COMPONENT.masp", required = true)]
    pub components: Vec<PathBuf>,
    /// An export of one of the components that the transaction script calls (repeatable, in
    /// order). Exports taking arguments are not supported yet.
    #[arg(long = "call", value_name = "EXPORT")]
    pub calls: Vec<String>,
    /// Run the same transaction this many times, each in its own block.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: u32,
    /// Print the reports as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `midenc tx`.
pub fn run(opts: Opts) -> DriverResult<()> {
    let packages = opts
        .components
        .iter()
        .map(|p| crate::input::load_package(p))
        .collect::<DriverResult<Vec<_>>>()?;
    let mut chain = LocalChain::with_account(packages)?;
    let calls: Vec<Call> = opts
        .calls
        .iter()
        .map(|export| Call {
            args: Vec::new(),
            export: export.clone(),
        })
        .collect();
    let mut reports = Vec::new();
    for _ in 0..opts.repeat {
        let report = chain.transact(&calls)?;
        if !opts.json {
            print!("{}", render(reports.len() + 1, &report));
        }
        reports.push(report);
    }
    if opts.json {
        let json: Vec<serde_json::Value> = reports.iter().map(to_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("reports serialize")
        );
    }
    Ok(())
}

fn word_text(word: &[u64; 4]) -> String {
    format!("[{}, {}, {}, {}]", word[0], word[1], word[2], word[3])
}

/// One report as text.
fn render(number: usize, report: &TxReport) -> String {
    let mut out = format!("transaction {number}\n");
    out.push_str(&format!(
        "  nonce     {} -> {}\n",
        report.nonce.0, report.nonce.1
    ));
    if report.storage.is_empty() {
        out.push_str("  storage   unchanged\n");
    }
    for (name, change) in &report.storage {
        match change {
            SlotChange::Value(word) => {
                out.push_str(&format!("  storage   {name} = {}\n", word_text(word)))
            }
            SlotChange::Map(entries) => {
                for (key, value) in entries {
                    out.push_str(&format!(
                        "  storage   {name}[{}] = {}\n",
                        word_text(key),
                        word_text(value)
                    ));
                }
            }
        }
    }
    let c = &report.cycles;
    out.push_str(&format!(
        "  cycles    {} (prologue {}, notes {}, tx script {}, epilogue {}, auth {})\n",
        c.total, c.prologue, c.notes, c.tx_script, c.epilogue, c.auth
    ));
    out
}

fn to_json(report: &TxReport) -> serde_json::Value {
    let storage: Vec<serde_json::Value> = report
        .storage
        .iter()
        .map(|(name, change)| match change {
            SlotChange::Value(word) => serde_json::json!({ "slot": name, "value": word }),
            SlotChange::Map(entries) => serde_json::json!({
                "slot": name,
                "entries": entries
                    .iter()
                    .map(|(k, v)| serde_json::json!({ "key": k, "value": v }))
                    .collect::<Vec<_>>(),
            }),
        })
        .collect();
    let c = &report.cycles;
    serde_json::json!({
        "nonce": { "before": report.nonce.0, "after": report.nonce.1 },
        "storage": storage,
        "cycles": {
            "total": c.total,
            "prologue": c.prologue,
            "notes": c.notes,
            "tx_script": c.tx_script,
            "epilogue": c.epilogue,
            "auth": c.auth,
        },
    })
}
