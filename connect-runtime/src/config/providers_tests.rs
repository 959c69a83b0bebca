use super::*;

fn raw(pairs: &[(&str, &str)]) -> RawConfig {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A worker config naming `file`, `dir` and `env` providers, with `params` added.
fn providers(params: &[(&str, &str)]) -> ConfigProviders {
    let mut worker = raw(&[
        ("config.providers", "file, dir,env"),
        (
            "config.providers.file.class",
            "org.apache.kafka.common.config.provider.FileConfigProvider",
        ),
        ("config.providers.dir.class", "DirectoryConfigProvider"),
        (
            "config.providers.env.class",
            "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        ),
    ]);
    worker.extend(raw(params));
    ConfigProviders::from_worker_config(&worker).unwrap()
}

#[test]
fn variable_syntax_follows_kafkas_pattern() {
    let vars = |v: &str| variables(v).into_iter().map(|(_, v)| v.to_string()).collect::<Vec<_>>();
    assert_eq!(vars("${file:/a/b.properties:pw}"), vec!["${file:/a/b.properties:pw}"]);
    // Without a path, or with an empty one.
    let v = &variables("${env:HOME}")[0].1;
    assert_eq!((v.provider.as_str(), v.path.as_str(), v.key.as_str()), ("env", "", "HOME"));
    let v = &variables("${env::HOME}")[0].1;
    assert_eq!((v.provider.as_str(), v.path.as_str(), v.key.as_str()), ("env", "", "HOME"));
    // The path ends at its first colon, as Kafka's lazy groups read it.
    let v = &variables("${file:C:x:k}")[0].1;
    assert_eq!((v.path.as_str(), v.key.as_str()), ("C", "x:k"));
    assert_eq!(vars("a ${x:1} b ${y:p:2} c").len(), 2);
    assert!(vars("${nocolon}").is_empty() && vars("$file:a:b").is_empty());
    assert!(has_variables("pre${env:X}post") && !has_variables("plain"));
}

#[test]
fn file_provider_reads_a_properties_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secrets.properties");
    std::fs::write(&file, "# creds\nuser=alice\npassword = s3cr\\u0065t\n").unwrap();
    let p = providers(&[]);
    let value = format!("${{file:{}:password}}", file.display());
    assert_eq!(p.resolve_value("k", &value).unwrap(), "s3cret");
    let mixed = format!("{}/{}", &value, value.replace("password", "user"));
    assert_eq!(p.resolve_value("k", &mixed).unwrap(), "s3cret/alice");
    // A missing key or file names the provider, the variable and the config key only.
    let e = p.resolve_value("db.pass", &value.replace("password", "nope")).unwrap_err();
    assert!(e.message().contains("'file'") && e.message().contains("db.pass"), "{e}");
    assert!(e.message().contains("nope") && !e.message().contains("s3cret"), "{e}");
    let e = p.resolve_value("k", "${file:/does/not/exist.properties:x}").unwrap_err();
    assert!(e.message().contains("/does/not/exist.properties"), "{e}");
}

#[test]
fn allowed_paths_confine_file_and_dir() {
    let allowed = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    std::fs::write(allowed.path().join("a.properties"), "k=in\n").unwrap();
    std::fs::write(other.path().join("a.properties"), "k=out\n").unwrap();
    let a = allowed.path().display().to_string();
    let p = providers(&[
        ("config.providers.file.param.allowed.paths", &a),
        ("config.providers.dir.param.allowed.paths", &a),
    ]);
    assert_eq!(p.resolve_value("k", &format!("${{file:{a}/a.properties:k}}")).unwrap(), "in");
    let outside = format!("${{file:{}/a.properties:k}}", other.path().display());
    let e = p.resolve_value("k", &outside).unwrap_err();
    assert!(e.message().contains("allowed.paths") && !e.message().contains("out\n"), "{e}");
    // `..` cannot climb out of an allowed directory.
    let climb = format!("${{file:{a}/../{}/a.properties:k}}", other.path().display());
    assert!(p.resolve_value("k", &climb).is_err());
    let e = p.resolve_value("k", &format!("${{dir:{}:a.properties}}", other.path().display()));
    assert!(e.unwrap_err().message().contains("allowed.paths"));
    // Kafka refuses relative and missing allowed paths at start-up.
    let bad = |v: &str| {
        ConfigProviders::from_worker_config(&raw(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "FileConfigProvider"),
            ("config.providers.file.param.allowed.paths", v),
        ]))
        .unwrap_err()
        .message()
        .to_string()
    };
    assert!(bad("relative/dir").contains("not absolute"));
    assert!(bad("/no/such/dir/here").contains("does not exist"));
}

#[test]
fn directory_provider_reads_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "line1\nline2\n").unwrap();
    let p = providers(&[]);
    let d = dir.path().display();
    assert_eq!(p.resolve_value("k", &format!("${{dir:{d}:token}}")).unwrap(), "line1\nline2\n");
    let e = p.resolve_value("k", &format!("${{dir:{d}:missing}}")).unwrap_err();
    assert!(e.message().contains("missing") && e.message().contains("'dir'"), "{e}");
    // Only files directly in the directory.
    assert!(p.resolve_value("k", &format!("${{dir:{d}:../token}}")).is_err());
}

#[test]
fn env_provider_honours_the_allowlist() {
    // Set variables are read from PATH (edition 2024 makes set_var unsafe); this one is
    // never set.
    let name = "CONNECT_PROVIDERS_TEST_UNSET_VARIABLE";
    let path = std::env::var("PATH").unwrap();
    let p = providers(&[]);
    assert_eq!(p.resolve_value("k", "${env:PATH}").unwrap(), path);
    assert_eq!(p.resolve_value("k", "${env::PATH}").unwrap(), path);
    let e = p.resolve_value("k", &format!("${{env:{name}}}")).unwrap_err();
    assert!(e.message().contains(name), "{e}");
    let e = p.resolve_value("k", "${env:/some/path:PATH}").unwrap_err();
    assert!(e.message().contains("Path is not supported"), "{e}");
    let strict = providers(&[("config.providers.env.param.allowlist.pattern", "CONNECT_.*")]);
    let e = strict.resolve_value("k", "${env:PATH}").unwrap_err();
    assert!(e.message().contains("allowlist.pattern") && !e.message().contains(&path), "{e}");
    // The pattern must match the whole name, as Java's `matches`.
    let partial = providers(&[("config.providers.env.param.allowlist.pattern", "PAT")]);
    assert!(partial.resolve_value("k", "${env:PATH}").is_err());
}

#[test]
fn unknown_providers_and_classes() {
    let p = providers(&[]);
    // A provider nobody configured leaves the text as written, as Kafka does.
    assert_eq!(p.resolve_value("k", "${vault:secret/db:pw}").unwrap(), "${vault:secret/db:pw}");
    assert!(
        ConfigProviders::none().resolve(&raw(&[("a", "${env:PATH}")])).unwrap()["a"]
            .starts_with("${env")
    );
    let e = ConfigProviders::from_worker_config(&raw(&[
        ("config.providers", "v"),
        ("config.providers.v.class", "com.example.VaultConfigProvider"),
    ]))
    .unwrap_err();
    assert!(e.message().contains("config.providers.v.class"), "{e}");
    // Listed without a class: skipped.
    let p = ConfigProviders::from_worker_config(&raw(&[("config.providers", "x")])).unwrap();
    assert!(p.is_empty());
}

#[test]
fn worker_config_keeps_provider_keys_and_lenient_keeps_failures() {
    let p = providers(&[("config.providers.file.param.allowed.paths", "/")]);
    let worker = raw(&[("config.providers.file.param.x", "${env:PATH}"), ("a", "${env:PATH}")]);
    let resolved = p.resolve_worker_config(&worker).unwrap();
    assert_eq!(resolved["config.providers.file.param.x"], "${env:PATH}");
    assert_ne!(resolved["a"], "${env:PATH}");
    let lenient = p.resolve_lenient(&raw(&[("a", "${file:/nope:k}"), ("b", "${env:PATH}")]));
    assert_eq!(lenient["a"], "${file:/nope:k}");
    assert_ne!(lenient["b"], "${env:PATH}");
}

#[test]
fn reverse_transform_puts_variables_back_by_key() {
    let connector = raw(&[("file", "${file:/s.properties:path}"), ("topic", "t")]);
    let tasks = vec![
        raw(&[("file", "/resolved/input.txt"), ("topic", "t"), ("batch", "1")]),
        raw(&[("topic", "t")]),
    ];
    let back = reverse_transform(&connector, tasks);
    assert_eq!(back[0]["file"], "${file:/s.properties:path}");
    assert_eq!(back[0]["batch"], "1");
    assert!(!back[1].contains_key("file"));
}
