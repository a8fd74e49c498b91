//! Telemetry, set up once per process:
//! - logs: `RUST_LOG` filter (default `info`), JSON lines when `LOG_FORMAT=json`; text lines
//!   escape and bound every field ([`SafeFields`]), so one event is always one line;
//! - traces: exported over OTLP/HTTP (protobuf) only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//!   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the standard `OTEL_*` variables (batch delay,
//!   headers, timeout) apply. Request spans come from [`crate::request_log`] (on
//!   `tracing-actix-web`), which continues an incoming W3C `traceparent` ([`continue_trace`]).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Flushes and stops trace export when dropped: keep it alive for the life of the process.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(Err(e)) = self.provider.take().map(|p| p.shutdown()) {
            eprintln!("trace export did not shut down cleanly: {e}");
        }
    }
}

fn otlp_configured() -> bool {
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()))
}

fn tracer_provider(service: &'static str) -> Result<SdkTracerProvider, String> {
    let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build().map_err(|e| e.to_string())?;
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service).build();
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}

/// The log filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Installs the global subscriber for `service`, writing to stderr; a second call installs nothing.
pub fn init(service: &'static str, json: bool) -> Telemetry {
    use std::io::IsTerminal as _;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    install(service, json, filter, std::io::stderr, std::io::stderr().is_terminal())
}

/// [`init`] with another filter and destination, without colours (tests read the log they
/// capture this way).
pub fn init_with_writer<W>(service: &'static str, json: bool, filter: EnvFilter, writer: W) -> Telemetry
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    install(service, json, filter, writer, false)
}

fn install<W>(service: &'static str, json: bool, filter: EnvFilter, writer: W, ansi: bool) -> Telemetry
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt::layer().with_target(false).with_ansi(ansi).with_writer(writer);
    // Text lines get escaped, bounded fields (JSON lines are escaped by the encoder).
    let fmt = if json { fmt.json().flatten_event(true).boxed() } else { fmt.fmt_fields(SafeFields).boxed() };
    let (provider, otel_error) = if otlp_configured() {
        match tracer_provider(service) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    let otel = provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(service)));
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(crate::request_log::ParserNoise)
        .with(fmt)
        .with(otel)
        .try_init()
        .is_ok();
    if !installed {
        tracing::debug!("tracing subscriber already installed");
        return Telemetry::default();
    }
    if let Some(e) = otel_error {
        tracing::warn!(error = %e, "OTLP trace export is configured but could not start; traces are not exported");
    }
    if provider.is_some() {
        opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
        tracing::info!("exporting traces over OTLP");
    }
    Telemetry { provider }
}

/// Continues the trace of an incoming request's `traceparent` in `span` (a new trace when it has
/// none), and records the trace id in the span's `trace_id` field.
pub fn continue_trace(headers: &actix_web::http::header::HeaderMap, span: &tracing::Span) {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    struct Headers<'a>(&'a actix_web::http::header::HeaderMap);
    impl opentelemetry::propagation::Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(actix_web::http::header::HeaderName::as_str).collect()
        }
    }
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    // Without a tracing-opentelemetry layer there is no context to attach: nothing to do.
    let _ = span.set_parent(parent);
    let trace_id = span.context().span().span_context().trace_id();
    if trace_id != opentelemetry::trace::TraceId::INVALID {
        span.record("trace_id", tracing::field::display(format_args!("{trace_id:032x}")));
    }
}

/// Text-log fields: each value escaped (no control character, so one event is one line) and
/// bounded to [`MAX_FIELD_BYTES`] ([`MAX_MESSAGE_BYTES`] for the message), whatever a handler
/// put in it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SafeFields;

/// The most bytes one field of a text log line may take.
pub const MAX_FIELD_BYTES: usize = 512;

/// The most bytes the message of a text log line may take.
pub const MAX_MESSAGE_BYTES: usize = 1024;

struct SafeVisitor<'a, 'w> {
    writer: &'a mut Writer<'w>,
    first: bool,
    result: std::fmt::Result,
}

impl tracing::field::Visit for SafeVisitor<'_, '_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.record_debug(field, &value);
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        let text = format!("{value:?}");
        let value = crate::request_log::bounded(&text);
        let separator = if std::mem::take(&mut self.first) { "" } else { " " };
        self.result = match name {
            "message" => write!(self.writer, "{separator}{}", value.at_most(MAX_MESSAGE_BYTES)),
            name => {
                write!(self.writer, "{separator}{}={}", name.trim_start_matches("r#"), value.at_most(MAX_FIELD_BYTES))
            }
        };
    }
}

impl<'w> FormatFields<'w> for SafeFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> std::fmt::Result {
        let mut visitor = SafeVisitor { writer: &mut writer, first: true, result: Ok(()) };
        fields.record(&mut visitor);
        visitor.result
    }
}

/// Puts the current span's trace context (`traceparent`, `tracestate`) into outgoing headers, so a
/// call to another service continues this trace. A no-op when traces are not exported.
pub fn inject_trace_context(headers: &mut Vec<(String, String)>) {
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    struct Headers<'a>(&'a mut Vec<(String, String)>);
    impl opentelemetry::propagation::Injector for Headers<'_> {
        fn set(&mut self, key: &str, value: String) {
            self.0.push((key.to_owned(), value));
        }
    }
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, &mut Headers(headers)));
}

/// For tests: logs only when `TEST_LOG` is set.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        std::mem::forget(init("test", false));
    }
}
