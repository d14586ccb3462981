//! Payment files generated in code.

/// Header of the standard format with the optional name column.
pub const STANDARD_HEADER: &str =
    "transferId,amount,currency,partyIdType,partyIdentifier,payeeName";

/// A payee MSISDN that matches no failure rule of the simulator (ends in `1`), unique per
/// (`salt`, `i`) for `salt < 100` and `i < 10,000,000`.
pub fn plain_msisdn(salt: u32, i: usize) -> String {
    format!("2{:02}{:08}1", salt % 100, i % 100_000_000)
}

/// A payee MSISDN whose last four digits select a simulator rule (`3204`, `0504`, `0999`…).
pub fn rule_msisdn(salt: u32, i: usize, rule: &str) -> String {
    format!("2{:02}{:05}{rule}", salt % 100, i % 100_000)
}

/// A standard-format file of `n` rows of `amount` XOF to distinct plain payees.
pub fn plain_bulk(salt: u32, n: usize, amount: i64) -> Vec<u8> {
    let mut s = String::with_capacity(n * 48 + 80);
    s.push_str(STANDARD_HEADER);
    s.push('\n');
    for i in 0..n {
        s.push_str(&format!(
            "tx-{i:06},{amount},XOF,MSISDN,{},Pensionné {i}\n",
            plain_msisdn(salt, i)
        ));
    }
    s.into_bytes()
}

/// A standard-format file of `n` rows where row `i` uses `rules[i % rules.len()]` (`""` = plain).
pub fn mixed_bulk(salt: u32, n: usize, amount: i64, rules: &[&str]) -> Vec<u8> {
    let mut s = String::from(STANDARD_HEADER);
    s.push('\n');
    for i in 0..n {
        let rule = rules.get(i % rules.len().max(1)).copied().unwrap_or("");
        let id = if rule.is_empty() {
            plain_msisdn(salt, i)
        } else {
            rule_msisdn(salt, i, rule)
        };
        s.push_str(&format!("tx-{i:06},{amount},XOF,MSISDN,{id},\n"));
    }
    s.into_bytes()
}

/// A standard file from explicit rows `(transferId, amount, currency, type, identifier, name)`.
pub fn standard(rows: &[[&str; 6]]) -> Vec<u8> {
    let mut s = String::from(STANDARD_HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    s.into_bytes()
}

/// Splits one CSV line (RFC 4180 quoting) into cells.
pub fn cells(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}
