//! ISO 20022 helpers of the tests: pain.001 files generated in code, the golden files of the
//! domain crate, and a pain.002 read back with quick-xml into plain structs (and checked by
//! `xmllint`). Also included by the demo crate's end-to-end test (`#[path]`), until the shared
//! test kit exists.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// A golden pain.001 file of the domain crate (`crates/domain/tests/fixtures/pain001/`).
pub fn golden(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../domain/tests/fixtures/pain001")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One generated transaction: EndToEndId, amount in XOF, MSISDN.
#[derive(Debug, Clone)]
pub struct Tx {
    pub e2e: String,
    pub amount: i64,
    pub msisdn: String,
}

impl Tx {
    pub fn new(e2e: &str, amount: i64, msisdn: &str) -> Tx {
        Tx {
            e2e: e2e.into(),
            amount,
            msisdn: msisdn.into(),
        }
    }
}

/// A pain.001.001.09 in XOF with these `(PmtInfId, transactions)` blocks, every control total
/// right, each block asking for `date` (`YYYY-MM-DD`) when given.
pub fn pain001(msg_id: &str, date: Option<&str>, blocks: &[(&str, Vec<Tx>)]) -> Vec<u8> {
    let all: Vec<&Tx> = blocks.iter().flat_map(|(_, t)| t).collect();
    let sum = |t: &[&Tx]| t.iter().map(|t| t.amount).sum::<i64>();
    let mut x = String::with_capacity(400 * all.len() + 1000);
    x.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\">\n<CstmrCdtTrfInitn>\n\
         <GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-12-01T09:00:00Z</CreDtTm>\
         <NbOfTxs>{}</NbOfTxs><CtrlSum>{}</CtrlSum><InitgPty><Nm>CNSS</Nm></InitgPty></GrpHdr>\n",
        all.len(),
        sum(&all)
    ));
    for (id, txs) in blocks {
        let refs: Vec<&Tx> = txs.iter().collect();
        x.push_str(&format!(
            "<PmtInf><PmtInfId>{id}</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>{}</NbOfTxs>\
             <CtrlSum>{}</CtrlSum>",
            txs.len(),
            sum(&refs)
        ));
        if let Some(d) = date {
            x.push_str(&format!("<ReqdExctnDt><Dt>{d}</Dt></ReqdExctnDt>"));
        }
        x.push_str(
            "<Dbtr><Nm>CNSS Togo</Nm></Dbtr><DbtrAcct><Id><Othr><Id>CNSS-XOF-001</Id></Othr>\
             </Id></DbtrAcct><DbtrAgt><FinInstnId><BICFI>ECOCTGTG</BICFI></FinInstnId></DbtrAgt>\n",
        );
        for t in txs {
            x.push_str(&format!(
                "<CdtTrfTxInf><PmtId><EndToEndId>{}</EndToEndId></PmtId>\
                 <Amt><InstdAmt Ccy=\"XOF\">{}</InstdAmt></Amt><Cdtr><Nm>Pensionné {}</Nm></Cdtr>\
                 <CdtrAcct><Id><Othr><Id>{}</Id><SchmeNm><Prtry>MSISDN</Prtry></SchmeNm></Othr>\
                 </Id></CdtrAcct><RmtInf><Ustrd>Pension</Ustrd></RmtInf></CdtTrfTxInf>\n",
                t.e2e, t.amount, t.e2e, t.msisdn
            ));
        }
        x.push_str("</PmtInf>\n");
    }
    x.push_str("</CstmrCdtTrfInitn>\n</Document>\n");
    x.into_bytes()
}

/// An element: its local name, its own text, its children.
#[derive(Debug, Default)]
pub struct El {
    pub name: String,
    pub text: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<El>,
}

impl El {
    /// The first child element named `name`.
    pub fn get(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The element at `a/b/c` below this one (panics when absent).
    pub fn at(&self, path: &str) -> &El {
        path.split('/').fold(self, |el, n| {
            el.get(n)
                .unwrap_or_else(|| panic!("no {n} in {} (looking for {path})", el.name))
        })
    }

    /// The text of `a/b/c`, `None` when absent.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        let mut el = self;
        for n in path.split('/') {
            el = el.get(n)?;
        }
        Some(el.text.as_str())
    }

    /// Every child element named `name`.
    pub fn all(&self, name: &str) -> Vec<&El> {
        self.children.iter().filter(|c| c.name == name).collect()
    }
}

/// The document's root element, read with quick-xml (entities of the five predefined kinds).
pub fn read_xml(xml: &str) -> El {
    let mut reader = Reader::from_str(xml);
    let mut stack = vec![El::default()];
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                let mut el = El {
                    name: e.local_name().into_inner().to_owned(),
                    ..El::default()
                };
                for a in e.attributes() {
                    let a = a.unwrap();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned();
                    el.attrs.push((a.key.into_inner().to_owned(), value));
                }
                stack.push(el);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let c = match &*r {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                stack.last_mut().unwrap().text.push_str(c);
            }
            Event::End(_) => {
                let mut el = stack.pop().unwrap();
                el.text = el.text.trim().to_string();
                stack.last_mut().unwrap().children.push(el);
            }
            Event::Empty(e) => panic!("empty element {e:?}"),
            Event::Eof => break,
            _ => {}
        }
    }
    let mut top = stack.pop().unwrap();
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(top.children.len(), 1, "one root element");
    top.children.remove(0)
}

/// One `TxInfAndSts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tx002 {
    pub e2e: String,
    pub status: String,
    /// `Rsn/Cd` (or `Rsn/Prtry`).
    pub reason: Option<String>,
    pub info: Vec<String>,
    /// `OrgnlTxRef/Amt/InstdAmt` with its currency.
    pub amount: Option<(String, String)>,
}

/// A pain.002.001.10 read back.
#[derive(Debug)]
pub struct Pain002 {
    pub namespace: String,
    pub msg_id: String,
    pub created_at: String,
    pub orgnl_msg_id: String,
    pub orgnl_msg_nm_id: String,
    pub orgnl_nb_of_txs: String,
    pub orgnl_ctrl_sum: Option<String>,
    pub grp_sts: String,
    /// `NbOfTxsPerSts`: (status, count).
    pub per_status: Vec<(String, u64)>,
    /// `OrgnlPmtInfAndSts`: (OrgnlPmtInfId, transactions).
    pub blocks: Vec<(String, Vec<Tx002>)>,
}

impl Pain002 {
    /// Every transaction, in document order.
    pub fn txs(&self) -> Vec<&Tx002> {
        self.blocks.iter().flat_map(|(_, t)| t).collect()
    }

    /// The transaction of this EndToEndId (panics when absent).
    pub fn tx(&self, e2e: &str) -> &Tx002 {
        self.txs()
            .into_iter()
            .find(|t| t.e2e == e2e)
            .unwrap_or_else(|| panic!("no {e2e} in the report"))
    }
}

fn tx002(el: &El) -> Tx002 {
    let rsn = el.get("StsRsnInf");
    Tx002 {
        e2e: el.at("OrgnlEndToEndId").text.clone(),
        status: el.at("TxSts").text.clone(),
        reason: rsn.and_then(|r| {
            r.text_at("Rsn/Cd")
                .or_else(|| r.text_at("Rsn/Prtry"))
                .map(str::to_string)
        }),
        info: rsn
            .map(|r| r.all("AddtlInf").iter().map(|i| i.text.clone()).collect())
            .unwrap_or_default(),
        amount: el.get("OrgnlTxRef").map(|r| {
            let amt = r.at("Amt/InstdAmt");
            let ccy = amt.attrs.iter().find(|(k, _)| k == "Ccy").unwrap();
            (amt.text.clone(), ccy.1.clone())
        }),
    }
}

/// Reads a pain.002.001.10 (panics on anything unexpected).
pub fn read_pain002(xml: &str) -> Pain002 {
    let doc = read_xml(xml);
    assert_eq!(doc.name, "Document");
    let namespace = doc
        .attrs
        .iter()
        .find(|(k, _)| k == "xmlns")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let rpt = doc.at("CstmrPmtStsRpt");
    let grp = rpt.at("OrgnlGrpInfAndSts");
    let text = |p: &str| grp.at(p).text.clone();
    Pain002 {
        namespace,
        msg_id: rpt.at("GrpHdr/MsgId").text.clone(),
        created_at: rpt.at("GrpHdr/CreDtTm").text.clone(),
        orgnl_msg_id: text("OrgnlMsgId"),
        orgnl_msg_nm_id: text("OrgnlMsgNmId"),
        orgnl_nb_of_txs: text("OrgnlNbOfTxs"),
        orgnl_ctrl_sum: grp.text_at("OrgnlCtrlSum").map(str::to_string),
        grp_sts: text("GrpSts"),
        per_status: grp
            .all("NbOfTxsPerSts")
            .iter()
            .map(|n| {
                (
                    n.at("DtldSts").text.clone(),
                    n.at("DtldNbOfTxs").text.parse().unwrap(),
                )
            })
            .collect(),
        blocks: rpt
            .all("OrgnlPmtInfAndSts")
            .iter()
            .map(|b| {
                (
                    b.at("OrgnlPmtInfId").text.clone(),
                    b.all("TxInfAndSts").into_iter().map(tx002).collect(),
                )
            })
            .collect(),
    }
}

/// `xmllint --noout -` on `xml`: panics unless it is well-formed. xmllint (Debian's
/// libxml2-utils, installed by `.ci/run`) must be there: the check is never skipped.
pub fn assert_well_formed(xml: &str) {
    let mut child = Command::new("xmllint")
        .args(["--noout", "--nonet", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("xmllint is required (apt-get install libxml2-utils): {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let bytes = xml.as_bytes().to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "xmllint: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
