//! The HTML page: the template in `assets/`, its CSS and script inlined, the data
//! embedded. Nothing is fetched when the page is opened: its Content-Security-Policy
//! (`default-src 'none'`, inline style, and only the page's own two scripts, named by a
//! nonce drawn for each page) forbids any request, and any script or event handler that
//! markup in the data could ever bring in.

use std::io::{self, Write};

use crate::html_data::{self, PageData};

/// The page, with `{{CSS}}`, `{{DATA}}` and `{{JS}}` where the rest goes, in that order.
const TEMPLATE: &str = include_str!("assets/waterfall.html");
/// The page's style sheet.
const CSS: &str = include_str!("assets/waterfall.css");
/// The page's script: reads the data, draws the trace list, the waterfall and the details.
const JS: &str = include_str!("assets/waterfall.js");

const MARKERS: [&str; 3] = ["{{CSS}}", "{{DATA}}", "{{JS}}"];

/// Where the page's script nonce goes (its policy and its two script elements).
const NONCE: &str = "{{NONCE}}";

/// A nonce for one page: a generated trace id's 32 hex digits (122 random bits; the
/// others are uuid4's fixed ones). It names the page's own scripts, and is no secret from
/// whoever reads the page.
fn nonce() -> String {
    let bits = trace_core::TraceId::generate().as_u128().unwrap_or_default();
    format!("{bits:032x}")
}

/// Writes the whole page to `out`.
pub(crate) fn write(out: &mut dyn Write, page: &PageData<'_>) -> io::Result<()> {
    let template = TEMPLATE.replace(NONCE, &nonce());
    let mut rest = template.as_str();
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
    fn only_the_pages_own_scripts_may_run_each_page_with_its_nonce() {
        let page = |()| {
            let mut out = Vec::new();
            let data = PageData {
                title: "t",
                traces: &[],
                limits: crate::store::Limits { max_traces: 1, max_spans_per_trace: 1, max_spans: 1 },
                dropped_traces: 0,
                dropped_spans: 0,
                generated_at: trace_core::Timestamp::now(),
            };
            write(&mut out, &data).unwrap();
            String::from_utf8(out).unwrap()
        };
        let (a, b) = (page(()), page(()));
        let nonce_of = |p: &str| {
            let at = p.find("script-src 'nonce-").unwrap() + "script-src 'nonce-".len();
            p[at..at + 32].to_owned()
        };
        let nonce = nonce_of(&a);
        assert!(nonce.bytes().all(|b| b.is_ascii_hexdigit()), "{nonce}");
        assert_ne!(nonce, nonce_of(&b), "a nonce per page");
        assert!(!a.contains("script-src 'unsafe-inline'") && !a.contains(NONCE));
        // Both scripts of the page carry it; the data element needs none (it is not run).
        assert_eq!(a.matches(&format!("<script nonce=\"{nonce}\">")).count(), 2);
        assert_eq!(a.matches("<script").count(), 3);
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
            r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{{NONCE}}'">"#
        ));
    }
}
