//! Text made safe for HTML (the status page and the HTML part of e-mails).

/// Escapes `&`, `<`, `>`, `"` and `'`, so text shows as written in an element or an attribute.
#[cfg_attr(not(any(feature = "server", feature = "smtp")), allow(dead_code))]
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
