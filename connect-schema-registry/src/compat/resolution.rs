//! Compatibility levels and Avro's schema-resolution rules.
//!
//! The rules are those of Java Avro's `SchemaCompatibility`, which Confluent's registry
//! uses: a reader can read a writer's data when records match by name (or a reader alias)
//! and every reader field either exists in the writer (by name or reader field alias) with
//! a readable type or has a default; ints promote to long, float and double, longs to
//! float and double, floats to double; string and bytes read each other; a reader enum
//! has every writer symbol (or a default); fixed sizes are equal; arrays and maps
//! recurse; every branch of a writer union is readable, and a reader union reads a
//! writer type when any of its branches does. Logical types compare by their underlying
//! types.
//!
//! `apache_avro::schema_compatibility::SchemaCompatibility::can_read` was not used: it
//! answers "partially compatible" (not an error) for missing enum symbols and union
//! branches, ignores reader aliases of named types, and rejects a named type given by
//! reference on one side and defined inline on the other.

use std::collections::{HashMap, HashSet};

use apache_avro::Schema;
use apache_avro::schema::{
    DecimalSchema, EnumSchema, FixedSchema, InnerDecimalSchema, RecordSchema, UuidSchema,
};

/// Whether `reader` can read data written with `writer`: the list of problems, each with
/// the path in the reader schema where it was found. Empty means it can.
pub fn can_read(writer: &Schema, reader: &Schema) -> Vec<String> {
    let mut c = Checker {
        writer_names: names_of(writer),
        reader_names: names_of(reader),
        in_progress: HashSet::new(),
        problems: Vec::new(),
    };
    c.check(writer, reader, "");
    c.problems
}

/// Every named type defined in a schema, by full name.
fn names_of(schema: &Schema) -> HashMap<String, &Schema> {
    fn walk<'a>(s: &'a Schema, out: &mut HashMap<String, &'a Schema>) {
        match s {
            Schema::Record(r) => {
                out.insert(r.name.fullname(None), s);
                for f in &r.fields {
                    walk(&f.schema, out);
                }
            }
            Schema::Enum(e) => {
                out.insert(e.name.fullname(None), s);
            }
            Schema::Fixed(f)
            | Schema::Duration(f)
            | Schema::Uuid(UuidSchema::Fixed(f))
            | Schema::Decimal(DecimalSchema { inner: InnerDecimalSchema::Fixed(f), .. }) => {
                out.insert(f.name.fullname(None), s);
            }
            Schema::Array(a) => walk(&a.items, out),
            Schema::Map(m) => walk(&m.types, out),
            Schema::Union(u) => {
                for v in u.variants() {
                    walk(v, out);
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    walk(schema, &mut out);
    out
}

/// A schema reduced to what resolution looks at: logical types become their underlying
/// types and references are followed.
enum Kind<'a> {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(&'a Schema),
    Map(&'a Schema),
    Union(&'a [Schema]),
    Record(&'a RecordSchema),
    Enum(&'a EnumSchema),
    Fixed(&'a FixedSchema),
    Unknown(String),
}

impl Kind<'_> {
    fn label(&self) -> String {
        match self {
            Kind::Null => "null".into(),
            Kind::Boolean => "boolean".into(),
            Kind::Int => "int".into(),
            Kind::Long => "long".into(),
            Kind::Float => "float".into(),
            Kind::Double => "double".into(),
            Kind::Bytes => "bytes".into(),
            Kind::String => "string".into(),
            Kind::Array(_) => "array".into(),
            Kind::Map(_) => "map".into(),
            Kind::Union(_) => "union".into(),
            Kind::Record(r) => format!("record {}", r.name.fullname(None)),
            Kind::Enum(e) => format!("enum {}", e.name.fullname(None)),
            Kind::Fixed(f) => format!("fixed {}", f.name.fullname(None)),
            Kind::Unknown(n) => format!("unknown type {n}"),
        }
    }
}

fn kind<'a>(s: &'a Schema, names: &HashMap<String, &'a Schema>, depth: usize) -> Kind<'a> {
    match s {
        Schema::Null => Kind::Null,
        Schema::Boolean => Kind::Boolean,
        Schema::Int | Schema::Date | Schema::TimeMillis => Kind::Int,
        Schema::Long
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => Kind::Long,
        Schema::Float => Kind::Float,
        Schema::Double => Kind::Double,
        Schema::Bytes
        | Schema::BigDecimal
        | Schema::Uuid(UuidSchema::Bytes)
        | Schema::Decimal(DecimalSchema { inner: InnerDecimalSchema::Bytes, .. }) => Kind::Bytes,
        Schema::String | Schema::Uuid(UuidSchema::String) => Kind::String,
        Schema::Fixed(f)
        | Schema::Duration(f)
        | Schema::Uuid(UuidSchema::Fixed(f))
        | Schema::Decimal(DecimalSchema { inner: InnerDecimalSchema::Fixed(f), .. }) => {
            Kind::Fixed(f)
        }
        Schema::Array(a) => Kind::Array(&a.items),
        Schema::Map(m) => Kind::Map(&m.types),
        Schema::Union(u) => Kind::Union(u.variants()),
        Schema::Record(r) => Kind::Record(r),
        Schema::Enum(e) => Kind::Enum(e),
        Schema::Ref { name } => {
            let full = name.fullname(None);
            match names.get(&full) {
                Some(target) if depth < 8 => kind(target, names, depth + 1),
                _ => Kind::Unknown(full),
            }
        }
    }
}

struct Checker<'a> {
    writer_names: HashMap<String, &'a Schema>,
    reader_names: HashMap<String, &'a Schema>,
    in_progress: HashSet<(String, String)>,
    problems: Vec<String>,
}

/// Whether a reader named type matches a writer named type: the same unqualified name, or
/// a reader alias naming the writer's full name.
fn names_match(
    reader: &apache_avro::schema::Name,
    reader_aliases: &Option<Vec<apache_avro::schema::Alias>>,
    writer: &apache_avro::schema::Name,
) -> bool {
    if reader.name() == writer.name() {
        return true;
    }
    let writer_full = writer.fullname(None);
    reader_aliases.as_ref().is_some_and(|aliases| {
        aliases.iter().any(|a| {
            let full = a.fullname(reader.namespace());
            full == writer_full || a.name() == writer.name() && a.namespace().is_none()
        })
    })
}

impl<'a> Checker<'a> {
    /// Whether `reader` reads `writer`, without recording problems.
    fn reads(&mut self, writer: &'a Schema, reader: &'a Schema, path: &str) -> bool {
        let before = self.problems.len();
        self.check(writer, reader, path);
        let ok = self.problems.len() == before;
        self.problems.truncate(before);
        ok
    }

    fn problem(&mut self, path: &str, kind: &str, text: String) {
        let at = if path.is_empty() { "/" } else { path };
        self.problems.push(format!("{kind} at '{at}': {text}"));
    }

    fn check(&mut self, writer: &'a Schema, reader: &'a Schema, path: &str) {
        let w = kind(writer, &self.writer_names, 0);
        let r = kind(reader, &self.reader_names, 0);
        match (&w, &r) {
            (Kind::Union(branches), _) => {
                for (i, b) in branches.iter().enumerate() {
                    if !self.reads(b, reader, path) {
                        let label = kind(b, &self.writer_names, 0).label();
                        self.problem(
                            path,
                            "MISSING_UNION_BRANCH",
                            format!(
                                "the reader type {} cannot read the writer's union branch {i} ({label})",
                                r.label()
                            ),
                        );
                    }
                }
            }
            (_, Kind::Union(branches)) => {
                let readable = branches.iter().any(|b| self.reads(writer, b, path));
                if !readable {
                    self.problem(
                        path,
                        "MISSING_UNION_BRANCH",
                        format!(
                            "the reader union has no branch that reads the writer's {}",
                            w.label()
                        ),
                    );
                }
            }
            (Kind::Null, Kind::Null)
            | (Kind::Boolean, Kind::Boolean)
            | (Kind::Int, Kind::Int | Kind::Long | Kind::Float | Kind::Double)
            | (Kind::Long, Kind::Long | Kind::Float | Kind::Double)
            | (Kind::Float, Kind::Float | Kind::Double)
            | (Kind::Double, Kind::Double)
            | (Kind::Bytes | Kind::String, Kind::Bytes | Kind::String) => {}
            (Kind::Array(wi), Kind::Array(ri)) => self.check(wi, ri, &format!("{path}/items")),
            (Kind::Map(wv), Kind::Map(rv)) => self.check(wv, rv, &format!("{path}/values")),
            (Kind::Fixed(wf), Kind::Fixed(rf)) => {
                if !names_match(&rf.name, &rf.aliases, &wf.name) {
                    self.name_mismatch(path, &rf.name, &wf.name);
                } else if wf.size != rf.size {
                    self.problem(
                        path,
                        "FIXED_SIZE_MISMATCH",
                        format!(
                            "expected size {} for fixed {}, found {}",
                            wf.size,
                            rf.name.fullname(None),
                            rf.size
                        ),
                    );
                }
            }
            (Kind::Enum(we), Kind::Enum(re)) => {
                if !names_match(&re.name, &re.aliases, &we.name) {
                    self.name_mismatch(path, &re.name, &we.name);
                    return;
                }
                let has_default =
                    re.default.as_ref().is_some_and(|d| re.symbols.iter().any(|s| s == d));
                let missing: Vec<&String> =
                    we.symbols.iter().filter(|s| !re.symbols.contains(s)).collect();
                if !missing.is_empty() && !has_default {
                    let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                    self.problem(
                        path,
                        "MISSING_ENUM_SYMBOLS",
                        format!(
                            "the reader enum {} lacks the writer's symbols [{}] and has no default",
                            re.name.fullname(None),
                            list.join(", ")
                        ),
                    );
                }
            }
            (Kind::Record(wr), Kind::Record(rr)) => self.check_record(wr, rr, path),
            _ => self.problem(
                path,
                "TYPE_MISMATCH",
                format!("the reader type {} cannot read the writer type {}", r.label(), w.label()),
            ),
        }
    }

    fn name_mismatch(
        &mut self,
        path: &str,
        reader: &apache_avro::schema::Name,
        writer: &apache_avro::schema::Name,
    ) {
        self.problem(
            path,
            "NAME_MISMATCH",
            format!(
                "the reader type is named {}, the writer type {} (and no reader alias names it)",
                reader.fullname(None),
                writer.fullname(None)
            ),
        );
    }

    fn check_record(&mut self, wr: &'a RecordSchema, rr: &'a RecordSchema, path: &str) {
        if !names_match(&rr.name, &rr.aliases, &wr.name) {
            self.name_mismatch(path, &rr.name, &wr.name);
            return;
        }
        // Recursive types: a pair already under check is assumed readable, as in Java.
        let key = (wr.name.fullname(None), rr.name.fullname(None));
        if !self.in_progress.insert(key.clone()) {
            return;
        }
        for (i, rf) in rr.fields.iter().enumerate() {
            let field_path = format!("{path}/fields/{i}");
            let wf = wr.fields.iter().find(|wf| wf.name == rf.name).or_else(|| {
                rf.aliases.iter().find_map(|a| wr.fields.iter().find(|wf| &wf.name == a))
            });
            match wf {
                Some(wf) => self.check(&wf.schema, &rf.schema, &field_path),
                None if rf.default.is_none() => self.problem(
                    &field_path,
                    "READER_FIELD_MISSING_DEFAULT_VALUE",
                    format!(
                        "the field '{}' of record {} has no default value and is missing from the writer schema",
                        rf.name,
                        rr.name.fullname(None)
                    ),
                ),
                None => {}
            }
        }
        self.in_progress.remove(&key);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn s(text: &str) -> Schema {
        Schema::parse_str(text).unwrap()
    }

    fn ok(writer: &str, reader: &str) -> bool {
        can_read(&s(writer), &s(reader)).is_empty()
    }

    #[test]
    fn promotions_follow_avro() {
        assert!(ok(r#""int""#, r#""long""#));
        assert!(ok(r#""int""#, r#""double""#));
        assert!(ok(r#""long""#, r#""float""#));
        assert!(ok(r#""float""#, r#""double""#));
        assert!(ok(r#""string""#, r#""bytes""#));
        assert!(ok(r#""bytes""#, r#""string""#));
        assert!(!ok(r#""long""#, r#""int""#));
        assert!(!ok(r#""double""#, r#""float""#));
        assert!(!ok(r#""string""#, r#""int""#));
        assert!(ok(r#"{"type":"int","logicalType":"date"}"#, r#""int""#));
    }

    #[test]
    fn records_need_defaults_for_fields_missing_in_the_writer() {
        let w = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
        let with_default = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}]}"#;
        let without = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
        assert!(ok(w, with_default));
        let problems = can_read(&s(w), &s(without));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{problems:?}");
        assert!(problems[0].contains("'b'"), "{problems:?}");
        // A reader field alias matches a renamed writer field.
        let renamed =
            r#"{"type":"record","name":"R","fields":[{"name":"z","aliases":["a"],"type":"long"}]}"#;
        assert!(ok(w, renamed));
    }

    #[test]
    fn names_and_aliases_of_named_types() {
        let w = r#"{"type":"record","name":"ns.A","fields":[]}"#;
        assert!(!ok(w, r#"{"type":"record","name":"B","fields":[]}"#));
        assert!(ok(w, r#"{"type":"record","name":"B","aliases":["ns.A"],"fields":[]}"#));
        // The unqualified name is enough, as in Java.
        assert!(ok(w, r#"{"type":"record","name":"other.A","fields":[]}"#));
    }

    #[test]
    fn enums_fixed_arrays_maps_unions() {
        let ab = r#"{"type":"enum","name":"E","symbols":["A","B"]}"#;
        let abc = r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#;
        let ab_default = r#"{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}"#;
        assert!(ok(ab, abc));
        assert!(!ok(abc, ab));
        assert!(ok(abc, ab_default));
        assert!(ok(
            r#"{"type":"fixed","name":"F","size":4}"#,
            r#"{"type":"fixed","name":"F","size":4}"#
        ));
        assert!(!ok(
            r#"{"type":"fixed","name":"F","size":4}"#,
            r#"{"type":"fixed","name":"F","size":8}"#
        ));
        assert!(ok(r#"{"type":"array","items":"int"}"#, r#"{"type":"array","items":"long"}"#));
        assert!(!ok(r#"{"type":"map","values":"long"}"#, r#"{"type":"map","values":"int"}"#));
        assert!(ok(r#""int""#, r#"["null","long"]"#));
        assert!(!ok(r#"["null","int"]"#, r#""int""#));
        assert!(ok(r#"["null","int"]"#, r#"["null","long","string"]"#));
        assert!(!ok(r#"["null","int","string"]"#, r#"["null","long"]"#));
    }

    #[test]
    fn references_and_inline_definitions_resolve_alike() {
        let w = r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":{"type":"fixed","name":"F","size":4}},
            {"name":"b","type":"F"}]}"#;
        let r = r#"{"type":"record","name":"R","fields":[
            {"name":"b","type":{"type":"fixed","name":"F","size":4}}]}"#;
        assert!(ok(w, r));
        assert!(ok(r, r));
        let list = r#"{"type":"record","name":"L","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","L"]}]}"#;
        assert!(ok(list, list));
    }
}
