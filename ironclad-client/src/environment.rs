//! Which Ironclad deployment the client talks to.

use std::fmt;
use std::str::FromStr;

use url::Url;

use crate::Error;
use crate::ids::WorkflowId;

/// The path of the Public API under an Ironclad host.
pub const API_PATH: &str = "/public/api/v1";

/// An Ironclad deployment.
///
/// Most customers are on [`Environment::Global`] (`ironcladapp.com`, also served as `na1`); EU
/// customers on [`Environment::Eu1`]. Ironclad's advice is to log in and check the domain. A
/// purchased separate sandbox instance, a proxy or a local emulator is a [`Environment::custom`]
/// base URL.
///
/// ```
/// use ironclad_client::config::Environment;
///
/// assert_eq!(Environment::Eu1.api_base().as_str(), "https://eu1.ironcladapp.com/public/api/v1/");
/// assert_eq!(Environment::Demo.token_url().as_str(), "https://demo.ironcladapp.com/oauth/token");
///
/// // A custom base URL may be a host or the full API base.
/// let local = Environment::custom("http://127.0.0.1:8080")?;
/// assert_eq!(local.api_base().as_str(), "http://127.0.0.1:8080/public/api/v1/");
/// let same = Environment::custom("http://127.0.0.1:8080/public/api/v1")?;
/// assert_eq!(same.api_base(), local.api_base());
///
/// // Parse configuration strings.
/// assert_eq!("eu1".parse::<Environment>()?, Environment::Eu1);
/// # Ok::<(), ironclad_client::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Environment {
    /// `https://ironcladapp.com`: global production, where most customers are.
    #[default]
    Global,
    /// `https://na1.ironcladapp.com`: the same deployment under its regional name.
    Na1,
    /// `https://eu1.ironcladapp.com`: EU production.
    Eu1,
    /// `https://demo.ironcladapp.com`: demo / sandbox tenants (lower rate limits).
    Demo,
    /// `https://preview.ironcladapp.com`: preview features.
    Preview,
    /// Any other base: a separate sandbox instance, a proxy, or a local emulator. Holds the host
    /// root (the API lives at `<root>/public/api/v1`, OAuth at `<root>/oauth`).
    Custom(Url),
}

impl Environment {
    /// A custom deployment from a base URL: either a host root (`https://acme.example.com`, or
    /// with a path prefix for a proxy) or the full API base ending in `/public/api/v1`.
    ///
    /// # Errors
    /// [`Error::Config`] when the URL does not parse or is not `http(s)`.
    pub fn custom(base_url: &str) -> Result<Self, Error> {
        let mut url = Url::parse(base_url.trim())
            .map_err(|e| Error::Config(format!("invalid Ironclad base URL {base_url:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(Error::Config(format!(
                "the Ironclad base URL must be an http(s) URL with a host, got {base_url:?}"
            )));
        }
        url.set_query(None);
        url.set_fragment(None);
        let path = url.path().trim_end_matches('/').to_owned();
        let root = path.strip_suffix(API_PATH).unwrap_or(&path).to_owned();
        url.set_path(&format!("{root}/"));
        Ok(Environment::Custom(url))
    }

    /// The host root, e.g. `https://ironcladapp.com/`.
    pub fn root(&self) -> Url {
        let host = match self {
            Environment::Global => "https://ironcladapp.com/",
            Environment::Na1 => "https://na1.ironcladapp.com/",
            Environment::Eu1 => "https://eu1.ironcladapp.com/",
            Environment::Demo => "https://demo.ironcladapp.com/",
            Environment::Preview => "https://preview.ironcladapp.com/",
            Environment::Custom(url) => return url.clone(),
        };
        preset(host)
    }

    /// The Public API base with a trailing slash, e.g. `https://ironcladapp.com/public/api/v1/`.
    pub fn api_base(&self) -> Url {
        self.join("public/api/v1/")
    }

    /// The OAuth token endpoint, e.g. `https://ironcladapp.com/oauth/token`.
    pub fn token_url(&self) -> Url {
        self.join("oauth/token")
    }

    /// The OAuth authorization endpoint users are sent to, e.g.
    /// `https://ironcladapp.com/oauth/authorize`.
    pub fn authorize_url(&self) -> Url {
        self.join("oauth/authorize")
    }

    /// The browser URL of a workflow, e.g. `https://ironcladapp.com/workflow/<id>`.
    pub fn workflow_browser_url(&self, workflow_id: impl Into<WorkflowId>) -> Url {
        let workflow_id: WorkflowId = workflow_id.into();
        let mut url = self.root();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("workflow").push(&workflow_id);
        }
        url
    }

    fn join(&self, relative: &str) -> Url {
        let root = self.root();
        root.join(relative).unwrap_or(root)
    }
}

/// A preset host root. The inputs are the literals above, which always parse (the unit test
/// below proves each one), so this cannot fail on user input.
#[allow(clippy::expect_used)]
fn preset(host: &'static str) -> Url {
    Url::parse(host).expect("preset Ironclad hosts are valid URLs")
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Global => f.write_str("ironcladapp.com"),
            Environment::Na1 => f.write_str("na1"),
            Environment::Eu1 => f.write_str("eu1"),
            Environment::Demo => f.write_str("demo"),
            Environment::Preview => f.write_str("preview"),
            Environment::Custom(url) => write!(f, "{url}"),
        }
    }
}

impl FromStr for Environment {
    type Err = Error;

    /// `global`/`ironcladapp.com`/`production`, `na1`, `eu1`, `demo`, `preview` (case-insensitive,
    /// also as `<name>.ironcladapp.com`), or a base URL.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let name = value.trim().to_ascii_lowercase();
        let name = name.strip_suffix(".ironcladapp.com").unwrap_or(&name);
        Ok(match name {
            "global" | "ironcladapp.com" | "production" | "prod" => Environment::Global,
            "na1" => Environment::Na1,
            "eu1" => Environment::Eu1,
            "demo" => Environment::Demo,
            "preview" => Environment::Preview,
            _ => Environment::custom(value)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_custom_bases() {
        let cases = [
            (Environment::Global, "https://ironcladapp.com/public/api/v1/"),
            (Environment::Na1, "https://na1.ironcladapp.com/public/api/v1/"),
            (Environment::Eu1, "https://eu1.ironcladapp.com/public/api/v1/"),
            (Environment::Demo, "https://demo.ironcladapp.com/public/api/v1/"),
            (Environment::Preview, "https://preview.ironcladapp.com/public/api/v1/"),
        ];
        for (env, base) in cases {
            assert_eq!(env.api_base().as_str(), base);
        }
        let proxied = Environment::custom("https://proxy.example.com/ironclad/").unwrap();
        assert_eq!(
            proxied.api_base().as_str(),
            "https://proxy.example.com/ironclad/public/api/v1/"
        );
        assert_eq!(proxied.token_url().as_str(), "https://proxy.example.com/ironclad/oauth/token");
        let full = Environment::custom("https://acme.example.com/public/api/v1/?x=1").unwrap();
        assert_eq!(full.api_base().as_str(), "https://acme.example.com/public/api/v1/");
        assert!(Environment::custom("ftp://x").is_err());
        assert!(Environment::custom("not a url").is_err());
        assert_eq!("NA1.ironcladapp.com".parse::<Environment>().unwrap(), Environment::Na1);
        assert_eq!(
            Environment::Global.workflow_browser_url("6a6b").as_str(),
            "https://ironcladapp.com/workflow/6a6b"
        );
    }
}
