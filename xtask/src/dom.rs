//! Reading elements out of the HTML that `chromium --dump-dom` prints: start tags and
//! their attributes, as Chromium serializes them (attribute values in double quotes,
//! `&`, `"`, `<` and `>` escaped).

use std::collections::BTreeMap;

/// A start tag's attributes.
#[derive(Debug, Clone)]
pub(crate) struct Tag {
    pub(crate) attrs: BTreeMap<String, String>,
    /// Where the tag starts in the document.
    pub(crate) at: usize,
}

impl Tag {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    pub(crate) fn has_class(&self, class: &str) -> bool {
        self.get("class").is_some_and(|c| c.split_whitespace().any(|c| c == class))
    }
}

/// Every start tag named `name` in `html`, in document order.
pub(crate) fn tags(html: &str, name: &str) -> Vec<Tag> {
    let open = format!("<{name}");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = html[from..].find(&open) {
        let at = from + pos;
        let rest = &html[at + open.len()..];
        from = at + open.len();
        // `<div` but not `<divider`.
        if !rest.starts_with([' ', '>', '/', '\n', '\t']) {
            continue;
        }
        let Some(end) = rest.find('>') else { break };
        found.push(Tag { attrs: attributes(&rest[..end]), at });
    }
    found
}

/// `a="1" b="x &amp; y" c` as a map.
fn attributes(s: &str) -> BTreeMap<String, String> {
    let mut attrs = BTreeMap::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() && !rest.starts_with('/') {
        let name_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = rest[..name_end].to_owned();
        rest = &rest[name_end..];
        if let Some(after_eq) = rest.strip_prefix("=\"") {
            let value_end = after_eq.find('"').unwrap_or(after_eq.len());
            attrs.insert(name, unescape(&after_eq[..value_end]));
            rest = after_eq.get(value_end + 1..).unwrap_or("");
        } else {
            attrs.insert(name, String::new());
        }
        rest = rest.trim_start();
    }
    attrs
}

/// The text of an element: what is between the end of the start tag at `tag.at` and the
/// next `<`, unescaped.
pub(crate) fn text_after(html: &str, tag: &Tag) -> String {
    let rest = &html[tag.at..];
    let start = rest.find('>').map_or(rest.len(), |i| i + 1);
    let body = &rest[start..];
    unescape(&body[..body.find('<').unwrap_or(body.len())])
}

pub(crate) fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags_and_attributes() {
        let html = r#"<div class="row selected" data-span="s1" data-parent="" data-x="a &amp; &quot;b&quot;"><divider x="1"><div hidden>t &lt;1&gt;</div>"#;
        let divs = tags(html, "div");
        assert_eq!(divs.len(), 2);
        assert!(divs[0].has_class("row") && divs[0].has_class("selected"));
        assert_eq!(divs[0].get("data-span"), Some("s1"));
        assert_eq!(divs[0].get("data-parent"), Some(""));
        assert_eq!(divs[0].get("data-x"), Some("a & \"b\""));
        assert_eq!(divs[1].get("hidden"), Some(""));
        assert_eq!(text_after(html, &divs[1]), "t <1>");
    }
}
