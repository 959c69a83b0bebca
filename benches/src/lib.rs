//! # benches
//!
//! Not built yet. This crate will hold the criterion micro-benchmarks and the end-to-end
//! harness that prints each figure as a ratio against a baseline run side by side.
