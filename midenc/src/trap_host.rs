//! The VM host of a run: the default host (libraries, event handlers, the clock and profile
//! probe) plus the source location of a failing instruction, so that a trap can name the Wasm
//! function and operator it happened in (`midenc_linker::TrapTable`).
//!
//! When an instruction fails, the VM asks the host to resolve the instruction's location (the
//! module source's URI and the instruction's byte range, recorded by the assembler); this host
//! remembers the last location it was asked about. Nothing is recorded while the program runs,
//! so a run costs what it did.

use std::sync::{Arc, Mutex};

use miden_assembly::debuginfo::{Location, SourceFile, SourceSpan};
use miden_mast_package::Word;
use miden_processor::{
    advice::AdviceMutation,
    event::{EventError, EventName},
    mast::MastForest,
    BaseHost, DebugError, DebugHandler, DefaultHost, ProcessorState, SyncHost, TraceError,
};
use midenc_linker::{TrapLocation, TrapTable};

/// A [`DefaultHost`] that remembers the location of the instruction that failed.
pub(crate) struct TrapHost<D: DebugHandler> {
    /// The host every request goes to.
    pub(crate) inner: DefaultHost<D>,
    /// The last location the VM asked about: that of a failing instruction.
    failed_at: Mutex<Option<Location>>,
}

impl<D: DebugHandler> TrapHost<D> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: DefaultHost<D>) -> Self {
        TrapHost {
            inner,
            failed_at: Mutex::new(None),
        }
    }

    /// Where the failing instruction comes from, by the first of `tables` that knows its
    /// module.
    pub(crate) fn trap_location(&self, tables: &[&TrapTable]) -> Option<TrapLocation> {
        let guard = self.failed_at.lock().ok()?;
        let location = guard.as_ref()?;
        let at = location.start.to_u32() as usize;
        tables
            .iter()
            .find_map(|t| t.locate(location.uri.as_str(), at))
    }
}

impl<D: DebugHandler> BaseHost for TrapHost<D> {
    fn get_label_and_source_file(
        &self,
        location: &Location,
    ) -> (SourceSpan, Option<Arc<SourceFile>>) {
        if let Ok(mut failed_at) = self.failed_at.lock() {
            *failed_at = Some(location.clone());
        }
        self.inner.get_label_and_source_file(location)
    }

    fn on_debug(
        &mut self,
        process: &ProcessorState,
        options: &miden_processor::operation::DebugOptions,
    ) -> Result<(), DebugError> {
        self.inner.on_debug(process, options)
    }

    fn on_trace(&mut self, process: &ProcessorState, trace_id: u32) -> Result<(), TraceError> {
        self.inner.on_trace(process, trace_id)
    }

    fn resolve_event(&self, event_id: miden_processor::event::EventId) -> Option<&EventName> {
        self.inner.resolve_event(event_id)
    }
}

impl<D: DebugHandler> SyncHost for TrapHost<D> {
    fn get_mast_forest(&self, node_digest: &Word) -> Option<Arc<MastForest>> {
        self.inner.get_mast_forest(node_digest)
    }

    fn on_event(
        &mut self,
        process: &ProcessorState<'_>,
    ) -> Result<Vec<AdviceMutation>, EventError> {
        self.inner.on_event(process)
    }
}
