//! Example package: a ledger over WIT records, enums, variants and results.
//!
//! `midenc build` generates `src/bindings.rs` from `wit/world.wit`; this file implements the
//! world's `Guest` trait.
#![no_std]
extern crate alloc;
extern crate miden_example_runtime;

mod bindings;

use alloc::vec::Vec;
use bindings::{Account, BankError, Currency, Guest, Transaction};

struct Bank;

impl Guest for Bank {
    fn apply(mut accounts: Vec<Account>, txs: Vec<Transaction>) -> Result<Vec<Account>, BankError> {
        for tx in txs {
            match tx {
                Transaction::Deposit((id, amount)) => credit(&mut accounts, id, amount)?,
                Transaction::Withdraw((id, amount)) => debit(&mut accounts, id, amount)?,
                Transaction::Transfer(t) => {
                    let from = find(&accounts, t.from)?;
                    let to = find(&accounts, t.to)?;
                    if accounts[from].currency != accounts[to].currency {
                        return Err(BankError::CurrencyMismatch((
                            accounts[from].currency,
                            accounts[to].currency,
                        )));
                    }
                    debit(&mut accounts, t.from, t.amount)?;
                    credit(&mut accounts, t.to, t.amount)?;
                }
            }
        }
        Ok(accounts)
    }

    fn totals(accounts: Vec<Account>) -> Vec<(Currency, u64)> {
        let mut totals: Vec<(Currency, u64)> = Vec::new();
        for account in &accounts {
            match totals.iter_mut().find(|(c, _)| *c == account.currency) {
                Some((_, sum)) => *sum = sum.saturating_add(account.balance),
                None => totals.push((account.currency, account.balance)),
            }
        }
        totals
    }

    fn compound(balance: u64, rate_bps: u32, years: u8) -> Result<u64, BankError> {
        let mut value = balance;
        for _ in 0..years {
            let interest = u128::from(value) * u128::from(rate_bps) / 10_000;
            value = u64::try_from(u128::from(value) + interest).map_err(|_| BankError::Overflow)?;
        }
        Ok(value)
    }
}

fn find(accounts: &[Account], id: u32) -> Result<usize, BankError> {
    accounts
        .iter()
        .position(|a| a.id == id)
        .ok_or(BankError::UnknownAccount(id))
}

fn credit(accounts: &mut [Account], id: u32, amount: u64) -> Result<(), BankError> {
    let i = find(accounts, id)?;
    accounts[i].balance = accounts[i]
        .balance
        .checked_add(amount)
        .ok_or(BankError::Overflow)?;
    Ok(())
}

fn debit(accounts: &mut [Account], id: u32, amount: u64) -> Result<(), BankError> {
    let i = find(accounts, id)?;
    let balance = accounts[i].balance;
    if balance < amount {
        return Err(BankError::InsufficientFunds((id, amount - balance)));
    }
    accounts[i].balance = balance - amount;
    Ok(())
}

bindings::export!(Bank with_types_in bindings);
