//! The JAAS configuration file Kafka's `BasicAuthSecurityRestExtension` reads, and where
//! a worker finds it.
//!
//! ```text
//! KafkaConnect {
//!   org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
//!   file="/etc/kafka/connect-credentials.properties";
//! };
//! ```
//!
//! The syntax is that of Java's `ConfigFile`: entries `Name { Module Flag key=value…; … };`,
//! values quoted or bare, `//` and `/* */` comments.

use std::collections::BTreeMap;
use std::path::PathBuf;

use connect_api::{ConnectError, Result};

/// The worker key naming the JAAS file (the JVM's `java.security.auth.login.config`).
pub const JAAS_CONFIG_KEY: &str = "rest.basic.auth.jaas.config";
/// The JVM system property operators set in `KAFKA_OPTS` for Kafka.
pub const JAAS_SYSTEM_PROPERTY: &str = "java.security.auth.login.config";
/// The JAAS entry the extension logs in with.
pub const CONNECT_ENTRY: &str = "KafkaConnect";
/// The login module that checks a properties file of `user: password` lines.
pub const PROPERTY_FILE_LOGIN_MODULE: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";

/// One login module line of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginModule {
    /// The module's class.
    pub class: String,
    /// `required`, `requisite`, `sufficient` or `optional`.
    pub flag: String,
    /// Its `key=value` options.
    pub options: BTreeMap<String, String>,
}

/// The entries of a JAAS file, by name, in file order.
pub type JaasConfig = Vec<(String, Vec<LoginModule>)>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Punct(char),
}

fn tokens(text: &str) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                let mut closed = false;
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        closed = true;
                        break;
                    }
                    last = c;
                }
                if !closed {
                    return Err(ConnectError::config("unterminated /* comment"));
                }
            }
            '{' | '}' | ';' | '=' => out.push(Token::Punct(c)),
            '"' => {
                let mut s = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some(other) => s.push(other),
                            None => break,
                        },
                        other => s.push(other),
                    }
                }
                if !closed {
                    return Err(ConnectError::config("unterminated quoted string"));
                }
                out.push(Token::Quoted(s));
            }
            c => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, '{' | '}' | ';' | '=' | '"') {
                        break;
                    }
                    s.push(n);
                    chars.next();
                }
                out.push(Token::Word(s));
            }
        }
    }
    Ok(out)
}

/// Parses the text of a JAAS configuration file.
pub fn parse(text: &str) -> Result<JaasConfig> {
    let toks = tokens(text)?;
    let mut it = toks.into_iter().peekable();
    let mut entries = Vec::new();
    let expected = |what: &str, got: Option<Token>| {
        ConnectError::config(format!(
            "expected {what}, found {}",
            match got {
                // Never the text itself: JAAS files hold passwords (other entries'
                // `password="…"` included), and this message goes to the log.
                Some(Token::Word(_)) => "a word".into(),
                Some(Token::Quoted(_)) => "a quoted value".into(),
                Some(Token::Punct(p)) => format!("'{p}'"),
                None => "the end of the file".into(),
            }
        ))
    };
    while let Some(tok) = it.next() {
        let Token::Word(name) = tok else { return Err(expected("an entry name", Some(tok))) };
        match it.next() {
            Some(Token::Punct('{')) => {}
            other => return Err(expected(&format!("'{{' after {name}"), other)),
        }
        let mut modules = Vec::new();
        loop {
            match it.next() {
                Some(Token::Punct('}')) => break,
                Some(Token::Word(class)) => {
                    let flag = match it.next() {
                        Some(Token::Word(f)) => f,
                        other => return Err(expected(&format!("a flag after {class}"), other)),
                    };
                    if !["required", "requisite", "sufficient", "optional"]
                        .contains(&flag.to_ascii_lowercase().as_str())
                    {
                        return Err(ConnectError::config(format!(
                            "login module {class} has the flag '{flag}'; expected required, requisite, sufficient or optional"
                        )));
                    }
                    let mut options = BTreeMap::new();
                    loop {
                        match it.next() {
                            Some(Token::Punct(';')) => break,
                            Some(Token::Word(key)) => {
                                match it.next() {
                                    Some(Token::Punct('=')) => {}
                                    other => {
                                        return Err(expected(&format!("'=' after {key}"), other));
                                    }
                                }
                                let value = match it.next() {
                                    Some(Token::Word(v) | Token::Quoted(v)) => v,
                                    other => {
                                        return Err(expected(&format!("a value for {key}"), other));
                                    }
                                };
                                options.insert(key, value);
                            }
                            other => {
                                return Err(expected(
                                    &format!("an option or ';' in {class}"),
                                    other,
                                ));
                            }
                        }
                    }
                    modules.push(LoginModule { class, flag: flag.to_ascii_lowercase(), options });
                }
                other => return Err(expected(&format!("a login module or '}}' in {name}"), other)),
            }
        }
        match it.next() {
            Some(Token::Punct(';')) => {}
            other => return Err(expected(&format!("';' after the entry {name}"), other)),
        }
        entries.push((name, modules));
    }
    Ok(entries)
}

/// The JAAS file a worker reads: `rest.basic.auth.jaas.config` from its config, else the
/// `-Djava.security.auth.login.config=PATH` of `KAFKA_OPTS` (`kafka_opts`), as operators
/// set it for Kafka (`==PATH`, the JVM's "this file only", is read the same). The path
/// with where it came from.
pub fn location(config_value: Option<&str>, kafka_opts: Option<&str>) -> Option<(PathBuf, String)> {
    if let Some(path) = config_value.map(str::trim).filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(path), JAAS_CONFIG_KEY.to_string()));
    }
    let flag = format!("-D{JAAS_SYSTEM_PROPERTY}=");
    kafka_opts?
        .split_whitespace()
        .rev()
        .find_map(|arg| arg.strip_prefix(&flag))
        .map(|p| p.trim_start_matches('=').trim_matches('"'))
        .filter(|p| !p.is_empty())
        .map(|p| (PathBuf::from(p), format!("KAFKA_OPTS (-D{JAAS_SYSTEM_PROPERTY})")))
}

/// The credentials file the `KafkaConnect` entry's `PropertyFileLoginModule` names.
/// Refused: no such entry, another login module (only this one is built in), or no
/// `file` option (Kafka would start, then refuse every request).
pub fn credentials_file(config: &JaasConfig) -> Result<PathBuf> {
    let Some((_, modules)) = config.iter().find(|(name, _)| name == CONNECT_ENTRY) else {
        let names: Vec<&str> = config.iter().map(|(n, _)| n.as_str()).collect();
        return Err(ConnectError::config(format!(
            "no {CONNECT_ENTRY} entry (entries found: {names:?})"
        )));
    };
    let module = match modules.as_slice() {
        [one] => one,
        [] => {
            return Err(ConnectError::config(format!(
                "the {CONNECT_ENTRY} entry has no login module"
            )));
        }
        more => {
            return Err(ConnectError::config(format!(
                "the {CONNECT_ENTRY} entry has {} login modules; this worker supports one, {PROPERTY_FILE_LOGIN_MODULE}",
                more.len()
            )));
        }
    };
    if module.class != PROPERTY_FILE_LOGIN_MODULE {
        return Err(ConnectError::config(format!(
            "the {CONNECT_ENTRY} entry uses the login module {}; this worker supports only {PROPERTY_FILE_LOGIN_MODULE}",
            module.class
        )));
    }
    match module.options.get("file").map(|f| f.trim()).filter(|f| !f.is_empty()) {
        Some(file) => Ok(PathBuf::from(file)),
        None => Err(ConnectError::config(format!(
            "{PROPERTY_FILE_LOGIN_MODULE} needs the option file=\"/path/to/credentials.properties\""
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const KAFKA_DOC_EXAMPLE: &str = r#"
        KafkaConnect {
             org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
             file="/mnt/secret/credentials.properties";
        };
    "#;

    #[test]
    fn kafkas_example_names_its_credentials_file() {
        let c = parse(KAFKA_DOC_EXAMPLE).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].1[0].flag, "required");
        assert_eq!(
            credentials_file(&c).unwrap(),
            PathBuf::from("/mnt/secret/credentials.properties")
        );
    }

    #[test]
    fn other_entries_comments_and_bare_values_are_read() {
        let text = r#"
            // the brokers' clients share this file
            KafkaClient {
                org.apache.kafka.common.security.plain.PlainLoginModule required
                username="alice" password="a\"b";
            };
            /* REST */ KafkaConnect { org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule
              REQUISITE debug=true file=/etc/creds.properties; };
        "#;
        let c = parse(text).unwrap();
        assert_eq!(c[0].0, "KafkaClient");
        assert_eq!(c[0].1[0].options["password"], "a\"b");
        assert_eq!(c[1].1[0].flag, "requisite");
        assert_eq!(c[1].1[0].options["debug"], "true");
        assert_eq!(credentials_file(&c).unwrap(), PathBuf::from("/etc/creds.properties"));
    }

    #[test]
    fn a_malformed_entry_never_echoes_a_secret() {
        for text in [
            "KafkaClient { M required password \"s3cret\"; };",
            "KafkaClient { M required password s3cret; };",
            "KafkaClient { M required username=\"u\" password=; \"s3cret\" };",
        ] {
            let e = parse(text).unwrap_err();
            assert!(!e.message().contains("s3cret"), "{text}: {e}");
        }
    }

    #[test]
    fn malformed_files_say_what_was_expected() {
        let e = parse("KafkaConnect { M required file=\"x\" };").unwrap_err();
        assert!(e.message().contains("expected an option or ';' in M, found '}'"), "{e}");
        let e = parse("KafkaConnect { M always; };").unwrap_err();
        assert!(e.message().contains("flag 'always'"), "{e}");
        let e = parse("KafkaConnect { M required; }").unwrap_err();
        assert!(e.message().contains("the end of the file"), "{e}");
        assert!(parse("KafkaConnect { M required file=\"x; };").is_err());
        assert!(parse("/* never closed").is_err());
        assert!(parse("KafkaConnect { M required file; };").is_err());
    }

    #[test]
    fn what_the_extension_cannot_run_is_refused() {
        let e = credentials_file(&parse("KafkaServer { M required; };").unwrap()).unwrap_err();
        assert!(e.message().contains("no KafkaConnect entry"), "{e}");
        let e = credentials_file(
            &parse("KafkaConnect { com.example.LdapLoginModule required url=\"ldap://x\"; };")
                .unwrap(),
        )
        .unwrap_err();
        assert!(e.message().contains("com.example.LdapLoginModule"), "{e}");
        let no_file = format!("KafkaConnect {{ {PROPERTY_FILE_LOGIN_MODULE} required; }};");
        let e = credentials_file(&parse(&no_file).unwrap()).unwrap_err();
        assert!(e.message().contains("needs the option file="), "{e}");
        let two = format!(
            "KafkaConnect {{ {PROPERTY_FILE_LOGIN_MODULE} required file=a; {PROPERTY_FILE_LOGIN_MODULE} required file=b; }};"
        );
        assert!(
            credentials_file(&parse(&two).unwrap())
                .unwrap_err()
                .message()
                .contains("2 login modules")
        );
        assert!(credentials_file(&parse("KafkaConnect { };").unwrap()).is_err());
    }

    #[test]
    fn the_location_comes_from_the_config_key_then_kafka_opts() {
        let opts = "-Xmx1g -Djava.security.auth.login.config=/etc/kafka/connect_jaas.conf -Dx=y";
        let (p, from) = location(None, Some(opts)).unwrap();
        assert_eq!(p, PathBuf::from("/etc/kafka/connect_jaas.conf"));
        assert!(from.contains("KAFKA_OPTS"));
        let (p, from) = location(Some("/w/jaas.conf"), Some(opts)).unwrap();
        assert_eq!((p, from.as_str()), (PathBuf::from("/w/jaas.conf"), JAAS_CONFIG_KEY));
        let (p, _) = location(None, Some("-Djava.security.auth.login.config==/only.conf")).unwrap();
        assert_eq!(p, PathBuf::from("/only.conf"));
        assert_eq!(location(Some("  "), Some("-Xmx1g")), None);
        assert_eq!(location(None, None), None);
    }
}
