//! Talking to the running `gateway-api` over HTTP: login, multipart uploads encoded by hand (so a
//! test controls every byte), JSON reads, error-shape checks.

use serde_json::{Value, json};

/// One multipart form part.
#[derive(Debug, Clone)]
pub struct Part {
    /// Field name.
    pub name: String,
    /// File name (a file part) or `None` (a text field).
    pub filename: Option<String>,
    /// Content.
    pub data: Vec<u8>,
}

impl Part {
    /// The `file` field.
    pub fn file(filename: &str, data: Vec<u8>) -> Part {
        Part {
            name: "file".into(),
            filename: Some(filename.into()),
            data,
        }
    }

    /// A text field.
    pub fn text(name: &str, value: &str) -> Part {
        Part {
            name: name.into(),
            filename: None,
            data: value.as_bytes().to_vec(),
        }
    }
}

/// The boundary of [`encode`].
pub const BOUNDARY: &str = "----suiteboundaryQ7x9AbCdEfGh";

/// (content type, body) of a multipart/form-data request.
pub fn encode(parts: &[Part]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let head = match &p.filename {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\n\
                 Content-Type: text/csv\r\n\r\n",
                p.name
            ),
            None => format!(
                "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                p.name
            ),
        };
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(&p.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// A client of one API base URL.
#[derive(Clone)]
pub struct Api {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The HTTP client (no redirects, 60 s timeout).
    pub http: reqwest::Client,
}

/// Access and refresh tokens from a login.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Access token.
    pub access: String,
    /// Refresh token.
    pub refresh: String,
    /// The `user` object of the answer.
    pub user: Value,
}

impl Api {
    /// A client of `base`.
    pub fn new(base: &str) -> Api {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_else(|e| panic!("http client: {e}"));
        Api {
            base: base.to_string(),
            http,
        }
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POST /api/auth/login with any JSON body.
    pub async fn login_raw(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url("/api/auth/login"))
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("login request: {e}"))
    }

    /// Logs in, asserting 200.
    pub async fn login(&self, username: &str, password: &str) -> Tokens {
        let res = self
            .login_raw(&json!({"username": username, "password": password}))
            .await;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "login of {username}: {body}");
        Tokens {
            access: body["access"].as_str().unwrap_or_default().to_string(),
            refresh: body["refresh"].as_str().unwrap_or_default().to_string(),
            user: body["user"].clone(),
        }
    }

    /// GET with a bearer token.
    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// GET with a bearer token, asserting 200, as JSON.
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let res = self.get(token, path).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Multipart POST /api/bulk-transfers.
    pub async fn upload_parts(
        &self,
        token: &str,
        parts: &[Part],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let (content_type, body) = encode(parts);
        self.upload_raw(token, &content_type, body, headers).await
    }

    /// POST /api/bulk-transfers with any content type and body.
    pub async fn upload_raw(
        &self,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("/api/bulk-transfers"))
            .bearer_auth(token)
            .header("Content-Type", content_type)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("upload request: {e}"))
    }

    /// Uploads `csv` as the `file` field (with `force=true` so equal files may repeat) and returns
    /// the bulk id, asserting 202.
    pub async fn upload_ok(&self, token: &str, csv: Vec<u8>) -> String {
        let parts = [Part::file("paie.csv", csv), Part::text("force", "true")];
        let res = self.upload_parts(token, &parts, &[]).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 202, "upload: {body}");
        body["bulkTransferId"]
            .as_str()
            .unwrap_or_else(|| panic!("no bulkTransferId in {body}"))
            .to_string()
    }

    /// GET /api/bulk-transfers/{id}/status?limit=1 (the summary).
    pub async fn summary(&self, token: &str, bulk: &str) -> Value {
        self.get_json(token, &format!("/api/bulk-transfers/{bulk}/status?limit=1"))
            .await
    }
}

/// Checks a refusal: the status is `status` (or any 4xx when `None`), the body has the one error
/// shape `{error, message, details[]}`, and `error` is `code` when given. Returns the body, or what
/// is wrong.
pub async fn check_error(
    res: reqwest::Response,
    status: Option<u16>,
    code: Option<&str>,
) -> Result<Value, String> {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    let short: String = text.chars().take(400).collect();
    match status {
        Some(s) if got != s => return Err(format!("status {got} (expected {s}), body {short}")),
        None if !(400..500).contains(&got) => return Err(format!("status {got}, body {short}")),
        _ => {}
    }
    let body: Value =
        serde_json::from_str(&text).map_err(|_| format!("error body is not JSON: {short:?}"))?;
    if !(body["error"].is_string() && body["message"].is_string() && body["details"].is_array()) {
        return Err(format!("not the error shape: {short}"));
    }
    if let Some(code) = code
        && body["error"] != code
    {
        return Err(format!(
            "error {} (expected {code}): {short}",
            body["error"]
        ));
    }
    Ok(body)
}

/// [`check_error`], panicking with `what` on a mismatch.
pub async fn assert_error(
    res: reqwest::Response,
    status: Option<u16>,
    code: Option<&str>,
    what: &str,
) -> Value {
    match check_error(res, status, code).await {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}
