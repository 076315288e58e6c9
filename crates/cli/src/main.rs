//! `privacykit`: the policy tools for app developers and their CI.
//!
//! - `validate` runs the SDK's own validation over policy documents;
//! - `explain` opens the SDK in memory with a policy and a user state and prints what the
//!   guard decides for every declared use;
//! - `diff` says what a new policy version changes and whom it makes the app ask again.
//!
//! Every answer comes from the SDK itself (`validate_policy`, `PrivacyKit::explain`,
//! `policy_changes`), so the tool cannot disagree with what an app would see on a device.
//! Arguments are parsed by hand: three commands do not justify a parser dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use privacykit::{
    policy_changes, validate_policy, ConsentSource, Decision, DecisionReason, LocationAccuracy,
    OsPermission, PermissionStatus, Platform, PolicyInfo, PrivacyError, PrivacyKit,
    PrivacyKitClock, PrivacyKitConfig, ReconsentAction, TermsChange, UserFacts,
};

const USAGE: &str = "\
usage:
  privacykit validate FILE...
  privacykit explain FILE [--platform android|ios] [--age N | --birth-date YYYY-MM-DD]
                          [--jurisdiction CC] [--accept] [--grant PURPOSE[/CATEGORY],...]
                          [--object PURPOSE[/CATEGORY],...] [--permissions granted|none]
  privacykit diff OLD NEW
  privacykit --help | --version";

const HELP: &str = "\
privacykit: check and explain PrivacyKit policy documents.

commands:
  validate FILE...   validate policy documents; one line per invalid document,
                     FILE: PATH: message (found: VALUE). Exit 0 when all are valid, 1 if not.
  explain FILE       the guard's decision for every declared (category, purpose) pair, for
                     the user state the options describe, on the policy's effective date:
      --platform android|ios     the platform (default: android)
      --age N                    the user declared an age of N years
      --birth-date YYYY-MM-DD    the user declared a birth date (not with --age)
      --jurisdiction CC          the user declared a jurisdiction (DE, US-CA)
      --accept                   the user accepted the policy
      --grant P[/C],...          the user consented to purpose P (for category C only)
      --object P[/C],...         the user objected to purpose P (for category C only)
      --permissions granted|none every OS permission the policy needs granted (the default,
                                 with precise location and an advertising ID), or none asked
  diff OLD NEW       what NEW changes compared with OLD, and which uses users who agreed to
                     OLD must be asked about again.";

/// Why a command did not run: a usage error (exit 2) or a failure on its input (exit 1).
enum Failure {
    Usage(String),
    Input(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--help" | "-h" | "help") => {
            println!("{HELP}\n\n{USAGE}");
            Ok(true)
        }
        Some("--version" | "-V") => {
            println!("privacykit {}", env!("CARGO_PKG_VERSION"));
            Ok(true)
        }
        Some("validate") => validate(&args[1..]),
        Some("explain") => explain(&args[1..]).map(|table| {
            print!("{table}");
            true
        }),
        Some("diff") => diff(&args[1..]).map(|report| {
            print!("{report}");
            true
        }),
        Some(other) => Err(Failure::Usage(format!("unknown command `{other}`"))),
        None => Err(Failure::Usage("no command given".into())),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Failure::Usage(message)) => {
            eprintln!("privacykit: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Input(message)) => {
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}

/// Reads and validates one document; the error is the `validate` line for it.
fn load(file: &str) -> Result<(String, PolicyInfo), String> {
    let json = std::fs::read_to_string(file).map_err(|e| format!("{file}: cannot read: {e}"))?;
    match validate_policy(json.clone()) {
        Ok(info) => Ok((json, info)),
        Err(PrivacyError::InvalidPolicy { field, reason }) => {
            Err(format!("{file}: {field}: {reason}"))
        }
        Err(other) => Err(format!("{file}: {other}")),
    }
}

fn validate(args: &[String]) -> Result<bool, Failure> {
    if args.is_empty() {
        return Err(Failure::Usage("validate needs at least one FILE".into()));
    }
    if let Some(option) = args.iter().find(|a| a.starts_with("--")) {
        return Err(Failure::Usage(format!(
            "validate takes no option `{option}`"
        )));
    }
    let mut all_valid = true;
    for file in args {
        match load(file) {
            Ok((_, info)) => println!(
                "{file}: ok ({} version {}, format {})",
                info.policy_id, info.version, info.format
            ),
            Err(line) => {
                all_valid = false;
                eprintln!("{line}");
            }
        }
    }
    Ok(all_valid)
}

/// The user state `explain` assumes, from its options.
struct UserState {
    platform: Platform,
    facts: UserFacts,
    accept: bool,
    grants: Vec<(String, Option<String>)>,
    objections: Vec<(String, Option<String>)>,
    permissions_granted: bool,
}

fn explain(args: &[String]) -> Result<String, Failure> {
    let mut file = None;
    let mut user = UserState {
        platform: Platform::Android,
        facts: UserFacts::default(),
        accept: false,
        grants: Vec::new(),
        objections: Vec::new(),
        permissions_granted: true,
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--platform" => {
                user.platform = match value("--platform")?.as_str() {
                    "android" => Platform::Android,
                    "ios" => Platform::Ios,
                    other => {
                        return Err(Failure::Usage(format!(
                            "--platform is android or ios, not `{other}`"
                        )))
                    }
                }
            }
            "--age" => {
                let text = value("--age")?;
                let age = text.parse::<u8>().map_err(|_| {
                    Failure::Usage(format!("--age takes a number of years, not `{text}`"))
                })?;
                user.facts.age_years = Some(age);
            }
            "--birth-date" => user.facts.birth_date = Some(value("--birth-date")?),
            "--jurisdiction" => user.facts.jurisdiction = Some(value("--jurisdiction")?),
            "--accept" => user.accept = true,
            "--grant" => user.grants.extend(uses(&value("--grant")?)?),
            "--object" => user.objections.extend(uses(&value("--object")?)?),
            "--permissions" => {
                user.permissions_granted = match value("--permissions")?.as_str() {
                    "granted" => true,
                    "none" => false,
                    other => {
                        return Err(Failure::Usage(format!(
                            "--permissions is granted or none, not `{other}`"
                        )))
                    }
                }
            }
            option if option.starts_with("--") => {
                return Err(Failure::Usage(format!("unknown option `{option}`")))
            }
            path if file.is_none() => file = Some(path.to_owned()),
            extra => {
                return Err(Failure::Usage(format!(
                    "explain takes one FILE, not `{extra}` too"
                )))
            }
        }
    }
    if user.facts.age_years.is_some() && user.facts.birth_date.is_some() {
        return Err(Failure::Usage(
            "give --age or --birth-date, not both".into(),
        ));
    }
    let file = file.ok_or_else(|| Failure::Usage("explain needs a FILE".into()))?;
    let (json, info) = load(&file).map_err(Failure::Input)?;
    let kit = open_as(&json, &info, &user).map_err(|e| Failure::Input(format!("{file}: {e}")))?;
    let decisions: Vec<(&str, &str, Decision)> = info
        .processing
        .iter()
        .map(|p| {
            let decision = kit.explain(&p.category, &p.purpose);
            (p.category.as_str(), p.purpose.as_str(), decision)
        })
        .collect();
    let age = kit
        .age_status()
        .map_err(|e| Failure::Input(format!("{file}: {e}")))?;
    let mut out = format!(
        "{} version {} on {} ({}): {}\n",
        info.policy_id,
        info.version,
        info.effective_date,
        match user.platform {
            Platform::Android => "android",
            Platform::Ios => "ios",
        },
        describe_user(&user, &info, age.minimum_age, age.digital_consent_age),
    );
    let category_width = decisions.iter().map(|d| d.0.len()).max().unwrap_or(0);
    let purpose_width = decisions.iter().map(|d| d.1.len()).max().unwrap_or(0);
    for (category, purpose, decision) in decisions {
        let verdict = if decision.allowed {
            "allowed"
        } else {
            "refused"
        };
        let _ = writeln!(
            out,
            "{category:<category_width$}  {purpose:<purpose_width$}  {verdict:<8}  {}",
            reason_text(decision.reason)
        );
    }
    Ok(out)
}

/// `purpose[/category],...` as (purpose, category) pairs.
fn uses(list: &str) -> Result<Vec<(String, Option<String>)>, Failure> {
    list.split(',')
        .map(|item| match item.split_once('/') {
            _ if item.is_empty() => Err(Failure::Usage(format!(
                "`{list}`: expected PURPOSE[/CATEGORY],..."
            ))),
            Some((purpose, category)) => Ok((purpose.to_owned(), Some(category.to_owned()))),
            None => Ok((item.to_owned(), None)),
        })
        .collect()
}

/// A clock that always reads the same instant: the decisions depend on the date (ages,
/// birthdays), and the output must not change from one run to the next.
struct FixedClock(i64);

impl PrivacyKitClock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0
    }
}

/// Noon UTC on a `YYYY-MM-DD` date the SDK already validated, in milliseconds since 1970.
fn noon_utc_ms(date: &str) -> i64 {
    let mut parts = date.split('-').map(|p| p.parse::<i64>().unwrap_or(1));
    let (y, m, d) = (
        parts.next().unwrap_or(1970),
        parts.next().unwrap_or(1),
        parts.next().unwrap_or(1),
    );
    // Days from the civil date (Howard Hinnant's algorithm, March-based years).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400_000 + 12 * 3_600_000
}

/// An in-memory PrivacyKit on the policy's effective date with the user's state applied.
fn open_as(json: &str, info: &PolicyInfo, user: &UserState) -> Result<Arc<PrivacyKit>, String> {
    let config = PrivacyKitConfig {
        database_path: None,
        policy_json: json.to_owned(),
        platform: user.platform,
        utc_offset_minutes: 0,
        key_provider: None,
    };
    let clock = Arc::new(FixedClock(noon_utc_ms(&info.effective_date)));
    let kit = PrivacyKit::open_with_clock(config, clock).map_err(|e| e.to_string())?;
    let failed = |what: &str, e: PrivacyError| format!("{what}: {e}");
    let facts = &user.facts;
    if facts.age_years.is_some() || facts.birth_date.is_some() || facts.jurisdiction.is_some() {
        kit.declare_user_facts(facts.clone(), ConsentSource::User)
            .map_err(|e| failed("declaring the user's facts", e))?;
    }
    if user.accept {
        kit.accept_policy()
            .map_err(|e| failed("accepting the policy", e))?;
    }
    for (purpose, category) in &user.grants {
        kit.grant_consent(purpose.clone(), category.clone())
            .map_err(|e| failed(&format!("--grant {purpose}"), e))?;
    }
    for (purpose, category) in &user.objections {
        kit.object_to(purpose.clone(), category.clone())
            .map_err(|e| failed(&format!("--object {purpose}"), e))?;
    }
    if user.permissions_granted {
        let needed: BTreeSet<&'static str> = info
            .categories
            .iter()
            .filter_map(|c| c.os_permission)
            .map(permission_name)
            .collect();
        for permission in OsPermission::ALL {
            if !needed.contains(permission_name(permission)) {
                continue;
            }
            let accuracy =
                (permission == OsPermission::Location).then_some(LocationAccuracy::Precise);
            kit.record_permission_request(permission, PermissionStatus::Granted, accuracy, None)
                .map_err(|e| failed("granting OS permissions", e))?;
            if permission == OsPermission::Tracking {
                // Tracking allowed means the OS hands out a real (non-zero) identifier.
                kit.report_advertising_id(Some("6f1c2a9e-3b7d-4e58-9a0c-1d2e3f405162".into()))
                    .map_err(|e| failed("reporting an advertising ID", e))?;
            }
        }
    }
    Ok(kit)
}

/// The header's account of the user state assumed.
fn describe_user(user: &UserState, info: &PolicyInfo, minimum: u8, consent_age: u8) -> String {
    let facts = &user.facts;
    let age = match (facts.age_years, &facts.birth_date) {
        (Some(years), _) => format!("age {years}"),
        (None, Some(date)) => format!("born {date}"),
        (None, None) => format!(
            "no age declared → unknown_age: {}",
            match info.unknown_age {
                privacykit::UnknownAgeRule::Protect => "protect",
                privacykit::UnknownAgeRule::Adult => "adult",
            }
        ),
    };
    let jurisdiction = match &facts.jurisdiction {
        Some(code) => format!("jurisdiction {code}"),
        None => "no jurisdiction".to_owned(),
    };
    let list = |uses: &[(String, Option<String>)]| {
        if uses.is_empty() {
            return "none".to_owned();
        }
        uses.iter()
            .map(|(purpose, category)| match category {
                Some(category) => format!("{purpose}/{category}"),
                None => purpose.clone(),
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{age} (age rule: minimum {minimum}, digital consent {consent_age}); {jurisdiction}; \
         policy {}; consents granted: {}; objections: {}; OS permissions: {}",
        if user.accept {
            "accepted"
        } else {
            "not accepted"
        },
        list(&user.grants),
        list(&user.objections),
        if user.permissions_granted {
            "granted"
        } else {
            "none asked"
        },
    )
}

/// The policy's spelling of an OS permission (`os_permission` in the document).
fn permission_name(permission: OsPermission) -> &'static str {
    match permission {
        OsPermission::Contacts => "contacts",
        OsPermission::Location => "location",
        OsPermission::CallLog => "call_log",
        OsPermission::Microphone => "microphone",
        OsPermission::Tracking => "tracking",
        OsPermission::Camera => "camera",
        OsPermission::Photos => "photos",
        OsPermission::Notifications => "notifications",
        OsPermission::Calendar => "calendar",
        OsPermission::NearbyDevices => "nearby_devices",
        OsPermission::PhoneState => "phone_state",
    }
}

/// The reason as the SDK names it, with its basis or permission: `Permitted (contract)`.
fn reason_text(reason: DecisionReason) -> String {
    match reason {
        DecisionReason::Permitted { basis } => format!("Permitted ({})", basis.as_str()),
        DecisionReason::PermittedWithLimitedAccess { basis } => {
            format!("PermittedWithLimitedAccess ({})", basis.as_str())
        }
        DecisionReason::OsPermissionNotRequested { permission } => {
            format!("OsPermissionNotRequested ({})", permission_name(permission))
        }
        DecisionReason::OsPermissionDenied { permission } => {
            format!("OsPermissionDenied ({})", permission_name(permission))
        }
        DecisionReason::BlockedInSettings { permission } => {
            format!("BlockedInSettings ({})", permission_name(permission))
        }
        DecisionReason::OsPermissionRestricted { permission } => {
            format!("OsPermissionRestricted ({})", permission_name(permission))
        }
        // The remaining reasons carry no data: their Debug form is their name.
        other => format!("{other:?}"),
    }
}

fn diff(args: &[String]) -> Result<String, Failure> {
    let [old_file, new_file] = args else {
        return Err(Failure::Usage("diff needs OLD and NEW".into()));
    };
    let (old_json, old) = load(old_file).map_err(Failure::Input)?;
    let (new_json, new) = load(new_file).map_err(Failure::Input)?;
    let items = policy_changes(&old_json, &new_json)
        .map_err(|e| Failure::Input(format!("{new_file}: {e}")))?;

    let mut out = format!(
        "{old_file}: {} version {} (format {}) -> {new_file}: {} version {} (format {})\n",
        old.policy_id, old.version, old.format, new.policy_id, new.version, new.format
    );
    if old.policy_id != new.policy_id {
        out.push_str("note: the policy_id differs: no choice made under OLD carries over\n");
    } else if new.version <= old.version {
        out.push_str(
            "note: NEW's version is not higher than OLD's: update_policy refuses it unless the content is the same\n",
        );
    }
    if old.controller_name != new.controller_name {
        let _ = writeln!(
            out,
            "controller changed: {} -> {}",
            old.controller_name, new.controller_name
        );
    }
    let ids = |info: &PolicyInfo, categories: bool| -> BTreeSet<String> {
        if categories {
            info.categories.iter().map(|c| c.id.clone()).collect()
        } else {
            info.purposes.iter().map(|p| p.id.clone()).collect()
        }
    };
    set_lines(&mut out, "categories", &ids(&old, true), &ids(&new, true));
    set_lines(&mut out, "purposes", &ids(&old, false), &ids(&new, false));
    let pairs = |info: &PolicyInfo| -> BTreeMap<String, String> {
        info.processing
            .iter()
            .map(|p| {
                (
                    format!("{}/{}", p.category, p.purpose),
                    p.legal_basis.as_str().to_owned(),
                )
            })
            .collect()
    };
    let (old_pairs, new_pairs) = (pairs(&old), pairs(&new));
    for (pair, basis) in &new_pairs {
        match old_pairs.get(pair) {
            None => {
                let _ = writeln!(out, "pair added: {pair} ({basis})");
            }
            Some(before) if before != basis => {
                let _ = writeln!(out, "legal basis changed: {pair}: {before} -> {basis}");
            }
            Some(_) => {}
        }
    }
    for (pair, basis) in &old_pairs {
        if !new_pairs.contains_key(pair) {
            let _ = writeln!(out, "pair removed: {pair} ({basis})");
        }
    }
    let recipients = |info: &PolicyInfo| -> BTreeSet<String> {
        info.recipients.iter().map(|r| r.id.clone()).collect()
    };
    set_lines(&mut out, "recipients", &recipients(&old), &recipients(&new));
    let retention = |info: &PolicyInfo| -> BTreeMap<String, u32> {
        let enforced = info.retention.iter().map(|r| (r.data.clone(), r.days));
        let app = info
            .app_retention
            .iter()
            .map(|r| (format!("{} (app)", r.data), r.days));
        enforced.chain(app).collect()
    };
    let (old_retention, new_retention) = (retention(&old), retention(&new));
    for (data, days) in &new_retention {
        match old_retention.get(data) {
            None => {
                let _ = writeln!(out, "retention added: {data}: {days} days");
            }
            Some(before) if before != days => {
                let _ = writeln!(out, "retention changed: {data}: {before} -> {days} days");
            }
            Some(_) => {}
        }
    }
    for (data, days) in &old_retention {
        if !new_retention.contains_key(data) {
            let _ = writeln!(out, "retention removed: {data}: {days} days");
        }
    }

    if items.is_empty() {
        out.push_str("ask again: nobody (no use that needs agreement grew)\n");
        return Ok(out);
    }
    for item in &items {
        let action = match item.action {
            ReconsentAction::GrantConsent => "grant_consent",
            ReconsentAction::AcceptPolicy => "accept_policy",
        };
        let changes: Vec<String> = item.changes.iter().map(change_text).collect();
        let _ = writeln!(
            out,
            "ask again: {}/{} ({}): {action}: {}",
            item.category,
            item.purpose,
            item.legal_basis.as_str(),
            changes.join(", ")
        );
    }
    let purposes: BTreeSet<&str> = items.iter().map(|i| i.purpose.as_str()).collect();
    let _ = writeln!(
        out,
        "purposes to ask again for: {}",
        purposes.into_iter().collect::<Vec<_>>().join(", ")
    );
    Ok(out)
}

/// `NAME added: a, b` and `NAME removed: c` lines, when there are any.
fn set_lines(out: &mut String, name: &str, old: &BTreeSet<String>, new: &BTreeSet<String>) {
    let added: Vec<&str> = new.difference(old).map(String::as_str).collect();
    let removed: Vec<&str> = old.difference(new).map(String::as_str).collect();
    if !added.is_empty() {
        let _ = writeln!(out, "{name} added: {}", added.join(", "));
    }
    if !removed.is_empty() {
        let _ = writeln!(out, "{name} removed: {}", removed.join(", "));
    }
}

fn change_text(change: &TermsChange) -> String {
    match change {
        TermsChange::NewProcessing => "new use".to_owned(),
        TermsChange::LegalBasisChanged { from, to } => {
            format!("legal basis {} -> {}", from.as_str(), to.as_str())
        }
        TermsChange::RecipientsAdded { recipients } => {
            format!("recipients added: {}", recipients.join(" "))
        }
        TermsChange::TcfVendorsAdded { vendors } => {
            let ids: Vec<String> = vendors.iter().map(u16::to_string).collect();
            format!("IAB TCF vendors added: {}", ids.join(", "))
        }
        TermsChange::PreciseLocationRequired => "precise location now required".to_owned(),
        TermsChange::OsPermissionChanged => "another OS permission".to_owned(),
        TermsChange::ControllerChanged => "another controller".to_owned(),
    }
}
