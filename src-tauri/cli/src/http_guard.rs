//! What `br serve` checks before any handler reads a request: that it is addressed to this server by a
//! name it answers to (a page on another site that rebinds its own name to 127.0.0.1 sends its own
//! name as `Host`), that a browser sent it from our own pages (`Origin`, `Sec-Fetch-Site`), and that an
//! API call is JSON (a cross-site form can send `text/plain` without asking, never `application/json`).
//! A refusal says why in the API's error shape and is logged without the request's content.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use br_api::{ApiError, ErrorCode};

/// The `Host` values this server answers to (its address, `localhost` on a loopback address, and the names
/// it was given), and the scheme its own pages' `Origin` has.
#[derive(Clone)]
pub struct AllowedHosts {
    hosts: Arc<Vec<String>>,
    origin_scheme: &'static str,
}

impl AllowedHosts {
    pub fn for_address(address: SocketAddr, names: &[String], tls: bool) -> AllowedHosts {
        let port = address.port();
        let mut hosts = vec![address.to_string()];
        if address.ip().is_loopback() {
            hosts.extend([format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}")]);
        }
        for name in names {
            hosts.push(format!("{name}:{port}"));
            // Browsers leave the default port out of Host.
            if (tls && port == 443) || (!tls && port == 80) {
                hosts.push(name.clone());
            }
        }
        hosts.dedup();
        AllowedHosts { hosts: Arc::new(hosts), origin_scheme: if tls { "https://" } else { "http://" } }
    }

    fn allows(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

fn refuse(status: StatusCode, why: &str) -> Response {
    tracing::warn!(why, "an HTTP request was refused");
    let error = ApiError { code: ErrorCode::RequestRefused, message: format!("request refused: {why}"), details: None };
    (status, Json(error)).into_response()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Why a request must be refused, if it must.
fn check(
    allowed: &AllowedHosts,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Option<(StatusCode, &'static str)> {
    let host = header_str(headers, header::HOST).unwrap_or("");
    if !allowed.allows(host) {
        return Some((StatusCode::MISDIRECTED_REQUEST, "the Host header does not name this server"));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let same =
            origin.to_str().ok().and_then(|o| o.strip_prefix(allowed.origin_scheme)).is_some_and(|o| allowed.allows(o));
        if !same {
            return Some((StatusCode::FORBIDDEN, "the request comes from another site"));
        }
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.to_str(), Ok("same-origin" | "none")) {
            return Some((StatusCode::FORBIDDEN, "the request comes from another site"));
        }
    }
    if method == Method::POST && path.starts_with("/api/") {
        // Uploads are raw bytes; every other call is JSON. Neither type can be sent cross-site unasked.
        let (wanted, why) = if path == "/api/upload" {
            ("application/octet-stream", "uploads are application/octet-stream")
        } else {
            ("application/json", "API requests are application/json")
        };
        let given = header_str(headers, header::CONTENT_TYPE)
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case(wanted));
        if !given {
            return Some((StatusCode::UNSUPPORTED_MEDIA_TYPE, why));
        }
    }
    None
}

pub async fn guard(State(allowed): State<AllowedHosts>, request: Request, next: Next) -> Response {
    if let Some((status, why)) = check(&allowed, request.method(), request.uri().path(), request.headers()) {
        return refuse(status, why);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn foreign_hosts_origins_and_content_types_are_refused() {
        let allowed = AllowedHosts::for_address("127.0.0.1:8080".parse().unwrap(), &[], false);
        let post = Method::POST;
        let ok = headers(&[("host", "127.0.0.1:8080"), ("content-type", "application/json")]);
        assert!(check(&allowed, &post, "/api/app", &ok).is_none());
        let ok = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
            ("content-type", "application/json; charset=utf-8"),
        ]);
        assert!(check(&allowed, &post, "/api/app", &ok).is_none());
        let rebound = headers(&[("host", "evil.example"), ("content-type", "application/json")]);
        assert_eq!(check(&allowed, &post, "/api/app", &rebound).unwrap().0, StatusCode::MISDIRECTED_REQUEST);
        let cross = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example"),
            ("content-type", "application/json"),
        ]);
        assert_eq!(check(&allowed, &post, "/api/app", &cross).unwrap().0, StatusCode::FORBIDDEN);
        let form = headers(&[("host", "127.0.0.1:8080"), ("content-type", "text/plain")]);
        assert_eq!(check(&allowed, &post, "/api/app", &form).unwrap().0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let fetch = headers(&[
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "cross-site"),
            ("content-type", "application/json"),
        ]);
        assert_eq!(check(&allowed, &post, "/api/app", &fetch).unwrap().0, StatusCode::FORBIDDEN);
        let no_host = headers(&[("content-type", "application/json")]);
        assert!(check(&allowed, &post, "/api/app", &no_host).is_some());
    }

    #[test]
    fn over_tls_the_given_names_and_https_origins_are_ours_and_plain_http_origins_are_not() {
        let allowed =
            AllowedHosts::for_address("0.0.0.0:443".parse().unwrap(), &["registry.district.example".into()], true);
        let post = Method::POST;
        let ok = headers(&[
            ("host", "registry.district.example"),
            ("origin", "https://registry.district.example"),
            ("content-type", "application/json"),
        ]);
        assert!(check(&allowed, &post, "/api/app", &ok).is_none());
        let downgraded = headers(&[
            ("host", "registry.district.example"),
            ("origin", "http://registry.district.example"),
            ("content-type", "application/json"),
        ]);
        assert_eq!(check(&allowed, &post, "/api/app", &downgraded).unwrap().0, StatusCode::FORBIDDEN);
        let other = headers(&[("host", "other.example"), ("content-type", "application/json")]);
        assert_eq!(check(&allowed, &post, "/api/app", &other).unwrap().0, StatusCode::MISDIRECTED_REQUEST);
    }
}
