//! `midenc tx`: runs transactions against an account made of compiled account components
//! (and the standard wallet, if asked), on a local mock chain, consuming compiled notes, and
//! prints what each changed.

use std::path::PathBuf;

use crate::{
    chain::{Call, LocalChain, SlotChange, Transaction, TxReport},
    error::{DriverError, DriverResult},
};

/// Options of `midenc tx`.
#[derive(clap::Args, Debug)]
pub struct Opts {
    /// An account-component package (`.masp`) the account is made of (repeatable, in order;
    /// an authentication component that increments the nonce comes first).
    #[arg(
        long = "account",
        value_name = "COMPONENT.masp",
        required_unless_present = "standard_wallet"
    )]
    pub components: Vec<PathBuf>,
    /// Give the account the standard basic wallet of `miden-standards` too (before the
    /// `--account` components): what the standard notes, and notes built against it, pay.
    #[arg(long)]
    pub standard_wallet: bool,
    /// A note-script package (`.masp`): the first transaction consumes a note running it
    /// (repeatable; one note each).
    #[arg(long = "note", value_name = "NOTE.masp")]
    pub notes: Vec<PathBuf>,
    /// The storage of each note: felts separated by commas; `account` stands for the
    /// account's identifier (two felts, suffix and prefix), what a pay-to-ID note expects.
    #[arg(long, value_name = "FELTS", default_value = "", requires = "notes")]
    pub note_storage: String,
    /// An amount of the mock chain's fungible test asset that each note carries.
    #[arg(long, value_name = "AMOUNT", requires = "notes")]
    pub note_asset: Option<u64>,
    /// An export of one of the components that the transaction script calls, with its
    /// arguments in WAVE syntax as `midenc run --invoke` takes them (`add(5)`; a name alone
    /// for no arguments). Repeatable, in order.
    #[arg(long = "call", value_name = "EXPORT(ARGS)", conflicts_with = "script")]
    pub calls: Vec<String>,
    /// A transaction-script package (`.masp`) to run as each transaction's script, after the
    /// notes.
    #[arg(long, value_name = "SCRIPT.masp")]
    pub script: Option<PathBuf>,
    /// The script's arguments: a word, four felts separated by commas.
    #[arg(
        long,
        value_name = "FELTS",
        default_value = "0,0,0,0",
        requires = "script"
    )]
    pub script_args: String,
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
    let mut chain = LocalChain::new(packages, opts.standard_wallet)?;
    let exporters: Vec<_> = chain.components().iter().collect();
    let calls = opts
        .calls
        .iter()
        .map(|text| parse_call(text, &exporters))
        .collect::<DriverResult<Vec<Call>>>()?;
    let storage = felt_list("--note-storage", &opts.note_storage, chain.account_id())?;
    let assets = match opts.note_asset {
        Some(amount) => vec![chain.fungible_asset(amount)?],
        None => Vec::new(),
    };
    let mut notes = Vec::new();
    for path in &opts.notes {
        let package = crate::input::load_package(path)?;
        let script = LocalChain::note_script(&package)?;
        chain.locate_failures_in(&package);
        notes.push(chain.note(script, &storage, &assets)?);
    }
    let script = match &opts.script {
        Some(path) => {
            let package = crate::input::load_package(path)?;
            let script = LocalChain::tx_script(&package)?;
            chain.locate_failures_in(&package);
            let args = felt_list("--script-args", &opts.script_args, chain.account_id())?;
            let args: [u64; 4] = args
                .try_into()
                .map_err(|args: Vec<u64>| DriverError::Usage {
                    message: format!("--script-args: {} felts, not the 4 of a word", args.len()),
                    help: "give four felts separated by commas, such as `1,2,3,4`".into(),
                })?;
            Some((script, args))
        }
        None => None,
    };
    let mut reports = Vec::new();
    for _ in 0..opts.repeat {
        // The notes are consumed once, by the first transaction.
        let report = chain.execute(&Transaction {
            notes: std::mem::take(&mut notes),
            calls: calls.clone(),
            script: script.clone(),
            ..Transaction::default()
        })?;
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

/// The call `--call TEXT` names: the export of one of `exporters` with its arguments as the
/// felts the export takes on the stack.
fn parse_call(text: &str, exporters: &[&midenc_linker::LinkedPackage]) -> DriverResult<Call> {
    let text = if text.contains('(') {
        text.to_string()
    } else {
        format!("{text}()")
    };
    let mut errors = Vec::new();
    for package in exporters {
        let invocation = match crate::invoke::parse(&text, &package.manifest) {
            Ok(invocation) => invocation,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let unsupported = || DriverError::Usage {
            message: format!(
                "unsupported: `--call {text}`: its arguments travel through the advice map \
                 (strings, lists or more than 16 felts), which a transaction script does not \
                 provide"
            ),
            help: "write a transaction script that passes them (`midenc new --tx-script`)".into(),
        };
        let args = match &invocation.export.wit {
            Some(sig) if sig.params_spill() => return Err(unsupported()),
            Some(sig) => {
                let image = midenc_abi::host::encode(&sig.param_types(), &invocation.wit_args)
                    .map_err(|e| DriverError::Usage {
                        message: format!("`--call {text}`: {e}"),
                        help: "give the arguments as `midenc run --invoke` takes them".into(),
                    })?;
                if !image.blobs.is_empty() {
                    return Err(unsupported());
                }
                image.flat
            }
            None => invocation.args.iter().flat_map(|v| v.to_felts()).collect(),
        };
        if args.len() > midenc_abi::MAX_STACK_FELTS {
            return Err(unsupported());
        }
        return Ok(Call {
            export: invocation.export.name.clone(),
            args,
        });
    }
    // The most telling error: one about the arguments of an export that exists, else the
    // first package's.
    let pick = errors
        .iter()
        .position(|e| !e.to_string().contains("no export named"))
        .unwrap_or(0);
    Err(if errors.is_empty() {
        DriverError::Usage {
            message: format!("`--call {text}`: the account has no components"),
            help: "give account components with --account or --standard-wallet".into(),
        }
    } else {
        errors.swap_remove(pick)
    })
}

/// The felts of option `flag`: numbers, and `account` for the account's two felts.
fn felt_list(flag: &str, text: &str, account: [u64; 2]) -> DriverResult<Vec<u64>> {
    let mut felts = Vec::new();
    for item in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if item == "account" {
            felts.extend(account);
            continue;
        }
        let felt = item
            .parse::<u64>()
            .ok()
            .filter(|v| *v < midenc_abi::FIELD_MODULUS)
            .ok_or_else(|| DriverError::Usage {
                message: format!("{flag}: `{item}` is not a felt"),
                help: "give felts as decimal integers below 2^64 - 2^32 + 1, separated by \
                       commas, or `account` for the account's identifier"
                    .into(),
            })?;
        felts.push(felt);
    }
    Ok(felts)
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
    for (faucet, change) in &report.vault {
        out.push_str(&format!("  vault     {faucet} {change:+}\n"));
    }
    for note in &report.output_notes {
        let assets: Vec<String> = note
            .assets
            .iter()
            .map(|(faucet, amount)| format!("{amount} of {faucet}"))
            .collect();
        out.push_str(&format!(
            "  note out  {} recipient {} assets [{}]\n",
            note.id,
            word_text(&note.recipient),
            assets.join(", ")
        ));
    }
    let c = &report.cycles;
    out.push_str(&format!(
        "  cycles    {} (prologue {}, notes {} of which scripts {}, tx script {}, epilogue {}, \
         auth {})\n",
        c.total, c.prologue, c.notes, c.note_execution, c.tx_script, c.epilogue, c.auth
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
    let vault: Vec<serde_json::Value> = report
        .vault
        .iter()
        .map(|(faucet, change)| serde_json::json!({ "faucet": faucet, "change": change }))
        .collect();
    let notes: Vec<serde_json::Value> = report
        .output_notes
        .iter()
        .map(|n| {
            serde_json::json!({
                "id": n.id,
                "recipient": n.recipient,
                "assets": n.assets.iter()
                    .map(|(faucet, amount)| serde_json::json!({ "faucet": faucet, "amount": amount }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let c = &report.cycles;
    serde_json::json!({
        "nonce": { "before": report.nonce.0, "after": report.nonce.1 },
        "storage": storage,
        "vault": vault,
        "output_notes": notes,
        "cycles": {
            "total": c.total,
            "prologue": c.prologue,
            "notes": c.notes,
            "note_execution": c.note_execution,
            "tx_script": c.tx_script,
            "epilogue": c.epilogue,
            "auth": c.auth,
        },
    })
}
