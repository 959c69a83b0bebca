//! `hive-site.xml`: the properties of a Hive configuration directory.

use std::collections::BTreeMap;
use std::path::Path;

use connect_api::{ConnectError, Result};

/// The `<property><name>…</name><value>…</value></property>` pairs of a Hadoop
/// configuration XML document (XML entities and CDATA decoded, comments skipped).
pub fn parse_hadoop_xml(xml: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let xml = strip_comments(xml);
    let mut rest = xml.as_str();
    while let Some(start) = rest.find("<property") {
        let after = &rest[start..];
        let Some(end) = after.find("</property>") else { break };
        let body = &after[..end];
        if let (Some(name), Some(value)) = (element(body, "name"), element(body, "value")) {
            out.insert(name.trim().to_string(), value.trim().to_string());
        } else if let Some(name) = element(body, "name") {
            out.insert(name.trim().to_string(), String::new());
        }
        rest = &after[end + "</property>".len()..];
    }
    out
}

fn strip_comments(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        match rest[i..].find("-->") {
            Some(j) => rest = &rest[i + j + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn element(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let s = body.find(&open)? + open.len();
    let e = body[s..].find(&close)? + s;
    let raw = &body[s..e];
    if let Some(cdata) = raw.trim().strip_prefix("<![CDATA[").and_then(|r| r.strip_suffix("]]>")) {
        return Some(cdata.to_string());
    }
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// The properties of `<dir>/hive-site.xml`; a missing file is a config error naming
/// `hive.conf.dir`.
pub fn read_hive_site(dir: &str) -> Result<BTreeMap<String, String>> {
    let path = Path::new(dir).join("hive-site.xml");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        ConnectError::config(format!(
            "Invalid value {dir:?} for configuration hive.conf.dir: cannot read {}: {e}",
            path.display()
        ))
    })?;
    Ok(parse_hadoop_xml(&text))
}
