//! Support for the conformance macros; not a public API.
//!
//! The macros accept `setup` and `written` closures that are either synchronous or
//! asynchronous. Method resolution picks the asynchronous path when the closure (or its
//! result) is a future and falls back, through auto-reference, to the synchronous one
//! ("autoref specialization"), so both forms need no annotation from the author.

use std::future::{Future, Ready, ready};

pub use connect_api::config::RawConfig;
pub use connect_api::{SinkTask, SourceTask};

/// Wraps a closure or a value for the dispatch below.
pub struct Wrap<T>(pub T);

/// A `setup` closure that returns a future.
pub trait SetupAsync {
    /// What the future yields.
    type Output;
    /// The future.
    type Future: Future<Output = Self::Output>;
    /// Calls the closure.
    fn run_setup(self) -> Self::Future;
}

impl<F, Fut> SetupAsync for Wrap<F>
where
    F: FnOnce() -> Fut,
    Fut: Future,
{
    type Output = Fut::Output;
    type Future = Fut;
    fn run_setup(self) -> Fut {
        (self.0)()
    }
}

/// A `setup` closure that returns its outcome directly.
pub trait SetupSync {
    /// The outcome.
    type Output;
    /// Calls the closure.
    fn run_setup(self) -> Ready<Self::Output>;
}

impl<F, T> SetupSync for &Wrap<F>
where
    F: Fn() -> T,
{
    type Output = T;
    fn run_setup(self) -> Ready<T> {
        ready((self.0)())
    }
}

/// What a `written` closure returned, when it is a future.
pub trait WrittenAsync {
    /// What the future yields.
    type Output;
    /// The future.
    type Future: Future<Output = Self::Output>;
    /// The future itself.
    fn resolve(self) -> Self::Future;
}

impl<F: Future> WrittenAsync for Wrap<F> {
    type Output = F::Output;
    type Future = F;
    fn resolve(self) -> F {
        self.0
    }
}

/// What a `written` closure returned, when it is the values themselves.
pub trait WrittenSync {
    /// The values.
    type Output;
    /// The values, ready.
    fn resolve(self) -> Ready<Self::Output>;
}

impl<T: Clone> WrittenSync for &Wrap<T> {
    type Output = T;
    fn resolve(self) -> Ready<T> {
        ready(self.0.clone())
    }
}
