//! The sandbox for administrator-written JavaScript (QuickJS through `rquickjs`).
//!
//! A script runs in a fresh runtime with a bare context: the language and `JSON`, `Date`,
//! `RegExp`, `Map` / `Set`, `Promise` (no job runs after the script, so nothing async
//! completes), and nothing else: no modules (`require`, `import`), no `std` / `os`,
//! no `fetch`, no timers, no console. Its input is the global `input` (a JSON value); its output
//! is the value of its last expression (called with `input` when it is a function), which must
//! be JSON. Each run has a wall-time limit (an interrupt handler checks a deadline), a memory
//! limit and a stack limit, runs on a blocking thread, and at most
//! [`Sandbox::concurrency`] run at once (a full pool is refused at once: 503).
//!
//! Errors name the kind of failure, the engine's error name and line: never the script text or
//! a value.

pub mod transform;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rquickjs::context::intrinsic;
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Runtime};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::DomainError;

/// What one run may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time from the start of the run.
    pub wall: Duration,
    /// Memory of the runtime (bytes).
    pub memory: usize,
    /// Stack of the interpreter (bytes).
    pub stack: usize,
    /// Longest output (bytes of JSON).
    pub output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { wall: Duration::from_millis(1000), memory: 32 << 20, stack: 512 << 10, output: 1 << 20 }
    }
}

/// Why a script failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// It ran past [`Limits::wall`].
    #[error("the script ran longer than {0} ms")]
    Timeout(u128),
    /// It used more than [`Limits::memory`].
    #[error("the script used more than {0} MiB of memory")]
    Memory(usize),
    /// It threw, or did not compile: the error's name (`SyntaxError`, `ReferenceError`…) and line.
    #[error("the script failed: {name}{}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Failed { name: String, line: Option<u32> },
    /// Its result is not JSON (what it is instead) or too long.
    #[error("the script's result {0}")]
    Output(String),
    /// Every slot of the pool is taken.
    #[error("too many scripts are running: try again shortly")]
    Busy,
    /// The engine could not start or the thread was lost.
    #[error("the script engine failed")]
    Engine,
}

impl From<ScriptError> for DomainError {
    fn from(e: ScriptError) -> Self {
        match e {
            // The engine fails only when it cannot get memory or a thread: retrying may work.
            ScriptError::Busy | ScriptError::Engine => DomainError::Busy(e.to_string()),
            _ => DomainError::Invalid(e.to_string()),
        }
    }
}

/// Runs scripts on blocking threads, at most `concurrency` at once.
#[derive(Debug, Clone)]
pub struct Sandbox {
    permits: Arc<Semaphore>,
    concurrency: usize,
    limits: Limits,
}

impl Sandbox {
    /// A pool of `concurrency` (at least 1) runs, each within `limits`.
    pub fn new(concurrency: usize, limits: Limits) -> Self {
        let concurrency = concurrency.max(1);
        Self { permits: Arc::new(Semaphore::new(concurrency)), concurrency, limits }
    }

    /// How many scripts may run at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The limits of each run.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Runs `script` with `input` on a blocking thread (see [`run`]); [`ScriptError::Busy`] at
    /// once when the pool is full.
    pub async fn run(&self, script: &str, input: &Value) -> Result<Value, ScriptError> {
        let permit = self.permits.clone().try_acquire_owned().map_err(|_| ScriptError::Busy)?;
        let (script, input, limits) = (script.to_owned(), input.to_string(), self.limits);
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _entered = span.enter();
            run(&script, &input, &limits)
        })
        .await
        .map_err(|_| ScriptError::Engine)?
    }
}

/// Runs `script` with the global `input` set to `input_json`, within `limits`, on this thread:
/// its result as JSON.
pub fn run(script: &str, input_json: &str, limits: &Limits) -> Result<Value, ScriptError> {
    let runtime = Runtime::new().map_err(|_| ScriptError::Engine)?;
    runtime.set_memory_limit(limits.memory);
    runtime.set_max_stack_size(limits.stack);
    let deadline = Instant::now() + limits.wall;
    let timed_out = Arc::new(AtomicBool::new(false));
    let flag = timed_out.clone();
    runtime.set_interrupt_handler(Some(Box::new(move || {
        let late = Instant::now() >= deadline;
        if late {
            flag.store(true, Ordering::Relaxed);
        }
        late
    })));
    type Bare = (
        intrinsic::Eval,
        intrinsic::Json,
        intrinsic::Date,
        intrinsic::RegExpCompiler,
        intrinsic::RegExp,
        intrinsic::MapSet,
        intrinsic::Promise,
    );
    let context = Context::custom::<Bare>(&runtime).map_err(|_| ScriptError::Engine)?;
    let result = context.with(|ctx| evaluate(&ctx, script, input_json, limits));
    if timed_out.load(Ordering::Relaxed) {
        return Err(ScriptError::Timeout(limits.wall.as_millis()));
    }
    result
}

fn evaluate(ctx: &Ctx<'_>, script: &str, input_json: &str, limits: &Limits) -> Result<Value, ScriptError> {
    let failed = |e: CaughtError<'_>| caught(e, limits);
    let input = ctx.json_parse(input_json).catch(ctx).map_err(failed)?;
    ctx.globals().set("input", input.clone()).catch(ctx).map_err(failed)?;
    let mut options = rquickjs::context::EvalOptions::default();
    options.strict = true;
    options.filename = Some("script".to_owned());
    let mut value: rquickjs::Value = ctx.eval_with_options(script, options).catch(ctx).map_err(failed)?;
    if let Some(f) = value.as_function() {
        value = f.call((input,)).catch(ctx).map_err(failed)?;
    }
    let what = value.type_name();
    if value.is_promise() {
        // No job runs after the script: an async result would never settle.
        return Err(ScriptError::Output("must be JSON, not a promise (async scripts are not supported)".to_owned()));
    }
    let json = ctx.json_stringify(value).catch(ctx).map_err(|e| match caught(e, limits) {
        ScriptError::Failed { .. } => {
            ScriptError::Output(format!("must be JSON, not a {what} that cannot be serialized"))
        }
        other => other,
    })?;
    let Some(json) = json else {
        return Err(ScriptError::Output(format!("must be JSON, not {what}")));
    };
    let json = json.to_string().map_err(|_| ScriptError::Engine)?;
    if json.len() > limits.output {
        return Err(ScriptError::Output(format!("must be at most {} bytes of JSON", limits.output)));
    }
    serde_json::from_str(&json).map_err(|_| ScriptError::Output("must be JSON".to_owned()))
}

/// The error a caught exception is: out of memory, or its name and line.
fn caught(e: CaughtError<'_>, limits: &Limits) -> ScriptError {
    let memory = ScriptError::Memory(limits.memory >> 20);
    match e {
        CaughtError::Error(rquickjs::Error::Allocation) => memory,
        CaughtError::Error(_) => ScriptError::Engine,
        CaughtError::Exception(ex) => {
            let name: String = ex.as_object().get("name").unwrap_or_else(|_| "Error".to_owned());
            if name == "InternalError" && ex.message().as_deref() == Some("out of memory") {
                return memory;
            }
            // A script may name its errors anything, data included: only the engine's names show.
            let name = if ERROR_NAMES.contains(&name.as_str()) { name } else { "Error".to_owned() };
            ScriptError::Failed { name, line: ex.stack().as_deref().and_then(line_of) }
        }
        // `throw null` is also how the engine reports running out of memory.
        CaughtError::Value(v) if v.is_null() => memory,
        CaughtError::Value(_) => {
            ScriptError::Failed { name: "a thrown value that is not an Error".to_owned(), line: None }
        }
    }
}

/// The names of the engine's own errors.
const ERROR_NAMES: [&str; 9] = [
    "Error",
    "EvalError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "TypeError",
    "URIError",
    "AggregateError",
    "InternalError",
];

/// The line of the script in a stack trace (`at … (script:LINE:COL)` or `at script:LINE:COL`).
fn line_of(stack: &str) -> Option<u32> {
    let at = stack.find("script:")? + "script:".len();
    stack[at..].split(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests;
