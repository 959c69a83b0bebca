//! [`Compatibility`]: whether a new version of a schema may replace the previous one,
//! judged by [`SchemaProjector`](crate::data::SchemaProjector)'s projection rules.

use std::fmt;
use std::str::FromStr;

use crate::data::{Schema, SchemaProjector};
use crate::error::{ConnectError, Result};

/// A schema compatibility mode, as schema registries define them.
///
/// "Data written with schema A can be read with schema B" means that every value of A
/// can be projected onto B ([`SchemaProjector::check_projectable`]).
///
/// ```
/// use connect_api::data::{Compatibility, Schema, SchemaBuilder};
///
/// let v1 = SchemaBuilder::struct_().field("id", Schema::int32()).build()?;
/// let v2 = SchemaBuilder::struct_()
///     .field("id", Schema::int32())
///     .field("tag", Schema::optional_string())
///     .build()?;
/// let mode: Compatibility = "full".parse()?;
/// assert_eq!(mode, Compatibility::Full);
/// // An optional field can be added and removed freely.
/// mode.check(&v1, &v2)?;
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compatibility {
    /// No check: any schema may follow any other.
    None,
    /// Data written with the previous schema can be read with the next one (consumers
    /// can upgrade first).
    Backward,
    /// Data written with the next schema can be read with the previous one (producers
    /// can upgrade first).
    Forward,
    /// Both [`Backward`](Self::Backward) and [`Forward`](Self::Forward).
    Full,
}

impl Compatibility {
    /// Every mode, in order of strictness.
    pub const ALL: [Compatibility; 4] =
        [Compatibility::None, Compatibility::Backward, Compatibility::Forward, Compatibility::Full];

    /// The upper-case name of the mode (`"NONE"`, `"BACKWARD"`, `"FORWARD"`, `"FULL"`).
    ///
    /// ```
    /// use connect_api::data::Compatibility;
    ///
    /// assert_eq!(Compatibility::Backward.as_str(), "BACKWARD");
    /// assert_eq!(Compatibility::Full.to_string(), "FULL");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Compatibility::None => "NONE",
            Compatibility::Backward => "BACKWARD",
            Compatibility::Forward => "FORWARD",
            Compatibility::Full => "FULL",
        }
    }

    /// Checks that `next` may follow `previous` under this mode.
    ///
    /// - `None`: always succeeds;
    /// - `Backward`: data written with `previous` can be read with `next`;
    /// - `Forward`: data written with `next` can be read with `previous`;
    /// - `Full`: both.
    ///
    /// # Errors
    ///
    /// An error of kind [`Schema`](crate::error::ErrorKind::Schema) naming the mode, the
    /// direction that fails and the first incompatibility found.
    ///
    /// ```
    /// use connect_api::data::{Compatibility, Schema};
    ///
    /// // INT32 widens to INT64, but not the other way round.
    /// Compatibility::Backward.check(&Schema::int32(), &Schema::int64())?;
    /// let err = Compatibility::Forward.check(&Schema::int32(), &Schema::int64()).unwrap_err();
    /// assert!(err.message().starts_with("FORWARD compatibility violated"));
    /// # Ok::<(), connect_api::error::ConnectError>(())
    /// ```
    pub fn check(self, previous: &Schema, next: &Schema) -> Result<()> {
        match self {
            Compatibility::None => Ok(()),
            Compatibility::Backward => self.check_backward(previous, next),
            Compatibility::Forward => self.check_forward(previous, next),
            Compatibility::Full => {
                self.check_backward(previous, next)?;
                self.check_forward(previous, next)
            }
        }
    }

    /// Whether `next` may follow `previous` under this mode: [`check`](Self::check)
    /// without the explanation.
    ///
    /// ```
    /// use connect_api::data::{Compatibility, Schema};
    ///
    /// assert!(Compatibility::None.is_compatible(&Schema::string(), &Schema::int32()));
    /// assert!(!Compatibility::Full.is_compatible(&Schema::int32(), &Schema::int64()));
    /// ```
    pub fn is_compatible(self, previous: &Schema, next: &Schema) -> bool {
        self.check(previous, next).is_ok()
    }

    fn check_backward(self, previous: &Schema, next: &Schema) -> Result<()> {
        SchemaProjector::check_projectable(previous, next).map_err(|e| {
            e.context(format_args!(
                "{self} compatibility violated: data written with the previous schema \
                 cannot be read with the next schema"
            ))
        })
    }

    fn check_forward(self, previous: &Schema, next: &Schema) -> Result<()> {
        SchemaProjector::check_projectable(next, previous).map_err(|e| {
            e.context(format_args!(
                "{self} compatibility violated: data written with the next schema \
                 cannot be read with the previous schema"
            ))
        })
    }
}

impl fmt::Display for Compatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Compatibility {
    type Err = ConnectError;

    /// Parses a mode name, ignoring case and surrounding whitespace.
    ///
    /// ```
    /// use connect_api::data::Compatibility;
    /// use connect_api::error::ErrorKind;
    ///
    /// assert_eq!("Backward".parse::<Compatibility>()?, Compatibility::Backward);
    /// let err = "sideways".parse::<Compatibility>().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// # Ok::<(), connect_api::error::ConnectError>(())
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim();
        Compatibility::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let valid: Vec<&str> = Compatibility::ALL.iter().map(|m| m.as_str()).collect();
                ConnectError::config(format!(
                    "Invalid compatibility mode {s:?}; valid values are {}",
                    valid.join(", ")
                ))
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::Compatibility;
    use crate::data::{Schema, SchemaBuilder};
    use crate::error::ErrorKind;

    fn user(fields: &[(&str, Schema)]) -> Schema {
        fields
            .iter()
            .fold(SchemaBuilder::struct_().name("com.example.User"), |b, (n, s)| {
                b.field(*n, s.clone())
            })
            .build()
            .unwrap()
    }

    fn email_with_default() -> Schema {
        SchemaBuilder::string().default_value("").build().unwrap()
    }

    /// The modes under which `next` may follow `previous`, in `Compatibility::ALL` order.
    fn verdicts(previous: &Schema, next: &Schema) -> [bool; 4] {
        Compatibility::ALL.map(|m| m.is_compatible(previous, next))
    }

    #[test]
    fn removing_a_required_field_and_adding_one_with_default_is_backward_only() {
        let v1 = user(&[("id", Schema::int32()), ("legacy", Schema::string())]);
        let v2 = user(&[("id", Schema::int32()), ("email", email_with_default())]);
        // Backward: v1 data read as v2 drops `legacy` and fills `email` with its default.
        // Forward: v2 data read as v1 has no `legacy`, which v1 requires without a
        // default, so the removal breaks old readers and FORWARD (hence FULL) fails.
        assert_eq!(verdicts(&v1, &v2), [true, true, false, false]);
        let err = Compatibility::Forward.check(&v1, &v2).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Schema);
        assert_eq!(
            err.message(),
            "FORWARD compatibility violated: data written with the next schema cannot be read \
             with the previous schema: Required field `legacy` is missing from source schema"
        );
        let err = Compatibility::Full.check(&v1, &v2).unwrap_err();
        assert!(
            err.message().starts_with("FULL compatibility violated: data written with the next")
        );
    }

    #[test]
    fn removing_an_optional_field_and_adding_one_with_default_is_full() {
        let v1 = user(&[("id", Schema::int32()), ("legacy", Schema::optional_string())]);
        let v2 = user(&[("id", Schema::int32()), ("email", email_with_default())]);
        // Old readers see `legacy` as absent, which its optionality allows, and new
        // readers fill `email` from its default: both directions hold.
        assert_eq!(verdicts(&v1, &v2), [true, true, true, true]);
        Compatibility::Full.check(&v1, &v2).unwrap();
    }

    #[test]
    fn adding_a_field_without_default_is_forward_only() {
        let v1 = user(&[("id", Schema::int32())]);
        let v2 = user(&[("id", Schema::int32()), ("email", Schema::string())]);
        // Backward: v1 data has no `email`, which v2 requires without a default.
        // Forward: v2 data read as v1 simply drops `email`.
        assert_eq!(verdicts(&v1, &v2), [true, false, true, false]);
        let err = Compatibility::Backward.check(&v1, &v2).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Schema);
        assert_eq!(
            err.message(),
            "BACKWARD compatibility violated: data written with the previous schema cannot be \
             read with the next schema: Required field `email` is missing from source schema"
        );
    }

    #[test]
    fn widening_a_field_is_backward_only() {
        let v1 = user(&[("id", Schema::int32())]);
        let v2 = user(&[("id", Schema::int64())]);
        // INT32 values widen to INT64; INT64 values cannot be narrowed to INT32.
        assert_eq!(verdicts(&v1, &v2), [true, true, false, false]);
        let err = Compatibility::Forward.check(&v1, &v2).unwrap_err();
        assert!(
            err.message().ends_with(
                "field 'id': Schema type mismatch. source type: INT64 and target type: INT32"
            ),
            "{}",
            err.message()
        );
    }

    #[test]
    fn none_accepts_anything() {
        let pairs = [
            (Schema::string(), Schema::int32()),
            (user(&[("id", Schema::int32())]), user(&[("id", Schema::string())])),
            (Schema::optional_int64(), Schema::int8()),
        ];
        for (a, b) in &pairs {
            Compatibility::None.check(a, b).unwrap();
            assert!(Compatibility::None.is_compatible(b, a));
        }
    }

    #[test]
    fn identical_schemas_are_fully_compatible() {
        let v = user(&[("id", Schema::int32()), ("name", Schema::optional_string())]);
        assert_eq!(verdicts(&v, &v), [true; 4]);
    }

    #[test]
    fn optional_to_required_changes_are_one_directional() {
        let v1 = user(&[("n", Schema::optional_int32())]);
        let v2 = user(&[("n", Schema::int32())]);
        // Old data may carry a null that the required field cannot hold.
        assert_eq!(verdicts(&v1, &v2), [true, false, true, false]);
        let v3 = user(&[("n", SchemaBuilder::int32().default_value(0i32).build().unwrap())]);
        assert_eq!(verdicts(&v1, &v3), [true, true, true, true]);
    }

    #[test]
    fn parses_names_case_insensitively() {
        for mode in Compatibility::ALL {
            assert_eq!(mode.as_str().parse::<Compatibility>().unwrap(), mode);
            assert_eq!(mode.as_str().to_lowercase().parse::<Compatibility>().unwrap(), mode);
            assert_eq!(mode.to_string(), mode.as_str());
        }
        assert_eq!(" Forward ".parse::<Compatibility>().unwrap(), Compatibility::Forward);
    }

    #[test]
    fn bad_name_is_a_config_error_listing_valid_values() {
        let err = "TRANSITIVE".parse::<Compatibility>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(
            err.message(),
            "Invalid compatibility mode \"TRANSITIVE\"; valid values are NONE, BACKWARD, FORWARD, FULL"
        );
    }
}
