//! What the benchmarks share: a generated company of any size ([`workload`]), the backfill
//! measurement against the fakes with injected latency ([`backfill`]), the naive baseline
//! ([`naive`]), and the peak-memory probes of a long customer backfill ([`memory`]) and of a
//! long invoice backfill on the embedded store ([`invoice_memory`]).
//!
//! The program is `src/bin/bench_backfill.rs`; the micro-benchmarks are in `benches/`. The
//! figures and how to reproduce them are in `docs/performance.md`.

pub mod backfill;
pub mod invoice_memory;
pub mod memory;
pub mod naive;
pub mod options;
pub mod workload;
