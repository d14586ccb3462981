//! The pain.001 reader: which elements are read, the controls of each block and of the group.
//! See the [module documentation](super) for the rules.

mod controls;
mod tx;

use super::xml::{self, Attr, Node, Scanner, is_xml_space};
use super::{Pain001Version, PaymentInformation, codes};
use crate::csv::{ParseOptions, Refusal, RowProblem, codes as csv_codes};
use tx::{Rows, TxFields, Val};

const ROOT: &str = "/Document/CstmrCdtTrfInitn";

/// The leaf elements whose text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    MsgId,
    GrpNbOfTxs,
    GrpCtrlSum,
    PmtInfId,
    PmtNbOfTxs,
    PmtCtrlSum,
    /// `ReqdExctnDt` itself (its text in .03).
    ExecDate,
    /// `ReqdExctnDt/Dt` or `ReqdExctnDt/DtTm` (.09).
    ExecDateDt,
    ExecDateDtTm,
    DbtrNm,
    EndToEndId,
    InstdAmt,
    CdtrNm,
    OthrId,
    SchmePrtry,
    SchmeCd,
    Iban,
    PrxyId,
    PrxyCd,
    PrxyPrtry,
}

/// The element whose text is being collected.
struct Capture {
    target: Target,
    depth: usize,
    line: u64,
    text: String,
}

#[derive(Default)]
struct Group {
    line: Option<u64>,
    msg_id: Option<Val>,
    nb: Option<Val>,
    ctrl: Option<Val>,
}

#[derive(Default)]
struct Block {
    index: u32,
    line: u64,
    id: Option<Val>,
    nb: Option<Val>,
    ctrl: Option<Val>,
    date: Option<Val>,
    /// `(value, "Dt" | "DtTm")` of the .09 choice.
    date_child: Option<(Val, &'static str)>,
    dbtr_nm: Option<Val>,
    count: u64,
    /// Sum of the block's amounts, `None` once one is missing or invalid.
    sum: Option<i64>,
}

impl Block {
    fn path(&self, suffix: &str) -> String {
        format!("{ROOT}/PmtInf[{}]{suffix}", self.index)
    }
}

/// Why the reading stopped early.
enum Stop {
    /// A problem that makes the rest unreadable (kept with those found before).
    Fatal(RowProblem),
    /// Not a document this parser reads: that problem alone.
    Unsupported(RowProblem),
    /// Over `max_rows` (the problem is already recorded).
    TooManyRows,
}

struct Parser<'o> {
    max_rows: u64,
    version: Option<Pain001Version>,
    initn_line: u64,
    /// `PmtInf` blocks opened.
    pmt_count: u32,
    group: Group,
    block: Option<Block>,
    blocks: Vec<PaymentInformation>,
    /// The first execution date given, with its block index.
    date: Option<(String, u32)>,
    debtor_name: Option<String>,
    tx: Option<TxFields>,
    capture: Option<Capture>,
    rows: Rows<'o>,
}

/// Parses and validates a pain.001.001.03 or .09 file; see the [module documentation](super).
///
/// Returns the file if there is no problem; else the [`Refusal`] listing the first
/// [`max_problems`](ParseOptions::max_problems) problems by line, with the count of all.
///
/// ```
/// use domain::ParseOptions;
/// use domain::iso20022::parse_pain001;
///
/// let xml = r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn>
///   <GrpHdr><MsgId>M1</MsgId><NbOfTxs>1</NbOfTxs></GrpHdr>
///   <PmtInf><PmtInfId>P1</PmtInfId><CdtTrfTxInf>
///     <PmtId><EndToEndId>E1</EndToEndId></PmtId>
///     <Amt><InstdAmt Ccy="XOF">10000</InstdAmt></Amt>
///     <CdtrAcct><Id><Othr><Id>22890123456</Id></Othr></Id></CdtrAcct>
///   </CdtTrfTxInf></PmtInf>
/// </CstmrCdtTrfInitn></Document>"#;
/// let file = parse_pain001(xml.as_bytes(), &ParseOptions::default()).unwrap();
/// assert_eq!(file.parsed.rows[0].transfer_id, "E1");
/// assert_eq!(file.parsed.rows[0].line, 3);
/// ```
pub fn parse_pain001(bytes: &[u8], opts: &ParseOptions) -> Result<super::Pain001File, Refusal> {
    let text = xml::utf8_text(xml::strip_bom(bytes)).map_err(Refusal::single)?;
    let mut parser = Parser {
        max_rows: u64::try_from(opts.max_rows).unwrap_or(u64::MAX),
        version: None,
        initn_line: 1,
        pmt_count: 0,
        group: Group::default(),
        block: None,
        blocks: Vec::new(),
        date: None,
        debtor_name: None,
        tx: None,
        capture: None,
        rows: Rows::new(opts),
    };
    let mut scanner = Scanner::new(text);
    match parser.run(&mut scanner) {
        Ok(()) => parser.finish(),
        Err(Stop::Unsupported(p)) => Err(Refusal::single(p)),
        Err(Stop::Fatal(p)) => {
            let mut problems = parser.rows.problems;
            problems.push(p.line, 0, &p.field, &p.code, p.message);
            Err(problems.into_refusal())
        }
        Err(Stop::TooManyRows) => Err(parser.rows.problems.into_refusal()),
    }
}

impl Parser<'_> {
    fn run(&mut self, scanner: &mut Scanner<'_>) -> Result<(), Stop> {
        loop {
            match scanner.next().map_err(Stop::Fatal)? {
                Node::Open {
                    line,
                    prefix,
                    attrs,
                } => self.open(scanner, line, prefix, &attrs)?,
                Node::Text(t) => {
                    if let Some(c) = self.capture.as_mut()
                        && c.depth == scanner.names().len()
                    {
                        c.text.push_str(&t);
                    }
                }
                Node::Close => self.close(scanner.names()),
                Node::End => return Ok(()),
            }
        }
    }

    fn open(
        &mut self,
        s: &Scanner<'_>,
        line: u64,
        prefix: &str,
        attrs: &[Attr],
    ) -> Result<(), Stop> {
        let names = s.names();
        let depth = names.len();
        if depth == 1 {
            return self.root(names[0], line, prefix, attrs);
        }
        if depth == 2 {
            if names[1] != "CstmrCdtTrfInitn" {
                let message = format!(
                    "the Document holds <{}>, not <CstmrCdtTrfInitn>: not a pain.001 credit transfer initiation",
                    names[1]
                );
                return Err(Stop::Unsupported(xml::problem(
                    line,
                    &s.path(),
                    codes::UNSUPPORTED_XML_DOCUMENT,
                    message,
                )));
            }
            self.initn_line = line;
            return Ok(());
        }
        let target = match &names[2..] {
            ["GrpHdr"] => {
                self.group.line.get_or_insert(line);
                None
            }
            ["GrpHdr", "MsgId"] => Some(Target::MsgId),
            ["GrpHdr", "NbOfTxs"] => Some(Target::GrpNbOfTxs),
            ["GrpHdr", "CtrlSum"] => Some(Target::GrpCtrlSum),
            ["PmtInf"] => {
                self.pmt_count += 1;
                self.block = Some(Block {
                    index: s.index_at(2),
                    line,
                    sum: Some(0),
                    ..Block::default()
                });
                None
            }
            ["PmtInf", "PmtInfId"] => Some(Target::PmtInfId),
            ["PmtInf", "NbOfTxs"] => Some(Target::PmtNbOfTxs),
            ["PmtInf", "CtrlSum"] => Some(Target::PmtCtrlSum),
            ["PmtInf", "ReqdExctnDt"] => Some(Target::ExecDate),
            ["PmtInf", "ReqdExctnDt", "Dt"] => Some(Target::ExecDateDt),
            ["PmtInf", "ReqdExctnDt", "DtTm"] => Some(Target::ExecDateDtTm),
            ["PmtInf", "Dbtr", "Nm"] => Some(Target::DbtrNm),
            ["PmtInf", "CdtTrfTxInf"] => {
                self.rows.count += 1;
                if self.rows.count > self.max_rows {
                    let message = format!("the file has more than {} transactions", self.max_rows);
                    self.rows
                        .push(line, &s.path(), csv_codes::TOO_MANY_ROWS, message);
                    return Err(Stop::TooManyRows);
                }
                self.tx = Some(TxFields {
                    line,
                    pmt: s.index_at(2),
                    idx: s.index_at(3),
                    ..TxFields::default()
                });
                None
            }
            ["PmtInf", "CdtTrfTxInf", rest @ ..] => self.tx_open(rest, attrs),
            _ => None,
        };
        if let Some(target) = target {
            self.capture = Some(Capture {
                target,
                depth,
                line,
                text: String::new(),
            });
        }
        Ok(())
    }

    fn tx_open(&mut self, rest: &[&str], attrs: &[Attr]) -> Option<Target> {
        let tx = self.tx.as_mut()?;
        match rest {
            ["PmtId", "EndToEndId"] => Some(Target::EndToEndId),
            ["Amt", "InstdAmt"] => {
                let ccy = attrs.iter().find(|a| local(&a.name) == "Ccy");
                tx.ccy = ccy.map(|a| a.value.trim_matches(is_xml_space).to_owned());
                Some(Target::InstdAmt)
            }
            ["Cdtr", "Nm"] => Some(Target::CdtrNm),
            ["CdtrAcct"] => {
                tx.acct_seen = true;
                None
            }
            ["CdtrAcct", "Prxy"] => {
                tx.prxy_seen = true;
                None
            }
            ["CdtrAcct", "Id", "Othr", "Id"] => Some(Target::OthrId),
            ["CdtrAcct", "Id", "Othr", "SchmeNm", "Prtry"] => Some(Target::SchmePrtry),
            ["CdtrAcct", "Id", "Othr", "SchmeNm", "Cd"] => Some(Target::SchmeCd),
            ["CdtrAcct", "Id", "IBAN"] => Some(Target::Iban),
            ["CdtrAcct", "Prxy", "Id"] => Some(Target::PrxyId),
            ["CdtrAcct", "Prxy", "Tp", "Cd"] => Some(Target::PrxyCd),
            ["CdtrAcct", "Prxy", "Tp", "Prtry"] => Some(Target::PrxyPrtry),
            _ => None,
        }
    }

    /// The root must be a `Document` in the namespace of a version read here.
    fn root(&mut self, name: &str, line: u64, prefix: &str, attrs: &[Attr]) -> Result<(), Stop> {
        let binding = if prefix.is_empty() {
            "xmlns".to_owned()
        } else {
            format!("xmlns:{prefix}")
        };
        let ns = attrs
            .iter()
            .find(|a| a.name == binding)
            .map_or("", |a| a.value.as_str());
        match Pain001Version::from_namespace(ns) {
            Some(v) if name == "Document" => {
                self.version = Some(v);
                Ok(())
            }
            _ => {
                let message = format!(
                    "the root element is <{name}> in namespace `{ns}`: expected a <Document> of \
                     {} or {}",
                    Pain001Version::V03.namespace(),
                    Pain001Version::V09.namespace()
                );
                let field = format!("/{name}");
                Err(Stop::Unsupported(xml::problem(
                    line,
                    &field,
                    codes::UNSUPPORTED_XML_DOCUMENT,
                    message,
                )))
            }
        }
    }

    fn close(&mut self, names: &[&str]) {
        if let Some(c) = self.capture.take_if(|c| c.depth == names.len()) {
            let trimmed = c.text.trim_matches(is_xml_space);
            let text = if trimmed.len() == c.text.len() {
                c.text
            } else {
                trimmed.to_owned()
            };
            self.deliver(c.target, Val { text, line: c.line });
        }
        match names.get(2..) {
            Some(["PmtInf", "CdtTrfTxInf"]) => {
                if let Some(tx) = self.tx.take() {
                    let amount = self.rows.check(&tx);
                    if let Some(b) = self.block.as_mut() {
                        b.count += 1;
                        b.sum = b
                            .sum
                            .zip(amount)
                            .and_then(|(s, a)| s.checked_add(a.minor()));
                    }
                }
            }
            Some(["PmtInf"]) => {
                if let Some(b) = self.block.take() {
                    self.end_block(b);
                }
            }
            _ => {}
        }
    }

    fn deliver(&mut self, target: Target, v: Val) {
        // A repeated element (schema-invalid anyway) keeps its first value.
        fn first(slot: &mut Option<Val>, v: Val) {
            slot.get_or_insert(v);
        }
        let block = self.block.as_mut();
        let tx = self.tx.as_mut();
        match (target, block, tx) {
            (Target::MsgId, _, _) => first(&mut self.group.msg_id, v),
            (Target::GrpNbOfTxs, _, _) => first(&mut self.group.nb, v),
            (Target::GrpCtrlSum, _, _) => first(&mut self.group.ctrl, v),
            (Target::PmtInfId, Some(b), _) => first(&mut b.id, v),
            (Target::PmtNbOfTxs, Some(b), _) => first(&mut b.nb, v),
            (Target::PmtCtrlSum, Some(b), _) => first(&mut b.ctrl, v),
            (Target::ExecDate, Some(b), _) if !v.text.is_empty() => first(&mut b.date, v),
            (Target::ExecDateDt, Some(b), _) => {
                b.date_child.get_or_insert((v, "Dt"));
            }
            (Target::ExecDateDtTm, Some(b), _) => {
                b.date_child.get_or_insert((v, "DtTm"));
            }
            (Target::DbtrNm, Some(b), _) => first(&mut b.dbtr_nm, v),
            (Target::EndToEndId, _, Some(tx)) => first(&mut tx.end_to_end, v),
            (Target::InstdAmt, _, Some(tx)) => first(&mut tx.amount, v),
            (Target::CdtrNm, _, Some(tx)) => first(&mut tx.name, v),
            (Target::OthrId, _, Some(tx)) => first(&mut tx.othr_id, v),
            (Target::SchmePrtry, _, Some(tx)) => first(&mut tx.schme_prtry, v),
            (Target::SchmeCd, _, Some(tx)) => first(&mut tx.schme_cd, v),
            (Target::Iban, _, Some(tx)) => first(&mut tx.iban, v),
            (Target::PrxyId, _, Some(tx)) => first(&mut tx.prxy_id, v),
            (Target::PrxyCd, _, Some(tx)) => first(&mut tx.prxy_cd, v),
            (Target::PrxyPrtry, _, Some(tx)) => first(&mut tx.prxy_prtry, v),
            _ => {}
        }
    }
}

/// The local part of a qualified name.
fn local(name: &str) -> &str {
    name.split_once(':').map_or(name, |(_, l)| l)
}
