//! A subset of Java's `SimpleDateFormat`, always in UTC, for `TimestampConverter` and
//! `TimestampRouter`.
//!
//! Supported pattern letters:
//!
//! | letter | meaning | formatting | parsing |
//! | --- | --- | --- | --- |
//! | `y` | year | `yy`: two digits; otherwise zero-padded to the count | `yy` with two digits: within 80 years before and 20 after now, as Java; otherwise the number as is |
//! | `M` | month | `M`/`MM` number; `MMM` `Jan`; `MMMM` `January` | number, or English name (short or full, any case) |
//! | `d` | day of month | zero-padded | number |
//! | `H` | hour of day (0-23) | zero-padded | number |
//! | `m` | minute | zero-padded | number |
//! | `s` | second | zero-padded | number |
//! | `S` | millisecond (a count, not a fraction) | zero-padded | number |
//! | `z` | time zone | `UTC` | `UTC`, `GMT`, `Z`, or an offset as for `X` |
//! | `Z` | RFC 822 zone | `+0000` | `+hhmm` / `-hhmm` |
//! | `X` | ISO 8601 zone | `Z` | `Z`, `+hh`, `+hhmm`, `+hh:mm` |
//!
//! Text in single quotes is literal (`''` is a quote), as are characters other than
//! ASCII letters. Numbers abutting another number (`yyyyMMdd`) take exactly their
//! letter count of digits; others take every digit there is. Other Java letters
//! (`E`, `a`, `h`, `k`, `K`, `D`, `w`, `G`, …) are refused when the pattern is
//! configured, as are letters Java does not know. Unlike Java's default lenient
//! parsing, out-of-range fields (month 13, 31 February) are an error rather than
//! rolled over; like Java, text after the pattern's end is ignored.

use std::time::{SystemTime, UNIX_EPOCH};

use connect_api::data::Date;

const DAY: i64 = 86_400_000;
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const JAVA_LETTERS: &str = "GyYMLwWDdFEuaHkKhmsSzZX";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    Field(char, usize),
}

/// A compiled date pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateFormat {
    pattern: String,
    tokens: Vec<Token>,
}

fn is_numeric(t: &Token) -> bool {
    matches!(t, Token::Field(c, n) if "ydHmsS".contains(*c) || (*c == 'M' && *n <= 2))
}

impl DateFormat {
    /// Compiles a pattern, or says why it cannot be used.
    pub(crate) fn new(pattern: &str) -> Result<DateFormat, String> {
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    literal.push('\'');
                    continue;
                }
                loop {
                    match chars.next() {
                        None => return Err(format!("Unterminated quote in pattern {pattern}")),
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            literal.push('\'');
                        }
                        Some('\'') => break,
                        Some(q) => literal.push(q),
                    }
                }
            } else if c.is_ascii_alphabetic() {
                if !JAVA_LETTERS.contains(c) {
                    return Err(format!("Illegal pattern character '{c}'"));
                }
                if !"yMdHmsSzZX".contains(c) {
                    return Err(format!("Pattern letter '{c}' is not supported"));
                }
                let mut count = 1;
                while chars.peek() == Some(&c) {
                    chars.next();
                    count += 1;
                }
                if !literal.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut literal)));
                }
                tokens.push(Token::Field(c, count));
            } else {
                literal.push(c);
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Ok(DateFormat { pattern: pattern.to_string(), tokens })
    }

    /// The pattern as configured.
    pub(crate) fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The text of an instant (milliseconds since the epoch) in UTC.
    pub(crate) fn format(&self, millis: i64) -> String {
        let days = millis.div_euclid(DAY);
        let ms = millis.rem_euclid(DAY);
        let (y, mo, d) = i32::try_from(days).map(|d| Date(d).to_ymd()).unwrap_or((1970, 1, 1));
        let year = if y <= 0 { 1 - i64::from(y) } else { i64::from(y) };
        let mut out = String::new();
        for t in &self.tokens {
            let (c, n) = match t {
                Token::Literal(s) => {
                    out.push_str(s);
                    continue;
                }
                Token::Field(c, n) => (*c, *n),
            };
            let pad = |v: i64| format!("{v:0n$}");
            let text = match c {
                'y' if n == 2 => format!("{:02}", year % 100),
                'y' => pad(year),
                'M' if n >= 4 => MONTHS[(mo - 1) as usize].to_string(),
                'M' if n == 3 => MONTHS[(mo - 1) as usize][..3].to_string(),
                'M' => pad(i64::from(mo)),
                'd' => pad(i64::from(d)),
                'H' => pad(ms / 3_600_000),
                'm' => pad(ms / 60_000 % 60),
                's' => pad(ms / 1000 % 60),
                'S' => pad(ms % 1000),
                'z' => "UTC".to_string(),
                'Z' => "+0000".to_string(),
                _ => "Z".to_string(),
            };
            out.push_str(&text);
        }
        out
    }

    /// The instant a text denotes, or `None` when it does not match the pattern.
    pub(crate) fn parse(&self, text: &str) -> Option<i64> {
        let (mut year, mut month, mut day) = (1970i64, 1u32, 1u32);
        let (mut hour, mut minute, mut second, mut milli) = (0i64, 0i64, 0i64, 0i64);
        let mut offset_minutes = 0i64;
        let mut rest = text;
        for (i, t) in self.tokens.iter().enumerate() {
            let (c, n) = match t {
                Token::Literal(s) => {
                    rest = rest.strip_prefix(s.as_str())?;
                    continue;
                }
                Token::Field(c, n) => (*c, *n),
            };
            if c == 'M' && n >= 3 {
                let found = MONTHS.iter().enumerate().find_map(|(i, name)| {
                    [*name, &name[..3]].into_iter().find_map(|cand| {
                        let head = rest.get(..cand.len())?;
                        head.eq_ignore_ascii_case(cand).then_some((i, cand.len()))
                    })
                });
                let (i, len) = found?;
                month = i as u32 + 1;
                rest = &rest[len..];
                continue;
            }
            if "zZX".contains(c) {
                let (minutes, len) = parse_zone(c, rest)?;
                offset_minutes = minutes;
                rest = &rest[len..];
                continue;
            }
            let abutting = self.tokens.get(i + 1).is_some_and(is_numeric);
            let negative = c == 'y' && rest.starts_with('-');
            let body = if negative { &rest[1..] } else { rest };
            let digits = body.bytes().take_while(u8::is_ascii_digit).count();
            let len = if abutting { n } else { digits };
            if len == 0 || digits < len {
                return None;
            }
            let v: i64 = body[..len].parse().ok()?;
            let v = if negative { -v } else { v };
            rest = &body[len..];
            match c {
                'y' if n == 2 && len == 2 => year = two_digit_year(v),
                'y' => year = v,
                'M' => month = u32::try_from(v).ok()?,
                'd' => day = u32::try_from(v).ok()?,
                'H' => hour = v,
                'm' => minute = v,
                's' => second = v,
                _ => milli = v,
            }
        }
        if hour > 23 || minute > 59 || second > 59 || milli > 999 {
            return None;
        }
        let date = Date::from_ymd(i32::try_from(year).ok()?, month, day).ok()?;
        let time = ((hour * 60 + minute) * 60 + second) * 1000 + milli;
        Some(date.to_epoch_millis() + time - offset_minutes * 60_000)
    }
}

/// Java's window for two-digit years: within 80 years before and 20 after now.
fn two_digit_year(v: i64) -> i64 {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let now_year = i32::try_from(now_ms / DAY).map_or(2000, |d| i64::from(Date(d).to_ymd().0));
    let start = now_year - 80;
    let candidate = start - start.rem_euclid(100) + v;
    if candidate < start { candidate + 100 } else { candidate }
}

/// A zone at the start of `s`: its offset in minutes and its length.
fn parse_zone(letter: char, s: &str) -> Option<(i64, usize)> {
    if letter == 'z' {
        for name in ["UTC", "GMT"] {
            if s.starts_with(name) {
                return match parse_offset(&s[3..], true) {
                    Some((m, len)) => Some((m, 3 + len)),
                    None => Some((0, 3)),
                };
            }
        }
    }
    if letter != 'Z' && s.starts_with('Z') {
        return Some((0, 1));
    }
    parse_offset(s, letter != 'Z')
}

/// `+hh`, `+hhmm` or `+hh:mm` (colon and minutes optional only when `loose`).
fn parse_offset(s: &str, loose: bool) -> Option<(i64, usize)> {
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = |from: usize| -> Option<i64> {
        let d = s.get(from..from + 2)?;
        if d.bytes().all(|b| b.is_ascii_digit()) { d.parse().ok() } else { None }
    };
    let hours = digits(1)?;
    let (minutes, len) = match (digits(3), s.as_bytes().get(3)) {
        (Some(m), _) => (m, 5),
        (None, Some(b':')) if loose => (digits(4)?, 6),
        _ if loose => (0, 3),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((sign * (hours * 60 + minutes), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE_PLUS_TIME: i64 = DAY + 1234;

    #[test]
    fn formats_and_parses_kafkas_test_pattern() {
        let f = DateFormat::new("yyyy MM dd HH mm ss SSS z").unwrap();
        assert_eq!(f.format(DATE_PLUS_TIME), "1970 01 02 00 00 01 234 UTC");
        assert_eq!(f.parse("1970 01 02 00 00 01 234 UTC"), Some(DATE_PLUS_TIME));
    }

    #[test]
    fn abutting_numbers_take_their_width() {
        let f = DateFormat::new("yyyyMMdd").unwrap();
        assert_eq!(f.format(1_483_425_001_864), "20170103");
        assert_eq!(f.parse("20170103"), Some(1_483_401_600_000));
        // The last number is not abutting: it takes every digit there is, as in Java.
        assert_eq!(f.parse("2017013"), Some(1_483_401_600_000));
        assert_eq!(f.parse("201701"), None);
    }

    #[test]
    fn quotes_zones_and_names() {
        let f = DateFormat::new("yyyy-MM-dd'T'HH:mm:ss.SSSX").unwrap();
        assert_eq!(f.format(DATE_PLUS_TIME), "1970-01-02T00:00:01.234Z");
        assert_eq!(f.parse("1970-01-02T01:00:01.234+01:00"), Some(DATE_PLUS_TIME));
        let f = DateFormat::new("d MMM yyyy 'o''clock' Z").unwrap();
        assert_eq!(f.format(0), "1 Jan 1970 o'clock +0000");
        assert_eq!(f.parse("2 JAN 1970 o'clock -0100"), Some(DAY + 3_600_000));
        assert_eq!(DateFormat::new("MMMM").unwrap().format(40 * DAY), "February");
    }

    #[test]
    fn bad_patterns_and_texts_are_refused() {
        assert!(
            DateFormat::new("bad-format").unwrap_err().contains("Illegal pattern character 'b'")
        );
        assert!(DateFormat::new("EEE yyyy").unwrap_err().contains("not supported"));
        assert!(DateFormat::new("'open").is_err());
        let f = DateFormat::new("yyyy-MM-dd").unwrap();
        assert_eq!(f.parse("2023-02-29"), None);
        assert_eq!(f.parse("2024-13-01"), None);
        assert_eq!(f.parse("x"), None);
        assert_eq!(f.parse("2024-02-29 trailing"), Some(19782 * DAY));
        assert_eq!(f.format(-DAY), "1969-12-31");
    }

    #[test]
    fn two_digit_years_fall_in_javas_window() {
        let f = DateFormat::new("yy").unwrap();
        assert_eq!(f.format(0), "70");
        let y = two_digit_year(5);
        assert!(y % 100 == 5 && (2000..2200).contains(&y), "{y}");
    }
}
