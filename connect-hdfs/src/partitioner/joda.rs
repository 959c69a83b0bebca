//! Joda-Time `DateTimeFormat` patterns, as Confluent's `path.format` uses them.
//!
//! Supported letters (Joda's meaning): `G` era, `C` century of era, `Y` year of era,
//! `y` year, `x` week-year, `w` week of week-year, `e` day of week (1 = Monday),
//! `E` day-of-week name, `D` day of year, `M` month (`MMM`/`MMMM` names), `d` day of
//! month, `a` AM/PM, `K` hour of half-day (0–11), `h` clock hour of half-day (1–12),
//! `H` hour of day (0–23), `k` clock hour of day (1–24), `m` minute, `s` second,
//! `S` fraction of second, `z` zone abbreviation, `Z` zone offset. Text in single
//! quotes is literal (`''` is a quote); other non-letters are literal. Names are
//! English whatever the `locale`.

use chrono::{DateTime, Datelike as _, Offset as _, TimeZone, Timelike as _};
use connect_api::{ConnectError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    Field(char, usize),
}

/// A compiled Joda-style pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JodaPattern {
    pattern: String,
    tokens: Vec<Token>,
}

const LETTERS: &str = "GCYyxweEDMdaKhHkmsSzZ";

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
const DAYS: [&str; 7] =
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

impl JodaPattern {
    /// Compiles `pattern`; an unknown letter or an unclosed quote is a config error
    /// naming `key` (the config key the pattern came from).
    pub fn parse(pattern: &str, key: &str) -> Result<JodaPattern> {
        let mut tokens = Vec::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        let mut literal = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(ConnectError::config(format!(
                                "Invalid value {pattern:?} for configuration {key}: unclosed quote"
                            )));
                        }
                        Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                            literal.push('\'');
                            j += 2;
                        }
                        Some('\'') => break,
                        Some(ch) => {
                            literal.push(*ch);
                            j += 1;
                        }
                    }
                }
                i = j + 1;
            } else if c.is_ascii_alphabetic() {
                if !LETTERS.contains(c) {
                    return Err(ConnectError::config(format!(
                        "Invalid value {pattern:?} for configuration {key}: illegal pattern component {c:?}"
                    )));
                }
                let mut n = 1;
                while chars.get(i + n) == Some(&c) {
                    n += 1;
                }
                if !literal.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut literal)));
                }
                tokens.push(Token::Field(c, n));
                i += n;
            } else {
                literal.push(c);
                i += 1;
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Ok(JodaPattern { pattern: pattern.to_string(), tokens })
    }

    /// The pattern text.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Formats an instant in its zone.
    pub fn format<Tz: TimeZone>(&self, t: &DateTime<Tz>) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        let mut out = String::with_capacity(self.pattern.len() + 8);
        for token in &self.tokens {
            match token {
                Token::Literal(s) => out.push_str(s),
                Token::Field(c, n) => field(&mut out, t, *c, *n),
            }
        }
        out
    }
}

fn pad(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        out.push('-');
    }
    let digits = v.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// Years: Joda prints `yy` as the two low digits, any other count zero-padded.
fn year(out: &mut String, y: i64, n: usize) {
    if n == 2 {
        pad(out, y.rem_euclid(100), 2);
    } else {
        pad(out, y, n);
    }
}

fn text(out: &mut String, full: &str, n: usize) {
    if n >= 4 {
        out.push_str(full);
    } else {
        out.extend(full.chars().take(3));
    }
}

fn field<Tz: TimeZone>(out: &mut String, t: &DateTime<Tz>, c: char, n: usize)
where
    Tz::Offset: std::fmt::Display,
{
    let year_of_era = || {
        let y = i64::from(t.year());
        if y <= 0 { 1 - y } else { y }
    };
    match c {
        'G' => out.push_str(if t.year() <= 0 { "BC" } else { "AD" }),
        'C' => pad(out, year_of_era() / 100, n),
        'Y' => year(out, year_of_era(), n),
        'y' => year(out, i64::from(t.year()), n),
        'x' => year(out, i64::from(t.iso_week().year()), n),
        'w' => pad(out, i64::from(t.iso_week().week()), n),
        'e' => pad(out, i64::from(t.weekday().number_from_monday()), n),
        'E' => text(out, DAYS[t.weekday().num_days_from_monday() as usize % 7], n),
        'D' => pad(out, i64::from(t.ordinal()), n),
        'M' if n >= 3 => text(out, MONTHS[t.month0() as usize % 12], n),
        'M' => pad(out, i64::from(t.month()), n),
        'd' => pad(out, i64::from(t.day()), n),
        'a' => out.push_str(if t.hour() < 12 { "AM" } else { "PM" }),
        'K' => pad(out, i64::from(t.hour() % 12), n),
        'h' => pad(out, i64::from(if t.hour().is_multiple_of(12) { 12 } else { t.hour() % 12 }), n),
        'H' => pad(out, i64::from(t.hour()), n),
        'k' => pad(out, i64::from(if t.hour() == 0 { 24 } else { t.hour() }), n),
        'm' => pad(out, i64::from(t.minute()), n),
        's' => pad(out, i64::from(t.second()), n),
        'S' => {
            // Fraction of second, truncated to n digits (milliseconds precision).
            let millis = format!("{:03}", t.timestamp_subsec_millis().min(999));
            let mut digits: String = millis.chars().take(n).collect();
            while digits.len() < n {
                digits.push('0');
            }
            out.push_str(&digits);
        }
        'z' => out.push_str(&t.offset().to_string()),
        'Z' => {
            let secs = t.offset().fix().local_minus_utc();
            let sign = if secs < 0 { '-' } else { '+' };
            let secs = secs.unsigned_abs();
            let (h, m) = (secs / 3600, (secs % 3600) / 60);
            if n >= 2 {
                out.push_str(&format!("{sign}{h:02}:{m:02}"));
            } else {
                out.push_str(&format!("{sign}{h:02}{m:02}"));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn formats_the_confluent_hourly_pattern() {
        let p =
            JodaPattern::parse("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH", "path.format").unwrap();
        let t = Utc.with_ymd_and_hms(2024, 5, 7, 9, 3, 0).unwrap();
        assert_eq!(p.format(&t), "year=2024/month=05/day=07/hour=09");
    }

    #[test]
    fn quotes_text_and_names() {
        let p = JodaPattern::parse("'it''s' yy MMM MMMM EEE EEEE a h k DDD D", "k").unwrap();
        let t = Utc.with_ymd_and_hms(2024, 2, 4, 0, 0, 0).unwrap();
        assert_eq!(p.format(&t), "it's 24 Feb February Sun Sunday AM 12 24 035 35");
    }

    #[test]
    fn rejects_unknown_letters_and_open_quotes() {
        let e = JodaPattern::parse("YYYY/qq", "path.format").unwrap_err();
        assert!(e.message().contains("path.format") && e.message().contains("'q'"));
        assert!(JodaPattern::parse("'year=YYYY", "path.format").is_err());
    }
}
