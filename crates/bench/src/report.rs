//! Results: rows of (scenario, figure, value, target, met?), printed as a table and written as JSON
//! to `bench-results/<scenario>-<timestamp>.json`; plus the small helpers every scenario uses.

use anyhow::Context;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One line of the results table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Scenario and variant, e.g. `e2e pg 1 worker`.
    pub scenario: String,
    /// What is measured.
    pub figure: String,
    /// The measured value, formatted.
    pub value: String,
    /// The target, formatted (empty: informative only).
    pub target: String,
    /// Whether the target is met (`None`: no target).
    pub met: Option<bool>,
}

/// Everything one scenario produced.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Rows of the table.
    pub rows: Vec<Row>,
    /// Raw figures, per variant.
    pub details: Vec<serde_json::Value>,
}

impl Report {
    /// Adds an informative row.
    pub fn info(&mut self, scenario: &str, figure: &str, value: String) {
        self.rows.push(Row {
            scenario: scenario.into(),
            figure: figure.into(),
            value,
            target: String::new(),
            met: None,
        });
    }

    /// Adds a row with a target.
    pub fn check(&mut self, scenario: &str, figure: &str, value: String, target: &str, met: bool) {
        self.rows.push(Row {
            scenario: scenario.into(),
            figure: figure.into(),
            value,
            target: target.into(),
            met: Some(met),
        });
    }

    /// Appends another report.
    pub fn extend(&mut self, other: Report) {
        self.rows.extend(other.rows);
        self.details.extend(other.details);
    }
}

/// Prints the table.
pub fn print_table(rows: &[Row]) {
    let head = ["scenario", "figure", "value", "target", "met"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.scenario.clone(),
                r.figure.clone(),
                r.value.clone(),
                r.target.clone(),
                match r.met {
                    Some(true) => "yes".into(),
                    Some(false) => "NO".into(),
                    None => String::new(),
                },
            ]
        })
        .collect();
    let mut width = head.map(str::len);
    for c in &cells {
        for (w, s) in width.iter_mut().zip(c) {
            *w = (*w).max(s.chars().count());
        }
    }
    let line = |c: &[String]| {
        let parts: Vec<String> = c
            .iter()
            .zip(width)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        println!("| {} |", parts.join(" | "));
    };
    line(&head.map(String::from));
    line(&width.map(|w| "-".repeat(w)));
    for c in &cells {
        line(c);
    }
}

/// Writes `<dir>/<scenario>-<timestamp>.json` and returns its path.
pub fn write_json(
    dir: &Path,
    scenario: &str,
    report: &Report,
    meta: serde_json::Value,
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let path = dir.join(format!("{scenario}-{stamp}.json"));
    let doc = serde_json::json!({
        "scenario": scenario,
        "meta": meta,
        "rows": report.rows,
        "details": report.details,
    });
    std::fs::write(&path, serde_json::to_string_pretty(&doc)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The `p`-th percentile (0–100) of sorted values (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Sorts values for [`percentile`].
pub fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// A generated CSV in the standard format: `rows` payees with distinct MSISDNs that end in `11`
/// (never one of the simulator's failure suffixes), `amount` XOF each, ids prefixed by `tag`.
pub fn standard_csv(rows: usize, amount: i64, tag: &str) -> Vec<u8> {
    let mut s = String::with_capacity(rows * 64 + 64);
    s.push_str("transferId,amount,currency,partyIdType,partyIdentifier,payeeName\n");
    for i in 0..rows {
        s.push_str(&format!(
            "{tag}-{i:06},{amount},XOF,MSISDN,229{i:08}11,Pensioner {i}\n"
        ));
    }
    s.into_bytes()
}

/// The same rows as [`standard_csv`] as a pain.001.001.09 file (one payment block, MSISDN
/// accounts, the fields a bank export carries), ~420 bytes per transaction.
pub fn pain001(rows: usize, amount: i64, tag: &str) -> Vec<u8> {
    let total = amount * rows as i64;
    let mut s = String::with_capacity(rows * 460 + 1024);
    s.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\"><CstmrCdtTrfInitn>\n\
         <GrpHdr><MsgId>{tag}</MsgId><CreDtTm>2026-12-01T08:00:00</CreDtTm>\
         <NbOfTxs>{rows}</NbOfTxs><CtrlSum>{total}</CtrlSum><InitgPty><Nm>CNSS</Nm></InitgPty></GrpHdr>\n\
         <PmtInf><PmtInfId>{tag}-P1</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>{rows}</NbOfTxs>\
         <CtrlSum>{total}</CtrlSum><ReqdExctnDt><Dt>2026-01-01</Dt></ReqdExctnDt>\
         <Dbtr><Nm>CNSS</Nm></Dbtr><DbtrAcct><Id><Othr><Id>CNSS-XOF-001</Id></Othr></Id></DbtrAcct>\
         <DbtrAgt><FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId></DbtrAgt>\n"
    ));
    for i in 0..rows {
        s.push_str(&format!(
            "<CdtTrfTxInf><PmtId><EndToEndId>{tag}-{i:06}</EndToEndId></PmtId>\
             <Amt><InstdAmt Ccy=\"XOF\">{amount}</InstdAmt></Amt>\
             <CdtrAgt><FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId></CdtrAgt>\
             <Cdtr><Nm>Pensioner {i}</Nm></Cdtr><CdtrAcct><Id><Othr><Id>229{i:08}11</Id>\
             <SchmeNm><Prtry>MSISDN</Prtry></SchmeNm></Othr></Id></CdtrAcct>\
             <RmtInf><Ustrd>Pension</Ustrd></RmtInf></CdtTrfTxInf>\n"
        ));
    }
    s.push_str("</PmtInf></CstmrCdtTrfInitn></Document>\n");
    s.into_bytes()
}

/// `12,345` style.
pub fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}
