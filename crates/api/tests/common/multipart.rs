//! A hand-written multipart/form-data encoder, so tests control every byte (duplicate fields,
//! odd names, no file).

/// One form part.
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    pub fn file(filename: &str, data: Vec<u8>) -> Part {
        Part {
            name: "file".into(),
            filename: Some(filename.into()),
            data,
        }
    }

    pub fn text(name: &str, value: &str) -> Part {
        Part {
            name: name.into(),
            filename: None,
            data: value.as_bytes().to_vec(),
        }
    }
}

pub const BOUNDARY: &str = "----gatewaytestboundary7MA4YWxkTrZu0gW";

/// (content type, body).
pub fn encode(parts: &[Part]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match &p.filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\n\
                     Content-Type: text/csv\r\n\r\n",
                    p.name
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                    p.name
                )
                .as_bytes(),
            ),
        }
        body.extend_from_slice(&p.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}
