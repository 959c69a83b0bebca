//! Tests across the config module: password masking everywhere, and properties of
//! parsing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use super::*;

const SECRET: &str = "correct-horse-battery";

fn secret_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new("db.password", Type::Password, Importance::High, "Secret."))
        .define(
            ConfigKey::new("other.password", Type::Password, Importance::High, "Secret 2.")
                .default_value(SECRET)
                .validator(NonEmptyString),
        )
        .define(
            ConfigKey::new("checked.password", Type::Password, Importance::High, "Secret 3.")
                .optional()
                .validator(custom(|_, v| match v {
                    Some(_) => Err("Password too weak".to_string()),
                    None => Ok(()),
                })),
        )
        .define(ConfigKey::new("n", Type::Int, Importance::Low, "A number.").default_value(1))
}

fn secret_raw() -> RawConfig {
    let mut raw = RawConfig::new();
    raw.insert("db.password".into(), SECRET.into());
    raw.insert("checked.password".into(), SECRET.into());
    raw.insert("n".into(), "x".into());
    raw.insert("unknown.password".into(), SECRET.into());
    raw
}

#[test]
fn passwords_are_masked_in_every_output() {
    let p = Password::new(SECRET);
    let value = ConfigValue::Password(p.clone());
    let outputs = [
        format!("{p:?}"),
        format!("{p}"),
        serde_json::to_string(&p).unwrap(),
        format!("{value:?}"),
        format!("{value}"),
        value.to_raw_string(),
    ];
    for out in &outputs {
        assert!(out.contains("[hidden]"), "{out}");
        assert!(!out.contains(SECRET), "{out}");
    }

    let def = secret_def();
    assert!(!format!("{def:?}").contains(SECRET));

    // The parse error names the weak password without echoing it.
    let err = def.parse(&secret_raw()).unwrap_err();
    assert!(!err.message().contains(SECRET), "{}", err.message());
    assert!(
        err.message().contains(
            "Invalid value [hidden] for configuration checked.password: Password too weak"
        )
    );

    let mut raw = secret_raw();
    raw.remove("checked.password");
    raw.insert("n".into(), "2".into());
    let parsed = def.parse(&raw).unwrap();
    let shown = format!("{parsed:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert_eq!(parsed.get_password("db.password").unwrap().value(), SECRET);

    let report = def.validate(&secret_raw());
    assert_eq!(report.get("db.password").unwrap().value.as_deref(), Some("[hidden]"));
    assert_eq!(report.get("other.password").unwrap().value.as_deref(), Some("[hidden]"));
    let report_text = format!("{report:?}{}", serde_json::to_string(&report).unwrap());
    assert!(!report_text.contains(SECRET), "{report_text}");

    let infos = ConfigInfos::new("C", &def, &report);
    let json = serde_json::to_string(&infos).unwrap();
    assert!(!json.contains(SECRET), "{json}");
    assert!(!format!("{infos:?}").contains(SECRET));
    assert_eq!(infos.error_count, 2);
}

#[test]
fn invalid_password_default_is_reported_hidden() {
    let def = ConfigDef::new().define(
        ConfigKey::new("p", Type::Password, Importance::High, "")
            .default_value("")
            .validator(NonEmptyString),
    );
    assert_eq!(
        def.definition_errors()[0].1,
        "Invalid default value [hidden] for configuration p: String may not be empty"
    );
}

#[test]
fn missing_required_key_uses_kafkas_message() {
    let def = ConfigDef::new().define(ConfigKey::new(
        "connection.url",
        Type::String,
        Importance::High,
        "",
    ));
    let err = def.parse(&RawConfig::new()).unwrap_err();
    assert_eq!(
        err.message(),
        "Missing required configuration \"connection.url\" which has no default value."
    );
    assert_eq!(err.kind(), crate::error::ErrorKind::Config);
}

proptest! {
    #[test]
    fn ints_round_trip_through_their_string_form(n in any::<i32>()) {
        let v = ConfigValue::parse(Type::Int, "k", &format!("  {n} ")).unwrap();
        prop_assert_eq!(v.as_i32(), Some(n));
        prop_assert_eq!(ConfigValue::parse(Type::Int, "k", &v.to_raw_string()).unwrap(), v);
    }

    #[test]
    fn longs_out_of_int_range_are_rejected_as_int(n in any::<i64>()) {
        let parsed = ConfigValue::parse(Type::Int, "k", &n.to_string());
        prop_assert_eq!(parsed.is_ok(), i32::try_from(n).is_ok());
    }

    #[test]
    fn lists_round_trip_when_items_have_no_commas_or_edge_spaces(
        items in proptest::collection::vec("[a-z0-9.]{1,8}", 0..6)
    ) {
        let raw = items.join(" , ");
        let v = ConfigValue::parse(Type::List, "k", &raw).unwrap();
        prop_assert_eq!(v.as_list().unwrap(), &items[..]);
        prop_assert_eq!(ConfigValue::parse(Type::List, "k", &v.to_raw_string()).unwrap(), v);
    }

    #[test]
    fn doubles_round_trip_through_their_string_form(d in any::<f64>().prop_filter("finite", |d| d.is_finite())) {
        let v = ConfigValue::Double(d);
        prop_assert_eq!(ConfigValue::parse(Type::Double, "k", &v.to_raw_string()).unwrap(), v);
    }
}
