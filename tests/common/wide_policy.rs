//! A policy document of 12,000 recipients and 40,000 references to them, just under the 1 MiB
//! cap: the shape that once made the policy's reference checks quadratic. Shared by the
//! regression test and the benchmark that measures validation (`benches/core.rs` includes this
//! file).

/// The document, and how many recipient references it holds.
pub fn wide_policy() -> (String, usize) {
    let recipients: Vec<String> = (0..12_000)
        .map(|i| format!(r#"{{"id":"r{i}","name":"R","kind":"processor"}}"#))
        .collect();
    let declare = |prefix: &str, n: usize| {
        (0..n)
            .map(|i| format!(r#"{{"id":"{prefix}{i}","description":"d"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut processing = Vec::new();
    let mut reference = 0usize;
    for c in 0..40 {
        for p in 0..25 {
            let refs: Vec<String> = (0..40)
                .map(|_| {
                    reference += 1;
                    // The last-declared recipients: a scan of the list reaches them last.
                    format!("\"r{}\"", 11_999 - reference % 200)
                })
                .collect();
            processing.push(format!(
                r#"{{"category":"c{c}","purpose":"p{p}","legal_basis":"contract","recipients":[{}]}}"#,
                refs.join(",")
            ));
        }
    }
    let json = format!(
        r#"{{"format":1,"policy_id":"wide","version":1,"effective_date":"2024-01-01",
        "controller":{{"name":"Wide"}},"minimum_age":13,"digital_consent_age":16,
        "categories":[{}],"purposes":[{}],"processing":[{}],"recipients":[{}]}}"#,
        declare("c", 40),
        declare("p", 25),
        processing.join(","),
        recipients.join(",")
    );
    (json, reference)
}
