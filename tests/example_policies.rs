//! The five example policies in `examples/policies/`, each following a real-world service's
//! privacy policy (Promophone, PROMT, a voice-call service, CallsApp, MamontCall), driven
//! through the public API: each assertion is a concrete guard decision that follows from a
//! sentence of that service's policy, quoted verbatim above it. Also keeps the example files
//! and the JSON Schema in step with the parser.

use std::collections::BTreeSet;
use std::sync::Arc;

use privacykit::{
    AgeGroup, ConsentSource, Decision, DecisionReason, DecisionReason::*, LegalBasis,
    LocationAccuracy, OsPermission, PermissionStatus, Platform, PrivacyKit, PrivacyKitConfig,
    UserFacts,
};

const PROMOPHONE: &str = include_str!("../examples/policies/promophone.json");
const PROMT: &str = include_str!("../examples/policies/promt.json");
const VOICECALL: &str = include_str!("../examples/policies/voicecall.json");
const CALLSAPP: &str = include_str!("../examples/policies/callsapp.json");
const MAMONTCALL: &str = include_str!("../examples/policies/mamontcall.json");
const SCHEMA: &str = include_str!("../src/policy/policy.schema.json");

/// A fresh in-memory kit whose user declared an adult age, as these apps ask at sign-up
/// (until then the protective defaults for minors apply; see the age tests below).
fn open(policy: &str, platform: Platform) -> Arc<PrivacyKit> {
    let kit = open_undeclared(policy, platform);
    declare(&kit, "1990-04-12", ConsentSource::User);
    kit
}

fn open_undeclared(policy: &str, platform: Platform) -> Arc<PrivacyKit> {
    PrivacyKit::open(PrivacyKitConfig {
        database_path: None,
        policy_json: policy.to_owned(),
        platform,
        utc_offset_minutes: 0,
        key_provider: None,
    })
    .expect("the example policy opens")
}

fn declare(kit: &PrivacyKit, birth_date: &str, source: ConsentSource) {
    kit.declare_user_facts(
        UserFacts {
            birth_date: Some(birth_date.into()),
            age_years: None,
            jurisdiction: None,
        },
        source,
    )
    .unwrap();
}

/// A fresh in-memory kit whose user accepted the policy.
fn accepted(policy: &str, platform: Platform) -> Arc<PrivacyKit> {
    let kit = open(policy, platform);
    kit.accept_policy().unwrap();
    kit
}

fn allowed(basis: LegalBasis) -> Decision {
    Decision {
        allowed: true,
        reason: Permitted { basis },
    }
}

fn denied(reason: DecisionReason) -> Decision {
    Decision {
        allowed: false,
        reason,
    }
}

fn os(kit: &PrivacyKit, permission: OsPermission, status: PermissionStatus) {
    kit.report_permission(permission, status, None, None)
        .unwrap();
}

fn location(kit: &PrivacyKit, accuracy: LocationAccuracy) {
    kit.report_permission(
        OsPermission::Location,
        PermissionStatus::Granted,
        Some(accuracy),
        None,
    )
    .unwrap();
}

fn grant(kit: &PrivacyKit, purpose: &str, category: &str) {
    kit.grant_consent(purpose.into(), Some(category.into()))
        .unwrap();
}

#[test]
fn promophone() {
    // An Android app: a denied permission can still be requested, so it reads
    // OsPermissionDenied (on iOS a denial is BlockedInSettings).
    let kit = open(PROMOPHONE, Platform::Android);
    os(&kit, OsPermission::Contacts, PermissionStatus::Granted);
    // 000: "When installing and using the Promophone mobile application, you agree to
    // authorise Promophone to obtain and use the following information: ... Information from
    // the address book on your mobile device."
    assert_eq!(kit.check("contacts", "service"), denied(PolicyNotAccepted));

    kit.accept_policy().unwrap();
    // 000: "Information from the address book on your mobile device." for the goal "Offer
    // products for securing voice communication with telephone-network users"
    assert_eq!(
        kit.check("contacts", "service"),
        allowed(LegalBasis::Contract)
    );

    os(&kit, OsPermission::Contacts, PermissionStatus::Denied);
    // 000: "Information from the address book on your mobile device." (read from the device,
    // so the OS grant is needed even on basis contract)
    assert_eq!(
        kit.check("contacts", "service"),
        denied(OsPermissionDenied {
            permission: OsPermission::Contacts
        })
    );

    // 000: "Access tokens for other accounts, which are linked with your Promophone account
    // (for example, your accounts in the Social Network), such as electronic keys provided by
    // the service used for user identification instead of entering a password."
    assert_eq!(
        kit.check("social_accounts", "service"),
        allowed(LegalBasis::Contract)
    );

    location(&kit, LocationAccuracy::Approximate);
    // 000: "Promophone and our Partners in advertising distribution may use some information
    // ... such as your age, sex, language, country and city of residence, as well as
    // information on the countries you call in order to forward you the advertisements that
    // can be of most interest to you"
    assert_eq!(kit.check("location", "advertising"), denied(NeedsConsent));
    grant(&kit, "advertising", "location");
    // 000: same sentence; the entry is declared `approximate`, so city-level location is enough.
    assert_eq!(
        kit.check("location", "advertising"),
        allowed(LegalBasis::Consent)
    );

    kit.grant_consent("advertising".into(), None).unwrap();
    // 000: "Promophone undertakes not to sell, provide for use, exchange or otherwise transfer
    // your personal data ... without your direct approval" and the advertising list above has
    // no address book: not declared, whatever the consent.
    assert_eq!(
        kit.check("contacts", "advertising"),
        denied(NotDeclaredInPolicy)
    );

    let kit = open(PROMOPHONE, Platform::Android);
    kit.restrict_processing().unwrap();
    // 000: "Promophone, its local partner, communication operator or another company which
    // provides communication, may present your personal data, data of your calls to authorised
    // judiciary, law enforcement or public authorities, having received legally justified
    // inquiries from them."
    assert_eq!(
        kit.check("call_history", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // 000: "We may read, disclose and keep personal data, including your confidential content
    // (for instance, a history of your calls), in good faith in the belief that it is required
    // in order to: ... to prevent death or serious injuries"
    assert_eq!(
        kit.check("call_history", "user_safety"),
        allowed(LegalBasis::VitalInterest)
    );
}

#[test]
fn promt() {
    // A Windows product; it declares no OS-permission category, so the platform is moot.
    let kit = accepted(PROMT, Platform::Android);
    // 001: "After registration we will send to the address that you have specified an e-mail
    // asking to confirm your consent to receive our mailing."
    assert_eq!(
        kit.check("newsletter_subscription", "marketing"),
        denied(NeedsConsent)
    );
    grant(&kit, "marketing", "newsletter_subscription");
    assert_eq!(
        kit.check("newsletter_subscription", "marketing"),
        allowed(LegalBasis::Consent)
    );
    kit.withdraw_consent("marketing".into(), Some("newsletter_subscription".into()))
        .unwrap();
    // 001: "At any time you may opt-out of the email subscription." and "If you have given
    // your consent to process your data, you may withdraw it at any time."
    assert_eq!(
        kit.check("newsletter_subscription", "marketing"),
        denied(ConsentWithdrawn)
    );

    kit.deny_consent("fraud_prevention".into(), Some("license_activation".into()))
        .unwrap();
    // 001: "In PROMT products version 19 we ask for your consent to collect data while
    // installing a PROMT product." and "If you do not wish to provide your data to us you may
    // activate the PROMT product manually and not fill the data requirement form."
    assert_eq!(
        kit.check("license_activation", "fraud_prevention"),
        denied(ConsentDenied)
    );

    // 001: "We also store requests received via the website to collect statistics on
    // malfunction of our products in order to develop and improve"
    assert_eq!(
        kit.check("support_requests", "analytics"),
        allowed(LegalBasis::LegitimateInterest)
    );
    kit.object_to("analytics".into(), None).unwrap();
    // 001: "You may take exception against processing of your personal data for advertizing
    // and/or analysis of data at any time without giving any reason."
    assert_eq!(
        kit.check("support_requests", "analytics"),
        denied(ObjectedByUser)
    );

    let kit = accepted(PROMT, Platform::Android);
    kit.object_to("analytics".into(), Some("site_usage".into()))
        .unwrap();
    // 001: "Session cookies ... are used for maintaining our site functionalities and analysis
    // of your working with the site" and "You may take exception against processing of your
    // personal data for advertizing and/or analysis of data at any time without giving any
    // reason."
    assert_eq!(kit.check("site_usage", "analytics"), denied(ObjectedByUser));
    // 001: same sentences: the objection covers the analysis, not the site's functions.
    assert_eq!(
        kit.check("site_usage", "service"),
        allowed(LegalBasis::LegitimateInterest)
    );

    let kit = accepted(PROMT, Platform::Android);
    kit.restrict_processing().unwrap();
    // 001: "Right to restriction of processing: you may request to restrict processing of your
    // personal data in our storage." and "If the law obliges to store data, we will restrict
    // any processing of your data."
    assert_eq!(
        kit.check("support_requests", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // 001: "Our legitimate interest in collection of this data is conditioned by the purposes
    // of data collection stated above." (legitimate interest is what a restriction stops)
    assert_eq!(
        kit.check("device_info", "service"),
        denied(RestrictedByUser)
    );

    let kit = accepted(PROMT, Platform::Android);
    kit.grant_consent("marketing".into(), None).unwrap();
    // 001: "we use the user name, your first name and surname, e-mail to render personalized
    // technical support, and if the password is given, you may access MyPromt." and for the
    // newsletter address "Your address will be used only for this purpose."
    assert_eq!(
        kit.check("account_details", "marketing"),
        denied(NotDeclaredInPolicy)
    );
}

#[test]
fn voicecall() {
    let kit = open(VOICECALL, Platform::Android);
    // 002: "Continued use of the Service after the entry into force of the updated version of
    // the Privacy Policy shall be deemed confirmation of the User’s familiarization with such
    // changes and their acceptance" (PrivacyKit asks for explicit acceptance instead)
    assert_eq!(
        kit.check("account_details", "service"),
        denied(PolicyNotAccepted)
    );

    kit.accept_policy().unwrap();
    // 002: "access tokens and technical keys (in encrypted or restricted form);" and
    // "processing is carried out on the basis of the execution of the contract"
    assert_eq!(
        kit.check("social_accounts", "service"),
        allowed(LegalBasis::Contract)
    );

    // 002: "Where required by applicable law, non-essential cookies are used solely on the
    // basis of user consent."
    assert_eq!(kit.check("cookies", "analytics"), denied(NeedsConsent));
    // 002: "Essential (technically necessary) cookies are used without receiving separate
    // consent of the User, since it is necessary to ensure the operation of the Website and
    // Service."
    assert_eq!(
        kit.check("cookies", "service"),
        allowed(LegalBasis::Contract)
    );
    grant(&kit, "analytics", "cookies");
    // 002: "Where required by applicable law, non-essential cookies are used solely on the
    // basis of user consent."
    assert_eq!(
        kit.check("cookies", "analytics"),
        allowed(LegalBasis::Consent)
    );

    // 002: "Data processed within the Voice Call Functionality may be used solely for
    // technical purposes"
    assert_eq!(
        kit.check("call_history", "analytics"),
        denied(NotDeclaredInPolicy)
    );

    os(&kit, OsPermission::Microphone, PermissionStatus::Denied);
    // 002: "the Contractor may have limited technical access to audio data generated through
    // the use of the Voice Call Functionality, provided that such data is accessible in
    // accordance with the architecture of the Service or the integrations used."
    assert_eq!(
        kit.check("call_recording", "support"),
        denied(OsPermissionDenied {
            permission: OsPermission::Microphone
        })
    );

    kit.object_to("analytics".into(), None).unwrap();
    // 002: "object to the processing of personal data on the grounds specified by law;" and
    // the basis "within the framework of the legitimate interest of the Contractor"
    assert_eq!(
        kit.check("diagnostics", "analytics"),
        denied(ObjectedByUser)
    );

    let kit = accepted(VOICECALL, Platform::Android);
    kit.restrict_processing().unwrap();
    // 002: "demand the deletion of personal data or restriction of their processing in cases
    // provided for by law;" with storage periods that take into account "legal requirements
    // for storing accounting, financial or technical information"
    assert_eq!(
        kit.check("billing", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // 002: "demand the deletion of personal data or restriction of their processing in cases
    // provided for by law;"
    assert_eq!(
        kit.check("account_details", "service_updates"),
        denied(RestrictedByUser)
    );
}

#[test]
fn callsapp() {
    let tracking_denied = denied(OsPermissionDenied {
        permission: OsPermission::Tracking,
    });

    // The advertising identifier: the in-app consent is asked before the OS permission.
    let kit = accepted(CALLSAPP, Platform::Android);
    // 003: "Мы можем получить ваше согласие на сбор и использование определенных типов личной
    // информации, когда это требуется по закону (например, в отношении файлов cookie и
    // технологий отслеживания" (We may obtain your consent ... where required by law, e.g.
    // for cookies and tracking technologies.)
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(NeedsConsent)
    );
    os(&kit, OsPermission::Tracking, PermissionStatus::Denied);
    // 003: same sentence: without consent the reason stays the in-app one.
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(NeedsConsent)
    );
    os(&kit, OsPermission::Tracking, PermissionStatus::Granted);
    // 003: "Your unique advertising identifier is created by your mobile device?s operating
    // system and you can change it or choose not to share it at any time."
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(NeedsConsent)
    );
    grant(&kit, "advertising", "advertising_id");
    // 003: "to enable the limited advertisements on our service, we may share a unique
    // advertising identifier that is not attributable to you, with our third party advertising
    // partners"
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        allowed(LegalBasis::Consent)
    );
    os(&kit, OsPermission::Tracking, PermissionStatus::Denied);
    // 003: "you can change it or choose not to share it at any time."
    assert_eq!(kit.check("advertising_id", "advertising"), tracking_denied);

    let kit = accepted(CALLSAPP, Platform::Android);
    grant(&kit, "advertising", "advertising_id");
    // 003: "you can change it or choose not to share it at any time." (not asked yet)
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(OsPermissionNotRequested {
            permission: OsPermission::Tracking
        })
    );
    kit.record_permission_request(OsPermission::Tracking, PermissionStatus::Denied, None, None)
        .unwrap();
    // 003: "you can change it or choose not to share it at any time."
    assert_eq!(kit.check("advertising_id", "advertising"), tracking_denied);
    os(&kit, OsPermission::Tracking, PermissionStatus::Granted);
    // 003: "to enable the limited advertisements on our service, we may share a unique
    // advertising identifier that is not attributable to you, with our third party advertising
    // partners"
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        allowed(LegalBasis::Consent)
    );

    let kit = accepted(CALLSAPP, Platform::Android);
    os(&kit, OsPermission::Contacts, PermissionStatus::Granted);
    // 003: "When you install the CallsApp App, you?ll also be asked to allow us access to your
    // mobile device?s address book." and "(vii) указать, кто из ваших контактов уже является
    // участником CallsApp, и уведомить вас, когда ваши контакты станут активными в Сервисе;"
    // ((vii) show which of your contacts are already CallsApp members ...)
    assert_eq!(
        kit.check("contacts", "service"),
        allowed(LegalBasis::Contract)
    );
    os(&kit, OsPermission::Contacts, PermissionStatus::Denied);
    // 003: "When you install the CallsApp App, you?ll also be asked to allow us access to your
    // mobile device?s address book."
    assert_eq!(
        kit.check("contacts", "service"),
        denied(OsPermissionDenied {
            permission: OsPermission::Contacts
        })
    );

    location(&kit, LocationAccuracy::Approximate);
    // 003: "We may also collect your WPS location data ? you can choose whether to allow this
    // by changing your geolocation tracking settings."
    assert_eq!(
        kit.check("location", "service"),
        allowed(LegalBasis::LegitimateInterest)
    );
    kit.object_to("service".into(), Some("location".into()))
        .unwrap();
    // 003: same sentence: switching WPS location off is an objection.
    assert_eq!(kit.check("location", "service"), denied(ObjectedByUser));

    location(&kit, LocationAccuracy::Precise);
    // 003: "Вам будет предложено разрешить использование данных о вашем местоположении до
    // того, как CallsApp предоставит вам определенные предложения услуг определения
    // местоположения" (You will be asked to allow the use of your location data before
    // CallsApp provides certain location-based service offers.)
    assert_eq!(kit.check("location", "marketing"), denied(NeedsConsent));

    // 003: "While using the CallsApp Services, we won’t display your connection status,
    // whether you have received and seen messages sent to you." and "You can also control
    // your privacy settings within the App to change the visibility of your online status"
    assert_eq!(
        kit.check("online_status_visibility", "service"),
        denied(NeedsConsent)
    );

    let kit = accepted(CALLSAPP, Platform::Android);
    kit.restrict_processing().unwrap();
    // 003: "As for call information (length of the call, missed calls etc.), we believe they
    // are important for other CallsApp users and therefore cannot be canceled."
    assert_eq!(
        kit.check("call_status_visibility", "service"),
        allowed(LegalBasis::Contract)
    );
    // 003: "We will also keep your CallsApp call detail records for billing and legal records,
    // and to make you relevant offers." and the right to "ограничение использования вашей
    // личной информации" (restriction of the use of your personal information)
    assert_eq!(
        kit.check("call_history", "marketing"),
        denied(RestrictedByUser)
    );
}

#[test]
fn mamontcall() {
    let kit = accepted(MAMONTCALL, Platform::Android);
    os(&kit, OsPermission::Microphone, PermissionStatus::Granted);
    // 004: "We do not record the content of conversations unless the client has independently
    // activated the recording function."
    assert_eq!(kit.check("call_recording", "service"), denied(NeedsConsent));

    grant(&kit, "service", "call_recording");
    // 004: "We do not record the content of conversations unless the client has independently
    // activated the recording function."
    assert_eq!(
        kit.check("call_recording", "service"),
        allowed(LegalBasis::Consent)
    );

    kit.withdraw_consent("service".into(), Some("call_recording".into()))
        .unwrap();
    // 004: "We do not record the content of conversations unless the client has independently
    // activated the recording function." (turned off again: recording stops)
    assert_eq!(
        kit.check("call_recording", "service"),
        denied(ConsentWithdrawn)
    );

    grant(&kit, "service", "call_recording");
    os(&kit, OsPermission::Microphone, PermissionStatus::Denied);
    // 004: "We do not record the content of conversations unless the client has independently
    // activated the recording function." (the client's switch does not override the OS)
    assert_eq!(
        kit.check("call_recording", "service"),
        denied(OsPermissionDenied {
            permission: OsPermission::Microphone
        })
    );

    os(&kit, OsPermission::Microphone, PermissionStatus::Granted);
    // 004: "We do not record the content of conversations unless the client has independently
    // activated the recording function." and "Call statistics (without content) are stored
    // for 6 months." (recordings serve the service only)
    assert_eq!(
        kit.check("call_recording", "support"),
        denied(NotDeclaredInPolicy)
    );
    // 004: "We do not sell or transfer personal data to third parties for advertising
    // purposes."
    assert_eq!(
        kit.check("call_statistics", "advertising"),
        denied(NotDeclaredInPolicy)
    );

    let kit = open(MAMONTCALL, Platform::Android);
    // 004: "Compliance with legislation and implementation of Anti-Scam policy and KYC
    // checks."
    assert_eq!(
        kit.check("account_details", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // 004: "By using MamontCall services, the user agrees to the terms of this Policy."
    assert_eq!(
        kit.check("call_statistics", "service"),
        denied(PolicyNotAccepted)
    );

    let kit = accepted(MAMONTCALL, Platform::Android);
    kit.restrict_processing().unwrap();
    // 004: "Billing, calculations, and financial accounting." and "Demand data deletion,
    // taking into account legal requirements."
    assert_eq!(
        kit.check("billing", "legal_compliance"),
        allowed(LegalBasis::LegalObligation)
    );
    // 004: "Provision and improvement of MamontCall services." (legitimate interest, which a
    // restriction stops)
    assert_eq!(
        kit.check("call_statistics", "analytics"),
        denied(RestrictedByUser)
    );
}

#[test]
fn every_example_policy_validates_and_declares_processing() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 6, "expected six example policies: {files:?}");
    for path in files {
        let json = std::fs::read_to_string(&path).unwrap();
        let info = privacykit::validate_policy(json)
            .unwrap_or_else(|e| panic!("{} does not validate: {e}", path.display()));
        assert!(
            !info.processing.is_empty(),
            "{} declares no processing",
            path.display()
        );
    }
}

/// The schema name of each OS permission (`os_permission` in the document).
fn schema_name(permission: Option<OsPermission>) -> &'static str {
    match permission {
        Some(OsPermission::Contacts) => "contacts",
        Some(OsPermission::Location) => "location",
        Some(OsPermission::CallLog) => "call_log",
        Some(OsPermission::Microphone) => "microphone",
        Some(OsPermission::Tracking) => "tracking",
        Some(OsPermission::Camera) => "camera",
        Some(OsPermission::Photos) => "photos",
        Some(OsPermission::Notifications) => "notifications",
        Some(OsPermission::Calendar) => "calendar",
        Some(OsPermission::NearbyDevices) => "nearby_devices",
        Some(OsPermission::PhoneState) => "phone_state",
        None => "none",
    }
}

fn strings(value: &serde_json::Value, pointer: &str) -> Vec<String> {
    value
        .pointer(pointer)
        .and_then(|v| v.as_array())
        .unwrap_or_else(|| panic!("the schema has no array at {pointer}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

fn text<'a>(value: &'a serde_json::Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("the schema has no string at {pointer}"))
}

/// The comma-separated list in `text` between `marker` and the next `end`.
fn listed_after(text: &str, marker: &str, end: &str) -> Vec<String> {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not found in {text:?}"))
        + marker.len();
    let rest = &text[start..];
    rest[..rest.find(end).unwrap_or(rest.len())]
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect()
}

/// Sorted, and the same length as the input only if there were no duplicates.
fn set(ids: &[String]) -> Vec<&str> {
    let set: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(set.len(), ids.len(), "duplicate ids in {ids:?}");
    set.into_iter().collect()
}

#[test]
fn schema_lists_exactly_the_built_in_ids() {
    assert_eq!(privacykit::policy_json_schema(), SCHEMA);
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    let categories: Vec<String> = privacykit::BUILT_IN_CATEGORIES
        .iter()
        .map(|(id, _)| (*id).to_owned())
        .collect();
    let purposes: Vec<String> = privacykit::BUILT_IN_PURPOSES
        .iter()
        .map(|id| (*id).to_owned())
        .collect();
    let (categories, purposes) = (set(&categories), set(&purposes));

    // The "examples" arrays that list built-in ids only.
    for pointer in [
        "/$defs/processing/properties/category/examples",
        "/$defs/builtinCategoryIds/enum",
    ] {
        assert_eq!(set(&strings(&schema, pointer)), categories, "{pointer}");
    }
    for pointer in [
        "/$defs/purpose/properties/id/examples",
        "/$defs/processing/properties/purpose/examples",
        "/$defs/builtinPurposeIds/enum",
    ] {
        assert_eq!(set(&strings(&schema, pointer)), purposes, "{pointer}");
    }

    // A category's id examples are the built-in ids followed by the custom examples its
    // description names.
    let id_description = text(&schema, "/$defs/category/properties/id/description");
    let customs = listed_after(id_description, "custom category, e.g. ", ";");
    let examples = strings(&schema, "/$defs/category/properties/id/examples");
    let (built_in, custom) = examples.split_at(examples.len() - customs.len());
    assert_eq!(set(built_in), categories);
    assert_eq!(custom, customs.as_slice());
    assert!(custom.iter().all(|id| !categories.contains(&id.as_str())));

    // The prose lists agree too, including each built-in category's default os_permission.
    assert_eq!(
        set(&listed_after(
            text(&schema, "/properties/categories/description"),
            "Built-in ids: ",
            ";"
        )),
        categories
    );
    assert_eq!(
        set(&listed_after(
            text(&schema, "/properties/purposes/description"),
            "Built-in ids: ",
            ";"
        )),
        purposes
    );
    let defaults: Vec<String> = privacykit::BUILT_IN_CATEGORIES
        .iter()
        .map(|(id, permission)| format!("{id} ({})", schema_name(*permission)))
        .collect();
    // "... call_recording (microphone), diagnostics (none). Any other id ..."
    assert_eq!(
        listed_after(
            id_description,
            "Built-in ids (default os_permission in brackets): ",
            ". "
        ),
        defaults
    );
    let mut permissions: Vec<String> = OsPermission::ALL
        .iter()
        .map(|p| schema_name(Some(*p)).to_owned())
        .collect();
    permissions.push("none".to_owned());
    assert_eq!(
        set(&strings(
            &schema,
            "/$defs/category/properties/os_permission/enum"
        )),
        set(&permissions)
    );
}

#[test]
fn promophone_age_rules() {
    let kit = open_undeclared(PROMOPHONE, Platform::Android);
    kit.accept_policy().unwrap();
    os(&kit, OsPermission::Contacts, PermissionStatus::Granted);
    declare(&kit, "2016-03-01", ConsentSource::User);
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::BelowMinimumAge);
    // 000: "The Promophone application is not intended to be used by children under 13 years
    // of age." The service itself still works; nothing beyond it does, even with consent.
    assert_eq!(
        kit.check("contacts", "service"),
        allowed(LegalBasis::Contract)
    );
    grant(&kit, "advertising", "location");
    assert_eq!(
        kit.check("location", "advertising"),
        denied(BelowMinimumAge)
    );
}

#[test]
fn callsapp_age_rules() {
    let kit = open_undeclared(CALLSAPP, Platform::Android);
    kit.accept_policy().unwrap();
    os(&kit, OsPermission::Tracking, PermissionStatus::Granted);
    kit.grant_consent("advertising".into(), None).unwrap();
    // 003: "В ЕЭЗ определенные настройки конфиденциальности по умолчанию будут применяться к
    // пользователям младше ... возраст 16 лет и может быть изменен только по письменному
    // указанию законного опекуна." Until an age is declared, those defaults apply.
    assert_eq!(
        kit.check("advertising_id", "advertising"),
        denied(NotAllowedForMinors)
    );
    declare(&kit, "2012-01-01", ConsentSource::Guardian);
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Minor);
    // 003: "... может быть изменен только по письменному указанию законного опекуна": the
    // 14-year-old cannot declare themselves older; the guardian can.
    let refused = kit.declare_user_facts(
        UserFacts {
            birth_date: Some("1990-01-01".into()),
            age_years: None,
            jurisdiction: None,
        },
        ConsentSource::User,
    );
    assert!(refused.is_err());
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::Minor);
    // 003: "Наши Услуги не предназначены для детей младше 10 лет."
    declare(&kit, "2018-01-01", ConsentSource::Guardian);
    assert_eq!(kit.age_status().unwrap().group, AgeGroup::BelowMinimumAge);
}
