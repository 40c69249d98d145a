//! Per-request options: impersonation, bypass headers, duplicate detection, extra headers,
//! timeout and replay safety.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use uuid::Uuid;

/// Which custom business logic `MSCRM.BypassBusinessLogicExecution` skips.
///
/// The caller needs the `prvBypassCustomBusinessLogic` privilege.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BypassLogic {
    /// Synchronous plug-ins and real-time workflows (`CustomSync`).
    Sync,
    /// Asynchronous plug-ins and workflows (`CustomAsync`); flows are not affected.
    Async,
    /// Both (`CustomSync,CustomAsync`).
    All,
}

impl BypassLogic {
    fn header_value(self) -> &'static str {
        match self {
            BypassLogic::Sync => "CustomSync",
            BypassLogic::Async => "CustomAsync",
            BypassLogic::All => "CustomSync,CustomAsync",
        }
    }
}

/// Options for one request, or defaults for every request of a client
/// ([`ClientBuilder::default_options`](crate::ClientBuilder::default_options)). Options set on a
/// request override the client's defaults field by field.
///
/// ```
/// use std::time::Duration;
/// use dataverse_client::config::{BypassLogic, RequestOptions};
/// use uuid::Uuid;
///
/// let options = RequestOptions::new()
///     .impersonate(Uuid::nil()) // CallerObjectId: the user's Entra object id
///     .bypass_business_logic(BypassLogic::Sync)
///     .suppress_duplicate_detection(false) // turn duplicate detection on
///     .timeout(Duration::from_secs(30));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct RequestOptions {
    caller_object_id: Option<Uuid>,
    caller_system_user_id: Option<Uuid>,
    bypass_business_logic: Option<BypassLogic>,
    bypass_step_ids: Vec<Uuid>,
    bypass_custom_plugins: Option<bool>,
    suppress_duplicate_detection: Option<bool>,
    suppress_flows: Option<bool>,
    strong_consistency: Option<bool>,
    extra_headers: HeaderMap,
    timeout: Option<Duration>,
    replay_safe: Option<bool>,
}

impl RequestOptions {
    /// No options: the client's defaults apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// Run as another user, identified by their Microsoft Entra object id (`CallerObjectId`,
    /// the preferred form). The caller needs the `prvActOnBehalfOfAnotherUser` privilege.
    pub fn impersonate(mut self, entra_object_id: Uuid) -> Self {
        self.caller_object_id = Some(entra_object_id);
        self
    }

    /// Run as another user, identified by their `systemuserid` (`MSCRMCallerID`, the legacy
    /// form).
    pub fn impersonate_system_user(mut self, system_user_id: Uuid) -> Self {
        self.caller_system_user_id = Some(system_user_id);
        self
    }

    /// Skip custom synchronous and/or asynchronous logic
    /// (`MSCRM.BypassBusinessLogicExecution`).
    pub fn bypass_business_logic(mut self, which: BypassLogic) -> Self {
        self.bypass_business_logic = Some(which);
        self
    }

    /// Skip one registered plug-in step (`MSCRM.BypassBusinessLogicExecutionStepIds`); call
    /// repeatedly for several steps.
    pub fn bypass_step(mut self, step_id: Uuid) -> Self {
        self.bypass_step_ids.push(step_id);
        self
    }

    /// Skip custom synchronous plug-ins (`MSCRM.BypassCustomPluginExecution: true`); needs the
    /// `prvBypassCustomPlugins` privilege.
    pub fn bypass_custom_plugins(mut self, bypass: bool) -> Self {
        self.bypass_custom_plugins = Some(bypass);
        self
    }

    /// `MSCRM.SuppressDuplicateDetection`. The Web API suppresses duplicate detection by default;
    /// pass `false` to turn detection **on** for a create or update.
    pub fn suppress_duplicate_detection(mut self, suppress: bool) -> Self {
        self.suppress_duplicate_detection = Some(suppress);
        self
    }

    /// Do not trigger Power Automate flows (`MSCRM.SuppressCallbackRegistrationExpanderJob`); the
    /// flows' owners are not told. See
    /// [Bypass Power Automate flows](https://learn.microsoft.com/power-apps/developer/data-platform/optional-parameters#bypass-power-automate-flows).
    pub fn suppress_flows(mut self, suppress: bool) -> Self {
        self.suppress_flows = Some(suppress);
        self
    }

    /// `Consistency: Strong`: bypass metadata and permission caches, at a small cost.
    pub fn strong_consistency(mut self, strong: bool) -> Self {
        self.strong_consistency = Some(strong);
        self
    }

    /// Add a header to the request (replacing one with the same name from the client defaults).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.extra_headers.insert(name, value);
        self
    }

    /// The time one attempt may take until the response headers arrive; overrides the client's
    /// [`timeout`](crate::ClientBuilder::timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Declare that this request may be sent again even after it possibly reached the server.
    ///
    /// By default a `POST` (create, associate, action, `$batch` with writes) is replayed only
    /// when the server did not process it: after `429 Too Many Requests` or a failed connection.
    /// Set this when a replay cannot duplicate an effect, for example a create whose body
    /// carries its own primary key (a replay then fails with a duplicate-key error instead of
    /// creating a second row). It also enables replay after `502`/`503`/`504` and timeouts.
    pub fn replay_safe(mut self, safe: bool) -> Self {
        self.replay_safe = Some(safe);
        self
    }

    /// The per-attempt timeout, if set.
    pub fn timeout_value(&self) -> Option<Duration> {
        self.timeout
    }

    pub(crate) fn replay_safe_value(&self) -> Option<bool> {
        self.replay_safe
    }

    /// `self` with every field that `over` sets taken from `over`.
    pub(crate) fn merged_with(&self, over: &RequestOptions) -> RequestOptions {
        let mut extra_headers = self.extra_headers.clone();
        for (name, value) in &over.extra_headers {
            extra_headers.insert(name.clone(), value.clone());
        }
        let mut bypass_step_ids = self.bypass_step_ids.clone();
        bypass_step_ids.extend(over.bypass_step_ids.iter().copied());
        RequestOptions {
            caller_object_id: over.caller_object_id.or(self.caller_object_id),
            caller_system_user_id: over.caller_system_user_id.or(self.caller_system_user_id),
            bypass_business_logic: over.bypass_business_logic.or(self.bypass_business_logic),
            bypass_step_ids,
            bypass_custom_plugins: over.bypass_custom_plugins.or(self.bypass_custom_plugins),
            suppress_duplicate_detection: over
                .suppress_duplicate_detection
                .or(self.suppress_duplicate_detection),
            suppress_flows: over.suppress_flows.or(self.suppress_flows),
            strong_consistency: over.strong_consistency.or(self.strong_consistency),
            extra_headers,
            timeout: over.timeout.or(self.timeout),
            replay_safe: over.replay_safe.or(self.replay_safe),
        }
    }

    /// Write the option headers into `headers`.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        fn set(headers: &mut HeaderMap, name: &'static str, value: String) {
            if let Ok(value) = HeaderValue::try_from(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        if let Some(id) = self.caller_object_id {
            set(headers, "callerobjectid", id.to_string());
        }
        if let Some(id) = self.caller_system_user_id {
            set(headers, "mscrmcallerid", id.to_string());
        }
        if let Some(which) = self.bypass_business_logic {
            set(headers, "mscrm.bypassbusinesslogicexecution", which.header_value().to_owned());
        }
        if !self.bypass_step_ids.is_empty() {
            let ids: Vec<String> = self.bypass_step_ids.iter().map(Uuid::to_string).collect();
            set(headers, "mscrm.bypassbusinesslogicexecutionstepids", ids.join(","));
        }
        if let Some(bypass) = self.bypass_custom_plugins {
            set(headers, "mscrm.bypasscustompluginexecution", bypass.to_string());
        }
        if let Some(suppress) = self.suppress_duplicate_detection {
            set(headers, "mscrm.suppressduplicatedetection", suppress.to_string());
        }
        if let Some(suppress) = self.suppress_flows {
            set(headers, "mscrm.suppresscallbackregistrationexpanderjob", suppress.to_string());
        }
        if self.strong_consistency == Some(true) {
            set(headers, "consistency", "Strong".to_owned());
        }
        for (name, value) in &self.extra_headers {
            headers.insert(name.clone(), value.clone());
        }
    }
}

impl fmt::Debug for RequestOptions {
    // Hand-written: extra headers may carry credentials of a proxy, so only their names print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.extra_headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("RequestOptions")
            .field("caller_object_id", &self.caller_object_id)
            .field("caller_system_user_id", &self.caller_system_user_id)
            .field("bypass_business_logic", &self.bypass_business_logic)
            .field("bypass_step_ids", &self.bypass_step_ids)
            .field("bypass_custom_plugins", &self.bypass_custom_plugins)
            .field("suppress_duplicate_detection", &self.suppress_duplicate_detection)
            .field("suppress_flows", &self.suppress_flows)
            .field("strong_consistency", &self.strong_consistency)
            .field("extra_headers", &header_names)
            .field("timeout", &self.timeout)
            .field("replay_safe", &self.replay_safe)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
        headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[test]
    fn writes_every_header() {
        let user = Uuid::from_u128(1);
        let step_a = Uuid::from_u128(2);
        let step_b = Uuid::from_u128(3);
        let options = RequestOptions::new()
            .impersonate(user)
            .impersonate_system_user(user)
            .bypass_business_logic(BypassLogic::All)
            .bypass_step(step_a)
            .bypass_step(step_b)
            .bypass_custom_plugins(true)
            .suppress_duplicate_detection(false)
            .suppress_flows(true)
            .strong_consistency(true)
            .header(HeaderName::from_static("x-custom"), HeaderValue::from_static("1"));
        let mut headers = HeaderMap::new();
        options.apply(&mut headers);
        assert_eq!(
            header(&headers, "CallerObjectId"),
            Some("00000000-0000-0000-0000-000000000001")
        );
        assert_eq!(header(&headers, "MSCRMCallerID"), Some("00000000-0000-0000-0000-000000000001"));
        assert_eq!(
            header(&headers, "MSCRM.BypassBusinessLogicExecution"),
            Some("CustomSync,CustomAsync")
        );
        assert_eq!(
            header(&headers, "MSCRM.BypassBusinessLogicExecutionStepIds"),
            Some("00000000-0000-0000-0000-000000000002,00000000-0000-0000-0000-000000000003")
        );
        assert_eq!(header(&headers, "MSCRM.BypassCustomPluginExecution"), Some("true"));
        assert_eq!(header(&headers, "MSCRM.SuppressDuplicateDetection"), Some("false"));
        assert_eq!(header(&headers, "MSCRM.SuppressCallbackRegistrationExpanderJob"), Some("true"));
        assert_eq!(header(&headers, "Consistency"), Some("Strong"));
        assert_eq!(header(&headers, "x-custom"), Some("1"));
    }

    #[test]
    fn request_options_override_defaults_field_by_field() {
        let defaults = RequestOptions::new()
            .bypass_business_logic(BypassLogic::Async)
            .timeout(Duration::from_secs(10))
            .header(HeaderName::from_static("x-a"), HeaderValue::from_static("default"));
        let request = RequestOptions::new()
            .timeout(Duration::from_secs(3))
            .header(HeaderName::from_static("x-a"), HeaderValue::from_static("request"));
        let merged = defaults.merged_with(&request);
        assert_eq!(merged.timeout_value(), Some(Duration::from_secs(3)));
        let mut headers = HeaderMap::new();
        merged.apply(&mut headers);
        assert_eq!(header(&headers, "MSCRM.BypassBusinessLogicExecution"), Some("CustomAsync"));
        assert_eq!(header(&headers, "x-a"), Some("request"));
    }

    #[test]
    fn debug_shows_header_names_only() {
        let options = RequestOptions::new()
            .header(HeaderName::from_static("x-proxy-key"), HeaderValue::from_static("hunter2"));
        let printed = format!("{options:?}");
        assert!(printed.contains("x-proxy-key"));
        assert!(!printed.contains("hunter2"));
    }
}
