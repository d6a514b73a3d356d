//! The Cloudflare API v4 response envelope, decoded in exactly one place.
//!
//! Every v4 answer has the same wrapper (API reference, "Responses"):
//! `{"success": bool, "errors": [{"code", "message"}], "messages": [...], "result": ...,
//! "result_info": {"page", "per_page", "count", "total_count", "total_pages"}}`. Errors come
//! back in the same wrapper with `success: false` and a non-2xx status, so the status and the
//! error codes together decide which [`CloudflareError`] a failure is.

use super::error::CloudflareError;
use super::message::ApiMessage;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Pagination of list endpoints. Every field is optional: single-object endpoints omit the
/// block, and some list endpoints (load balancers) answer without it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ResultInfo {
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub per_page: Option<u32>,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub total_count: Option<u32>,
    #[serde(default)]
    pub total_pages: Option<u32>,
}

/// A successful answer: the typed `result` and its pagination.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub result: T,
    pub info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(default)]
    success: Option<bool>,
    /// Kept raw: entries that are plain strings (or worse) must not fail the whole answer.
    #[serde(default)]
    errors: serde_json::Value,
    #[serde(default)]
    result: Option<serde_json::Value>,
    #[serde(default)]
    result_info: Option<ResultInfo>,
}

/// Codes Cloudflare answers when the credentials themselves may be wrong, whatever the HTTP
/// status: missing headers (9106), an invalid or expired token (9109, 1000), unknown
/// key/e-mail (9103), a malformed `Authorization` header (6003 with 6111 in its chain).
/// 9109 is also answered to a valid token that lacks the permission ("Unauthorized to access
/// requested resource"); the client tells the two apart with the token-verify endpoint.
const INVALID_TOKEN_CODES: &[i64] = &[1000, 6003, 6111, 9103, 9106, 9109];

/// The generic "Authentication error": a bad token outside a 403, a valid token without the
/// permission inside one. Also resolved by token verify.
const AUTH_ERROR: i64 = 10000;

/// Codes that mean "invalid token" or "valid token, missing permission" depending on the
/// token: the ones worth a token-verify call.
pub(super) const AMBIGUOUS_AUTH_CODES: &[i64] = &[9109, AUTH_ERROR];

/// "Could not route" / "No route" (7003, 7000): the resource named in the path does not
/// exist.
const NOT_FOUND_CODES: &[i64] = &[7000, 7003];

/// 1001 is "Invalid zone identifier" on zone paths but is reused for unrelated refusals, so it
/// means "not found" only when its message says so.
const INVALID_ZONE: i64 = 1001;

/// Decodes one HTTP answer. `what` names the request in errors ("zone settings/ssl"). The body
/// must already be redacted (the client does that) because parts of it end up in messages.
/// 429 and 5xx are the client's to retry; when they reach here they are final.
pub fn decode<T: DeserializeOwned>(
    what: &str,
    status: u16,
    body: &str,
) -> Result<Page<T>, CloudflareError> {
    if status >= 500 {
        return Err(CloudflareError::Server {
            what: what.to_string(),
            status,
        });
    }
    let env: RawEnvelope = serde_json::from_str(body).map_err(|e| CloudflareError::Malformed {
        what: what.to_string(),
        message: format!("HTTP {status}, not a v4 JSON envelope: {e}"),
    })?;
    let ok_status = (200..300).contains(&status);
    if !ok_status || env.success != Some(true) {
        return Err(classify_failure(what, status, ApiMessage::list(env.errors)));
    }
    let raw = match env.result {
        Some(v) if !v.is_null() => v,
        _ => {
            return Err(CloudflareError::Malformed {
                what: what.to_string(),
                message: "`success` is true but `result` is missing".into(),
            })
        }
    };
    let result = serde_path_to_error::deserialize::<_, T>(raw).map_err(|e| {
        let path = e.path().to_string();
        CloudflareError::Malformed {
            what: what.to_string(),
            message: format!("at `result.{path}`: {}", e.into_inner()),
        }
    })?;
    Ok(Page {
        result,
        info: env.result_info,
    })
}

fn classify_failure(what: &str, status: u16, errors: Vec<ApiMessage>) -> CloudflareError {
    let codes: Vec<i64> = errors.iter().flat_map(ApiMessage::codes).collect();
    let has = |set: &[i64]| codes.iter().any(|c| set.contains(c));
    let what = what.to_string();
    if status == 401 || has(INVALID_TOKEN_CODES) {
        return CloudflareError::Unauthorized {
            what,
            status,
            errors,
            verified: None,
        };
    }
    if status == 403 {
        // A 403 without an invalid-token code is a valid token lacking a permission, or a plan
        // without the feature: fixable by scoping the token, so not called "invalid".
        return CloudflareError::Forbidden {
            what,
            status,
            errors,
            permission: None,
        };
    }
    if has(&[AUTH_ERROR]) {
        return CloudflareError::Unauthorized {
            what,
            status,
            errors,
            verified: None,
        };
    }
    let invalid_zone = errors.iter().any(|e| {
        e.code == INVALID_ZONE && e.message.to_ascii_lowercase().contains("zone identifier")
    });
    if status == 404 || has(NOT_FOUND_CODES) || invalid_zone {
        return CloudflareError::NotFound {
            what,
            status: Some(status),
            errors,
        };
    }
    CloudflareError::Api {
        what,
        status,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GapCode;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Thing {
        id: String,
    }

    #[test]
    fn decodes_result_and_pagination() {
        let body = r#"{"success":true,"errors":[],"messages":[],"result":[{"id":"a"}],
            "result_info":{"page":1,"per_page":20,"count":1,"total_count":1,"total_pages":1}}"#;
        let page: Page<Vec<Thing>> = decode("things", 200, body).unwrap();
        assert_eq!(page.result, vec![Thing { id: "a".into() }]);
        assert_eq!(page.info.unwrap().total_pages, Some(1));
    }

    #[test]
    fn an_invalid_token_is_unauthorized_whatever_the_status() {
        let body = r#"{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"messages":[],"result":null}"#;
        let err = decode::<Thing>("zones", 400, body).unwrap_err();
        assert_eq!(err.gap_code(), GapCode::InvalidCredentials);
        assert!(
            err.to_string().contains("9109 Invalid access token"),
            "{err}"
        );
    }

    #[test]
    fn forbidden_and_not_found_are_told_apart() {
        let body = r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"result":null}"#;
        assert_eq!(
            decode::<Thing>("x", 403, body).unwrap_err().gap_code(),
            GapCode::AccessDenied
        );
        let body = r#"{"success":false,"errors":[{"code":6003,"message":"Invalid request headers",
            "error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}]}"#;
        assert_eq!(
            decode::<Thing>("x", 403, body).unwrap_err().gap_code(),
            GapCode::InvalidCredentials
        );
        let body = r#"{"success":false,"errors":[{"code":1001,"message":"Invalid zone identifier"}],"result":null}"#;
        assert_eq!(
            decode::<Thing>("x", 400, body).unwrap_err().gap_code(),
            GapCode::NotFound
        );
        // The same number with another meaning is not "not found".
        let body = r#"{"success":false,"errors":[{"code":1001,"message":"Invalid request"}],"result":null}"#;
        assert_eq!(
            decode::<Thing>("x", 400, body).unwrap_err().gap_code(),
            GapCode::ApiError
        );
    }

    #[test]
    fn an_error_list_of_plain_strings_is_still_read() {
        let body = r#"{"success":false,"errors":["zone is locked"],"result":null}"#;
        let err = decode::<Thing>("x", 400, body).unwrap_err();
        assert_eq!(err.gap_code(), GapCode::ApiError);
        assert!(err.to_string().contains("zone is locked"), "{err}");
    }

    #[test]
    fn malformed_bodies_name_the_problem() {
        let err = decode::<Thing>("x", 200, "<html>oops</html>").unwrap_err();
        assert_eq!(err.gap_code(), GapCode::MalformedResponse);
        let err = decode::<Thing>("x", 200, r#"{"success":true,"result":{"id":5}}"#).unwrap_err();
        assert!(err.to_string().contains("result.id"), "{err}");
        let err = decode::<Thing>("x", 200, r#"{"success":true,"result":null}"#).unwrap_err();
        assert!(err.to_string().contains("`result` is missing"), "{err}");
        // `success` absent is not success: a proxy's JSON error page must not pass as data.
        let err = decode::<Thing>("x", 200, r#"{"result":{"id":"a"}}"#).unwrap_err();
        assert_eq!(err.gap_code(), GapCode::ApiError);
    }

    #[test]
    fn server_errors_do_not_need_a_json_body() {
        let err = decode::<Thing>("x", 502, "Bad Gateway").unwrap_err();
        assert_eq!(err.gap_code(), GapCode::ServerError);
    }
}
