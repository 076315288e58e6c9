//! Runs the built `privacykit` binary, as app CI would, over the example policies and over
//! small documents written to a temporary directory, and checks exit codes and output lines.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn privacykit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_privacykit"))
        .args(args)
        .output()
        .expect("the privacykit binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/policies")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn example_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// A small format-2 policy whose decisions the tests can predict exactly.
fn notes_policy() -> Value {
    json!({
        "format": 2, "policy_id": "com.example.notes", "version": 1,
        "effective_date": "2026-03-01",
        "controller": { "name": "Example Notes Ltd" },
        "default_age_rule": { "minimum_age": 13, "digital_consent_age": 16,
                              "open_below_minimum_age": ["service"] },
        "categories": [ { "id": "contacts" }, { "id": "advertising_id" } ],
        "purposes": [ { "id": "service" }, { "id": "analytics" }, { "id": "advertising" } ],
        "processing": [
            { "category": "contacts", "purpose": "service", "legal_basis": "contract" },
            { "category": "contacts", "purpose": "analytics", "legal_basis": "legitimate_interest" },
            { "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" }
        ],
        "recipients": [ { "id": "stats", "name": "Stats Inc", "kind": "processor" } ],
        "retention": [ { "data": "access_log", "days": 30 } ]
    })
}

fn write(dir: &Path, name: &str, document: &Value) -> String {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, document.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

/// The table line for a pair, with the columns' padding collapsed.
fn row(output: &str, category: &str, purpose: &str) -> String {
    output
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|line| line.starts_with(&format!("{category} {purpose} ")))
        .unwrap_or_else(|| panic!("no row for {category}/{purpose} in:\n{output}"))
}

#[test]
fn validate_accepts_every_example_policy() {
    let files = example_files();
    assert!(
        files.len() >= 5,
        "the example policies are found: {files:?}"
    );
    let args: Vec<&str> = std::iter::once("validate")
        .chain(files.iter().map(String::as_str))
        .collect();
    let output = privacykit(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    for file in &files {
        assert!(
            out.contains(&format!("{file}: ok (")),
            "{file} missing from:\n{out}"
        );
    }
    assert!(stderr(&output).is_empty());
}

#[test]
fn validate_reports_each_invalid_file_with_path_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad_basis = notes_policy();
    bad_basis["processing"][1]["legal_basis"] = "contractual".into();
    let bad_basis = write(dir.path(), "bad_basis.json", &bad_basis);
    let mut bad_version = notes_policy();
    bad_version["version"] = json!(-1);
    let bad_version = write(dir.path(), "bad_version.json", &bad_version);
    // Device identifiers only with consent: a rule beyond the schema, from the parser.
    let mut ad_id_contract = notes_policy();
    ad_id_contract["processing"][2]["legal_basis"] = "contract".into();
    let ad_id_contract = write(dir.path(), "ad_id.json", &ad_id_contract);
    let good = write(dir.path(), "good.json", &notes_policy());

    let output = privacykit(&["validate", &good, &bad_basis, &bad_version, &ad_id_contract]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines.len(), 3, "one line per invalid file:\n{errors}");
    assert!(lines[0].starts_with(&format!("{bad_basis}: processing[1].legal_basis: ")));
    assert!(
        lines[0].ends_with("(found: \"contractual\")"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with(&format!("{bad_version}: version: ")));
    assert!(lines[1].ends_with("(found: -1)"), "{}", lines[1]);
    assert!(lines[2].starts_with(&format!("{ad_id_contract}: processing[2].legal_basis: ")));
    assert!(stdout(&output).contains(&format!(
        "{good}: ok (com.example.notes version 1, format 2)"
    )));
}

#[test]
fn validate_fails_on_unreadable_and_non_json_files() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("notes.txt");
    std::fs::write(&not_json, "not a policy").unwrap();
    let missing = dir.path().join("missing.json");
    let output = privacykit(&[
        "validate",
        &not_json.to_string_lossy(),
        &missing.to_string_lossy(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(
        errors.contains(&format!("{}: ", not_json.display())),
        "{errors}"
    );
    assert!(
        errors.contains(&format!("{}: cannot read", missing.display())),
        "{errors}"
    );
}

#[test]
fn explain_with_no_state_assumes_an_unknown_age_and_no_acceptance() {
    let output = privacykit(&["explain", &example("callsapp.json")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    let header = out.lines().next().unwrap();
    assert!(
        header.starts_with("com.callsapp.android version "),
        "{header}"
    );
    assert!(
        header.contains("no age declared → unknown_age: protect"),
        "{header}"
    );
    assert!(header.contains("policy not accepted"), "{header}");
    assert_eq!(
        row(&out, "contacts", "service"),
        "contacts service refused PolicyNotAccepted"
    );
}

#[test]
fn explain_applies_age_acceptance_and_consent() {
    let policy = example("callsapp.json");
    let adult = privacykit(&[
        "explain",
        &policy,
        "--age",
        "30",
        "--jurisdiction",
        "DE",
        "--accept",
    ]);
    assert_eq!(adult.status.code(), Some(0), "{}", stderr(&adult));
    let out = stdout(&adult);
    assert!(out.lines().next().unwrap().contains("age 30"));
    assert_eq!(
        row(&out, "contacts", "service"),
        "contacts service allowed Permitted (contract)"
    );
    assert_eq!(
        row(&out, "advertising_id", "advertising"),
        "advertising_id advertising refused NeedsConsent"
    );

    let granted = privacykit(&[
        "explain",
        &policy,
        "--age",
        "30",
        "--accept",
        "--grant",
        "advertising",
    ]);
    assert_eq!(
        row(&stdout(&granted), "advertising_id", "advertising"),
        "advertising_id advertising allowed Permitted (consent)"
    );
    // 14 is under the EEA's age of digital consent (16), not under the default rule's (13).
    let minor_in = |jurisdiction: &str| {
        let out = privacykit(&[
            "explain",
            &policy,
            "--age",
            "14",
            "--jurisdiction",
            jurisdiction,
            "--accept",
            "--grant",
            "advertising",
        ]);
        row(&stdout(&out), "advertising_id", "advertising")
    };
    assert_eq!(
        minor_in("DE"),
        "advertising_id advertising refused NotAllowedForMinors"
    );
    assert_eq!(
        minor_in("US"),
        "advertising_id advertising allowed Permitted (consent)"
    );
}

#[test]
fn explain_applies_objections_permissions_and_birth_dates() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "notes.json", &notes_policy());
    let output = privacykit(&[
        "explain",
        &policy,
        "--platform",
        "ios",
        "--age",
        "40",
        "--accept",
        "--object",
        "analytics/contacts",
        "--permissions",
        "none",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("com.example.notes version 1 on 2026-03-01 (ios): age 40"));
    assert_eq!(
        row(&out, "contacts", "service"),
        "contacts service refused OsPermissionNotRequested (contacts)"
    );
    assert_eq!(
        row(&out, "contacts", "analytics"),
        "contacts analytics refused ObjectedByUser"
    );
    assert_eq!(
        out.lines().count(),
        4,
        "a header and one row per pair:\n{out}"
    );

    // Twelve on the policy's effective date: below the minimum age, the service still open.
    let child = privacykit(&["explain", &policy, "--birth-date", "2013-06-01", "--accept"]);
    let out = stdout(&child);
    assert_eq!(
        row(&out, "contacts", "service"),
        "contacts service allowed Permitted (contract)"
    );
    assert_eq!(
        row(&out, "contacts", "analytics"),
        "contacts analytics refused BelowMinimumAge"
    );
}

#[test]
fn explain_failures() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "notes.json", &notes_policy());
    // Usage errors: exit 2 and the usage text.
    for args in [
        vec!["explain"],
        vec!["explain", &policy, "--age"],
        vec!["explain", &policy, "--age", "old"],
        vec![
            "explain",
            &policy,
            "--age",
            "30",
            "--birth-date",
            "1990-01-01",
        ],
        vec!["explain", &policy, "--platform", "windows"],
        vec!["explain", &policy, "--permissions", "some"],
        vec!["explain", &policy, "--frobnicate"],
        vec!["explain", &policy, &policy],
    ] {
        let output = privacykit(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains("usage:"), "{args:?}");
    }
    // The SDK refuses the state or the document: exit 1 with its message.
    let unknown_purpose = privacykit(&["explain", &policy, "--grant", "dancing"]);
    assert_eq!(unknown_purpose.status.code(), Some(1));
    assert!(stderr(&unknown_purpose).contains("--grant dancing"));
    let mut invalid = notes_policy();
    invalid["processing"][0]["category"] = "calendar".into();
    let invalid = write(dir.path(), "invalid.json", &invalid);
    let output = privacykit(&["explain", &invalid]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).starts_with(&format!("{invalid}: processing[0].category: ")));
}

#[test]
fn diff_lists_changes_and_whom_to_ask_again() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "v1.json", &notes_policy());
    let mut v2 = notes_policy();
    v2["version"] = json!(2);
    v2["purposes"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "id": "marketing" }));
    v2["processing"][1]["legal_basis"] = "consent".into();
    v2["processing"][1]["recipients"] = json!(["stats"]);
    v2["processing"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "category": "contacts", "purpose": "marketing", "legal_basis": "legitimate_interest" }));
    v2["processing"].as_array_mut().unwrap().remove(2);
    v2["retention"][0]["days"] = json!(60);
    let new = write(dir.path(), "v2.json", &v2);

    let output = privacykit(&["diff", &old, &new]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    for line in [
        "purposes added: marketing",
        "legal basis changed: contacts/analytics: legitimate_interest -> consent",
        "pair added: contacts/marketing (legitimate_interest)",
        "pair removed: advertising_id/advertising (consent)",
        "retention changed: access_log: 30 -> 60 days",
        "ask again: contacts/analytics (consent): grant_consent: legal basis legitimate_interest -> consent, recipients added: stats",
        "ask again: contacts/marketing (legitimate_interest): accept_policy: new use",
        "purposes to ask again for: analytics, marketing",
    ] {
        assert!(out.lines().any(|l| l == line), "missing `{line}` in:\n{out}");
    }
    assert!(!out.contains("ask again: contacts/service"), "{out}");
}

#[test]
fn diff_of_a_wording_change_asks_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let old = example("voicecall.json");
    let mut v2: Value = serde_json::from_str(&std::fs::read_to_string(&old).unwrap()).unwrap();
    v2["version"] = json!(v2["version"].as_u64().unwrap() + 1);
    v2["controller"]["contact"] = "privacy@example.com".into();
    let new = write(dir.path(), "v2.json", &v2);
    let output = privacykit(&["diff", &old, &new]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.lines()
            .any(|l| l == "ask again: nobody (no use that needs agreement grew)"),
        "{out}"
    );
    assert!(
        !out.contains("pair added") && !out.contains("legal basis changed"),
        "{out}"
    );
}

#[test]
fn diff_failures() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", &notes_policy());
    let output = privacykit(&["diff", &good]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("usage:"));
    let mut invalid = notes_policy();
    invalid["format"] = json!(3);
    let invalid = write(dir.path(), "invalid.json", &invalid);
    let output = privacykit(&["diff", &good, &invalid]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with(&format!("{invalid}: format: ")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_version_and_usage_errors() {
    let help = privacykit(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    for command in ["validate FILE...", "explain FILE", "diff OLD NEW"] {
        assert!(stdout(&help).contains(command), "{command}");
    }
    let version = privacykit(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        stdout(&version).trim(),
        format!("privacykit {}", env!("CARGO_PKG_VERSION"))
    );
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["validate"],
        vec!["validate", "--strict", "x.json"],
    ] {
        let output = privacykit(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains("usage:"), "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}
