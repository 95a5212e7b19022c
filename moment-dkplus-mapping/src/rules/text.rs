//! Small checks on text that is about to be written to DK+.

use std::borrow::Cow;

use super::Problem;

/// DK+ item codes hold at most this many characters.
pub const DKPLUS_ITEM_CODE_MAX: usize = 20;

/// DK+ product descriptions hold at most this many characters.
pub const DKPLUS_PRODUCT_DESCRIPTION_MAX: usize = 40;

/// `true` when the text holds a control character other than line breaks and tabs.
pub(crate) fn has_forbidden_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// A text field that is present and non-blank, trimmed; `None` for missing or blank.
pub(crate) fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Checks an optional text for control characters; pushes a problem naming `field`.
pub(crate) fn check_text(
    value: Option<&str>,
    field: impl FnOnce() -> String,
    problems: &mut Vec<Problem>,
) {
    if let Some(v) = value
        && has_forbidden_control(v)
    {
        problems.push(Problem::ControlCharacters { field: field() });
    }
}

/// The first `max` characters of `text` (on a character boundary), and whether it was cut.
pub(crate) fn cut_chars(text: &str, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (text[..at].trim_end().to_owned(), true),
        None => (text.to_owned(), false),
    }
}

/// The text with its control characters written as escapes (`\u{7}`), so a message that
/// quotes Moment's data is safe to print, log and e-mail.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_debug().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// An invoice line's description as DK+'s line texts carry it: white space (line breaks too)
/// folded into single spaces; what does not fit `limit` characters continues in `Text2`, split
/// between words where possible. Nothing is cut: a description longer than both texts together
/// is `Err(its length)`.
pub(crate) fn split_line_text(
    description: &str,
    limit: usize,
) -> Result<(Option<String>, Option<String>), usize> {
    let folded = description.split_whitespace().collect::<Vec<_>>().join(" ");
    let length = folded.chars().count();
    if length <= limit {
        return Ok((Some(folded), None));
    }
    // The last space within the first `limit` characters, else a split inside the word.
    let hard = folded
        .char_indices()
        .nth(limit)
        .map_or(folded.len(), |(at, _)| at);
    let at = if folded[hard..].starts_with(' ') {
        hard
    } else {
        folded[..hard]
            .rfind(' ')
            .filter(|at| *at > 0)
            .unwrap_or(hard)
    };
    // Between words where the rest then fits, else inside a word (still nothing is lost).
    for at in [at, hard] {
        let (first, rest) = folded.split_at(at);
        let (first, rest) = (first.trim_end(), rest.trim_start());
        if first.chars().count() <= limit && rest.chars().count() <= limit {
            return Ok((Some(first.to_owned()), Some(rest.to_owned())));
        }
    }
    Err(length)
}

/// A short excerpt of a description, to name a line in a message.
pub(crate) fn excerpt(text: &str) -> String {
    let one_line = text.lines().next().unwrap_or("").trim();
    let (cut, was_cut) = cut_chars(one_line, 40);
    if was_cut { format!("{cut}…") } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_except_line_breaks_and_tabs() {
        assert!(!has_forbidden_control("Ráðgjöf\nlína 2\tflipi\r"));
        assert!(has_forbidden_control("bad\u{0}"));
        assert!(has_forbidden_control("bell\u{7}"));
        assert!(has_forbidden_control("del\u{7f}"));
    }

    #[test]
    fn cut_respects_characters() {
        assert_eq!(cut_chars("þjónusta", 3), ("þjó".to_owned(), true));
        assert_eq!(cut_chars("abc", 3), ("abc".to_owned(), false));
        assert_eq!(cut_chars("ab cd", 3), ("ab".to_owned(), true));
    }

    #[test]
    fn long_line_texts_continue_in_the_second_text_and_are_never_cut() {
        let ok = |d: &str, l| split_line_text(d, l).unwrap();
        assert_eq!(ok("Ráðgjöf", 10), (Some("Ráðgjöf".into()), None));
        assert_eq!(
            ok(" Ráðgjöf \n í nóvember ", 40),
            (Some("Ráðgjöf í nóvember".into()), None)
        );
        assert_eq!(
            ok("Ráðgjöf vegna innleiðingar í nóvember", 24),
            (
                Some("Ráðgjöf vegna".into()),
                Some("innleiðingar í nóvember".into())
            )
        );
        // A word longer than the limit is split inside (the rest continues, nothing is lost).
        assert_eq!(
            ok("abcdefghij", 6),
            (Some("abcdef".into()), Some("ghij".into()))
        );
        // Exactly at the limit: one text.
        assert_eq!(ok(&"x".repeat(40), 40), (Some("x".repeat(40)), None));
        assert_eq!(split_line_text(&"word ".repeat(20), 40), Err(99));
        // A long word after the first: split inside it rather than refuse what fits.
        let url = "x".repeat(60);
        let (first, rest) = split_line_text(&format!("Ráðgjöf {url}"), 40).unwrap();
        assert_eq!(
            format!("{}{}", first.unwrap(), rest.unwrap()),
            format!("Ráðgjöf {url}")
        );
    }

    #[test]
    fn excerpt_takes_first_line() {
        assert_eq!(excerpt("  Ráðgjöf \nmore"), "Ráðgjöf");
        assert_eq!(excerpt(&"x".repeat(50)), format!("{}…", "x".repeat(40)));
    }

    #[test]
    fn printable_escapes_only_control_characters() {
        assert_eq!(printable("Jón \"Jónsson\""), "Jón \"Jónsson\"");
        assert_eq!(printable("a\u{0}b\u{7}\tc"), "a\\0b\\u{7}\\tc");
        assert!(!has_forbidden_control(&printable("\u{1b}[31mred\u{85}")));
    }

    #[test]
    fn non_blank_trims() {
        assert_eq!(non_blank(Some("  a ")), Some("a"));
        assert_eq!(non_blank(Some("   ")), None);
        assert_eq!(non_blank(None), None);
    }
}
