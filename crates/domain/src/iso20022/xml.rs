//! A guarded, streaming view of an XML document over quick-xml: local names, physical lines,
//! element paths, and the security rules of the module (no DTD, no entity other than the five
//! predefined ones and character references, bounded depth, UTF-8 only).
//!
//! Everything here is about XML, nothing about payments: [`Scanner`] yields [`Node`]s and turns
//! anything it refuses into a [`RowProblem`] that ends the reading.

use std::borrow::Cow;

use quick_xml::errors::Error as XmlError;
use quick_xml::escape::EscapeError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::codes;
use crate::csv::RowProblem;

/// Deepest element nesting accepted (the root is depth 1).
pub const MAX_DEPTH: usize = 32;

/// Elements that may repeat among their siblings: their paths carry a 1-based index
/// (`PmtInf[2]`).
const INDEXED: [&str; 2] = ["PmtInf", "CdtTrfTxInf"];

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The bytes without a leading UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// The text of an upload that must be UTF-8 (no NUL byte either: UTF-16 and binary files have
/// them), or the `invalid_encoding` problem on the line of the first bad byte.
pub(crate) fn utf8_text(bytes: &[u8]) -> Result<&str, RowProblem> {
    let (offset, what) = match std::str::from_utf8(bytes) {
        // `contains` on bytes is a vectorised search; the position only for the message.
        Ok(text) if !bytes.contains(&0) => return Ok(text),
        Ok(_) => (
            bytes.iter().position(|&b| b == 0).unwrap_or(0),
            "contains a NUL byte (UTF-16 or binary file)",
        ),
        Err(e) => (e.valid_up_to(), "is not valid UTF-8 text"),
    };
    let line = 1 + count_newlines(&bytes[..offset]);
    let message = format!("the file {what}; ISO 20022 files must be encoded in UTF-8");
    Err(problem(line, "file", codes::INVALID_ENCODING, message))
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

pub(crate) fn problem(line: u64, field: &str, code: &str, message: String) -> RowProblem {
    RowProblem {
        line,
        field: field.to_owned(),
        code: code.to_owned(),
        message,
    }
}

/// One attribute of a start tag: its qualified name as written and its unescaped value.
#[derive(Debug)]
pub(crate) struct Attr {
    pub(crate) name: String,
    pub(crate) value: String,
}

/// What the scanner yields. An empty element `<a/>` comes as `Open` then `Close`.
#[derive(Debug)]
pub(crate) enum Node<'a> {
    /// A start tag; the element is already on the stack ([`Scanner::names`]).
    Open {
        /// Line of its `<`.
        line: u64,
        /// Its namespace prefix as written (`""` for none).
        prefix: &'a str,
        /// Its attributes, values unescaped (few elements have any: no allocation for the
        /// others).
        attrs: Vec<Attr>,
    },
    /// A piece of character data (text, CDATA, or one resolved reference) directly inside the
    /// element on top of the stack.
    Text(Cow<'a, str>),
    /// An end tag; the element is still on the stack, popped at the next call.
    Close,
    /// The end of a well-formed document.
    End,
}

struct Frame<'a> {
    name: &'a str,
    /// 1-based position among same-named siblings, for the [`INDEXED`] names; 0 otherwise.
    index: u32,
    /// Children seen so far, per [`INDEXED`] name.
    children: [u32; INDEXED.len()],
}

/// Streaming reader of one document; see the [module documentation](self).
pub(crate) struct Scanner<'a> {
    reader: Reader<&'a [u8]>,
    text: &'a str,
    data: &'a [u8],
    stack: Vec<Frame<'a>>,
    names: Vec<&'a str>,
    /// The element on top of the stack was just closed: pop it before reading on.
    pop_pending: bool,
    /// The element just opened was empty (`<a/>`): its `Close` comes next.
    close_pending: bool,
    root_seen: bool,
    /// Offset and line last computed, so lines are counted incrementally.
    line_offset: usize,
    line: u64,
}

impl<'a> Scanner<'a> {
    /// A scanner over `text`, which must not start with a byte-order mark.
    pub(crate) fn new(text: &'a str) -> Scanner<'a> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().enable_all_checks(true);
        Scanner {
            reader,
            text,
            data: text.as_bytes(),
            stack: Vec::new(),
            names: Vec::new(),
            pop_pending: false,
            close_pending: false,
            root_seen: false,
            line_offset: 0,
            line: 1,
        }
    }

    /// Local names of the open elements, root first.
    pub(crate) fn names(&self) -> &[&'a str] {
        &self.names
    }

    /// 1-based index of the open element at `depth` (0 = root) among same-named siblings, for
    /// `PmtInf` and `CdtTrfTxInf`; 0 for other elements.
    pub(crate) fn index_at(&self, depth: usize) -> u32 {
        self.stack.get(depth).map_or(0, |f| f.index)
    }

    /// Path of the open element, with indexes on `PmtInf` and `CdtTrfTxInf`
    /// (`/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[3]/Amt`).
    pub(crate) fn path(&self) -> String {
        let mut path = String::new();
        for f in &self.stack {
            path.push('/');
            path.push_str(f.name);
            if f.index > 0 {
                path.push_str(&format!("[{}]", f.index));
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }

    /// Physical line (1-based) of byte `offset`.
    fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.data.len());
        if offset < self.line_offset {
            self.line_offset = 0;
            self.line = 1;
        }
        self.line += count_newlines(&self.data[self.line_offset..offset]);
        self.line_offset = offset;
        self.line
    }

    fn fail(&mut self, offset: usize, code: &str, message: String) -> RowProblem {
        let line = self.line_at(offset);
        problem(line, &self.path(), code, message)
    }

    /// The next node, or the problem that ends the reading.
    pub(crate) fn next(&mut self) -> Result<Node<'a>, RowProblem> {
        if self.close_pending {
            self.close_pending = false;
            self.pop_pending = true;
            return Ok(Node::Close);
        }
        if self.pop_pending {
            self.pop_pending = false;
            self.stack.pop();
            self.names.pop();
        }
        loop {
            let start = usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX);
            let event = match self.reader.read_event() {
                Ok(e) => e,
                Err(e) => return Err(self.xml_error(&e)),
            };
            match event {
                Event::Start(e) => return self.open(start, &e),
                Event::Empty(e) => {
                    let node = self.open(start, &e)?;
                    self.close_pending = true;
                    return Ok(node);
                }
                Event::End(_) => {
                    self.pop_pending = true;
                    return Ok(Node::Close);
                }
                Event::Text(t) => {
                    if self.stack.is_empty() {
                        let raw: &str = &t;
                        let content = raw.trim_start_matches(is_xml_space);
                        if !content.is_empty() {
                            let at = start + (raw.len() - content.len());
                            let message = "text outside the root element".to_owned();
                            return Err(self.fail(at, codes::INVALID_XML, message));
                        }
                        continue;
                    }
                    return Ok(Node::Text(t.xml10_content()));
                }
                Event::CData(t) => {
                    if self.stack.is_empty() {
                        let message = "CDATA outside the root element".to_owned();
                        return Err(self.fail(start, codes::INVALID_XML, message));
                    }
                    return Ok(Node::Text(t.xml10_content()));
                }
                Event::GeneralRef(r) => {
                    let text = self.reference(start, &r)?;
                    if self.stack.is_empty() {
                        let message = "a reference outside the root element".to_owned();
                        return Err(self.fail(start, codes::INVALID_XML, message));
                    }
                    return Ok(Node::Text(Cow::Owned(text.to_string())));
                }
                Event::DocType(_) => {
                    let message = "the file has a <!DOCTYPE> (DTD); DTDs are not accepted in \
                                   ISO 20022 files"
                        .to_owned();
                    return Err(self.fail(start, codes::XML_DTD_FORBIDDEN, message));
                }
                Event::Decl(d) => self.check_declaration(start, &d)?,
                // Comments and processing instructions other than the declaration carry no data:
                // ignored.
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => return self.eof(),
            }
        }
    }

    fn open(&mut self, start: usize, e: &BytesStart<'_>) -> Result<Node<'a>, RowProblem> {
        if self.stack.is_empty() && self.root_seen {
            let message = "a second root element after the first one".to_owned();
            return Err(self.fail(start, codes::INVALID_XML, message));
        }
        if self.stack.len() >= MAX_DEPTH {
            let message = format!("elements are nested deeper than {MAX_DEPTH} levels");
            return Err(self.fail(start, codes::XML_TOO_DEEP, message));
        }
        self.root_seen = true;
        // The event borrows the name only for its own lifetime; the same bytes sit in the input
        // right after the `<` the event started at, and are kept from there.
        let qname = e.name().into_inner();
        let Some(raw) = self
            .text
            .get(start + 1..start + 1 + qname.len())
            .filter(|raw| *raw == qname)
        else {
            let message = format!("malformed start tag <{qname}>");
            return Err(self.fail(start, codes::INVALID_XML, message));
        };
        let (prefix, name) = raw.split_once(':').unwrap_or(("", raw));
        let index = match INDEXED.iter().position(|n| *n == name) {
            Some(slot) => match self.stack.last_mut() {
                Some(parent) => {
                    parent.children[slot] += 1;
                    parent.children[slot]
                }
                None => 1,
            },
            None => 0,
        };
        self.stack.push(Frame {
            name,
            index,
            children: [0; INDEXED.len()],
        });
        self.names.push(name);
        let mut attrs = Vec::new();
        for attr in e.attributes() {
            let attr = match attr {
                Ok(a) => a,
                Err(err) => {
                    let message = format!("malformed attribute: {err}");
                    return Err(self.fail(start, codes::INVALID_XML, message));
                }
            };
            let value = match attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => v,
                Err(err) => return Err(self.xml_error_at(start, &err)),
            };
            attrs.push(Attr {
                name: attr.key.into_inner().to_owned(),
                value: value.into_owned(),
            });
        }
        let line = self.line_at(start);
        Ok(Node::Open {
            line,
            prefix,
            attrs,
        })
    }

    /// The text of `&name;`: a character reference or one of the five predefined entities.
    fn reference(
        &mut self,
        start: usize,
        r: &quick_xml::events::BytesRef<'_>,
    ) -> Result<char, RowProblem> {
        if r.is_char_ref() {
            return match r.resolve_char_ref() {
                Ok(Some(c)) if is_xml_char(c) => Ok(c),
                _ => {
                    let message = format!("`&{};` is not a valid character reference", &**r);
                    Err(self.fail(start, codes::INVALID_XML, message))
                }
            };
        }
        match &**r {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            other => {
                let message = format!(
                    "entity `&{other};` is not accepted: only &lt; &gt; &amp; &apos; &quot; and \
                     character references are"
                );
                Err(self.fail(start, codes::XML_ENTITY_FORBIDDEN, message))
            }
        }
    }

    /// A declared encoding other than UTF-8 is accepted only for a file that is pure ASCII, which
    /// reads the same in every encoding such a file may declare.
    fn check_declaration(
        &mut self,
        start: usize,
        d: &quick_xml::events::BytesDecl<'_>,
    ) -> Result<(), RowProblem> {
        let declared = match d.encoding() {
            None => return Ok(()),
            Some(Ok(e)) => e.into_owned(),
            Some(Err(e)) => {
                let message = format!("malformed XML declaration: {e}");
                return Err(self.fail(start, codes::INVALID_XML, message));
            }
        };
        let utf8 = ["utf-8", "utf8", "us-ascii", "ascii"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&declared));
        if utf8 || self.data.is_ascii() {
            return Ok(());
        }
        let message = format!(
            "the file declares encoding=\"{declared}\"; ISO 20022 files must be encoded in UTF-8"
        );
        Err(self.fail(start, codes::INVALID_ENCODING, message))
    }

    fn eof(&mut self) -> Result<Node<'a>, RowProblem> {
        let end = self.data.len();
        if let Some(open) = self.stack.last() {
            let message = format!("the file ends before </{}>", open.name);
            return Err(self.fail(end, codes::INVALID_XML, message));
        }
        if !self.root_seen {
            let message = "the file has no XML element".to_owned();
            return Err(self.fail(end, codes::INVALID_XML, message));
        }
        Ok(Node::End)
    }

    fn xml_error(&mut self, e: &XmlError) -> RowProblem {
        let at = usize::try_from(self.reader.error_position()).unwrap_or(usize::MAX);
        self.xml_error_at(at, e)
    }

    fn xml_error_at(&mut self, at: usize, e: &XmlError) -> RowProblem {
        match e {
            XmlError::Escape(EscapeError::UnrecognizedEntity(_, name)) => {
                let message = format!(
                    "entity `&{name};` is not accepted: only &lt; &gt; &amp; &apos; &quot; and \
                     character references are"
                );
                self.fail(at, codes::XML_ENTITY_FORBIDDEN, message)
            }
            other => self.fail(at, codes::INVALID_XML, format!("malformed XML: {other}")),
        }
    }
}

/// XML white space (`S` of the XML grammar).
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A character XML 1.0 allows in a document (`Char` of the grammar).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
