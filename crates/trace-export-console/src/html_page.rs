//! The HTML page: the template in `assets/`, its CSS and script inlined, the data
//! embedded. Nothing is fetched when the page is opened: its Content-Security-Policy
//! (`default-src 'none'`, inline style and script only) forbids any request.

use std::io::{self, Write};

use crate::html_data::{self, PageData};

/// The page, with `{{CSS}}`, `{{DATA}}` and `{{JS}}` where the rest goes, in that order.
const TEMPLATE: &str = include_str!("assets/waterfall.html");
/// The page's style sheet.
const CSS: &str = include_str!("assets/waterfall.css");
/// The page's script: reads the data, draws the trace list, the waterfall and the details.
const JS: &str = include_str!("assets/waterfall.js");

const MARKERS: [&str; 3] = ["{{CSS}}", "{{DATA}}", "{{JS}}"];

/// Writes the whole page to `out`.
pub(crate) fn write(out: &mut dyn Write, page: &PageData<'_>) -> io::Result<()> {
    let mut rest = TEMPLATE;
    for marker in MARKERS {
        // The template is part of this crate and a test checks its markers: a missing one
        // is a bug of the crate, reported as an error rather than a panic.
        let (before, after) = rest
            .split_once(marker)
            .ok_or_else(|| io::Error::other(format!("the page template has no {marker} (a bug of this crate)")))?;
        out.write_all(before.as_bytes())?;
        match marker {
            "{{CSS}}" => out.write_all(CSS.as_bytes())?,
            "{{DATA}}" => html_data::write(out, page)?,
            _ => out.write_all(JS.as_bytes())?,
        }
        rest = after;
    }
    out.write_all(rest.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_each_marker_once_in_order() {
        let positions: Vec<usize> = MARKERS
            .iter()
            .map(|m| {
                assert_eq!(TEMPLATE.matches(m).count(), 1, "{m}");
                TEMPLATE.find(m).unwrap()
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    #[test]
    fn the_assets_cannot_end_their_element_or_load_anything() {
        // The CSS sits in <style>, the script in <script>: neither may hold the closing tag.
        assert!(!CSS.to_ascii_lowercase().contains("</style"));
        // Nor the sequences that change how script data is parsed (HTML's "script data
        // escaped" states).
        for needle in ["</script", "<!--", "<script"] {
            assert!(!JS.to_ascii_lowercase().contains(needle), "js contains {needle:?}");
        }
        for (name, text) in [("template", TEMPLATE), ("css", CSS), ("js", JS)] {
            let lower = text.to_ascii_lowercase();
            for needle in ["http:", "https:", "//cdn", "@import", "url(", "src=", "href=", "fetch(", "xmlhttprequest"] {
                assert!(!lower.contains(needle), "{name} contains {needle:?}");
            }
        }
        assert!(TEMPLATE.contains(
            r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">"#
        ));
    }
}
